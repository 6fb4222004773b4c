"""ONNX rules for random ops, strings and the remaining inference ops (scans, einsum, n-d gathers and
scatters, top-k, unique, segments, band and diagonal matrices), and ``NO_ONNX``: the op types graphc
writes no ONNX for, each with the reason the error gives.

Random ops draw from ONNX's own generators (``RandomNormal``/``RandomUniform``, the ``Like`` forms for
a shape known only at run time): the same distributions, not graphc's numbers; a seeded op keeps its
seed, so a model's draws repeat from one onnxruntime session to the next.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc import dtypes
from graphc.graph import Operation
from graphc.onnx.emitter import Emitter, UnsupportedOpError, tensor_type
from graphc.onnx.rules import _INT64_MAX, _as_int64, _rank, _static_input
from graphc.ops.core import constant_value

# random ----------------------------------------------------------------------------------------


def _seed(op: Operation) -> dict:
    """ONNX's float seed from the op's (graph seed, op seed), mixed into 24 bits (a float holds them
    exactly); none for an unseeded op, which draws fresh numbers."""
    if op.attrs.get("seed") is None:
        return {}
    return {"seed": float((int(op.attrs["seed"]) * 7919 + int(op.attrs["seed2"] or 0)) % (1 << 24))}


def _draw(e: Emitter, op: Operation, kind: str, dtype: dtypes.DType, hint: str, outputs: Any = None,
          extra_dims: tuple = (), **attrs: Any) -> str:
    """``RandomNormal``/``RandomUniform`` of the op's shape (input 0) with ``extra_dims`` in front."""
    to = tensor_type(e.onnx, dtype, op.name)
    shape = constant_value(op.inputs[0])
    if shape is not None:
        dims = [*extra_dims, *(int(d) for d in np.ravel(shape))]
        return e.node(kind, [], op, hint, outputs=outputs, shape=dims, dtype=to, **attrs, **_seed(op))
    dims = _as_int64(e, op, 0, "shape")
    if extra_dims:
        dims = e.node("Concat", [e.int64s(extra_dims, op, "extra_dims"), dims], op, "draw_shape", axis=0)
    zeros = e.node("ConstantOfShape", [dims], op, "zeros")
    return e.node(f"{kind}Like", [zeros], op, hint, outputs=outputs, dtype=to, **attrs, **_seed(op))


def _random_normal(e: Emitter, op: Operation) -> None:
    _draw(e, op, "RandomNormal", op.attrs["dtype"], "normal", outputs=[e.out(op)])


def _random_uniform(e: Emitter, op: Operation) -> None:
    _draw(e, op, "RandomUniform", op.attrs["dtype"], "uniform", outputs=[e.out(op)])


_TRUNCATED_TRIES = 8    # all 8 normals outside two standard deviations: p = 0.0455 ** 8 ~ 2e-11


def _truncated_normal(e: Emitter, op: Operation) -> None:
    """TF resamples a normal draw outside two standard deviations; ONNX has no loop per element, so
    each value is the first of ``_TRUNCATED_TRIES`` normal draws inside (clipped if none is)."""
    draws = _draw(e, op, "RandomNormal", op.attrs["dtype"], "normals", extra_dims=(_TRUNCATED_TRIES,))
    two = e.const(np.array(2, dtype=op.attrs["dtype"].np_type), op, "two")
    inside = e.cast(e.node("LessOrEqual", [e.node("Abs", [draws], op, "abs"), two], op, "inside"), dtypes.int32, op)
    first = e.node("ArgMax", [inside], op, "first", axis=0, keepdims=1)
    picked = e.node("GatherElements", [draws, first], op, "picked", axis=0)
    clipped = e.node("Clip", [picked, e.node("Neg", [two], op, "minus_two"), two], op, "clipped")
    e.node("Squeeze", [clipped, e.int64s([0], op, "axis0")], op, outputs=[e.out(op)])


def _random_uniform_int(e: Emitter, op: Operation) -> None:
    """minval + floor(u * (maxval - minval)) for u uniform in [0, 1) drawn in float64."""
    u = _draw(e, op, "RandomUniform", dtypes.float64, "uniform")
    lo, hi = (e.cast(e.inp(op, i), dtypes.float64, op, f"bound_{i}") for i in (1, 2))
    value = e.node("Add", [lo, e.node("Floor", [e.node("Mul", [u, e.node("Sub", [hi, lo], op, "span")], op, "scaled")],
                                      op, "floor")], op, "value")
    e.cast(value, op.attrs["dtype"], op, outputs=[e.out(op)])


def _sample_from_logits(e: Emitter, op: Operation) -> None:
    """``tf.multinomial``'s inverse-CDF step, as graphc computes it: per row, the number of classes
    whose softmax CDF is <= u * total (in float64), at most classes - 1."""
    x = e.cast(e.inp(op, 0), dtypes.float64, op, "logits64")
    top = e.reduce("ReduceMax", x, [1], op, "max", keepdims=1)
    cdf = e.node("CumSum", [e.node("Exp", [e.node("Sub", [x, top], op, "shifted")], op, "exp"),
                            e.int64s([1], op, "cumsum_axis")], op, "cdf")
    total = e.node("Slice", [cdf, e.int64s([-1], op, "last"), e.int64s([_INT64_MAX], op, "end"),
                             e.int64s([1], op, "class_axis")], op, "total")          # [batch, 1]
    target = e.node("Mul", [e.inp(op, 1), total], op, "target")                     # [batch, samples]
    below = e.node("LessOrEqual", [e.node("Unsqueeze", [cdf, e.int64s([1], op, "sample_axis")], op, "cdf3"),
                                   e.node("Unsqueeze", [target, e.int64s([2], op, "class_axis3")], op, "target3")],
                   op, "below")                                                      # [batch, samples, classes]
    count = e.reduce("ReduceSum", e.cast(below, dtypes.int64, op, "below64"), [2], op, "count")
    last = e.node("Sub", [e.dims(e.inp(op, 0), op, "classes", start=1, end=2), e.int64s([1], op, "one")],
                  op, "last_class")
    e.cast(e.node("Min", [count, last], op, "index"), op.attrs["output_dtype"], op, outputs=[e.out(op)])


# strings ---------------------------------------------------------------------------------------

def _string_case(action: str) -> Callable:
    """StringNormalizer on the values as one vector (it takes [C] or [1, C]), reshaped back."""
    def rule(e: Emitter, op: Operation) -> None:
        flat = e.node("Reshape", [e.inp(op), e.int64s([-1], op, "flat")], op, "flat")
        # the "C" locale changes ASCII letters only, as TF's lower/upper (and needs no installed language pack)
        changed = e.node("StringNormalizer", [flat], op, "normalized", case_change_action=action, locale="C")
        e.node("Reshape", [changed, e.node("Shape", [e.inp(op)], op, "shape")], op, outputs=[e.out(op)])
    return rule


def _string_to_number(e: Emitter, op: Operation) -> None:
    e.cast(e.inp(op), op.attrs["out_type"], op, outputs=[e.out(op)])


def _as_string(e: Emitter, op: Operation) -> None:
    """Integers in plain decimal (``%d``) are ONNX's Cast to string; other formats (floats, widths, fills,
    bools as true/false) are not what Cast writes."""
    dtype = op.inputs[0].dtype
    if not dtype.is_integer or op.attrs["fmt"] != "%d":
        raise UnsupportedOpError(f"Operation {op.name} (AsString): ONNX's Cast to string writes integers in plain "
                                 f"decimal only, not {dtype.name} as {op.attrs['fmt']!r}; format the numbers after "
                                 "running the model")
    e.node("Cast", [e.inp(op)], op, outputs=[e.out(op)], to=tensor_type(e.onnx, dtypes.string, op.name))


def _string_join(e: Emitter, op: Operation) -> None:
    _needs_opset(e, op, 20, "ONNX's StringConcat")
    sep = op.attrs["separator"]
    separator = e.const(np.array(sep if isinstance(sep, bytes) else str(sep).encode(), dtype=object), op, "separator")
    value = e.inp(op, 0)
    for i in range(1, len(op.inputs)):
        if sep:
            value = e.node("StringConcat", [value, separator], op, f"sep_{i}")
        value = e.node("StringConcat", [value, e.inp(op, i)], op, f"join_{i}",
                       outputs=[e.out(op)] if i == len(op.inputs) - 1 else None)
    if len(op.inputs) == 1:
        e.node("Identity", [value], op, outputs=[e.out(op)])


# scans, einsum, gathers and scatters -----------------------------------------------------------

def _cumsum(e: Emitter, op: Operation) -> None:
    e.node("CumSum", [e.inp(op), e.inp(op, 1)], op, outputs=[e.out(op)], exclusive=int(op.attrs["exclusive"]),
           reverse=int(op.attrs["reverse"]))


def _cumprod(e: Emitter, op: Operation) -> None:
    """ONNX has no cumulative product: along an axis of known length n, n - 1 ``Mul`` nodes on its
    slices, in order (numbers as graphc's sequential product), concatenated back."""
    rank = _rank(op)
    axis = int(np.ravel(_static_input(op, 1, "axis"))[0]) % max(rank, 1)
    n = op.inputs[0].shape.as_tuple()[axis]
    if n is None:
        raise UnsupportedOpError(f"Operation {op.name} (Cumprod): ONNX has no cumulative product, and the length of "
                                 f"axis {axis} of {op.inputs[0].name} ({op.inputs[0].shape}) must be known to write "
                                 "it as products of slices")
    if n == 0:
        e.node("Identity", [e.inp(op)], op, outputs=[e.out(op)])
        return
    parts = [e.unique(f"{op.name}/part_{k}") for k in range(n)]
    e.node("Split", [e.inp(op), e.int64s([1] * n, op, "sizes")], op, "split", outputs=parts, axis=axis)
    order = parts[::-1] if op.attrs["reverse"] else parts
    running = [order[0]]
    for k, part in enumerate(order[1:], 1):
        running.append(e.node("Mul", [running[-1], part], op, f"product_{k}"))
    if op.attrs["exclusive"]:
        ones = e.node("Expand", [e.const(np.ones((), op.inputs[0].dtype.np_type), op, "one"),
                                 e.node("Shape", [order[0]], op, "part_shape")], op, "ones")
        running = [ones] + running[:-1]
    e.node("Concat", running[::-1] if op.attrs["reverse"] else running, op, outputs=[e.out(op)], axis=axis)


def _einsum(e: Emitter, op: Operation) -> None:
    e.node("Einsum", [e.inp(op, i) for i in range(len(op.inputs))], op, outputs=[e.out(op)],
           equation=f"{','.join(op.attrs['terms'])}->{op.attrs['output']}")


def _indices64(e: Emitter, op: Operation, index: int) -> str:
    return _as_int64(e, op, index, "indices64")


def _gather_nd(e: Emitter, op: Operation) -> None:
    e.node("GatherND", [e.inp(op), _indices64(e, op, 1)], op, outputs=[e.out(op)])


def _needs_opset(e: Emitter, op: Operation, opset: int, what: str) -> None:
    if e.opset < opset:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): {what} needs ONNX opset {opset} or later; "
                                 f"export with opset={opset}")


def _scatter_nd(e: Emitter, op: Operation) -> None:
    """Zeros of ``shape`` with the updates added in (TF's scatter_nd sums duplicate indices)."""
    _needs_opset(e, op, 16, "ScatterND's reduction='add'")
    zeros = e.node("ConstantOfShape", [_as_int64(e, op, 2, "shape")], op, "zeros",
                   value=e.onnx.numpy_helper.from_array(np.zeros(1, op.outputs[0].dtype.np_type), "value"))
    e.node("ScatterND", [zeros, _indices64(e, op, 0), e.inp(op, 1)], op, outputs=[e.out(op)], reduction="add")


def _tensor_scatter(mode: str) -> Callable:
    def rule(e: Emitter, op: Operation) -> None:
        updates = e.inp(op, 2)
        attrs = {}
        if mode != "update":
            _needs_opset(e, op, 16, "ScatterND's reduction='add'")
            attrs["reduction"] = "add"
            if mode == "sub":
                updates = e.node("Neg", [updates], op, "negated")
        e.node("ScatterND", [e.inp(op), _indices64(e, op, 1), updates], op, outputs=[e.out(op)], **attrs)
    return rule


# sparse tensors as their dense components (indices, values, dense_shape) ----------------------------

def _coordinates(e: Emitter, op: Operation, indices: int, shape: int) -> str:
    """The sparse indices as [n, rank] int64 (a vector of indices of a rank-1 tensor included)."""
    rank = op.inputs[shape].shape.as_tuple()
    if rank is None or rank[0] is None:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): the length of dense_shape {op.inputs[shape].name} "
                                 "must be known to write it as ONNX")
    return e.node("Reshape", [_as_int64(e, op, indices, "indices64"), e.int64s([-1, rank[0]], op, "rows")], op,
                  "coordinates")


def _sparse_to_dense(e: Emitter, op: Operation) -> None:
    """default_value broadcast to output_shape with the values written at the indices."""
    coords = _coordinates(e, op, 0, 1)
    base = e.node("Expand", [e.inp(op, 3), _as_int64(e, op, 1, "shape")], op, "defaults")
    values = e.node("Expand", [e.inp(op, 2), e.dims(coords, op, "count", end=1)], op, "values")
    e.node("ScatterND", [base, coords, values], op, outputs=[e.out(op)])


def _densify(e: Emitter, op: Operation, zeros_like: str) -> str:
    """The sparse operand (inputs 0-2) as a dense tensor: duplicate indices add, as TF's kernels do."""
    _needs_opset(e, op, 16, "ScatterND's reduction='add'")
    zeros = e.node("ConstantOfShape", [zeros_like], op, "zeros",
                   value=e.onnx.numpy_helper.from_array(np.zeros(1, op.inputs[1].dtype.np_type), "value"))
    return e.node("ScatterND", [zeros, _coordinates(e, op, 0, 2), e.inp(op, 1)], op, "dense", reduction="add")


def _sparse_dense_add(e: Emitter, op: Operation) -> None:
    _needs_opset(e, op, 16, "ScatterND's reduction='add'")
    e.node("ScatterND", [e.inp(op, 3), _coordinates(e, op, 0, 2), e.inp(op, 1)], op, outputs=[e.out(op)],
           reduction="add")


def _sparse_dense_matmul(e: Emitter, op: Operation) -> None:
    a = _densify(e, op, _as_int64(e, op, 2, "shape"))
    if op.attrs.get("adjoint_a"):
        a = e.node("Transpose", [a], op, "a_t", perm=[1, 0])
    b = e.inp(op, 3)
    if op.attrs.get("adjoint_b"):
        b = e.node("Transpose", [b], op, "b_t", perm=[1, 0])
    e.node("MatMul", [a, b], op, outputs=[e.out(op)])


def _sparse_gather(e: Emitter, op: Operation) -> None:
    e.node("GatherND", [e.inp(op), _as_int64(e, op, 1, "indices64")], op, outputs=[e.out(op)])


def _sparse_retain_positions(e: Emitter, op: Operation) -> None:
    e.node("Squeeze", [e.node("NonZero", [e.inp(op)], op, "nonzero"), e.int64s([0], op, "axis0")], op,
           outputs=[e.out(op)])


def _sparse_reduce_sum(e: Emitter, op: Operation) -> None:
    """The densified operand summed over ``axes`` (all when None)."""
    dense = _densify(e, op, _as_int64(e, op, 2, "shape"))
    axes = op.attrs["axes"]
    rank = op.inputs[2].shape.as_tuple()[0]
    axes = list(range(rank)) if axes is None else [int(a) % rank for a in axes]
    e.node("ReduceSum", [dense, e.int64s(axes, op, "axes")], op, outputs=[e.out(op)],
           keepdims=int(op.attrs["keep_dims"]))


def _sparse_reorder(e: Emitter, op: Operation) -> None:
    """Entries in row-major order: a stable ascending TopK of each index's row-major position (ONNX's
    TopK puts the lower index first among equal keys)."""
    coords = _coordinates(e, op, 0, 2)
    rank = op.inputs[2].shape.as_tuple()[0]
    shape = _as_int64(e, op, 2, "shape")
    strides = [e.node("ReduceProd", [e.node("Slice", [shape, e.int64s([i + 1], op, f"after_{i}"),
                                                      e.int64s([rank], op, f"rank_{i}")], op, f"later_{i}")],
                      op, f"stride_{i}", keepdims=1) for i in range(rank)]
    stride = e.node("Concat", strides, op, "strides", axis=0) if rank else e.int64s([], op, "strides")
    keys = e.reduce("ReduceSum", e.node("Mul", [coords, stride], op, "weighted"), [1], op, "keys")
    order = e.unique(f"{op.name}/order")
    e.node("TopK", [keys, e.dims(keys, op, "count")], op, "sort", outputs=[e.unique(f"{op.name}/sorted"), order],
           axis=0, largest=0, sorted=1)
    e.node("Gather", [coords, order], op, outputs=[e.out(op, 0)], axis=0)
    e.node("Gather", [e.inp(op, 1), order], op, "values", outputs=[e.out(op, 1)], axis=0)


# selection -------------------------------------------------------------------------------------

def _top_k(e: Emitter, op: Operation) -> None:
    k = e.node("Reshape", [_as_int64(e, op, 1, "k"), e.int64s([1], op, "one_dim")], op, "k_1d")
    values, indices = e.out(op, 0), e.unique(f"{op.name}/indices64")
    e.node("TopK", [e.inp(op), k], op, outputs=[values, indices], axis=-1, largest=1, sorted=1)
    e.cast(indices, op.outputs[1].dtype, op, outputs=[e.out(op, 1)])


def _where_indices(e: Emitter, op: Operation) -> None:
    """The coordinates of the true elements, one row each ([n, rank], int64): NonZero transposed."""
    e.node("Transpose", [e.node("NonZero", [e.inp(op)], op, "nonzero")], op, outputs=[e.out(op)], perm=[1, 0])


def _unique(e: Emitter, op: Operation) -> None:
    x, dtype = e.inp(op), op.inputs[0].dtype
    widen = dtype.is_integer and dtype != dtypes.int64    # onnxruntime's Unique takes int64, not narrower ints
    values = e.unique(f"{op.name}/values64") if widen else e.out(op, 0)
    names = [values, e.unique(f"{op.name}/first"), e.unique(f"{op.name}/inverse64"), e.unique(f"{op.name}/counts")]
    e.node("Unique", [e.cast(x, dtypes.int64, op, "x64") if widen else x], op, outputs=names,
           sorted=0)      # values in order of first occurrence, as TF
    if widen:
        e.cast(values, dtype, op, "values", outputs=[e.out(op, 0)])
    e.cast(names[2], op.outputs[1].dtype, op, outputs=[e.out(op, 1)])


def _list_diff(e: Emitter, op: Operation) -> None:
    """The values of x not in y, in order, and their positions (``tf.setdiff1d``)."""
    column = e.node("Unsqueeze", [e.inp(op, 0), e.int64s([1], op, "column_axis")], op, "x_column")
    equal = e.cast(e.node("Equal", [column, e.inp(op, 1)], op, "equal"), dtypes.int32, op)
    found = e.reduce("ReduceMax", equal, [1], op, "found")
    # an empty y leaves found empty along axis 1: ReduceMax of nothing is the lowest int, so "< 1" keeps it
    keep = e.node("Less", [found, e.const(np.int32(1), op, "one")], op, "keep")
    positions = e.node("Squeeze", [e.node("NonZero", [keep], op, "nonzero"), e.int64s([0], op, "axis0")], op,
                       "positions")
    e.node("Gather", [e.inp(op, 0), positions], op, outputs=[e.out(op, 0)], axis=0)
    e.cast(positions, op.outputs[1].dtype, op, outputs=[e.out(op, 1)])


def _in_top_k(e: Emitter, op: Operation) -> None:
    """target's prediction has fewer than k larger ones in its row (ties are in), the row is finite and
    the target a class (TF's in_top_k)."""
    targets = e.cast(e.inp(op, 1), dtypes.int64, op, "targets64")
    classes = e.dims(e.inp(op, 0), op, "classes", start=1, end=2)
    in_range = e.node("And", [e.node("GreaterOrEqual", [targets, e.int64s([0], op, "zero")], op, "nonnegative"),
                              e.node("Less", [targets, classes], op, "below_classes")], op, "in_range")
    safe = e.node("Where", [in_range, targets, e.int64s([0], op, "first")], op, "safe")
    picked = e.node("GatherElements", [e.inp(op, 0), e.node("Unsqueeze", [safe, e.int64s([1], op, "axis1")], op,
                                                             "column")], op, "picked", axis=1)
    greater = e.cast(e.node("Greater", [e.inp(op, 0), picked], op, "greater"), dtypes.int64, op, "greater64")
    larger = e.reduce("ReduceSum", greater, [1], op, "larger")
    bad = e.node("Or", [e.node("IsNaN", [e.inp(op, 0)], op, "isnan"), e.node("IsInf", [e.inp(op, 0)], op, "isinf")],
                 op, "bad")
    any_bad = e.reduce("ReduceMax", e.cast(bad, dtypes.int32, op, "bad32"), [1], op, "any_bad")
    finite = e.node("Less", [any_bad, e.const(np.int32(1), op, "none_bad")], op, "finite")   # no classes: lowest
    within = e.node("Less", [larger, _as_int64(e, op, 2, "k")], op, "within")
    e.node("And", [e.node("And", [in_range, finite], op, "valid"), within], op, outputs=[e.out(op)])


def _reverse_sequence(e: Emitter, op: Operation) -> None:
    e.node("ReverseSequence", [e.inp(op), _as_int64(e, op, 1, "lengths")], op, outputs=[e.out(op)],
           batch_axis=int(op.attrs["batch_dim"]), time_axis=int(op.attrs["seq_dim"]))


def _labels_one_hot(e: Emitter, op: Operation) -> None:
    """The labels one-hot over the logits' last dimension, in the logits' dtype."""
    depth = e.dims(e.inp(op, 1), op, "depth", start=-1)
    values = e.const(np.array([0, 1], dtype=op.outputs[0].dtype.np_type), op, "values")
    labels = e.cast(e.inp(op, 0), dtypes.int64, op, "labels64")       # onnxruntime's OneHot: int64 with int64 depth
    e.node("OneHot", [labels, depth, values], op, outputs=[e.out(op)], axis=-1)


# matrices --------------------------------------------------------------------------------------

def _half_dims(op: Operation, t: Any) -> tuple:
    dims = t.shape.as_tuple()
    if dims is None or None in dims:
        raise UnsupportedOpError(f"Operation {op.name} ({op.type}): {t.name} has shape {t.shape}; its shape must be "
                                 "known to write it as ONNX")
    return dims


def _diag(e: Emitter, op: Operation) -> None:
    dims = _half_dims(op, op.inputs[0])
    n = int(np.prod(dims, dtype=np.int64))
    column = e.node("Reshape", [e.inp(op), e.int64s([n, 1], op, "column_shape")], op, "column")
    square = e.node("Mul", [column, e.const(np.eye(n, dtype=op.inputs[0].dtype.np_type), op, "eye")], op, "square")
    e.node("Reshape", [square, e.int64s(dims * 2, op, "shape")], op, outputs=[e.out(op)])


def _diag_part(e: Emitter, op: Operation) -> None:
    dims = _half_dims(op, op.outputs[0])
    n = int(np.prod(dims, dtype=np.int64))
    flat = e.node("Reshape", [e.inp(op), e.int64s([-1], op, "flat")], op, "flat")
    picked = e.node("Gather", [flat, e.int64s(list(range(0, n * n, n + 1)), op, "diagonal")], op, "picked", axis=0)
    e.node("Reshape", [picked, e.int64s(dims, op, "shape")], op, outputs=[e.out(op)])


def _band_part(e: Emitter, op: Operation) -> None:
    """Keeps (num_lower < 0 or row - col <= num_lower) and (num_upper < 0 or col - row <= num_upper)."""
    rank = _rank(op)
    shape = e.node("Shape", [e.inp(op)], op, "shape")
    one = e.const(np.int64(1), op, "one")
    size = {}
    for axis, what in ((rank - 2, "rows"), (rank - 1, "cols")):
        size[what] = e.node("Squeeze", [e.node("Slice", [shape, e.int64s([axis], op, f"{what}_start"),
                                                         e.int64s([axis + 1], op, f"{what}_end")], op, f"{what}_1d")],
                            op, f"{what}_n")
    rows = e.node("Unsqueeze", [e.node("Range", [e.const(np.int64(0), op, "start"), size["rows"], one], op, "row_ids"),
                                e.int64s([1], op, "axis1")], op, "row_column")
    cols = e.node("Range", [e.const(np.int64(0), op, "start_cols"), size["cols"], one], op, "col_ids")
    keep = None
    for index, (a, b) in ((1, (rows, cols)), (2, (cols, rows))):
        bound = _as_int64(e, op, index, f"bound_{index}")
        negative = e.node("Less", [bound, e.const(np.int64(0), op, f"zero_{index}")], op, f"unbounded_{index}")
        within = e.node("LessOrEqual", [e.node("Sub", [a, b], op, f"distance_{index}"), bound], op, f"within_{index}")
        side = e.node("Or", [negative, within], op, f"side_{index}")
        keep = side if keep is None else e.node("And", [keep, side], op, "keep")
    zeros = e.const(np.zeros((), op.inputs[0].dtype.np_type), op, "zeros")
    e.node("Where", [keep, e.inp(op), zeros], op, outputs=[e.out(op)])


# segments --------------------------------------------------------------------------------------

_SEGMENT_REDUCTION = {"Sum": "add", "Prod": "mul", "Max": "max", "Min": "min", "Mean": "add"}


def _identity(reduction: str, dtype: Any) -> Any:
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    return {"Sum": 0, "Mean": 0, "Prod": 1, "Max": info.min, "Min": info.max}[reduction]


def _scatter_rows(e: Emitter, op: Operation, reduction: str, data: str, ids: str, rows: str, hint: str,
                  dtype: Any) -> str:
    """[rows, *data.shape[1:]] filled with the reduction's identity, each data row reduced into its id's row."""
    tail = e.dims(data, op, f"{hint}_tail", start=1)
    fill = e.node("ConstantOfShape", [e.node("Concat", [rows, tail], op, f"{hint}_shape", axis=0)], op, f"{hint}_fill",
                  value=e.onnx.numpy_helper.from_array(np.array([_identity(reduction, dtype)], dtype), "value"))
    index = e.node("Unsqueeze", [ids, e.int64s([1], op, f"{hint}_index_axis")], op, f"{hint}_index")
    return e.node("ScatterND", [fill, index, data], op, f"{hint}_reduced", reduction=_SEGMENT_REDUCTION[reduction])


def _segment(reduction: str, sorted_ids: bool) -> Callable:
    """Segment reductions as ScatterND with a reduction (opset 18 for max/min). Sorted: ids[-1] + 1
    rows, an empty max/min segment 0; unsorted: data and ids flattened to the ids' rank, an empty
    segment the reduction's identity, a negative id reduced into one extra row that is then dropped."""
    def rule(e: Emitter, op: Operation) -> None:
        _needs_opset(e, op, 18 if reduction in ("Max", "Min") else 16, f"ScatterND's reduction for {op.type}")
        dtype = op.inputs[0].dtype.np_type
        ids, data = e.cast(e.inp(op, 1), dtypes.int64, op, "ids64"), e.inp(op)
        ids_rank = 1 if sorted_ids else _rank(op, 1)
        out_rank = _rank(op) - ids_rank + 1
        if sorted_ids:
            rows = e.node("Add", [e.node("ReduceMax", [ids], op, "last_id", keepdims=1), e.int64s([1], op, "one")],
                          op, "rows")
        else:
            tail = e.dims(data, op, "data_tail", start=ids_rank)
            data = e.node("Reshape", [data, e.node("Concat", [e.int64s([-1], op, "lead"), tail], op, "data_shape",
                                                   axis=0)], op, "data")
            num = e.node("Reshape", [_as_int64(e, op, 2, "num"), e.int64s([1], op, "one_dim")], op, "num")
            flat_ids = e.node("Reshape", [ids, e.int64s([-1], op, "flat")], op, "flat_ids")
            negative = e.node("Less", [flat_ids, e.const(np.int64(0), op, "zero")], op, "negative")
            ids = e.node("Where", [negative, e.node("Squeeze", [num], op, "num_scalar"), flat_ids], op, "ids")
            rows = e.node("Add", [num, e.int64s([1], op, "one")], op, "rows")
        out = _scatter_rows(e, op, reduction, data, ids, rows, "values", dtype)
        if reduction == "Mean" or (sorted_ids and reduction in ("Max", "Min")):
            ones = e.node("ConstantOfShape", [e.node("Shape", [ids], op, "count_shape")], op, "ones",
                          value=e.onnx.numpy_helper.from_array(np.ones(1, dtype), "value"))
            counts = e.node("Reshape", [_count_rows(e, op, ones, ids, rows, dtype),
                                        e.int64s([-1] + [1] * (out_rank - 1), op, "counts_shape")], op, "counts")
            if reduction == "Mean":     # an empty segment's mean is 0
                divisor = e.node("Max", [counts, e.const(np.ones((), dtype), op, "one_count")], op, "divisor")
                out = e.node("Div", [out, divisor], op, "mean")
            else:                       # an empty sorted max/min segment is 0 (TF1)
                present = e.node("Greater", [counts, e.const(np.zeros((), dtype), op, "zero_count")], op, "present")
                out = e.node("Where", [present, out, e.const(np.zeros((), dtype), op, "zero_value")], op, "filled")
        if sorted_ids:
            e.node("Identity", [out], op, outputs=[e.out(op)])
        else:
            e.node("Slice", [out, e.int64s([0], op, "start"), num, e.int64s([0], op, "axis0")], op,
                   outputs=[e.out(op)])
    return rule


def _count_rows(e: Emitter, op: Operation, ones: str, ids: str, rows: str, dtype: Any) -> str:
    """How many ids each of the ``rows`` segments has (a vector)."""
    zeros = e.node("ConstantOfShape", [rows], op, "count_zeros",
                   value=e.onnx.numpy_helper.from_array(np.zeros(1, dtype), "value"))
    index = e.node("Unsqueeze", [ids, e.int64s([1], op, "count_index_axis")], op, "count_index")
    return e.node("ScatterND", [zeros, index, ones], op, "count", reduction="add")


def _print(e: Emitter, op: Operation) -> None:
    """``tf.Print`` passes its first input through; the logging is a side effect ONNX models do not have."""
    e.node("Identity", [e.inp(op)], op, outputs=[e.out(op)])


def _dynamic_slice(e: Emitter, op: Operation) -> None:
    """A window with run-time ``begin``/``size`` (size -1: to the end). ONNX's Slice clamps a window that
    does not fit where graphc's kernel raises InvalidArgumentError."""
    begin, size = (e.cast(e.inp(op, i), dtypes.int64, op, what) for i, what in ((1, "begin"), (2, "size")))
    to_end = e.node("Equal", [size, e.int64s([-1], op, "minus_one")], op, "to_end")
    ends = e.node("Where", [to_end, e.int64s([_INT64_MAX], op, "end"), e.node("Add", [begin, size], op, "stop")],
                  op, "ends")
    e.node("Slice", [e.inp(op), begin, ends], op, outputs=[e.out(op)])


def _dynamic_pad(e: Emitter, op: Operation) -> None:
    """Zeros around, by a run-time ``[rank, 2]`` paddings tensor: ONNX's pads are all befores, then all afters."""
    rows = e.cast(e.inp(op, 1), dtypes.int64, op, "paddings")
    pads = e.node("Reshape", [e.node("Transpose", [rows], op, "by_side", perm=[1, 0]), e.int64s([-1], op, "flat")],
                  op, "pads")
    e.node("Pad", [e.inp(op), pads], op, outputs=[e.out(op)], mode="constant")


MORE_RULES: dict = {
    "RandomStandardNormal": _random_normal, "RandomUniform": _random_uniform, "TruncatedNormal": _truncated_normal,
    "RandomUniformInt": _random_uniform_int, "SampleFromLogits": _sample_from_logits,
    "StringLower": _string_case("LOWER"), "StringUpper": _string_case("UPPER"),
    "StringToNumber": _string_to_number, "StringJoin": _string_join, "AsString": _as_string,
    "Cumsum": _cumsum, "Cumprod": _cumprod, "Einsum": _einsum, "GatherNd": _gather_nd, "ScatterNd": _scatter_nd,
    "TensorScatterUpdate": _tensor_scatter("update"), "TensorScatterAdd": _tensor_scatter("add"),
    "TensorScatterSub": _tensor_scatter("sub"),
    "TopKV2": _top_k, "Where": _where_indices, "Unique": _unique, "ListDiff": _list_diff, "InTopKV2": _in_top_k,
    "ReverseSequence": _reverse_sequence, "SparseLabelsOneHot": _labels_one_hot,
    "Diag": _diag, "DiagPart": _diag_part, "MatrixBandPart": _band_part,
    **{f"Segment{r}": _segment(r, True) for r in ("Sum", "Mean", "Max", "Min", "Prod")},
    **{f"UnsortedSegment{r}": _segment(r, False) for r in ("Max", "Min", "Prod")},
    "Print": _print,
    "SparseToDense": _sparse_to_dense, "SparseTensorDenseAdd": _sparse_dense_add,
    "SparseTensorDenseMatMul": _sparse_dense_matmul, "SparseGather": _sparse_gather,
    "SparseRetainPositions": _sparse_retain_positions, "SparseReduceSum": _sparse_reduce_sum,
    "SparseReorder": _sparse_reorder, "DynamicSlice": _dynamic_slice, "DynamicPad": _dynamic_pad,
}

_GRADIENT = "a gradient op: export the inference graph (the outputs of the forward pass), not a training step"
_STATE = "a state op: an ONNX model has no variables; their current values are written as initializers"
_PIPELINE = ("an input-pipeline op: give the tensor it produces as one of export's inputs, and feed it to the "
             "ONNX model")
_SUMMARY = "a summary op: it writes TensorBoard records, which an ONNX model does not"
_SPARSE = ("the union of two sparse tensors, whose size depends on the values: ONNX has dense tensors only "
           "(sparse to dense, matmul, reduce_sum, reorder, retain and adding to a dense tensor are written)")
_RAGGED = ("a ragged tensor op: graphc writes no ONNX for ragged tensors (their row-split checks are run-time "
           "errors, which ONNX cannot raise); export from the dense tensors (ragged.to_tensor())")
_PARSING = ("a parsing or decoding op with no ONNX operator: export from the tensors it produces (give them as "
            "inputs)")
_COLLECTIVE = ("a collective between processes (graphc.distribute on MPI): an ONNX model runs in one process; "
               "export one rank's inference graph")
_LINALG = "ONNX's standard operators have no matrix factorization or inverse"
_STRINGS = "ONNX's string operators (StringNormalizer, StringConcat, Cast) have no equivalent of it"

NO_ONNX: dict = {
    **{t: _GRADIENT for t in (
        "AvgPoolGrad", "MaxPoolGrad", "MaxPoolGradGrad", "Conv2DBackpropFilter", "DepthwiseConv2dNativeBackpropInput",
        "DepthwiseConv2dNativeBackpropFilter", "ResizeBilinearGrad", "ResizeNearestNeighborGrad", "ResizeBicubicGrad",
        "MirrorPadGrad", "StridedSliceGrad", "SumTo", "TileGrad", "TensorArrayScatterAdd", "TensorArrayClearRows",
        "SparseAddValuesGrad", "SparseReduceSumGrad", "SparseReorderGrad", "TensorArrayTakeRows",
        "TensorArrayAccumulate", "GatherRows")},
    **{t: _COLLECTIVE for t in ("MPIAllreduce", "MPIAllreduceStart", "MPIAllreduceWait", "MPIBroadcast",
                                "MPIAllgather")},
    **{t: _STATE for t in ("Assign", "AssignAdd", "AssignSub", "VariableV2", "IsVariableInitialized")},
    **{t: _PIPELINE for t in ("IteratorGetNext", "IteratorToStringHandle", "MakeIterator", "QueueCloseV2",
                              "QueueDequeueV2", "QueueEnqueueManyV2", "QueueEnqueueV2", "QueueSizeV2", "ReaderReadV2",
                              "ReadFile")},
    **{t: _SUMMARY for t in ("ScalarSummary", "HistogramSummary", "ImageSummary", "MergeSummary")},
    "SparseAdd": _SPARSE,
    **{t: _RAGGED for t in ("RaggedCheckSplits", "RaggedRowSplits", "RaggedSparseIndices")},
    **{t: _PARSING for t in ("DecodeCSV", "DecodeRaw", "DecodeImage", "DecodeJpeg", "DecodePng", "EncodeJpeg",
                             "EncodePng", "ParseExample", "ParseSequenceExample")},
    **{t: _LINALG for t in ("Cholesky", "MatrixInverse", "Svd")},
    **{t: _STRINGS for t in ("RegexReplace", "StringLength", "StringSplit", "StringSplitV2",
                             "StringStrip", "Substr")},
    "RandomOrthogonal": "it needs a QR factorization, which ONNX's standard operators do not have",
    "CandidateExpectedCount": "a sampled-softmax training op: export the inference graph (the full logits)",
    **{t: "a sampled-softmax training op: export the inference graph (the full logits)"
       for t in ("SampleCandidates", "FixedUnigramCandidateSampler", "LearnedUnigramCandidateSampler")},
    "PyFunc": "it runs Python code, which an ONNX model cannot call",
    "PyFuncStateless": "it runs Python code, which an ONNX model cannot call",
    "CaseGuard": ("tf.case's run-time check that one predicate holds (exclusive=True or no default) has no ONNX "
                  "form; build the case with a default and exclusive=False"),
    "Assert": "an imported TensorFlow Assert's run-time check has no ONNX form; export from before the check",
    "NoOp": "a control op with no value: export the tensors the model computes",
    "Placeholder": "a placeholder is an input: list it in export's inputs",
}

__all__ = ["MORE_RULES", "NO_ONNX"]
