"""The kernel plan, interpreted kernel by kernel with its memory plan, matches the eager reference."""
import numpy as np

import graphc as tf

from backend_util import run_compared
from builders import noisy_view, read_then_assign, two_layer_mlp_sgd


def compare_backends(fetches, feed_dict=None, steps=1):
    """Runs the same program in an eager and an interpreting session; results and variables agree
    within the error bound of a correct evaluation (backend_util)."""
    eager, planned = tf.Session(backend="eager"), tf.Session(backend="interpret")
    init = tf.global_variables_initializer()
    run_compared(eager, planned, [init], None, "initializer")
    for step in range(steps):
        run_compared(eager, planned, _flat(fetches), feed_dict, f"step {step}")


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [y for i in x for y in _flat(i)]
    return [] if x is None else [x]


def test_elementwise_and_reductions():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.reduce_sum(tf.exp(x) * 2.0, axis=1)
    m = tf.reduce_max(x, axis=-1, keepdims=True)
    sm = tf.exp(x - m) / tf.reduce_sum(tf.exp(x - m), axis=-1, keepdims=True)
    compare_backends([y, sm], {x: np.random.RandomState(0).randn(3, 5)})


def test_mlp_training_step_matches_eager():
    rs = np.random.RandomState(1)
    x, labels, loss, step = two_layer_mlp_sgd(rs, "squared")
    feed = {x: rs.randn(4, 6), labels: rs.randn(4, 3)}
    compare_backends([loss, step], feed, steps=3)


def test_reads_before_in_place_update_see_old_values():
    compare_backends(read_then_assign(), steps=2)


def test_random_ops_and_views():
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, [2, 6])
    compare_backends([noisy_view(x)], {x: np.ones((2, 6))}, steps=2)
