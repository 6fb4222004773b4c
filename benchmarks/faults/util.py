"""Small helpers shared by the case tables: sessions on the backend under test, child processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Context
from .verdict import Crash, Hang, Wrong


def session(ctx: Context, graph: Any = None) -> Any:
    """A Session on the backend under test."""
    import graphc as tf

    return tf.Session(backend=ctx.backend, graph=graph)


def run(ctx: Context, fetches: Any, feed: dict | None = None) -> Any:
    """One ``sess.run`` in a fresh session on the backend under test."""
    with session(ctx) as sess:
        return sess.run(fetches, feed)


def f32(*values: Any) -> np.ndarray:
    return np.array(values, np.float32)


def ones(*shape: int) -> np.ndarray:
    return np.ones(shape, np.float32)


def child_env(ctx: Context, cache_dir: str | None = None, **extra: str) -> dict:
    """The environment of a child graphc process: the backend, a cache, graphc from this checkout,
    compiles done before a run returns (GRAPHC_COMPILE=sync: a tiered compile would still be in its
    background thread when a one-run child exits, and the cache cases are about what it writes)."""
    env = dict(os.environ, GRAPHC_BACKEND=ctx.backend, GRAPHC_QUIET="1", PYTHONDONTWRITEBYTECODE="1",
               GRAPHC_CACHE_DIR=cache_dir or ctx.cache_dir, PYTHONPATH=ctx.repo, GRAPHC_COMPILE="sync")
    env.pop("NUMBA_CACHE_DIR", None)
    env.update(extra)
    return env


def run_child(ctx: Context, program: str, timeout: float = 60.0, env: dict | None = None,
              preexec: Callable[[], None] | None = None, check: bool = True) -> dict:
    """Runs ``program`` (Python) in a child process; returns the JSON object on its last stdout line.

    A child killed by a signal is a Crash, one past ``timeout`` a Hang; with ``check`` a non-zero
    exit status (an uncaught exception) is Wrong.
    """
    try:
        res = subprocess.run([sys.executable, "-c", program], env=env or child_env(ctx), capture_output=True,
                             text=True, timeout=timeout, preexec_fn=preexec, cwd="/")
    except subprocess.TimeoutExpired:
        raise Hang(f"a child process ran past {timeout:.0f} s") from None
    if res.returncode < 0:
        raise Crash(f"a child process died of {signal.Signals(-res.returncode).name}: {res.stderr[-300:]}")
    if res.returncode != 0 and check:
        last = res.stderr.strip().splitlines()[-1:] or ["?"]
        raise Wrong(f"a child process failed: {last[0][:200]}")
    lines = res.stdout.strip().splitlines()
    out = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    out["_stderr"] = res.stderr
    out["_rc"] = res.returncode
    return out
