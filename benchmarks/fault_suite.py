"""graphc's fault and bad-input suite (issue 12): several hundred cases of bad feeds and fetches,
graph misuse, edge-case ops, cache and checkpoint faults, kill -9, Ctrl-C, threads and sessions,
each classified as correct / wrong / crash / hang / data lost / security against TF1's documented
behaviour.

    python3 benchmarks/fault_suite.py [--backend numba|eager|interpret|triton] [--json out.json]
                                      [--quick] [--only REGEX] [--list]

Cases run in worker processes with a time cap each, against a private code cache made for the
run (0700 under the temp directory, removed afterwards). Exit status 0 when every case is correct.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.faults import all_cases
from benchmarks.faults.case import Case
from benchmarks.faults.runner import Result, run_cases, table, worker_main
from benchmarks.faults.verdict import CORRECT


def select(backend: str, quick: bool = False, only: str | None = None) -> list[Case]:
    """The cases that apply to ``backend``: all, the quick subset, or those whose name matches."""
    cases = [c for c in all_cases() if c.applies_to(backend)]
    if quick:
        cases = [c for c in cases if c.quick]
    if only:
        cases = [c for c in cases if re.search(only, c.name)]
    return cases


def worker_env(backend: str, cache_dir: str) -> dict:
    """The environment of worker processes: the run's cache, the backend, no chatter."""
    env = dict(os.environ, GRAPHC_CACHE_DIR=cache_dir, GRAPHC_BACKEND=backend, GRAPHC_QUIET="1",
               TRITON_INTERPRET=os.environ.get("TRITON_INTERPRET", "1"),
               PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("GRAPHC_DUMP", None)
    return env


def run_suite(backend: str, cases: list[Case], log_path: str | None = None, progress=None,
              keep: bool = False) -> list[Result]:
    """Runs ``cases`` on ``backend`` with a fresh private cache and scratch directory."""
    cache_dir = tempfile.mkdtemp(prefix="graphc-fault-cache-")     # mkdtemp: 0700
    scratch = tempfile.mkdtemp(prefix="graphc-fault-scratch-")
    log_path = log_path or os.path.join(scratch, "workers.log")
    try:
        with open(log_path, "ab") as log:
            return run_cases(cases, backend, scratch, cache_dir, worker_env(backend, cache_dir), log, progress)
    finally:
        if keep:
            print(f"\nkept the scratch directory {scratch} (worker log: {log_path}) and cache {cache_dir}",
                  file=sys.stderr)
        else:
            for d in (cache_dir, scratch):
                _remove(d)


def _remove(path: str) -> None:
    def writable(fn, p, _exc):       # cases leave read-only directories behind
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            fn(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=writable)


def machine() -> str:
    """The CPU model and whether it has AVX-512, for the report."""
    model = platform.processor() or "unknown CPU"
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("", "unknown CPU", "x86_64"):
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = line
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {'AVX-512' if 'avx512f' in flags else 'no AVX-512'}"


def revision() -> str:
    """The checkout's commit, and whether the working tree (what the run used) differs from it."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{head} + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else head


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", default="numba", help="backend to test (default: numba)")
    p.add_argument("--json", metavar="PATH", help="write every case's result to PATH")
    p.add_argument("--quick", action="store_true", help="only the fast subset (one or two cases per category)")
    p.add_argument("--only", metavar="REGEX", help="only cases whose name matches REGEX")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory and cache")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--scratch", help=argparse.SUPPRESS)
    p.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker:
        out = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)                 # whatever a case prints goes to the log, not the protocol
        worker_main(json.load(sys.stdin), args.backend, args.scratch, args.cache_dir, out)
        return 0

    cases = select(args.backend, args.quick, args.only)
    if args.list:
        for c in cases:
            print(f"{c.category:10s} {c.name}")
        print(f"{len(cases)} cases")
        return 0
    start = time.time()
    print(f"graphc fault suite: {len(cases)} cases on {args.backend} ({machine()})", flush=True)
    results = run_suite(args.backend, cases, progress=sys.stdout, keep=args.keep)
    elapsed = time.time() - start
    print(f"\n\n{table(results)}\n\n{len(results)} cases in {elapsed:.0f} s")
    bad = [r for r in results if r.outcome != CORRECT]
    for r in bad:
        print(f"  {r.outcome:9s} {r.name}: {r.reason}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": args.backend, "machine": machine(), "seconds": round(elapsed, 1),
                       "revision": revision(),
                       "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                       "results": [r.__dict__ for r in results]}, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
