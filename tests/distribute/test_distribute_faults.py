"""graphc.distribute under faults: a missing rank times out with its number, mismatched ranks
are caught at the first collective, and a failed job ends instead of hanging (2-process mpiexec)."""
import re
import time

import pytest

from graphc.distribute import mpi
from distribute_scripts.launch import mpirun

TIMEOUT = {"GRAPHC_MPI_TIMEOUT": "3"}


def _errors(proc):
    return dict(re.findall(r"ERROR (\d) (\w+: .*?) END", proc.stdout))


@pytest.mark.parametrize("mode", ["raises", "stuck"])
def test_a_rank_that_never_arrives_is_named_and_the_job_ends(mode):
    start = time.monotonic()
    proc = mpirun("faults.py", mode, env=TIMEOUT, timeout=60)
    elapsed = time.monotonic() - start
    errors = _errors(proc)
    assert list(errors) == ["0"], proc.stdout + proc.stderr
    assert errors["0"].startswith("DeadlineExceededError: "), errors
    assert "timed out after 3 s: rank 1 never reached it" in errors["0"], errors
    assert proc.returncode != 0
    # "stuck": rank 1 sleeps 120 s; the job ends long before because rank 0 aborts it at exit
    assert elapsed < 60, elapsed


def test_ranks_with_different_variable_shapes_fail_at_the_first_collective_on_every_rank():
    proc = mpirun("faults.py", "shapes", env=TIMEOUT, timeout=60)
    errors = _errors(proc)
    assert sorted(errors) == ["0", "1"], proc.stdout + proc.stderr
    for message in errors.values():
        assert message.startswith("InvalidArgumentError: graphc.distribute: the ranks disagree at "
                                  "broadcast_variables"), message
    for rank, shape in (("0", "float32[3]"), ("1", "float32[4]")):
        assert re.search(rf"rank {rank}: broadcast from rank 0 'broadcast_variables' .*tensors: "
                         rf"{re.escape(shape)}", proc.stdout), proc.stdout
    assert "DONE" not in proc.stdout


def test_ranks_running_collectives_in_different_orders_fail_naming_both():
    proc = mpirun("faults.py", "order", env=TIMEOUT, timeout=60)
    errors = _errors(proc)
    assert sorted(errors) == ["0", "1"], proc.stdout + proc.stderr
    assert "rank 0: allreduce 'first'" in proc.stdout and "rank 1: allreduce 'second'" in proc.stdout
    assert "DONE" not in proc.stdout


def test_ranks_that_diverge_after_the_first_step_fail_instead_of_mixing_tensors():
    # 'first' and 'second' have the same shape: without the per-collective check their values
    # would be summed together silently
    proc = mpirun("faults.py", "later", env=TIMEOUT, timeout=60)
    errors = _errors(proc)
    assert sorted(errors) == ["0", "1"], proc.stdout + proc.stderr
    assert "STEP1" not in proc.stdout and "DONE" not in proc.stdout
    for rank, other, label in (("0", "1", "first"), ("1", "0", "second")):
        assert errors[rank].startswith(f"InvalidArgumentError: graphc.distribute: rank {other} is at a "
                                       f"different collective than rank {rank}"), errors[rank]
        assert f"allreduce '{label}'" in errors[rank], errors[rank]


def test_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(mpi.TIMEOUT_ENV, raising=False)
    assert mpi._timeout_from_env() == 300.0
    monkeypatch.setenv(mpi.TIMEOUT_ENV, "2.5")
    assert mpi._timeout_from_env() == 2.5
    for bad in ("soon", "0", "-1"):
        monkeypatch.setenv(mpi.TIMEOUT_ENV, bad)
        with pytest.raises(ValueError, match=mpi.TIMEOUT_ENV):
            mpi._timeout_from_env()
