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


# Shuffle orders: TensorFlow 2.21.0 compat.v1 (graph mode) printed these for the same pipelines,
# seeds and graph seeds (make_initializable_iterator, get_next until OutOfRangeError). graphc must
# give the same element order: TF's seed derivation and its Philox stream, not just "a permutation".
SHUFFLE_PIPES = {
 # name: (graph seed or None, pipeline)
 "n10_b4_s1": (None, lambda: D.range(10).shuffle(4, seed=1)),
 "n10_b10_s1": (None, lambda: D.range(10).shuffle(10, seed=1)),
 "n10_b25_s1": (None, lambda: D.range(10).shuffle(25, seed=1)),
 "n10_b1_s1": (None, lambda: D.range(10).shuffle(1, seed=1)),
 "n12_b5_s0": (None, lambda: D.range(12).shuffle(5, seed=0)),
 "n20_b7_s123": (None, lambda: D.range(20).shuffle(7, seed=123)),
 "n8_b8_s5_rep3": (None, lambda: D.range(8).shuffle(8, seed=5).repeat(3)),
 "n8_b3_s5_rep3": (None, lambda: D.range(8).shuffle(3, seed=5).repeat(3)),
 "n5_b20_s2_rep3": (None, lambda: D.range(5).shuffle(20, seed=2).repeat(3)),
 "n8_b8_s5_fixed_rep3": (None, lambda: D.range(8).shuffle(8, seed=5, reshuffle_each_iteration=False).repeat(3)),
 "n8_b3_s5_fixed_rep2": (None, lambda: D.range(8).shuffle(3, seed=5, reshuffle_each_iteration=False).repeat(2)),
 "n6_b4_s9_batch2": (None, lambda: D.range(6).shuffle(4, seed=9).batch(2)),
 "n6_rep2_b4_s9": (None, lambda: D.range(6).repeat(2).shuffle(4, seed=9)),
 "sar_n4_b4_c2_s7": (None, lambda: D.range(4).apply(tf.data.experimental.shuffle_and_repeat(4, count=2, seed=7))),
 "sar_n6_b3_c3_s7": (None, lambda: D.range(6).apply(tf.data.experimental.shuffle_and_repeat(3, count=3, seed=7))),
 "map_n10_b6_s3": (None, lambda: D.range(10).map(lambda x: x * 2).shuffle(6, seed=3)),
 "two_shuffles": (None, lambda: D.range(10).shuffle(3, seed=1).shuffle(5, seed=2)),
 "slices_batch_n7_b5_s2": (None, lambda: D.from_tensor_slices(np.arange(7) * 10).shuffle(5, seed=2).batch(3)),
 "n200_b50_s77_rep2": (None, lambda: D.range(200).shuffle(50, seed=77).repeat(2)),
 "g42_op1_n10_b4": (42, lambda: D.range(10).shuffle(4, seed=1)),
 "g42_none_n10_b4": (42, lambda: D.range(10).shuffle(4)),
 "g42_none_two": (42, lambda: D.range(10).shuffle(4).shuffle(6)),
 "g7_none_n10_b10_rep2": (7, lambda: D.range(10).shuffle(10).repeat(2)),
 "g0_op0_n10_b10": (0, lambda: D.range(10).shuffle(10, seed=0)),
 # a random op made first takes the graph's op seed 0, so the shuffle gets 1
 "g11_after_random_uniform": (11, lambda: (tf.random_uniform([2]), D.range(10).shuffle(10))[1]),
}

SHUFFLE_EXPECTED = {
 "n10_b4_s1": [0, 4, 5, 1, 2, 7, 9, 8, 6, 3],
 "n10_b10_s1": [0, 9, 5, 1, 2, 7, 3, 8, 6, 4],
 "n10_b25_s1": [0, 9, 5, 1, 2, 7, 3, 8, 6, 4],
 "n10_b1_s1": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
 "n12_b5_s0": [2, 1, 5, 0, 7, 6, 10, 4, 3, 9, 8, 11],
 "n20_b7_s123": [6, 0, 8, 4, 9, 11, 2, 1, 10, 14, 12, 13, 16, 17, 7, 19, 5, 3, 15, 18],
 "n8_b8_s5_rep3": [5, 6, 7, 2, 0, 3, 4, 1, 4, 3, 5, 1, 7, 0, 6, 2, 3, 2, 7, 1, 4, 5, 6, 0],
 "n8_b3_s5_rep3": [1, 3, 4, 5, 2, 7, 0, 6, 2, 1, 0, 4, 5, 7, 6, 3, 2, 0, 4, 1, 6, 5, 3, 7],
 "n5_b20_s2_rep3": [0, 2, 4, 1, 3, 2, 4, 0, 1, 3, 2, 4, 1, 0, 3],
 "n8_b8_s5_fixed_rep3": [7, 5, 2, 0, 4, 6, 3, 1, 7, 5, 2, 0, 4, 6, 3, 1, 7, 5, 2, 0, 4, 6, 3, 1],
 "n8_b3_s5_fixed_rep2": [1, 3, 2, 5, 6, 4, 7, 0, 1, 3, 2, 5, 6, 4, 7, 0],
 "n6_b4_s9_batch2": [[0, 3], [5, 1], [2, 4]],
 "n6_rep2_b4_s9": [0, 3, 5, 2, 1, 1, 4, 4, 0, 5, 2, 3],
 "sar_n4_b4_c2_s7": [0, 2, 1, 3, 1, 0, 3, 2],
 "sar_n6_b3_c3_s7": [1, 2, 0, 3, 5, 4, 1, 0, 3, 2, 4, 5, 1, 3, 0, 2, 4, 5],
 "map_n10_b6_s3": [0, 2, 4, 6, 16, 8, 12, 14, 10, 18],
 "two_shuffles": [1, 5, 6, 0, 9, 7, 8, 3, 4, 2],
 "slices_batch_n7_b5_s2": [[0, 30, 50], [60, 10, 40], [20]],
 "n200_b50_s77_rep2": [
  47, 11, 8, 2, 38, 29, 5, 56, 43, 57, 41, 21, 25, 37, 16, 0, 17, 9, 67, 7, 55, 49, 44, 51, 13, 45, 52, 6, 20, 24,
  69, 72, 3, 82, 81, 75, 12, 76, 30, 53, 58, 1, 39, 28, 31, 94, 19, 50, 10, 96, 35, 85, 64, 4, 23, 14, 77, 97, 84,
  70, 60, 98, 104, 79, 111, 42, 107, 18, 36, 73, 114, 40, 22, 121, 66, 86, 83, 122, 117, 92, 62, 118, 130, 123, 59,
  80, 125, 74, 89, 65, 90, 120, 103, 91, 106, 129, 105, 27, 137, 113, 100, 99, 110, 78, 131, 34, 136, 150, 109, 147,
  124, 135, 138, 139, 127, 61, 48, 71, 146, 46, 161, 133, 33, 144, 128, 115, 162, 142, 126, 170, 101, 95, 87, 134,
  63, 171, 173, 148, 151, 26, 68, 145, 154, 164, 102, 93, 187, 169, 152, 175, 32, 112, 116, 143, 178, 180, 165, 153,
  183, 182, 156, 190, 166, 197, 160, 119, 196, 159, 192, 194, 198, 155, 172, 149, 179, 163, 141, 88, 184, 191, 158,
  168, 108, 177, 167, 157, 132, 199, 188, 54, 174, 185, 181, 195, 193, 186, 15, 176, 140, 189, 30, 12, 50, 28, 52,
  20, 29, 8, 39, 53, 27, 32, 22, 9, 3, 21, 4, 49, 63, 61, 55, 19, 45, 72, 31, 57, 11, 38, 24, 16, 75, 14, 76, 65, 68,
  79, 48, 59, 71, 85, 7, 66, 74, 70, 2, 91, 40, 26, 23, 69, 13, 87, 83, 89, 99, 81, 25, 97, 17, 77, 105, 54, 18, 56,
  51, 1, 86, 102, 67, 58, 88, 110, 80, 44, 10, 103, 111, 118, 93, 35, 120, 98, 94, 6, 127, 115, 107, 133, 95, 96,
  134, 36, 112, 100, 15, 62, 114, 146, 106, 143, 144, 34, 92, 124, 150, 137, 42, 41, 135, 84, 101, 132, 117, 82, 128,
  161, 131, 43, 119, 168, 139, 46, 123, 126, 47, 170, 163, 138, 172, 90, 109, 125, 152, 166, 108, 167, 130, 141, 151,
  73, 164, 64, 191, 182, 176, 140, 104, 155, 188, 154, 187, 142, 192, 171, 162, 156, 5, 195, 185, 175, 147, 113, 159,
  157, 116, 186, 37, 60, 190, 148, 193, 197, 160, 189, 178, 158, 177, 0, 198, 179, 180, 173, 136, 165, 181, 184, 183,
  174, 129, 196, 194, 149, 153, 121, 169, 199, 122, 78, 145, 33],
 "g42_op1_n10_b4": [1, 2, 3, 0, 7, 6, 9, 8, 5, 4],
 "g42_none_n10_b4": [2, 3, 5, 0, 4, 1, 7, 8, 9, 6],
 "g42_none_two": [0, 7, 1, 2, 6, 3, 4, 9, 5, 8],
 "g7_none_n10_b10_rep2": [7, 3, 9, 0, 6, 1, 8, 2, 5, 4, 9, 7, 4, 8, 3, 0, 5, 6, 2, 1],
 "g0_op0_n10_b10": [4, 9, 1, 0, 7, 3, 5, 2, 8, 6],
 "g11_after_random_uniform": [3, 4, 7, 6, 9, 8, 5, 2, 1, 0],
}


def _drain(sess, nxt, limit=1000):
    got = []
    with pytest.raises(tf.errors.OutOfRangeError):
        for _ in range(limit):
            got.append(_plain(sess.run(nxt)))
    return got


@pytest.mark.parametrize("name", sorted(SHUFFLE_PIPES))
def test_shuffle_order_matches_tensorflow(name):
    graph_seed, build = SHUFFLE_PIPES[name]
    with tf.Graph().as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        it = build().make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer)
            assert _drain(sess, nxt) == SHUFFLE_EXPECTED[name]


def test_reinitialized_shuffle_repeats_tensorflows_orders():
    # TF 2.21: each run of the initializer makes the dataset anew, so its seeds start over
    expected = [4, 2, 1, 0, 3, 6, 5, 7, 0, 5, 4, 6, 1, 2, 3, 7]
    with tf.Graph().as_default():
        it = D.range(8).shuffle(8, seed=3).repeat(2).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            for _ in range(2):
                sess.run(it.initializer)
                assert _drain(sess, nxt) == expected


def test_list_files_order_matches_tensorflow(tmp_path):
    # TF 2.21 listed a.txt .. f.txt in this order for seed=3, two epochs
    for n in "abcdef":
        (tmp_path / f"{n}.txt").write_text(n)
    with tf.Graph().as_default():
        it = D.list_files(str(tmp_path / "*.txt"), seed=3).repeat(2).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer)
            names = []
            with pytest.raises(tf.errors.OutOfRangeError):
                for _ in range(20):
                    names.append(sess.run(nxt).decode().rsplit("/", 1)[-1])
    assert names == ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt",
                     "a.txt", "e.txt", "b.txt", "f.txt", "d.txt", "c.txt"]


def test_philox_matches_the_published_known_answer():
    # Philox4x32-10, counter 0 and key 0 (Random123's kat_vectors; TF's PhiloxRandom is this generator)
    from graphc.data.philox import philox_blocks
    assert philox_blocks(0, 0, 0, 1).tolist() == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]


@pytest.mark.parametrize("n, buffer_size", [(0, 3), (1, 1), (7, 1), (10, 4), (10, 10), (10, 25), (257, 31)])
def test_row_permutation_is_the_element_order(n, buffer_size):
    # batches of from_tensor_slices rows use the whole epoch's permutation at once
    from graphc.data.philox import PhiloxStream, philox_blocks
    from graphc.data.transforms import _shuffle_buffer, _shuffled_range
    one_by_one = list(_shuffle_buffer(iter(range(n)), buffer_size, PhiloxStream(5, 9)))
    at_once = _shuffled_range(n, buffer_size, philox_blocks(5, 9, 0, (n + 3) // 4)[:n]).tolist()
    assert at_once == one_by_one and sorted(at_once) == list(range(n))
