"""The kernel plan, interpreted kernel by kernel with its memory plan, matches the eager reference."""
import numpy as np

import graphc as tf

from backend_util import run_compared


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
    x = tf.placeholder(tf.float32, [None, 6])
    labels = tf.placeholder(tf.float32, [None, 3])
    w1 = tf.Variable(rs.randn(6, 8).astype(np.float32) * 0.3)
    b1 = tf.Variable(np.zeros(8, np.float32))
    w2 = tf.Variable(rs.randn(8, 3).astype(np.float32) * 0.3)
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(h, w2)
    loss = tf.reduce_mean(tf.reduce_sum(tf.square(logits - labels), axis=1))
    grads = tf.gradients(loss, [w1, b1, w2])
    step = tf.group(*[tf.assign_sub(v, 0.05 * g) for v, g in zip([w1, b1, w2], grads)])
    feed = {x: rs.randn(4, 6), labels: rs.randn(4, 3)}
    compare_backends([loss, step], feed, steps=3)


def test_reads_before_in_place_update_see_old_values():
    v = tf.Variable(np.arange(4, dtype=np.float32))
    new = tf.assign(v, v * 10.0)
    compare_backends([v * 1.0, new, tf.reduce_sum(v)], steps=2)


def test_random_ops_and_views():
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, [2, 6])
    noise = tf.random_normal([2, 6])
    y = tf.reshape(x + noise, [3, 4])[1:, ::2]
    compare_backends([y], {x: np.ones((2, 6))}, steps=2)
