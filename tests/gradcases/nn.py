"""Gradient checks for tf.nn (graphc/ops/nn.py) and tf.losses compositions."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(7)
logits = r.uniform(-2.0, 2.0, (3, 4))
probs = r.uniform(0.1, 1.0, (3, 4))
probs = probs / probs.sum(axis=1, keepdims=True)    # rows are distributions (the xent contract)
binary = r.uniform(0.0, 1.0, (3, 4))
away = np.array([[-1.5, -0.7, 0.4, 2.1], [0.9, 6.5, -0.2, 5.5], [3.3, -4.0, 7.2, 0.05]])  # off 0 and 6
bias = r.uniform(-1.0, 1.0, (4,))
fmap = r.uniform(-1.0, 1.0, (2, 3, 2, 2))
channels = r.uniform(-1.0, 1.0, (3,))
labels = np.array([3, 0, 2], dtype=np.int32)
with_zero = np.array([[0.0, -1.3, 2.2], [0.7, -0.4, 0.0]])   # logits at exactly 0 (the where kink)

CASES = [
    GradCase("nn_relu6", {"Relu", "Minimum"}, tf.nn.relu6, [away]),
    GradCase("nn_leaky_relu", {"Select", "Greater"}, lambda x: tf.nn.leaky_relu(x, alpha=0.3), [away]),
    GradCase("nn_softsign", {"Abs", "RealDiv"}, tf.nn.softsign, [away]),
    GradCase("nn_softmax", {"Max", "Exp", "Sum", "RealDiv"}, tf.nn.softmax, [logits]),
    GradCase("nn_softmax_axis0", {"Max", "Exp", "Sum"}, lambda x: tf.nn.softmax(x, axis=0), [logits]),
    GradCase("nn_log_softmax", {"Max", "Exp", "Sum", "Log", "Sub"}, tf.nn.log_softmax, [logits]),
    GradCase("nn_bias_add", {"Add"}, tf.nn.bias_add, [logits, bias]),
    GradCase("nn_bias_add_nchw", {"Add", "Reshape"}, lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"),
             [fmap, channels]),
    GradCase("nn_l2_loss", {"Square", "Sum"}, tf.nn.l2_loss, [logits]),
    GradCase("nn_softmax_xent_v2_logits_and_labels", {"Exp", "Log", "Sum", "Mul"},
             lambda y, x: tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x), [probs, logits]),
    GradCase("nn_softmax_xent_v1_logits", {"Exp", "Log", "Sum", "StopGradient"},
             lambda y, x: tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x), [probs, logits], wrt=[1]),
    GradCase("nn_sparse_softmax_xent", {"SparseLabelsOneHot", "Exp", "Log", "Sum"},
             lambda y, x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x), [labels, logits]),
    GradCase("nn_sigmoid_xent", {"Select", "GreaterEqual", "Log1p", "Exp"},
             lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x), [binary, logits]),
    GradCase("nn_sigmoid_xent_at_zero", {"Select", "Log1p"},
             lambda x: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(binary[:2, :3]), logits=x),
             [with_zero], delta=1e-7),
    GradCase("losses_mean_squared_error", {"Square", "Cast"},
             lambda y, p: tf.losses.mean_squared_error(y, p, weights=[[1.0], [0.0], [2.0]]), [probs, logits],
             atol=2e-4, rtol=1e-3, delta=1e-2),
]
