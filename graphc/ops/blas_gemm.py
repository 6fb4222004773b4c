"""``c += alpha * (a @ b)`` in one BLAS call (numpy's OpenBLAS ``cblas_?gemm`` with ``beta = 1``).

numpy's ``matmul`` always writes a fresh product, so an update such as SGD's ``w - lr * (x.T @ g)``
costs the product's write plus a pass that reads it back with ``w`` and writes ``w``. GEMM's own
``alpha``/``beta`` do the scaling and the accumulation while the product is still in registers:
the update is the product's cost alone. Operands are 2-D float32/float64 arrays, each C-ordered or
the transpose of a C-ordered array (BLAS's transpose flag, no copy); anything else, or a numpy
without a reachable OpenBLAS, answers False and the caller computes the update its usual way.
"""
from __future__ import annotations

import ctypes
from typing import Callable, Optional

import numpy as np

from graphc.ops import blas_threads

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112     # CBLAS's enum values


def _gemm(lib: ctypes.CDLL, char: str, real: type) -> Optional[Callable]:
    """The library's ``cblas_<char>gemm`` (under numpy's ``scipy_`` prefix and ``64_`` suffix, or
    plain) with argtypes set, or None."""
    for prefix in ("scipy_", ""):
        for suffix, index in (("64_", ctypes.c_int64), ("", ctypes.c_int)):
            fn = getattr(lib, f"{prefix}cblas_{char}gemm{suffix}", None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, index, index, index, real,
                               ctypes.c_void_p, index, ctypes.c_void_p, index, real, ctypes.c_void_p, index]
                fn.restype = None
                return fn
    return None


def _functions() -> dict:
    """{numpy dtype: its GEMM}, for the dtypes the library exports one for."""
    lib = blas_threads.library()
    if lib is None:
        return {}
    found = {np.dtype(dtype): _gemm(lib, char, real)
             for char, dtype, real in (("s", np.float32, ctypes.c_float), ("d", np.float64, ctypes.c_double))}
    return {dtype: fn for dtype, fn in found.items() if fn is not None}


_GEMM = _functions()


def address(dtype) -> Optional[int]:
    """The address of numpy's OpenBLAS ``cblas_?gemm`` for ``dtype`` (for compiled code to call:
    ``numba_loop_steps.call_gemm``), or None."""
    gemm = _GEMM.get(np.dtype(dtype))
    return None if gemm is None else ctypes.cast(gemm, ctypes.c_void_p).value


# the width of the library's integer arguments (its GEMMs' ``m`` argument type, set by ``_gemm``)
INDEX_BITS = 8 * ctypes.sizeof(next(iter(_GEMM.values())).argtypes[3]) if _GEMM else 64


def available() -> bool:
    """Whether ``accumulate`` can run here (numpy's OpenBLAS exports its CBLAS GEMMs)."""
    return bool(_GEMM)


def _layout(x: np.ndarray) -> Optional[tuple]:
    """(transpose flag, leading dimension) of a 2-D operand BLAS can read as it is, or None."""
    item = x.itemsize
    rows, cols = x.strides
    if cols == item and rows % item == 0 and rows // item >= max(x.shape[1], 1):
        return NO_TRANS, rows // item
    if rows == item and cols % item == 0 and cols // item >= max(x.shape[0], 1):
        return TRANS, cols // item
    return None


def accumulate(c: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float) -> bool:
    """Does ``c += alpha * (a @ b)`` in place with one GEMM and answers True; answers False (and
    leaves ``c`` untouched) when it cannot: no BLAS, other dtypes or ranks, mismatched shapes, a
    layout BLAS cannot read, or ``c`` sharing memory with ``a`` or ``b``."""
    gemm = _GEMM.get(c.dtype)
    if gemm is None or a.dtype != c.dtype or b.dtype != c.dtype or not (a.ndim == b.ndim == c.ndim == 2):
        return False
    (m, k), (k2, n) = a.shape, b.shape
    if k != k2 or c.shape != (m, n) or not c.flags.c_contiguous or min(m, n, k) == 0:
        return False
    layout_a, layout_b = _layout(a), _layout(b)
    if layout_a is None or layout_b is None or np.may_share_memory(c, a) or np.may_share_memory(c, b):
        return False

    def call() -> None:
        gemm(ROW_MAJOR, layout_a[0], layout_b[0], m, n, k, alpha, a.ctypes.data, layout_a[1],
             b.ctypes.data, layout_b[1], 1.0, c.ctypes.data, max(n, 1))
    blas_threads.run_sized(m * n * k, call)
    return True
