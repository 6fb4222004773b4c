"""Segment reductions: ``tf.segment_sum/mean/max/min/prod`` (sorted ids) and
``tf.unsorted_segment_max/min/prod/mean/sqrt_n`` (``unsorted_segment_sum`` is in ``ops/gather.py``,
as gather's gradient).

Sorted ops take a 1-D non-decreasing ``segment_ids`` as long as ``data``'s first dim and produce
``segment_ids[-1] + 1`` rows, a size known only when the op runs; an empty segment gives 0 (1 for
prod), as TF1. Unsorted ops take ids of any shape that prefixes ``data``'s and a ``num_segments``;
negative ids are dropped; an empty segment gives the reduction's identity (the dtype's lowest value
for max, its highest for min, 1 for prod). Gradients are TF1's formulas: max/min share the gradient
among the tied maxima, prod divides the product by each element (with TF1's care for zeros).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops.gather import gather, unsorted_segment_sum
from graphc.ops.join_split import concat
from graphc.ops.core import OpDef, _graph_of, apply, constant_value, convert_to_tensor, register
from graphc.shape import TensorShape


def _lowest(dtype: np.dtype) -> Any:
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype: np.dtype) -> Any:
    return np.finfo(dtype).max if dtype.kind == "f" else np.iinfo(dtype).max


# reduction -> (numpy ufunc accumulated with .at, identity of an unsorted empty segment)
_REDUCTIONS: dict = {
    "Sum": (np.add, lambda dt: 0),
    "Mean": (np.add, lambda dt: 0),
    "Max": (np.maximum, _lowest),
    "Min": (np.minimum, _highest),
    "Prod": (np.multiply, lambda dt: 1),
}


def _check_ids(fn: str, ids: Tensor) -> None:
    if ids.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{fn}: segment_ids {ids.name} must be int32 or int64, got {ids.dtype.name}")


def _check_data(fn: str, data: Tensor) -> None:
    if data.dtype.is_bool or data.dtype is dtypes.string:
        raise TypeError(f"{fn}: data {data.name} must be a number tensor, got {data.dtype.name}")


def _reduce_into(out: np.ndarray, ids: np.ndarray, data: np.ndarray, reduction: str) -> np.ndarray:
    ufunc = _REDUCTIONS[reduction][0]
    keep = ids >= 0
    ufunc.at(out, ids[keep], data[keep])
    if reduction == "Mean":
        counts = np.bincount(ids[keep].reshape(-1), minlength=out.shape[0]).reshape((-1,) + (1,) * (out.ndim - 1))
        out = np.where(counts > 0, out / np.maximum(counts, 1).astype(out.dtype), 0).astype(out.dtype)
    return out


# ------------------------------------------------------------------------------------------------
# sorted segments

def _sorted_infer(fn: str):
    def infer(inputs, attrs):
        data, ids = inputs
        _check_data(fn, data)
        _check_ids(fn, ids)
        if ids.shape.ndims not in (None, 1):
            raise ValueError(f"{fn}: segment_ids {ids.name} must be 1-D, got shape {ids.shape}")
        ddims = data.shape.as_tuple()
        if ddims is not None and not ddims:
            raise ValueError(f"{fn}: data {data.name} must have rank >= 1, got a scalar")
        if ddims is not None and not TensorShape(ddims[:1]).is_compatible_with(ids.shape):
            raise ValueError(f"{fn}: segment_ids {ids.name} {ids.shape} must have as many entries as the first "
                             f"dim of data {data.name} {data.shape}")
        known = constant_value(ids)
        rows = None if known is None else (int(known[-1]) + 1 if known.size else 0)
        return [(data.dtype, TensorShape(None if ddims is None else [rows] + list(ddims[1:])))]
    return infer


def _sorted_numpy(reduction: str):
    def numpy(data, ids):
        if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
            raise ValueError(f"segment_ids of shape {list(ids.shape)} must be a vector as long as the first dim "
                             f"of data {list(data.shape)}")
        if np.any(ids < 0):
            raise ValueError(f"segment ids must be >= 0, got {int(ids.min())}")
        if np.any(np.diff(ids) < 0):
            raise ValueError("segment ids are not increasing")
        rows = int(ids[-1]) + 1 if ids.size else 0
        fill = _REDUCTIONS[reduction][1](data.dtype)
        out = _reduce_into(np.full((rows,) + data.shape[1:], fill, dtype=data.dtype), ids, data, reduction)
        if reduction in ("Max", "Min"):               # TF1: an empty sorted segment is 0
            present = np.bincount(ids, minlength=rows).reshape((-1,) + (1,) * (data.ndim - 1)) > 0
            out = np.where(present, out, np.zeros((), data.dtype))
        return out
    return numpy


# ------------------------------------------------------------------------------------------------
# unsorted segments

def _unsorted_infer(fn: str):
    def infer(inputs, attrs):
        data, ids, num = inputs
        _check_data(fn, data)
        _check_ids(fn, ids)
        if not num.dtype.is_integer or num.shape.ndims not in (None, 0):
            raise TypeError(f"{fn}: num_segments {num.name} must be an int scalar, got {num.dtype.name} {num.shape}")
        ddims, idims = data.shape.as_tuple(), ids.shape.as_tuple()
        n = constant_value(num)
        if ddims is None or idims is None:
            return [(data.dtype, TensorShape(None))]
        if len(idims) > len(ddims) or not TensorShape(ddims[:len(idims)]).is_compatible_with(TensorShape(idims)):
            raise ValueError(f"{fn}: segment_ids {ids.name} with shape {ids.shape} must be a prefix of the shape of "
                             f"data {data.name} {data.shape}")
        return [(data.dtype, TensorShape([None if n is None else int(n)] + list(ddims[len(idims):])))]
    return infer


def _unsorted_numpy(reduction: str):
    identity = _REDUCTIONS[reduction][1]

    def numpy(data, ids, num):
        n = int(num)
        if ids.shape != data.shape[:ids.ndim]:
            raise ValueError(f"segment_ids of shape {list(ids.shape)} must be a prefix of data's {list(data.shape)}")
        if np.any(ids >= n):
            raise ValueError(f"segment_ids {int(ids.max())} is out of range [0, {n})")
        out = np.full((n,) + data.shape[ids.ndim:], identity(data.dtype), dtype=data.dtype)
        return _reduce_into(out, ids, data, reduction)
    return numpy


# ------------------------------------------------------------------------------------------------
# gradients (TF1's math_grad.py formulas, written once for the sorted and the unsorted family)

class _Segments:
    """How an op's gradient sums over segments and reads a segment's row back for each element."""

    def __init__(self, op) -> None:
        self.data, self.ids = op.inputs[0], op.inputs[1]
        self.unsorted = op.type.startswith("Unsorted")
        self.num = op.inputs[2] if self.unsorted else None

    def sum(self, x: Tensor) -> Tensor:
        if self.unsorted:
            return unsorted_segment_sum(x, self.ids, self.num)
        return apply("SegmentSum", [x, self.ids])

    def _kept(self) -> Tensor:
        """``ids >= 0`` with unit dims appended to data's rank (dropped elements get no gradient)."""
        kept = m.greater_equal(self.ids, 0)
        drank, irank = self.data.shape.ndims, self.ids.shape.ndims
        if drank is not None and irank is not None:
            for _ in range(drank - irank):
                kept = array.expand_dims(kept, -1)
            return kept
        unit_dims = array.fill(m.subtract(array.rank(self.data), array.rank(self.ids))[None], 1)
        return array.reshape(kept, concat([array.shape(self.ids), unit_dims], 0))

    def gather(self, rows: Tensor) -> Tensor:
        """``rows[ids]`` for every element of data (0 where an unsorted id is negative)."""
        if not self.unsorted:
            return gather(rows, self.ids)
        picked = gather(rows, m.maximum(self.ids, 0))
        return m.where(array.broadcast_to(self._kept(), array.shape(picked)), picked, array.zeros_like(picked))


def _sum_grad(op, g):
    seg = _Segments(op)
    return [seg.gather(g), None] + ([None] if seg.unsorted else [])


def _mean_grad(op, g):
    seg = _Segments(op)
    ones = array.ones_like(seg.ids, dtype=g.dtype)
    counts = seg.sum(ones)
    rank_g, rank_c = g.shape.ndims, counts.shape.ndims
    if rank_g is None or rank_c is None:
        raise ValueError(f"the gradient of {op.name} needs the rank of {g.name} to be known")
    for _ in range(rank_g - rank_c):
        counts = array.expand_dims(counts, -1)
    return [seg.gather(g / counts), None]


def _min_or_max_grad(op, g):
    seg = _Segments(op)
    data = seg.data
    is_selected = m.equal(data, seg.gather(op.outputs[0]))
    if seg.unsorted:
        is_selected = m.logical_and(is_selected, array.broadcast_to(seg._kept(), array.shape(data)))
    num_selected = seg.sum(m.cast(is_selected, g.dtype))
    share = seg.gather(g / num_selected)
    return [m.where(is_selected, share, array.zeros_like(data)), None] + ([None] if seg.unsorted else [])


def _prod_grad(op, g):
    seg = _Segments(op)
    data = seg.data
    is_zero = m.equal(data, 0)
    num_zeros = seg.sum(m.cast(is_zero, g.dtype))
    g = m.where(m.greater(num_zeros, 1), array.zeros_like(g), g)      # two zeros: every partial is 0
    non_zero = m.where(is_zero, array.ones_like(data), data)
    prod_type = op.type
    non_zero_prod = apply(prod_type, [non_zero] + list(op.inputs[1:]))
    partial = m.where(is_zero, seg.gather(non_zero_prod), seg.gather(op.outputs[0]) / data)
    return [seg.gather(g) * partial, None] + ([None] if seg.unsorted else [])


_GRADS: dict = {"Sum": _sum_grad, "Mean": _mean_grad, "Max": _min_or_max_grad, "Min": _min_or_max_grad,
                "Prod": _prod_grad}

for _r in ("Sum", "Mean", "Max", "Min", "Prod"):
    register(OpDef(f"Segment{_r}", "opaque", infer=_sorted_infer(f"segment_{_r.lower()}"), numpy=_sorted_numpy(_r),
                   grad=_GRADS[_r]))
for _r in ("Max", "Min", "Prod"):
    register(OpDef(f"UnsortedSegment{_r}", "opaque", infer=_unsorted_infer(f"unsorted_segment_{_r.lower()}"),
                   numpy=_unsorted_numpy(_r), grad=_GRADS[_r], meta_inputs={2}))


# ------------------------------------------------------------------------------------------------
# public functions

def _sorted(reduction: str) -> Callable:
    op_type = f"Segment{reduction}"

    def fn(data: Any, segment_ids: Any, name: Optional[str] = None) -> Tensor:
        with _graph_of([data, segment_ids]).as_default():
            return apply(op_type, [convert_to_tensor(data, name="data"),
                                   convert_to_tensor(segment_ids, name="segment_ids")], name=name or op_type)
    fn.__name__ = f"segment_{reduction.lower()}"
    fn.__doc__ = (f"The {reduction.lower()} of ``data``'s rows in each segment of the sorted 1-D ``segment_ids`` "
                  f"(TF1 ``tf.segment_{reduction.lower()}``).")
    return fn


def _unsorted(reduction: str) -> Callable:
    op_type = f"UnsortedSegment{reduction}"

    def fn(data: Any, segment_ids: Any, num_segments: Any, name: Optional[str] = None) -> Tensor:
        with _graph_of([data, segment_ids, num_segments]).as_default():
            return apply(op_type, [convert_to_tensor(data, name="data"),
                                   convert_to_tensor(segment_ids, name="segment_ids"),
                                   convert_to_tensor(num_segments, name="num_segments")], name=name or op_type)
    fn.__name__ = f"unsorted_segment_{reduction.lower()}"
    fn.__doc__ = (f"The {reduction.lower()} of ``data``'s entries per id in ``segment_ids`` (any order; negative "
                  f"ids dropped) into ``num_segments`` rows (TF1 ``tf.unsorted_segment_{reduction.lower()}``).")
    return fn


segment_sum = _sorted("Sum")
segment_mean = _sorted("Mean")
segment_max = _sorted("Max")
segment_min = _sorted("Min")
segment_prod = _sorted("Prod")
unsorted_segment_max = _unsorted("Max")
unsorted_segment_min = _unsorted("Min")
unsorted_segment_prod = _unsorted("Prod")


def _segment_counts(data: Tensor, ids: Tensor, num_segments: Any) -> Tensor:
    """How many entries each segment has (at least 1), shaped to broadcast over data's trailing dims
    (TF1's ``_unsorted_segment_N``)."""
    counts = unsorted_segment_sum(array.ones_like(ids, dtype=data.dtype), ids, num_segments)
    drank, irank = data.shape.ndims, ids.shape.ndims
    if drank is None or irank is None:
        raise ValueError(f"unsorted_segment_mean/sqrt_n need the ranks of {data.name} and {ids.name} to be known")
    for _ in range(drank - irank):
        counts = array.expand_dims(counts, -1)
    return m.maximum(counts, 1)


def unsorted_segment_mean(data: Any, segment_ids: Any, num_segments: Any, name: Optional[str] = None) -> Tensor:
    """The mean of ``data``'s entries per segment id (an empty segment gives 0; TF1's composition)."""
    graph = _graph_of([data, segment_ids, num_segments])
    with graph.as_default(), graph.name_scope(name or "UnsortedSegmentMean"):
        data = convert_to_tensor(data, name="data")
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        return unsorted_segment_sum(data, ids, num_segments) / _segment_counts(data, ids, num_segments)


def unsorted_segment_sqrt_n(data: Any, segment_ids: Any, num_segments: Any, name: Optional[str] = None) -> Tensor:
    """The sum of ``data``'s entries per segment id divided by sqrt(count) (TF1's composition)."""
    graph = _graph_of([data, segment_ids, num_segments])
    with graph.as_default(), graph.name_scope(name or "UnsortedSegmentSqrtN"):
        data = convert_to_tensor(data, name="data")
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        return unsorted_segment_sum(data, ids, num_segments) / m.sqrt(_segment_counts(data, ids, num_segments))


__all__ = ["segment_sum", "segment_mean", "segment_max", "segment_min", "segment_prod", "unsorted_segment_max",
           "unsorted_segment_min", "unsorted_segment_prod", "unsorted_segment_mean", "unsorted_segment_sqrt_n"]
