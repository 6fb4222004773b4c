"""Gradient checks for the sparse ops (graphc/ops/sparse.py): w.r.t. values and the dense operands."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(23)
idx = np.array([[0, 1], [1, 0], [1, 2], [2, 2]], np.int64)          # row-major, no repeats
unsorted = np.array([[2, 2], [0, 1], [1, 2], [1, 0]], np.int64)
repeated = np.array([[0, 1], [2, 0], [0, 1]], np.int64)             # matmul adds repeats
vals, vals3 = r.normal(size=4), r.normal(size=3)
b32, b23, m34 = r.normal(size=(3, 2)), r.normal(size=(2, 3)), r.normal(size=(3, 4))


def _sp(indices, values, shape=(3, 3)):
    return tf.SparseTensor(indices, values, list(shape))


CASES = [
    GradCase("sparse_to_dense", {"SparseToDense"},
             lambda i, v, d: tf.sin(tf.sparse_tensor_to_dense(_sp(i, v), default_value=d)), [idx, vals, np.float64(0.3)]),
    # SparseGather is the gradient of SparseToDense w.r.t. values: differentiate that gradient w.r.t. x
    GradCase("sparse_gather", {"SparseGather"},
             lambda x, i, v: tf.gradients(tf.reduce_sum(tf.sparse_tensor_to_dense(_sp(i, v)) * tf.sin(x)), v)[0] ** 2,
             [m34[:, :3], idx, vals], wrt=[0]),
    GradCase("sparse_dense_add", {"SparseTensorDenseAdd"}, lambda i, v, x: tf.sparse_add(_sp(i, v), x) ** 2,
             [repeated, vals3, m34[:, :3]]),
    GradCase("sparse_dense_matmul", {"SparseTensorDenseMatMul"},
             lambda i, v, b: tf.sparse_tensor_dense_matmul(_sp(i, v), b) ** 2, [repeated, vals3, b32]),
    GradCase("sparse_dense_matmul_adjoint_both", {"SparseTensorDenseMatMul"},
             lambda i, v, b: tf.sin(tf.sparse_tensor_dense_matmul(_sp(i, v, (3, 4)), b, adjoint_a=True,
                                                                  adjoint_b=True)),
             [repeated, vals3, r.normal(size=(2, 3))]),
    GradCase("sparse_reduce_sum_axis", {"SparseReduceSum"},
             lambda i, v: tf.sparse_reduce_sum(_sp(i, v), 1, keepdims=True) ** 3, [idx, vals]),
    GradCase("sparse_reduce_sum_all", {"SparseReduceSum"}, lambda i, v: tf.sin(tf.sparse_reduce_sum(_sp(i, v))),
             [idx, vals]),
    GradCase("sparse_reorder", {"SparseReorder", "SparseToDense"},
             lambda i, v: tf.sparse.to_dense(tf.sparse.reorder(_sp(i, v))) ** 2, [unsorted, vals]),
    GradCase("sparse_add_sparse", {"SparseAdd", "SparseToDense"},
             lambda i, v, j, w: tf.sparse.to_dense(tf.sparse_add(_sp(i, v), _sp(j, w), threshold=1e-9)) ** 2,
             [idx, vals, idx[1:], vals3]),
    GradCase("embedding_lookup_sparse_sqrtn", {"GatherV2", "UnsortedSegmentSum"},
             lambda p, i, v, w: tf.nn.embedding_lookup_sparse(p, _sp(i, v), _sp(i, w), combiner="sqrtn"),
             [r.normal(size=(4, 2)), idx, np.array([3, 0, 2, 3], np.int64), r.uniform(0.5, 1.5, size=4)]),
]
