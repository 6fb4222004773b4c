"""Norms and gradient clipping (TF1's ``tf.norm``, ``tf.global_norm``, ``tf.clip_by_*``).

Each is a composition of existing graphc ops, built with TF1's formulas so the numbers (and the
NaN/inf behaviour) match TF1's, and gradients, shape inference and every backend come for free.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor, name_scope
from graphc.ops.array import expand_dims, ones_like, size, squeeze, transpose
from graphc.ops.join_split import stack
from graphc.ops.core import constant, convert_to_tensor, normalize_axis
from graphc.ops.math import abs as _abs
from graphc.ops.math import cast, maximum, minimum, pow as _pow, rsqrt, sqrt, where
from graphc.ops.reduce import reduce_max, reduce_sum
from graphc.ops.source import identity
from graphc.ops.svd import svd

_VECTOR_ORDS = ("euclidean", 1, 2, np.inf)
_MATRIX_ORDS = ("euclidean", "fro", 1, 2, np.inf)


def _sequence_of_tensors(t_list: Any) -> list:
    if not isinstance(t_list, Sequence) or isinstance(t_list, (str, bytes)):
        raise TypeError("t_list should be a sequence")
    return list(t_list)


def _values(t_list: list) -> list:
    """The entries as tensors, None kept (graphc has no IndexedSlices: gradients are dense)."""
    return [None if t is None else convert_to_tensor(t, name=f"t_{i}") for i, t in enumerate(t_list)]


def global_norm(t_list: Any, name: Optional[str] = None) -> Tensor:
    """``sqrt(sum(l2norm(t)**2 for t in t_list))``, skipping None entries (TF1 ``tf.global_norm``)."""
    t_list = _sequence_of_tensors(t_list)
    with name_scope(name, "global_norm", [t for t in t_list if t is not None]):
        values = [v for v in _values(t_list) if v is not None]
        if not values:
            raise ValueError("global_norm needs at least one tensor that is not None")
        half_squared = [reduce_sum(v * v) / constant(2, dtype=v.dtype) for v in values]
        total = reduce_sum(stack(half_squared))
        return sqrt(total * constant(2.0, dtype=total.dtype), name="global_norm")


def clip_by_global_norm(t_list: Any, clip_norm: Any, use_norm: Any = None,
                        name: Optional[str] = None) -> tuple:
    """Scales every tensor by ``clip_norm / max(global_norm, clip_norm)``; returns ``(clipped, global_norm)``.

    TF1's formula: ``scale = clip_norm * min(1/global_norm, 1/clip_norm)``, plus
    ``global_norm - global_norm`` so an inf or NaN norm makes every clipped value NaN. None entries
    stay None. ``use_norm`` replaces the computed global norm.
    """
    t_list = _sequence_of_tensors(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name)
    use_norm = convert_to_tensor(use_norm)
    present = [t for t in t_list if t is not None]
    with name_scope(name, "clip_by_global_norm", present + [clip_norm]) as scope:
        clip_norm = convert_to_tensor(clip_norm, dtype=use_norm.dtype)
        one = constant(1.0, dtype=use_norm.dtype)
        scale_for_finite = clip_norm * minimum(one / use_norm, one / clip_norm)
        scale = scale_for_finite + (use_norm - use_norm)
        clipped = []
        for i, v in enumerate(_values(t_list)):
            if v is None:
                clipped.append(None)
                continue
            clipped.append(identity(v * scale, name=f"{scope}_{i}"))
    return clipped, use_norm


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: Optional[str] = None) -> Tensor:
    """``t * clip_norm / max(l2norm(t, axes), clip_norm)`` (TF1 ``tf.clip_by_norm``).

    The L2 norm is taken over ``axes`` (all by default) and broadcast back; a zero norm gives a
    zero gradient instead of NaN (TF1's two-``where`` guard).
    """
    with name_scope(name, "clip_by_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        clip_norm = convert_to_tensor(clip_norm, dtype=t.dtype)
        l2sum = reduce_sum(t * t, axes, keepdims=True)
        positive = l2sum > constant(0, dtype=l2sum.dtype)
        l2sum_safe = where(positive, l2sum, ones_like(l2sum))
        l2norm = where(positive, sqrt(l2sum_safe), l2sum)
        scaled = t * clip_norm
        t.shape.merge_with(scaled.shape)   # clip_norm must not broadcast t to a bigger shape
        return identity(scaled / maximum(l2norm, clip_norm), name=scope)


def clip_by_average_norm(t: Any, clip_norm: Any, name: Optional[str] = None) -> Tensor:
    """``t * clip_norm / max(l2norm(t) / size(t), clip_norm)`` (TF1 ``tf.clip_by_average_norm``)."""
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        clip_norm = convert_to_tensor(clip_norm, dtype=t.dtype)
        n_element = cast(size(t), t.dtype)
        l2norm_inv = rsqrt(reduce_sum(t * t))
        one = constant(1.0, dtype=t.dtype)
        return identity(t * clip_norm * minimum(l2norm_inv * n_element, one / clip_norm),
                         name=scope)


def _check_norm_args(ord: Any, axis: Any) -> tuple:
    """Validates ``ord``/``axis`` as TF1 does; returns ``(axis tuple or None, is_matrix_norm)``."""
    is_matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix:
        axis = tuple(axis)
        if not all(isinstance(a, numbers.Integral) for a in axis) or axis[0] == axis[1]:
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        if not any(ord == o and type(ord) is not bool for o in _MATRIX_ORDS):
            raise ValueError(f"'ord' must be a supported matrix norm in {list(_MATRIX_ORDS)}, got {ord}")
        return axis, True
    if not (axis is None or isinstance(axis, numbers.Integral)):
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
    real = isinstance(ord, numbers.Real) and not isinstance(ord, bool)
    if ord not in _VECTOR_ORDS and not (real and ord > 0):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    return (None if axis is None else (int(axis),)), False


def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: Optional[bool] = None,
         name: Optional[str] = None, keep_dims: Optional[bool] = None) -> Tensor:
    """Vector or matrix norm (TF1 ``tf.norm``).

    ``axis`` None (the whole tensor as one vector), an int (vector norms along it) or a pair (matrix
    norms over those two dimensions). ``ord``: 'euclidean'/2, 1, ``np.inf`` or any p > 0 for
    vectors; 'euclidean'/'fro', 1 (max column sum), ``np.inf`` (max row sum) and 2 (the spectral
    norm: the largest singular value, through the ``Svd`` op) for matrices.
    """
    if keep_dims is not None:
        if keepdims is not None and keepdims != keep_dims:
            raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'")
        keepdims = keep_dims
    keepdims = bool(keepdims)
    axis, is_matrix = _check_norm_args(ord, axis)
    with name_scope(name, "norm", [tensor]):
        tensor = convert_to_tensor(tensor)
        if is_matrix and ord == 2:
            return _spectral_norm(tensor, axis, keepdims)
        if ord in ("euclidean", "fro") or ord == 2:
            result = sqrt(reduce_sum(tensor * tensor, axis, keepdims=True))
        else:
            result = _abs(tensor)
            if ord == 1:
                result = reduce_sum(result, None if axis is None else axis[0], keepdims=True)
                if is_matrix:
                    result = reduce_max(result, axis[-1], keepdims=True)
            elif ord == np.inf:
                if is_matrix:
                    result = reduce_sum(result, axis[1], keepdims=True)
                result = reduce_max(result, None if axis is None else axis[0], keepdims=True)
            else:
                p = constant(ord, dtype=result.dtype)
                inv_p = constant(1.0 / ord, dtype=result.dtype)
                result = _pow(reduce_sum(_pow(result, p), axis, keepdims=True), inv_p)
        if not keepdims:
            result = squeeze(result, axis)
        return result


def _spectral_norm(tensor: Tensor, axis: tuple, keepdims: bool) -> Tensor:
    """The largest singular value of the matrices spanned by ``axis`` (TF1's construction: move
    those two axes last, take the singular values, reduce them with max)."""
    rank = tensor.shape.ndims
    if rank is None:
        raise ValueError(f"tf.norm(ord=2) over two axes needs the rank of {tensor.name} to be known")
    rows, cols = (normalize_axis(a, rank, "axis") for a in axis)
    perm = [i for i in range(rank) if i not in (rows, cols)] + [rows, cols]
    result = reduce_max(svd(transpose(tensor, perm)), -1)
    for a in sorted((rows, cols)):
        result = expand_dims(result, a)
    return result if keepdims else squeeze(result, (rows, cols))   # TF1's op names: norm/Squeeze


__all__ = ["clip_by_average_norm", "clip_by_global_norm", "clip_by_norm", "global_norm", "norm"]
