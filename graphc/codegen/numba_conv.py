"""Compiled convolutions and average pooling for the Numba backend (entries of ``numba_host.KERNELS``).

``Conv2D``, ``Conv2DBackpropInput`` and ``Conv2DBackpropFilter`` (NHWC, SAME/VALID, strides,
dilations) and ``AvgPool``/``AvgPoolGrad`` run here instead of their numpy kernels in
``graphc.ops.conv``, which stay the reference: same geometry (``_geometry``), same checks in the
same order (same errors), same values within float rounding (sums are reassociated).

Each convolution is an im2col + one BLAS matmul: an njit kernel copies each output pixel's
window into a row of ``cols`` [N*oh*ow, kh*kw*C] (zeros for padding), then numpy's BLAS (its own
threads, or one thread for a product under ``GRAPHC_BLAS_SERIAL_MAX``: ``ops/blas_threads.py``)
multiplies it by the filter [kh*kw*C, F] (forward), or ``dy`` by the filter's transpose
(input gradient: the product is scattered back by ``col2im``), or ``cols.T`` by ``dy`` (filter
gradient; an input of 2 to ``SHALLOW_CHANNELS - 1`` channels runs the numpy kernel, whose
strided tensordot was faster there; one channel has its own, transposed, im2col, which beats it). A direct loop nest (output channels innermost) was measured
too and lost to im2col at every shape of the ``cnn_step`` workload and at batch 8, for the
forward pass and the input gradient (benchmarks/README.md, "Compiled convolutions").

The njit kernels are serial: the copies are memory-bound, and on the shared 2-core machine
measured, prange variants (workqueue or OpenMP threads next to OpenBLAS's) made the CNN step's p25
2-3x slower (benchmarks/README.md, "Compiled convolutions").

Float32 and float64 only (one dtype for every float input); other dtypes run the numpy kernel.
The njit functions get signed caches next to ``numba_host``'s (``cache.attach_host_kernels``).
"""
from __future__ import annotations

from typing import Optional

import numba
import numpy as np

from graphc.ops import blas_threads
from graphc.ops.conv import (_backprop_filter_numpy, _check_out_backprop, _check_valid_fits, _geometry,
                             _pool_geometry)

_OPTIONS = dict(error_model="numpy", no_cfunc_wrapper=True)   # serial: see the module docstring
SHALLOW_CHANNELS = 4          # from 2 channels to below this depth the numpy filter gradient is faster (README)


# ------------------------------------------------------------------------------------------------
# njit kernels (geometry: strides sh, sw; dilations dh, dw; top/left padding)

@numba.njit(**_OPTIONS)
def _im2col_single_channel(x, kh, kw, sh, sw, dh, dw, top, left, oh, ow, cols_t):
    # one channel: the transposed matrix [kh*kw, N*oh*ow], tap by tap, so each output row's window
    # column is a contiguous run of one input row; each run is read through a slice that starts at
    # its first valid element (an index that may be negative costs a wraparound select per element
    # and stops the copy vectorizing). 0.23 ms for the CNN step's 64x28x28x1 input, 0.7 ms as rows.
    n, h, wd, _ = x.shape
    rows = x.reshape(n * h, wd)
    for i in range(kh):
        for j in range(kw):
            dst_row = cols_t[i * kw + j]
            off = j * dw - left                       # the input column of output column q: q * sw + off
            lo = 0 if off >= 0 else min((sw - 1 - off) // sw, ow)
            hi = max(min((wd - 1 - off) // sw + 1, ow), lo)
            m0 = 0
            for b in range(n):
                for p in range(oh):
                    r = p * sh + i * dh - top
                    if r < 0 or r >= h:
                        dst_row[m0:m0 + ow] = 0
                    else:
                        dst_row[m0:m0 + lo] = 0
                        src = rows[b * h + r, lo * sw + off:]
                        dst = dst_row[m0 + lo:]
                        if sw == 1:
                            for q in range(hi - lo):
                                dst[q] = src[q]
                        else:
                            for q in range(hi - lo):
                                dst[q] = src[q * sw]
                        dst_row[m0 + hi:m0 + ow] = 0
                    m0 += ow


@numba.njit(**_OPTIONS)
def _im2col(x, kh, kw, sh, sw, dh, dw, top, left, oh, ow, cols):
    n, h, wd, c = x.shape
    for bp in range(n * oh):
        b = bp // oh
        p = bp % oh
        for q in range(ow):
            m = bp * ow + q
            for i in range(kh):
                r = p * sh + i * dh - top
                for j in range(kw):
                    s = q * sw + j * dw - left
                    base = (i * kw + j) * c
                    if r >= 0 and r < h and s >= 0 and s < wd:
                        for ch in range(c):
                            cols[m, base + ch] = x[b, r, s, ch]
                    else:
                        for ch in range(c):
                            cols[m, base + ch] = 0


@numba.njit(**_OPTIONS)
def _col2im(dcols, kh, kw, sh, sw, dh, dw, top, left, oh, ow, dx):
    n, h, wd, c = dx.shape
    for b in range(n):               # image by image: windows overlap only within one
        for p in range(oh):
            for q in range(ow):
                m = (b * oh + p) * ow + q
                for i in range(kh):
                    r = p * sh + i * dh - top
                    if r < 0 or r >= h:
                        continue
                    for j in range(kw):
                        s = q * sw + j * dw - left
                        if s < 0 or s >= wd:
                            continue
                        base = (i * kw + j) * c
                        for ch in range(c):
                            dx[b, r, s, ch] += dcols[m, base + ch]


@numba.njit(**_OPTIONS)
def _avg_pool(x, kh, kw, sh, sw, top, left, out):
    n, h, wd, c = x.shape
    _, oh, ow, _ = out.shape
    for bp in range(n * oh):
        b = bp // oh
        p = bp % oh
        r0 = max(p * sh - top, 0)
        r1 = min(p * sh - top + kh, h)
        for q in range(ow):
            s0 = max(q * sw - left, 0)
            s1 = min(q * sw - left + kw, wd)
            count = (r1 - r0) * (s1 - s0)
            for ch in range(c):
                out[b, p, q, ch] = 0
            for r in range(r0, r1):
                for s in range(s0, s1):
                    for ch in range(c):
                        out[b, p, q, ch] += x[b, r, s, ch]
            for ch in range(c):
                out[b, p, q, ch] /= count


@numba.njit(**_OPTIONS)
def _avg_pool_grad(g, kh, kw, sh, sw, top, left, dx):
    n, h, wd, c = dx.shape
    _, oh, ow, _ = g.shape
    for b in range(n):
        for p in range(oh):
            r0 = max(p * sh - top, 0)
            r1 = min(p * sh - top + kh, h)
            for q in range(ow):
                s0 = max(q * sw - left, 0)
                s1 = min(q * sw - left + kw, wd)
                count = (r1 - r0) * (s1 - s0)
                for r in range(r0, r1):
                    for s in range(s0, s1):
                        for ch in range(c):
                            dx[b, r, s, ch] += g[b, p, q, ch] / count


# ------------------------------------------------------------------------------------------------
# kernels with the numpy kernels' signatures and checks

def _cols(x: np.ndarray, k_hw: tuple, strides: tuple, dilations: tuple, out_hw: tuple, pads: tuple,
          scratch: Optional[np.ndarray] = None) -> np.ndarray:
    """The im2col matrix [N*oh*ow, kh*kw*C] of NHWC ``x`` (window taps row-major, channel innermost);
    of one channel, the transpose of a C array (BLAS reads either layout). Written into the start of
    flat ``scratch`` when it is given, of ``x``'s dtype and big enough."""
    n, c = x.shape[0], x.shape[3]
    rows, width = n * out_hw[0] * out_hw[1], k_hw[0] * k_hw[1] * c
    single = c == 1
    shape = (width, rows) if single else (rows, width)
    if scratch is not None and scratch.dtype == x.dtype and scratch.size >= rows * width:
        cols = scratch[:rows * width].reshape(shape)
    else:
        cols = np.empty(shape, x.dtype)
    if cols.size:
        fill = _im2col_single_channel if single else _im2col
        fill(x, k_hw[0], k_hw[1], strides[0], strides[1], dilations[0], dilations[1], pads[0][0], pads[1][0],
             out_hw[0], out_hw[1], cols)
    return cols.T if single else cols


def conv2d_output_shape(x_shape: tuple, w_shape: tuple, strides, dilations, padding) -> tuple:
    """``Conv2D``'s output shape for these input shapes, after the numpy kernel's checks (ValueError)."""
    if padding == "VALID":
        _check_valid_fits(x_shape[1:3], w_shape[:2], dilations, "conv2d")
    out_hw, _ = _geometry(x_shape[1:3], w_shape[:2], strides, dilations, padding)
    if x_shape[3] != w_shape[2]:
        raise ValueError(f"conv2d: input depth {x_shape[3]} does not match filter input depth {w_shape[2]}")
    return (x_shape[0], out_hw[0], out_hw[1], w_shape[3])


def conv2d_into(x, w, out, strides, dilations, padding, scratch: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
    """Writes ``Conv2D(x, w)`` into ``out`` (C-contiguous, of ``conv2d_output_shape``): the product
    a compiled epilogue (bias, activation) then reads in place (``numba_steps.CompiledStep``).
    Returns the im2col matrix it multiplied (None when there was none; in ``scratch`` when that
    fits, see ``_cols``), which the filter gradient of the same input and geometry may take as its ``cols``."""
    kh, kw, c, f = w.shape
    if out.size == 0:
        return None
    if c == 0:
        out[...] = 0
        return None
    _, pads = _geometry(x.shape[1:3], w.shape[:2], strides, dilations, padding)
    cols = _cols(np.ascontiguousarray(x), (kh, kw), strides, dilations, out.shape[1:3], pads, scratch)
    blas_threads.matmul(cols, np.ascontiguousarray(w).reshape(kh * kw * c, f), out=out.reshape(cols.shape[0], f))
    return cols


def conv2d(x, w, strides, dilations, padding):
    """``Conv2D``'s kernel (the numpy kernel's checks and values)."""
    shape = conv2d_output_shape(x.shape, w.shape, strides, dilations, padding)
    out = np.empty(shape, x.dtype)
    conv2d_into(x, w, out, strides, dilations, padding)
    return out


def conv2d_backprop_input(sizes, w, dy, strides, dilations, padding):
    """``Conv2DBackpropInput``'s kernel: the gradient of a convolution with respect to its input."""
    n, h, wd, c = (int(d) for d in sizes)
    out_hw, pads = _geometry((h, wd), w.shape[:2], strides, dilations, padding)
    _check_out_backprop(dy.shape, (n, out_hw[0], out_hw[1], w.shape[3]), "Conv2DBackpropInput")
    kh, kw, _, f = w.shape
    dx = np.zeros((n, h, wd, c), dy.dtype)
    if dy.size == 0 or dx.size == 0:
        return dx
    w, dy = np.ascontiguousarray(w, dy.dtype), np.ascontiguousarray(dy)
    dcols = blas_threads.matmul(dy.reshape(-1, f), w.reshape(kh * kw * c, f).T)
    _col2im(dcols, kh, kw, strides[0], strides[1], dilations[0], dilations[1], pads[0][0], pads[1][0],
            out_hw[0], out_hw[1], dx)
    return dx


def conv2d_backprop_filter(x, sizes, dy, strides, dilations, padding, cols: Optional[np.ndarray] = None):
    """``Conv2DBackpropFilter``'s kernel: ``cols.T @ dy``, the gradient with respect to the filter.
    ``cols``: the im2col matrix of ``x`` at this geometry, when the convolution already made it."""
    kh, kw, c, f = (int(d) for d in sizes)
    out_hw, pads = _geometry(x.shape[1:3], (kh, kw), strides, dilations, padding)
    _check_out_backprop(dy.shape, (x.shape[0], out_hw[0], out_hw[1], f), "Conv2DBackpropFilter")
    if dy.size == 0 or x.shape[3] == 0:
        return np.zeros((kh, kw, c, f), x.dtype)
    if 1 < x.shape[3] < SHALLOW_CHANNELS:   # its tensordot on one BLAS thread when small, like a matmul's
        return blas_threads.run_sized(dy.size * kh * kw * c,
                                      lambda: _backprop_filter_numpy(x, sizes, dy, strides, dilations, padding))
    want = (x.shape[0] * out_hw[0] * out_hw[1], kh * kw * c)
    if cols is None or cols.shape != want or cols.dtype != x.dtype:
        cols = _cols(np.ascontiguousarray(x), (kh, kw), strides, dilations, out_hw, pads)
    dw = blas_threads.matmul(cols.T, np.ascontiguousarray(dy, x.dtype).reshape(-1, f))
    return dw.reshape(kh, kw, c, f)


def avg_pool(x, ksize, strides, padding):
    """``AvgPool``'s kernel: SAME windows average only their elements inside the input."""
    out_hw, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding, "avg_pool")
    out = np.empty((x.shape[0], out_hw[0], out_hw[1], x.shape[3]), x.dtype)
    if out.size:
        _avg_pool(np.ascontiguousarray(x), ksize[0], ksize[1], strides[0], strides[1], pads[0][0], pads[1][0], out)
    return out


def avg_pool_grad(sizes, g, ksize, strides, padding):
    """``AvgPoolGrad``'s kernel: each window's gradient shared among its elements inside the input."""
    n, h, w, c = (int(d) for d in sizes)
    out_hw, pads = _pool_geometry((h, w), ksize, strides, padding, "AvgPoolGrad")
    _check_out_backprop(g.shape, (n, out_hw[0], out_hw[1], c), "AvgPoolGrad")
    dx = np.zeros((n, h, w, c), g.dtype)
    if g.size:
        _avg_pool_grad(np.ascontiguousarray(g), ksize[0], ksize[1], strides[0], strides[1], pads[0][0],
                       pads[1][0], dx)
    return dx


# ------------------------------------------------------------------------------------------------
# which inputs each kernel takes, and the table numba_host merges into KERNELS

_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _one_blas_float(*arrays) -> bool:
    dtypes = {np.asarray(a).dtype for a in arrays}
    return len(dtypes) == 1 and dtypes.pop() in _BLAS_FLOATS


def _float_pair(x, w) -> bool:
    return _one_blas_float(x, w)


def _sizes_then_floats(sizes, *floats) -> bool:
    return _one_blas_float(*floats)


def _floats_sizes_float(x, sizes, dy) -> bool:
    return _one_blas_float(x, dy)


def _pool_floats(x) -> bool:
    return _one_blas_float(x)


# op type -> (which inputs it takes, kernel with the numpy kernel's signature: inputs, then attrs)
KERNELS: dict = {
    "Conv2D": (_float_pair, conv2d),
    "Conv2DBackpropInput": (_sizes_then_floats, conv2d_backprop_input),
    "Conv2DBackpropFilter": (_floats_sizes_float, conv2d_backprop_filter),
    "AvgPool": (_pool_floats, avg_pool),
    "AvgPoolGrad": (_sizes_then_floats, avg_pool_grad),
}
