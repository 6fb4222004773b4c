"""Gradient checks for the n-d gathers and scatters (graphc/ops/scatter.py)."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(23)
x234 = r.uniform(-2.0, 2.0, (2, 3, 4))
rows = r.uniform(-2.0, 2.0, (3, 4))
idx = np.array([[1, 2], [0, 0], [1, 2]], np.int32)
points = np.array([[0, 1], [2, 3]], np.int32)
x34 = r.uniform(-2.0, 2.0, (3, 4))
two = r.uniform(-2.0, 2.0, (2,))

CASES = [
    GradCase("gather_nd", {"GatherNd"}, lambda p: tf.gather_nd(p, idx) ** 2, [x234]),
    GradCase("scatter_nd", {"ScatterNd"}, lambda u: tf.scatter_nd(idx, u, [2, 3, 4]) ** 2, [rows]),
    GradCase("tensor_scatter_update", {"TensorScatterUpdate"},
             lambda t, u: tf.tensor_scatter_nd_update(t, points, u) ** 2, [x34, two]),
    GradCase("tensor_scatter_add", {"TensorScatterAdd"},
             lambda t, u: tf.tensor_scatter_nd_add(t, points, u) ** 2, [x34, two]),
    GradCase("tensor_scatter_sub", {"TensorScatterSub"},
             lambda t, u: tf.tensor_scatter_nd_sub(t, points, u) ** 2, [x34, two]),
]
