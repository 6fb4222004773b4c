"""Element orders of tf.data pipelines against TensorFlow 2.21.0 (tf.compat.v1, graph mode).

EXPECTED holds what TensorFlow printed for the same pipelines (make_initializable_iterator, then
get_next until OutOfRangeError; values through JSON, so tuples are lists).
"""
import json

import numpy as np
import pytest

import graphc as tf

D = tf.data.Dataset

# the same pipelines, built with tf.compat.v1 in TensorFlow 2.21.0, gave EXPECTED
pipes = {
 "repeat_batch": lambda: D.range(7).repeat(2).batch(3),
 "batch_repeat_drop": lambda: D.range(7).batch(3, drop_remainder=True).repeat(2),
 "skip_take_neg": lambda: D.range(5).skip(-1).take(-1),
 "skip_all": lambda: D.range(5).skip(10),
 "take_zero": lambda: D.range(5).take(0),
 "repeat0": lambda: D.range(3).repeat(0),
 "filter_batch": lambda: D.range(20).filter(lambda x: x % 3 > 0).batch(4),
 "zip_dict": lambda: D.zip({"a": D.range(3), "b": D.range(10, 14)}),
 "concat": lambda: D.range(2).concatenate(D.range(5, 8)).batch(2),
 "unbatch_map": lambda: D.range(10).batch(3).map(lambda x: x * 2).unbatch(),
 "flat_map_zip": lambda: D.range(1, 4).flat_map(lambda x: D.zip((D.range(x), D.range(x).map(lambda y: y * 10)))),
 "interleave_bl3": lambda: D.range(1, 6).interleave(lambda x: D.range(x).map(lambda y: x * 100 + y),
                                                   cycle_length=2, block_length=3),
 "padded_nested": lambda: D.range(1, 5).map(lambda x: (tf.fill([tf.cast(x, tf.int32)], x), x)).padded_batch(
     3, padded_shapes=([None], [])),
 "from_tensors_repeat": lambda: D.from_tensors(np.arange(3)).repeat(2).unbatch(),
 "slices_tuple_batch": lambda: D.from_tensor_slices((np.arange(5), np.arange(5) * 1.5)).batch(2),
 "map_filter_map": lambda: D.range(10).map(lambda x: x * x).filter(lambda x: x > 10).map(lambda x: x - 1),
 "cache_repeat": lambda: D.range(3).cache().repeat(2),
 "prefetch_take": lambda: D.range(100).prefetch(5).take(4),
}

EXPECTED = {
    'repeat_batch': [[0, 1, 2], [3, 4, 5], [6, 0, 1], [2, 3, 4], [5, 6]],
    'batch_repeat_drop': [[0, 1, 2], [3, 4, 5], [0, 1, 2], [3, 4, 5]],
    'skip_take_neg': [],
    'skip_all': [],
    'take_zero': [],
    'repeat0': [],
    'filter_batch': [[1, 2, 4, 5], [7, 8, 10, 11], [13, 14, 16, 17], [19]],
    'zip_dict': [{"a": 0, "b": 10}, {"a": 1, "b": 11}, {"a": 2, "b": 12}],
    'concat': [[0, 1], [5, 6], [7]],
    'unbatch_map': [0, 2, 4, 6, 8, 10, 12, 14, 16, 18],
    'flat_map_zip': [[0, 0], [0, 0], [1, 10], [0, 0], [1, 10], [2, 20]],
    'interleave_bl3': [100, 200, 201, 300, 301, 302, 400, 401, 402, 403, 500, 501, 502, 503, 504],
    'padded_nested': [[[[1, 0, 0], [2, 2, 0], [3, 3, 3]], [1, 2, 3]], [[[4, 4, 4, 4]], [4]]],
    'from_tensors_repeat': [0, 1, 2, 0, 1, 2],
    'slices_tuple_batch': [[[0, 1], [0.0, 1.5]], [[2, 3], [3.0, 4.5]], [[4], [6.0]]],
    'map_filter_map': [15, 24, 35, 48, 63, 80],
    'cache_repeat': [0, 1, 2, 0, 1, 2],
    'prefetch_take': [0, 1, 2, 3],
}


def _plain(value):
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


@pytest.mark.parametrize("name", sorted(pipes))
def test_element_order_matches_tensorflow(name):
    it = pipes[name]().make_initializable_iterator()
    nxt = it.get_next()
    got = []
    with tf.Session() as sess:
        sess.run(it.initializer)
        with pytest.raises(tf.errors.OutOfRangeError):
            for _ in range(100):
                got.append(_plain(sess.run(nxt)))
    assert got == EXPECTED[name]
