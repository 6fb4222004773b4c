"""Gradient checks for the sequence ops (graphc/ops/sequence.py)."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(14)
x234 = r.uniform(-2.0, 2.0, (2, 3, 4))
x3245 = r.uniform(-2.0, 2.0, (3, 2, 4, 5))


def squared_weighted(t):
    """A loss whose gradient differs per position, so a wrong reversal shows."""
    weights = np.arange(1.0, 1.0 + np.prod(t.shape.as_list())).reshape(t.shape.as_list())
    return tf.square(t) * weights


CASES = [
    GradCase("reverse_sequence", {"ReverseSequence"},
             lambda a, n: squared_weighted(tf.reverse_sequence(a, n, seq_axis=1, batch_axis=0)),
             [x234, np.array([2, 3], np.int32)], wrt=[0]),
    GradCase("reverse_sequence_batch_after_seq", {"ReverseSequence"},
             lambda a, n: squared_weighted(tf.reverse_sequence(a, n, seq_dim=0, batch_dim=2)),
             [x3245, np.array([3, 0, 1, 2], np.int64)], wrt=[0]),
]
