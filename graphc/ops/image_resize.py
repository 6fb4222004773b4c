"""Image resizing ops with TF1's sampling conventions: ``ResizeBilinear``, ``ResizeNearestNeighbor``,
``ResizeBicubic`` and the gradients of the first two (``ResizeBilinearGrad``,
``ResizeNearestNeighborGrad``; bicubic's gradient is ``ResizeBicubicGrad``), and ``ResizeArea`` (each
output pixel the mean of the input area it covers, fractional pixels weighted by the part covered;
TF1 defines no gradient for it and neither does graphc: ``tf.gradients`` raises LookupError).

Each op takes NHWC ``images`` and an int32 ``size`` [new_height, new_width] and has the attrs
``align_corners`` and ``half_pixel_centers`` (TF1's: the scale is (in - 1) / (out - 1) with
align_corners, else in / out; half-pixel centers sample at (i + 0.5) * scale - 0.5). Every resize is
separable: each output row/column is a weighted sum of input rows/columns, so the kernels build the
two weight matrices (float32 coordinates, as TF1's kernels) and the gradients apply their
transposes. The ops are opaque: every backend runs the numpy kernels as host steps.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops.core import OpDef, apply, constant_value, register
from graphc.shape import TensorShape

_TABLE = 1024


def _scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    if align_corners and out_size > 1:
        return np.float32((in_size - 1) / (out_size - 1))
    return np.float32(in_size / out_size)


def _bilinear_weights(in_size: int, out_size: int, align: bool, half: bool) -> np.ndarray:
    scale = _scale(in_size, out_size, align)
    i = np.arange(out_size, dtype=np.float32)
    src = (i + np.float32(0.5)) * scale - np.float32(0.5) if half else i * scale
    floor = np.floor(src)
    lower = np.maximum(floor.astype(np.int64), 0)
    upper = np.minimum(np.ceil(src).astype(np.int64), in_size - 1)
    lerp = (src - floor).astype(np.float32)
    w = np.zeros((out_size, in_size), np.float32)
    rows = np.arange(out_size)
    np.add.at(w, (rows, lower), np.float32(1) - lerp)
    np.add.at(w, (rows, upper), lerp)
    return w


def _nearest_index(in_size: int, out_size: int, align: bool, half: bool) -> np.ndarray:
    scale = _scale(in_size, out_size, align)
    i = np.arange(out_size, dtype=np.float32)
    src = (i + np.float32(0.5)) * scale if half else i * scale
    idx = np.floor(src + np.float32(0.5)) if align else np.floor(src)     # roundf: src >= 0 here
    idx = np.minimum(idx.astype(np.int64), in_size - 1)
    return np.maximum(idx, 0)


def _nearest_weights(in_size: int, out_size: int, align: bool, half: bool) -> np.ndarray:
    w = np.zeros((out_size, in_size), np.float32)
    w[np.arange(out_size), _nearest_index(in_size, out_size, align, half)] = 1.0
    return w


def _cubic_table(a: float) -> np.ndarray:
    """TF1's table of Keys cubic coefficients at 1/1024 steps (``GetCoeffsTable``), in float32."""
    table = np.zeros((_TABLE + 1, 2), np.float32)
    for i in range(_TABLE + 1):
        x = np.float32(i * 1.0 / _TABLE)
        table[i, 0] = ((np.float32(a + 2) * x - np.float32(a + 3)) * x * x + np.float32(1))
        x = x + np.float32(1.0)
        table[i, 1] = ((np.float32(a) * x - np.float32(5 * a)) * x + np.float32(8 * a)) * x - np.float32(4 * a)
    return table


_TABLES = {False: _cubic_table(-0.75), True: _cubic_table(-0.5)}


def _bicubic_weights(in_size: int, out_size: int, align: bool, half: bool) -> np.ndarray:
    scale = _scale(in_size, out_size, align)
    table = _TABLES[half]
    w = np.zeros((out_size, in_size), np.float32)
    for i in range(out_size):
        src = (np.float32(i) + np.float32(0.5)) * scale - np.float32(0.5) if half else np.float32(i) * scale
        base = int(np.floor(src))
        offset = int(np.rint((src - np.float32(base)) * np.float32(_TABLE)))
        coeffs = [table[offset, 1], table[offset, 0], table[_TABLE - offset, 0], table[_TABLE - offset, 1]]
        taps = [base - 1, base, base + 1, base + 2]
        bounded = [min(max(t, 0), in_size - 1) for t in taps]
        if half:      # Keys: taps outside the image weigh 0 and the rest are renormalized
            coeffs = [c if b == t else np.float32(0) for c, b, t in zip(coeffs, bounded, taps)]
            total = np.float32(sum(coeffs))
            if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
                coeffs = [c * (np.float32(1) / total) for c in coeffs]
        for c, b in zip(coeffs, bounded):
            w[i, b] += c
    return w


def _area_weights(in_size: int, out_size: int, align: bool, half: bool) -> np.ndarray:
    """TF1's ``ResizeArea`` coverage along one axis (float32 as its kernel): input pixel ``i`` weighs
    the length of [i, i + 1) inside output pixel ``o``'s span [o * scale, (o + 1) * scale),
    pixels past the edge folded onto the last one. The 1 / scale normalization is applied later."""
    scale = _scale(in_size, out_size, align)
    w = np.zeros((out_size, in_size), np.float32)
    for o in range(out_size):
        lo, hi = np.float32(o) * scale, np.float32(o + 1) * scale
        for i in range(int(np.floor(lo)), int(np.ceil(hi))):
            right = np.float32(i + 1)
            if i < lo:
                cover = scale if right > hi else right - lo
            else:
                cover = hi - np.float32(i) if right > hi else np.float32(1)
            w[o, min(max(i, 0), in_size - 1)] += cover
    return w


def _area_numpy(images, size, align_corners=False):
    out_h, out_w = _size_of(size, "ResizeArea")
    _, in_h, in_w, _ = images.shape
    norm = np.float32(1.0 / np.float64(_scale(in_h, out_h, align_corners) * _scale(in_w, out_w, align_corners)))
    wh = _area_weights(in_h, out_h, align_corners, False)
    ww = _area_weights(in_w, out_w, align_corners, False)
    return (_apply_weights(images.astype(np.float32), wh, ww) * norm).astype(np.float32)


def _no_area_gradient(op, g):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: ResizeArea), as in TF1. Use "
                      "tf.stop_gradient if its input needs none, or a differentiable resize (bilinear, bicubic).")


_WEIGHTS: dict = {"ResizeBilinear": _bilinear_weights, "ResizeNearestNeighbor": _nearest_weights,
                  "ResizeBicubic": _bicubic_weights}


def resize_weights(op_type: str, in_size: int, out_size: int, align_corners: bool,
                   half_pixel_centers: bool) -> np.ndarray:
    """The [out_size, in_size] float32 matrix that resizes one axis as ``op_type`` does (each output
    row/column a weighted sum of input ones); the ONNX exporter writes bicubic resizes with it."""
    return _WEIGHTS[op_type](in_size, out_size, align_corners, half_pixel_centers)


def area_weights(in_size: int, out_size: int, align_corners: bool) -> np.ndarray:
    """``ResizeArea``'s [out_size, in_size] float32 matrix for one axis, normalized by that axis' scale
    (the kernel normalizes by both scales at once: the two agree to float32 rounding); the ONNX
    exporter writes area resizes with it."""
    scale = np.float64(_scale(in_size, out_size, align_corners))
    return (_area_weights(in_size, out_size, align_corners, False) / scale).astype(np.float32)


def _apply_weights(x: np.ndarray, wh: np.ndarray, ww: np.ndarray) -> np.ndarray:
    return np.einsum("ip,bpqc,jq->bijc", wh, x, ww, optimize=True)


def _check_attrs(align: bool, half: bool, fn: str) -> None:
    if align and half:
        raise ValueError(f"{fn}: if half_pixel_centers is True, align_corners must be False.")


def _size_of(size: np.ndarray, fn: str) -> tuple:
    size = np.asarray(size).reshape(-1)
    if size.shape != (2,) or np.any(size <= 0):
        raise ValueError(f"{fn}: size must be 2 positive ints [new_height, new_width], got {size.tolist()}")
    return int(size[0]), int(size[1])


def _resize_numpy(op_type: str) -> Callable:
    def numpy(images, size, align_corners=False, half_pixel_centers=False):
        out_h, out_w = _size_of(size, op_type)
        _, in_h, in_w, _ = images.shape
        if op_type == "ResizeNearestNeighbor":
            iy = _nearest_index(in_h, out_h, align_corners, half_pixel_centers)
            ix = _nearest_index(in_w, out_w, align_corners, half_pixel_centers)
            return images[:, iy][:, :, ix].copy()
        weights = _WEIGHTS[op_type]
        wh = weights(in_h, out_h, align_corners, half_pixel_centers)
        ww = weights(in_w, out_w, align_corners, half_pixel_centers)
        return _apply_weights(images.astype(np.float32), wh, ww).astype(np.float32)
    return numpy


def _resize_grad_numpy(op_type: str) -> Callable:
    def numpy(grads, original, align_corners=False, half_pixel_centers=False):
        _, in_h, in_w, _ = original.shape
        _, out_h, out_w, _ = grads.shape
        weights = _WEIGHTS[op_type]
        wh = weights(in_h, out_h, align_corners, half_pixel_centers)
        ww = weights(in_w, out_w, align_corners, half_pixel_centers)
        return _apply_weights(grads.astype(np.float64), wh.T.astype(np.float64), ww.T.astype(np.float64)
                              ).astype(original.dtype)
    return numpy


def _infer(op_type: str) -> Callable:
    def infer(inputs, attrs):
        images, size = inputs
        _check_attrs(attrs.get("align_corners", False), attrs.get("half_pixel_centers", False), op_type)
        if images.shape.ndims not in (None, 4):
            raise ValueError(f"{op_type}: images {images.name} must be 4-D [batch, height, width, channels], "
                             f"got shape {images.shape}")
        if not size.dtype.is_integer or size.shape.ndims not in (None, 1):
            raise ValueError(f"{op_type}: size {size.name} must be a 1-D int32 tensor [new_height, new_width]")
        known = constant_value(size)
        hw = [None, None] if known is None else [int(v) for v in _size_of(known, op_type)]
        dims = images.shape.as_tuple() or (None, None, None, None)
        dtype = images.dtype if op_type == "ResizeNearestNeighbor" else dtypes.float32
        return [(dtype, TensorShape([dims[0], *hw, dims[3]]))]
    return infer


def _grad_infer(inputs, attrs):
    return [(inputs[1].dtype, inputs[1].shape)]


def _resize_grad(grad_type: str) -> Callable:
    def grad(op, g):
        attrs = {"align_corners": op.attrs["align_corners"], "half_pixel_centers": op.attrs["half_pixel_centers"]}
        return [apply(grad_type, [g, op.inputs[0]], attrs, name=grad_type), None]
    return grad


for _op, _grad_op in (("ResizeBilinear", "ResizeBilinearGrad"), ("ResizeNearestNeighbor", "ResizeNearestNeighborGrad"),
                      ("ResizeBicubic", "ResizeBicubicGrad")):
    register(OpDef(_op, "opaque", infer=_infer(_op), numpy=_resize_numpy(_op), grad=_resize_grad(_grad_op),
                   meta_inputs=frozenset({1})))
    register(OpDef(_grad_op, "opaque", infer=_grad_infer, numpy=_resize_grad_numpy(_op),
                   differentiable=False))


register(OpDef("ResizeArea", "opaque", infer=_infer("ResizeArea"), numpy=_area_numpy, grad=_no_area_gradient,
               meta_inputs=frozenset({1})))


def resize(op_type: str, images: Tensor, size: Any, align_corners: bool, half_pixel_centers: bool,
           name: Any) -> Tensor:
    """Builds ``op_type`` on 4-D ``images`` (callers in graphc/image convert and check arguments)."""
    _check_attrs(align_corners, half_pixel_centers, op_type)
    attrs = {"align_corners": bool(align_corners)}
    if op_type != "ResizeArea":                   # TF1's ResizeArea has no half_pixel_centers
        attrs["half_pixel_centers"] = bool(half_pixel_centers)
    return apply(op_type, [images, size], attrs, name=name or op_type)


__all__: list = []
