"""N-d gathers and scatters: ``tf.gather_nd``, ``tf.scatter_nd``, ``tf.tensor_scatter_*`` and the scatters
on variables (``tf.scatter_update/add/sub``, ``tf.scatter_nd_update/add/sub``).

``indices`` has shape ``[..., M]``: each row of its last dim is an index into the first ``M`` dims of
the tensor. A variable scatter is TF1's update written as a value: the ``TensorScatter*`` op computes
the variable's new value and an ``Assign`` writes it, so the run planner orders it like any assign
(reads in the same run see the value the run started with unless they depend on the scatter).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor
from graphc.ops import array, state
from graphc.ops import math as m
from graphc.ops.core import (OpDef, _graph_of, apply, as_shape_tensor, constant_value, convert_to_tensor, register,
                             shape_value)
from graphc.shape import TensorShape


def _check_indices_dtype(fn: str, indices: Tensor) -> None:
    if not indices.dtype.is_integer:
        raise TypeError(f"{fn}: indices {indices.name} must be int32 or int64, got {indices.dtype.name}")
    if indices.shape.ndims == 0:
        raise ValueError(f"{fn}: indices {indices.name} must have rank >= 1 (its last dim indexes the tensor), "
                         "got a scalar")


def _index_depth(indices: Tensor) -> Optional[int]:
    dims = indices.shape.as_tuple()
    return None if dims is None else dims[-1]


def _check_bounds(indices: np.ndarray, shape: tuple, fn: str) -> None:
    m = indices.shape[-1]
    if m > len(shape):
        raise ValueError(f"{fn}: index depth {m} (the last dim of indices) exceeds the rank {len(shape)} of "
                         f"shape {list(shape)}")
    flat = indices.reshape(-1, m)
    bad = np.any((flat < 0) | (flat >= np.array(shape[:m], dtype=np.int64)), axis=1)
    if np.any(bad):
        row = int(np.argmax(bad))
        raise ValueError(f"{fn}: indices[{row}] = {flat[row].tolist()} does not index into shape {list(shape)}")


def _coords(indices: np.ndarray) -> tuple:
    return tuple(np.moveaxis(indices.astype(np.int64), -1, 0))


def _nd_result_dims(idims: Optional[tuple], tdims: Optional[tuple]) -> Optional[list]:
    """indices.shape[:-1] + tensor.shape[M:], or None when a rank or M is unknown."""
    if idims is None or tdims is None or idims[-1] is None:
        return None
    return list(idims[:-1]) + list(tdims[idims[-1]:])


# ------------------------------------------------------------------------------------------------
# gather_nd and scatter_nd (each other's gradient)

def _gather_nd_infer(inputs, attrs):
    params, indices = inputs
    _check_indices_dtype("gather_nd", indices)
    pdims, m = params.shape.as_tuple(), _index_depth(indices)
    if pdims is not None and m is not None and m > len(pdims):
        raise ValueError(f"gather_nd: indices {indices.name} {indices.shape} index {m} dims, but params "
                         f"{params.name} has shape {params.shape}")
    dims = _nd_result_dims(indices.shape.as_tuple(), pdims)
    known = constant_value(indices)
    if known is not None and pdims is not None and None not in pdims[:known.shape[-1]]:
        _check_bounds(known, pdims, "gather_nd")
    return [(params.dtype, TensorShape(dims))]


def _gather_nd_numpy(params, indices):
    _check_bounds(indices, params.shape, "gather_nd")
    if indices.shape[-1] == 0:
        return np.broadcast_to(params, indices.shape[:-1] + params.shape).copy()
    return params[_coords(indices)]


def _gather_nd_grad(op, g):
    params, indices = op.inputs
    return [scatter_nd(indices, g, array.shape(params, out_type=indices.dtype)), None]


register(OpDef("GatherNd", "opaque", infer=_gather_nd_infer, numpy=_gather_nd_numpy, grad=_gather_nd_grad))


def gather_nd(params: Any, indices: Any, name: Optional[str] = None, batch_dims: int = 0) -> Tensor:
    """The slices ``params[indices[..., :]]`` (TF1 ``tf.gather_nd``): shape indices.shape[:-1] +
    params.shape[M:] for indices of shape [..., M]."""
    if batch_dims != 0:
        raise ValueError(f"gather_nd supports batch_dims=0 only, got {batch_dims}")
    with _graph_of([params, indices]).as_default():
        return apply("GatherNd", [convert_to_tensor(params, name="params"),
                                  convert_to_tensor(indices, name="indices")], name=name or "GatherNd")


def _check_updates(fn: str, indices: Tensor, updates: Tensor, dims: Optional[list]) -> None:
    want = _nd_result_dims(indices.shape.as_tuple(), None if dims is None else tuple(dims))
    if want is not None and not updates.shape.is_compatible_with(TensorShape(want)):
        raise ValueError(f"{fn}: updates {updates.name} has shape {updates.shape}, but indices {indices.name} "
                         f"{indices.shape} into shape {dims} need updates of shape {want}")


def _scatter_nd_infer(inputs, attrs):
    indices, updates, shape = inputs
    _check_indices_dtype("scatter_nd", indices)
    dims = shape_value(shape)
    _check_updates("scatter_nd", indices, updates, dims)
    return [(updates.dtype, TensorShape(dims))]


def _scatter_nd_numpy(indices, updates, shape):
    shape = tuple(int(d) for d in shape)
    _check_bounds(indices, shape, "scatter_nd")
    out = np.zeros(shape, dtype=updates.dtype)
    np.add.at(out, _coords(indices), updates)
    return out


def _scatter_nd_grad(op, g):
    return [None, gather_nd(g, op.inputs[0]), None]


register(OpDef("ScatterNd", "opaque", infer=_scatter_nd_infer, numpy=_scatter_nd_numpy, grad=_scatter_nd_grad,
               meta_inputs={2}))


def scatter_nd(indices: Any, updates: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (duplicates summed; TF1 ``tf.scatter_nd``)."""
    with _graph_of([indices, updates, shape]).as_default():
        indices = convert_to_tensor(indices, name="indices")
        shape_t = as_shape_tensor(shape, name="shape")
        if shape_t.dtype is not indices.dtype:
            shape_t = m.cast(shape_t, indices.dtype)
        return apply("ScatterNd", [indices, convert_to_tensor(updates, name="updates"), shape_t],
                     name=name or "ScatterNd")


# ------------------------------------------------------------------------------------------------
# tensor_scatter_*: a copy of a tensor with slices replaced, added to or subtracted from

def _tensor_scatter_infer(fn: str):
    def infer(inputs, attrs):
        tensor, indices, updates = inputs
        _check_indices_dtype(fn, indices)
        if updates.dtype is not tensor.dtype:
            raise TypeError(f"{fn}: updates {updates.name} is {updates.dtype.name} but tensor {tensor.name} is "
                            f"{tensor.dtype.name}; use tf.cast")
        dims = tensor.shape.as_tuple()
        _check_updates(fn, indices, updates, None if dims is None else list(dims))
        return [(tensor.dtype, tensor.shape)]
    return infer


def _tensor_scatter_numpy(combine):
    def numpy(tensor, indices, updates):
        _check_bounds(indices, tensor.shape, "tensor_scatter")
        out = np.array(tensor, copy=True)
        combine(out, _coords(indices), updates)
        return out
    return numpy


def _put(out, where, updates):
    out[where] = updates


def _tensor_scatter_update_grad(op, g):
    _, indices, updates = op.inputs
    return [apply("TensorScatterUpdate", [g, indices, array.zeros_like(updates)]), None, gather_nd(g, indices)]


def _tensor_scatter_add_grad(op, g):
    return [g, None, gather_nd(g, op.inputs[1])]


def _tensor_scatter_sub_grad(op, g):
    return [g, None, -gather_nd(g, op.inputs[1])]


_TENSOR_SCATTERS = {
    # op type: (public name, numpy update, gradient)
    "TensorScatterUpdate": ("tensor_scatter_nd_update", _put, _tensor_scatter_update_grad),
    "TensorScatterAdd": ("tensor_scatter_nd_add", np.add.at, _tensor_scatter_add_grad),
    "TensorScatterSub": ("tensor_scatter_nd_sub", np.subtract.at, _tensor_scatter_sub_grad),
}
for _type, (_fn, _combine, _grad) in _TENSOR_SCATTERS.items():
    register(OpDef(_type, "opaque", infer=_tensor_scatter_infer(_fn), numpy=_tensor_scatter_numpy(_combine),
                   grad=_grad))


def _tensor_scatter(op_type: str, tensor: Any, indices: Any, updates: Any, name: Optional[str]) -> Tensor:
    with _graph_of([tensor, indices, updates]).as_default():
        tensor = convert_to_tensor(tensor, name="tensor")
        return apply(op_type, [tensor, convert_to_tensor(indices, name="indices"),
                               convert_to_tensor(updates, dtype=tensor.dtype, name="updates")], name=name or op_type)


def tensor_scatter_nd_update(tensor: Any, indices: Any, updates: Any, name: Optional[str] = None) -> Tensor:
    """A copy of ``tensor`` with the slices at ``indices`` replaced by ``updates``."""
    return _tensor_scatter("TensorScatterUpdate", tensor, indices, updates, name)


def tensor_scatter_nd_add(tensor: Any, indices: Any, updates: Any, name: Optional[str] = None) -> Tensor:
    """A copy of ``tensor`` with ``updates`` added at ``indices`` (duplicates summed)."""
    return _tensor_scatter("TensorScatterAdd", tensor, indices, updates, name)


def tensor_scatter_nd_sub(tensor: Any, indices: Any, updates: Any, name: Optional[str] = None) -> Tensor:
    """A copy of ``tensor`` with ``updates`` subtracted at ``indices`` (duplicates summed)."""
    return _tensor_scatter("TensorScatterSub", tensor, indices, updates, name)


# ------------------------------------------------------------------------------------------------
# scatters on variables: the new value computed by a TensorScatter* op, written by an Assign

_ROW_SCATTERS = {"scatter_update": "TensorScatterUpdate", "scatter_add": "TensorScatterAdd",
                 "scatter_sub": "TensorScatterSub"}


def _variable_scatter(fn: str, ref: Any, indices: Any, updates: Any, rows: bool, name: Optional[str]) -> Tensor:
    r = state._ref(ref)
    op_type = _ROW_SCATTERS[fn.replace("_nd", "")]
    with r.graph.as_default(), r.graph.name_scope(name or fn.title().replace("_", "")) as scope:
        indices = convert_to_tensor(indices, name="indices")
        if not indices.dtype.is_integer:
            raise TypeError(f"{fn}: indices {indices.name} must be int32 or int64, got {indices.dtype.name}")
        updates = convert_to_tensor(updates, dtype=r.dtype, name="updates")
        nd_indices = array.expand_dims(indices, -1) if rows else indices
        try:
            value = apply(op_type, [r, nd_indices, updates], name="new_value")
        except ValueError as e:
            raise ValueError(f"{fn} into variable {r.op.name} {r.shape}: {e}") from None
        return state.assign(r, value, name=scope)


def scatter_update(ref: Any, indices: Any, updates: Any, use_locking: bool = True,
                   name: Optional[str] = None) -> Tensor:
    """Writes ``updates`` into the rows ``indices`` of variable ``ref``; returns its new value (TF1)."""
    return _variable_scatter("scatter_update", ref, indices, updates, True, name)


def scatter_add(ref: Any, indices: Any, updates: Any, use_locking: bool = False,
                name: Optional[str] = None) -> Tensor:
    """Adds ``updates`` to the rows ``indices`` of variable ``ref`` (duplicates add up); returns its new value."""
    return _variable_scatter("scatter_add", ref, indices, updates, True, name)


def scatter_sub(ref: Any, indices: Any, updates: Any, use_locking: bool = False,
                name: Optional[str] = None) -> Tensor:
    """Subtracts ``updates`` from the rows ``indices`` of variable ``ref``; returns its new value."""
    return _variable_scatter("scatter_sub", ref, indices, updates, True, name)


def scatter_nd_update(ref: Any, indices: Any, updates: Any, use_locking: bool = True,
                      name: Optional[str] = None) -> Tensor:
    """Writes ``updates`` at the n-d ``indices`` ([..., M]) of variable ``ref``; returns its new value."""
    return _variable_scatter("scatter_nd_update", ref, indices, updates, False, name)


def scatter_nd_add(ref: Any, indices: Any, updates: Any, use_locking: bool = False,
                   name: Optional[str] = None) -> Tensor:
    """Adds ``updates`` at the n-d ``indices`` of variable ``ref``; returns its new value."""
    return _variable_scatter("scatter_nd_add", ref, indices, updates, False, name)


def scatter_nd_sub(ref: Any, indices: Any, updates: Any, use_locking: bool = False,
                   name: Optional[str] = None) -> Tensor:
    """Subtracts ``updates`` at the n-d ``indices`` of variable ``ref``; returns its new value."""
    return _variable_scatter("scatter_nd_sub", ref, indices, updates, False, name)


tensor_scatter_update = tensor_scatter_nd_update   # TF 1.13-1.14's names
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub

__all__ = ["gather_nd", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add", "tensor_scatter_nd_sub",
           "tensor_scatter_update", "tensor_scatter_add", "tensor_scatter_sub", "scatter_update", "scatter_add",
           "scatter_sub", "scatter_nd_update", "scatter_nd_add", "scatter_nd_sub"]
