"""Gradient checks for the tf.nn compositions of issue 16: xw_plus_b, l2_normalize, weighted
cross-entropy, log_poisson_loss."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(22)
x23 = r.uniform(-2.0, 2.0, (2, 3))
w32 = r.uniform(-1.0, 1.0, (3, 2))
b2 = r.uniform(-1.0, 1.0, (2,))
labels = r.uniform(0.0, 1.0, (2, 3))
counts = np.array([[0.5, 2.0, 3.0], [1.0, 0.0, 7.0]])

CASES = [
    GradCase("nn_xw_plus_b", {"MatMul", "Add"}, tf.nn.xw_plus_b, [x23, w32, b2]),
    GradCase("nn_l2_normalize_axis", {"Rsqrt", "Maximum", "Sum"}, lambda x: tf.nn.l2_normalize(x, axis=1), [x23]),
    GradCase("nn_l2_normalize_all", {"Rsqrt", "Sum"}, tf.nn.l2_normalize, [x23]),
    GradCase("nn_weighted_xent", {"Log1p", "Relu", "Abs"},
             lambda z, x: tf.nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=2.5),
             [labels, x23]),
    GradCase("nn_log_poisson_full", {"Exp", "Select", "Log"},
             lambda t, x: tf.nn.log_poisson_loss(t, x, compute_full_loss=True), [counts, x23], wrt=[1]),
]
