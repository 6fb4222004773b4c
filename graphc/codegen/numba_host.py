"""Hand-written njit kernels for opaque ops, run by the Numba driver in place of their numpy kernels.

The fusion planner leaves some ops opaque (no fused template). Their numpy kernels are the
reference; where one is slow because numpy cannot express it well (max pooling and its gradient
materialize every window; ``np.add.at`` for segment sums runs ~50x slower than a loop), the Numba
backend runs the kernel below instead. Each entry validates its inputs like the numpy kernel
(same errors) and gives the same values: max pooling propagates NaN like ``np.max``, its gradient
goes to the first maximum of each window in row-major order (NaN counts as the maximum, like
``np.argmax``), summed where windows overlap; segment sums add rows in index order, as
``np.add.at``, so results are bit-identical. Each entry says which input dtypes it takes (the
numpy kernel runs for the others). Parity is tested in tests/codegen/test_numba_backend.py.

2x2 windows at stride 2 that tile the input from its top-left corner (``max_pooling2d(x, 2, 2)``)
take their own kernels: no window shares an element, so the gradient is written, not added, in
the pass that finds each window's first maximum, and channels run in constant blocks of 16 lanes.

Max pooling and its gradient have a serial and a parallel (prange) variant, two Python functions
made from one body (``_variants``), each compiled only when a run needs it: the parallel one when
the work (output elements times the window) reaches ``GRAPHC_NUMBA_PARALLEL_MIN``, as for the
generated kernels. Compiling a parallel loop costs seconds (numba's parfor lowering): it was
most of a cold CNN step's first run, whose pools run serially at the bench's sizes.

The kernels are not declared ``cache=True``: numba would pick a cache directory next to this file
or under ``~/.cache/numba`` at import (failing where neither is writable, and escaping
``GRAPHC_CACHE_DIR``). The first call gives them signed caches inside graphc's code cache
(``graphc.toolchain.cache.attach_host_kernels``), or leaves them compiling in memory.

Convolutions and average pooling have their own module, ``numba_conv.py``; its table is merged
into ``KERNELS`` here.
"""
from __future__ import annotations

import sys
import types
from typing import Callable, Optional

import numba
import numpy as np
from numba import prange

from graphc import switches
from graphc.codegen import numba_conv
from graphc.codegen.host import call_numpy, run_kernel
from graphc.ops.conv import _check_out_backprop, _pool_geometry
from graphc.ops.nn import _labels_one_hot_numpy
from graphc.toolchain import cache

_OPTIONS = dict(error_model="numpy", no_cfunc_wrapper=True)   # nothing takes their C address
_cache_attached = False
# work (output elements x window size) from which pooling runs its prange variant (read once)
PARALLEL_MIN = int(switches.NUMBA_PARALLEL_MIN.get() or 2 ** 22)


def _variants(fn: types.FunctionType) -> tuple:
    """(serial, parallel) njit dispatchers of ``fn``'s body (prange is range in the serial one).
    The serial one compiles a copy of ``fn`` named ``<name>_serial``: numba's disk cache names
    its files after the function and does not key them by ``parallel``, so the two must differ."""
    serial = types.FunctionType(fn.__code__, fn.__globals__, f"{fn.__name__}_serial", fn.__defaults__,
                                fn.__closure__)
    serial.__qualname__ = serial.__name__
    serial.__module__ = fn.__module__
    return numba.njit(**_OPTIONS)(serial), numba.njit(parallel=True, **_OPTIONS)(fn)


def _max_pool(x, kh, kw, sh, sw, top, left, out):
    # window taps outside, channels innermost: each tap is a contiguous row of channels (a vector
    # loop), where a per-channel window walk strode over the input (benchmarks/README.md, "Epilogues")
    n, h, w, c = x.shape
    _, oh, ow, _ = out.shape
    for b in prange(n):
        for p in range(oh):
            for q in range(ow):
                for ch in range(c):
                    out[b, p, q, ch] = -np.inf
                for i in range(kh):
                    r = p * sh + i - top
                    if r < 0 or r >= h:
                        continue
                    for j in range(kw):
                        s = q * sw + j - left
                        if s < 0 or s >= w:
                            continue
                        for ch in range(c):
                            v = x[b, r, s, ch]
                            best = out[b, p, q, ch]
                            # the first NaN wins (np.max propagates it)
                            if v > best or (v != v and best == best):
                                out[b, p, q, ch] = v


def _max_pool_grad(x, g, kh, kw, sh, sw, top, left, out):
    # np.argmax over each window, padding included as -inf: the first maximum, or the first NaN; a
    # window whose first maximum is padding drops its gradient. Taps outside, channels innermost
    # (contiguous), the running maximum and its tap per channel in a row of scratch; selects rather
    # than branches and one pass per tap to hand the gradient on, so every channel loop vectorizes
    # (1.6-2x faster than a branchy update and a per-channel scatter, benchmarks/README.md).
    n, h, w, c = x.shape
    _, oh, ow, _ = g.shape
    for b in prange(n):            # windows overlap only within one image: one thread per image
        best = np.empty(c, x.dtype)          # (``out`` comes zeroed)
        tap = np.empty(c, np.int64)          # the window tap of the maximum; -1: padding
        for p in range(oh):
            for q in range(ow):
                for k in range(kh * kw):
                    i = k // kw
                    r = p * sh + i - top
                    s = q * sw + (k - i * kw) - left
                    inside = r >= 0 and r < h and s >= 0 and s < w
                    if k == 0:
                        if inside:
                            for ch in range(c):
                                best[ch] = x[b, r, s, ch]
                                tap[ch] = 0
                        else:                 # padding first: -inf, beaten by any larger value
                            for ch in range(c):
                                best[ch] = -np.inf
                                tap[ch] = -1
                    elif inside:
                        for ch in range(c):
                            v = x[b, r, s, ch]
                            m = best[ch]
                            take = (v > m) | ((v != v) & (m == m))
                            best[ch] = v if take else m
                            tap[ch] = k if take else tap[ch]
                for k in range(kh * kw):
                    i = k // kw
                    r = p * sh + i - top
                    s = q * sw + (k - i * kw) - left
                    if r >= 0 and r < h and s >= 0 and s < w:
                        for ch in range(c):
                            out[b, r, s, ch] += g[b, p, q, ch] if tap[ch] == k else 0



# 2x2 windows at stride 2 that tile the input from its top-left corner (max_pooling2d(x, 2, 2)):
# each input element is in at most one window, so the gradient is written, not accumulated, in the
# same pass that finds each window's first maximum. Channels run in blocks of 16: a loop of
# constant trip count vectorizes whole, where LLVM runs a loop of a few dozen channels of unknown
# count scalar (its vector body waits for 4 vectors' worth); 3-4x faster than the general kernels
# on the CNN step's pools (benchmarks/README.md, 2026-12-02 night, "2x2 max pools").
LANES = 16


@numba.njit(inline="always", **_OPTIONS)
def _max4(x, b, r, s, ch):
    m = x[b, r, s, ch]
    v = x[b, r, s + 1, ch]
    m = v if (v > m) | ((v != v) & (m == m)) else m
    v = x[b, r + 1, s, ch]
    m = v if (v > m) | ((v != v) & (m == m)) else m
    v = x[b, r + 1, s + 1, ch]
    return v if (v > m) | ((v != v) & (m == m)) else m


@numba.njit(inline="always", **_OPTIONS)
def _route4(x, g, out, b, p, q, ch, zero):
    r, s = 2 * p, 2 * q
    m = x[b, r, s, ch]
    tap = 0
    v = x[b, r, s + 1, ch]
    take = (v > m) | ((v != v) & (m == m))
    m = v if take else m
    tap = 1 if take else tap
    v = x[b, r + 1, s, ch]
    take = (v > m) | ((v != v) & (m == m))
    m = v if take else m
    tap = 2 if take else tap
    v = x[b, r + 1, s + 1, ch]
    tap = 3 if (v > m) | ((v != v) & (m == m)) else tap
    gv = g[b, p, q, ch]
    out[b, r, s, ch] = gv if tap == 0 else zero
    out[b, r, s + 1, ch] = gv if tap == 1 else zero
    out[b, r + 1, s, ch] = gv if tap == 2 else zero
    out[b, r + 1, s + 1, ch] = gv if tap == 3 else zero


def _pool_2x2(x, windows, out, grad):
    # one loop over the windows ([n, oh, ow, c], one per element of ``windows``: the pooled shape)
    # for both directions; ``grad`` is the same for the whole call, so LLVM takes its branch out of
    # the loops (unswitching) and each direction's channel block vectorizes on its own
    n, oh, ow, c = windows.shape
    zero = np.zeros(1, out.dtype)[0]
    blocked = c - c % LANES
    for b in prange(n):
        for p in range(oh):
            for q in range(ow):
                for c0 in range(0, blocked, LANES):
                    for k in range(LANES):
                        if grad:
                            _route4(x, windows, out, b, p, q, c0 + k, zero)
                        else:
                            out[b, p, q, c0 + k] = _max4(x, b, 2 * p, 2 * q, c0 + k)
                for ch in range(blocked, c):
                    if grad:
                        _route4(x, windows, out, b, p, q, ch, zero)
                    else:
                        out[b, p, q, ch] = _max4(x, b, 2 * p, 2 * q, ch)


_max_pool_serial, _max_pool_parallel = _variants(_max_pool)
_max_pool_grad_serial, _max_pool_grad_parallel = _variants(_max_pool_grad)
_pool_2x2_serial, _pool_2x2_parallel = _variants(_pool_2x2)


def _pick(serial, parallel, out_size: int, window: int):
    return parallel if out_size * window >= PARALLEL_MIN else serial


def _tiles_2x2(in_hw: tuple, out_hw: tuple, ksize, strides, pads) -> bool:
    """Whether the windows are 2x2 at stride 2 from the top-left corner, every one inside the input."""
    return (tuple(ksize) == (2, 2) and tuple(strides) == (2, 2) and pads[0][0] == 0 and pads[1][0] == 0
            and 2 * out_hw[0] <= in_hw[0] and 2 * out_hw[1] <= in_hw[1])


@numba.njit(**_OPTIONS)
def _segment_sum(data, ids, out):
    for i in range(ids.shape[0]):       # in index order, as np.add.at
        j = ids[i]
        if j >= 0:                      # TF drops negative ids
            for k in range(data.shape[1]):
                out[j, k] += data[i, k]


def _segment_sum_kernel(data, ids, num):
    n = int(num)
    if ids.size and ids.max() >= n:
        raise ValueError(f"segment_ids {ids.max()} is out of range [0, {n})")
    tail = data.shape[ids.ndim:]
    out = np.zeros((n,) + tail, dtype=data.dtype)
    flat_ids = np.ascontiguousarray(ids).reshape(-1)
    width = int(np.prod(tail, dtype=np.int64))
    if flat_ids.size and width:
        _segment_sum(np.ascontiguousarray(data).reshape(flat_ids.size, width), flat_ids, out.reshape(n, width))
    return out


def _max_pool_kernel(x, ksize, strides, padding):
    out_hw, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding, "max_pool")
    x = np.ascontiguousarray(x)
    out = np.empty((x.shape[0], out_hw[0], out_hw[1], x.shape[3]), x.dtype)
    if out.size and _tiles_2x2(x.shape[1:3], out_hw, ksize, strides, pads):
        _pick(_pool_2x2_serial, _pool_2x2_parallel, out.size, 4)(x, out, out, False)   # (``out`` as the windows)
    elif out.size:
        run = _pick(_max_pool_serial, _max_pool_parallel, out.size, ksize[0] * ksize[1])
        run(x, ksize[0], ksize[1], strides[0], strides[1], pads[0][0], pads[1][0], out)
    return out


def _max_pool_grad_kernel(x, y, g, ksize, strides, padding):
    out_hw, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding, "max_pool")
    _check_out_backprop(g.shape, (x.shape[0], out_hw[0], out_hw[1], x.shape[3]), "MaxPoolGrad")
    x, g = np.ascontiguousarray(x), np.ascontiguousarray(g)
    if g.size and _tiles_2x2(x.shape[1:3], out_hw, ksize, strides, pads):
        covered = x.shape[1] == 2 * out_hw[0] and x.shape[2] == 2 * out_hw[1]
        out = (np.empty if covered else np.zeros)(x.shape, g.dtype)   # rows/columns past the last window: 0
        _pick(_pool_2x2_serial, _pool_2x2_parallel, g.size, 4)(x, g, out, True)
        return out
    out = np.zeros(x.shape, g.dtype)
    if g.size:
        run = _pick(_max_pool_grad_serial, _max_pool_grad_parallel, g.size, ksize[0] * ksize[1])
        run(x, g, ksize[0], ksize[1], strides[0], strides[1], pads[0][0], pads[1][0], out)
    return out


@numba.njit(**_OPTIONS)
def _one_hot_rows(labels, out):
    # row i of ``out`` is the one-hot of labels[i]; returns the first row whose label is outside
    # [0, depth) (the caller then raises the numpy kernel's error), or -1
    depth = out.shape[1]
    for i in range(labels.shape[0]):
        k = labels[i]
        if k < 0 or k >= depth:
            return i
        for j in range(depth):
            out[i, j] = 0
        out[i, k] = 1
    return -1


def _labels_one_hot_kernel(labels, logits):
    """SparseLabelsOneHot in one pass: the numpy kernel's comparison against ``arange(depth)`` and
    its range checks cost 5-9 small numpy calls, each slowed by the cold caches a matmul leaves."""
    labels = np.asarray(labels)
    if labels.shape != logits.shape[:-1]:
        return _labels_one_hot_numpy(labels, logits)      # raises its shape error
    depth = logits.shape[-1]
    out = np.empty(logits.shape, logits.dtype)
    if labels.size:                                       # (a label with depth 0 is out of range)
        flat = np.ascontiguousarray(labels).reshape(-1)
        if _one_hot_rows(flat, out.reshape(flat.size, depth)) >= 0:
            return _labels_one_hot_numpy(labels, logits)  # raises its range error
    return out


TILE = 32          # a transpose's square tiles: a tile's rows and columns stay in L1 while it is copied
TRANSPOSE_MIN = 2 ** 14     # elements from which a matrix transpose is copied tile by tile


@numba.njit(**_OPTIONS)
def _transpose_tiles(x, out):
    rows, cols = x.shape
    for i0 in range(0, rows, TILE):
        for j0 in range(0, cols, TILE):
            for i in range(i0, min(i0 + TILE, rows)):        # reads along rows: contiguous
                for j in range(j0, min(j0 + TILE, cols)):
                    out[j, i] = x[i, j]


def _transpose_kernel(x, perm):
    """Transpose; a large float matrix's is copied in square tiles (numpy's copy of the transposed
    view walks one side with a large stride: 1.0 ms for a 320x1024 float32 weight, the LSTM's
    hoisted transpose, against 0.25-0.28 here; the same tiles walked down columns took 1.07). Other
    transposes are numpy's view."""
    x = np.asarray(x)
    swaps = perm is None or tuple(int(p) for p in np.reshape(perm, -1)) == (1, 0)    # None: reversed dims
    if x.ndim != 2 or x.size < TRANSPOSE_MIN or not swaps:
        return np.transpose(x, perm)
    out = np.empty((x.shape[1], x.shape[0]), x.dtype)
    _transpose_tiles(x, out)
    return out


def _float32_or_64(x) -> bool:
    return np.asarray(x).dtype in (np.float32, np.float64)


def _int_labels_float_logits(labels, logits) -> bool:
    return np.asarray(labels).dtype.kind == "i" and _float32_or_64(logits)


def _floats(*arrays) -> bool:
    return all(np.asarray(a).dtype.kind == "f" for a in arrays)


def _float_data_int_ids(data, ids, num) -> bool:
    return np.asarray(data).dtype.kind == "f" and np.asarray(ids).dtype.kind == "i"


# op type -> (which inputs it takes, kernel with the numpy kernel's signature: inputs, then attrs)
KERNELS: dict = {"MaxPool": (_floats, _max_pool_kernel), "MaxPoolGrad": (_floats, _max_pool_grad_kernel),
                 "UnsortedSegmentSum": (_float_data_int_ids, _segment_sum_kernel),
                 "SparseLabelsOneHot": (_int_labels_float_logits, _labels_one_hot_kernel),
                 "Transpose": (_float32_or_64, _transpose_kernel), **numba_conv.KERNELS}


def kernel_for(op_type: str) -> Optional[Callable]:
    """The njit-backed kernel for ``op_type``, or None when its numpy kernel is used."""
    entry = KERNELS.get(op_type)
    return entry[1] if entry else None


def attach_caches() -> None:
    """Gives the njit kernels of this module and ``numba_conv`` their signed disk caches (once)."""
    global _cache_attached
    if not _cache_attached:
        _cache_attached = True
        cache.attach_host_kernels(sys.modules[__name__])
        cache.attach_host_kernels(numba_conv)


def call(node, args: list, state) -> list:
    """``node``'s outputs from its njit kernel when there is one, else from its numpy kernel."""
    entry = KERNELS.get(node.type)
    if entry is None or not entry[0](*args):
        return call_numpy(node, args, state)
    attach_caches()
    return run_kernel(node, args, lambda: entry[1](*args, **node.attrs))
