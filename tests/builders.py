"""Graphs that several test files build, defined once so the files agree on what they run.

Each builder adds its nodes to the default graph (conftest.py gives every test a fresh one) and
returns the tensors a test feeds and fetches.
"""
from typing import Any, Optional

import numpy as np

import graphc as tf


def gelu(x: Any) -> Any:
    """The tanh approximation of GELU: a chain of a dozen pointwise ops that fuses into one kernel."""
    return 0.5 * x * (1 + tf.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


def two_layer_mlp_sgd(rs: np.random.RandomState, loss: str = "squared") -> tuple:
    """A 6-8-3 ReLU network and one SGD step (learning rate 0.05) written with tf.gradients and
    assign_sub; ``loss`` is "squared" (per-row sum of squares, mean over rows) or "softmax_xent".
    Returns (x, labels, loss, step)."""
    x = tf.placeholder(tf.float32, [None, 6])
    labels = tf.placeholder(tf.float32, [None, 3])
    w1 = tf.Variable((rs.randn(6, 8) * 0.3).astype(np.float32))
    b1 = tf.Variable(np.zeros(8, np.float32))
    w2 = tf.Variable((rs.randn(8, 3) * 0.3).astype(np.float32))
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2)
    losses = {
        "squared": lambda: tf.reduce_sum(tf.square(logits - labels), axis=1),
        "softmax_xent": lambda: tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits),
    }
    mean_loss = tf.reduce_mean(losses[loss]())
    grads = tf.gradients(mean_loss, [w1, b1, w2])
    step = tf.group(*[tf.assign_sub(v, 0.05 * g) for v, g in zip([w1, b1, w2], grads)])
    return x, labels, mean_loss, step


def linear_sgd() -> tuple:
    """x [None, 3] -> matmul with w (ones [3, 2]) -> mean of squares, and a GradientDescent step
    named "train"; the nodes are named x, w, loss. Returns (x, loss, train)."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(tf.ones([3, 2]), name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)), name="loss")
    return x, loss, tf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")


def dense_adam(kernel_initializer: Any, learning_rate: float, targets: Optional[Any] = None) -> tuple:
    """TF1's names for a 3->2 dense layer (dense/kernel, dense/bias) trained by Adam on the mean
    squared output (minus ``targets`` when given), with a global step. Returns (x, kernel, bias,
    loss, train)."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.variable_scope("dense"):
        kernel = tf.get_variable("kernel", [3, 2], initializer=kernel_initializer)
        bias = tf.get_variable("bias", [2], initializer=tf.zeros_initializer())
    out = tf.matmul(x, kernel) + bias
    if targets is not None:
        out = out - targets
    loss = tf.reduce_mean(tf.square(out), name="loss")
    train = tf.train.AdamOptimizer(learning_rate).minimize(loss, global_step=tf.train.get_or_create_global_step())
    return x, kernel, bias, loss, train


def read_then_assign() -> list:
    """Reads of a variable around an assign in one run: [v * 1.0, assign(v, v * 10), sum(v)]; the
    reads must see the value from before the run (TF1 orders them by data dependence only)."""
    v = tf.Variable(np.arange(4, dtype=np.float32))
    return [v * 1.0, tf.assign(v, v * 10.0), tf.reduce_sum(v)]


def noisy_view(x: Any) -> Any:
    """``x`` ([2, 6]) plus normal noise, reshaped to [3, 4] and sliced to [2, 2] with a step."""
    return tf.reshape(x + tf.random_normal([2, 6]), [3, 4])[1:, ::2]


def slices_transpose_concat(x: Any) -> Any:
    """Movement ops on ``x`` ([4, 6]): strided slices, a transpose and a concat, giving [3, 6]."""
    return tf.concat([x[1:, ::2], tf.reshape(tf.transpose(x), [4, 6])[:3, :3]], axis=1)
