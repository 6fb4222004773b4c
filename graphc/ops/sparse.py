"""``tf.SparseTensor`` and the sparse ops text models use (TF1's ``sparse_ops``).

A ``SparseTensor`` is three dense graph tensors: ``indices`` (int64 ``[N, rank]``), ``values``
(``[N]``) and ``dense_shape`` (int64 ``[rank]``). ``Session.run`` fetches it as a
``SparseTensorValue`` and feeds it from one (``runtime/fetch.py``). Every sparse op is a numpy
host step (kind ``opaque``), so every backend runs it unchanged; the differentiable ones
(``SparseToDense``, ``SparseTensorDenseAdd``, ``SparseTensorDenseMatMul``, ``SparseReduceSum``,
``SparseReorder``, ``SparseAdd``, ``SparseGather``) have gradients with respect to ``values`` and the dense
operand, as TF1's. The ops are marked impure so that constant folding never runs their index
checks while the graph is built: a bad index fails the run, as in TF1.
"""
from __future__ import annotations

import collections
from typing import Any, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.graph import Tensor, session_for_eval
from graphc.ops import array, source
from graphc.ops import gather as gathers
from graphc.ops import math as m
from graphc.ops import reduce as red
from graphc.ops.nn import embedding_lookup
from graphc.ops.core import OpDef, _graph_of, apply, constant_value, convert_to_tensor, register, shape_value
from graphc.shape import TensorShape

SparseTensorValue = collections.namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])
SparseTensorValue.__doc__ = "A fetched ``SparseTensor``: numpy ``indices``, ``values`` and ``dense_shape``."


class SparseTensor:
    """A sparse tensor of the graph (TF1 ``tf.SparseTensor``): ``indices`` (int64 ``[N, rank]``),
    ``values`` (``[N]``) and ``dense_shape`` (int64 ``[rank]``)."""

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        graph = _graph_of([v for v in (indices, values, dense_shape) if isinstance(v, Tensor)])
        with graph.as_default(), graph.name_scope("SparseTensor"):
            self._indices = convert_to_tensor(indices, dtype=dtypes.int64, name="indices")
            self._values = convert_to_tensor(values, name="values")
            self._dense_shape = convert_to_tensor(dense_shape, dtype=dtypes.int64, name="dense_shape")
        ishape, vshape, sshape = self._indices.shape, self._values.shape, self._dense_shape.shape
        if ishape.ndims not in (None, 2) or vshape.ndims not in (None, 1) or sshape.ndims not in (None, 1):
            raise ValueError(f"SparseTensor needs indices of rank 2, values of rank 1 and dense_shape of rank 1, "
                             f"got {ishape}, {vshape} and {sshape}")
        rank = _dims(ishape, 1), _dims(sshape, 0)
        count = _dims(ishape, 0), _dims(vshape, 0)
        for what, (a, b) in (("rank (indices.shape[1] vs dense_shape.shape[0])", rank),
                             ("count (indices.shape[0] vs values.shape[0])", count)):
            if a is not None and b is not None and a != b:
                raise ValueError(f"SparseTensor: the {what} disagree: {ishape}, {vshape}, {sshape}")
        self._dense_shape_default: Optional[TensorShape] = None

    @classmethod
    def from_value(cls, value: Any) -> "SparseTensor":
        """A ``SparseTensor`` of constants from a ``SparseTensorValue`` (a SparseTensor passes through)."""
        if isinstance(value, SparseTensor):
            return value
        return cls(value.indices, value.values, value.dense_shape)

    indices = property(lambda self: self._indices, doc="int64 ``[N, rank]``: the coordinates of the values.")
    values = property(lambda self: self._values, doc="``[N]``: the values at ``indices``.")
    dense_shape = property(lambda self: self._dense_shape, doc="int64 ``[rank]``: the dense tensor's shape.")
    dtype = property(lambda self: self._values.dtype, doc="The dtype of the values.")
    op = property(lambda self: self._values.op, doc="The op that produces ``values``.")
    graph = property(lambda self: self._values.graph, doc="The graph of the three tensors.")

    @property
    def shape(self) -> TensorShape:
        """The static dense shape: known where ``dense_shape`` is a constant (or a placeholder's default)."""
        if self._dense_shape_default is not None:
            return self._dense_shape_default
        dims = shape_value(self._dense_shape)
        if dims is not None:
            return TensorShape([None if d is None or d < 0 else d for d in dims])
        rank = _dims(self._dense_shape.shape, 0)
        return TensorShape(None if rank is None else [None] * rank)

    def get_shape(self) -> TensorShape:
        """``self.shape``."""
        return self.shape

    def eval(self, feed_dict: Optional[dict] = None, session: Any = None) -> SparseTensorValue:
        """Runs it in ``session`` or the default session: a ``SparseTensorValue``."""
        return session_for_eval(session, self.graph).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return (f"SparseTensor(indices={self._indices!r}, values={self._values!r}, "
                f"dense_shape={self._dense_shape!r})")


def _dims(shape: TensorShape, i: int) -> Optional[int]:
    dims = shape.as_tuple()
    return None if dims is None or len(dims) <= i else dims[i]


def convert_to_sparse(value: Any, what: str = "sp_input") -> SparseTensor:
    """A ``SparseTensor`` (or a ``SparseTensorValue``, made constants); TypeError for anything else."""
    if isinstance(value, SparseTensor):
        return value
    if isinstance(value, SparseTensorValue):
        return SparseTensor.from_value(value)
    raise TypeError(f"{what} must be a SparseTensor (or SparseTensorValue), got {type(value).__name__}: {value!r}")


# ------------------------------------------------------------------------------------------------
# numpy helpers

def _coords(indices: np.ndarray, rank: int) -> tuple:
    return tuple(np.asarray(indices, dtype=np.int64).reshape(-1, rank).T) if rank else ()


def _check_bounds(indices: np.ndarray, shape: np.ndarray, op: str) -> None:
    idx = np.asarray(indices, dtype=np.int64).reshape(len(indices), -1)
    bad = np.flatnonzero(((idx < 0) | (idx >= np.asarray(shape, dtype=np.int64))).any(axis=1))
    if len(bad):
        i = int(bad[0])
        raise errors.InvalidArgumentError(None, None, f"{op}: indices[{i}] = {_tf_list(idx[i])} is out of bounds: "
                                                      f"need 0 <= index < {_tf_list(shape)}")


def _tf_list(values: Any) -> str:
    """A vector as TF prints it in messages: ``[2,1]``."""
    return "[" + ",".join(str(int(v)) for v in np.asarray(values).reshape(-1)) + "]"


def _row_major_keys(indices: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Each index's position in the dense tensor (row-major), for sorting and matching."""
    idx = np.asarray(indices, dtype=np.int64).reshape(len(indices), -1)
    if idx.shape[1] == 0:
        return np.zeros(len(idx), dtype=np.int64)
    return np.ravel_multi_index(tuple(idx.T), tuple(int(d) for d in shape)).astype(np.int64)


def _check_order(indices: np.ndarray, shape: np.ndarray, op: str) -> None:
    keys = _row_major_keys(indices, shape)
    steps = np.diff(keys)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        kind = "repeated" if steps[i - 1] == 0 else "out of order"
        raise errors.InvalidArgumentError(None, None, (
            f"{op}: indices[{i}] = {_tf_list(np.asarray(indices)[i])} is {kind}. Many sparse ops require sorted "
            "indices. Use `tf.sparse.reorder` to create a correctly ordered copy."))


def _scatter_add(out: np.ndarray, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    np.add.at(out, _coords(indices, out.ndim), values)
    return out


# ------------------------------------------------------------------------------------------------
# SparseToDense(indices, output_shape, values, default_value)

def _to_dense_infer(inputs: list, attrs: dict) -> list:
    indices, shape, values, default = inputs
    if default.shape.ndims not in (None, 0):
        raise ValueError(f"default_value must be a scalar, got shape {default.shape}")
    if values.dtype is not default.dtype:
        raise TypeError(f"default_value {default.name} is {default.dtype.name} but the values are {values.dtype.name}")
    dims = shape_value(shape)
    if dims is not None:
        return [(values.dtype, TensorShape([None if d is None or d < 0 else d for d in dims]))]
    rank = _dims(shape.shape, 0)
    return [(values.dtype, TensorShape(None if rank is None else [None] * rank))]


def _to_dense_numpy(indices, shape, values, default, validate_indices=True):
    shape = np.asarray(shape, dtype=np.int64).reshape(-1)
    out = np.full(tuple(int(d) for d in shape), default, dtype=np.asarray(values).dtype)
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(shape)) if len(shape) else \
        np.zeros((np.size(values), 0), np.int64)
    values = np.broadcast_to(values, (len(indices),))
    if len(indices):
        _check_bounds(indices, shape, "SparseToDense")
        if validate_indices:
            _check_order(indices, shape, "SparseToDense")
        out[_coords(indices, len(shape))] = values
    return out


def _to_dense_grad(op, g):
    indices = op.inputs[0]
    values_grad = sparse_gather(g, indices)
    default_grad = m.subtract(red.reduce_sum(g), red.reduce_sum(values_grad))
    return [None, None, values_grad, default_grad]


register(OpDef("SparseToDense", "opaque", infer=_to_dense_infer, numpy=_to_dense_numpy, grad=_to_dense_grad, pure=False))


# SparseGather(dense, indices): dense[indices] (TF's gather_nd with full-rank indices)

def _gather_infer(inputs: list, attrs: dict) -> list:
    return [(inputs[0].dtype, TensorShape([_dims(inputs[1].shape, 0)]))]


def _gather_numpy(dense, indices):
    dense = np.asarray(dense)
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, dense.ndim)
    _check_bounds(indices, np.array(dense.shape), "SparseGather")
    return dense[_coords(indices, dense.ndim)]


def _gather_grad(op, g):
    dense, indices = op.inputs
    return [_apply_dense_add(indices, g, array.shape(dense, out_type=dtypes.int64), array.zeros_like(dense)), None]


register(OpDef("SparseGather", "opaque", infer=_gather_infer, numpy=_gather_numpy, grad=_gather_grad, pure=False))


def sparse_gather(dense: Any, indices: Any, name: str = "SparseGather") -> Tensor:
    """``dense`` at each row of ``indices`` (int64 ``[N, rank(dense)]``): a ``[N]`` tensor."""
    return apply("SparseGather", [dense, convert_to_tensor(indices, dtype=dtypes.int64)], {}, name)


# SparseTensorDenseAdd(indices, values, shape, dense): dense + the sparse tensor (duplicates add)

def _dense_add_infer(inputs: list, attrs: dict) -> list:
    values, dense = inputs[1], inputs[3]
    if values.dtype is not dense.dtype:
        raise TypeError(f"sparse values are {values.dtype.name} but the dense operand {dense.name} is "
                        f"{dense.dtype.name}; cast one of them")
    return [(dense.dtype, dense.shape)]


def _dense_add_numpy(indices, values, shape, dense):
    shape = np.asarray(shape, dtype=np.int64)
    if tuple(shape.tolist()) != np.shape(dense):
        raise errors.InvalidArgumentError(None, None, f"SparseTensorDenseAdd: the sparse dense_shape "
                                                      f"{shape.tolist()} and the dense shape "
                                                      f"{list(np.shape(dense))} must be equal")
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(shape))
    _check_bounds(indices, shape, "SparseTensorDenseAdd")
    return _scatter_add(np.array(dense, copy=True), indices, values)


def _dense_add_grad(op, g):
    return [None, sparse_gather(g, op.inputs[0]), None, g]


register(OpDef("SparseTensorDenseAdd", "opaque", infer=_dense_add_infer, numpy=_dense_add_numpy,
               grad=_dense_add_grad, pure=False))


def _apply_dense_add(indices: Any, values: Any, shape: Any, dense: Any) -> Tensor:
    return apply("SparseTensorDenseAdd", [indices, values, shape, dense], {}, "SparseTensorDenseAdd")


# SparseTensorDenseMatMul(a_indices, a_values, a_shape, b): op(A) @ op(B) for a rank-2 sparse A

def _matmul_infer(inputs: list, attrs: dict) -> list:
    values, a_shape, b = inputs[1], inputs[2], inputs[3]
    if values.dtype is not b.dtype:
        raise TypeError(f"sparse values are {values.dtype.name} but b {b.name} is {b.dtype.name}; cast one of them")
    if b.shape.ndims not in (None, 2):
        raise ValueError(f"b {b.name} must be a matrix, got shape {b.shape}")
    a_dims = shape_value(a_shape)
    rows = None if a_dims is None else a_dims[1 if attrs["adjoint_a"] else 0]
    cols = _dims(b.shape, 0 if attrs["adjoint_b"] else 1)
    inner_a = None if a_dims is None else a_dims[0 if attrs["adjoint_a"] else 1]
    inner_b = _dims(b.shape, 1 if attrs["adjoint_b"] else 0)
    if inner_a is not None and inner_b is not None and inner_a != inner_b:
        raise ValueError(f"Dimensions must be equal, but are {inner_a} and {inner_b}: the sparse operand's "
                         f"dense_shape is {a_dims} and b {b.name} is {b.shape}"
                         f"{' (adjoint_a)' if attrs['adjoint_a'] else ''}{' (adjoint_b)' if attrs['adjoint_b'] else ''}")
    return [(b.dtype, TensorShape([rows, cols]))]


def _matmul_numpy(indices, values, shape, b, adjoint_a=False, adjoint_b=False):
    shape = np.asarray(shape, dtype=np.int64)
    if shape.shape != (2,):
        raise errors.InvalidArgumentError(None, None, f"SparseTensorDenseMatMul: the sparse operand must be a "
                                                      f"matrix, got dense_shape {shape.tolist()}")
    b = np.asarray(b).T if adjoint_b else np.asarray(b)
    rows, inner = (int(shape[1]), int(shape[0])) if adjoint_a else (int(shape[0]), int(shape[1]))
    if b.shape[0] != inner:
        raise errors.InvalidArgumentError(None, None, (
            f"SparseTensorDenseMatMul: cannot multiply A and B because inner dimension does not match: "
            f"{inner} vs. {b.shape[0]}. Did you forget a transpose? Dimensions of A: [{shape[0]}, {shape[1]}). "
            f"Dimensions of B: {list(np.shape(b))}"))
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, 2)
    _check_bounds(indices, shape, "SparseTensorDenseMatMul")
    r, c = (indices[:, 1], indices[:, 0]) if adjoint_a else (indices[:, 0], indices[:, 1])
    out = np.zeros((rows, b.shape[1]), dtype=b.dtype)
    np.add.at(out, r, np.asarray(values)[:, None] * b[c])
    return out


def _matmul_grad(op, g):
    indices, values, shape, b = op.inputs
    adj_a, adj_b = op.attrs["adjoint_a"], op.attrs["adjoint_b"]
    # d b: op(A)^T @ g, transposed back when b entered transposed
    b_grad = _apply_matmul(indices, values, shape, g, not adj_a, False)
    if adj_b:
        b_grad = array.transpose(b_grad)
    # d values: for A[i, j] = v, the row of g and the row of op(B) it met
    rows, cols = gathers.gather(indices, 0, axis=1), gathers.gather(indices, 1, axis=1)
    if adj_a:
        rows, cols = cols, rows
    op_b = array.transpose(b) if adj_b else b
    values_grad = red.reduce_sum(m.multiply(gathers.gather(g, rows), gathers.gather(op_b, cols)), axis=1)
    return [None, values_grad, None, b_grad]


register(OpDef("SparseTensorDenseMatMul", "opaque", infer=_matmul_infer, numpy=_matmul_numpy, grad=_matmul_grad, pure=False))


def _apply_matmul(indices: Any, values: Any, shape: Any, b: Any, adjoint_a: bool, adjoint_b: bool,
                  name: str = "SparseTensorDenseMatMul") -> Tensor:
    return apply("SparseTensorDenseMatMul", [indices, values, shape, b],
                 {"adjoint_a": bool(adjoint_a), "adjoint_b": bool(adjoint_b)}, name)


# SparseReduceSum(indices, values, shape, axes) and the gradient's gather

def _reduce_axes(axes: Any, rank: int) -> tuple:
    if axes is None:
        return tuple(range(rank))
    out = sorted({int(a) % rank if rank else 0 for a in np.asarray(axes).reshape(-1)})
    return tuple(out)


def _reduce_infer(inputs: list, attrs: dict) -> list:
    return [(inputs[1].dtype, TensorShape(None))]


def _reduce_numpy(indices, values, shape, axes=None, keep_dims=False):
    shape = np.asarray(shape, dtype=np.int64)
    dense = np.zeros(tuple(int(d) for d in shape), dtype=np.asarray(values).dtype)
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(shape))
    _check_bounds(indices, shape, "SparseReduceSum")
    _scatter_add(dense, indices, values)
    return np.asarray(dense.sum(axis=_reduce_axes(axes, len(shape)), keepdims=bool(keep_dims)), dtype=dense.dtype)


def _reduce_grad(op, g):
    indices, _, shape = op.inputs
    grad = apply("SparseReduceSumGrad", [indices, shape, g], {"axes": op.attrs["axes"]}, "SparseReduceSumGrad")
    return [None, grad, None]


def _reduce_grad_numpy(indices, shape, g, axes=None):
    shape = np.asarray(shape, dtype=np.int64)
    reduced = _reduce_axes(axes, len(shape))
    kept = np.asarray(g).reshape([1 if i in reduced else int(d) for i, d in enumerate(shape)])
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(shape)).copy()
    indices[:, list(reduced)] = 0
    return kept[_coords(indices, len(shape))]


register(OpDef("SparseReduceSum", "opaque", infer=_reduce_infer, numpy=_reduce_numpy, grad=_reduce_grad, pure=False))
register(OpDef("SparseReduceSumGrad", "opaque", infer=lambda inputs, attrs: [(inputs[2].dtype, TensorShape([None]))],
               numpy=_reduce_grad_numpy, differentiable=False, pure=False))


# SparseReorder(indices, values, shape) -> (indices, values) in row-major order

def _reorder_infer(inputs: list, attrs: dict) -> list:
    return [(dtypes.int64, inputs[0].shape), (inputs[1].dtype, inputs[1].shape)]


def _reorder_order(indices: np.ndarray, shape: np.ndarray) -> np.ndarray:
    return np.argsort(_row_major_keys(indices, shape), kind="stable")


def _reorder_numpy(indices, values, shape):
    shape = np.asarray(shape, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(shape))
    _check_bounds(indices, shape, "SparseReorder")
    order = _reorder_order(indices, shape)
    return indices[order], np.asarray(values)[order]


def _reorder_grad(op, g_indices, g_values):
    indices, _, shape = op.inputs
    return [None, apply("SparseReorderGrad", [indices, shape, g_values], {}, "SparseReorderGrad"), None]


def _reorder_grad_numpy(indices, shape, g):
    order = _reorder_order(np.asarray(indices, dtype=np.int64).reshape(-1, len(shape)), np.asarray(shape))
    out = np.empty_like(np.asarray(g))
    out[order] = g
    return out


register(OpDef("SparseReorder", "opaque", infer=_reorder_infer, numpy=_reorder_numpy, grad=_reorder_grad, pure=False))
register(OpDef("SparseReorderGrad", "opaque", infer=lambda inputs, attrs: [(inputs[2].dtype, inputs[2].shape)],
               numpy=_reorder_grad_numpy, differentiable=False, pure=False))


# positions of the true entries of a bool vector (for sparse_retain)
register(OpDef("SparseRetainPositions", "opaque", infer=lambda inputs, attrs: [(dtypes.int64, TensorShape([None]))],
               numpy=lambda keep: np.flatnonzero(np.asarray(keep, dtype=bool)).astype(np.int64),
               differentiable=False, pure=False))


# SparseAdd of two SparseTensors: the union of their indices (values summed, small sums dropped)

def _sparse_add_infer(inputs: list, attrs: dict) -> list:
    a_values, b_values = inputs[1], inputs[4]
    if a_values.dtype is not b_values.dtype:
        raise TypeError(f"the two SparseTensors' values are {a_values.dtype.name} and {b_values.dtype.name}")
    return [(dtypes.int64, TensorShape([None, _dims(inputs[0].shape, 1)])), (a_values.dtype, TensorShape([None])),
            (dtypes.int64, inputs[2].shape)]


def _sparse_add_numpy(a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    a_shape, b_shape = np.asarray(a_shape, np.int64), np.asarray(b_shape, np.int64)
    if a_shape.tolist() != b_shape.tolist():
        raise errors.InvalidArgumentError(None, None, f"SparseAdd: operands' shapes do not match: "
                                                      f"{a_shape.tolist()} vs {b_shape.tolist()}")
    rank = len(a_shape)
    indices = np.concatenate([np.asarray(a_indices, np.int64).reshape(-1, rank),
                              np.asarray(b_indices, np.int64).reshape(-1, rank)])
    _check_bounds(indices, a_shape, "SparseAdd")
    keys = _row_major_keys(indices, a_shape)
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    sums = np.zeros(len(unique), dtype=np.asarray(a_values).dtype)
    np.add.at(sums, inverse, np.concatenate([np.asarray(a_values), np.asarray(b_values)]))
    # as TF's kernel: only a sum of two entries (an index in both) is dropped below the threshold
    counts = np.bincount(inverse, minlength=len(unique))
    keep = (counts < 2) | (np.abs(sums) >= thresh)
    return indices[first][keep], sums[keep], a_shape


def _sparse_add_grad(op, g_indices, g_values, g_shape):
    a_indices, _, shape, b_indices = op.inputs[:4]
    out_indices = op.outputs[0]
    grads = [apply("SparseAddValuesGrad", [ind, shape, out_indices, g_values], {}, "SparseAddGrad")
             for ind in (a_indices, b_indices)]
    return [None, grads[0], None, None, grads[1], None, None]


def _add_values_grad_numpy(indices, shape, out_indices, g):
    """The output gradient at each input index (0 where the sum was dropped)."""
    shape = np.asarray(shape, np.int64)
    rank = len(shape)
    keys = _row_major_keys(np.asarray(indices, np.int64).reshape(-1, rank), shape)
    out_keys = _row_major_keys(np.asarray(out_indices, np.int64).reshape(-1, rank), shape)
    where = np.searchsorted(out_keys, keys)
    found = (where < len(out_keys)) & (out_keys[np.minimum(where, max(len(out_keys) - 1, 0))] == keys) \
        if len(out_keys) else np.zeros(len(keys), bool)
    out = np.zeros(len(keys), dtype=np.asarray(g).dtype)
    out[found] = np.asarray(g)[where[found]]
    return out


register(OpDef("SparseAdd", "opaque", infer=_sparse_add_infer, numpy=_sparse_add_numpy, grad=_sparse_add_grad, pure=False))
register(OpDef("SparseAddValuesGrad", "opaque",
               infer=lambda inputs, attrs: [(inputs[3].dtype, TensorShape([_dims(inputs[0].shape, 0)]))],
               numpy=_add_values_grad_numpy, differentiable=False, pure=False))


# ------------------------------------------------------------------------------------------------
# public functions

def sparse_tensor_to_dense(sp_input: Any, default_value: Any = None, validate_indices: bool = True,
                           name: Optional[str] = None) -> Tensor:
    """The dense tensor of ``sp_input``: ``default_value`` (0, or b"" for strings) where it has no value.
    With ``validate_indices`` the indices must be in row-major order without repeats (InvalidArgumentError)."""
    sp = convert_to_sparse(sp_input)
    if default_value is None:
        default_value = b"" if sp.dtype is dtypes.string else 0
    default = convert_to_tensor(default_value, dtype=sp.dtype, name="default_value")
    return apply("SparseToDense", [sp.indices, sp.dense_shape, sp.values, default],
                 {"validate_indices": bool(validate_indices)}, name or "SparseToDense")


def sparse_to_dense(sparse_indices: Any, output_shape: Any, sparse_values: Any, default_value: Any = 0,
                    validate_indices: bool = True, name: Optional[str] = None) -> Tensor:
    """TF1 ``tf.sparse_to_dense``: a dense tensor of ``output_shape`` with ``sparse_values`` at
    ``sparse_indices`` (``[N, rank]``) and ``default_value`` elsewhere."""
    values = convert_to_tensor(sparse_values)
    default = convert_to_tensor(default_value, dtype=values.dtype, name="default_value")
    indices = convert_to_tensor(sparse_indices)
    if indices.dtype is not dtypes.int64:
        indices = m.cast(indices, dtypes.int64)
    shape = convert_to_tensor(output_shape)
    if shape.dtype is not dtypes.int64:
        shape = m.cast(shape, dtypes.int64)
    return apply("SparseToDense", [indices, shape, values, default], {"validate_indices": bool(validate_indices)},
                 name or "SparseToDense")


def sparse_add(a: Any, b: Any, threshold: Any = 0, thresh: Any = None, name: Optional[str] = None) -> Any:
    """``a + b`` where one or both are SparseTensors: a dense tensor when one is dense, else a
    SparseTensor of the union of their indices (a sum of two entries below ``threshold`` in
    magnitude is dropped, as TF1's kernel does)."""
    if thresh is not None:
        threshold = thresh
    a_sparse, b_sparse = isinstance(a, (SparseTensor, SparseTensorValue)), isinstance(b, (SparseTensor,
                                                                                          SparseTensorValue))
    if not (a_sparse or b_sparse):
        raise TypeError("sparse_add: at least one operand must be a SparseTensor")
    if a_sparse and b_sparse:
        sa, sb = convert_to_sparse(a, "a"), convert_to_sparse(b, "b")
        limit = convert_to_tensor(threshold, dtype=sa.dtype, name="threshold")
        indices, values, shape = apply("SparseAdd", [sa.indices, sa.values, sa.dense_shape, sb.indices, sb.values,
                                                     sb.dense_shape, limit], {}, name or "SparseAdd")
        return SparseTensor(indices, values, shape)
    sp, dense = (convert_to_sparse(a, "a"), b) if a_sparse else (convert_to_sparse(b, "b"), a)
    dense = convert_to_tensor(dense, dtype=sp.dtype)
    return apply("SparseTensorDenseAdd", [sp.indices, sp.values, sp.dense_shape, dense], {},
                 name or "SparseTensorDenseAdd")


def sparse_tensor_dense_matmul(sp_a: Any, b: Any, adjoint_a: bool = False, adjoint_b: bool = False,
                               name: Optional[str] = None) -> Tensor:
    """``op(sp_a) @ op(b)`` for a rank-2 SparseTensor ``sp_a`` (``op`` transposes when ``adjoint_*``);
    repeated indices add. Differentiable with respect to ``sp_a.values`` and ``b``."""
    sp = convert_to_sparse(sp_a, "sp_a")
    b = convert_to_tensor(b, dtype=sp.dtype, name="b")
    return _apply_matmul(sp.indices, sp.values, sp.dense_shape, b, adjoint_a, adjoint_b,
                         name or "SparseTensorDenseMatMul")


def sparse_reduce_sum(sp_input: Any, axis: Any = None, keepdims: Optional[bool] = None, reduction_axes: Any = None,
                      keep_dims: Optional[bool] = None, name: Optional[str] = None) -> Tensor:
    """The sum of ``sp_input``'s values over ``axis`` (all axes when None): a dense tensor."""
    sp = convert_to_sparse(sp_input)
    if axis is None:
        axis = reduction_axes
    if keepdims is None:
        keepdims = bool(keep_dims)
    if isinstance(axis, Tensor):
        axis = constant_value(axis)
        if axis is None:
            raise ValueError("sparse_reduce_sum needs its axes known when the graph is built (Python ints)")
    axes = None if axis is None else tuple(int(a) for a in np.asarray(axis).reshape(-1))
    return apply("SparseReduceSum", [sp.indices, sp.values, sp.dense_shape], {"axes": axes,
                                                                            "keep_dims": bool(keepdims)},
                 name or "SparseReduceSum")


def sparse_reorder(sp_input: Any, name: Optional[str] = None) -> SparseTensor:
    """The same SparseTensor with its entries in row-major (canonical) order."""
    sp = convert_to_sparse(sp_input)
    indices, values = apply("SparseReorder", [sp.indices, sp.values, sp.dense_shape], {}, name or "SparseReorder")
    out = SparseTensor(indices, values, sp.dense_shape)
    out._dense_shape_default = sp._dense_shape_default
    return out


def sparse_retain(sp_input: Any, to_retain: Any) -> SparseTensor:
    """The entries of ``sp_input`` where the bool vector ``to_retain`` (one per value) is true."""
    sp = convert_to_sparse(sp_input)
    keep = convert_to_tensor(to_retain, dtype=dtypes.bool_, name="to_retain")
    if keep.shape.ndims not in (None, 1):
        raise ValueError(f"to_retain {keep.name} must be a vector, got shape {keep.shape}")
    positions = apply("SparseRetainPositions", [keep], {}, "SparseRetainPositions")
    return SparseTensor(gathers.gather(sp.indices, positions), gathers.gather(sp.values, positions), sp.dense_shape)


def sparse_placeholder(dtype: Any, shape: Any = None, name: Optional[str] = None) -> SparseTensor:
    """A SparseTensor of placeholders, fed with a ``SparseTensorValue`` (or an (indices, values,
    dense_shape) tuple). A given ``shape`` is ``dense_shape``'s default (None/-1 dims unknown)."""
    dt = dtypes.as_dtype(dtype)
    prefix = f"{name}/" if name else ""
    if shape is None:
        rank = None
        dense_shape = source.placeholder(dtypes.int64, [None], name=f"{prefix}shape" if name else "Placeholder")
        default = None
    else:
        dims = [None if d is None or d == -1 else int(d) for d in
                (shape.as_list() if isinstance(shape, TensorShape) else shape)]
        rank = len(dims)
        default = TensorShape(dims)
        filled = convert_to_tensor([-1 if d is None else d for d in dims], dtype=dtypes.int64,
                                   name=f"{prefix}shape_default" if name else "Const")
        dense_shape = source.placeholder_with_default(filled, [rank],
                                                      name=f"{prefix}shape" if name else "PlaceholderWithDefault")
    values = source.placeholder(dt, [None], name=f"{prefix}values" if name else "Placeholder")
    indices = source.placeholder(dtypes.int64, [None, rank], name=f"{prefix}indices" if name else "Placeholder")
    out = SparseTensor(indices, values, dense_shape)
    out._dense_shape_default = default
    return out


def embedding_lookup_sparse(params: Any, sp_ids: Any, sp_weights: Any, partition_strategy: str = "mod",
                            name: Optional[str] = None, combiner: Optional[str] = None,
                            max_norm: Any = None) -> Tensor:
    """Per row of ``sp_ids``, its ids' embeddings combined: ``"sum"``, ``"mean"`` (the default) or
    ``"sqrtn"`` (sum over the square root of the sum of squared weights), weighted by
    ``sp_weights`` (a SparseTensor like ``sp_ids``, or None for weight 1). The result has
    ``max row + 1`` rows; a row without ids in between is zero (TF divides with ``div_no_nan``)."""
    combiner = combiner or "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}")
    ids = convert_to_sparse(sp_ids, "sp_ids")
    weights = None if sp_weights is None else convert_to_sparse(sp_weights, "sp_weights")
    graph = _graph_of([ids.values])
    with graph.as_default(), graph.name_scope(name or "embedding_lookup_sparse"):
        segments = gathers.gather(ids.indices, 0, axis=1)
        count = m.add(red.reduce_max(segments), 1)
        rows = embedding_lookup(params, ids.values, partition_strategy=partition_strategy, max_norm=max_norm)
        if weights is None:
            ones = m.cast(array.ones_like(ids.values), rows.dtype)
            total = gathers.unsorted_segment_sum(rows, segments, count)
            norm = gathers.unsorted_segment_sum(ones, segments, count)
            if combiner == "sum":
                return total
            norm = m.maximum(norm, 1)
            norm = m.sqrt(norm) if combiner == "sqrtn" else norm
            return m.truediv(total, array.expand_dims(norm, 1))
        w = m.cast(weights.values, rows.dtype)
        rank = rows.shape.ndims
        w_rows = array.reshape(w, [-1] + [1] * (rank - 1)) if rank is not None else array.expand_dims(w, 1)
        total = gathers.unsorted_segment_sum(m.multiply(rows, w_rows), segments, count)
        if combiner == "sum":
            return total
        norm = gathers.unsorted_segment_sum(m.square(w) if combiner == "sqrtn" else w, segments, count)
        norm = m.sqrt(norm) if combiner == "sqrtn" else norm
        norm = array.reshape(norm, [-1] + [1] * (rank - 1)) if rank is not None else array.expand_dims(norm, 1)
        # TF divides with div_no_nan: a row whose weights sum to 0 (or that has no ids) is 0
        nonzero = m.not_equal(norm, 0)
        return m.where(nonzero, m.truediv(total, m.where(nonzero, norm, array.ones_like(norm))),
                       array.zeros_like(total))


# TF1's other names for the same functions (also the tf.sparse namespace)
sparse_dense_matmul = sparse_tensor_dense_matmul
to_dense = sparse_tensor_to_dense

__all__ = ["SparseTensor", "SparseTensorValue", "sparse_add", "sparse_placeholder", "sparse_reduce_sum",
           "sparse_reorder", "sparse_retain", "sparse_tensor_dense_matmul", "sparse_tensor_to_dense",
           "sparse_to_dense"]
