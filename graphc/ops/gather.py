"""Data-dependent indexing: gather (GatherV2), its adjoint unsorted_segment_sum, and one_hot."""
from __future__ import annotations

import builtins
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array, core
from graphc.ops import math as m
from graphc.ops.core import OpDef, apply, constant_value, convert_to_tensor, normalize_axis, register
from graphc.ops.join_split import concat
from graphc.ops.op_args import check_int, check_one_dtype, check_scalar, graph_scope, scalar_of, static_int
from graphc.shape import TensorShape


# ------------------------------------------------------------------------------------------------
# gather and its adjoint, unsorted_segment_sum

def _gather_infer(inputs, attrs):
    params, indices = inputs
    check_int("gather indices", indices)
    pdims, idims = params.shape.as_tuple(), indices.shape.as_tuple()
    if pdims is None or idims is None:
        return [(params.dtype, TensorShape(None))]
    if not pdims:
        raise ValueError(f"gather needs params of rank >= 1, got {params.name} with shape {params.shape}")
    a = normalize_axis(attrs["axis"], len(pdims))
    known = constant_value(indices)
    if known is not None and pdims[a] is not None:
        _check_indices(known, pdims[a], f"gather from {params.name} with shape {params.shape}: indices")
    return [(params.dtype, TensorShape(pdims[:a] + idims + pdims[a + 1:]))]


def _check_indices(indices: np.ndarray, limit: int, what: str) -> None:
    bad = (indices < 0) | (indices >= limit)
    if np.any(bad):
        first = np.argwhere(bad)[0]
        raise ValueError(f"{what}{list(first)} = {indices[tuple(first)]} is not in [0, {limit})")


def _gather_numpy(params, indices, axis):
    if np.ndim(indices) == 0:   # one slice: a plain copy (np.take is ~100x slower on a strided view)
        i, limit = int(indices), params.shape[axis]
        if not 0 <= i < limit:
            raise ValueError(f"indices[] = {i} is not in [0, {limit})")
        return np.array(params[(slice(None),) * (axis % params.ndim) + (i,)], copy=True)
    _check_indices(indices, params.shape[axis], "indices")
    return np.take(params, indices, axis=axis)


def _gather_grad(op, g):
    params, indices = op.inputs
    prank, irank = params.shape.ndims, indices.shape.ndims
    axis = op.attrs["axis"]
    if axis == 0 or (prank is not None and axis == -prank):
        return [unsorted_segment_sum(g, indices, array.dim_or_tensor(params, 0)), None]
    if prank is None or irank is None:
        raise ValueError(f"The gradient of gather along axis {axis} needs the ranks of {params.name} "
                         f"({params.shape}) and {indices.name} ({indices.shape}) to be known")
    a = axis % prank
    # move the index dims to the front, scatter-add along them, and move the result back
    to_front = (list(builtins.range(a, a + irank)) + list(builtins.range(a))
                + list(builtins.range(a + irank, irank + prank - 1)))
    summed = unsorted_segment_sum(array.transpose(g, to_front), indices, array.dim_or_tensor(params, a))
    back = list(builtins.range(1, a + 1)) + [0] + list(builtins.range(a + 1, prank))
    return [array.transpose(summed, back), None]


register(OpDef("GatherV2", "opaque", infer=_gather_infer, numpy=_gather_numpy, grad=_gather_grad))


def gather(params: Any, indices: Any, validate_indices: Any = None, name: str = "GatherV2",
           axis: Any = None, batch_dims: int = 0) -> Tensor:
    """``tf.gather``: the slices of ``params`` along ``axis`` at ``indices`` (an int tensor of any shape)."""
    if batch_dims != 0:
        raise ValueError(f"gather supports batch_dims=0 only, got {batch_dims}; reshape the batch dims away")
    axis = 0 if axis is None else static_int(axis)
    return apply("GatherV2", [params, indices], {"axis": axis}, name)


def _gather_rows_infer(inputs, attrs):
    index, stacks = inputs[0], inputs[1:]
    check_int("gather_rows index", index)
    check_scalar("gather_rows index", index)
    out = []
    for t in stacks:
        dims = t.shape.as_tuple()
        if dims is not None and not dims:
            raise ValueError(f"gather_rows: {t.name} is a scalar; it needs a first dimension to take a row of")
        out.append((t.dtype, TensorShape(None if dims is None else list(dims[1:]))))
    return out


def _gather_rows_numpy(index, *stacks):
    return tuple(_gather_numpy(s, index, 0) for s in stacks)


def gather_rows_views(index, *stacks) -> tuple:
    """GatherRows's rows as views of ``stacks`` (for a compiled backend that hands them on without
    copying); the same bounds check and message as the numpy kernel."""
    i = int(index)
    rows = []
    for s in stacks:
        if not 0 <= i < s.shape[0]:
            raise ValueError(f"indices[] = {i} is not in [0, {s.shape[0]})")
        rows.append(s[i])
    return tuple(rows)


def _gather_rows_grad(op, *gs):
    index = op.inputs[0]
    return [None] + [None if g is None else unsorted_segment_sum(g, index, array.dim_or_tensor(t, 0))
                     for g, t in zip(gs, op.inputs[1:])]


register(OpDef("GatherRows", "opaque", infer=_gather_rows_infer, numpy=_gather_rows_numpy, grad=_gather_rows_grad))


def gather_rows(stacks: list, index: Any, name: str = "GatherRows") -> list:
    """Row ``index`` of each tensor of ``stacks`` (``gather(t, index)`` for each, as one op: a loop
    gradient reads iteration ``j`` of every forward stack with one step instead of one per stack)."""
    if not stacks:
        return []
    op = core.make_op("GatherRows", [index] + list(stacks), {}, name)
    return list(op.outputs)


def _segment_sum_infer(inputs, attrs):
    data, ids, num = inputs
    check_int("segment_ids", ids)
    check_int("num_segments", num)
    check_scalar("num_segments", num)
    ddims, idims = data.shape.as_tuple(), ids.shape.as_tuple()
    if ddims is None or idims is None:
        return [(data.dtype, TensorShape(None))]
    if not TensorShape(ddims[:len(idims)]).is_compatible_with(TensorShape(idims)) or len(idims) > len(ddims):
        raise ValueError(f"segment_ids {ids.name} with shape {ids.shape} must be a prefix of the shape of "
                         f"data {data.name} {data.shape}")
    n = constant_value(num)
    known = constant_value(ids)
    if n is not None and known is not None and np.any(known >= n):
        raise ValueError(f"segment_ids {ids.name} hold {int(known.max())}, out of range for {int(n)} segments")
    return [(data.dtype, TensorShape([None if n is None else int(n)] + list(ddims[len(idims):])))]


def _segment_sum_numpy(data, ids, num):
    n = int(num)
    if np.any(ids >= n):
        raise ValueError(f"segment_ids {ids.max()} is out of range [0, {n})")
    out = np.zeros((n,) + data.shape[ids.ndim:], dtype=data.dtype)
    keep = ids >= 0  # TF drops negative ids
    np.add.at(out, ids[keep], data[keep])
    return out


def _segment_sum_grad(op, g):
    data, ids, _ = op.inputs
    kept = m.cast(m.greater_equal(ids, 0), g.dtype)  # dropped (negative) ids get no gradient
    drank, irank = data.shape.ndims, ids.shape.ndims
    if drank is not None and irank is not None:
        for _ in builtins.range(drank - irank):
            kept = array.expand_dims(kept, -1)
    else:  # append as many unit dims as data has beyond the ids, at run time
        unit_dims = array.fill(m.subtract(array.rank(data), array.rank(ids))[None], 1)
        kept = array.reshape(kept, concat([array.shape(ids), unit_dims], 0))
    picked = gather(g, m.maximum(ids, 0))
    return [picked * kept, None, None]


register(OpDef("UnsortedSegmentSum", "opaque", infer=_segment_sum_infer, numpy=_segment_sum_numpy,
               grad=_segment_sum_grad, meta_inputs={2}))


def unsorted_segment_sum(data: Any, segment_ids: Any, num_segments: Any,
                         name: str = "UnsortedSegmentSum") -> Tensor:
    """``out[j] = sum of data[i...] where segment_ids[i...] == j``; negative ids are dropped (TF1)."""
    data = convert_to_tensor(data)
    ids = convert_to_tensor(segment_ids)
    num = convert_to_tensor(num_segments)
    return apply("UnsortedSegmentSum", [data, ids, num], name=name)


__all__ = ["gather", "unsorted_segment_sum"]


# ------------------------------------------------------------------------------------------------
# one_hot

def _one_hot_infer(inputs, attrs):
    indices, depth, on, off = inputs
    check_int("one_hot indices", indices)
    check_int("one_hot depth", depth)
    for what, t in (("depth", depth), ("on_value", on), ("off_value", off)):
        check_scalar(f"one_hot's {what}", t)
    check_one_dtype("one_hot on_value/off_value", [on, off])
    dims = indices.shape.as_tuple()
    if dims is None:
        return [(on.dtype, TensorShape(None))]
    axis = attrs["axis"]
    if not -1 <= axis <= len(dims):
        raise ValueError(f"one_hot axis {axis} must be in [-1, {len(dims)}] for indices {indices.name} "
                         f"with shape {indices.shape}")
    d = constant_value(depth)
    if d is not None and int(d) < 0:
        raise ValueError(f"one_hot depth must be non-negative, got {int(d)}")
    pos = len(dims) if axis == -1 else axis
    return [(on.dtype, TensorShape(dims[:pos] + (None if d is None else int(d),) + dims[pos:]))]


def _one_hot_numpy(indices, depth, on, off, axis):
    hot = np.expand_dims(indices, -1) == np.arange(int(depth))
    out = np.where(hot, on, off).astype(on.dtype)
    return out if axis == -1 else np.moveaxis(out, -1, axis)


register(OpDef("OneHot", "opaque", infer=_one_hot_infer, numpy=_one_hot_numpy, differentiable=False,
               meta_inputs={1}))


def _value_dtype(value: Any) -> Optional[dtypes.DType]:
    if value is None:
        return None
    t = core._graph_tensor_or_none(value)
    return t.dtype if t is not None else dtypes.infer_dtype(value)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None, axis: Optional[int] = None,
            dtype: Any = None, name: Optional[str] = None) -> Tensor:
    """``tf.one_hot``: ``on_value`` where ``indices == j`` along a new ``axis`` of size ``depth``."""
    on_dt, off_dt = _value_dtype(on_value), _value_dtype(off_value)
    dt = dtypes.as_dtype(dtype) if dtype is not None else None
    for what, found in (("on_value", on_dt), ("off_value", off_dt)):
        if dt is not None and found is not None and found is not dt:
            raise TypeError(f"dtype {found.name} of {what} does not match the dtype parameter {dt.name}")
    if on_dt is not None and off_dt is not None and on_dt is not off_dt:
        raise TypeError(f"dtype {on_dt.name} of on_value does not match dtype {off_dt.name} of off_value")
    dt = dt or on_dt or off_dt or dtypes.float32
    with graph_scope([indices, depth, on_value, off_value], name or "one_hot") as scope:
        on = convert_to_tensor(scalar_of(1, dt) if on_value is None else on_value, dtype=dt, name="on_value")
        off = convert_to_tensor(scalar_of(0, dt) if off_value is None else off_value, dtype=dt, name="off_value")
        depth_t = convert_to_tensor(depth, dtype=dtypes.int32, name="depth")
        axis = -1 if axis is None else static_int(axis)
        return apply("OneHot", [indices, depth_t, on, off], {"axis": axis}, scope)


__all__ += ["one_hot"]
