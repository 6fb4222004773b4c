"""Gradient checks for linear algebra (graphc/ops/linalg.py, svd.py): matmul, tensordot, the spectral norm."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(11)
a23, a32 = r.normal(size=(2, 3)), r.normal(size=(3, 2))
b34, b43 = r.normal(size=(3, 4)), r.normal(size=(4, 3))
batch_a, batch_b = r.normal(size=(2, 2, 3)), r.normal(size=(2, 3, 4))
t234, t435 = r.normal(size=(2, 3, 4)), r.normal(size=(4, 3, 5))

CASES = [
    GradCase("matmul", {"MatMul"}, tf.matmul, [a23, b34]),
    GradCase("matmul_transpose_a", {"MatMul"}, lambda a, b: tf.matmul(a, b, transpose_a=True), [a32, b34]),
    GradCase("matmul_transpose_b", {"MatMul"}, lambda a, b: tf.matmul(a, b, transpose_b=True), [a23, b43]),
    GradCase("matmul_transpose_both", {"MatMul"},
             lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True), [a32, b43]),
    GradCase("matmul_batched", {"MatMul"}, tf.matmul, [batch_a, batch_b]),
    GradCase("matmul_batched_transpose_both", {"MatMul"},
             lambda a, b: tf.matmul(b, a, transpose_a=True, transpose_b=True), [batch_a, batch_b]),
    GradCase("tensordot_int_axes", {"MatMul", "Reshape"}, lambda a, b: tf.tensordot(a, b, 1), [t234, t435]),
    GradCase("tensordot_axis_lists", {"MatMul", "Reshape", "Transpose"},
             lambda a, b: tf.tensordot(a, b, [[2, 1], [0, 1]]), [t234, t435]),
    GradCase("tensordot_outer", {"MatMul", "Reshape"}, lambda a, b: tf.tensordot(a, b, 0), [a23, r.normal(size=(2,))]),
    # the spectral norm (largest singular value) differentiates the Svd op's singular values
    GradCase("spectral_norm_batched", {"Svd", "Transpose", "Max"},
             lambda a: tf.norm(a, ord=2, axis=[2, 1]), [t234]),
]

# diag, diag_part, band part, inverse, cholesky (the Cholesky input is made symmetric positive definite)
square = r.normal(size=(3, 3)) + 3.0 * np.eye(3)
CASES += [
    GradCase("diag", {"Diag"}, lambda d: tf.diag(d) ** 2, [r.normal(size=(2, 3))]),
    GradCase("diag_part", {"DiagPart"}, lambda a: tf.diag_part(a) ** 2, [r.normal(size=(3, 3))]),
    GradCase("matrix_band_part", {"MatrixBandPart"}, lambda a: tf.matrix_band_part(a, 1, 0) ** 2, [batch_a]),
    GradCase("matrix_inverse", {"MatrixInverse"}, tf.matrix_inverse, [square]),
    GradCase("matrix_inverse_adjoint", {"MatrixInverse"}, lambda a: tf.matrix_inverse(a, adjoint=True), [square]),
    GradCase("cholesky", {"Cholesky"}, lambda a: tf.cholesky(tf.matmul(a, a, transpose_b=True)), [square]),
]
