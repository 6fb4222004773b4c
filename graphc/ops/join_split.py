"""Joining and splitting: concat (ConcatV2), stack (Pack), unstack (Unpack), split (Split, SplitV).

Each is the adjoint of another: the gradient of a join splits, the gradient of a split joins.
"""
from __future__ import annotations

import builtins
from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor, get_default_graph
from graphc.ops import array, core, linalg, source
from graphc.ops.core import OpDef, apply, as_shape_tensor, convert_to_tensor, normalize_axis, register, shape_value
from graphc.ops.op_args import check_int, check_one_dtype, describe, graph_scope, merge_shapes, op_outputs, static_int
from graphc.shape import TensorShape


# ------------------------------------------------------------------------------------------------
# joining and splitting: concat, stack, unstack, split

def _concat_infer(inputs, attrs):
    check_one_dtype("concat", inputs)
    ranks = {t.shape.ndims for t in inputs if t.shape.ndims is not None}
    if len(ranks) > 1:
        raise ValueError(f"concat needs tensors of one rank, got {describe(inputs)}")
    if not ranks:
        return [(inputs[0].dtype, TensorShape(None))]
    rank = ranks.pop()
    if rank == 0:
        raise ValueError(f"concat cannot join scalars ({describe(inputs)}); use tf.stack")
    axis = normalize_axis(attrs["axis"], rank)
    out = []
    for i in builtins.range(rank):
        column = [t.shape.as_tuple()[i] if t.shape.ndims is not None else None for t in inputs]
        if i == axis:
            out.append(None if None in column else sum(column))
            continue
        known = {d for d in column if d is not None}
        if len(known) > 1:
            raise ValueError(f"concat along axis {axis} needs equal sizes in dimension {i}, "
                             f"got {describe(inputs)}")
        out.append(known.pop() if known else None)
    return [(inputs[0].dtype, TensorShape(out))]


def _concat_grad(op, g):
    axis = op.attrs["axis"]
    sizes = [array.dim_or_tensor(t, axis) if t.shape.ndims is not None else array.getitem(array.shape(t), axis)
             for t in op.inputs]
    per_block = _product_by_column_blocks(g, axis, sizes)
    if per_block is not None:
        return per_block
    return op_outputs("SplitV", [g, as_shape_tensor(sizes, name="sizes")],
                    {"axis": axis, "num_split": len(sizes)}, "split")


def _product_by_column_blocks(g: Tensor, axis: int, widths: list) -> Optional[list]:
    """When ``g`` is a plain matrix product ``a @ w`` split along its columns and ``w`` is invariant
    in the loop body being built (an RNN cell's backward product through the concat of its input and
    state): one product per block, ``a @ w[:, block]``, the weight's blocks sliced once outside the
    loop; the block of an input without a gradient is then never computed. Else None."""
    op = g.op
    if (op.type != "MatMul" or op.attrs["transpose_a"] or op.attrs["transpose_b"] or g.shape.ndims != 2
            or axis not in (1, -1) or not all(isinstance(w, int) for w in widths)):
        return None
    graph = get_default_graph()
    a, w = op.inputs
    blocks = graph.hoisted_columns(w, tuple(widths)) if g.graph is graph else None
    if blocks is None:
        return None
    return [linalg.matmul(a, block) for block in blocks]


register(OpDef("ConcatV2", "movement", infer=_concat_infer, grad=_concat_grad,
               numpy=lambda *xs, axis: np.concatenate(xs, axis=axis)))


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """``tf.concat``: joins ``values`` along an existing ``axis`` (negative counts from the end)."""
    tensors = core.convert_n(list(values))
    if not tensors:
        raise ValueError("concat needs at least one tensor")
    axis = static_int(axis)
    if len(tensors) == 1:
        with graph_scope(tensors, name):
            return source.identity(tensors[0], name=name)
    return apply("ConcatV2", tensors, {"axis": axis}, name)


def _pack_infer(inputs, attrs):
    check_one_dtype("stack", inputs)
    merged = merge_shapes("stack", inputs)
    if merged.ndims is None:
        return [(inputs[0].dtype, TensorShape(None))]
    dims = list(merged.as_tuple())
    axis = normalize_axis(attrs["axis"], len(dims) + 1)
    return [(inputs[0].dtype, TensorShape(dims[:axis] + [len(inputs)] + dims[axis:]))]


def _pack_grad(op, g):
    return op_outputs("Unpack", [g], {"axis": op.attrs["axis"], "num": len(op.inputs)}, "unstack")


register(OpDef("Pack", "movement", infer=_pack_infer, grad=_pack_grad,
               numpy=lambda *xs, axis: np.stack(xs, axis=axis)))


def _unpack_infer(inputs, attrs):
    x = inputs[0]
    dims = x.shape.as_tuple()
    num = attrs["num"]
    if dims is None:
        return [(x.dtype, TensorShape(None))] * num
    axis = normalize_axis(attrs["axis"], len(dims))
    if dims[axis] is not None and dims[axis] != num:
        raise ValueError(f"unstack of {x.name} with shape {x.shape} along axis {axis} gives "
                         f"{dims[axis]} tensors, but num={num}")
    return [(x.dtype, TensorShape(dims[:axis] + dims[axis + 1:]))] * num


def _unpack_numpy(x, axis, num):
    if x.shape[axis] != num:
        raise ValueError(f"unstack expected {num} slices along axis {axis}, got shape {x.shape}")
    return tuple(np.moveaxis(x, axis, 0))


def _filled_grads(op, grads: tuple) -> list:
    """``grads`` with each missing (None) gradient replaced by zeros shaped like that output."""
    return [g if g is not None else array.zeros_like(t) for t, g in zip(op.outputs, grads)]


register(OpDef("Unpack", "movement", infer=_unpack_infer, numpy=_unpack_numpy,
               grad=lambda op, *gs: [stack(_filled_grads(op, gs), axis=op.attrs["axis"])]))


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """``tf.stack``: joins same-shaped ``values`` along a new ``axis``."""
    values = list(values)
    if not values:
        raise ValueError("stack needs at least one tensor")
    axis = static_int(axis)
    if axis == 0 and not any(_holds_tensor(v) for v in values):
        return convert_to_tensor(values, name=name)  # a constant list stays a constant (as in TF1)
    return apply("Pack", core.convert_n(values), {"axis": axis}, name)


def _holds_tensor(v: Any) -> bool:
    if core._graph_tensor_or_none(v) is not None:
        return True
    return isinstance(v, (list, tuple)) and any(_holds_tensor(x) for x in v)


def unstack(value: Any, num: Optional[int] = None, axis: int = 0, name: str = "unstack") -> list:
    """``tf.unstack``: the slices of ``value`` along ``axis``, as a list of tensors."""
    x = convert_to_tensor(value)
    dims = x.shape.as_tuple()
    if dims is None and num is None:
        raise ValueError(f"Cannot infer num from the unknown shape of {x.name}; pass num=")
    axis = static_int(axis)
    if num is None:
        num = dims[normalize_axis(axis, len(dims))]
        if num is None:
            raise ValueError(f"Cannot infer num from shape {x.shape} of {x.name}; pass num=")
    return op_outputs("Unpack", [x], {"axis": axis, "num": int(num)}, name)


def _split_dims(x: Tensor, axis: int) -> tuple:
    """(normalized axis or None, static size along it or None) for a split of ``x``."""
    dims = x.shape.as_tuple()
    if dims is None:
        return None, None
    a = normalize_axis(axis, len(dims))
    return a, dims[a]


def _split_infer(inputs, attrs):
    x = inputs[0]
    num = attrs["num_split"]
    a, dim = _split_dims(x, attrs["axis"])
    if a is None:
        return [(x.dtype, TensorShape(None))] * num
    if dim is not None and dim % num:
        raise ValueError(f"split of {x.name} with shape {x.shape} into {num} pieces along axis {a}: "
                         f"the dimension size {dim} must be evenly divisible by {num}")
    dims = list(x.shape.as_tuple())
    dims[a] = None if dim is None else dim // num
    return [(x.dtype, TensorShape(dims))] * num


def _split_numpy(x, axis, num_split):
    if x.shape[axis] % num_split:
        raise ValueError(f"Number of ways to split ({num_split}) must evenly divide the split "
                         f"dimension {x.shape[axis]} (shape {x.shape}, axis {axis})")
    return tuple(np.split(x, num_split, axis=axis))


def _split_grad(op, *grads):
    return [concat(_filled_grads(op, grads), op.attrs["axis"])]


def _resolve_sizes(sizes: list, dim: Optional[int], where: str) -> list:
    """``sizes`` (ints, at most one -1, None for run-time sizes) checked against ``dim``, -1 resolved."""
    if sum(1 for s in sizes if s == -1) > 1:
        raise ValueError(f"split sizes can only have one -1, got {sizes} ({where})")
    if any(s is not None and s < -1 for s in sizes):
        raise ValueError(f"split sizes must be >= 0 (or one -1), got {sizes} ({where})")
    if dim is None or None in sizes:
        return [None if s == -1 else s for s in sizes]
    fixed = sum(s for s in sizes if s != -1)
    if -1 in sizes:
        if fixed > dim:
            raise ValueError(f"can't split a dimension of size {dim} into pieces of size {sizes} ({where})")
        return [dim - fixed if s == -1 else s for s in sizes]
    if fixed != dim:
        raise ValueError(f"can't split a dimension of size {dim} into pieces of size {sizes}: "
                         f"they add up to {fixed} ({where})")
    return sizes


def _splitv_infer(inputs, attrs):
    x, sizes_t = inputs
    check_int("split sizes", sizes_t)
    num = attrs["num_split"]
    sizes = shape_value(sizes_t)
    if sizes is None:
        sizes = [None] * num
    if len(sizes) != num:
        raise ValueError(f"split expected {num} sizes, got {sizes_t.name} with shape {sizes_t.shape}")
    a, dim = _split_dims(x, attrs["axis"])
    if a is None:
        return [(x.dtype, TensorShape(None))] * num
    sizes = _resolve_sizes(sizes, dim, f"{x.name} with shape {x.shape}, axis {a}")
    dims = list(x.shape.as_tuple())
    return [(x.dtype, TensorShape(dims[:a] + [s] + dims[a + 1:])) for s in sizes]


def _splitv_numpy(x, sizes, axis, num_split):
    sizes = _resolve_sizes([int(s) for s in sizes], x.shape[axis], f"shape {x.shape}, axis {axis}")
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


register(OpDef("Split", "movement", infer=_split_infer, numpy=_split_numpy, grad=_split_grad))
register(OpDef("SplitV", "movement", infer=_splitv_infer, numpy=_splitv_numpy,
               grad=lambda op, *grads: _split_grad(op, *grads) + [None], meta_inputs={1}))


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: Optional[int] = None,
          name: str = "split") -> list:
    """``tf.split``: ``num_or_size_splits`` equal pieces, or pieces of the listed sizes (one may be -1)."""
    x = convert_to_tensor(value)
    axis = static_int(axis)
    count = _split_count(num_or_size_splits)
    if count is not None:
        if count <= 0:
            raise ValueError(f"split needs a positive number of pieces, got {count}")
        return op_outputs("Split", [x], {"axis": axis, "num_split": count}, name)
    sizes = as_shape_tensor(num_or_size_splits, name="size_splits")
    n = sizes.shape.as_tuple()[0] if sizes.shape.ndims == 1 else None
    if n is None:
        n = num
    if n is None:
        raise ValueError(f"Cannot infer the number of pieces from {sizes.name} with shape {sizes.shape}; pass num=")
    return op_outputs("SplitV", [x, sizes], {"axis": axis, "num_split": int(n)}, name)


def _split_count(num_or_size_splits: Any) -> Optional[int]:
    """The number of equal pieces when ``num_or_size_splits`` is a scalar, else None."""
    if isinstance(num_or_size_splits, (int, np.integer)) and not isinstance(num_or_size_splits, bool):
        return int(num_or_size_splits)
    t = core._graph_tensor_or_none(num_or_size_splits)
    if t is not None and t.shape.ndims == 0:
        return static_int(t)
    return None


__all__ = ["concat", "stack", "unstack", "split"]
