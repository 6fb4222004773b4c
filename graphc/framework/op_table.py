"""graphc's ops as TensorFlow's: one row per op, with TF's op name and the converters both ways.

``to_tf(op, const)`` gives a graphc op's TF inputs (tensor names; ``const(suffix, array)`` adds a
``Const`` node for a graphc attr that TensorFlow takes as an input, such as a reduction's axes, and
``const.node(...)`` any helper node) and TF attrs. ``build(inputs, attrs, name)`` makes the graphc op (or composition) for a TF node from
its input tensors and its attrs as Python values; ``name`` ends in "/" (taken verbatim).

TF-only ops that graphc expresses as compositions (``BiasAdd``, ``Softmax``, ``ApplyAdam``, ...)
have rows with no graphc type: they are read, never written.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes
from graphc.framework.attr_values import AttrValue, dtype_attr, ints, make_tensor_proto, shape_proto
from graphc.graph import Operation, Tensor
from graphc.ops import array, math, reduce, state
from graphc.ops import nn
from graphc.ops import sequence  # noqa: F401  (registers ReverseSequence, InTopKV2)
from graphc.ops.core import constant_value, make_op


@dataclasses.dataclass(frozen=True)
class OpMapping:
    """One op type in both vocabularies (``graphc_type`` None: read from TensorFlow only)."""

    graphc_type: Optional[str]
    tf_type: str
    to_tf: Optional[Callable[[Operation, Callable], tuple]]
    build: Callable[[list, dict, str], Any]


def tensor_name(t: Tensor) -> str:
    """A GraphDef input name: ``op`` for output 0, ``op:i`` otherwise."""
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def _in(op: Operation) -> list:
    return [tensor_name(t) for t in op.inputs]


def _t(op: Operation, index: int = 0) -> dict:
    return {"T": dtype_attr(op.inputs[index].dtype)}


def _static(t: Tensor, what: str, name: str) -> np.ndarray:
    value = constant_value(t)
    if value is None:
        raise ValueError(f"Node {name[:-1]}: graphc needs its {what} ({t.name}) to be a constant")
    return np.asarray(value)


def _make(graphc_type: str, keep: tuple = ()) -> Callable:
    """A builder making ``graphc_type`` from all inputs with ``keep`` attrs passed through."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        return make_op(graphc_type, inputs, {k: attrs[k] for k in keep if k in attrs}, name)
    return build


def _wrap(fn: Callable) -> Callable:
    """A builder for a composition: ``fn(inputs, attrs)`` under the node's scope, its result named as the node."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        graph = inputs[0].graph
        with graph.name_scope(name):
            out = fn(inputs, attrs)
        return make_op("Identity", [out], {}, name)
    return build


def _elementwise(graphc_type: str, tf_type: Optional[str] = None, typed: bool = True) -> OpMapping:
    return OpMapping(graphc_type, tf_type or graphc_type,
                     lambda op, const: (_in(op), _t(op) if typed else {}), _make(graphc_type))


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
    attrs = _t(op, 1)
    attrs["use_locking"] = AttrValue(b=True)
    if op.type == "Assign":
        attrs["validate_shape"] = AttrValue(b=bool(op.attrs.get("validate_shape", True)))
    return _in(op), attrs


def _random_to_tf(op: Operation, const: Callable) -> tuple:
    attrs = {"seed": AttrValue(i=op.attrs.get("seed") or 0), "seed2": AttrValue(i=op.attrs.get("seed2") or 0),
             "T": dtype_attr(op.inputs[0].dtype)}
    attrs["Tout" if op.type == "RandomUniformInt" else "dtype"] = dtype_attr(op.attrs["dtype"])
    return _in(op), attrs


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
    return _in(op), {"SrcT": dtype_attr(op.inputs[0].dtype), "DstT": dtype_attr(op.attrs["dtype"]),
                     "Truncate": AttrValue(b=False)}


def _matmul_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "transpose_a": AttrValue(b=op.attrs["transpose_a"]),
                     "transpose_b": AttrValue(b=op.attrs["transpose_b"])}


def _addn_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "N": AttrValue(i=len(op.inputs))}


def _reduction_to_tf(op: Operation, const: Callable) -> tuple:
    axis = op.attrs["axis"]
    if axis is None:
        axis = range(op.inputs[0].shape.rank)
    attrs = {"Tidx": dtype_attr(dtypes.int32), "keep_dims": AttrValue(b=bool(op.attrs["keepdims"]))}
    if op.type not in ("All", "Any"):
        attrs.update(_t(op))
    return _in(op) + [const("reduction_indices", np.array(list(axis), dtype=np.int32))], attrs


def _build_reduction(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        x, axes = inputs
        axis = [int(a) for a in np.atleast_1d(_static(axes, "reduction axes", name))]
        rank = x.shape.rank
        attr_axis = tuple(sorted({a % rank for a in axis})) if rank is not None else tuple(axis)
        return make_op(graphc_type, [x], {"axis": attr_axis, "keepdims": bool(attrs.get("keep_dims", False))},
                       name)
    return build


def _arg_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op) + [const("dimension", np.array(op.attrs["axis"], dtype=np.int32))], \
        {**_t(op), "Tidx": dtype_attr(dtypes.int32), "output_type": dtype_attr(op.attrs["output_type"])}


def _build_arg(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        axis = int(_static(inputs[1], "dimension", name))
        return make_op(graphc_type, [inputs[0]], {"axis": axis, "output_type": attrs.get("output_type", dtypes.int64)},
                       name)
    return build


def _select_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), _t(op, 1)


# arrays ----------------------------------------------------------------------------------------

def _reshape_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "Tshape": dtype_attr(op.inputs[1].dtype)}


def _concat_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op) + [const("axis", np.array(op.attrs["axis"], dtype=np.int32))], \
        {**_t(op), "N": AttrValue(i=len(op.inputs)), "Tidx": dtype_attr(dtypes.int32)}


def _build_concat(inputs: list, attrs: dict, name: str) -> Any:
    return make_op("ConcatV2", inputs[:-1], {"axis": int(_static(inputs[-1], "axis", name))}, name)


def _pack_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "N": AttrValue(i=len(op.inputs)), "axis": AttrValue(i=op.attrs["axis"])}


def _unpack_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "num": AttrValue(i=op.attrs["num"]), "axis": AttrValue(i=op.attrs["axis"])}


def _transpose_to_tf(op: Operation, const: Callable) -> tuple:
    perm = op.attrs["perm"]
    if perm is None:
        perm = range(op.inputs[0].shape.rank - 1, -1, -1)
    return _in(op) + [const("perm", np.array(list(perm), dtype=np.int32))], \
        {**_t(op), "Tperm": dtype_attr(dtypes.int32)}


def _build_transpose(inputs: list, attrs: dict, name: str) -> Any:
    perm = tuple(int(p) for p in _static(inputs[1], "perm", name))
    return make_op("Transpose", [inputs[0]], {"perm": perm}, name)


def _expand_dims_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op) + [const("dim", np.array(op.attrs["axis"], dtype=np.int32))], \
        {**_t(op), "Tdim": dtype_attr(dtypes.int32)}


def _squeeze_to_tf(op: Operation, const: Callable) -> tuple:
    axis = op.attrs["axis"]
    axis = [] if axis is None else [axis] if isinstance(axis, int) else list(axis)
    return _in(op), {**_t(op), "squeeze_dims": ints(axis)}


def _build_squeeze(inputs: list, attrs: dict, name: str) -> Any:
    dims = attrs.get("squeeze_dims") or None
    return make_op("Squeeze", inputs, {"axis": None if dims is None else tuple(dims)}, name)


def _shape_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "out_type": dtype_attr(op.attrs["out_type"])}


def _fill_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op, 1), "index_type": dtype_attr(op.inputs[0].dtype)}


def _tile_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "Tmultiples": dtype_attr(op.inputs[1].dtype)}


def _broadcast_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "Tidx": dtype_attr(op.inputs[1].dtype)}


def _range_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {"Tidx": dtype_attr(op.outputs[0].dtype)}


def _pad_to_tf(op: Operation, const: Callable) -> tuple:
    x, value = _in(op)
    return [x, const("paddings", np.array(op.attrs["paddings"], dtype=np.int32)), value], \
        {**_t(op), "Tpaddings": dtype_attr(dtypes.int32)}


def _build_pad(inputs: list, attrs: dict, name: str) -> Any:
    x, paddings = inputs[:2]
    value = inputs[2] if len(inputs) > 2 else np.zeros((), dtype=x.dtype.np_type)
    pads = tuple(tuple(int(p) for p in row) for row in _static(paddings, "paddings", name))
    return make_op("Pad", [x, value], {"paddings": pads}, name)


def _mirror_pad_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op) + [const("paddings", np.array(op.attrs["paddings"], dtype=np.int32))], \
        {**_t(op), "Tpaddings": dtype_attr(dtypes.int32), "mode": AttrValue(s=op.attrs["mode"].encode())}


def _build_mirror_pad(inputs: list, attrs: dict, name: str) -> Any:
    pads = tuple(tuple(int(p) for p in row) for row in _static(inputs[1], "paddings", name))
    return make_op("MirrorPad", inputs[:1], {"paddings": pads, "mode": attrs["mode"].decode()}, name)


def _gather_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op) + [const("axis", np.array(op.attrs["axis"], dtype=np.int32))], \
        {"Tparams": dtype_attr(op.inputs[0].dtype), "Tindices": dtype_attr(op.inputs[1].dtype),
         "Taxis": dtype_attr(dtypes.int32), "batch_dims": AttrValue(i=0)}


def _build_gather(inputs: list, attrs: dict, name: str) -> Any:
    if attrs.get("batch_dims", 0):
        raise ValueError(f"Node {name[:-1]}: GatherV2 with batch_dims={attrs['batch_dims']} is not supported")
    return make_op("GatherV2", inputs[:2], {"axis": int(_static(inputs[2], "axis", name))}, name)


def _one_hot_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op, 2), "TI": dtype_attr(op.inputs[0].dtype), "axis": AttrValue(i=op.attrs["axis"])}


def _reverse_sequence_to_tf(op: Operation, const: Callable) -> tuple:
    return _in(op), {**_t(op), "Tlen": dtype_attr(op.inputs[1].dtype), "seq_dim": AttrValue(i=op.attrs["seq_dim"]),
                     "batch_dim": AttrValue(i=op.attrs["batch_dim"])}


def _split_to_tf(op: Operation, const: Callable) -> tuple:
    axis = const("axis", np.array(op.attrs["axis"], dtype=np.int32))
    attrs = {**_t(op), "num_split": AttrValue(i=op.attrs["num_split"])}
    if op.type == "Split":
        return [axis] + _in(op), attrs
    return _in(op) + [axis], {**attrs, "Tlen": dtype_attr(op.inputs[1].dtype)}


def _build_split(inputs: list, attrs: dict, name: str) -> Any:
    axis = int(_static(inputs[0], "split axis", name))
    return make_op("Split", inputs[1:], {"axis": axis, "num_split": attrs["num_split"]}, name)


def _build_split_v(inputs: list, attrs: dict, name: str) -> Any:
    axis = int(_static(inputs[2], "split axis", name))
    return make_op("SplitV", inputs[:2], {"axis": axis, "num_split": attrs["num_split"]}, name)


def _strided_slice_to_tf(op: Operation, const: Callable) -> tuple:
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
    return _in(op) + parts, {**_t(op), "Index": dtype_attr(dtypes.int32),
                             **{k: AttrValue(i=v) for k, v in masks.items()}}


def _build_strided_slice(inputs: list, attrs: dict, name: str) -> Any:
    begin, end, strides = (_static(t, what, name) for t, what in zip(inputs[1:], ("begin", "end", "strides")))
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
    return make_op("StridedSlice", inputs[:1], {"spec": tuple(spec)}, name)


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
    return _in(op), {**_t(op, len(op.inputs) - 1), "strides": _nhwc(op.attrs["strides"]), "dilations": _nhwc(op.attrs["dilations"]),
                     "padding": AttrValue(s=op.attrs["padding"].encode()), "data_format": AttrValue(s=b"NHWC"),
                     "use_cudnn_on_gpu": AttrValue(b=True)}


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
    return _in(op), {**_t(op, len(op.inputs) - 1), "ksize": _nhwc(op.attrs["ksize"]),
                     "strides": _nhwc(op.attrs["strides"]), "padding": AttrValue(s=op.attrs["padding"].encode()),
                     "data_format": AttrValue(s=b"NHWC")}


def _build_pool(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        _check_nhwc(attrs, name)
        return make_op(graphc_type, inputs, {"ksize": _spatial(attrs["ksize"], "ksize", name),
                                             "strides": _spatial(attrs["strides"], "strides", name),
                                             "padding": attrs["padding"].decode()}, name)
    return build


# A graphc op TensorFlow lacks may be written as several TF nodes: the last carries the graphc type and
# inputs in these attrs (TensorFlow ignores attrs starting with "_"), the others LOWERING_HELPER, so
# graphc reads back its own op and skips the helpers.
LOWERED_TYPE = "_graphc_type"
LOWERED_INPUTS = "_graphc_inputs"
LOWERING_HELPER = "_graphc_helper"


def _sum_to_to_tf(op: Operation, emit: Any) -> tuple:
    """SumTo(x, shape) as TF1's broadcast-gradient pattern:
    Reshape(Sum(x, BroadcastGradientArgs(Shape(x), shape)[1]), shape)."""
    x, shape = _in(op)
    index = dtype_attr(op.inputs[1].dtype)
    helper = {LOWERING_HELPER: AttrValue(b=True)}
    x_shape = emit.node("Shape", "Shape", [x], {**_t(op), "out_type": index, **helper})
    args = emit.node("BroadcastGradientArgs", "BroadcastGradientArgs", [x_shape, shape], {"T": index, **helper})
    total = emit.node("Sum", "Sum", [x, f"{args}:1"], {**_t(op), "Tidx": index, "keep_dims": AttrValue(b=False),
                                                        **helper})
    return [total, shape], {**_t(op), "Tshape": index, LOWERED_TYPE: AttrValue(s=b"SumTo"),
                            LOWERED_INPUTS: AttrValue(list=AttrValue.ListValue(s=[x.encode(), shape.encode()]))}


def _bias_add(inputs: list, attrs: dict) -> Any:
    fmt = attrs.get("data_format", b"NHWC")
    if fmt not in (b"NHWC", b"N..C"):
        raise ValueError(f"BiasAdd with data_format {fmt!r} is not supported (graphc is NHWC)")
    return math.add(inputs[0], inputs[1], name="add")


def _apply_adam(inputs: list, attrs: dict) -> Any:
    """TF's fused ApplyAdam as its update, written with assigns (the non-Nesterov rule TF1 runs)."""
    if attrs.get("use_nesterov"):
        raise ValueError("ApplyAdam with use_nesterov=True is not supported")
    var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad = inputs
    m_t = state.assign(m, m * beta1 + grad * (1 - beta1), name="m_t")
    v_t = state.assign(v, v * beta2 + math.square(grad) * (1 - beta2), name="v_t")
    lr_t = lr * math.sqrt(1 - beta2_power) / (1 - beta1_power)
    return state.assign_sub(var, lr_t * m_t / (math.sqrt(v_t) + epsilon), name="update")


def _bias_add_grad(inputs: list, attrs: dict) -> Any:
    g = inputs[0]
    return reduce.reduce_sum(g, axis=list(range(g.shape.rank - 1)))


_ROWS = [
    OpMapping("Const", "Const", _const_to_tf, _build_const),
    OpMapping("Placeholder", "Placeholder", _placeholder_to_tf, _build_placeholder),
    OpMapping("PlaceholderWithDefault", "PlaceholderWithDefault",
              lambda op, const: (_in(op), {"dtype": dtype_attr(op.outputs[0].dtype),
                                           "shape": AttrValue(shape=shape_proto(op.attrs["shape"]))}),
              lambda inputs, attrs, name: make_op("PlaceholderWithDefault", inputs, {"shape": attrs["shape"]}, name)),
    OpMapping(state.STATE_READ, "VariableV2", _variable_to_tf, _build_variable),
    OpMapping("Assign", "Assign", _assign_to_tf, _make("Assign", ("validate_shape",))),
    OpMapping("AssignAdd", "AssignAdd", _assign_to_tf, _make("AssignAdd")),
    OpMapping("AssignSub", "AssignSub", _assign_to_tf, _make("AssignSub")),
    OpMapping("NoOp", "NoOp", lambda op, const: ([], {}), _make("NoOp")),
    *[_elementwise(t) for t in _UNARY + _BINARY],
    OpMapping(None, "AddV2", None, _make("Add")),
    OpMapping(None, "Snapshot", None, _make("Identity")),
    _elementwise("LogicalNot", typed=False), _elementwise("LogicalAnd", typed=False),
    _elementwise("LogicalOr", typed=False),
    OpMapping("Select", "SelectV2", _select_to_tf, _make("Select")),
    OpMapping(None, "Select", None, _make("Select")),
    OpMapping("Cast", "Cast", _cast_to_tf,
              lambda inputs, attrs, name: make_op("Cast", inputs, {"dtype": attrs["DstT"]}, name)),
    OpMapping("MatMul", "MatMul", _matmul_to_tf, _make("MatMul", ("transpose_a", "transpose_b"))),
    OpMapping("AddN", "AddN", _addn_to_tf, _make("AddN")),
    *[OpMapping(t, t, _reduction_to_tf, _build_reduction(t)) for t in ("Sum", "Mean", "Max", "Min", "Prod", "All",
                                                                        "Any")],
    *[OpMapping(t, t, _arg_to_tf, _build_arg(t)) for t in ("ArgMax", "ArgMin")],
    OpMapping("Reshape", "Reshape", _reshape_to_tf, _make("Reshape")),
    OpMapping("ConcatV2", "ConcatV2", _concat_to_tf, _build_concat),
    OpMapping("Pack", "Pack", _pack_to_tf, _make("Pack", ("axis",))),
    OpMapping("Unpack", "Unpack", _unpack_to_tf, _make("Unpack", ("axis", "num"))),
    OpMapping("Transpose", "Transpose", _transpose_to_tf, _build_transpose),
    OpMapping("ExpandDims", "ExpandDims", _expand_dims_to_tf,
              lambda inputs, attrs, name: make_op("ExpandDims", inputs[:1],
                                                  {"axis": int(_static(inputs[1], "dim", name))}, name)),
    OpMapping("Squeeze", "Squeeze", _squeeze_to_tf, _build_squeeze),
    OpMapping("Shape", "Shape", _shape_to_tf, _make("Shape", ("out_type",))),
    OpMapping("Size", "Size", _shape_to_tf, _make("Size", ("out_type",))),
    OpMapping("Rank", "Rank", lambda op, const: (_in(op), _t(op)), _make("Rank")),
    OpMapping("Fill", "Fill", _fill_to_tf, _make("Fill")),
    OpMapping("Tile", "Tile", _tile_to_tf, _make("Tile")),
    OpMapping("BroadcastTo", "BroadcastTo", _broadcast_to_tf, _make("BroadcastTo")),
    OpMapping("Range", "Range", _range_to_tf, _make("Range")),
    OpMapping("Pad", "PadV2", _pad_to_tf, _build_pad),
    OpMapping(None, "Pad", None, _build_pad),
    OpMapping("MirrorPad", "MirrorPad", _mirror_pad_to_tf, _build_mirror_pad),
    OpMapping("Split", "Split", _split_to_tf, _build_split),
    OpMapping("SplitV", "SplitV", _split_to_tf, _build_split_v),
    OpMapping("StridedSlice", "StridedSlice", _strided_slice_to_tf, _build_strided_slice),
    OpMapping("GatherV2", "GatherV2", _gather_to_tf, _build_gather),
    OpMapping("OneHot", "OneHot", _one_hot_to_tf, _make("OneHot", ("axis",))),
    OpMapping("ReverseSequence", "ReverseSequence", _reverse_sequence_to_tf,
              _make("ReverseSequence", ("seq_dim", "batch_dim"))),
    OpMapping("InTopKV2", "InTopKV2", lambda op, const: (_in(op), _t(op, 1)), _make("InTopKV2")),
    *[OpMapping(t, t, _random_to_tf, _build_random(t)) for t in ("RandomUniform", "RandomStandardNormal",
                                                                  "TruncatedNormal", "RandomUniformInt")],
    *[OpMapping(t, t, _conv_to_tf, _build_conv(t)) for t in ("Conv2D", "Conv2DBackpropInput",
                                                              "Conv2DBackpropFilter")],
    *[OpMapping(t, t, _pool_to_tf, _build_pool(t)) for t in ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad")],
    OpMapping(None, "BiasAdd", None, _wrap(_bias_add)),
    OpMapping(None, "BiasAddGrad", None, _wrap(_bias_add_grad)),
    OpMapping(None, "Softmax", None, _wrap(lambda inputs, attrs: nn.softmax(inputs[0]))),
    OpMapping(None, "LogSoftmax", None, _wrap(lambda inputs, attrs: nn.log_softmax(inputs[0]))),
    OpMapping(None, "Relu6", None, _wrap(lambda inputs, attrs: nn.relu6(inputs[0]))),
    OpMapping(None, "SquaredDifference", None,
              _wrap(lambda inputs, attrs: math.square(math.subtract(inputs[0], inputs[1])))),
    OpMapping(None, "ApplyAdam", None, _wrap(_apply_adam)),
    OpMapping(None, "ZerosLike", None, _wrap(lambda inputs, attrs: array.zeros_like(inputs[0]))),
    OpMapping(None, "OnesLike", None, _wrap(lambda inputs, attrs: array.ones_like(inputs[0]))),
]

# written as TensorFlow's ops, read back as graphc's own (by the LOWERED_TYPE attr), never from TensorFlow
_LOWERED = [OpMapping("SumTo", "Reshape", _sum_to_to_tf, _make("SumTo"))]

BY_GRAPHC = {row.graphc_type: row for row in _ROWS + _LOWERED if row.graphc_type is not None}
BY_TF = {row.tf_type: row for row in _ROWS}
assert len(BY_TF) == len(_ROWS), "a TF op type has two rows"


__all__ = ["OpMapping", "BY_GRAPHC", "BY_TF", "tensor_name", "LOWERED_TYPE", "LOWERED_INPUTS", "LOWERING_HELPER"]
