"""Linear algebra: ``matmul`` (2-D and batched, with transposes) and ``tensordot``."""
from __future__ import annotations

import operator
from typing import Any, Optional, Union

import numpy as np

from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops.core import OpDef, _graph_of, apply, constant_value, convert_n, register
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


# ------------------------------------------------------------------------------------------------
# tensordot: a composition of transpose, reshape and one matmul

def _static(axes: Any) -> Any:
    """A tensor of axes as its constant value; other values unchanged."""
    if isinstance(axes, Tensor) or hasattr(axes, "_graph_tensor"):
        value = constant_value(axes._graph_tensor() if hasattr(axes, "_graph_tensor") else axes)
        if value is None:
            raise TypeError("tensordot: the axes must be known while building the graph (ints or constants).")
        return value
    return axes


def _axes_list(axes: Any) -> list:
    """One side's contraction axes (an int or a list of ints) as a list."""
    arr = np.asarray(_static(axes))
    if arr.dtype.kind not in "iu" and arr.size:
        raise TypeError(f"tensordot: axes must be ints, got {axes!r}")
    return [operator.index(v) for v in arr.reshape(-1)]


def _contraction_axes(a: Tensor, b: Tensor, axes: Any) -> tuple:
    """(a_axes, b_axes), normalized and checked: an int N pairs a's last N dims with b's first N."""
    ra, rb = a.shape.ndims, b.shape.ndims
    if ra is None or rb is None:
        raise ValueError(f"tensordot needs tensors of known rank, but {a.name} has shape {a.shape} and "
                         f"{b.name} has shape {b.shape}; set their shapes (placeholder shape or set_shape).")
    axes = _static(axes)
    if not isinstance(axes, (list, tuple)) and np.ndim(axes) == 0:
        n = _axes_list(axes)[0]
        if not 0 <= n <= min(ra, rb):
            raise ValueError(f"tensordot: axes={n} must be in [0, {min(ra, rb)}] for {a.name} of shape "
                             f"{a.shape} and {b.name} of shape {b.shape}")
        return list(range(ra - n, ra)), list(range(n))
    if len(axes) != 2:
        raise ValueError(f"tensordot: axes must be an int or a pair [a_axes, b_axes], got {axes!r}")
    a_axes, b_axes = _axes_list(axes[0]), _axes_list(axes[1])
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: a_axes {a_axes} and b_axes {b_axes} must have the same length")
    a_axes = [_normalized(ax, ra, a) for ax in a_axes]
    b_axes = [_normalized(ax, rb, b) for ax in b_axes]
    for t, t_axes in ((a, a_axes), (b, b_axes)):
        if len(set(t_axes)) != len(t_axes):
            raise ValueError(f"tensordot: axes {t_axes} of {t.name} name a dimension more than once")
    for i, j in zip(a_axes, b_axes):
        da, db = a.shape.as_tuple()[i], b.shape.as_tuple()[j]
        if da is not None and db is not None and da != db:
            raise ValueError(f"tensordot: dimension {i} of {a.name} (shape {a.shape}) has size {da} but "
                             f"dimension {j} of {b.name} (shape {b.shape}) has size {db}; contracted "
                             "dimensions must be equal")
    return a_axes, b_axes


def _normalized(axis: int, rank: int, t: Tensor) -> int:
    if not -rank <= axis < rank:
        raise ValueError(f"tensordot: axis {axis} is out of range for {t.name} of shape {t.shape}")
    return axis % rank


def _dims(t: Tensor, axes: list) -> list:
    """t's sizes along ``axes``: ints where static, scalar int32 tensors where not."""
    static = t.shape.as_tuple()
    return [static[i] if static[i] is not None else array.shape(t)[i] for i in axes]


def _product(dims: list) -> Union[int, Tensor]:
    total: Any = 1
    for d in dims:
        total = total * d
    return total


def _as_matrix(t: Tensor, outer: list, inner: list, inner_first: bool) -> Tensor:
    """``t`` as a matrix: its ``outer`` dims flattened into rows and its contracted ``inner`` dims into
    columns (or, with ``inner_first``, the other way round); transposes only when the order needs it."""
    k = _product(_dims(t, inner))
    perm = inner + outer if inner_first else outer + inner
    if perm != list(range(len(perm))):
        t = array.transpose(t, perm)
    return array.reshape(t, [k, -1] if inner_first else [-1, k])


def tensordot(a: Any, b: Any, axes: Any, name: Optional[str] = None) -> Tensor:
    """Sums the products of ``a`` and ``b`` over the given axes (TF1 ``tf.tensordot``).

    ``axes`` is an int N (a's last N dims with b's first N) or a pair of lists [a_axes, b_axes].
    The result has a's free dims followed by b's free dims.
    """
    graph = _graph_of([a, b])
    with graph.as_default(), graph.name_scope(name or "Tensordot") as scope:
        a, b = convert_n([a, b])
        a_axes, b_axes = _contraction_axes(a, b, axes)
        a_free = [i for i in range(a.shape.ndims) if i not in a_axes]
        b_free = [i for i in range(b.shape.ndims) if i not in b_axes]
        out_dims = _dims(a, a_free) + _dims(b, b_free)
        product = matmul(_as_matrix(a, a_free, a_axes, inner_first=False),
                         _as_matrix(b, b_free, b_axes, inner_first=True))
        return array.reshape(product, out_dims, name=scope)


__all__ = ["matmul", "tensordot"]
