"""First runs: how long each ``graphc bench`` workload's first ``sess.run`` takes in a new process.

``python -m benchmarks.first_runs [-k PATTERN] [--size SIZE] [--peers jax,torch.compile]`` prints a
markdown table (the "First runs" section of benchmarks/README.md). Every number comes from a fresh
Python process, so nothing is compiled or imported beforehand:

* eager: ``Session(backend="eager")``: session, variable initializer and first step; and the
  median of later steps (the reference the tiered target is stated against);
* cold: numba, ``GRAPHC_COMPILE=sync``, an empty code cache (``GRAPHC_CACHE_DIR`` a new directory):
  session, initializer and the first step, which waits for every kernel to compile;
* warm disk: the same in a second process on that cache (kernels loaded from numba's disk cache);
* tiered: numba, ``GRAPHC_COMPILE=tiered``, another empty cache: the first step (eager while the
  kernels compile in the background), then steps back to back (as a training loop would run them)
  until the session switched to the compiled executable: when that was, counted from the session's
  creation, and the slowest step before it;
* peers (``--peers``): ``benchmarks.peers`` in a fresh process per workload, each peer's first call
  (``jax.jit`` tracing and compiling; ``torch.compile`` with ``--torch-python``).

All first-run times include the session's variable initializer (a run of its own; it runs on the eager
executor, see ``codegen/tiered.initializes_only``), so they count everything a training script waits
for before its first step. ``--modes cold,warm`` measures only the compile work (cold and warm disk).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWITCH_DEADLINE_S = 60.0


def _one(workload_name: str, mode: str, size: str) -> dict:
    """Runs in the child process: the timings of one workload in one mode (see the module docstring)."""
    import graphc as tf
    from benchmarks import harness, workloads

    w = next(w for w in workloads.WORKLOADS if w.name == workload_name)
    graph = tf.Graph()
    with graph.as_default():
        built = w.build(size)
        backend = "eager" if mode == "eager" else "numba"
        t0 = time.perf_counter()
        sess = tf.Session(graph=graph, backend=backend, compile_mode=None if mode == "eager" else
                          ("tiered" if mode == "tiered" else "sync"))
        if tf.global_variables():
            sess.run(tf.global_variables_initializer())
        sess.run(built.fetches, built.feed_dict)
        first = time.perf_counter() - t0
        out = {"first_s": first}
        if mode == "eager":
            out["step_s"] = harness.time_runs(lambda: sess.run(built.fetches, built.feed_dict), min_time=1.0).median
        if mode == "tiered":
            def eager() -> bool:   # any executable of the session (the step's, the initializer's) not switched
                return any(getattr(e, "tier", backend) == "eager" for e in list(sess._cache.values()))
            slowest = first
            while eager() and time.perf_counter() - t0 < SWITCH_DEADLINE_S:
                t = time.perf_counter()
                sess.run(built.fetches, built.feed_dict)
                slowest = max(slowest, time.perf_counter() - t)
            out["switch_s"] = None if eager() else time.perf_counter() - t0
            out["slowest_eager_s"] = slowest
            t = time.perf_counter()
            sess.run(built.fetches, built.feed_dict)
            out["first_compiled_s"] = time.perf_counter() - t
    return out


def _child(workload_name: str, mode: str, size: str, cache: str) -> dict:
    env = dict(os.environ, GRAPHC_CACHE_DIR=cache,
               PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    env.pop("GRAPHC_COMPILE", None)
    cmd = [sys.executable, "-m", "benchmarks.first_runs", "--one", workload_name, mode, "--size", size]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _peer(peer: str, workload_name: str, size: str, python: str | None) -> float | None:
    from benchmarks import peers

    if (peer, workload_name) not in peers._IMPLEMENTATIONS:
        return None
    try:
        result = peers.time_peer_isolated(peer, [workload_name], size, min_time=0.05, python=python)[workload_name]
    except Exception as e:  # noqa: BLE001 - a peer that fails is reported as missing, not fatal
        print(f"  {peer} {workload_name}: {e}", file=sys.stderr)
        return None
    return None if result is None else result.first_run_s


MODES = ("eager", "cold", "warm", "tiered")


def measure(names: list, size: str, peers: list, torch_python: str | None, modes: tuple = MODES) -> list:
    """One row per workload: each of ``modes`` (a subset of :data:`MODES`) in fresh processes, then peers."""
    rows = []
    for name in names:
        print(f"  {name} ...", file=sys.stderr, flush=True)
        row = {"workload": name}
        with tempfile.TemporaryDirectory() as eager_cache, tempfile.TemporaryDirectory() as cache, \
                tempfile.TemporaryDirectory() as tiered_cache:
            runs = {"eager": ("eager", eager_cache), "cold": ("sync", cache), "warm": ("sync", cache),
                    "tiered": ("tiered", tiered_cache)}
            if "warm" in modes and "cold" not in modes:
                _child(name, "sync", size, cache)          # fills the cache the warm run reads
            for mode in MODES:
                session_mode, cache_dir = runs[mode]
                row[mode] = _child(name, session_mode, size, cache_dir) if mode in modes else {}
        for peer in peers:
            row[peer] = _peer(peer, name, size, torch_python if peer.startswith("torch") else None)
        rows.append(row)
    return rows


def _s(x) -> str:
    if x is None:
        return "-"
    return f"{x * 1e6:.0f} us" if x < 1e-3 else f"{x * 1e3:.0f} ms" if x < 1 else f"{x:.2f} s"


def table(rows: list, peers: list) -> str:
    head = ["workload", "eager step", "eager 1st", "cold (sync)", "warm disk (sync)", "tiered 1st",
            "slowest eager step", "switch at", *[f"{p} 1st" for p in peers]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        e, c, w, t = r["eager"], r["cold"], r["warm"], r["tiered"]
        cells = [r["workload"], _s(e.get("step_s")), _s(e.get("first_s")), _s(c.get("first_s")), _s(w.get("first_s")),
                 _s(t.get("first_s")), _s(t.get("slowest_eager_s")), _s(t.get("switch_s")),
                 *[_s(r.get(p)) for p in peers]]
        errors = [f"{k}: {v['error']}" for k, v in r.items() if isinstance(v, dict) and "error" in v]
        lines.append("| " + " | ".join(cells) + " |" + (f" {'; '.join(errors)}" if errors else ""))
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-k", dest="pattern", default=None)
    p.add_argument("--size", default="default")
    p.add_argument("--peers", default="jax", help="comma-separated peers (jax, torch.compile); empty: none")
    p.add_argument("--torch-python", default=None, help="a Python with torch (e.g. /tmp/torchenv/bin/python)")
    p.add_argument("--json", dest="json_path", default=None)
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    p.add_argument("--one", nargs=2, metavar=("WORKLOAD", "MODE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one[0], args.one[1], args.size)))
        return 0
    from benchmarks import workloads

    names = [w.name for w in workloads.select(args.pattern)]
    peers = [x for x in args.peers.split(",") if x]
    modes = tuple(m for m in args.modes.split(",") if m)
    unknown = set(modes) - set(MODES)
    if unknown:
        p.error(f"unknown --modes {sorted(unknown)}; choose from {','.join(MODES)}")
    rows = measure(names, args.size, peers, args.torch_python, modes)
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(rows, f, indent=2)
    print(table(rows, peers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
