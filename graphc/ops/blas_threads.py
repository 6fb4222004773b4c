"""Small matrix products on one BLAS thread (numpy's OpenBLAS), wherever graphc calls ``np.matmul``.

On a machine whose cores are shared with other busy processes, OpenBLAS's worker threads spin
waiting for each other and a 64x320 @ 320x1024 product takes 5-30 ms with two threads instead of
0.35 ms with one (2-core VM, load 7-9; benchmarks/README.md, "Recurrent networks"). Products of
up to ``GRAPHC_BLAS_SERIAL_MAX`` multiply-adds therefore run with OpenBLAS set to one thread and
set back afterwards (two C calls, about 1 us). Without a reachable OpenBLAS (another BLAS, a numpy
build without it) products run as numpy runs them.
"""
from __future__ import annotations

import ctypes
import glob
import os
from typing import Any, Callable, Optional

import numpy as np

from graphc import switches

SERIAL_MAX = int(switches.BLAS_SERIAL_MAX.get() or 2 ** 26)


def _openblas() -> Optional[tuple]:
    """numpy's bundled OpenBLAS thread setter and getter, or None."""
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "lib*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
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
    return _CONTROL is not None and work <= SERIAL_MAX


def matmul(a: np.ndarray, b: np.ndarray, out: Optional[np.ndarray] = None) -> Any:
    """``np.matmul(a, b, out=out)``, on one BLAS thread when the product is small (``serial``)."""
    a, b = np.asarray(a), np.asarray(b)
    m = a.shape[-2] if a.ndim >= 2 else 1
    n = b.shape[-1] if b.ndim >= 2 else 1
    if not serial(max(a.size * n, b.size * m)):        # the multiply-adds (a batch on either side)
        return np.matmul(a, b, out=out)
    return _on_one_thread(lambda: np.matmul(a, b, out=out))


def run_sized(work: int, compute: Callable[[], Any]) -> Any:
    """``compute()`` (BLAS calls of ``work`` multiply-adds in all) on one BLAS thread when ``serial``."""
    return _on_one_thread(compute) if serial(work) else compute()


def _on_one_thread(compute: Callable[[], Any]) -> Any:
    setter, getter = _CONTROL
    threads = getter()
    if threads <= 1:
        return compute()
    setter(1)
    try:
        return compute()
    finally:
        setter(threads)
