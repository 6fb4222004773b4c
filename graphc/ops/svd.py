"""The ``Svd`` op (TF1's op type): singular values, and with ``compute_uv`` the thin U and V.

graphc uses it for ``tf.norm(ord=2)`` over two axes (the spectral norm). Its gradient covers the
singular values: ``dA = U diag(ds) V^T``, exact where they are distinct; gradients arriving
through U or V are refused with an error instead of being silently dropped.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graphc.graph import Tensor
from graphc.ops.array import expand_dims
from graphc.ops.core import OpDef, apply, register
from graphc.ops.linalg import matmul
from graphc.shape import TensorShape


def _svd_infer(inputs, attrs):
    x = inputs[0]
    if not x.dtype.is_floating:
        raise TypeError(f"Svd takes float32 or float64 matrices, but {x.name} is {x.dtype.name}")
    dims = x.shape.as_tuple()
    if dims is None:
        unknown = TensorShape(None)
        return [(x.dtype, unknown)] * (3 if attrs["compute_uv"] else 1)
    if len(dims) < 2:
        raise ValueError(f"Svd needs a tensor of rank >= 2 (matrices in its last two dimensions), "
                         f"but {x.name} has shape {x.shape}")
    *batch, m, n = dims
    k = None if m is None or n is None else min(m, n)
    s = (x.dtype, TensorShape(batch + [k]))
    if not attrs["compute_uv"]:
        return [s]
    return [s, (x.dtype, TensorShape(batch + [m, k])), (x.dtype, TensorShape(batch + [n, k]))]


def _svd_numpy(x, compute_uv):
    if not compute_uv:
        return np.linalg.svd(x, full_matrices=False, compute_uv=False).astype(x.dtype, copy=False)
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return tuple(a.astype(x.dtype, copy=False) for a in (s, u, np.swapaxes(vh, -1, -2)))


def _svd_grad(op, gs, *guv):
    if any(g is not None for g in guv):
        raise LookupError(f"graphc differentiates Svd ({op.name}) through its singular values only; "
                          "a gradient reached it through U or V")
    if gs is None:
        return [None]
    if op.attrs["compute_uv"]:
        u, v = op.outputs[1], op.outputs[2]
    else:
        _, u, v = svd(op.inputs[0], compute_uv=True)
    return [matmul(u * expand_dims(gs, -2), v, transpose_b=True)]


register(OpDef("Svd", "opaque", infer=_svd_infer, numpy=_svd_numpy, grad=_svd_grad))


def svd(x: Tensor, compute_uv: bool = False, name: str = "Svd") -> Any:
    """Singular values of the matrices in ``x``'s last two dimensions, in descending order;
    with ``compute_uv`` also the thin ``u`` and ``v`` (``x = u @ diag(s) @ v^T``)."""
    return apply("Svd", [x], {"compute_uv": bool(compute_uv)}, name)
