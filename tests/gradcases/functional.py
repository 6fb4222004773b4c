"""Gradient checks through tf.map_fn, tf.scan, tf.foldl and tf.foldr (a While over TensorArrays)."""
import graphc as tf
from gradcheck import GradCase, rng

r = rng(41)
x32 = r.uniform(-1.0, 1.0, (3, 2))
y3 = r.uniform(0.5, 1.5, (3,))
w22 = r.uniform(-0.8, 0.8, (2, 2))

LOOP = {"While", "TensorArrayScatter", "TensorArrayStack"}   # reads and writes are inside the body


def _rnn_scan(x, w):
    return tf.scan(lambda h, row: tf.tanh(tf.matmul(h[None], w)[0] + row), x,
                   initializer=tf.zeros([2], dtype=x.dtype))


CASES = [
    GradCase("map_fn", LOOP, lambda x: tf.map_fn(lambda row: tf.sin(row) * row, x), [x32]),
    GradCase("map_fn_nested", LOOP,
             lambda x, y: tf.map_fn(lambda e: (e[0] * e[1], tf.reduce_sum(e[0] * e[0])), (x, y),
                                    dtype=(x.dtype, x.dtype))[0], [x32, y3]),
    GradCase("scan_captured_weight", LOOP, _rnn_scan, [x32, w22]),
    GradCase("scan_reverse_no_initializer", LOOP,
             lambda x: tf.scan(lambda a, row: a * tf.cos(row) + row, x, reverse=True), [x32]),
    GradCase("foldl", {"While", "TensorArrayScatter"},
             lambda x, y: tf.foldl(lambda a, e: a * e[1] + tf.exp(e[0]), (x, y)[0:2],
                                   initializer=tf.ones([2], dtype=x.dtype)), [x32, y3]),
    GradCase("foldr", {"While", "TensorArrayScatter"},
             lambda x: tf.foldr(lambda a, row: a * row + 1.0, x), [x32]),
]
