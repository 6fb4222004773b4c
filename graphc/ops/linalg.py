"""Linear algebra: ``matmul`` (2-D and batched, with transposes), ``tensordot``, ``diag``/``diag_part``,
``matrix_band_part``, ``matrix_inverse`` and ``cholesky`` (batched over leading dims, TF1's gradients)."""
from __future__ import annotations

import operator
from typing import Any, Optional, Union

import numpy as np

from graphc.graph import Tensor, get_default_graph
from graphc.ops import array, blas_threads
from graphc.ops.core import (OpDef, _graph_of, _graph_tensor_or_none, apply, constant_value, convert_n,
                             convert_to_tensor, register)
from graphc.shape import TensorShape


def _swap(x, transpose):
    return np.swapaxes(x, -1, -2) if transpose else x


def _matmul_numpy(a, b, transpose_a, transpose_b):
    return blas_threads.matmul(_swap(a, transpose_a), _swap(b, transpose_b))


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
    transpose_b = bool(transpose_b or adjoint_b)
    if transpose_b:
        hoisted = get_default_graph().hoisted_transpose(b)   # a loop-invariant weight: transposed once
        if hoisted is not None:
            b, transpose_b = hoisted, False
    return apply("MatMul", [a, b], {"transpose_a": bool(transpose_a or adjoint_a), "transpose_b": transpose_b},
                 name or "MatMul")


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


# ------------------------------------------------------------------------------------------------
# diag, diag_part, matrix_band_part

def _diag_infer(inputs, attrs):
    dims = inputs[0].shape.as_tuple()
    if dims is not None and not dims:
        raise ValueError(f"diag: input {inputs[0].name} must have rank >= 1, got a scalar")
    return [(inputs[0].dtype, TensorShape(None if dims is None else list(dims) * 2))]


def _diag_numpy(x):
    n = x.size
    out = np.zeros((n, n), dtype=x.dtype)
    out[np.arange(n), np.arange(n)] = x.reshape(-1)
    return out.reshape(x.shape * 2)


def _diag_part_infer(inputs, attrs):
    x = inputs[0]
    dims = x.shape.as_tuple()
    if dims is None:
        return [(x.dtype, TensorShape(None))]
    k = len(dims) // 2
    if not dims or len(dims) % 2 or not TensorShape(dims[:k]).is_compatible_with(TensorShape(dims[k:])):
        raise ValueError(f"diag_part: input {x.name} must have an even rank and shape [D1..Dk, D1..Dk], "
                         f"got {x.shape}")
    return [(x.dtype, TensorShape(dims[:k]).merge_with(TensorShape(dims[k:])))]


def _diag_part_numpy(x):
    k = x.ndim // 2
    if x.ndim % 2 or x.shape[:k] != x.shape[k:]:
        raise ValueError(f"the input's shape {list(x.shape)} must be [D1..Dk, D1..Dk]")
    n = int(np.prod(x.shape[:k], dtype=np.int64))
    return np.ascontiguousarray(x.reshape(n, n).diagonal()).reshape(x.shape[:k])


register(OpDef("Diag", "opaque", infer=_diag_infer, numpy=_diag_numpy, grad=lambda op, g: [diag_part(g)]))
register(OpDef("DiagPart", "opaque", infer=_diag_part_infer, numpy=_diag_part_numpy, grad=lambda op, g: [diag(g)]))


def diag(diagonal: Any, name: Optional[str] = None) -> Tensor:
    """A tensor of rank 2k with ``diagonal`` (rank k) on its diagonal and zeros elsewhere (TF1 ``tf.diag``)."""
    return apply("Diag", [diagonal], name=name or "Diag")


def diag_part(input: Any, name: Optional[str] = None) -> Tensor:
    """The diagonal of a [D1..Dk, D1..Dk] tensor, shape [D1..Dk] (TF1 ``tf.diag_part``)."""
    return apply("DiagPart", [input], name=name or "DiagPart")


def _check_matrices(fn: str, x: Tensor, square: bool = False) -> None:
    dims = x.shape.as_tuple()
    if dims is None:
        return
    if len(dims) < 2:
        raise ValueError(f"{fn}: input {x.name} must be a matrix or a batch of matrices (rank >= 2), got {x.shape}")
    if square and None not in dims[-2:] and dims[-1] != dims[-2]:
        raise ValueError(f"{fn}: input {x.name} must be a batch of square matrices, got shape {x.shape}")


def _band_infer(inputs, attrs):
    x, lower, upper = inputs
    _check_matrices("matrix_band_part", x)
    for t, what in ((lower, "num_lower"), (upper, "num_upper")):
        if not t.dtype.is_integer or t.shape.ndims not in (None, 0):
            raise TypeError(f"matrix_band_part: {what} {t.name} must be an int scalar, got {t.dtype.name} {t.shape}")
    return [(x.dtype, x.shape)]


def _band_numpy(x, num_lower, num_upper):
    rows = np.arange(x.shape[-2])[:, None]
    cols = np.arange(x.shape[-1])[None, :]
    keep = ((num_lower < 0) | (rows - cols <= num_lower)) & ((num_upper < 0) | (cols - rows <= num_upper))
    return np.where(keep, x, np.zeros((), x.dtype))


register(OpDef("MatrixBandPart", "opaque", infer=_band_infer, numpy=_band_numpy, meta_inputs={1, 2},
               grad=lambda op, g: [matrix_band_part(g, op.inputs[1], op.inputs[2]), None, None]))


def matrix_band_part(input: Any, num_lower: Any, num_upper: Any, name: Optional[str] = None) -> Tensor:
    """Each innermost matrix with everything outside the band zeroed: ``num_lower`` subdiagonals and
    ``num_upper`` superdiagonals kept (-1 keeps the whole triangle; TF1 ``tf.matrix_band_part``)."""
    with _graph_of([input, num_lower, num_upper]).as_default():
        lower, upper = (convert_to_tensor(v, name=what) if _graph_tensor_or_none(v) is not None
                        else convert_to_tensor(v, dtype="int64", name=what)
                        for v, what in ((num_lower, "num_lower"), (num_upper, "num_upper")))
        return apply("MatrixBandPart", [input, lower, upper], name=name or "MatrixBandPart")


# ------------------------------------------------------------------------------------------------
# matrix_inverse and cholesky

def _square_infer(fn: str):
    def infer(inputs, attrs):
        x = inputs[0]
        if not x.dtype.is_floating:
            raise TypeError(f"{fn}: input {x.name} must be float32 or float64, got {x.dtype.name}")
        _check_matrices(fn, x, square=True)
        return [(x.dtype, x.shape)]
    return infer


def _inverse_numpy(x, adjoint=False):
    try:
        inv = np.linalg.inv(_swap(x, adjoint))
    except np.linalg.LinAlgError:
        raise ValueError("Input is not invertible.") from None
    return inv.astype(x.dtype, copy=False)


def _inverse_grad(op, g):
    inv = op.outputs[0]
    if op.attrs["adjoint"]:
        return [-matmul(inv, matmul(g, inv, transpose_a=True))]
    return [-matmul(inv, matmul(g, inv, transpose_b=True), transpose_a=True)]


def _cholesky_numpy(x):
    lower = np.tril(np.ones(x.shape[-2:], dtype=bool))
    out = np.zeros_like(x)
    for index in np.ndindex(*x.shape[:-2]):
        try:
            out[index] = np.linalg.cholesky(x[index])
        except np.linalg.LinAlgError:   # not positive definite: NaN in the lower triangle, as TF 2.21's kernel
            out[index] = np.where(lower, np.nan, 0.0)
    return out


def _cholesky_grad(op, g):
    """TF1's formula (Murray 2016): with L the factor and Linv its inverse,
    Phi(L^T g) = its lower triangle with the diagonal halved; grad = sym(Linv^T Phi Linv)."""
    chol = op.outputs[0]
    rank = chol.shape.ndims
    if rank is None:
        raise ValueError(f"the gradient of {op.name} needs the rank of {chol.name} to be known")
    chol_inv = matrix_inverse(chol)
    middle = matmul(chol, g, transpose_a=True)
    middle = matrix_band_part(middle, -1, 0) - 0.5 * matrix_band_part(middle, 0, 0)
    grad = matmul(matmul(chol_inv, middle, transpose_a=True), chol_inv)
    swap = list(range(rank - 2)) + [rank - 1, rank - 2]
    return [0.5 * (grad + array.transpose(grad, swap))]


register(OpDef("MatrixInverse", "opaque", infer=_square_infer("matrix_inverse"), numpy=_inverse_numpy,
               grad=_inverse_grad))
register(OpDef("Cholesky", "opaque", infer=_square_infer("cholesky"), numpy=_cholesky_numpy, grad=_cholesky_grad))


def matrix_inverse(input: Any, adjoint: bool = False, name: Optional[str] = None) -> Tensor:
    """The inverse of each innermost square matrix (of its transpose with ``adjoint``); a singular
    matrix fails at run time with InvalidArgumentError (TF1 ``tf.matrix_inverse``)."""
    return apply("MatrixInverse", [input], {"adjoint": bool(adjoint)}, name=name or "MatrixInverse")


def cholesky(input: Any, name: Optional[str] = None) -> Tensor:
    """The lower-triangular Cholesky factor L (L L^T = input) of each innermost symmetric positive
    definite matrix; only the lower triangle is read (TF1 ``tf.cholesky``). A matrix that is not
    positive definite gives NaN in its factor's lower triangle, as TensorFlow 2.21's kernel (TF 1.x
    raised InvalidArgumentError)."""
    return apply("Cholesky", [input], name=name or "Cholesky")


__all__ = ["matmul", "tensordot", "diag", "diag_part", "matrix_band_part", "matrix_inverse", "cholesky"]
