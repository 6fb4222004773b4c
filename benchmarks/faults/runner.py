"""Runs cases in worker processes, with a time cap per case, and classifies what happened.

The parent never imports graphc's runtime state into a case: every case runs in a worker (one
worker for a run of ordinary cases, one of its own for an ``alone`` case). A worker that dies
during a case makes that case a crash, one that outlives the case's cap a hang; the remaining
cases go to a fresh worker.
"""
from __future__ import annotations

import dataclasses
import json
import os
import selectors
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from typing import IO

from .case import Case, Context
from .verdict import CORRECT, CRASH, HANG, OUTCOMES, WRONG, Verdict

STARTUP_SLACK_S = 30.0      # importing graphc and numba in a fresh worker, on a loaded machine


@dataclasses.dataclass
class Result:
    """What one case did."""

    name: str
    category: str
    outcome: str
    reason: str = ""
    seconds: float = 0.0


# ------------------------------------------------------------------------------------------------
# the worker side

def worker_main(names: Sequence[str], backend: str, scratch: str, cache_dir: str, out: IO[str]) -> None:
    """Runs the named cases in this process, writing ``S name`` before and ``R {json}`` after each."""
    from . import all_cases

    by_name = {c.name: c for c in all_cases()}
    for name in names:
        case = by_name[name]
        out.write(f"S {name}\n")
        out.flush()
        result = run_in_process(case, backend, scratch, cache_dir)
        out.write("R " + json.dumps(dataclasses.asdict(result)) + "\n")
        out.flush()


def run_in_process(case: Case, backend: str, scratch: str, cache_dir: str) -> Result:
    """Runs one case here and turns its return or exception into a Result."""
    import graphc as tf

    from .case import repo_root

    tf.reset_default_graph()
    own = os.path.join(scratch, case.name.replace("/", "__"))
    os.makedirs(own, mode=0o700, exist_ok=True)
    ctx = Context(backend=backend, scratch=own, cache_dir=cache_dir, repo=repo_root())
    start = time.perf_counter()
    try:
        case.fn(ctx)
        outcome, reason = CORRECT, ""
    except Verdict as v:
        outcome, reason = v.outcome, str(v)
    except BaseException as e:
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        outcome, reason = WRONG, f"unexpected {type(e).__name__}: {str(e)[:200]}{where}"
    finally:
        tf.reset_default_graph()
    return Result(case.name, case.category, outcome, reason, round(time.perf_counter() - start, 3))


# ------------------------------------------------------------------------------------------------
# the parent side

def _batches(cases: Sequence[Case]) -> Iterable[list[Case]]:
    batch: list[Case] = []
    for case in cases:
        if case.alone:
            if batch:
                yield batch
                batch = []
            yield [case]
        else:
            batch.append(case)
    if batch:
        yield batch


class _Worker:
    """A worker process and a line reader over its protocol pipe with timeouts."""

    def __init__(self, names: Sequence[str], backend: str, scratch: str, cache_dir: str,
                 env: dict, log: IO[bytes]) -> None:
        script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fault_suite.py")
        cmd = [sys.executable, script, "--worker", "--backend", backend, "--scratch", scratch,
               "--cache-dir", cache_dir]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                     env=env, start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(list(names)).encode())
        self.proc.stdin.close()
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.buf = b""

    def line(self, timeout: float) -> str | None:
        """The next protocol line; '' at end of stream; None past ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(left):
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return ""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def kill(self) -> None:
        """Kills the worker and whatever its case started (its own process group)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def close(self) -> int:
        self.sel.close()
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.returncode


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"the process died of {signal.Signals(-code).name}"
        except ValueError:
            return f"the process died of signal {-code}"
    return f"the process exited with status {code} mid-case"


def run_cases(cases: Sequence[Case], backend: str, scratch: str, cache_dir: str, env: dict,
              log: IO[bytes], progress: IO[str] | None = None) -> list[Result]:
    """Runs ``cases`` in order in worker processes; returns one Result per case."""
    results: list[Result] = []
    for batch in _batches(cases):
        pending = list(batch)
        while pending:
            worker = _Worker([c.name for c in pending], backend, scratch, cache_dir, env, log)
            slack, broken = STARTUP_SLACK_S, False
            while pending and not broken:
                case = pending.pop(0)
                result = _await_case(worker, case, slack)
                slack = 5.0
                results.append(result)
                broken = result.reason.startswith("the worker")     # gone: the rest get a fresh one
                if progress is not None:
                    progress.write("." if result.outcome == CORRECT else
                                   f"\n  {result.outcome}: {case.name}: {result.reason}\n")
                    progress.flush()
            if not broken:
                worker.close()
    return results


def _await_case(worker: _Worker, case: Case, slack: float) -> Result:
    start = time.perf_counter()
    line = worker.line(case.timeout + slack)
    if line and line == f"S {case.name}":
        line = worker.line(case.timeout)
        if line and line.startswith("R "):
            data = json.loads(line[2:])
            assert data["outcome"] in OUTCOMES, data
            return Result(**data)
    seconds = round(time.perf_counter() - start, 3)
    if line is None:
        worker.kill()
        return Result(case.name, case.category, HANG, f"the worker ran past the {case.timeout:.0f} s cap", seconds)
    code = worker.proc.wait() if line == "" else None
    if line == "":
        return Result(case.name, case.category, CRASH, f"the worker died: {_death(code)}", seconds)
    worker.kill()
    return Result(case.name, case.category, CRASH, f"the worker broke the protocol: {line[:100]!r}", seconds)


# ------------------------------------------------------------------------------------------------
# the table

def table(results: Sequence[Result]) -> str:
    """The issue's table: cases per category, then how many ended in each outcome (markdown)."""
    cats = [c for c in dict.fromkeys(r.category for r in results)]
    head = ["category", "cases", *OUTCOMES]
    rows = []
    for cat in cats + ["total"]:
        rs = [r for r in results if cat in ("total", r.category)]
        rows.append([cat, str(len(rs)), *[str(sum(r.outcome == o for r in rs)) for o in OUTCOMES]])
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]

    def fmt(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    rule = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(head), rule, *[fmt(r) for r in rows]])
