"""Random ops: TF1 names, dtypes, shapes, seeding and (loose) statistics."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends


def _op_names():
    return [op.name for op in tf.get_default_graph().get_operations()]


def test_random_normal_node_names():
    r = tf.random_normal([2, 3])
    assert r.name == "random_normal:0"
    assert r.dtype == tf.float32 and r.shape == [2, 3]
    assert _op_names() == ["random_normal/shape", "random_normal/mean", "random_normal/stddev",
                           "random_normal/RandomStandardNormal", "random_normal/mul", "random_normal"]


def test_truncated_normal_node_names():
    r = tf.truncated_normal([2, 3], 0.0, 1.0, seed=3)
    assert r.name == "truncated_normal:0"
    assert _op_names() == ["truncated_normal/shape", "truncated_normal/mean", "truncated_normal/stddev",
                           "truncated_normal/TruncatedNormal", "truncated_normal/mul", "truncated_normal"]


@pytest.mark.parametrize("args, name, ops", [
    ((0, None), "random_uniform/RandomUniform:0", ["shape", "RandomUniform"]),
    ((0.0, 1.0), "random_uniform:0", ["shape", "min", "max", "RandomUniform", "sub", "mul", ""]),
    ((0, 5), "random_uniform/Mul:0", ["shape", "min", "max", "RandomUniform", "Mul"]),
    ((0, 5.0), "random_uniform/Mul:0", ["shape", "min", "max", "RandomUniform", "Mul"]),
    ((1, 2), "random_uniform:0", ["shape", "min", "max", "RandomUniform", "sub", "mul", ""]),
])
def test_random_uniform_node_names(args, name, ops):
    r = tf.random_uniform([2], *args)
    assert r.name == name
    assert _op_names() == [f"random_uniform/{o}" if o else "random_uniform" for o in ops]


def test_random_uniform_int_and_named_ops():
    r = tf.random_uniform([2, 3], 0, 10, dtype=tf.int32)
    assert r.name == "random_uniform:0" and r.dtype == tf.int32
    assert [(op.name, op.type) for op in tf.get_default_graph().get_operations()] == [
        ("random_uniform/shape", "Const"), ("random_uniform/min", "Const"), ("random_uniform/max", "Const"),
        ("random_uniform", "RandomUniformInt")]
    assert tf.random_normal([2], name="foo").name == "foo:0"
    assert tf.random_uniform([2], -1.0, 1.0, name="u").name == "u:0"
    assert tf.random_uniform([2], 0, 5, dtype=tf.int64).dtype == tf.int64


def test_tensor_arguments_are_not_copied_into_the_scope():
    mean = tf.constant(2.0)
    tf.random_normal([2], mean=mean)
    assert "random_normal/mean" not in _op_names()
    assert "random_normal/stddev" in _op_names()


def test_dtype_errors():
    with pytest.raises(TypeError, match="float"):
        tf.random_normal([2], dtype=tf.int32)
    with pytest.raises(TypeError, match="float"):
        tf.truncated_normal([2], dtype=tf.bool)
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        tf.random_uniform([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="dtype must be one of"):
        tf.random_uniform([2], maxval=5, dtype=tf.bool)
    with pytest.raises(ValueError, match="minval must be a scalar"):
        tf.random_uniform([2], [0, 1], 5, dtype=tf.int32)


def test_dtypes_and_values_in_a_session():
    ops = {
        "n64": tf.random_normal([3], dtype=tf.float64),
        "n16": tf.random_normal([3], dtype=tf.float16),
        "u": tf.random_uniform([1000]),
        "u64": tf.random_uniform([3], dtype=tf.float64),
        "i32": tf.random_uniform([1000], 3, 7, dtype=tf.int32),
        "i64": tf.random_uniform([1000], -2, 2, dtype=tf.int64),
    }
    with tf.Session() as sess:
        out = sess.run(ops)
    assert out["n64"].dtype == np.float64 and out["n16"].dtype == np.float16
    assert out["u"].dtype == np.float32 and out["u"].min() >= 0.0 and out["u"].max() < 1.0
    assert out["u64"].dtype == np.float64
    assert out["i32"].dtype == np.int32 and set(out["i32"].tolist()) == {3, 4, 5, 6}
    assert out["i64"].dtype == np.int64 and set(out["i64"].tolist()) == {-2, -1, 0, 1}


def test_shapes_given_as_tensors():
    sh = tf.placeholder(tf.int32, [2])
    r = tf.random_normal(sh)
    assert r.shape.as_list() == [None, None]
    sh2 = tf.placeholder(tf.int32)
    assert tf.random_normal(sh2).shape.ndims is None
    x = tf.placeholder(tf.float32, [None, 4])
    r3 = tf.random_uniform(tf.shape(x))
    assert r3.shape.as_list() == [None, 4]
    assert tf.random_normal([tf.constant(2), 3]).shape.as_list() == [2, 3]
    assert tf.random_normal(np.array([2, 3])).shape.as_list() == [2, 3]
    assert tf.random_normal(tf.TensorShape([2, 3])).shape.as_list() == [2, 3]
    assert tf.random_normal((2,)).shape.as_list() == [2]
    with tf.Session() as sess:
        assert sess.run(r, {sh: [2, 5]}).shape == (2, 5)
        assert sess.run(r3, {x: np.zeros((3, 4))}).shape == (3, 4)
        assert sess.run(tf.random_normal(tf.constant([3]))).shape == (3,)
        scalar = sess.run(tf.random_normal([]))
        assert type(scalar) is np.float32


def test_int_range_must_be_nonempty_at_run_time():
    lo = tf.placeholder(tf.int32, [])
    r = tf.random_uniform([2], lo, 5, dtype=tf.int32)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval"):
            sess.run(r, {lo: 5})


# ---------------------------------------------------------------------------------------------
# seeding

def _build_seeded(graph_seed, op_seed=None):
    g = tf.Graph()
    with g.as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        a = tf.random_normal([4], seed=op_seed)
        b = tf.random_uniform([4], seed=op_seed)
    return g, a, b


def _two_runs(graph_seed, op_seed=None):
    g, a, b = _build_seeded(graph_seed, op_seed)
    with tf.Session(graph=g) as sess:
        return [sess.run([a, b]) for _ in range(2)]


def test_graph_seed_repeats_across_sessions_and_graphs():
    first = _two_runs(7)
    second = _two_runs(7)
    for (a1, b1), (a2, b2) in zip(first, second):
        np.testing.assert_array_equal(a1, a2)
        np.testing.assert_array_equal(b1, b2)
    # a second session on the same graph starts the same sequence again
    g, a, _ = _build_seeded(7)
    with tf.Session(graph=g) as s1, tf.Session(graph=g) as s2:
        np.testing.assert_array_equal(s1.run(a), s2.run(a))


def test_successive_runs_in_one_session_differ():
    (a1, b1), (a2, b2) = _two_runs(7)
    assert not np.array_equal(a1, a2)
    assert not np.array_equal(b1, b2)


def test_two_ops_under_one_graph_seed_differ():
    g, a, _ = _build_seeded(7)
    with g.as_default():
        c = tf.random_normal([4])
    with tf.Session(graph=g) as sess:
        va, vc = sess.run([a, c])
    assert not np.array_equal(va, vc)


def test_op_seed_alone_reproduces():
    first = _two_runs(None, op_seed=42)
    second = _two_runs(None, op_seed=42)
    np.testing.assert_array_equal(first[0][0], second[0][0])
    np.testing.assert_array_equal(first[1][1], second[1][1])
    other = _two_runs(None, op_seed=43)
    assert not np.array_equal(first[0][0], other[0][0])


def test_different_graph_seeds_differ():
    assert not np.array_equal(_two_runs(1)[0][0], _two_runs(2)[0][0])


def test_unseeded_runs_differ():
    first = _two_runs(None)
    second = _two_runs(None)
    assert not np.array_equal(first[0][0], second[0][0])
    assert not np.array_equal(first[0][0], first[1][0])


def test_failed_run_does_not_advance_a_seeded_stream():
    tf.set_random_seed(11)
    r = tf.random_normal([3])
    p = tf.placeholder(tf.float32, [None])
    q = tf.placeholder(tf.float32, [None])
    bad = r + p + q
    with tf.Session() as s1, tf.Session() as s2:
        with pytest.raises(tf.errors.InvalidArgumentError):
            s1.run(bad, {p: [1.0, 2.0, 3.0], q: [1.0, 2.0]})
        np.testing.assert_array_equal(s1.run(r), s2.run(r))


# ---------------------------------------------------------------------------------------------
# statistics (fixed seed, loose bounds)

def _sample(op):
    with tf.Session() as sess:
        return sess.run(op)


def test_random_normal_statistics():
    x = _sample(tf.random_normal([20000], mean=3.0, stddev=0.5, seed=1))
    assert x.mean() == pytest.approx(3.0, abs=0.02)
    assert x.std() == pytest.approx(0.5, rel=0.03)


def test_truncated_normal_statistics_and_bounds():
    x = _sample(tf.truncated_normal([20000], mean=-1.0, stddev=2.0, seed=1))
    assert np.all(np.abs(x + 1.0) <= 4.0)
    assert x.mean() == pytest.approx(-1.0, abs=0.05)
    assert x.std() == pytest.approx(2.0 * 0.87962566103423978, rel=0.03)


def test_random_uniform_statistics():
    x = _sample(tf.random_uniform([20000], -2.0, 6.0, seed=1))
    assert x.min() >= -2.0 and x.max() < 6.0
    assert x.mean() == pytest.approx(2.0, abs=0.1)
    assert x.std() == pytest.approx(8.0 / np.sqrt(12.0), rel=0.03)


def test_random_uniform_int_statistics():
    x = _sample(tf.random_uniform([20000], 0, 10, dtype=tf.int32, seed=1))
    counts = np.bincount(x, minlength=10)
    assert counts.shape == (10,)
    assert np.all(np.abs(counts - 2000) < 250)


@pytest.mark.parametrize("backend", [b for b in ("numba", "interpret", "triton") if b in available_backends()])
def test_seeded_random_ops_are_bit_identical_across_backends(backend):
    tf.set_random_seed(1234)
    x = tf.placeholder(tf.float32, [4, 5])
    noise = tf.random_normal([4, 5]) + tf.truncated_normal([4, 5], seed=3)
    u = tf.random_uniform([4, 5], seed=7)
    dropped = tf.nn.dropout(x, keep_prob=0.5, seed=11)
    fetches = [noise, u, dropped]
    feed = {x: np.ones((4, 5), np.float32)}
    eager = tf.Session(backend="eager")
    other = tf.Session(backend=backend)
    for _ in range(3):   # each run draws new numbers, identically in both sessions
        for a, b in zip(eager.run(fetches, feed), other.run(fetches, feed)):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
