"""Gradient checks for tf.cumsum / tf.cumprod and tf.einsum (graphc/ops/cumulative.py, ops/einsum.py)."""
import graphc as tf
from gradcheck import GradCase, rng

r = rng(24)
x34 = r.uniform(0.5, 2.0, (3, 4)) * r.choice([-1.0, 1.0], (3, 4))    # away from 0 (cumprod divides by x)
a23, b34, c234 = r.normal(size=(2, 3)), r.normal(size=(3, 4)), r.normal(size=(2, 3, 4))

CASES = [
    GradCase("cumsum", {"Cumsum"}, lambda x: tf.cumsum(x, 1) ** 2, [x34]),
    GradCase("cumsum_exclusive_reverse", {"Cumsum"}, lambda x: tf.cumsum(x, 0, exclusive=True, reverse=True) ** 2,
             [x34]),
    GradCase("cumprod", {"Cumprod"}, lambda x: tf.cumprod(x, 1), [x34]),
    GradCase("cumprod_exclusive_reverse", {"Cumprod"}, lambda x: tf.cumprod(x, 1, exclusive=True, reverse=True),
             [x34]),
    GradCase("einsum_matmul", {"Einsum"}, lambda a, b: tf.einsum("ij,jk->ik", a, b), [a23, b34]),
    GradCase("einsum_summed_label", {"Einsum"}, lambda a, b: tf.einsum("ij,jk->i", a, b) ** 2, [a23, b34]),
    GradCase("einsum_ellipsis_batch", {"Einsum"}, lambda c, b: tf.einsum("...ij,jk->...ki", c, b[:, :3]),
             [c234, r.normal(size=(4, 4))]),
    GradCase("einsum_outer_and_transpose", {"Einsum"}, lambda a: tf.einsum("ij,kj", a, a), [a23]),
]

d33, d334, d3 = r.normal(size=(3, 3)), r.normal(size=(3, 3, 4)), r.normal(size=(3,))
CASES += [    # a label repeated in one operand: the gradient lies on the diagonal, zero off it
    GradCase("einsum_diagonal", {"Einsum"}, lambda a: tf.einsum("ii->i", a) ** 2, [d33]),
    GradCase("einsum_trace", {"Einsum"}, lambda a: tf.einsum("ii", a) ** 2, [d33]),
    GradCase("einsum_diagonal_summed", {"Einsum"}, lambda c: tf.einsum("iij->j", c) ** 2, [d334]),
    GradCase("einsum_diagonal_times_vector", {"Einsum"}, lambda a, v: tf.einsum("ii,i->i", a, v) ** 2, [d33, d3]),
    GradCase("einsum_diagonal_kept_and_broadcast", {"Einsum"}, lambda c: tf.einsum("iij->ij", c) ** 2, [d334]),
    GradCase("einsum_diagonal_with_another_operand", {"Einsum"}, lambda a, b: tf.einsum("ii,ij->j", a, b) ** 2,
             [d33, r.normal(size=(3, 4))]),
    GradCase("einsum_triple_diagonal", {"Einsum"}, lambda c: tf.einsum("iii->i", c) ** 2, [r.normal(size=(2, 2, 2))]),
]
