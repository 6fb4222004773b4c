"""Gradient checks for convolution and pooling (graphc/ops/conv.py) and the tf.nn compositions
moments, batch_normalization and embedding_lookup (graphc/ops/nn.py).

Dropout is checked in tests/ops/test_conv.py instead: graphc's random stream advances on every
sess.run, so the perturbed runs of a central-difference check would each draw a new mask; that
test feeds the RandomUniform output to hold the mask fixed.
"""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(11)
image = r.standard_normal((2, 5, 4, 2))
kernel = r.standard_normal((3, 2, 2, 3))
dy_same_s2 = r.standard_normal((2, 3, 2, 3))          # conv2d(image, kernel, 2, SAME) output shape
small_image = r.standard_normal((1, 5, 5, 1))
dilated_kernel = r.standard_normal((2, 2, 1, 2))
# distinct values at least 0.1 apart, so no window of a max pool has a tie within the check's delta
distinct = (r.permutation(2 * 5 * 4 * 2) * 0.1 - 3.0).reshape(2, 5, 4, 2)
pool_out = r.standard_normal((2, 3, 2, 2))            # max_pool(distinct, 2, 2, SAME) output shape
upstream = r.standard_normal((2, 5, 4, 2))
positive = r.uniform(0.5, 2.0, (4,))
rows = r.standard_normal((4, 3))
table = r.uniform(0.5, 1.5, (5, 3))                    # every row's norm > 0.5: max_norm clips some
ids = np.array([[0, 3], [3, 4]], dtype=np.int32)


def _max_pool(x):
    return tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")


def _max_pool_grad(x, g):
    return tf.gradients(_max_pool(x), x, grad_ys=g)[0]


def _max_pool_grad_grad(x, g, u):
    return tf.gradients(_max_pool_grad(x, g), g, grad_ys=u)[0]


def _avg_pool(x):
    return tf.nn.avg_pool(x, [1, 3, 2, 1], [1, 2, 2, 1], "SAME")


def _avg_pool_grad(x, g):
    return tf.gradients(_avg_pool(x), x, grad_ys=g)[0]


CASES = [
    GradCase("conv2d_same_stride2", {"Conv2D"},
             lambda x, w: tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), [image, kernel]),
    GradCase("conv2d_valid_dilated", {"Conv2D"},
             lambda x, w: tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID", dilations=[1, 2, 2, 1]),
             [small_image, dilated_kernel]),
    GradCase("conv2d_backprop_input", {"Conv2DBackpropInput"},
             lambda w, dy: tf.nn.conv2d_backprop_input([2, 5, 4, 2], w, dy, [1, 2, 2, 1], "SAME"),
             [kernel, dy_same_s2]),
    GradCase("conv2d_backprop_filter", {"Conv2DBackpropFilter"},
             lambda x, dy: tf.nn.conv2d_backprop_filter(x, [3, 2, 2, 3], dy, [1, 2, 2, 1], "SAME"),
             [image, dy_same_s2]),
    GradCase("max_pool_same", {"MaxPool"}, _max_pool, [distinct]),
    GradCase("max_pool_overlapping_valid", {"MaxPool"},
             lambda x: tf.nn.max_pool(x, [1, 3, 2, 1], [1, 1, 1, 1], "VALID"), [distinct]),
    GradCase("max_pool_grad", {"MaxPoolGrad"}, _max_pool_grad, [distinct, pool_out]),
    GradCase("max_pool_grad_grad", {"MaxPoolGradGrad"}, _max_pool_grad_grad, [distinct, pool_out, upstream],
             wrt=[0, 2]),
    GradCase("avg_pool_same", {"AvgPool"}, _avg_pool, [image]),
    GradCase("avg_pool_grad", {"AvgPoolGrad"}, _avg_pool_grad, [image, pool_out]),
    GradCase("nn_moments", {"Mean", "Squeeze", "StopGradient"},
             lambda x: tf.add(*tf.nn.moments(x, [0, 1, 2])), [image]),
    GradCase("nn_batch_normalization", {"Rsqrt", "Mul", "Sub"},
             lambda x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
             [rows, r.standard_normal((3,)), positive[:3], r.standard_normal((3,)), r.standard_normal((3,))]),
    GradCase("nn_embedding_lookup_max_norm", {"GatherV2", "Sqrt", "Maximum"},
             lambda p: tf.nn.embedding_lookup(p, tf.constant(ids), max_norm=1.2), [table]),
]
