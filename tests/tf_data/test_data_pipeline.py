"""tf.data transformations: element orders, values and static structure.

Expected values are literals recorded from TensorFlow 2.21.0 (tf.compat.v1, graph mode,
make_initializable_iterator + get_next until OutOfRangeError) unless a comment says otherwise.
"""
import threading
import time

import numpy as np
import pytest

import graphc as tf

D = tf.data.Dataset


def elements(ds, feed_dict=None, limit=1000):
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    out = []
    with tf.Session() as sess:
        sess.run(it.initializer, feed_dict)
        with pytest.raises(tf.errors.OutOfRangeError):
            for _ in range(limit):
                out.append(sess.run(nxt))
    return out


def ints(ds, **kw):
    return [int(x) for x in elements(ds, **kw)]


def test_range_filter_take_skip_repeat():
    assert ints(D.range(10).filter(lambda x: tf.equal(x % 3, 0))) == [0, 3, 6, 9]
    assert ints(D.range(10).skip(3).take(4)) == [3, 4, 5, 6]
    assert ints(D.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert ints(D.range(2, 11, 3)) == [2, 5, 8]
    assert ints(D.range(3).concatenate(D.range(5, 7))) == [0, 1, 2, 5, 6]
    assert D.range(3).output_types is tf.int64 and D.range(3).output_shapes.as_list() == []


def test_interleave_and_flat_map_orders():
    ds = D.range(1, 5).interleave(lambda x: D.from_tensors(x).repeat(x), cycle_length=2, block_length=2)
    assert ints(ds) == [1, 2, 2, 3, 3, 3, 4, 4, 4, 4]
    ds = D.range(1, 5).interleave(lambda x: D.from_tensors(x).repeat(x), cycle_length=3)
    assert ints(ds) == [1, 2, 3, 2, 3, 4, 3, 4, 4, 4]
    ds = D.range(1, 4).interleave(lambda x: D.range(x * 10, x * 10 + x), cycle_length=2, block_length=1)
    assert ints(ds) == [10, 20, 21, 30, 31, 32]
    assert ints(D.range(1, 4).flat_map(lambda x: D.range(x))) == [0, 0, 1, 0, 1, 2]


def test_padded_batch():
    rows = D.range(1, 6).map(lambda x: tf.fill([tf.cast(x, tf.int32)], x))
    pb = rows.padded_batch(2, padded_shapes=[None])
    assert [x.tolist() for x in elements(pb)] == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]],
                                                   [[5, 5, 5, 5, 5]]]
    assert pb.output_shapes.as_list() == [None, None] and pb.output_types is tf.int64
    pb2 = rows.padded_batch(2, padded_shapes=[6], padding_values=tf.constant(-1, tf.int64), drop_remainder=True)
    assert [x.tolist() for x in elements(pb2)] == [[[1, -1, -1, -1, -1, -1], [2, 2, -1, -1, -1, -1]],
                                                    [[3, 3, 3, -1, -1, -1], [4, 4, 4, 4, -1, -1]]]
    assert pb2.output_shapes.as_list() == [2, 6]


def test_dict_slices_batch_and_structure():
    d = D.from_tensor_slices({"a": np.arange(4.0), "b": np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.int32)})
    assert d.output_types == {"a": tf.float64, "b": tf.int32}
    assert {k: v.as_list() for k, v in d.output_shapes.items()} == {"a": [], "b": [2]}
    assert d.output_classes == {"a": tf.Tensor, "b": tf.Tensor}
    b = d.batch(3)
    assert {k: v.as_list() for k, v in b.output_shapes.items()} == {"a": [None], "b": [None, 2]}
    got = elements(b)
    np.testing.assert_array_equal(got[0]["a"], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(got[0]["b"], [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(got[1]["a"], [3.0])
    assert got[1]["b"].dtype == np.int32 and got[1]["b"].tolist() == [[7, 8]]
    dropped = d.batch(3, drop_remainder=True)
    assert {k: v.as_list() for k, v in dropped.output_shapes.items()} == {"a": [3], "b": [3, 2]}
    assert len(elements(dropped)) == 1


def test_python_lists_take_tf1_dtypes():
    assert D.from_tensor_slices([1.0, 2.0]).output_types is tf.float32
    assert D.from_tensor_slices([1, 2]).output_types is tf.int32
    assert D.from_tensors([[1, 2]]).output_shapes.as_list() == [1, 2]


def test_unbatch_zip_and_map_structures():
    assert ints(D.range(6).batch(4).unbatch()) == [0, 1, 2, 3, 4, 5]
    assert D.range(6).batch(4).unbatch().output_shapes.as_list() == []
    z = D.zip((D.range(3), D.from_tensor_slices([b"a", b"b", b"c", b"d"])))
    assert z.output_types == (tf.int64, tf.string)
    assert [(int(a), b) for a, b in elements(z)] == [(0, b"a"), (1, b"b"), (2, b"c")]
    pairs = D.from_tensor_slices((np.arange(3), np.arange(3) * 10)).map(lambda a, b: (a + b, a * b))
    assert [(int(a), int(b)) for a, b in elements(pairs)] == [(0, 0), (11, 10), (22, 40)]
    dicts = D.from_tensor_slices({"x": np.arange(2)}).map(lambda d: {"y": d["x"] * 2, "z": d["x"]})
    assert [{k: int(v) for k, v in e.items()} for e in elements(dicts)] == [{"y": 0, "z": 0}, {"y": 2, "z": 1}]


def test_from_generator_types_and_shapes():
    gen = D.from_generator(lambda: iter([(1, [1.0, 2.0]), (2, [3.0])]), (tf.int32, tf.float32),
                           (tf.TensorShape([]), tf.TensorShape([None])))
    got = elements(gen)
    assert [int(a) for a, _ in got] == [1, 2]
    assert got[0][1].dtype == np.float32 and got[0][1].tolist() == [1.0, 2.0] and got[1][1].tolist() == [3.0]
    n = tf.placeholder(tf.int64, [])
    counted = D.from_generator(lambda k: iter(range(k)), tf.int64, [], args=(n, ))
    assert ints(counted, feed_dict={n: 3}) == [0, 1, 2]
    bad = D.from_generator(lambda: iter([[1.0, 2.0]]), tf.float32, tf.TensorShape([3]))
    it = bad.make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
        sess.run(it)


def test_map_captures_a_placeholder_fed_to_the_initializer():
    x = tf.placeholder(tf.float32, [None])
    scale = tf.placeholder(tf.float32, [])
    it = D.from_tensor_slices(x).map(lambda v: v * scale).batch(2).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {x: [1, 2, 3], scale: 10.0})
        assert sess.run(nxt).tolist() == [10.0, 20.0]
        sess.run(it.initializer, {x: [5, 6], scale: 2.0})   # re-initialized with new data
        assert sess.run(nxt).tolist() == [10.0, 12.0]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_tensor_arguments_are_read_at_initialization():
    n = tf.placeholder(tf.int64, [])
    assert ints(D.range(10).take(n), feed_dict={n: 3}) == [0, 1, 2]
    size = tf.placeholder(tf.int64, [])
    got = elements(D.range(5).batch(size), feed_dict={size: 2})
    assert [g.tolist() for g in got] == [[0, 1], [2, 3], [4]]


def test_shuffle_is_a_seeded_permutation():
    # the exact orders against TF 2.21 are in test_data_tf_orders.py; here the properties
    first = ints(D.range(10).shuffle(4, seed=1))
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert ints(D.range(10).shuffle(4, seed=1)) == first
    # a buffer of 4 can only emit element i once at least i - 3 elements ... have been read
    assert all(pos >= value - 3 for pos, value in enumerate(first))


def test_shuffle_reshuffles_each_epoch_unless_told_not_to():
    epochs = ints(D.range(8).shuffle(8, seed=5).repeat(3))
    a, b, c = epochs[:8], epochs[8:16], epochs[16:]
    assert sorted(a) == sorted(b) == sorted(c) == list(range(8))
    assert len({tuple(a), tuple(b), tuple(c)}) > 1
    fixed = ints(D.range(8).shuffle(8, seed=5, reshuffle_each_iteration=False).repeat(3))
    assert fixed[:8] == fixed[8:16] == fixed[16:]


def test_shuffle_order_repeats_after_reinitialization():
    # TF 2.21: with a seed, re-running the initializer gives the same order again
    it = D.range(8).shuffle(8, seed=3).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        orders = []
        for _ in range(2):
            sess.run(it.initializer)
            orders.append([int(sess.run(nxt)) for _ in range(8)])
    assert orders[0] == orders[1] and sorted(orders[0]) == list(range(8))


def test_prefetch_produces_ahead_in_a_background_thread():
    produced = []

    def gen():
        for i in range(10):
            produced.append(threading.current_thread().name)
            yield i

    it = D.from_generator(gen, tf.int64, []).prefetch(3).make_one_shot_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 0
        deadline = time.time() + 5
        while len(produced) < 4 and time.time() < deadline:
            time.sleep(0.01)
        assert len(produced) >= 4            # one taken, three buffered while nobody asked
        assert set(produced) == {"graphc-prefetch"}
        assert [int(sess.run(nxt)) for _ in range(9)] == list(range(1, 10))


def test_cache_replays_instead_of_recomputing(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from range(3)

    assert ints(D.from_generator(gen, tf.int64, []).cache().repeat(3)) == [0, 1, 2] * 3
    assert len(calls) == 1
    path = str(tmp_path / "cache")
    assert ints(D.from_generator(gen, tf.int64, []).cache(path)) == [0, 1, 2]
    assert ints(D.from_generator(gen, tf.int64, []).cache(path)) == [0, 1, 2]
    assert len(calls) == 2                     # the second pipeline read the file


def test_batching_elements_of_different_shapes_is_an_error():
    ds = D.from_generator(lambda: iter([[1.0], [1.0, 2.0]]), tf.float32, [None]).batch(2)
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="Cannot batch tensors with different shapes in component 0"):
        sess.run(nxt)


def outcomes(ds, limit=20):
    """Each run's element (as a list) or "ERR" for an InvalidArgumentError, then "END"."""
    nxt = ds.make_one_shot_iterator().get_next()
    out = []
    with tf.Session() as sess:
        for _ in range(limit):
            try:
                out.append(sess.run(nxt).tolist())
            except tf.errors.InvalidArgumentError:
                out.append("ERR")
            except tf.errors.OutOfRangeError:
                out.append("END")
                break
    return out


def test_a_failing_map_element_is_an_error_and_the_rest_still_arrive():
    # TF 2.21, log(x) checked for NaN on [1, -1, 2, 3, -1, 4]: map and filter give
    # [v, ERR, v, v, ERR, v, END]; batch(2) fails the batches holding an error:
    # [ERR, [v, v], ERR, END]; shuffle reports an input error as soon as it reads it
    sizes = [2, 3, 2, 2, 3, 2]
    rows = D.from_generator(lambda: (np.full(n, n, np.float32) for n in sizes), tf.float32, [None])
    mapped = rows.map(lambda v: tf.reshape(v, [2]))
    assert outcomes(mapped) == [[2, 2], "ERR", [2, 2], [2, 2], "ERR", [2, 2], "END"]
    assert outcomes(mapped.filter(lambda v: v[0] > 0)) == outcomes(mapped)
    assert outcomes(mapped.batch(2)) == ["ERR", [[2, 2], [2, 2]], "ERR", "END"]
    shuffled = outcomes(mapped.shuffle(2, seed=1))
    assert shuffled.count("ERR") == 2 and shuffled.count([2, 2]) == 4 and shuffled[-1] == "END"
    zipped = D.zip((mapped, D.range(10))).map(lambda v, i: v + tf.cast(i, tf.float32))
    assert outcomes(zipped) == [[2, 2], "ERR", [4, 4], [5, 5], "ERR", [7, 7], "END"]


def test_apply_and_filter_checks():
    assert ints(D.range(5).apply(lambda ds: ds.skip(3))) == [3, 4]
    with pytest.raises(TypeError, match="must return a Dataset"):
        D.range(5).apply(lambda ds: 3)
    with pytest.raises(ValueError, match="scalar boolean"):
        D.range(5).filter(lambda x: x)


def test_parallel_map_keeps_the_order_and_uses_threads():
    values = np.arange(40, dtype=np.float32).reshape(10, 2, 2)
    ds = D.from_tensor_slices(values).map(lambda m: tf.matmul(m, m) + 1.0, num_parallel_calls=3)
    it = ds.make_one_shot_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        got = [sess.run(nxt) for _ in range(10)]
        workers = [t.name for t in threading.enumerate() if t.name.startswith("graphc-map")]
    np.testing.assert_array_equal(np.stack(got), values @ values + 1.0)
    assert workers
    auto = D.range(8).map(lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE)
    assert ints(auto) == [0, 2, 4, 6, 8, 10, 12, 14]


def test_parallel_map_of_a_random_function_runs_on_one_thread():
    # one Session per worker would repeat the same random stream on every worker
    ds = D.range(6).map(lambda x: tf.random_uniform([], seed=3), num_parallel_calls=3)
    values = [float(v) for v in elements(ds)]
    assert len(set(values)) == 6


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text(name)
    pattern = str(tmp_path / "*.txt")
    assert elements(D.list_files(pattern, shuffle=False)) == [str(tmp_path / n).encode() for n in ("a.txt", "b.txt")]
    assert sorted(elements(D.list_files(pattern, seed=1))) == [str(tmp_path / n).encode() for n in ("a.txt", "b.txt")]
    lines = D.list_files(pattern, shuffle=False).interleave(lambda f: tf.data.TextLineDataset(f), cycle_length=2)
    assert elements(lines) == [b"a.txt", b"b.txt"]
    nothing = D.list_files(str(tmp_path / "*.none")).make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="No files matched pattern"):
        sess.run(nothing)


def test_experimental_helpers():
    ds = D.range(5).apply(tf.data.experimental.map_and_batch(lambda x: x * 10, 2))
    assert [e.tolist() for e in elements(ds)] == [[0, 10], [20, 30], [40]]
    rep = ints(D.range(4).apply(tf.data.experimental.shuffle_and_repeat(4, count=2, seed=7)))
    assert sorted(rep[:4]) == sorted(rep[4:]) == [0, 1, 2, 3]
    assert ints(D.range(4).batch(3).apply(tf.data.experimental.unbatch())) == [0, 1, 2, 3]
    assert tf.data.get_output_types(D.range(1)) is tf.int64
    assert tf.data.get_output_shapes(D.range(1).batch(2)).as_list() == [None]


def test_map_then_batch_runs_once_per_batch_when_provably_the_same():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6, dtype=np.int32)
    scale = tf.placeholder(tf.float32, [])
    ds = D.from_tensor_slices((x, y)).map(lambda a, b: (tf.cast(a > 4.0, tf.float32) * a / scale, b + 1))
    batched = ds.batch(4)
    assert batched._batched_fn is not None                  # vectorized: one run per batch
    got = elements(batched, feed_dict={scale: 2.0})
    np.testing.assert_array_equal(got[0][0], np.where(x[:4] > 4, x[:4], 0) / 2)
    np.testing.assert_array_equal(got[1][0], x[4:] / 2)
    assert [g[1].tolist() for g in got] == [[1, 2, 3, 4], [5, 6]]
    assert len(elements(ds.batch(4, drop_remainder=True), feed_dict={scale: 1.0})) == 1


@pytest.mark.parametrize("fn", [
    lambda a, b: (tf.reshape(a, [2, 1]), b),                 # not elementwise
    lambda a, b: (tf.reduce_sum(a), b),                      # a reduction
    lambda a, b: (a * tf.cast(b, tf.float32), b),            # [2] with a per-element scalar: would misbroadcast
    lambda a, b: (a + tf.constant([1.0, 2.0]), b),           # a non-scalar constant
    lambda a, b: (a, 3),                                     # a result that is not per element
])
def test_map_then_batch_stays_per_element_otherwise(fn):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6, dtype=np.int32)
    mapped = D.from_tensor_slices((x, y)).map(fn)
    batched = mapped.batch(4)
    assert batched._batched_fn is None
    per_element = elements(mapped)
    got = elements(batched)
    for i, (a, b) in enumerate(per_element):
        np.testing.assert_array_equal(got[i // 4][0][i % 4], a)
        assert got[i // 4][1][i % 4] == b


def test_batches_gathered_from_slices_keep_the_element_order():
    # from_tensor_slices -> shuffle -> batch gathers rows by number; the order must be the one
    # the elements have without batching
    x = np.arange(22, dtype=np.float32).reshape(11, 2)
    names = np.array([b"r%d" % i for i in range(11)], dtype=object)
    one_by_one = elements(D.from_tensor_slices((x, names)).shuffle(5, seed=2))
    batched = elements(D.from_tensor_slices((x, names)).shuffle(5, seed=2).batch(3))
    assert [len(b) for b, _ in batched] == [3, 3, 3, 2]
    assert np.concatenate([b for b, _ in batched]).tolist() == [a.tolist() for a, _ in one_by_one]
    assert [n for _, ns in batched for n in ns] == [n for _, n in one_by_one]
    plain = elements(D.from_tensor_slices(x).batch(4, drop_remainder=True))
    assert np.concatenate(plain).tolist() == x[:8].tolist()


def test_shard():
    # TF 2.21: range(10).shard(3, 1) -> [1, 4, 7]; bad arguments are InvalidArgumentErrors
    assert ints(D.range(10).shard(3, 1)) == [1, 4, 7]
    for num, index, message in ((2, 3, r"Index must be between 0 and 1 \(currently index = 3\)."),
                                (0, 0, r"Number of shards must be greater than zero \(currently num_shards = 0\).")):
        nxt = D.range(10).shard(num, index).make_one_shot_iterator().get_next()
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sess.run(nxt)


def test_cache_file_keeps_strings_and_never_unpickles(tmp_path):
    path = str(tmp_path / "strings")
    rows = [(b"a", 0.0), (b"", 1.0), (b"xyz\x00", 2.0)]
    for _ in range(2):                                     # the second pipeline reads the file
        got = elements(D.from_generator(lambda: iter(rows), (tf.string, tf.float32), ([], [])).cache(path))
        assert [(s, float(v)) for s, v in got] == rows
    import pickle

    planted = tmp_path / "planted"
    planted.write_bytes(pickle.dumps([[np.array(1)]]))
    nxt = D.range(1).cache(str(planted)).make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError, match="not a dataset cache file"):
        sess.run(nxt)


def test_prefetch_of_in_memory_rows_stays_inline_until_elements_get_expensive(monkeypatch):
    from graphc.data import prefetch

    def prefetch_threads():
        return [t for t in threading.enumerate() if t.name == "graphc-prefetch"]

    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    orders = []
    for limit, threaded in ((prefetch.INLINE_LIMIT_S, False), (-1.0, True)):
        monkeypatch.setattr(prefetch, "INLINE_LIMIT_S", limit)
        nxt = D.from_tensor_slices(x).shuffle(20, seed=4).batch(2).repeat(2).prefetch(2).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = [sess.run(nxt) for _ in range(12)]
            assert bool(prefetch_threads()) is threaded   # a gather of microseconds needs no thread
            got += [sess.run(nxt) for _ in range(8)]
        rows = np.concatenate(got)
        assert sorted(rows[:20, 0].tolist()) == sorted(rows[20:, 0].tolist()) == x[:, 0].tolist()
        orders.append(rows)
    assert np.array_equal(orders[0], orders[1])            # the same order either way
