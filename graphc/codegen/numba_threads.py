"""Threads that share one generated kernel's rows: the calling thread works too, chunks are claimed
one at a time, so a helper the OS runs late (or never, on a busy machine) costs nothing.

Why not numba's ``prange``: its workqueue layer wakes every worker thread and leaves the calling
thread waiting, with a static split of the loop: a launch costs ~30-45 us on a 2-core machine, and
when the other core is busy the half of the loop given to its thread waits for it, so two threads
ran no faster than one at 1M-4M elements (measured in benchmarks/README.md, "Kernels vs jax.jit").
Numba's OpenMP layer launches in ~2 us but its spinning workers, once descheduled, cost a whole
scheduler slice (median 10-16 ms for a 0.7 ms kernel).

A kernel's ``kernel_rows`` variant (``numba_printer``) loops ``while True: lo = claim(c) * rows``
over chunks of its outermost loop; ``run`` hands the same call to the helper threads and runs it on
the calling thread, then waits only for chunks that helpers claimed before the calling thread ran out
of chunks (each chunk done is counted in the claim array). The njit function is compiled with
``nogil=True``, so the threads run at once.
"""
from __future__ import annotations

import os
import queue
import threading
from typing import Callable, Optional

import numba
import numpy as np

from graphc.toolchain import numba_startup

numba_startup.install()      # before the first compile: numba's start-up without scipy.linalg

CHUNK_ELEMENTS = 1 << 16     # elements per claimed chunk (a few tens of microseconds of work)
MAX_CHUNKS = 256


class _Job:
    """One kernel call that helper threads join when they get to it (a late one finds no chunk left)."""

    __slots__ = ("fn", "args", "done", "error")

    def __init__(self, fn: Callable, args: list, done: threading.Condition) -> None:
        self.fn = fn
        self.args = args
        self.done = done
        self.error: Optional[BaseException] = None

    def help(self) -> None:
        try:
            self.fn(*self.args)
        except BaseException as e:  # noqa: BLE001 - handed to the calling thread
            self.error = e
        with self.done:
            self.done.notify_all()


class _Pool:
    """Daemon helper threads taking jobs from one queue (started on first use)."""

    def __init__(self, helpers: int) -> None:
        self.helpers = helpers
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.started = False
        self.lock = threading.Lock()
        self.done = threading.Condition(threading.Lock())

    def _start(self) -> None:
        with self.lock:
            if self.started:
                return
            for i in range(self.helpers):
                threading.Thread(target=self._serve, name=f"graphc-kernel-{i}", daemon=True).start()
            self.started = True

    def _serve(self) -> None:
        while True:
            self.jobs.get().help()

    def run(self, fn: Callable, args: list, claim: np.ndarray, chunks: int) -> None:
        """Runs ``fn(*args)`` here and on the helpers; returns when all ``chunks`` are done
        (``claim[2]``), without waiting for a helper that has claimed none."""
        if not self.started:
            self._start()
        job = _Job(fn, args, self.done)
        for _ in range(self.helpers):
            self.jobs.put(job)
        fn(*args)
        if claim[2] < chunks:
            with self.done:
                while claim[2] < chunks and job.error is None:
                    self.done.wait(0.001)
        if job.error is not None:
            raise job.error


_LAUNCH = threading.Lock()
_POOL = _Pool(max(0, int(os.environ.get("NUMBA_NUM_THREADS") or numba.config.NUMBA_NUM_THREADS) - 1))


def chunk_rows(rows: int, total: int) -> int:
    """Rows per claimed chunk for a loop of ``rows`` iterations over ``total`` elements."""
    per_row = max(1, total // max(rows, 1))
    size = max(1, CHUNK_ELEMENTS // per_row)
    return max(size, -(-rows // MAX_CHUNKS))


def run(fn: Callable, args: list, rows: int, total: int) -> None:
    """Calls ``kernel_rows`` ``fn(*args, claim)`` on this thread and the helper threads, which
    share its ``rows`` outer iterations (``total`` elements in all) chunk by chunk."""
    size = chunk_rows(rows, total)
    claim = np.array([0, size, 0], dtype=np.int64)   # next chunk, rows per chunk, chunks done
    call = args + [claim]
    if not fn.signatures or _POOL.helpers == 0:
        fn(*call)            # the first call compiles (or loads) on this thread alone
        return
    with _LAUNCH:            # one shared kernel at a time: the helpers serve one job after another
        _POOL.run(fn, call, claim, -(-rows // size))
