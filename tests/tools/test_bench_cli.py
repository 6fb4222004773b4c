"""`graphc bench` through its CLI entry point: exit code, table, JSON, mismatch detection."""
import json

import numpy as np
import pytest

from graphc import cli
from graphc.codegen import driver


def bench(*args):
    return cli.main(["bench", "--size", "small", "--min-time", "0.01", *args])


def test_bench_small_prints_the_table_and_json(tmp_path, capsys):
    path = tmp_path / "out.json"
    assert bench("-k", "lecture", "--backend", "numba", "--json", str(path)) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:5] == ["workload", "backend", "eager", "compiled", "speedup"]
    assert {"1st", "run", "kernels", "GB/s", "match"} <= set(header)
    assert "lecture_add" in out and "lecture_train" in out and "MISMATCH" not in out
    data = json.loads(path.read_text())
    assert {"machine", "size", "copy_bandwidth_bytes_per_s", "results"} <= set(data)
    row = data["results"][1]
    assert {"workload", "backend", "first_run_s", "second_session_first_run_s", "steady", "kernels",
            "match", "max_error"} <= set(row)
    assert {"median", "p10", "p90", "reps"} == set(row["steady"])
    assert [r["backend"] for r in data["results"]] == ["eager", "numba", "eager", "numba"]


class _WrongExecutable:
    """Wraps a real executable and perturbs every fetched float array."""

    def __init__(self, exe):
        self.exe = exe
        self.kernels = exe.kernels

    def run(self, feeds, state):
        results, updates = self.exe.run(feeds, state)
        return [r + np.asarray(1, r.dtype) if r.dtype.kind == "f" else r for r in results], updates


def compile(job):
    """This module as a registered backend: numba's executables with wrong float results."""
    return _WrongExecutable(driver.BACKENDS["numba"].compile(job))


def test_a_wrong_backend_makes_bench_fail(monkeypatch, capsys):
    monkeypatch.setitem(driver.BACKENDS, "wrong", driver.Backend("wrong", __name__))
    assert bench("-k", "gelu", "--backend", "wrong") == 1
    captured = capsys.readouterr()
    assert "MISMATCH" in captured.out
    assert "does NOT match eager" in captured.err


def test_pattern_parts_select_every_workload_they_name():
    from benchmarks import workloads

    assert [w.name for w in workloads.select("lstm,cnn,lecture")] == ["cnn_step", "lstm", "lecture_add",
                                                                       "lecture_train"]
    assert [w.name for w in workloads.select("rnn")] == ["rnn_unrolled"]
    assert workloads.select(None) == workloads.WORKLOADS


def test_unknown_workload_pattern_is_an_error():
    assert bench("-k", "no-such-workload") == 2


def test_plot_needs_matplotlib_or_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "speedup.png"
    assert bench("-k", "lecture_add", "--backend", "numba", "--plot", str(path)) == 0
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_a_device_backend_is_timed_with_its_data_on_the_device(monkeypatch, tmp_path, capsys):
    pytest.importorskip("triton")
    from graphc.codegen import triton_memory
    if not triton_memory.interpreting():
        pytest.skip("the simulated device layer needs Triton's interpreter (TRITON_INTERPRET=0 is set)")
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "simulated")   # stands in for GPU memory
    path = tmp_path / "out.json"
    assert bench("-k", "layer_norm", "--backend", "triton", "--json", str(path)) == 0
    out = capsys.readouterr().out
    assert "layer_norm on triton: timed with feeds and fetches on simulated device" in out
    assert "numpy in and out" in out and "MISMATCH" not in out
    data = json.loads(path.read_text())
    triton = [r for r in data["results"] if r["backend"] == "triton"][0]
    assert triton["device"].startswith("simulated device") and triton["numpy_io"]["reps"] >= 1
    assert data["backend_copy_bandwidth_bytes_per_s"]["triton"] > 0



def test_bench_has_the_input_pipeline_rows_and_their_ratio(capsys):
    assert bench("-k", "data_", "--backend", "numba") == 0
    out = capsys.readouterr().out
    assert all(w in out for w in ("data_feed", "data_pipe", "data_thru")) and "MISMATCH" not in out
    assert "tf.data vs feed_dict on numba:" in out and "x)" in out.split("tf.data vs feed_dict on numba:")[1]
    assert "elements/s" in out.split("tf.data pipeline on numba:")[1].splitlines()[0]
