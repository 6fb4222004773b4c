"""Ops that pick elements by value: ``tf.nn.top_k``, ``tf.boolean_mask``, ``tf.unique``, ``tf.setdiff1d``.

``TopKV2`` keeps TF1's tie order (equal values: the lower index first). ``Unique`` and
``ListDiff`` (like ``Where`` in ``ops/math.py``, which ``boolean_mask`` builds on) have a first
dimension known only when they run: they are opaque host steps on every backend and their static
shape says ``?`` there.
"""
from __future__ import annotations

import collections
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops import reduce as red
from graphc.ops.gather import gather, one_hot
from graphc.ops.join_split import concat
from graphc.ops.core import OpDef, _graph_of, constant_value, convert_to_tensor, make_op, register
from graphc.shape import TensorShape

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])
UniqueOutput = collections.namedtuple("Unique", ["y", "idx"])
ListDiff = collections.namedtuple("ListDiff", ["out", "idx"])


def _check_int(what: str, t: Tensor) -> None:
    if not t.dtype.is_integer:
        raise TypeError(f"{what} must be an int32 or int64 tensor, got {t.name} of dtype {t.dtype.name}")


# ------------------------------------------------------------------------------------------------
# top_k

def _top_k_infer(inputs, attrs):
    x, k = inputs
    _check_int("top_k's k", k)
    if k.shape.ndims not in (None, 0):
        raise ValueError(f"top_k: k must be a scalar, got {k.name} with shape {k.shape}")
    if x.dtype.is_bool or x.dtype is dtypes.string:
        raise TypeError(f"top_k: input {x.name} must be a real number tensor, got {x.dtype.name}")
    known_k = constant_value(k)
    dims = x.shape.as_tuple()
    if known_k is not None and int(known_k) < 0:
        raise ValueError(f"top_k: k must be non-negative, got {int(known_k)}")
    if dims is None:
        return [(x.dtype, TensorShape(None)), (dtypes.int32, TensorShape(None))]
    if not dims:
        raise ValueError(f"top_k: input {x.name} must have rank >= 1 (the values to rank), got a scalar")
    if known_k is not None and dims[-1] is not None and int(known_k) > dims[-1]:
        raise ValueError(f"top_k: input {x.name} with shape {x.shape} must have at least k={int(known_k)} "
                         "columns in its last dimension")
    out = TensorShape(list(dims[:-1]) + [None if known_k is None else int(known_k)])
    return [(x.dtype, out), (dtypes.int32, out)]


def _top_k_numpy(x, k, sorted=True):
    k = int(k)
    n = x.shape[-1]
    if k < 0 or k > n:
        raise ValueError(f"k={k} must be in [0, {n}] (the size of the input's last dimension, shape "
                         f"{list(x.shape)})")
    # a stable ascending sort of the reversed row, read backwards: descending, equal values by lower index
    order = np.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    indices = (n - 1 - order).astype(np.int32)
    return np.take_along_axis(x, indices, axis=-1), indices


def _top_k_grad(op, g_values, g_indices):
    x = op.inputs[0]
    if g_values is None:
        return [None, None]
    depth = array.shape(x)[-1] if x.shape.ndims is None or x.shape.as_tuple()[-1] is None else x.shape.as_tuple()[-1]
    hot = one_hot(op.outputs[1], depth, dtype=g_values.dtype)       # [..., k, n]
    return [red.reduce_sum(hot * array.expand_dims(g_values, -1), -2), None]


register(OpDef("TopKV2", "opaque", infer=_top_k_infer, numpy=_top_k_numpy, grad=_top_k_grad, meta_inputs={1}))


def top_k(input: Any, k: Any = 1, sorted: bool = True, name: Optional[str] = None) -> TopKV2:
    """The ``k`` largest entries of the last dimension and their indices (TF1 ``tf.nn.top_k``).

    Equal values keep their order (the lower index first), as TF1. With ``sorted=False`` TF1 promises
    only the k largest, in an unspecified order (its CPU kernel returns heap order); graphc returns
    them sorted all the same, which that contract allows. The gradient is the same either way.
    """
    with _graph_of([input, k]).as_default():
        x = convert_to_tensor(input, name="input")
        k_t = convert_to_tensor(k, dtype=dtypes.int32, name="k")
        values, indices = make_op("TopKV2", [x, k_t], {"sorted": bool(sorted)}, name or "TopKV2").outputs
    return TopKV2(values, indices)


# ------------------------------------------------------------------------------------------------
# boolean_mask: a composition, as TF1 (reshape, where, gather)

def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Tensor:
    """The entries of ``tensor`` where the bool ``mask`` is true, flattened over the mask's dims
    (which start at ``axis``, default 0; TF1 ``tf.boolean_mask``)."""
    graph = _graph_of([tensor, mask])
    with graph.as_default(), graph.name_scope(name):
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        if not mask.dtype.is_bool:
            raise TypeError(f"boolean_mask: mask {mask.name} must be bool, got {mask.dtype.name}")
        ndims_mask = mask.shape.ndims
        if ndims_mask is None:
            raise ValueError(f"boolean_mask: the rank of mask {mask.name} must be known statically "
                             "(give its placeholder a shape).")
        if ndims_mask == 0:
            raise ValueError("mask cannot be scalar.")
        axis = 0 if axis is None else int(axis)
        rank = tensor.shape.ndims
        if rank is not None:
            if axis < 0:
                axis += rank
            if not 0 <= axis <= rank - ndims_mask:
                raise ValueError(f"boolean_mask: axis {axis} and the mask's rank {ndims_mask} do not fit "
                                 f"in tensor {tensor.name} of shape {tensor.shape}")
            covered = TensorShape(tensor.shape.as_list()[axis:axis + ndims_mask])
            if not covered.is_compatible_with(mask.shape):
                raise ValueError(f"Shapes {covered} and {mask.shape} are incompatible: mask {mask.name} must "
                                 f"match dims {axis}..{axis + ndims_mask - 1} of tensor {tensor.name} "
                                 f"({tensor.shape})")
        elif axis < 0:
            raise ValueError("boolean_mask: a negative axis needs the tensor's rank to be known")
        shape = array.shape(tensor)
        leading = red.reduce_prod(shape[axis:axis + ndims_mask], [0])
        flat = array.reshape(tensor, concat([shape[:axis], array.reshape(leading, [1]),
                                                   shape[axis + ndims_mask:]], 0))
        if rank is not None:
            dims = tensor.shape.as_list()
            covered_n = TensorShape(dims[axis:axis + ndims_mask]).num_elements()
            flat.set_shape(dims[:axis] + [covered_n] + dims[axis + ndims_mask:])
        indices = array.squeeze(m.where(array.reshape(mask, [-1])), axis=[1])
        return gather(flat, indices, axis=axis)


# ------------------------------------------------------------------------------------------------
# unique and setdiff1d

def _one_d(fn: str, what: str, t: Tensor) -> None:
    if t.shape.ndims not in (None, 1):
        raise ValueError(f"{fn}: {what} {t.name} must be 1-D, got shape {t.shape}")


def _unique_infer(inputs, attrs):
    x = inputs[0]
    _one_d("unique", "x", x)
    return [(x.dtype, TensorShape([None])), (attrs["out_idx"], x.shape)]


def _unique_numpy(x, out_idx):
    if x.ndim != 1:
        raise ValueError(f"unique expects a 1-D vector, got shape {list(x.shape)}")
    _, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")           # values in order of first occurrence, as TF1
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(order.size)
    return x[np.sort(first)], rank_of[inverse.reshape(-1)].astype(out_idx.np_type)


register(OpDef("Unique", "opaque", infer=_unique_infer, numpy=_unique_numpy, differentiable=False))


def _index_dtype(dtype: Any, fn: str) -> dtypes.DType:
    dt = dtypes.as_dtype(dtype)
    if dt not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{fn}: the index dtype must be int32 or int64, got {dt.name}")
    return dt


def unique(x: Any, out_idx: Any = dtypes.int32, name: Optional[str] = None) -> UniqueOutput:
    """The distinct values of 1-D ``x`` in order of first occurrence, and for each element of ``x``
    the index of its value there (TF1 ``tf.unique``)."""
    with _graph_of([x]).as_default():
        attrs = {"out_idx": _index_dtype(out_idx, "unique")}
        y, idx = make_op("Unique", [convert_to_tensor(x, name="x")], attrs, name or "Unique").outputs
    return UniqueOutput(y, idx)


def _list_diff_infer(inputs, attrs):
    x, y = inputs
    _one_d("setdiff1d", "x", x)
    _one_d("setdiff1d", "y", y)
    if x.dtype is not y.dtype:
        raise TypeError(f"setdiff1d: x {x.name} is {x.dtype.name} but y {y.name} is {y.dtype.name}")
    return [(x.dtype, TensorShape([None])), (attrs["out_idx"], TensorShape([None]))]


def _list_diff_numpy(x, y, out_idx):
    keep = np.flatnonzero(~np.isin(x, y))
    return x[keep], keep.astype(out_idx.np_type)


register(OpDef("ListDiff", "opaque", infer=_list_diff_infer, numpy=_list_diff_numpy, differentiable=False))


def setdiff1d(x: Any, y: Any, index_dtype: Any = dtypes.int32, name: Optional[str] = None) -> ListDiff:
    """The elements of 1-D ``x`` not in ``y``, in ``x``'s order (duplicates kept), and their indices
    in ``x`` (TF1 ``tf.setdiff1d``)."""
    with _graph_of([x, y]).as_default():
        x_t = convert_to_tensor(x, name="x")
        y_t = convert_to_tensor(y, dtype=x_t.dtype, name="y")
        attrs = {"out_idx": _index_dtype(index_dtype, "setdiff1d")}
        out, idx = make_op("ListDiff", [x_t, y_t], attrs, name or "ListDiff").outputs
    return ListDiff(out, idx)


__all__ = ["boolean_mask", "unique", "setdiff1d"]
