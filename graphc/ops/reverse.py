"""``tf.reverse``: a tensor with the order of its elements flipped along some axes (``ReverseV2``).

A movement op (it copies elements to new positions), opaque so every backend runs its numpy kernel
as a host step; its gradient is the same reversal of the output gradient.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor
from graphc.ops.core import (OpDef, _graph_of, _graph_tensor_or_none, apply, constant_value, convert_to_tensor,
                             normalize_axis, register)


def _infer(inputs, attrs):
    x, axis = inputs
    if not axis.dtype.is_integer or axis.shape.ndims not in (None, 1):
        raise TypeError(f"reverse: axis {axis.name} must be a 1-D int32/int64 tensor, got {axis.dtype.name} "
                        f"{axis.shape}")
    known = constant_value(axis)
    if known is not None and x.shape.ndims is not None:
        axes = [normalize_axis(int(a), x.shape.ndims, "reverse axis") for a in known.reshape(-1)]
        if len(set(axes)) != len(axes):
            raise ValueError(f"reverse: axis {known.tolist()} names a dimension of {x.name} {x.shape} twice")
    return [(x.dtype, x.shape)]


def _numpy(x, axis):
    axes = tuple(normalize_axis(int(a), x.ndim, "reverse axis") for a in np.reshape(axis, -1))
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {np.reshape(axis, -1).tolist()} names a dimension twice")
    return np.flip(x, axes).copy() if axes else x.copy()


register(OpDef("ReverseV2", "opaque", infer=_infer, numpy=_numpy, meta_inputs={1},
               grad=lambda op, g: [reverse(g, op.inputs[1]), None]))


def reverse(tensor: Any, axis: Any, name: Optional[str] = None) -> Tensor:
    """``tensor`` with its elements in reverse order along each dimension in ``axis`` (TF1 ``tf.reverse``)."""
    with _graph_of([tensor, axis]).as_default():
        axis_t = convert_to_tensor(axis, name="axis") if _graph_tensor_or_none(axis) is not None else \
            convert_to_tensor(np.asarray(axis, np.int32).reshape(-1), name="axis")
        return apply("ReverseV2", [convert_to_tensor(tensor, name="tensor"), axis_t], name=name or "ReverseV2")


reverse_v2 = reverse

__all__ = ["reverse", "reverse_v2"]
