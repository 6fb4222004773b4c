"""Gradient checks through tf.cond and tf.while_loop (float64): each branch, captured weights,
nested loops, a loop inside a cond, a cond inside a loop."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(11)
v3 = r.normal(size=(3,))
m23 = r.normal(size=(2, 3))
w33 = r.normal(size=(3, 3)) * 0.4


def cond_branch(taken: bool):
    def build(x, y):
        p = tf.reduce_sum(x) > 0 if taken else tf.reduce_sum(x) < -100.0
        return tf.cond(p, lambda: tf.sin(x) * y, lambda: tf.square(x - y))
    return build


def rnn_like(x, w):
    """h <- tanh(h w + x), 4 steps, w captured."""
    _, h = tf.while_loop(lambda i, h: i < 4, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w) + x)),
                         [tf.constant(0), tf.zeros_like(x)])
    return h


def nested_loops(x, w):
    def outer(i, h):
        _, h2 = tf.while_loop(lambda j, g: j < 2, lambda j, g: (j + 1, tf.tanh(tf.matmul(g, w))),
                              [tf.constant(0), h])
        return i + 1, h2 + x
    return tf.while_loop(lambda i, h: i < 3, outer, [tf.constant(0), x])[1]


def nested_transposed_weight(x, w):
    """The inner loop reads w transposed: a transpose built once in the root graph
    (FuncGraph.hoisted_transpose), differentiated through both loops."""
    def outer(i, h):
        _, h2 = tf.while_loop(lambda j, g: j < 2,
                              lambda j, g: (j + 1, tf.tanh(tf.matmul(g, w, transpose_b=True))), [tf.constant(0), h])
        return i + 1, h2 * x
    return tf.while_loop(lambda i, h: i < 2, outer, [tf.constant(0), x])[1]


def loop_in_cond(x, w):
    def loop():
        return tf.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.sin(tf.matmul(h, w))), [0, x])[1]
    return tf.cond(tf.reduce_sum(w) > -100.0, loop, lambda: x * 2.0)


def cond_in_loop(x, w):
    def body(i, h):
        h2 = tf.cond(tf.equal(i % 2, 0), lambda: tf.tanh(tf.matmul(h, w)), lambda: h * x)
        return i + 1, h2
    return tf.while_loop(lambda i, h: i < 4, body, [tf.constant(0), x])[1]


def bounded_loop(x):
    """maximum_iterations stops the loop before its condition does."""
    return tf.while_loop(lambda h: tf.reduce_sum(h) < 1e9, lambda h: h * tf.cos(h) + 1.0, [x],
                         maximum_iterations=3)


def loop_second_order(x, w):
    """The gradient of a loop, differentiated again (its gradient loop reads the recorded stacks)."""
    y = tf.reduce_sum(tf.square(rnn_like(x, w)))
    return tf.gradients(y, w)[0]


def cond_second_order(x, y):
    z = tf.reduce_sum(tf.square(cond_branch(True)(x, y)))
    return tf.gradients(z, x)[0]


CASES = [
    GradCase("cond_then_branch", {"If"}, cond_branch(True), [np.abs(v3) + 0.1, v3]),
    GradCase("cond_else_branch", {"If"}, cond_branch(False), [v3, v3[::-1].copy()]),
    GradCase("while_captured_weight", {"While"}, rnn_like, [m23, w33]),
    GradCase("while_nested_loops", {"While"}, nested_loops, [m23, w33]),
    GradCase("while_nested_transposed_weight", {"While"}, nested_transposed_weight, [m23, w33]),
    GradCase("while_inside_cond", {"If"}, loop_in_cond, [m23, w33]),
    GradCase("cond_inside_while", {"While"}, cond_in_loop, [m23 * 0.5, w33]),
    GradCase("while_maximum_iterations", {"While"}, bounded_loop, [v3 * 0.3]),
    GradCase("while_second_order", {"While"}, loop_second_order, [m23, w33], atol=1e-5, rtol=1e-4),
    GradCase("cond_second_order", {"If"}, cond_second_order, [np.abs(v3) + 0.1, v3], atol=1e-5, rtol=1e-4),
]
