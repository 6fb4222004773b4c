"""Linear algebra: ``matmul`` (2-D and batched, with transposes) and ``tensordot``."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops.core import OpDef, apply, convert_n, register
from graphc.shape import TensorShape


def _swap(x, transpose):
    return np.swapaxes(x, -1, -2) if transpose else x


def _matmul_numpy(a, b, transpose_a, transpose_b):
    return np.matmul(_swap(a, transpose_a), _swap(b, transpose_b))


def _matmul_infer(inputs, attrs):
    a, b = inputs
    if a.dtype is not b.dtype:
        raise TypeError(f"matmul operands must have one dtype, but {a.name} is {a.dtype.name} {a.shape} "
                        f"and {b.name} is {b.dtype.name} {b.shape}")
    if a.dtype.is_bool:
        raise TypeError(f"matmul does not take bool tensors ({a.name})")
    da, db = a.shape.as_tuple(), b.shape.as_tuple()
    if da is None or db is None:
        rank = len(da) if da is not None else (len(db) if db is not None else None)
        return [(a.dtype, TensorShape(None if rank is None else [None] * rank))]
    if len(da) < 2 or len(db) < 2:
        raise ValueError(f"matmul needs tensors of rank >= 2, but {a.name} has shape {a.shape} and "
                         f"{b.name} has shape {b.shape}")
    if len(da) != len(db):
        raise ValueError(f"matmul needs operands of equal rank, but {a.name} has shape {a.shape} and "
                         f"{b.name} has shape {b.shape}")
    m, ka = (da[-1], da[-2]) if attrs["transpose_a"] else (da[-2], da[-1])
    kb, n = (db[-1], db[-2]) if attrs["transpose_b"] else (db[-2], db[-1])
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"Dimensions must be equal, but are {ka} and {kb}: matmul of {a.name} with shape "
                         f"{a.shape} (transpose_a={attrs['transpose_a']}) and {b.name} with shape {b.shape} "
                         f"(transpose_b={attrs['transpose_b']}): the inner dimensions differ")
    batch = []
    for x, y in zip(da[:-2], db[:-2]):
        if x is not None and y is not None and x != y:
            raise ValueError(f"matmul batch dimensions must match, but {a.name} has shape {a.shape} and "
                             f"{b.name} has shape {b.shape}")
        batch.append(x if x is not None else y)
    return [(a.dtype, TensorShape(batch + [m, n]))]


def _matmul_grad(op, g):
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    # TF1's rules: each case keeps the gradient a single matmul
    if not ta and not tb:
        return [matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)]
    if not ta and tb:
        return [matmul(g, b), matmul(g, a, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, g, transpose_b=True), matmul(a, g)]
    return [matmul(b, g, transpose_a=True, transpose_b=True), matmul(g, a, transpose_a=True, transpose_b=True)]


register(OpDef("MatMul", "matmul", infer=_matmul_infer, numpy=_matmul_numpy, grad=_matmul_grad))


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False, adjoint_a: bool = False,
           adjoint_b: bool = False, a_is_sparse: bool = False, b_is_sparse: bool = False,
           name: Optional[str] = None) -> Tensor:
    """Matrix product of the last two dims; leading (batch) dims must match (TF1 ``tf.matmul``)."""
    a, b = convert_n([a, b])
    return apply("MatMul", [a, b], {"transpose_a": bool(transpose_a or adjoint_a),
                                     "transpose_b": bool(transpose_b or adjoint_b)}, name or "MatMul")


__all__ = ["matmul"]
