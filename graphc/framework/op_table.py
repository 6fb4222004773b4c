"""graphc's ops as TensorFlow's: one row per op, with TF's op name and the converters both ways.

``to_tf(op, const)`` gives a graphc op's TF inputs (tensor names; ``const(suffix, array)`` adds a
``Const`` node for a graphc attr that TensorFlow takes as an input, such as a reduction's axes, and
``const.node(...)`` any helper node) and TF attrs. ``build(inputs, attrs, name)`` makes the graphc op (or composition) for a TF node from
its input tensors and its attrs as Python values; ``name`` ends in "/" (taken verbatim).

TF-only ops that graphc expresses as compositions (``BiasAdd``, ``Softmax``, ``ApplyAdam``, ...)
have rows with no graphc type, in ``tf_compositions.py``: they are read, never written. The string ops'
rows are in ``string_table.py``; the row type and the converters' helpers in ``op_mapping.py``.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes
from graphc.framework.attr_values import AttrValue, dtype_attr, ints, make_tensor_proto, shape_proto
from graphc.framework import (index_table, lowered_table, parse_table, queue_table, sparse_io_table, string_table,
                              summary_table, tensor_array_table, tf_compositions)
from graphc.framework.op_mapping import (LOWERED_ATTRS, LOWERED_INPUTS, LOWERED_TYPE, LOWERING_HELPER, OpMapping,
                                         composition, same_op, static_value, tensor_name, tf_inputs, type_attr)
from graphc.graph import Operation
from graphc.ops import dynamic_window, image_resize, sequence  # noqa: F401  (registers the resizes, run-time windows, ReverseSequence, InTopKV2)
from graphc.ops import array, join_split, logging_ops, math, state
from graphc.ops.core import constant_value, make_op


def _elementwise(graphc_type: str, tf_type: Optional[str] = None, typed: bool = True) -> OpMapping:
    return OpMapping(graphc_type, tf_type or graphc_type,
                     lambda op, const: (tf_inputs(op), type_attr(op) if typed else {}), same_op(graphc_type))


_UNARY = ("Abs", "Ceil", "Cos", "Elu", "Exp", "Expm1", "Floor", "IsFinite", "IsInf", "IsNan", "Log", "Log1p",
          "Neg", "Reciprocal", "Relu", "Round", "Rsqrt", "Sigmoid", "Sign", "Sin", "Softplus", "Sqrt", "Square",
          "Tanh", "StopGradient", "Identity")
_BINARY = ("Add", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "Pow", "Equal", "NotEqual", "Greater",
           "GreaterEqual", "Less", "LessEqual", "FloorDiv", "FloorMod")


# sources and state ----------------------------------------------------------------------------

def _const_to_tf(op: Operation, const: Callable) -> tuple:
    return [], {"dtype": dtype_attr(op.attrs["dtype"]),
                "value": AttrValue(tensor=make_tensor_proto(op.attrs["value"], op.attrs["dtype"]))}


def _build_const(inputs: list, attrs: dict, name: str) -> Any:
    value = np.asarray(attrs["value"]).astype(attrs["dtype"].np_type) if attrs["dtype"] != dtypes.string \
        else attrs["value"]
    return make_op("Const", [], {"value": value, "dtype": attrs["dtype"]}, name)


def _placeholder_to_tf(op: Operation, const: Callable) -> tuple:
    return [], {"dtype": dtype_attr(op.attrs["dtype"]), "shape": AttrValue(shape=shape_proto(op.attrs["shape"]))}


def _build_placeholder(inputs: list, attrs: dict, name: str) -> Any:
    return make_op("Placeholder", [], {"dtype": attrs["dtype"], "shape": attrs.get("shape")}, name)


def _variable_to_tf(op: Operation, const: Callable) -> tuple:
    return [], {"dtype": dtype_attr(op.attrs["dtype"]), "shape": AttrValue(shape=shape_proto(op.attrs["shape"])),
                "container": AttrValue(s=b""), "shared_name": AttrValue(s=b"")}


def _build_variable(inputs: list, attrs: dict, name: str) -> Any:
    # the Variable object is attached when a meta graph's VariableDef (or import_graph_def) names it
    return make_op(state.STATE_READ, [], {"variable": None, "dtype": attrs["dtype"], "shape": attrs["shape"]}, name)


def _assign_to_tf(op: Operation, const: Callable) -> tuple:
    attrs = type_attr(op, 1)
    attrs["use_locking"] = AttrValue(b=True)
    if op.type == "Assign":
        attrs["validate_shape"] = AttrValue(b=bool(op.attrs.get("validate_shape", True)))
    return tf_inputs(op), attrs


def _random_to_tf(op: Operation, const: Callable) -> tuple:
    attrs = {"seed": AttrValue(i=op.attrs.get("seed") or 0), "seed2": AttrValue(i=op.attrs.get("seed2") or 0),
             "T": dtype_attr(op.inputs[0].dtype)}
    attrs["Tout" if op.type == "RandomUniformInt" else "dtype"] = dtype_attr(op.attrs["dtype"])
    return tf_inputs(op), attrs


def _build_random(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        seeds = (attrs.get("seed") or None, attrs.get("seed2") or None)
        if seeds[0] is None and seeds[1] is not None:
            seeds = (0, seeds[1])
        dtype = attrs["Tout"] if graphc_type == "RandomUniformInt" else attrs["dtype"]
        return make_op(graphc_type, inputs, {"dtype": dtype, "seed": seeds[0], "seed2": seeds[1]}, name)
    return build


# math, reductions ------------------------------------------------------------------------------

def _cast_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {"SrcT": dtype_attr(op.inputs[0].dtype), "DstT": dtype_attr(op.attrs["dtype"]),
                     "Truncate": AttrValue(b=False)}


def _matmul_to_tf(op: Operation, const: Callable) -> tuple:
    """TF's MatMul takes matrices only: a batched product is written as BatchMatMulV2 (adj_x/adj_y)."""
    a, b = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if any(t.shape.ndims is None or t.shape.ndims > 2 for t in op.inputs):
        return tf_inputs(op), {**type_attr(op), "adj_x": AttrValue(b=a), "adj_y": AttrValue(b=b)}, "BatchMatMulV2"
    return tf_inputs(op), {**type_attr(op), "transpose_a": AttrValue(b=a), "transpose_b": AttrValue(b=b)}


def _addn_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "N": AttrValue(i=len(op.inputs))}


def _reduction_to_tf(op: Operation, const: Callable) -> tuple:
    axis = op.attrs["axis"]
    if axis is None:
        axis = range(op.inputs[0].shape.rank)
    attrs = {"Tidx": dtype_attr(dtypes.int32), "keep_dims": AttrValue(b=bool(op.attrs["keepdims"]))}
    if op.type not in ("All", "Any"):
        attrs.update(type_attr(op))
    return tf_inputs(op) + [const("reduction_indices", np.array(list(axis), dtype=np.int32))], attrs


def _build_reduction(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        x, axes = inputs
        axis = [int(a) for a in np.atleast_1d(static_value(axes, "reduction axes", name))]
        rank = x.shape.rank
        attr_axis = tuple(sorted({a % rank for a in axis})) if rank is not None else tuple(axis)
        return make_op(graphc_type, [x], {"axis": attr_axis, "keepdims": bool(attrs.get("keep_dims", False))},
                       name)
    return build


def _arg_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op) + [const("dimension", np.array(op.attrs["axis"], dtype=np.int32))], \
        {**type_attr(op), "Tidx": dtype_attr(dtypes.int32), "output_type": dtype_attr(op.attrs["output_type"])}


def _build_arg(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        axis = int(static_value(inputs[1], "dimension", name))
        return make_op(graphc_type, [inputs[0]], {"axis": axis, "output_type": attrs.get("output_type", dtypes.int64)},
                       name)
    return build


def _select_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), type_attr(op, 1)


# arrays ----------------------------------------------------------------------------------------

def _reshape_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "Tshape": dtype_attr(op.inputs[1].dtype)}


def _concat_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op) + [const("axis", np.array(op.attrs["axis"], dtype=np.int32))], \
        {**type_attr(op), "N": AttrValue(i=len(op.inputs)), "Tidx": dtype_attr(dtypes.int32)}


def _build_concat(inputs: list, attrs: dict, name: str) -> Any:
    return make_op("ConcatV2", inputs[:-1], {"axis": int(static_value(inputs[-1], "axis", name))}, name)


def _pack_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "N": AttrValue(i=len(op.inputs)), "axis": AttrValue(i=op.attrs["axis"])}


def _unpack_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "num": AttrValue(i=op.attrs["num"]), "axis": AttrValue(i=op.attrs["axis"])}


def _transpose_to_tf(op: Operation, const: Callable) -> tuple:
    perm = op.attrs["perm"]
    if perm is None:
        perm = range(op.inputs[0].shape.rank - 1, -1, -1)
    return tf_inputs(op) + [const("perm", np.array(list(perm), dtype=np.int32))], \
        {**type_attr(op), "Tperm": dtype_attr(dtypes.int32)}


def _build_transpose(inputs: list, attrs: dict, name: str) -> Any:
    perm = tuple(int(p) for p in static_value(inputs[1], "perm", name))
    return make_op("Transpose", [inputs[0]], {"perm": perm}, name)


def _expand_dims_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op) + [const("dim", np.array(op.attrs["axis"], dtype=np.int32))], \
        {**type_attr(op), "Tdim": dtype_attr(dtypes.int32)}


def _squeeze_to_tf(op: Operation, const: Callable) -> tuple:
    axis = op.attrs["axis"]
    axis = [] if axis is None else [axis] if isinstance(axis, int) else list(axis)
    return tf_inputs(op), {**type_attr(op), "squeeze_dims": ints(axis)}


def _build_squeeze(inputs: list, attrs: dict, name: str) -> Any:
    dims = attrs.get("squeeze_dims") or None
    return make_op("Squeeze", inputs, {"axis": None if dims is None else tuple(dims)}, name)


def _shape_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "out_type": dtype_attr(op.attrs["out_type"])}


def _fill_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op, 1), "index_type": dtype_attr(op.inputs[0].dtype)}


def _tile_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "Tmultiples": dtype_attr(op.inputs[1].dtype)}


def _broadcast_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "Tidx": dtype_attr(op.inputs[1].dtype)}


def _range_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {"Tidx": dtype_attr(op.outputs[0].dtype)}


def _pad_to_tf(op: Operation, const: Callable) -> tuple:
    x, value = tf_inputs(op)
    return [x, const("paddings", np.array(op.attrs["paddings"], dtype=np.int32)), value], \
        {**type_attr(op), "Tpaddings": dtype_attr(dtypes.int32)}


def _build_pad(inputs: list, attrs: dict, name: str) -> Any:
    """TF's Pad/PadV2: graphc's Pad for constant paddings, its run-time DynamicPad (zeros) otherwise."""
    x, paddings = inputs[:2]
    if len(inputs) == 2 and constant_value(paddings) is None:
        return make_op("DynamicPad", [x, paddings], {"context": "Pad"}, name)
    value = inputs[2] if len(inputs) > 2 else np.zeros((), dtype=x.dtype.np_type)
    pads = tuple(tuple(int(p) for p in row) for row in static_value(paddings, "paddings", name))
    return make_op("Pad", [x, value], {"paddings": pads}, name)


def _dynamic_pad_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "Tpaddings": dtype_attr(op.inputs[1].dtype)}


def _dynamic_slice_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "Index": dtype_attr(op.inputs[1].dtype)}


def _build_slice(inputs: list, attrs: dict, name: str) -> Any:
    """TF's Slice: graphc's static slice for constant begin and size, its run-time DynamicSlice otherwise."""
    begin, size = (constant_value(t) for t in inputs[1:])
    if begin is None or size is None:
        return make_op("DynamicSlice", inputs, {"context": "Slice", "positive_size": False}, name)
    return array.slice(inputs[0], [int(b) for b in begin], [int(z) for z in size], name=name)


def _mirror_pad_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op) + [const("paddings", np.array(op.attrs["paddings"], dtype=np.int32))], \
        {**type_attr(op), "Tpaddings": dtype_attr(dtypes.int32), "mode": AttrValue(s=op.attrs["mode"].encode())}


def _build_mirror_pad(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        pads = tuple(tuple(int(p) for p in row) for row in static_value(inputs[1], "paddings", name))
        return make_op(graphc_type, inputs[:1], {"paddings": pads, "mode": attrs["mode"].decode()}, name)
    return build


def _gather_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op) + [const("axis", np.array(op.attrs["axis"], dtype=np.int32))], \
        {"Tparams": dtype_attr(op.inputs[0].dtype), "Tindices": dtype_attr(op.inputs[1].dtype),
         "Taxis": dtype_attr(dtypes.int32), "batch_dims": AttrValue(i=0)}


def _build_gather(inputs: list, attrs: dict, name: str) -> Any:
    if attrs.get("batch_dims", 0):
        raise ValueError(f"Node {name[:-1]}: GatherV2 with batch_dims={attrs['batch_dims']} is not supported")
    return make_op("GatherV2", inputs[:2], {"axis": int(static_value(inputs[2], "axis", name))}, name)


def _reverse_sequence_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "Tlen": dtype_attr(op.inputs[1].dtype),
                           "seq_dim": AttrValue(i=op.attrs["seq_dim"]), "batch_dim": AttrValue(i=op.attrs["batch_dim"])}


def _one_hot_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op, 2), "TI": dtype_attr(op.inputs[0].dtype),
                           "axis": AttrValue(i=op.attrs["axis"])}


def _split_to_tf(op: Operation, const: Callable) -> tuple:
    axis = const("axis", np.array(op.attrs["axis"], dtype=np.int32))
    attrs = {**type_attr(op), "num_split": AttrValue(i=op.attrs["num_split"])}
    if op.type == "Split":
        return [axis] + tf_inputs(op), attrs
    return tf_inputs(op) + [axis], {**attrs, "Tlen": dtype_attr(op.inputs[1].dtype)}


def _build_split(inputs: list, attrs: dict, name: str) -> Any:
    axis = int(static_value(inputs[0], "split axis", name))
    return make_op("Split", inputs[1:], {"axis": axis, "num_split": attrs["num_split"]}, name)


def _build_split_v(inputs: list, attrs: dict, name: str) -> Any:
    axis = int(static_value(inputs[2], "split axis", name))
    return make_op("SplitV", inputs[:2], {"axis": axis, "num_split": attrs["num_split"]}, name)


def _strided_slice_to_tf(op: Operation, const: Callable) -> tuple:
    parts, attrs = _spec_to_tf(op, const)
    return tf_inputs(op) + parts, attrs


def _strided_slice_grad_to_tf(op: Operation, const: Callable) -> tuple:
    """graphc's StridedSliceGrad(dy, shape) as TF's StridedSliceGrad(shape, begin, end, strides, dy)."""
    dy, shape = tf_inputs(op)
    parts, attrs = _spec_to_tf(op, const)
    return [shape, *parts, dy], attrs


def _build_strided_slice_grad(inputs: list, attrs: dict, name: str) -> Any:
    shape, dy = inputs[0], inputs[4]
    return make_op("StridedSliceGrad", [dy, shape], {"spec": _spec_from_tf(inputs[1:4], attrs, name)}, name)


def _spec_to_tf(op: Operation, const: Callable) -> tuple:
    """A StridedSlice spec as TF's begin/end/strides Consts and masks."""
    begin, end, strides, masks = [], [], [], dict.fromkeys(("begin_mask", "end_mask", "ellipsis_mask",
                                                            "new_axis_mask", "shrink_axis_mask"), 0)
    for k, item in enumerate(op.attrs["spec"]):
        bit = 1 << k
        if item[0] == "slice":
            b, e, st = item[1:]
            masks["begin_mask"] |= bit if b is None else 0
            masks["end_mask"] |= bit if e is None else 0
            begin.append(b or 0), end.append(e or 0), strides.append(1 if st is None else st)
        else:
            index = item[1] if item[0] == "int" else 0
            masks[{"int": "shrink_axis_mask", "ellipsis": "ellipsis_mask", "new": "new_axis_mask"}[item[0]]] |= bit
            begin.append(index), end.append(index + 1 if item[0] == "int" else 0), strides.append(1)
    parts = [const(n, np.array(v, dtype=np.int32)) for n, v in (("begin", begin), ("end", end), ("strides", strides))]
    return parts, {**type_attr(op), "Index": dtype_attr(dtypes.int32), **{k: AttrValue(i=v) for k, v in masks.items()}}


def _build_strided_slice(inputs: list, attrs: dict, name: str) -> Any:
    return make_op("StridedSlice", inputs[:1], {"spec": _spec_from_tf(inputs[1:4], attrs, name)}, name)


def _spec_from_tf(bounds: list, attrs: dict, name: str) -> tuple:
    """TF's begin/end/strides (constant tensors) and masks as a graphc StridedSlice spec."""
    begin, end, strides = (static_value(t, what, name) for t, what in zip(bounds, ("begin", "end", "strides")))
    spec = []
    for k in range(len(begin)):
        bit = 1 << k
        if attrs.get("ellipsis_mask", 0) & bit:
            spec.append(("ellipsis",))
        elif attrs.get("new_axis_mask", 0) & bit:
            spec.append(("new",))
        elif attrs.get("shrink_axis_mask", 0) & bit:
            spec.append(("int", int(begin[k])))
        else:
            spec.append(("slice", None if attrs.get("begin_mask", 0) & bit else int(begin[k]),
                         None if attrs.get("end_mask", 0) & bit else int(end[k]), int(strides[k])))
    return tuple(spec)


# nn --------------------------------------------------------------------------------------------

def _nhwc(values: tuple) -> Any:
    return ints([1, *values, 1])


def _check_nhwc(attrs: dict, name: str) -> None:
    fmt = attrs.get("data_format", b"NHWC")
    if fmt not in (b"NHWC", "NHWC"):
        raise ValueError(f"Node {name[:-1]}: data_format {fmt!r} is not supported (graphc's convolutions are NHWC)")


def _spatial(values: list, what: str, name: str) -> tuple:
    if len(values) != 4 or values[0] != 1 or values[3] != 1:
        raise ValueError(f"Node {name[:-1]}: {what} {values} moves along the batch or channel dimension")
    return (int(values[1]), int(values[2]))


def _conv_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op, len(op.inputs) - 1), "strides": _nhwc(op.attrs["strides"]),
                           "dilations": _nhwc(op.attrs["dilations"]),
                     "padding": AttrValue(s=op.attrs["padding"].encode()), "data_format": AttrValue(s=b"NHWC"),
                     "use_cudnn_on_gpu": AttrValue(b=True)}


def _depthwise_to_tf(op: Operation, const: Callable) -> tuple:
    """The depthwise convolutions take Conv2D's attrs less ``use_cudnn_on_gpu``."""
    inputs, attrs = _conv_to_tf(op, const)
    del attrs["use_cudnn_on_gpu"]
    return inputs, attrs


def _build_conv(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        _check_nhwc(attrs, name)
        padding = attrs["padding"].decode()
        if padding == "EXPLICIT":
            raise ValueError(f"Node {name[:-1]}: EXPLICIT padding is not supported")
        return make_op(graphc_type, inputs, {"strides": _spatial(attrs["strides"], "strides", name),
                                             "dilations": _spatial(attrs.get("dilations", [1, 1, 1, 1]),
                                                                   "dilations", name),
                                             "padding": padding}, name)
    return build


def _pool_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op, len(op.inputs) - 1), "ksize": _nhwc(op.attrs["ksize"]),
                     "strides": _nhwc(op.attrs["strides"]), "padding": AttrValue(s=op.attrs["padding"].encode()),
                     "data_format": AttrValue(s=b"NHWC")}


def _build_pool(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        _check_nhwc(attrs, name)
        return make_op(graphc_type, inputs, {"ksize": _spatial(attrs["ksize"], "ksize", name),
                                             "strides": _spatial(attrs["strides"], "strides", name),
                                             "padding": attrs["padding"].decode()}, name)
    return build


# A graphc op TensorFlow lacks may be written as several TF nodes (op_mapping.LOWERED_TYPE & co.)


def _sum_to_to_tf(op: Operation, emit: Any) -> tuple:
    """SumTo(x, shape) as TF1's broadcast-gradient pattern:
    Reshape(Sum(x, BroadcastGradientArgs(Shape(x), shape)[1]), shape)."""
    x, shape = tf_inputs(op)
    index = dtype_attr(op.inputs[1].dtype)
    helper = {LOWERING_HELPER: AttrValue(b=True)}
    x_shape = emit.node("Shape", "Shape", [x], {**type_attr(op), "out_type": index, **helper})
    args = emit.node("BroadcastGradientArgs", "BroadcastGradientArgs", [x_shape, shape], {"T": index, **helper})
    total = emit.node("Sum", "Sum", [x, f"{args}:1"], {**type_attr(op), "Tidx": index, "keep_dims": AttrValue(b=False),
                                                        **helper})
    return [total, shape], {**type_attr(op), "Tshape": index, LOWERED_TYPE: AttrValue(s=b"SumTo"),
                            LOWERED_INPUTS: AttrValue(list=AttrValue.ListValue(s=[x.encode(), shape.encode()]))}


def _identity_n_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {"T": AttrValue(list=AttrValue.ListValue(type=[dtype_attr(t.dtype).type for t in op.inputs]))}


def _segment_sum_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "Tindices": dtype_attr(op.inputs[1].dtype),
                     "Tnumsegments": dtype_attr(op.inputs[2].dtype)}


def _print_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "U": AttrValue(list=AttrValue.ListValue(
        type=[dtype_attr(t.dtype).type for t in op.inputs[1:]])), "message": AttrValue(s=op.attrs["message"].encode()),
        "first_n": AttrValue(i=op.attrs["first_n"]), "summarize": AttrValue(i=op.attrs["summarize"])}


def _print(inputs: list, attrs: dict) -> Any:
    message = attrs.get("message", b"")
    return logging_ops.Print(inputs[0], inputs[1:], message.decode() if isinstance(message, bytes) else message,
                             first_n=attrs.get("first_n", -1), summarize=attrs.get("summarize", 3))


def _svd_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op), "compute_uv": AttrValue(b=bool(op.attrs["compute_uv"])),
                     "full_matrices": AttrValue(b=False)}


def _build_svd(inputs: list, attrs: dict, name: str) -> Any:
    if attrs.get("full_matrices"):
        raise ValueError("Svd with full_matrices=True is not supported (graphc computes the thin U and V)")
    return make_op("Svd", inputs, {"compute_uv": bool(attrs.get("compute_uv", True))}, name)


def _resize_to_tf(op: Operation, const: Callable) -> tuple:
    """Resizes and the bilinear/bicubic gradients: TF's inputs as graphc's, ``T`` of the image input."""
    image = 1 if op.type.endswith("Grad") else 0
    return tf_inputs(op), {**type_attr(op, image), "align_corners": AttrValue(b=op.attrs["align_corners"]),
                           "half_pixel_centers": AttrValue(b=op.attrs["half_pixel_centers"])}


_RESIZE_ATTRS = ("align_corners", "half_pixel_centers")


def _resize_nearest_grad_to_tf(op: Operation, const: Callable) -> tuple:
    """graphc's ResizeNearestNeighborGrad(grads, images) as TF's (grads, size): the images' [height, width],
    a Const when known, else sliced from their Shape."""
    grads, images = tf_inputs(op)
    hw = op.inputs[1].shape.as_list()[1:3] if op.inputs[1].shape.ndims == 4 else [None]
    if None not in hw:
        size = const("size", np.array(hw, dtype=np.int32))
    else:
        index = dtype_attr(dtypes.int32)
        shape = const.node("Shape", "Shape", [images], {**type_attr(op, 1), "out_type": index})
        bounds = [const(n, np.array([v], dtype=np.int32)) for n, v in (("begin", 1), ("end", 3), ("strides", 1))]
        size = const.node("size", "StridedSlice", [shape, *bounds], {"T": index, "Index": index, **{
            k: AttrValue(i=0) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                        "shrink_axis_mask")}})
    return [grads, size], {**type_attr(op), **{k: AttrValue(b=op.attrs[k]) for k in _RESIZE_ATTRS}}


def _resize_nearest_grad(inputs: list, attrs: dict) -> Any:
    """TF's (grads, size) as graphc's (grads, images): zeros of the images' shape stand for the images."""
    grads, size = inputs
    batch_and_channels = array.shape(grads)
    shape = join_split.concat([batch_and_channels[:1], math.cast(size, dtypes.int32), batch_and_channels[3:]], 0)
    images = array.zeros(shape, dtype=grads.dtype)
    return make_op("ResizeNearestNeighborGrad", [grads, images],
                   {k: bool(attrs.get(k, False)) for k in _RESIZE_ATTRS}, "ResizeNearestNeighborGrad").outputs[0]

_ROWS = [
    OpMapping("Const", "Const", _const_to_tf, _build_const),
    OpMapping("Placeholder", "Placeholder", _placeholder_to_tf, _build_placeholder),
    OpMapping("PlaceholderWithDefault", "PlaceholderWithDefault",
              lambda op, const: (tf_inputs(op), {"dtype": dtype_attr(op.outputs[0].dtype),
                                           "shape": AttrValue(shape=shape_proto(op.attrs["shape"]))}),
              lambda inputs, attrs, name: make_op("PlaceholderWithDefault", inputs, {"shape": attrs["shape"]}, name)),
    OpMapping(state.STATE_READ, "VariableV2", _variable_to_tf, _build_variable),
    OpMapping("Assign", "Assign", _assign_to_tf, same_op("Assign", ("validate_shape",))),
    OpMapping("AssignAdd", "AssignAdd", _assign_to_tf, same_op("AssignAdd")),
    OpMapping("AssignSub", "AssignSub", _assign_to_tf, same_op("AssignSub")),
    OpMapping("NoOp", "NoOp", lambda op, const: ([], {}), same_op("NoOp")),
    *[_elementwise(t) for t in _UNARY + _BINARY],
    OpMapping(None, "AddV2", None, same_op("Add")),
    OpMapping(None, "Snapshot", None, same_op("Identity")),
    _elementwise("LogicalNot", typed=False), _elementwise("LogicalAnd", typed=False),
    _elementwise("LogicalOr", typed=False),
    OpMapping("Select", "SelectV2", _select_to_tf, same_op("Select")),
    OpMapping("Cast", "Cast", _cast_to_tf,
              lambda inputs, attrs, name: make_op("Cast", inputs, {"dtype": attrs["DstT"]}, name)),
    OpMapping("MatMul", "MatMul", _matmul_to_tf, same_op("MatMul", ("transpose_a", "transpose_b"))),
    OpMapping("AddN", "AddN", _addn_to_tf, same_op("AddN")),
    *[OpMapping(t, t, _reduction_to_tf, _build_reduction(t)) for t in ("Sum", "Mean", "Max", "Min", "Prod", "All",
                                                                        "Any")],
    *[OpMapping(t, t, _arg_to_tf, _build_arg(t)) for t in ("ArgMax", "ArgMin")],
    OpMapping("Reshape", "Reshape", _reshape_to_tf, same_op("Reshape")),
    OpMapping("ConcatV2", "ConcatV2", _concat_to_tf, _build_concat),
    OpMapping("Pack", "Pack", _pack_to_tf, same_op("Pack", ("axis",))),
    OpMapping("Unpack", "Unpack", _unpack_to_tf, same_op("Unpack", ("axis", "num"))),
    OpMapping("Transpose", "Transpose", _transpose_to_tf, _build_transpose),
    OpMapping("ExpandDims", "ExpandDims", _expand_dims_to_tf,
              lambda inputs, attrs, name: make_op("ExpandDims", inputs[:1],
                                                  {"axis": int(static_value(inputs[1], "dim", name))}, name)),
    OpMapping("Squeeze", "Squeeze", _squeeze_to_tf, _build_squeeze),
    OpMapping("Shape", "Shape", _shape_to_tf, same_op("Shape", ("out_type",))),
    OpMapping("Size", "Size", _shape_to_tf, same_op("Size", ("out_type",))),
    OpMapping("Rank", "Rank", lambda op, const: (tf_inputs(op), type_attr(op)), same_op("Rank")),
    OpMapping("Fill", "Fill", _fill_to_tf, same_op("Fill")),
    OpMapping("Tile", "Tile", _tile_to_tf, same_op("Tile")),
    OpMapping("BroadcastTo", "BroadcastTo", _broadcast_to_tf, same_op("BroadcastTo")),
    OpMapping("Range", "Range", _range_to_tf, same_op("Range")),
    OpMapping("Pad", "PadV2", _pad_to_tf, _build_pad),
    OpMapping("DynamicPad", "Pad", _dynamic_pad_to_tf, _build_pad),
    OpMapping("DynamicSlice", "Slice", _dynamic_slice_to_tf, _build_slice),
    OpMapping("ResizeArea", "ResizeArea", lambda op, const: (tf_inputs(op), {
        **type_attr(op), "align_corners": AttrValue(b=op.attrs["align_corners"])}), same_op("ResizeArea", ("align_corners",))),
    *[OpMapping(t, t, _mirror_pad_to_tf, _build_mirror_pad(t)) for t in ("MirrorPad", "MirrorPadGrad")],
    OpMapping("Split", "Split", _split_to_tf, _build_split),
    OpMapping("SplitV", "SplitV", _split_to_tf, _build_split_v),
    OpMapping("StridedSlice", "StridedSlice", _strided_slice_to_tf, _build_strided_slice),
    OpMapping("StridedSliceGrad", "StridedSliceGrad", _strided_slice_grad_to_tf, _build_strided_slice_grad),
    OpMapping("GatherV2", "GatherV2", _gather_to_tf, _build_gather),
    OpMapping("OneHot", "OneHot", _one_hot_to_tf, same_op("OneHot", ("axis",))),
    *[OpMapping(t, t, _resize_to_tf, same_op(t, _RESIZE_ATTRS)) for t in (
        "ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeBilinearGrad", "ResizeBicubicGrad")],
    OpMapping("ResizeNearestNeighborGrad", "ResizeNearestNeighborGrad", _resize_nearest_grad_to_tf,
              composition(_resize_nearest_grad)),
    OpMapping("ReverseSequence", "ReverseSequence", _reverse_sequence_to_tf,
              same_op("ReverseSequence", ("seq_dim", "batch_dim"))),
    OpMapping("InTopKV2", "InTopKV2", lambda op, const: (tf_inputs(op), type_attr(op, 1)), same_op("InTopKV2")),
    *[OpMapping(t, t, _random_to_tf, _build_random(t)) for t in ("RandomUniform", "RandomStandardNormal",
                                                                  "TruncatedNormal", "RandomUniformInt")],
    *[OpMapping(t, t, _conv_to_tf, _build_conv(t)) for t in ("Conv2D", "Conv2DBackpropInput",
                                                              "Conv2DBackpropFilter")],
    *[OpMapping(t, t, _pool_to_tf, _build_pool(t)) for t in ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad",
                                                              "MaxPoolGradGrad")],
    OpMapping("IdentityN", "IdentityN", _identity_n_to_tf, same_op("IdentityN")),
    OpMapping("Svd", "Svd", _svd_to_tf, _build_svd),
    OpMapping("Print", "Print", _print_to_tf, composition(_print)),
    OpMapping("UnsortedSegmentSum", "UnsortedSegmentSum", _segment_sum_to_tf, same_op("UnsortedSegmentSum")),
    *[OpMapping(t, t, _depthwise_to_tf, _build_conv(t)) for t in (
        "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropFilter")],
    *index_table.ROWS,
    *sparse_io_table.ROWS,
    *summary_table.ROWS,
    *tf_compositions.ROWS,
    *string_table.ROWS,
    *tensor_array_table.ROWS,
    *parse_table.ROWS,
    *queue_table.ROWS,
]

def _gather_rows_to_tf(op: Operation, const: Callable) -> tuple:
    """GatherRows(index, *stacks) (a loop gradient's reads of iteration ``index``) as one GatherV2 per
    stack and an IdentityN named as the op; read back as those ops (the same values)."""
    index, *stacks = op.inputs
    axis = const("axis", np.array(0, dtype=np.int32))
    rows = [const.node(f"row_{k}", "GatherV2", [tensor_name(s), tensor_name(index), axis], {
        "Tparams": dtype_attr(s.dtype), "Tindices": dtype_attr(index.dtype), "Taxis": dtype_attr(dtypes.int32),
        "batch_dims": AttrValue(i=0)}) for k, s in enumerate(stacks)]
    return rows, {"T": AttrValue(list=AttrValue.ListValue(type=[dtype_attr(t.dtype).type for t in op.outputs]))}


# written as TensorFlow's ops, read back as graphc's own (by the LOWERED_TYPE attr), never from TensorFlow;
# GatherRows is read back as the TensorFlow ops it is written as
_LOWERED = [OpMapping("SumTo", "Reshape", _sum_to_to_tf, same_op("SumTo")),
            OpMapping("GatherRows", "IdentityN", _gather_rows_to_tf, same_op("IdentityN")),
            *lowered_table.LOWERED]

BY_GRAPHC = {row.graphc_type: row for row in _ROWS + _LOWERED if row.graphc_type is not None}
BY_TF = {row.tf_type: row for row in _ROWS}
assert len(BY_TF) == len(_ROWS), "a TF op type has two rows"


__all__ = ["OpMapping", "BY_GRAPHC", "BY_TF", "tensor_name", "LOWERED_TYPE", "LOWERED_INPUTS", "LOWERED_ATTRS",
           "LOWERING_HELPER"]
