"""Gradient checks for reductions (graphc/ops/reduce.py)."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(7)
x23 = r.uniform(-2.0, 2.0, (2, 3))
x234 = r.uniform(-1.0, 1.0, (2, 3, 4))
distinct = np.array([[0.3, -1.2, 2.1], [1.7, 0.4, -0.6]])      # no ties: max/min are unique
ties = np.array([[1.0, 2.5, 2.5], [-0.5, 0.8, 0.8]])           # tied maxima (one way per row)
tied_min = np.array([[-1.0, -1.0, 0.7], [0.2, 0.9, 0.2]])      # tied minima
no_zero = np.array([[0.6, -1.3, 1.8], [1.1, 0.7, -0.9]])
lone_zero = np.array([[0.0, -1.3, 1.8], [1.1, 0.7, -0.9]])    # a zero: only it has a non-zero gradient


def _scaled(y):
    """Weights the outputs unequally, so a wrong share among outputs shows up."""
    w = np.arange(1, int(np.prod(y.shape.as_list())) + 1, dtype=np.float64).reshape(y.shape.as_list())
    return y * w


CASES = [
    GradCase("reduce_sum_all", {"Sum"}, lambda a: tf.reduce_sum(a * a), [x23]),
    GradCase("reduce_sum_axis", {"Sum"}, lambda a: _scaled(tf.reduce_sum(a, 1)), [x23]),
    GradCase("reduce_sum_axes_keepdims", {"Sum"}, lambda a: _scaled(tf.reduce_sum(a, [0, -1], keepdims=True)),
             [x234]),
    GradCase("reduce_mean_all", {"Mean"}, lambda a: tf.reduce_mean(a * a), [x23]),
    GradCase("reduce_mean_axes", {"Mean"}, lambda a: _scaled(tf.reduce_mean(a, [0, 2])), [x234]),
    GradCase("reduce_mean_keepdims", {"Mean"}, lambda a: _scaled(tf.reduce_mean(a, -2, keepdims=True)), [x234]),
    GradCase("reduce_max_axis", {"Max"}, lambda a: _scaled(tf.reduce_max(a, 1)), [distinct]),
    GradCase("reduce_max_all", {"Max"}, lambda a: tf.reduce_max(a), [distinct]),
    GradCase("reduce_max_keepdims", {"Max"}, lambda a: _scaled(tf.reduce_max(a, 0, keepdims=True)), [distinct]),
    # Two-way ties: central differences see half the step (one side moves the max, the other does
    # not), which is exactly TF1's equal split between the two tied entries.
    GradCase("reduce_max_ties", {"Max"}, lambda a: _scaled(tf.reduce_max(a, 1)), [ties]),
    GradCase("reduce_min_axis", {"Min"}, lambda a: _scaled(tf.reduce_min(a, -1)), [distinct]),
    GradCase("reduce_min_ties", {"Min"}, lambda a: _scaled(tf.reduce_min(a, 1)), [tied_min]),
    GradCase("reduce_prod_axis", {"Prod"}, lambda a: _scaled(tf.reduce_prod(a, 1)), [no_zero]),
    GradCase("reduce_prod_all", {"Prod"}, lambda a: tf.reduce_prod(a), [no_zero]),
    GradCase("reduce_prod_lone_zero", {"Prod"}, lambda a: _scaled(tf.reduce_prod(a, 1)), [lone_zero]),
    GradCase("reduce_logsumexp", {"Max", "Sum", "Exp", "Log", "StopGradient"},
             lambda a: _scaled(tf.reduce_logsumexp(a, 1)), [x23]),
    GradCase("reduce_logsumexp_all_keepdims", {"Max", "Sum"},
             lambda a: tf.reduce_logsumexp(a * 3.0, keepdims=True), [x234]),
    # second order: the gradient rules are graphs and differentiate again
    GradCase("reduce_logsumexp_second_order", {"Max", "Sum"},
             lambda a: _scaled(tf.gradients(tf.reduce_logsumexp(a, 1), a)[0]), [x23]),
    GradCase("reduce_mean_second_order", {"Mean"},
             lambda a: _scaled(tf.gradients(tf.reduce_mean(a * a * a, 0), a)[0]), [x23]),
    GradCase("reduce_prod_second_order", {"Prod"},
             lambda a: _scaled(tf.gradients(tf.reduce_prod(a, 1), a)[0]), [no_zero]),
    GradCase("reduce_max_second_order", {"Max"},
             lambda a: _scaled(tf.gradients(tf.reduce_max(a * a, 1), a)[0]), [distinct]),
]
