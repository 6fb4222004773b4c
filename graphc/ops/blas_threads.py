"""Small matrix products on one BLAS thread (numpy's OpenBLAS), wherever graphc calls ``np.matmul``.

On a machine whose cores are shared with other busy processes, OpenBLAS's worker threads spin
waiting for each other and a 64x320 @ 320x1024 product takes 5-30 ms with two threads instead of
0.35 ms with one (2-core VM, load 7-9; benchmarks/README.md, "Recurrent networks"); on an idle
machine the same products are faster on two threads (the MLP step 4.1 vs 5.6 ms, the CNN step 7.7
vs 10.3 ms, 2-core VM at load 1). So, unless ``GRAPHC_BLAS_SERIAL_MAX`` fixes the cutoff, products
of up to ``ALWAYS_SERIAL`` multiply-adds (where a thread's wake-up costs more than it saves) run on
one thread, and products of up to ``BUSY_SERIAL_MAX`` too while other processes keep the cores busy
(``busy``: more than half a core of CPU outside this process over the last second). A product on one thread runs
with OpenBLAS set to one thread and set back afterwards (two C calls, about 1 us). Without a
reachable OpenBLAS (another BLAS, a numpy build without it) products run as numpy runs them.
"""
from __future__ import annotations

import ctypes
import functools
import glob
import os
import time
from typing import Any, Callable, Optional

import numpy as np

from graphc import switches

ALWAYS_SERIAL = 2 ** 21
BUSY_SERIAL_MAX = 2 ** 26
_FIXED = switches.BLAS_SERIAL_MAX.get()
SERIAL_MAX: Optional[int] = int(_FIXED) if _FIXED else None     # a fixed cutoff, or None: by load
_CORES = os.cpu_count() or 1
_load_seen: list = [-1.0, False, None]  # when last read (time.monotonic), whether busy, the CPU sample then
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@functools.cache
def library() -> Optional[ctypes.CDLL]:
    """numpy's bundled OpenBLAS (``numpy.libs``), loaded once, or None."""
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "lib*openblas*"))):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def _openblas() -> Optional[tuple]:
    """numpy's bundled OpenBLAS thread setter and getter, or None."""
    lib = library()
    if lib is None:
        return None
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", ""):
            setter = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                return setter, getter
    return None


_CONTROL = _openblas()


def serial(work: int) -> bool:
    """Whether a product of ``work`` multiply-adds runs on one BLAS thread."""
    if _CONTROL is None:
        return False
    if SERIAL_MAX is not None:
        return work <= SERIAL_MAX
    return work <= ALWAYS_SERIAL or (work <= BUSY_SERIAL_MAX and busy())


def by_load(work: int) -> bool:
    """Whether ``serial(work)`` may change from one call to the next with the machine's load (a
    caller that decides once, a generated driver, must ask at run time for such a product)."""
    return _CONTROL is not None and SERIAL_MAX is None and ALWAYS_SERIAL < work <= BUSY_SERIAL_MAX


def busy() -> bool:
    """Whether other processes compete for the cores: over the last second (re-read at most once a
    second), the CPU time the machine spent outside this process, from ``/proc/stat`` minus this
    process's own ``time.process_time``, exceeds half a core. This process's own threads never count,
    so its BLAS threads cannot flip the answer. Without ``/proc/stat``: the load average above the core
    count + 0.5."""
    now = time.monotonic()
    if now - _load_seen[0] < 1.0:
        return _load_seen[1]
    sample = _cpu_sample()
    previous, _load_seen[2] = _load_seen[2], sample
    if sample is None or previous is None:
        try:
            answer = os.getloadavg()[0] > _CORES + 0.5
        except OSError:
            answer = False
    else:
        elapsed = now - _load_seen[0]
        others = (sample[0] - previous[0]) - (sample[1] - previous[1])
        answer = others > 0.5 * elapsed
    _load_seen[0], _load_seen[1] = now, answer
    return answer


def _cpu_sample() -> Optional[tuple]:
    """(seconds of CPU the whole machine has spent busy, seconds this process has), or None."""
    try:
        with open("/proc/stat", "rb") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    busy = sum(ticks) - ticks[3] - ticks[4]          # all but idle and iowait
    return busy / _TICKS, time.process_time()


def matmul(a: np.ndarray, b: np.ndarray, out: Optional[np.ndarray] = None) -> Any:
    """``np.matmul(a, b, out=out)``, on one BLAS thread when the product is small (``serial``)."""
    a, b = np.asarray(a), np.asarray(b)
    m = a.shape[-2] if a.ndim >= 2 else 1
    n = b.shape[-1] if b.ndim >= 2 else 1
    if not serial(max(a.size * n, b.size * m)):        # the multiply-adds (a batch on either side)
        return np.matmul(a, b, out=out)
    return on_one_thread(lambda: np.matmul(a, b, out=out))


def run_sized(work: int, compute: Callable[[], Any]) -> Any:
    """``compute()`` (BLAS calls of ``work`` multiply-adds in all) on one BLAS thread when ``serial``."""
    return on_one_thread(compute) if serial(work) else compute()


def on_one_thread(compute: Callable[[], Any]) -> Any:
    """``compute()`` with OpenBLAS on one thread (as it is when there is no OpenBLAS to set)."""
    if _CONTROL is None:
        return compute()
    setter, getter = _CONTROL
    threads = getter()
    if threads <= 1:
        return compute()
    setter(1)
    try:
        return compute()
    finally:
        setter(threads)
