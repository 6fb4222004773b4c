"""Convolution variants of ``tf.nn``: ``conv1d``, ``conv2d_transpose``, ``atrous_conv2d``,
``depthwise_conv2d`` (its own op and backprops, ``DepthwiseConv2dNative*``), ``separable_conv2d``
and ``local_response_normalization`` (``lrn``).

conv1d, conv2d_transpose and atrous_conv2d are TF1's compositions over ``Conv2D`` and its input
backprop (atrous as a dilated ``Conv2D``, which gives TF1's space-to-batch result exactly);
separable_conv2d is a depthwise then a 1x1 convolution, as TF1; LRN is a composition of a
channel-window sum (TF1's own op has the same derivative).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor
from graphc.ops import array, conv
from graphc.ops import math as m
from graphc.ops.conv import (_check_float, _conv_attrs, _conv_attrs_from_args, _conv_output_shape, _geometry,
                             _pad, _rank4_dims, _scatter_taps, _sizes_dims, _windows)
from graphc.ops.tile_pad import pad
from graphc.ops.core import OpDef, _graph_of, apply, as_shape_tensor, convert_n, convert_to_tensor, register
from graphc.shape import TensorShape


# ------------------------------------------------------------------------------------------------
# compositions over Conv2D

def conv1d(value: Any = None, filters: Any = None, stride: Any = None, padding: Any = None,
           use_cudnn_on_gpu: Any = None, data_format: Any = None, name: Optional[str] = None, input: Any = None,
           dilations: Any = None) -> Tensor:
    """1-D convolution of NWC ``value`` with ``filters`` [width, in, out]: a Conv2D over a unit height (TF1)."""
    value = input if value is None else value
    if value is None or filters is None or stride is None or padding is None:
        raise TypeError("conv1d() needs value (or input), filters, stride and padding.")
    if data_format not in (None, "NWC", "NHWC"):
        raise ValueError(f"conv1d: data_format={data_format!r} is not supported; graphc supports 'NWC' only.")
    stride = _one_int(stride, "stride")
    dilation = 1 if dilations is None else _one_int(dilations, "dilations")
    graph = _graph_of([value, filters])
    with graph.as_default(), graph.name_scope(name or "conv1d") as scope:
        x, w = convert_n([value, filters])
        if x.shape.ndims not in (None, 3) or w.shape.ndims not in (None, 3):
            raise ValueError(f"conv1d: value {x.name} {x.shape} must be rank 3 (NWC) and filters {w.name} "
                             f"{w.shape} rank 3 ([width, in_channels, out_channels]).")
        y = conv.conv2d(array.expand_dims(x, 1), array.expand_dims(w, 0), [1, 1, stride, 1], padding,
                        dilations=[1, 1, dilation, 1])
        return array.squeeze(y, [1], name=scope)


def _one_int(value: Any, what: str) -> int:
    vals = [value] if isinstance(value, (int, np.integer)) else list(value)
    if len(vals) == 3:                 # [1, w, 1] in NWC
        vals = vals[1:2]
    if len(vals) != 1 or int(vals[0]) < 1:
        raise ValueError(f"conv1d: {what} must be a positive int (or [1, n, 1]), got {value!r}")
    return int(vals[0])


def conv2d_transpose(value: Any = None, filter: Any = None, output_shape: Any = None, strides: Any = None,
                     padding: str = "SAME", data_format: str = "NHWC", name: Optional[str] = None,
                     input: Any = None, filters: Any = None, dilations: Any = None) -> Tensor:
    """The transpose (gradient) of conv2d: ``value`` [N, h, w, in] through ``filter`` [kh, kw, out, in]
    gives ``output_shape`` [N, H, W, out] (TF1 ``tf.nn.conv2d_transpose``)."""
    value = input if value is None else value
    filter = filters if filter is None else filter
    if value is None or filter is None or output_shape is None or strides is None:
        raise TypeError("conv2d_transpose() needs value, filter, output_shape and strides.")
    graph = _graph_of([value, filter, output_shape])
    with graph.as_default(), graph.name_scope(name or "conv2d_transpose") as scope:
        x, w = convert_n([value, filter])
        sizes = as_shape_tensor(output_shape, name="output_shape")
        w_dims = w.shape.as_tuple()
        x_dims = x.shape.as_tuple()
        if w_dims is not None and x_dims is not None and len(w_dims) == 4 and len(x_dims) == 4:
            if None not in (x_dims[3], w_dims[3]) and x_dims[3] != w_dims[3]:
                raise ValueError(f"conv2d_transpose: input channels of value {x.name} {x.shape} ({x_dims[3]}) must "
                                 f"match the last dim of filter {w.name} {w.shape} ({w_dims[3]}).")
        out_dims = _sizes_dims(sizes, "output_shape", "conv2d_transpose")
        if w_dims is not None and len(w_dims) == 4 and None not in (out_dims[3], w_dims[2]) and out_dims[3] != w_dims[2]:
            raise ValueError(f"conv2d_transpose: output_shape {list(out_dims)} has {out_dims[3]} channels, but filter "
                             f"{w.name} {w.shape} makes {w_dims[2]} (its third dim).")
        return conv.conv2d_backprop_input(sizes, w, x, strides, padding, data_format=data_format,
                                          dilations=dilations if dilations is not None else (1, 1, 1, 1), name=scope)


def atrous_conv2d(value: Any, filters: Any, rate: int, padding: str, name: Optional[str] = None) -> Tensor:
    """Dilated ("atrous") 2-D convolution: the filter's taps ``rate`` pixels apart (TF1 ``tf.nn.atrous_conv2d``)."""
    if not isinstance(rate, (int, np.integer)) or rate < 1:
        raise ValueError(f"atrous_conv2d: rate must be a positive int, got {rate!r}")
    return conv.conv2d(value, filters, [1, 1, 1, 1], padding, dilations=[1, int(rate), int(rate), 1],
                       name=name or "atrous_conv2d")


# ------------------------------------------------------------------------------------------------
# DepthwiseConv2dNative: each input channel convolved with its own `multiplier` filters

def _depthwise_infer(inputs, attrs):
    x, w = inputs
    fn = "depthwise_conv2d"
    for t, what in ((x, "input"), (w, "filter")):
        _check_float(t, what, fn)
    if x.dtype is not w.dtype:
        raise TypeError(f"{fn}: input {x.name} is {x.dtype.name} but filter {w.name} is {w.dtype.name}")
    return [(x.dtype, TensorShape(_depthwise_out(_rank4_dims(x, "input", fn), _rank4_dims(w, "filter", fn),
                                                 attrs, x.name, w.name)))]


def _depthwise_out(x_dims: tuple, w_dims: tuple, attrs: dict, x_name: str, w_name: str) -> list:
    kh, kw, c, mult = w_dims
    n, h, wd, _ = _conv_output_shape(x_dims, (kh, kw, c, mult), attrs, "depthwise_conv2d", x_name, w_name)
    return [n, h, wd, None if None in (c, mult) else c * mult]


def _depthwise_numpy(x, w, strides, dilations, padding):
    kh, kw, c, mult = w.shape
    if x.shape[3] != c:
        raise ValueError(f"depthwise_conv2d: input depth {x.shape[3]} does not match filter depth {c}")
    out_hw, pads = _geometry(x.shape[1:3], (kh, kw), strides, dilations, padding)
    cols = _windows(_pad(x, pads), (kh, kw), strides, dilations, out_hw)     # N, oh, ow, C, kh, kw
    out = np.einsum("nhwcij,ijcm->nhwcm", cols, w)
    return out.reshape(out.shape[:3] + (c * mult,)).astype(x.dtype, copy=False)


def _depthwise_backprop_input_numpy(sizes, w, dy, strides, dilations, padding):
    n, h, wd, c = (int(d) for d in sizes)
    kh, kw, _, mult = w.shape
    out_hw, pads = _geometry((h, wd), (kh, kw), strides, dilations, padding)
    dy = dy.reshape(dy.shape[:3] + (c, mult))
    return _scatter_taps(lambda i, j: np.einsum("nhwcm,cm->nhwc", dy, w[i, j]), (n, c), (h, wd), (kh, kw),
                         strides, dilations, out_hw, pads, dy.dtype)


def _depthwise_backprop_filter_numpy(x, sizes, dy, strides, dilations, padding):
    kh, kw, c, mult = (int(d) for d in sizes)
    out_hw, pads = _geometry(x.shape[1:3], (kh, kw), strides, dilations, padding)
    cols = _windows(_pad(x, pads), (kh, kw), strides, dilations, out_hw)
    dy = dy.reshape(dy.shape[:3] + (c, mult))
    return np.einsum("nhwcij,nhwcm->ijcm", cols, dy).astype(x.dtype, copy=False)


def _depthwise_backprop_input_infer(inputs, attrs):
    sizes, w, dy = inputs
    _check_float(dy, "out_backprop", "DepthwiseConv2dNativeBackpropInput")
    return [(dy.dtype, TensorShape(list(_sizes_dims(sizes, "input_sizes", "DepthwiseConv2dNativeBackpropInput"))))]


def _depthwise_backprop_filter_infer(inputs, attrs):
    x, sizes, dy = inputs
    _check_float(dy, "out_backprop", "DepthwiseConv2dNativeBackpropFilter")
    return [(dy.dtype, TensorShape(list(_sizes_dims(sizes, "filter_sizes", "DepthwiseConv2dNativeBackpropFilter"))))]


def _depthwise_grad(op, g):
    x, w = op.inputs
    a = _conv_attrs(op)
    return [apply("DepthwiseConv2dNativeBackpropInput", [array.shape(x), w, g], a),
            apply("DepthwiseConv2dNativeBackpropFilter", [x, array.shape(w), g], a)]


def _depthwise_backprop_input_grad(op, g):
    _, w, dy = op.inputs
    a = _conv_attrs(op)
    return [None, apply("DepthwiseConv2dNativeBackpropFilter", [g, array.shape(w), dy], a),
            apply("DepthwiseConv2dNative", [g, w], a)]


def _depthwise_backprop_filter_grad(op, g):
    x, _, dy = op.inputs
    a = _conv_attrs(op)
    return [apply("DepthwiseConv2dNativeBackpropInput", [array.shape(x), g, dy], a), None,
            apply("DepthwiseConv2dNative", [x, g], a)]


register(OpDef("DepthwiseConv2dNative", "opaque", infer=_depthwise_infer, numpy=_depthwise_numpy,
               grad=_depthwise_grad))
register(OpDef("DepthwiseConv2dNativeBackpropInput", "opaque", infer=_depthwise_backprop_input_infer,
               numpy=_depthwise_backprop_input_numpy, grad=_depthwise_backprop_input_grad, meta_inputs={0}))
register(OpDef("DepthwiseConv2dNativeBackpropFilter", "opaque", infer=_depthwise_backprop_filter_infer,
               numpy=_depthwise_backprop_filter_numpy, grad=_depthwise_backprop_filter_grad, meta_inputs={1}))


def _rate_dilations(rate: Any, dilations: Any) -> Any:
    if rate is not None and dilations is not None:
        raise ValueError("give either rate or dilations, not both")
    if rate is None:
        return dilations
    return [1] + list(rate) + [1] if isinstance(rate, (list, tuple)) else int(rate)


def depthwise_conv2d(input: Any, filter: Any, strides: Any, padding: str, rate: Any = None,
                     name: Optional[str] = None, data_format: Any = None, dilations: Any = None) -> Tensor:
    """Each input channel convolved with its own ``filter[:, :, c, :]`` ([kh, kw, in, multiplier]); output
    channel ``c * multiplier + k`` (TF1 ``tf.nn.depthwise_conv2d``; ``rate`` dilates)."""
    attrs = _conv_attrs_from_args(strides, _rate_dilations(rate, dilations), padding, data_format,
                                  "depthwise_conv2d")
    if attrs["dilations"] != (1, 1) and attrs["strides"] != (1, 1):
        raise ValueError("depthwise_conv2d: strides > 1 together with rate > 1 is not supported (TF1 refuses it too).")
    with _graph_of([input, filter]).as_default():
        x, w = convert_n([input, filter])
        return apply("DepthwiseConv2dNative", [x, w], attrs, name or "depthwise")


def separable_conv2d(input: Any, depthwise_filter: Any, pointwise_filter: Any, strides: Any, padding: str,
                     rate: Any = None, name: Optional[str] = None, data_format: Any = None,
                     dilations: Any = None) -> Tensor:
    """A depthwise convolution then a 1x1 convolution with ``pointwise_filter`` [1, 1, in * mult, out] (TF1)."""
    graph = _graph_of([input, depthwise_filter, pointwise_filter])
    with graph.as_default(), graph.name_scope(name or "separable_conv2d") as scope:
        x, dw, pw = convert_n([input, depthwise_filter, pointwise_filter])
        if pw.shape.ndims == 4 and pw.shape.as_list()[:2] != [1, 1]:
            raise ValueError(f"separable_conv2d: pointwise_filter {pw.name} {pw.shape} must be [1, 1, in, out]")
        depthwise = depthwise_conv2d(x, dw, strides, padding, rate=rate, data_format=data_format,
                                     dilations=dilations, name="depthwise")
        return conv.conv2d(depthwise, pw, [1, 1, 1, 1], "VALID", name=scope)


# ------------------------------------------------------------------------------------------------
# local response normalization

def local_response_normalization(input: Any, depth_radius: int = 5, bias: float = 1.0, alpha: float = 1.0,
                                 beta: float = 0.5, name: Optional[str] = None) -> Tensor:
    """input / (bias + alpha * sum of squares over a window of 2 * depth_radius + 1 channels) ** beta,
    per pixel (TF1 ``tf.nn.local_response_normalization``, NHWC)."""
    graph = _graph_of([input])
    with graph.as_default(), graph.name_scope(name or "LRN") as scope:
        x = convert_to_tensor(input, name="input")
        _check_float(x, "input", "local_response_normalization")
        if x.shape.ndims not in (None, 4):
            raise ValueError(f"local_response_normalization: input {x.name} must be rank 4 (NHWC), got {x.shape}")
        r = int(depth_radius)
        if r < 0:
            raise ValueError(f"local_response_normalization: depth_radius must be >= 0, got {depth_radius}")
        squares = pad(m.square(x), [[0, 0], [0, 0], [0, 0], [r, r]])
        # the window's sum: 2r + 1 shifted channel slices added (its derivative is TF1's LRNGrad)
        window = m.add_n([squares[:, :, :, k:k - 2 * r or None] for k in range(2 * r + 1)])
        return m.multiply(x, m.pow(bias + alpha * window, -beta), name=scope)


lrn = local_response_normalization

__all__ = ["conv1d", "conv2d_transpose", "atrous_conv2d", "depthwise_conv2d", "separable_conv2d",
           "local_response_normalization", "lrn"]
