"""Gradient checks for the ops that pick elements by value (graphc/ops/selection.py)."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(21)
distinct = r.permutation(12).reshape(3, 4) * 0.25 - 1.0      # no ties: top_k is differentiable there
mask = np.array([[True, False, True, True], [False, True, False, True], [True, True, False, False]])

CASES = [
    GradCase("top_k_values", {"TopKV2"}, lambda x: tf.nn.top_k(x, 2).values ** 2, [distinct]),
    GradCase("boolean_mask", {"Where", "GatherV2"}, lambda x: tf.boolean_mask(x, mask) ** 2, [distinct]),
]
CASES += [GradCase("top_k_unsorted_values", {"TopKV2"}, lambda x: tf.nn.top_k(x, 3, sorted=False).values ** 2,
                   [distinct])]
