"""Running sums and products along an axis: ``tf.cumsum`` and ``tf.cumprod`` (``exclusive``, ``reverse``).

Each is one opaque op (a host step on the compiled backends) accumulating in order along the axis,
in the input's dtype, as TF1's kernels; the gradients are TF1's (a reversed cumsum; for cumprod the
cumsum of ``prod * grad`` divided by ``x``, which is NaN where ``x`` is 0, as in TF1).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops.core import (OpDef, _graph_of, _graph_tensor_or_none, apply, constant_value, convert_to_tensor,
                             normalize_axis, register)

# op type -> (public name, numpy accumulate, the identity an exclusive result starts with)
_ACCUMULATIONS = {"Cumsum": ("cumsum", np.add, 0), "Cumprod": ("cumprod", np.multiply, 1)}


def _infer(fn: str):
    def infer(inputs, attrs):
        x, axis = inputs
        if not axis.dtype.is_integer or axis.shape.ndims not in (None, 0):
            raise TypeError(f"{fn}: axis {axis.name} must be an int32 or int64 scalar, got {axis.dtype.name} "
                            f"{axis.shape}")
        if x.dtype.is_bool or x.dtype is dtypes.string:
            raise TypeError(f"{fn}: x {x.name} must be a number tensor, got {x.dtype.name}")
        known = constant_value(axis)
        if known is not None and x.shape.ndims is not None:
            if x.shape.ndims == 0:
                raise ValueError(f"{fn}: x {x.name} must have rank >= 1, got a scalar")
            normalize_axis(int(known), x.shape.ndims, f"{fn} axis")
        return [(x.dtype, x.shape)]
    return infer


def _numpy(ufunc, identity):
    def numpy(x, axis, exclusive=False, reverse=False):
        if x.ndim == 0:
            raise ValueError("the input must have rank >= 1, got a scalar")
        a = normalize_axis(int(axis), x.ndim)
        if reverse:
            x = np.flip(x, a)
        out = ufunc.accumulate(x, axis=a, dtype=x.dtype)
        if exclusive:
            first = np.full_like(np.take(out, [0], axis=a), identity)
            out = np.concatenate([first, np.take(out, np.arange(out.shape[a] - 1), axis=a)], axis=a)
        return np.flip(out, a) if reverse else out
    return numpy


def _cumsum_grad(op, g):
    return [cumsum(g, op.inputs[1], exclusive=op.attrs["exclusive"], reverse=not op.attrs["reverse"]), None]


def _cumprod_grad(op, g):
    x, axis = op.inputs
    ex, rev = op.attrs["exclusive"], op.attrs["reverse"]
    prod = cumprod(x, axis, exclusive=ex, reverse=rev)
    return [cumsum(prod * g, axis, exclusive=ex, reverse=not rev) / x, None]


for _type, (_fn, _ufunc, _identity) in _ACCUMULATIONS.items():
    register(OpDef(_type, "opaque", infer=_infer(_fn), numpy=_numpy(_ufunc, _identity),
                   grad=_cumsum_grad if _type == "Cumsum" else _cumprod_grad, meta_inputs={1}))


def _accumulate(op_type: str, x: Any, axis: Any, exclusive: bool, reverse: bool, name: Optional[str]) -> Tensor:
    with _graph_of([x, axis]).as_default():
        x = convert_to_tensor(x, name="x")
        axis_t = convert_to_tensor(axis, name="axis") if _graph_tensor_or_none(axis) is not None else \
            convert_to_tensor(axis, dtype=dtypes.int32, name="axis")
        return apply(op_type, [x, axis_t], {"exclusive": bool(exclusive), "reverse": bool(reverse)},
                     name or op_type)


def cumsum(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
           name: Optional[str] = None) -> Tensor:
    """Running sums along ``axis``: [a, a + b, a + b + c]; ``exclusive`` starts at 0, ``reverse`` runs
    from the end (TF1 ``tf.cumsum``)."""
    return _accumulate("Cumsum", x, axis, exclusive, reverse, name)


def cumprod(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
            name: Optional[str] = None) -> Tensor:
    """Running products along ``axis``: [a, a * b, a * b * c]; ``exclusive`` starts at 1, ``reverse`` runs
    from the end (TF1 ``tf.cumprod``)."""
    return _accumulate("Cumprod", x, axis, exclusive, reverse, name)


__all__ = ["cumsum", "cumprod"]
