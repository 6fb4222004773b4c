"""Gradient checks of composite graphs: an MLP loss, a broadcast layer norm, second order through matmul."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(7)
xb = r.normal(size=(4, 5))
w1 = r.normal(size=(5, 6)) * 0.5
b1 = r.normal(size=(6,)) * 0.1
w2 = r.normal(size=(6, 3)) * 0.5
onehot = np.eye(3)[[0, 2, 1, 2]]


def mlp_loss(x, a, bias, b):
    h = tf.tanh(tf.matmul(x, a) + bias)
    logits = tf.matmul(h, b)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.constant(onehot), logits=logits))


def layer_norm(x, gamma, beta):
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    var = tf.reduce_mean(tf.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) * tf.rsqrt(var + 1e-3) * gamma + beta     # gamma, beta broadcast over rows


def matmul_second_order(a, b):
    y = tf.reduce_sum(tf.square(tf.matmul(a, b)))
    return tf.gradients(y, a)[0]


CASES = [
    GradCase("composite_mlp_loss", {"MatMul", "Tanh", "Add", "Mean"}, mlp_loss, [xb, w1, b1, w2]),
    GradCase("composite_layer_norm_broadcast", {"Mean", "Rsqrt", "Mul", "Add"}, layer_norm,
             [xb, r.uniform(0.5, 1.5, (5,)), r.normal(size=(5,))]),
    GradCase("composite_matmul_second_order", {"MatMul"}, matmul_second_order,
             [r.normal(size=(3, 4)), r.normal(size=(4, 2))]),
    GradCase("composite_batched_matmul_transposed", {"MatMul"},
             lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True) * 2.0,
             [r.normal(size=(2, 3, 4)), r.normal(size=(2, 5, 3))]),
]
