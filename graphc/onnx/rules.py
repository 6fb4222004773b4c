"""One ONNX conversion rule per graphc op type: ``RULES[op.type](e, op)`` writes the op as ONNX nodes.

A rule reads inputs with ``e.inp(op, i)`` and writes ``e.out(op, i)`` (``graphc/onnx/emitter.py``).
graphc's compositions (softmax, batch norm, relu6, leaky_relu, selu, bias_add, dense, ...) are
written as the primitives they are made of, so they need no rule of their own. Attrs TensorFlow
takes as inputs (axes, perms, shapes) become int64 initializers, as ONNX wants. This file holds the
elementwise, reduction and array rules; ``rules_nn.py`` (convolutions, pooling, images),
``rules_control.py`` (``If``/``While``, TensorArrays) and ``rules_more.py`` (random, strings, the
rest) the other families; ``table.py`` joins them.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc import dtypes
from graphc.graph import Operation
from graphc.onnx.emitter import Emitter, UnsupportedOpError, tensor_type
from graphc.ops.core import constant_value

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


def _rank(op: Operation, index: int = 0) -> int:
    rank = op.inputs[index].shape.rank
    if rank is None:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): the rank of {op.inputs[index].name} must be "
                                 "known to write it as ONNX; give the placeholder a shape")
    return rank


def _scalar(e: Emitter, op: Operation, value: Any, hint: str, index: int = 0) -> str:
    """A scalar initializer of input ``index``'s dtype."""
    return e.const(np.array(value, dtype=op.inputs[index].dtype.np_type), op, hint)


def _as_int64(e: Emitter, op: Operation, index: int, hint: str) -> str:
    """Input ``index`` (a shape, multiples, dims) as int64, the type ONNX takes."""
    if op.inputs[index].dtype == dtypes.int64:
        return e.inp(op, index)
    return e.node("Cast", [e.inp(op, index)], op, hint, to=tensor_type(e.onnx, dtypes.int64, op.name))


def _axes_input(e: Emitter, op: Operation, axes: Any, hint: str = "axes") -> str:
    return e.int64s([int(a) for a in axes], op, hint)


# elementwise -----------------------------------------------------------------------------------

def _same(onnx_type: str, **attrs: Any) -> Callable:
    """A graphc op that is one ONNX node with the same inputs."""
    def rule(e: Emitter, op: Operation) -> None:
        e.node(onnx_type, [e.inp(op, i) for i in range(len(op.inputs))], op, outputs=[e.out(op)], **attrs)
    return rule


def _expm1(e: Emitter, op: Operation) -> None:
    e.node("Sub", [e.node("Exp", [e.inp(op)], op, "exp"), _scalar(e, op, 1, "one")], op, outputs=[e.out(op)])


def _log1p(e: Emitter, op: Operation) -> None:
    e.node("Log", [e.node("Add", [e.inp(op), _scalar(e, op, 1, "one")], op, "add")], op, outputs=[e.out(op)])


def _rsqrt(e: Emitter, op: Operation) -> None:
    e.node("Reciprocal", [e.node("Sqrt", [e.inp(op)], op, "sqrt")], op, outputs=[e.out(op)])


def _square(e: Emitter, op: Operation) -> None:
    e.node("Mul", [e.inp(op), e.inp(op)], op, outputs=[e.out(op)])


def _is_finite(e: Emitter, op: Operation) -> None:
    bad = e.node("Or", [e.node("IsNaN", [e.inp(op)], op, "isnan"), e.node("IsInf", [e.inp(op)], op, "isinf")],
                 op, "or")
    e.node("Not", [bad], op, outputs=[e.out(op)])


def _not_equal(e: Emitter, op: Operation) -> None:
    e.node("Not", [e.node("Equal", [e.inp(op, 0), e.inp(op, 1)], op, "equal")], op, outputs=[e.out(op)])


def _floor_div(e: Emitter, op: Operation) -> None:
    x, y = e.inp(op, 0), e.inp(op, 1)
    if op.inputs[0].dtype.is_floating:
        e.node("Floor", [e.node("Div", [x, y], op, "div")], op, outputs=[e.out(op)])
        return
    # integers: (x - floormod(x, y)) / y divides exactly, so ONNX's truncating Div gives the floor
    rest = e.node("Sub", [x, e.node("Mod", [x, y], op, "mod", fmod=0)], op, "sub")
    e.node("Div", [rest, y], op, outputs=[e.out(op)])


def _floor_mod(e: Emitter, op: Operation) -> None:
    x, y = e.inp(op, 0), e.inp(op, 1)
    if not op.inputs[0].dtype.is_floating:
        e.node("Mod", [x, y], op, outputs=[e.out(op)], fmod=0)     # the divisor's sign, as TF's FloorMod
        return
    # floats: C's fmod, moved by y where it is nonzero and its sign differs from y's (TF's FloorMod)
    r = e.node("Mod", [x, y], op, "fmod", fmod=1)
    zero = _scalar(e, op, 0, "zero")
    signs_differ = e.node("Xor", [e.node("Less", [r, zero], op, "r_neg"), e.node("Less", [y, zero], op, "y_neg")],
                          op, "signs_differ")
    move = e.node("And", [signs_differ, e.node("Not", [e.node("Equal", [r, zero], op, "r_zero")], op, "r_nonzero")],
                  op, "move")
    e.node("Where", [move, e.node("Add", [r, y], op, "moved"), r], op, outputs=[e.out(op)])


def _identity_n(e: Emitter, op: Operation) -> None:
    for i in range(len(op.inputs)):
        e.node("Identity", [e.inp(op, i)], op, f"identity_{i}", outputs=[e.out(op, i)])


def _cast(e: Emitter, op: Operation) -> None:
    e.cast(e.inp(op), op.attrs["dtype"], op, outputs=[e.out(op)])


# matmul, reductions ----------------------------------------------------------------------------

def _matmul(e: Emitter, op: Operation) -> None:
    operands = []
    for index, flag in enumerate(("transpose_a", "transpose_b")):
        name = e.inp(op, index)
        if op.attrs[flag]:
            rank = _rank(op, index)
            name = e.node("Transpose", [name], op, flag, perm=list(range(rank - 2)) + [rank - 1, rank - 2])
        operands.append(name)
    e.node("MatMul", operands, op, outputs=[e.out(op)])


def _reduce_node(e: Emitter, op: Operation, onnx_type: str, x: str, outputs: list) -> str:
    """``onnx_type`` over the op's ``axis`` attr (None: every axis), axes as an input from opset 18
    (ReduceSum: 13) and as an attr before."""
    axis = op.attrs["axis"]
    attrs: dict = {"keepdims": int(bool(op.attrs["keepdims"]))}
    inputs = [x]
    if axis is not None:
        axes = [int(a) for a in ([axis] if isinstance(axis, int) else axis)]
        if e.opset >= 18 or onnx_type == "ReduceSum":
            inputs.append(_axes_input(e, op, axes))
        else:
            attrs["axes"] = axes
    return e.node(onnx_type, inputs, op, "reduce", outputs=outputs, **attrs)


def _reduction(onnx_type: str) -> Callable:
    def rule(e: Emitter, op: Operation) -> None:
        if op.attrs["axis"] == ():     # TF reduces over no axis: the input itself (ONNX would reduce all)
            e.node("Identity", [e.inp(op)], op, outputs=[e.out(op)])
            return
        _reduce_node(e, op, onnx_type, e.inp(op), [e.out(op)])
    return rule


def _bool_reduction(onnx_type: str) -> Callable:
    """All/Any as ReduceMin/ReduceMax over the bools as int32."""
    def rule(e: Emitter, op: Operation) -> None:
        if op.attrs["axis"] == ():
            e.node("Identity", [e.inp(op)], op, outputs=[e.out(op)])
            return
        as_int = e.cast(e.inp(op), dtypes.int32, op, "as_int")
        e.cast(_reduce_node(e, op, onnx_type, as_int, None), dtypes.bool_, op, outputs=[e.out(op)])
    return rule


def _arg(onnx_type: str) -> Callable:
    def rule(e: Emitter, op: Operation) -> None:
        out_type = op.attrs["output_type"]
        outputs = [e.out(op)] if out_type == dtypes.int64 else None
        index = e.node(onnx_type, [e.inp(op)], op, "index", outputs=outputs, axis=int(op.attrs["axis"]), keepdims=0)
        if outputs is None:
            e.cast(index, out_type, op, outputs=[e.out(op)])
    return rule


# arrays ----------------------------------------------------------------------------------------

def _reshape(e: Emitter, op: Operation) -> None:
    # allowzero: a 0 in TF's shape is a 0-sized dim, never "copy the input's dim" as ONNX's default
    e.node("Reshape", [e.inp(op), _as_int64(e, op, 1, "shape")], op, outputs=[e.out(op)], allowzero=1)


def _transpose(e: Emitter, op: Operation) -> None:
    perm = op.attrs["perm"]
    perm = list(range(_rank(op) - 1, -1, -1)) if perm is None else [int(p) for p in perm]
    e.node("Transpose", [e.inp(op)], op, outputs=[e.out(op)], perm=perm)


def _concat(e: Emitter, op: Operation) -> None:
    e.node("Concat", [e.inp(op, i) for i in range(len(op.inputs))], op, outputs=[e.out(op)],
           axis=int(op.attrs["axis"]))


def _pack(e: Emitter, op: Operation) -> None:
    axis = int(op.attrs["axis"])
    axes = _axes_input(e, op, [axis])
    parts = [e.node("Unsqueeze", [e.inp(op, i), axes], op, f"unsqueeze_{i}") for i in range(len(op.inputs))]
    e.node("Concat", parts, op, outputs=[e.out(op)], axis=axis)


def _split_sizes(op: Operation, sizes: list) -> list:
    """Split sizes with a -1 resolved from the static dim."""
    if -1 not in sizes:
        return sizes
    dim = op.inputs[0].shape.as_tuple()[int(op.attrs["axis"])] if op.inputs[0].shape.rank is not None else None
    if dim is None:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): a size of -1 along a dimension of unknown "
                                 f"size ({op.inputs[0].name} has shape {op.inputs[0].shape}) has no ONNX form")
    return [dim - (sum(sizes) + 1) if s == -1 else s for s in sizes]


def _split(e: Emitter, op: Operation) -> None:
    n = int(op.attrs["num_split"])
    axis = int(op.attrs["axis"])
    outputs = [e.out(op, i) for i in range(n)]
    dims = op.inputs[0].shape.as_tuple()
    if op.type == "SplitV":
        sizes = _split_sizes(op, [int(s) for s in _static_input(op, 1, "size_splits")])
        e.node("Split", [e.inp(op), e.int64s(sizes, op, "sizes")], op, outputs=outputs, axis=axis)
    elif dims is not None and dims[axis] is not None:
        e.node("Split", [e.inp(op), e.int64s([dims[axis] // n] * n, op, "sizes")], op, outputs=outputs, axis=axis)
    elif e.opset >= 18:
        e.node("Split", [e.inp(op)], op, outputs=outputs, axis=axis, num_outputs=n)
    else:
        raise UnsupportedOpError(f"Operation {op.name} (Split): splitting a dimension of unknown size needs "
                                 "opset 18 or later; export with opset=18")


def _unpack(e: Emitter, op: Operation) -> None:
    num, axis = int(op.attrs["num"]), int(op.attrs["axis"])
    axes = _axes_input(e, op, [axis])
    parts = [e.unique(f"{op.name}/part_{i}") for i in range(num)]
    e.node("Split", [e.inp(op), e.int64s([1] * num, op, "sizes")], op, "split", outputs=parts, axis=axis)
    for i, part in enumerate(parts):
        e.node("Squeeze", [part, axes], op, f"squeeze_{i}", outputs=[e.out(op, i)])


def _static_input(op: Operation, index: int, what: str) -> np.ndarray:
    value = constant_value(op.inputs[index])
    if value is None:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): its {what} ({op.inputs[index].name}) must be "
                                 "a constant to write it as ONNX")
    return np.asarray(value)


def _expand_dims(e: Emitter, op: Operation) -> None:
    e.node("Unsqueeze", [e.inp(op), _axes_input(e, op, [int(op.attrs["axis"])])], op, outputs=[e.out(op)])


def _squeeze(e: Emitter, op: Operation) -> None:
    axis = op.attrs["axis"]
    inputs = [e.inp(op)]
    if axis is not None:
        inputs.append(_axes_input(e, op, [axis] if isinstance(axis, int) else axis))
    e.node("Squeeze", inputs, op, outputs=[e.out(op)])


def _shape(e: Emitter, op: Operation) -> None:
    onnx_type = {"Shape": "Shape", "Size": "Size"}[op.type]
    out_type = op.attrs["out_type"]
    outputs = [e.out(op)] if out_type == dtypes.int64 else None
    value = e.node(onnx_type, [e.inp(op)], op, "int64", outputs=outputs)
    if outputs is None:
        e.cast(value, out_type, op, outputs=[e.out(op)])


def _rank_op(e: Emitter, op: Operation) -> None:
    size = e.node("Size", [e.node("Shape", [e.inp(op)], op, "shape")], op, "size")
    e.cast(size, dtypes.int32, op, outputs=[e.out(op)])


def _fill(e: Emitter, op: Operation) -> None:
    e.node("Expand", [e.inp(op, 1), _as_int64(e, op, 0, "dims")], op, outputs=[e.out(op)])


def _tile(e: Emitter, op: Operation) -> None:
    e.node("Tile", [e.inp(op), _as_int64(e, op, 1, "multiples")], op, outputs=[e.out(op)])


def _broadcast_to(e: Emitter, op: Operation) -> None:
    e.node("Expand", [e.inp(op), _as_int64(e, op, 1, "shape")], op, outputs=[e.out(op)])


def _pads(e: Emitter, op: Operation) -> str:
    rows = [tuple(int(p) for p in row) for row in op.attrs["paddings"]]
    return e.int64s([r[0] for r in rows] + [r[1] for r in rows], op, "pads")


def _pad(e: Emitter, op: Operation) -> None:
    e.node("Pad", [e.inp(op), _pads(e, op), e.inp(op, 1)], op, outputs=[e.out(op)], mode="constant")


def _mirror_pad(e: Emitter, op: Operation) -> None:
    """TF's REFLECT (edge not repeated) and SYMMETRIC (edge repeated) padding, one axis at a time: the
    reversed slices on both sides concatenated around the input."""
    shift = {"REFLECT": 1, "SYMMETRIC": 0}[op.attrs["mode"].upper()]
    rows = [(axis, int(b), int(a)) for axis, (b, a) in enumerate(op.attrs["paddings"]) if b or a]
    value = e.inp(op)
    if not rows:
        e.node("Identity", [value], op, outputs=[e.out(op)])
    for n, (axis, before, after) in enumerate(rows):
        axes = e.int64s([axis], op, f"axis_{axis}")
        step = e.int64s([-1], op, "step")
        parts = [value]
        if before:
            start = e.int64s([before - 1 + shift], op, "start")
            end = e.int64s([_INT64_MIN if shift == 0 else 0], op, "end")
            parts.insert(0, e.node("Slice", [value, start, end, axes, step], op, f"before_{axis}"))
        if after:
            parts.append(e.node("Slice", [value, e.int64s([-1 - shift], op, "start"),
                                          e.int64s([-1 - shift - after], op, "end"), axes, step], op, f"after_{axis}"))
        value = e.node("Concat", parts, op, f"padded_{axis}", axis=axis,
                       outputs=[e.out(op)] if n == len(rows) - 1 else None)


def _spec(op: Operation) -> list:
    """The StridedSlice spec with the ellipsis expanded (or full slices appended): one item per input
    dim, plus the ``new`` items."""
    spec = list(op.attrs["spec"])
    consumed = sum(1 for item in spec if item[0] in ("int", "slice"))
    fill = [("slice", None, None, None)] * (_rank(op) - consumed)
    if any(item[0] == "ellipsis" for item in spec):
        pos = next(n for n, item in enumerate(spec) if item[0] == "ellipsis")
        return spec[:pos] + fill + spec[pos + 1:]
    return spec + fill


def _strided_slice(e: Emitter, op: Operation) -> None:
    starts, ends, steps, axes, squeeze, new = [], [], [], [], [], []
    dim = out_dim = 0
    for item in _spec(op):
        if item[0] == "new":
            new.append(out_dim)
            out_dim += 1
            continue
        if item[0] == "int":
            index = int(item[1])
            starts.append(index), ends.append(_INT64_MAX if index == -1 else index + 1), steps.append(1)
            squeeze.append(dim)
        else:
            b, end, st = item[1:]
            st = 1 if st is None else int(st)
            starts.append((0 if st > 0 else _INT64_MAX) if b is None else int(b))
            ends.append((_INT64_MAX if st > 0 else _INT64_MIN) if end is None else int(end))
            steps.append(st)
            out_dim += 1
        axes.append(dim)
        dim += 1
    value = e.node("Slice", [e.inp(op), e.int64s(starts, op, "starts"), e.int64s(ends, op, "ends"),
                             e.int64s(axes, op, "axes"), e.int64s(steps, op, "steps")], op, "slice",
                   outputs=None if squeeze or new else [e.out(op)])
    if squeeze:
        value = e.node("Squeeze", [value, e.int64s(squeeze, op, "squeeze_axes")], op, "squeeze",
                       outputs=None if new else [e.out(op)])
    if new:
        e.node("Unsqueeze", [value, e.int64s(new, op, "new_axes")], op, outputs=[e.out(op)])


def _gather(e: Emitter, op: Operation) -> None:
    e.node("Gather", [e.inp(op), e.inp(op, 1)], op, outputs=[e.out(op)], axis=int(op.attrs["axis"]))


def _one_hot(e: Emitter, op: Operation) -> None:
    on, off = e.inp(op, 2), e.inp(op, 3)
    axis = _axes_input(e, op, [0], "values_axis")
    values = e.node("Concat", [e.node("Unsqueeze", [off, axis], op, "off"), e.node("Unsqueeze", [on, axis], op, "on")],
                    op, "values", axis=0)
    # TF gives a negative index an all-off row; ONNX counts it from the end, so it becomes depth (out of range)
    index_dtype = op.inputs[0].dtype
    depth = e.inp(op, 1)
    depth_as_index = depth if op.inputs[1].dtype == index_dtype else e.cast(depth, index_dtype, op, "depth_index")
    negative = e.node("Less", [e.inp(op), _scalar(e, op, 0, "zero")], op, "negative")
    indices = e.node("Where", [negative, depth_as_index, e.inp(op)], op, "indices")
    e.node("OneHot", [indices, depth, values], op, outputs=[e.out(op)], axis=int(op.attrs["axis"]))


def _unsorted_segment_sum(e: Emitter, op: Operation) -> None:
    """(segment ids == each segment's number), a [num_segments, n] 0/1 matrix, times the data as [n, rest]:
    a negative id adds nowhere, as in TF."""
    ids_rank = _rank(op, 1)
    ids_type = op.inputs[1].dtype
    num = e.node("Reshape", [e.inp(op, 2), e.int64s([], op, "scalar")], op, "num_scalar")
    num = num if op.inputs[2].dtype == ids_type else e.cast(num, ids_type, op, "num_as_id")
    segments = e.node("Range", [_scalar(e, op, 0, "zero", 1), num, _scalar(e, op, 1, "one", 1)], op, "segments")
    column = e.node("Unsqueeze", [segments, e.int64s([1], op, "column_axis")], op, "segments_column")
    ids_row = e.node("Reshape", [e.inp(op, 1), e.int64s([1, -1], op, "row")], op, "ids_row")
    matrix = e.cast(e.node("Equal", [column, ids_row], op, "match"), op.inputs[0].dtype, op, "matrix")
    rows = e.node("ReduceProd", [e.node("Shape", [e.inp(op, 1)], op, "ids_shape")], op, "rows", keepdims=1) \
        if ids_rank else e.int64s([1], op, "rows")
    data = e.node("Reshape", [e.inp(op), e.node("Concat", [rows, e.int64s([-1], op, "rest")], op, "data_2d_shape",
                                                axis=0)], op, "data_2d")
    summed = e.node("MatMul", [matrix, data], op, "matmul")
    tail = e.node("Slice", [e.node("Shape", [e.inp(op)], op, "data_shape"), e.int64s([ids_rank], op, "tail_start"),
                            e.int64s([_INT64_MAX], op, "tail_end")], op, "tail")
    num_1d = e.node("Reshape", [_as_int64(e, op, 2, "num"), e.int64s([1], op, "one_dim")], op, "num_1d")
    shape = e.node("Concat", [num_1d, tail], op, "out_shape", axis=0)
    e.node("Reshape", [summed, shape], op, outputs=[e.out(op)])


BASIC_RULES: dict = {
    **{t: _same(t) for t in ("Abs", "Ceil", "Cos", "Exp", "Floor", "Log", "Neg", "Reciprocal", "Relu", "Round",
                             "Sigmoid", "Sign", "Sin", "Softplus", "Sqrt", "Tanh", "Identity", "Elu",
                             "Add", "Sub", "Mul", "Pow", "Equal", "Greater", "Less")},
    "StopGradient": _same("Identity"), "IsNan": _same("IsNaN"), "IsInf": _same("IsInf"), "LogicalNot": _same("Not"),
    "RealDiv": _same("Div"), "Maximum": _same("Max"), "Minimum": _same("Min"),
    "GreaterEqual": _same("GreaterOrEqual"), "LessEqual": _same("LessOrEqual"),
    "LogicalAnd": _same("And"), "LogicalOr": _same("Or"), "Select": _same("Where"), "AddN": _same("Sum"),
    "Expm1": _expm1, "Log1p": _log1p, "Rsqrt": _rsqrt, "Square": _square, "IsFinite": _is_finite,
    "NotEqual": _not_equal, "FloorDiv": _floor_div, "FloorMod": _floor_mod, "Cast": _cast,
    "MatMul": _matmul,
    **{t: _reduction(f"Reduce{t}") for t in ("Sum", "Mean", "Max", "Min", "Prod")},
    "All": _bool_reduction("ReduceMin"), "Any": _bool_reduction("ReduceMax"),
    "ArgMax": _arg("ArgMax"), "ArgMin": _arg("ArgMin"),
    "Reshape": _reshape, "Transpose": _transpose, "ConcatV2": _concat, "Pack": _pack, "Unpack": _unpack,
    "Split": _split, "SplitV": _split, "ExpandDims": _expand_dims, "Squeeze": _squeeze,
    "Shape": _shape, "Size": _shape, "Rank": _rank_op, "Fill": _fill, "Tile": _tile, "BroadcastTo": _broadcast_to,
    "Range": _same("Range"), "Pad": _pad, "MirrorPad": _mirror_pad, "StridedSlice": _strided_slice,
    "GatherV2": _gather, "OneHot": _one_hot, "UnsortedSegmentSum": _unsorted_segment_sum,
    "PlaceholderWithDefault": _same("Identity"), "IdentityN": _identity_n,
}

__all__ = ["BASIC_RULES"]
