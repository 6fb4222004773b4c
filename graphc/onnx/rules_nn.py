"""ONNX rules for convolutions, pooling and image ops (``table.py`` joins them with the others).

Images are NHWC in graphc and NCHW in ONNX: a convolution, pooling or resize is written between two
``Transpose`` nodes. TensorFlow's compositions need no rule: ``conv1d`` is a ``Conv2D`` over a unit
height, ``atrous_conv2d`` a dilated ``Conv2D``, ``separable_conv2d`` a depthwise then a 1x1
``Conv2D``, ``local_response_normalization`` squares, a padded window sum and a power; crops and
pads are slices and ``Pad``, flips ``ReverseV2``.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from graphc.graph import Operation
from graphc.onnx.emitter import Emitter, UnsupportedOpError
from graphc.ops.core import constant_value
from graphc.ops.image_resize import area_weights, resize_weights
from graphc.onnx.rules import _INT64_MIN, _as_int64, _rank, _static_input

_TO_NCHW, _TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def _auto_pad(op: Operation) -> str:
    return {"SAME": "SAME_UPPER", "VALID": "VALID"}[op.attrs["padding"]]   # TF puts SAME's odd pixel at the end


def _conv_padding(op: Operation, k_hw: tuple) -> dict:
    """Explicit pads when the input's height and width are known (onnxruntime takes no auto_pad SAME with
    dilations); TF's SAME puts the odd pixel at the end."""
    dims = op.inputs[0].shape.as_tuple()
    hw = None if dims is None or len(dims) != 4 else dims[1:3]
    if op.attrs["padding"] == "VALID" or hw is None or None in hw:
        if op.attrs["padding"] == "SAME" and any(d != 1 for d in op.attrs["dilations"]):
            raise UnsupportedOpError(f"Operation {op.name} ({op.type}): SAME padding with dilations needs the input's "
                                     f"height and width ({op.inputs[0].name} has shape {op.inputs[0].shape}); give "
                                     "the placeholder a static height and width")
        return {"auto_pad": _auto_pad(op)}
    begins, ends = [], []
    for size, k, s, d in zip(hw, k_hw, op.attrs["strides"], op.attrs["dilations"]):
        total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
        begins.append(total // 2), ends.append(total - total // 2)
    return {"pads": begins + ends}


def _nchw(e: Emitter, op: Operation, onnx_type: str, inputs: list, **attrs: Any) -> None:
    """``onnx_type`` on NCHW data between transposes from and back to graphc's NHWC."""
    x = e.node("Transpose", [inputs[0]], op, "to_nchw", perm=_TO_NCHW)
    y = e.node(onnx_type, [x, *inputs[1:]], op, onnx_type.lower(), **attrs)
    e.node("Transpose", [y], op, outputs=[e.out(op)], perm=_TO_NHWC)


def _conv2d(e: Emitter, op: Operation) -> None:
    w = e.node("Transpose", [e.inp(op, 1)], op, "filter_oihw", perm=[3, 2, 0, 1])
    k_hw = (op.inputs[1].shape.as_tuple() or (None, None))[:2]
    _nchw(e, op, "Conv", [e.inp(op), w], strides=list(op.attrs["strides"]), dilations=list(op.attrs["dilations"]),
          **_conv_padding(op, k_hw))


def _known_dims(op: Operation, t: Any, what: str, skip_batch: bool = False) -> tuple:
    """``t``'s static dims (the batch may be unknown when ``skip_batch``)."""
    dims = t.shape.as_tuple()
    if dims is None or None in dims[int(skip_batch):]:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): {what} {t.name} has shape {t.shape}; its dims"
                                 f"{' after the batch' if skip_batch else ''} must be known to write it as ONNX")
    return dims


def _depthwise(e: Emitter, op: Operation) -> None:
    """ONNX's grouped Conv with one group per input channel; TF's filter [kh, kw, C, mult] gives output
    channel c * mult + k, which is the order of ONNX's [C * mult, 1, kh, kw] filter."""
    kh, kw, c, mult = _known_dims(op, op.inputs[1], "the filter")
    flat = e.node("Reshape", [e.inp(op, 1), e.int64s([kh, kw, 1, c * mult], op, "filter_shape")], op, "filter_flat")
    w = e.node("Transpose", [flat], op, "filter_oihw", perm=[3, 2, 0, 1])
    _nchw(e, op, "Conv", [e.inp(op), w], strides=list(op.attrs["strides"]), dilations=list(op.attrs["dilations"]),
          group=c, **_conv_padding(op, (kh, kw)))


def _conv2d_transpose(e: Emitter, op: Operation) -> None:
    """``Conv2DBackpropInput`` (``conv2d_transpose``) as ONNX's ConvTranspose: TF's output is the full
    transposed convolution cropped by the forward convolution's padding, which ONNX's explicit pads
    and output_padding say (auto_pad would need the output shape as an attr)."""
    out_dims = _known_dims(op, op.outputs[0], "the output", skip_batch=True)
    kh, kw = _known_dims(op, op.inputs[1], "the filter")[:2]
    begins, ends, extra = [], [], []
    for size, k, s, d in zip(out_dims[1:3], (kh, kw), op.attrs["strides"], op.attrs["dilations"]):
        span = (k - 1) * d + 1
        n_in = -(-size // s) if op.attrs["padding"] == "SAME" else (size - span) // s + 1
        full = (n_in - 1) * s + span
        before = max(full - size, 0) // 2 if op.attrs["padding"] == "SAME" else 0
        after = full - before - size
        begins.append(before), ends.append(max(after, 0)), extra.append(max(-after, 0))
    w = e.node("Transpose", [e.inp(op, 1)], op, "filter_iohw", perm=[3, 2, 0, 1])
    _nchw(e, op, "ConvTranspose", [e.inp(op, 2), w], strides=list(op.attrs["strides"]),
          dilations=list(op.attrs["dilations"]), pads=begins + ends, output_padding=extra, kernel_shape=[kh, kw])


def _pool(onnx_type: str, **extra: Any) -> Callable:
    def rule(e: Emitter, op: Operation) -> None:
        _nchw(e, op, onnx_type, [e.inp(op)], auto_pad=_auto_pad(op), kernel_shape=list(op.attrs["ksize"]),
              strides=list(op.attrs["strides"]), **extra)
    return rule


# images ----------------------------------------------------------------------------------------

def _resize_mode(op: Operation) -> dict:
    """ONNX Resize's attrs for TF1's sampling: align_corners, half-pixel centers, or TF's default
    (asymmetric: source = i * in / out)."""
    align, half = op.attrs["align_corners"], op.attrs["half_pixel_centers"]
    coords = "align_corners" if align else ("half_pixel" if half else "asymmetric")
    if op.type == "ResizeNearestNeighbor":
        # TF rounds half up with align_corners, else takes the floor of (i + 0.5) * scale (half-pixel)
        # or of i * scale; half_pixel's "- 0.5" rounded half up is that floor
        return {"mode": "nearest", "coordinate_transformation_mode": coords,
                "nearest_mode": "round_prefer_ceil" if (align or half) else "floor"}
    if op.type == "ResizeBicubic":    # TF's Keys cubic: a = -0.5 with half-pixel centers (outside taps dropped)
        return {"mode": "cubic", "coordinate_transformation_mode": coords, "cubic_coeff_a": -0.5 if half else -0.75,
                "exclude_outside": int(half)}
    return {"mode": "linear", "coordinate_transformation_mode": coords}


def _static_sizes(op: Operation) -> Optional[list]:
    """[(in, out)] for height and width when both are known when the graph is built, else None."""
    dims, size = op.inputs[0].shape.as_tuple(), constant_value(op.inputs[1])
    if size is None or None in dims[1:3]:
        return None
    return [(int(n), int(m)) for n, m in zip(dims[1:3], np.ravel(size))]


def _weights(op: Operation, sizes: list) -> list:
    align, half = op.attrs["align_corners"], op.attrs["half_pixel_centers"]
    return [resize_weights(op.type, n, m, align, half) for n, m in sizes]


def _resize(e: Emitter, op: Operation) -> None:
    """Nearest with known sizes as two Gathers of TF's source rows and columns (exact, any dtype); bicubic
    with known sizes as two MatMuls with TF's weight matrices (its Keys coefficients come from a table at
    1/1024 steps, which ONNX's cubic Resize does not use, and onnxruntime's cubic Resize refuses some
    downscales); otherwise ONNX's Resize on NCHW. Bilinear and bicubic give float32, as TF's kernels."""
    if _rank(op) != 4:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): images {op.inputs[0].name} must be rank 4 "
                                 "(NHWC) to write it as ONNX")
    sizes = _static_sizes(op)
    if op.type == "ResizeNearestNeighbor" and sizes is not None:
        rows, cols = (e.int64s(w.argmax(axis=1).tolist(), op, f"{what}_sources")
                      for w, what in zip(_weights(op, sizes), ("row", "column")))
        picked = e.node("Gather", [e.inp(op), rows], op, "rows", axis=1)
        e.node("Gather", [picked, cols], op, outputs=[e.out(op)], axis=2)
        return
    image = e.inp(op)
    if op.inputs[0].dtype != op.outputs[0].dtype:
        image = e.cast(image, op.outputs[0].dtype, op, "as_float")
    x = e.node("Transpose", [image], op, "to_nchw", perm=_TO_NCHW)
    if op.type == "ResizeBicubic" and sizes is not None:
        wh, ww = _weights(op, sizes)
        dtype = op.outputs[0].dtype.np_type
        y = e.node("MatMul", [e.const(wh.astype(dtype), op, "row_weights"), x], op, "rows")
        y = e.node("MatMul", [y, e.const(ww.T.astype(dtype), op, "column_weights")], op, "resize")
    else:
        batch_channels = e.node("Slice", [e.node("Shape", [x], op, "shape"), e.int64s([0], op, "zero"),
                                          e.int64s([2], op, "two")], op, "batch_channels")
        sizes_input = e.node("Concat", [batch_channels, _as_int64(e, op, 1, "hw")], op, "sizes", axis=0)
        y = e.node("Resize", [x, "", "", sizes_input], op, "resize", **_resize_mode(op))
    e.node("Transpose", [y], op, outputs=[e.out(op)], perm=_TO_NHWC)


def _resize_area(e: Emitter, op: Operation) -> None:
    """TF1's ResizeArea as two MatMuls with its coverage weights (ONNX's Resize has no area mode), so
    the image's height/width and the target size must be known when the graph is built."""
    sizes = _static_sizes(op) if _rank(op) == 4 else None
    if sizes is None:
        raise UnsupportedOpError(f"Operation {op.name} (ResizeArea): ONNX has no area resize; it is written as "
                                 "matrix products, which needs rank-4 images whose height, width and target size "
                                 f"are known when the graph is built (images {op.inputs[0].shape})")
    wh, ww = (area_weights(n, m, bool(op.attrs["align_corners"])) for n, m in sizes)
    image = e.inp(op)
    if op.inputs[0].dtype != op.outputs[0].dtype:
        image = e.cast(image, op.outputs[0].dtype, op, "as_float")
    x = e.node("Transpose", [image], op, "to_nchw", perm=_TO_NCHW)
    y = e.node("MatMul", [e.const(wh, op, "row_weights"), x], op, "rows")
    y = e.node("MatMul", [y, e.const(np.ascontiguousarray(ww.T), op, "column_weights")], op, "resize")
    e.node("Transpose", [y], op, outputs=[e.out(op)], perm=_TO_NHWC)


def _reverse(e: Emitter, op: Operation) -> None:
    rank = _rank(op)
    axes = sorted({int(a) % rank for a in _static_input(op, 1, "axis").reshape(-1)})
    if not axes:
        e.node("Identity", [e.inp(op)], op, outputs=[e.out(op)])
        return
    n = len(axes)
    e.node("Slice", [e.inp(op), e.int64s([-1] * n, op, "starts"), e.int64s([_INT64_MIN] * n, op, "ends"),
                     e.int64s(axes, op, "axes"), e.int64s([-1] * n, op, "steps")], op, outputs=[e.out(op)])


NN_RULES: dict = {
    "Conv2D": _conv2d, "DepthwiseConv2dNative": _depthwise, "Conv2DBackpropInput": _conv2d_transpose,
    "MaxPool": _pool("MaxPool"), "AvgPool": _pool("AveragePool", count_include_pad=0),
    "ResizeBilinear": _resize, "ResizeNearestNeighbor": _resize, "ResizeBicubic": _resize,
    "ResizeArea": _resize_area, "ReverseV2": _reverse,
}

__all__ = ["NN_RULES"]
