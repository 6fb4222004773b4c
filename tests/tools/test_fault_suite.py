"""The fault suite (benchmarks/fault_suite.py) keeps working and keeps passing: one case per
category, on the eager and numba backends, through the same worker processes, time caps and
classification the full run uses; every case must come out "correct"."""
import json
import os
import selectors
import subprocess
import sys

import pytest

from repo_paths import ROOT

REPO = str(ROOT)
sys.path.insert(0, REPO)

from benchmarks.fault_suite import run_suite, select
from benchmarks.faults import CATEGORIES, all_cases
from benchmarks.faults.runner import Result, table

# one cheap case per category (the cache and saver cases that need child processes are the
# cheapest of their kind)
SUBSET = {
    "feeds": "feeds/shape/Nx3_fed_2x4",
    "fetches": "fetches/structure/nested",
    "graph": "graph/names/op_python_injection",
    "variables": "variables/shape/dynamic_assign_fed_5",
    "ops": "ops/many_inputs/add_n_33",
    "cache": "cache/root_is_a_file",
    "saver": "saver/corrupt/garbage",
    "signals": "signals/sigint_sgd_steps",
    "threads": "threads/assign_add_counter",
    "sessions": "sessions/closed/run",
}


def test_the_suite_is_several_hundred_unique_cases_in_every_category():
    cases = all_cases()
    assert len(cases) >= 300
    assert {c.category for c in cases} == set(CATEGORIES)
    assert set(SUBSET) == set(CATEGORIES)
    assert all(any(c.quick for c in cases if c.category == cat) for cat in CATEGORIES)


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_one_case_per_category_is_correct(backend):
    cases = [c for c in select(backend) if c.name in SUBSET.values()]
    assert {c.category for c in cases} == set(SUBSET) - ({"cache"} if backend == "eager" else set())
    results = run_suite(backend, cases)
    bad = [f"{r.name}: {r.outcome}: {r.reason}" for r in results if r.outcome != "correct"]
    assert not bad, "\n".join(bad)


def test_a_crash_and_a_hang_are_classified_and_the_run_goes_on(monkeypatch):
    """A worker that dies or hangs mid-case costs that case only (classified), not the run."""
    from benchmarks.faults import runner
    from benchmarks.faults.case import Case

    calls = []
    # the real protocol and parent, driven by a stand-in worker script
    script = (
        "import json, os, sys, time\n"
        "names = json.load(sys.stdin)\n"
        "for n in names:\n"
        "    print('S ' + n, flush=True)\n"
        "    if n == 'x/crash': os._exit(3)\n"
        "    if n == 'x/hang': time.sleep(60)\n"
        "    print('R ' + json.dumps({'name': n, 'category': 'ops', 'outcome': 'correct', 'reason': '',"
        " 'seconds': 0.0}), flush=True)\n")

    class StandIn(runner._Worker):
        def __init__(self, names, backend, scratch, cache_dir, env, log):
            calls.append(list(names))
            self.proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, start_new_session=True)
            self.proc.stdin.write(json.dumps(list(names)).encode())
            self.proc.stdin.close()
            self.sel = selectors.DefaultSelector()
            self.sel.register(self.proc.stdout, selectors.EVENT_READ)
            self.buf = b""
    monkeypatch.setattr(runner, "_Worker", StandIn)
    noop = lambda ctx: None
    cases = [Case("x/a", "ops", noop), Case("x/crash", "ops", noop), Case("x/b", "ops", noop),
             Case("x/hang", "ops", noop, timeout=1), Case("x/c", "ops", noop)]
    with open(os.devnull, "wb") as log:
        results = runner.run_cases(cases, "eager", "/tmp", "/tmp", dict(os.environ), log)
    assert [(r.name, r.outcome) for r in results] == [
        ("x/a", "correct"), ("x/crash", "crash"), ("x/b", "correct"), ("x/hang", "hang"), ("x/c", "correct")]
    assert len(calls) == 3          # a fresh worker after the crash and after the hang
    assert "| ops      |     5 |       3 |     0 |     1 |    1 |" in table(results)


def test_table_counts_every_outcome():
    results = [Result("a", "feeds", "correct"), Result("b", "feeds", "wrong", "x"),
               Result("c", "cache", "security", "y"), Result("d", "cache", "data lost", "z")]
    text = table(results)
    assert text.splitlines()[0].split("|")[1:-1] == [
        " category ", " cases ", " correct ", " wrong ", " crash ", " hang ", " data lost ", " security "]
    assert "| total    |     4 |       1 |     1 |     0 |    0 |         1 |        1 |" in text
