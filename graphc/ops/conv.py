"""2-D convolution and pooling (``tf.nn.conv2d``, ``tf.nn.max_pool``, ``tf.nn.avg_pool``), NHWC only.

Primitives and their gradients, as TF1 names them:

* ``Conv2D(input, filter)``; its gradients ``Conv2DBackpropInput(input_sizes, filter, out_backprop)``
  and ``Conv2DBackpropFilter(input, filter_sizes, out_backprop)``. All three are bilinear, so each
  one's gradient is built from the other two and second-order gradients work.
* ``MaxPool(x)``; ``MaxPoolGrad(orig_input, orig_output, grad)`` routes the gradient to the first
  maximum of each window (row-major order, as TF1 on the CPU); ``MaxPoolGradGrad`` reads the
  gradient back at those positions (the gradient of MaxPoolGrad, and the other way round).
* ``AvgPool(x)``; ``AvgPoolGrad(orig_input_shape, grad)``; SAME windows average only their
  elements inside the input, as TF1.

Kernels never loop over pixels: the forward passes and the filter gradient are one matmul/``tensordot``
over a strided im2col view; scatters back to the input loop over the kh*kw window taps only.
SAME padding follows TF: pad_total = max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0),
with the odd element at the bottom/right.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops.core import (Lowering, OpDef, _graph_of, apply, as_shape_tensor, convert_n, convert_to_tensor, register,
                              shape_value)
from graphc.shape import TensorShape

PADDINGS = ("SAME", "VALID")


# ------------------------------------------------------------------------------------------------
# window geometry (shared by the inference rules and the kernels)

def _out_size(size: Optional[int], k: int, stride: int, dilation: int, padding: str) -> Optional[int]:
    """Output length of one spatial dim (None when the input length is unknown)."""
    if size is None:
        return None
    if padding == "SAME":
        return -(-size // stride)
    return (size - (k - 1) * dilation - 1) // stride + 1


def _pad_before_after(size: int, out: int, k: int, stride: int, dilation: int) -> tuple:
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _geometry(in_hw: tuple, k_hw: tuple, strides: tuple, dilations: tuple, padding: str) -> tuple:
    """((out_h, out_w), ((top, bottom), (left, right))) for concrete sizes."""
    outs = tuple(_out_size(n, k, s, d, padding) for n, k, s, d in zip(in_hw, k_hw, strides, dilations))
    pads = tuple(_pad_before_after(n, o, k, s, d) if padding == "SAME" else (0, 0)
                 for n, o, k, s, d in zip(in_hw, outs, k_hw, strides, dilations))
    return outs, pads


def _check_valid_fits(in_hw: tuple, k_hw: tuple, dilations: tuple, what: str) -> None:
    for n, k, d in zip(in_hw, k_hw, dilations):
        if n is not None and n < (k - 1) * d + 1:
            raise ValueError(f"{what}: Negative dimension size caused by subtracting {(k - 1) * d + 1} from {n}: "
                             f"a VALID window of {k} (dilation {d}) does not fit in a spatial dim of {n}. "
                             "Use padding='SAME' or a smaller window.")


def _tap_slice(start: int, count: int, stride: int) -> slice:
    return slice(start, start + (count - 1) * stride + 1, stride)


def _windows(padded: np.ndarray, k_hw: tuple, strides: tuple, dilations: tuple, out_hw: tuple) -> np.ndarray:
    """A (N, out_h, out_w, C, kh, kw) strided view of the windows of a padded NHWC array."""
    eff = tuple((k - 1) * d + 1 for k, d in zip(k_hw, dilations))
    view = sliding_window_view(padded, eff, axis=(1, 2))
    (sh, sw), (dh, dw), (oh, ow) = strides, dilations, out_hw
    return view[:, :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw, :, ::dh, ::dw]


def _pad(x: np.ndarray, pads: tuple, value: float = 0.0) -> np.ndarray:
    if not any(any(p) for p in pads):
        return x
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def _scatter_taps(per_tap, n_c: tuple, in_hw: tuple, k_hw: tuple, strides: tuple, dilations: tuple,
                  out_hw: tuple, pads: tuple, dtype: np.dtype) -> np.ndarray:
    """Sums ``per_tap(i, j)`` (N, out_h, out_w, C) into the input positions of tap (i, j); crops the padding."""
    n, c = n_c
    (top, bottom), (left, right) = pads
    buf = np.zeros((n, in_hw[0] + top + bottom, in_hw[1] + left + right, c), dtype=dtype)
    for i in range(k_hw[0]):
        rows = _tap_slice(i * dilations[0], out_hw[0], strides[0])
        for j in range(k_hw[1]):
            cols = _tap_slice(j * dilations[1], out_hw[1], strides[1])
            buf[:, rows, cols, :] += per_tap(i, j)
    return buf[:, top:top + in_hw[0], left:left + in_hw[1], :]


# ------------------------------------------------------------------------------------------------
# argument normalization (TF1 accepts an int or a list of 1, 2 or 4 values)

def _spatial_pair(value: Any, what: str, fn: str) -> tuple:
    """(h, w) from an int or a list of 1, 2 or 4 (NHWC: batch and channel entries must be 1)."""
    vals = [value] if isinstance(value, (int, np.integer)) else list(value)
    if len(vals) not in (1, 2, 4) or not all(isinstance(v, (int, np.integer)) for v in vals):
        raise ValueError(f"{fn}: {what} should be an int or a list of 1, 2 or 4 ints. Received: {what}={value!r}")
    if len(vals) == 4:
        if vals[0] != 1 or vals[3] != 1:
            raise ValueError(f"{fn}: {what}={value!r} is not supported: {what} in the batch and depth "
                             "dimensions must be 1 (NHWC: [1, h, w, 1]).")
        vals = vals[1:3]
    pair = (int(vals[0]), int(vals[-1]))
    if min(pair) < 1:
        raise ValueError(f"{fn}: {what} must be positive, got {value!r}")
    return pair


def _check_padding(padding: Any, fn: str) -> str:
    if padding not in PADDINGS:
        raise ValueError(f"{fn}: padding must be one of \"SAME\", \"VALID\" (upper case), got {padding!r}.")
    return padding


def _check_data_format(data_format: Any, fn: str) -> None:
    if data_format not in ("NHWC", None):
        raise ValueError(f"{fn}: data_format={data_format!r} is not supported; graphc supports 'NHWC' only. "
                         "Transpose NCHW data with tf.transpose(x, [0, 2, 3, 1]).")


def _check_float(t: Tensor, what: str, fn: str) -> None:
    if not t.dtype.is_floating:
        raise TypeError(f"{fn}: {what} {t.name} has dtype {t.dtype.name} {t.shape}, but it must be a float "
                        "tensor (float16/float32/float64). Use tf.cast first.")


def _rank4_dims(t: Tensor, what: str, fn: str) -> tuple:
    dims = t.shape.as_tuple()
    if dims is None:
        return (None,) * 4
    if len(dims) != 4:
        raise ValueError(f"{fn}: {what} {t.name} has shape {t.shape}, but it must be rank 4 "
                         f"({'[height, width, in_channels, out_channels]' if what == 'filter' else 'NHWC'}).")
    return dims


def _sizes_dims(t: Tensor, what: str, fn: str) -> tuple:
    """The 4 dims (ints or None) held by a shape-vector input such as ``input_sizes``."""
    if not t.dtype.is_integer:
        raise TypeError(f"{fn}: {what} {t.name} must be an int32 tensor (a shape), got {t.dtype.name}")
    dims = shape_value(t)
    if dims is None:
        return (None,) * 4
    if len(dims) != 4:
        raise ValueError(f"{fn}: {what} {t.name} must hold 4 values (a rank-4 shape), got {dims}")
    return tuple(dims)


def _merge(a: Optional[int], b: Optional[int], what: str) -> Optional[int]:
    if a is not None and b is not None and a != b:
        raise ValueError(what)
    return a if a is not None else b


# ------------------------------------------------------------------------------------------------
# Conv2D and its two backprops

def _conv_output_shape(x_dims: tuple, w_dims: tuple, attrs: dict, fn: str, x_name: str, w_name: str) -> list:
    n, h, w, c = x_dims
    kh, kw, wc, f = w_dims
    if c is not None and wc is not None and c != wc:
        raise ValueError(f"{fn}: Depth of input ({c}) does not match the input depth of filter ({wc}): input "
                         f"{x_name} has shape {list(x_dims)} and filter {w_name} has shape {list(w_dims)}.")
    k = (kh, kw)
    if attrs["padding"] == "VALID" and None not in k:
        _check_valid_fits((h, w), k, attrs["dilations"], fn)
    out_hw = [None if None in (size, kk) else _out_size(size, kk, s, d, attrs["padding"])
              for size, kk, s, d in zip((h, w), k, attrs["strides"], attrs["dilations"])]
    return [n, out_hw[0], out_hw[1], f]


def _conv_infer(inputs, attrs):
    x, w = inputs
    for t, what in ((x, "input"), (w, "filter")):
        _check_float(t, what, "conv2d")
    if x.dtype is not w.dtype:
        raise TypeError(f"conv2d: input {x.name} is {x.dtype.name} but filter {w.name} is {w.dtype.name}; "
                        "they must have one dtype (use tf.cast).")
    if x.shape.ndims is None and w.shape.ndims is None:
        return [(x.dtype, TensorShape(None))]
    dims = _conv_output_shape(_rank4_dims(x, "input", "conv2d"), _rank4_dims(w, "filter", "conv2d"),
                              attrs, "conv2d", x.name, w.name)
    return [(x.dtype, TensorShape(dims))]


def _conv_numpy(x, w, strides, dilations, padding):
    if padding == "VALID":  # SAME pads up to a whole window, however large the kernel
        _check_valid_fits(x.shape[1:3], w.shape[:2], dilations, "conv2d")
    out_hw, pads = _geometry(x.shape[1:3], w.shape[:2], strides, dilations, padding)
    if x.shape[3] != w.shape[2]:
        raise ValueError(f"conv2d: input depth {x.shape[3]} does not match filter input depth {w.shape[2]}")
    cols = _windows(_pad(x, pads), w.shape[:2], strides, dilations, out_hw)  # N, oh, ow, C, kh, kw
    # im2col with the channel innermost (a cheap copy), then one matmul with the [kh*kw*C, F] filter
    cols = cols.transpose(0, 1, 2, 4, 5, 3)
    taps = int(np.prod(cols.shape[3:]))      # not -1: numpy cannot infer it for an empty batch
    cols = cols.reshape(cols.shape[:3] + (taps,))
    return (cols @ w.reshape(taps, w.shape[3])).astype(x.dtype, copy=False)


def _backprop_input_numpy(sizes, w, dy, strides, dilations, padding):
    n, h, wd, c = (int(d) for d in sizes)
    out_hw, pads = _geometry((h, wd), w.shape[:2], strides, dilations, padding)
    _check_out_backprop(dy.shape, (n, out_hw[0], out_hw[1], w.shape[3]), "Conv2DBackpropInput")
    return _scatter_taps(lambda i, j: dy @ w[i, j].T, (n, c), (h, wd), w.shape[:2], strides, dilations,
                         out_hw, pads, dy.dtype)


def _backprop_filter_numpy(x, sizes, dy, strides, dilations, padding):
    kh, kw, c, f = (int(d) for d in sizes)
    out_hw, pads = _geometry(x.shape[1:3], (kh, kw), strides, dilations, padding)
    _check_out_backprop(dy.shape, (x.shape[0], out_hw[0], out_hw[1], f), "Conv2DBackpropFilter")
    cols = _windows(_pad(x, pads), (kh, kw), strides, dilations, out_hw)  # N, oh, ow, C, kh, kw
    dw = np.tensordot(cols, dy, axes=([0, 1, 2], [0, 1, 2]))              # C, kh, kw, F
    return np.ascontiguousarray(dw.transpose(1, 2, 0, 3)).astype(x.dtype, copy=False)


def _check_out_backprop(got: tuple, want: tuple, fn: str) -> None:
    if tuple(got) != tuple(want):
        raise ValueError(f"{fn}: out_backprop has shape {list(got)}, but the convolution's output has shape "
                         f"{list(want)}")


def _backprop_input_infer(inputs, attrs):
    sizes, w, dy = inputs
    fn = "Conv2DBackpropInput"
    _check_float(w, "filter", fn)
    _check_float(dy, "out_backprop", fn)
    x_dims = _sizes_dims(sizes, "input_sizes", fn)
    w_dims = _rank4_dims(w, "filter", fn)
    _check_backprop_shape(x_dims, w_dims, dy, attrs, fn)
    return [(dy.dtype, TensorShape(list(x_dims)))]


def _backprop_filter_infer(inputs, attrs):
    x, sizes, dy = inputs
    fn = "Conv2DBackpropFilter"
    _check_float(x, "input", fn)
    _check_float(dy, "out_backprop", fn)
    x_dims = _rank4_dims(x, "input", fn)
    w_dims = _sizes_dims(sizes, "filter_sizes", fn)
    _check_backprop_shape(x_dims, w_dims, dy, attrs, fn)
    return [(dy.dtype, TensorShape(list(w_dims)))]


def _check_backprop_shape(x_dims: tuple, w_dims: tuple, dy: Tensor, attrs: dict, fn: str) -> None:
    want = _conv_output_shape(x_dims, w_dims, attrs, fn, "input", "filter")
    if dy.shape.ndims is not None and not dy.shape.is_compatible_with(TensorShape(want)):
        raise ValueError(f"{fn}: out_backprop {dy.name} has shape {dy.shape}, but the convolution of an input "
                         f"of shape {list(x_dims)} with a filter of shape {list(w_dims)} gives {want}.")


def _conv_attrs(op) -> dict:
    return {k: op.attrs[k] for k in ("strides", "dilations", "padding")}


def _conv_grad(op, g):
    x, w = op.inputs
    a = _conv_attrs(op)
    return [apply("Conv2DBackpropInput", [array.shape(x), w, g], a),
            apply("Conv2DBackpropFilter", [x, array.shape(w), g], a)]


def _backprop_input_grad(op, g):
    _, w, dy = op.inputs
    a = _conv_attrs(op)
    return [None, apply("Conv2DBackpropFilter", [g, array.shape(w), dy], a), apply("Conv2D", [g, w], a)]


def _backprop_filter_grad(op, g):
    x, _, dy = op.inputs
    a = _conv_attrs(op)
    return [apply("Conv2DBackpropInput", [array.shape(x), g, dy], a), None, apply("Conv2D", [x, g], a)]


register(OpDef("Conv2D", "opaque", infer=_conv_infer, numpy=_conv_numpy, grad=_conv_grad,
               lowering=Lowering.CONV))
register(OpDef("Conv2DBackpropInput", "opaque", infer=_backprop_input_infer, numpy=_backprop_input_numpy,
               grad=_backprop_input_grad))
register(OpDef("Conv2DBackpropFilter", "opaque", infer=_backprop_filter_infer, numpy=_backprop_filter_numpy,
               grad=_backprop_filter_grad))


def _conv_attrs_from_args(strides: Any, dilations: Any, padding: Any, data_format: Any, fn: str) -> dict:
    _check_data_format(data_format, fn)
    return {"strides": _spatial_pair(strides, "strides", fn),
            "dilations": _spatial_pair(dilations if dilations is not None else 1, "dilations", fn),
            "padding": _check_padding(padding, fn)}


def conv2d(input: Any, filter: Any = None, strides: Any = None, padding: Any = None,
           use_cudnn_on_gpu: bool = True, data_format: str = "NHWC", dilations: Any = (1, 1, 1, 1),
           name: Optional[str] = None, filters: Any = None) -> Tensor:
    """2-D convolution (really cross-correlation) of NHWC ``input`` with ``filter`` [kh, kw, in, out]."""
    if filters is not None:
        if filter is not None:
            raise ValueError("conv2d: give either 'filter' or its alias 'filters', not both.")
        filter = filters
    if filter is None or strides is None or padding is None:
        raise TypeError("conv2d() needs input, filter, strides and padding.")
    attrs = _conv_attrs_from_args(strides, dilations, padding, data_format, "conv2d")
    with _graph_of([input, filter]).as_default():
        x, w = convert_n([input, filter])
        return apply("Conv2D", [x, w], attrs, name or "Conv2D")


def conv2d_backprop_input(input_sizes: Any, filter: Any, out_backprop: Any, strides: Any, padding: Any,
                          use_cudnn_on_gpu: bool = True, data_format: str = "NHWC",
                          dilations: Any = (1, 1, 1, 1), name: Optional[str] = None) -> Tensor:
    """The gradient of ``conv2d`` with respect to its input, whose shape is ``input_sizes``."""
    attrs = _conv_attrs_from_args(strides, dilations, padding, data_format, "conv2d_backprop_input")
    with _graph_of([filter, out_backprop]).as_default():
        sizes = as_shape_tensor(input_sizes, name="input_sizes")
        return apply("Conv2DBackpropInput", [sizes, filter, out_backprop], attrs, name or "Conv2DBackpropInput")


def conv2d_backprop_filter(input: Any, filter_sizes: Any, out_backprop: Any, strides: Any, padding: Any,
                           use_cudnn_on_gpu: bool = True, data_format: str = "NHWC",
                           dilations: Any = (1, 1, 1, 1), name: Optional[str] = None) -> Tensor:
    """The gradient of ``conv2d`` with respect to its filter, whose shape is ``filter_sizes``."""
    attrs = _conv_attrs_from_args(strides, dilations, padding, data_format, "conv2d_backprop_filter")
    with _graph_of([input, out_backprop]).as_default():
        sizes = as_shape_tensor(filter_sizes, name="filter_sizes")
        return apply("Conv2DBackpropFilter", [input, sizes, out_backprop], attrs, name or "Conv2DBackpropFilter")


# ------------------------------------------------------------------------------------------------
# pooling

def _pool_infer(fn: str) -> Any:
    def infer(inputs, attrs):
        x = inputs[0]
        _check_float(x, "value", fn)
        if x.shape.ndims is None:
            return [(x.dtype, TensorShape(None))]
        n, h, w, c = _rank4_dims(x, "value", fn)
        return [(x.dtype, TensorShape(_pooled_dims((n, h, w, c), attrs, fn)))]
    return infer


def _pooled_dims(dims: tuple, attrs: dict, fn: str) -> list:
    n, h, w, c = dims
    ones = (1, 1)
    if attrs["padding"] == "VALID":
        _check_valid_fits((h, w), attrs["ksize"], ones, fn)
    out = [_out_size(size, k, s, 1, attrs["padding"]) for size, k, s in zip((h, w), attrs["ksize"], attrs["strides"])]
    return [n, out[0], out[1], c]


def _pool_geometry(in_hw: tuple, ksize: tuple, strides: tuple, padding: str, fn: str) -> tuple:
    if padding == "VALID":
        _check_valid_fits(in_hw, ksize, (1, 1), fn)
    return _geometry(in_hw, ksize, strides, (1, 1), padding)


def _max_pool_numpy(x, ksize, strides, padding):
    out_hw, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding, "max_pool")
    win = _windows(_pad(x, pads, -np.inf), ksize, strides, (1, 1), out_hw)
    return win.max(axis=(4, 5))


def _first_argmax(x, ksize, strides, padding) -> tuple:
    """Per output element, the row-major index of the first maximum of its window; and the geometry."""
    out_hw, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding, "max_pool")
    win = _windows(_pad(x, pads, -np.inf), ksize, strides, (1, 1), out_hw)
    flat = win.reshape(win.shape[:4] + (ksize[0] * ksize[1],))
    return np.argmax(flat, axis=-1), out_hw, pads


def _max_pool_grad_numpy(x, y, g, ksize, strides, padding):
    arg, out_hw, pads = _first_argmax(x, ksize, strides, padding)
    _check_out_backprop(g.shape, arg.shape, "MaxPoolGrad")
    zero = np.zeros((), dtype=g.dtype)
    return _scatter_taps(lambda i, j: np.where(arg == i * ksize[1] + j, g, zero), (x.shape[0], x.shape[3]),
                         x.shape[1:3], ksize, strides, (1, 1), out_hw, pads, g.dtype)


def _max_pool_grad_grad_numpy(x, y, g, ksize, strides, padding):
    arg, out_hw, pads = _first_argmax(x, ksize, strides, padding)
    if g.shape != x.shape:
        raise ValueError(f"MaxPoolGradGrad: grad has shape {list(g.shape)}, but orig_input has {list(x.shape)}")
    win = _windows(_pad(g, pads), ksize, strides, (1, 1), out_hw)
    flat = win.reshape(win.shape[:4] + (ksize[0] * ksize[1],))
    return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]


def _avg_counts(in_hw: tuple, ksize: tuple, strides: tuple, padding: str, out_hw: tuple, pads: tuple) -> np.ndarray:
    """How many input elements each (SAME-padded) window covers, shaped (out_h, out_w, 1)."""
    ones = _pad(np.ones((1,) + tuple(in_hw) + (1,)), pads)
    return _windows(ones, ksize, strides, (1, 1), out_hw).sum(axis=(4, 5))[0]


def _avg_pool_numpy(x, ksize, strides, padding):
    out_hw, pads = _pool_geometry(x.shape[1:3], ksize, strides, padding, "avg_pool")
    win = _windows(_pad(x, pads), ksize, strides, (1, 1), out_hw)
    counts = _avg_counts(x.shape[1:3], ksize, strides, padding, out_hw, pads)
    return (win.sum(axis=(4, 5)) / counts.astype(x.dtype)).astype(x.dtype, copy=False)


def _avg_pool_grad_numpy(sizes, g, ksize, strides, padding):
    n, h, w, c = (int(d) for d in sizes)
    out_hw, pads = _pool_geometry((h, w), ksize, strides, padding, "AvgPoolGrad")
    _check_out_backprop(g.shape, (n, out_hw[0], out_hw[1], c), "AvgPoolGrad")
    share = g / _avg_counts((h, w), ksize, strides, padding, out_hw, pads).astype(g.dtype)
    return _scatter_taps(lambda i, j: share, (n, c), (h, w), ksize, strides, (1, 1), out_hw, pads, g.dtype)


def _pool_grad_infer(fn: str) -> Any:
    """MaxPoolGrad / MaxPoolGradGrad: (orig_input, orig_output, grad) -> shape of orig_input / orig_output."""
    def infer(inputs, attrs):
        x, y, g = inputs
        for t, what in ((x, "orig_input"), (y, "orig_output"), (g, "grad")):
            _check_float(t, what, fn)
        if len({x.dtype, y.dtype, g.dtype}) > 1:
            raise TypeError(f"{fn}: orig_input {x.dtype.name}, orig_output {y.dtype.name} and grad "
                            f"{g.dtype.name} must share one dtype")
        out = x if fn == "MaxPoolGrad" else y
        return [(g.dtype, out.shape)]
    return infer


def _avg_pool_grad_infer(inputs, attrs):
    sizes, g = inputs
    _check_float(g, "grad", "AvgPoolGrad")
    x_dims = _sizes_dims(sizes, "orig_input_shape", "AvgPoolGrad")
    want = _pooled_dims(x_dims, attrs, "AvgPoolGrad")
    if g.shape.ndims is not None and not g.shape.is_compatible_with(TensorShape(want)):
        raise ValueError(f"AvgPoolGrad: grad {g.name} has shape {g.shape}, but pooling an input of shape "
                         f"{list(x_dims)} gives {want}.")
    return [(g.dtype, TensorShape(list(x_dims)))]


def _pool_attrs(op) -> dict:
    return {k: op.attrs[k] for k in ("ksize", "strides", "padding")}


def _max_pool_grad(op, g):
    x, y = op.inputs[0], op.outputs[0]
    return [apply("MaxPoolGrad", [x, y, g], _pool_attrs(op))]


def _max_pool_grad_grad(op, g):
    x, y, _ = op.inputs
    return [array.zeros_like(x), array.zeros_like(y), apply("MaxPoolGradGrad", [x, y, g], _pool_attrs(op))]


def _max_pool_grad_grad_grad(op, g):
    x, y, _ = op.inputs
    return [array.zeros_like(x), array.zeros_like(y), apply("MaxPoolGrad", [x, y, g], _pool_attrs(op))]


def _avg_pool_grad(op, g):
    return [apply("AvgPoolGrad", [array.shape(op.inputs[0]), g], _pool_attrs(op))]


def _avg_pool_grad_grad(op, g):
    return [None, apply("AvgPool", [g], _pool_attrs(op))]


register(OpDef("MaxPool", "opaque", infer=_pool_infer("max_pool"), numpy=_max_pool_numpy, grad=_max_pool_grad))
register(OpDef("MaxPoolGrad", "opaque", infer=_pool_grad_infer("MaxPoolGrad"), numpy=_max_pool_grad_numpy,
               grad=_max_pool_grad_grad))
register(OpDef("MaxPoolGradGrad", "opaque", infer=_pool_grad_infer("MaxPoolGradGrad"),
               numpy=_max_pool_grad_grad_numpy, grad=_max_pool_grad_grad_grad))
register(OpDef("AvgPool", "opaque", infer=_pool_infer("avg_pool"), numpy=_avg_pool_numpy, grad=_avg_pool_grad))
register(OpDef("AvgPoolGrad", "opaque", infer=_avg_pool_grad_infer, numpy=_avg_pool_grad_numpy,
               grad=_avg_pool_grad_grad))


def _pool(op_type: str, fn: str, value: Any, ksize: Any, strides: Any, padding: Any, data_format: Any,
          name: Optional[str]) -> Tensor:
    _check_data_format(data_format, fn)
    attrs = {"ksize": _spatial_pair(ksize, "ksize", fn), "strides": _spatial_pair(strides, "strides", fn),
             "padding": _check_padding(padding, fn)}
    with _graph_of([value]).as_default():
        return apply(op_type, [convert_to_tensor(value, name="value")], attrs, name or op_type)


def max_pool(value: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
             name: Optional[str] = None, input: Any = None) -> Tensor:
    """Max over each ksize window of NHWC ``value`` (SAME windows ignore the padding)."""
    value = input if value is None else value
    return _pool("MaxPool", "max_pool", value, ksize, strides, padding, data_format, name)


def avg_pool(value: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
             name: Optional[str] = None, input: Any = None) -> Tensor:
    """Mean over each ksize window of NHWC ``value``; SAME windows average only their in-bounds elements."""
    value = input if value is None else value
    return _pool("AvgPool", "avg_pool", value, ksize, strides, padding, data_format, name)


__all__ = ["conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "max_pool", "avg_pool"]
