"""Session: lifecycle, fetch structures, feeds, return types, defaults (behaviour recorded from TF1)."""
import collections

import numpy as np
import pytest

import graphc as tf


@pytest.fixture
def add_graph():
    a = tf.placeholder(tf.float32, name="a")
    b = tf.placeholder(tf.float32, name="b")
    return a, b, tf.add(a, b, name="y")


def test_readme_example(add_graph):
    a, b, y = add_graph
    with tf.Session() as sess:
        result = sess.run(y, feed_dict={a: 4, b: 5})
    assert result == 9.0
    assert type(result) is np.float32


def test_close_and_context_manager():
    c = tf.constant(1.0)
    sess = tf.Session()
    assert sess.run(c) == 1.0
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        sess.run(c)
    sess.close()  # closing twice is fine
    with tf.Session() as s2:
        assert tf.get_default_session() is s2
        assert s2.run(c) == 1.0
    assert tf.get_default_session() is None
    with pytest.raises(RuntimeError, match="closed Session"):
        s2.run(c)


def test_config_proto_and_target_are_accepted():
    c = tf.constant([1.0, 2.0])
    config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=False,
                            gpu_options=tf.GPUOptions(allow_growth=True),
                            inter_op_parallelism_threads=1, intra_op_parallelism_threads=1)
    with tf.Session(config=config) as sess:
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])
        assert sess.sess_str == ""
    with tf.Session("", config=tf.ConfigProto()) as sess:
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])


def test_fetch_structures():
    c = tf.constant([1.0, 2.0], name="c")
    d = c * 2.0
    with tf.Session() as sess:
        assert sess.run(c.op) is None
        out = sess.run([c, d])
        assert isinstance(out, list)
        np.testing.assert_array_equal(out[0], [1.0, 2.0])
        np.testing.assert_array_equal(out[1], [2.0, 4.0])
        out = sess.run((c, d.op))
        assert isinstance(out, tuple) and out[1] is None
        out = sess.run({"x": c, "y": [d, (c,)]})
        assert set(out) == {"x", "y"}
        np.testing.assert_array_equal(out["y"][0], [2.0, 4.0])
        assert isinstance(out["y"][1], tuple)
        np.testing.assert_array_equal(out["y"][1][0], [1.0, 2.0])
        Pair = collections.namedtuple("Pair", "p q")
        out = sess.run(Pair(c, d))
        assert isinstance(out, Pair)
        np.testing.assert_array_equal(out.q, [2.0, 4.0])
        ordered = sess.run(collections.OrderedDict([("z", c), ("a", d)]))
        assert isinstance(ordered, collections.OrderedDict) and list(ordered) == ["z", "a"]
        assert type(sess.run([c])) is list and type(sess.run((c,))) is tuple


def test_fetch_by_name_strings():
    tf.constant([1.0, 2.0], name="c")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run("c:0"), [1.0, 2.0])
        assert sess.run("c") is None  # an op name fetches the op
        out = sess.run(["c:0", "c"])
        np.testing.assert_array_equal(out[0], [1.0, 2.0])
        assert out[1] is None


def test_same_tensor_twice_and_a_variable():
    c = tf.constant([1.0, 2.0])
    v = tf.Variable([3.0, 4.0])
    with tf.Session() as sess:
        first, second = sess.run([c, c])
        assert first is second  # TF1 returns one array for a repeated fetch
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])
        np.testing.assert_array_equal(sess.run({"v": v})["v"], [3.0, 4.0])


def test_bad_fetches():
    tf.constant(1.0, name="c")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="Fetch argument 'nope:0' cannot be interpreted as a Tensor. "
                                             r"\(The name 'nope:0' refers to a Tensor which does not exist"):
            sess.run("nope:0")
        with pytest.raises(ValueError, match="refers to an Operation not in the graph"):
            sess.run("nope")
        for bad in (None, [None], {"a": None}):
            with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
                sess.run(bad)
        with pytest.raises(TypeError, match="Fetch argument 3 has invalid type <class 'int'>, must be a string "
                                            "or Tensor"):
            sess.run(3)


def test_fetch_from_another_graph_raises():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0, name="c")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="is not an element of this graph"):
            sess.run(c)
        with pytest.raises(TypeError, match="not an element of this graph"):
            sess.run(tf.constant(2.0), {c: 1.0})


def test_return_types():
    with tf.Session() as sess:
        assert type(sess.run(tf.constant(1))) is np.int32
        assert type(sess.run(tf.constant(True))) is np.bool_
        assert type(sess.run(tf.constant(1.0, tf.float64))) is np.float64
        assert type(sess.run(tf.constant(1.0))) is np.float32
        r = sess.run(tf.constant([1.0]))
        assert type(r) is np.ndarray and r.dtype == np.float32 and r.shape == (1,)


def test_fetching_a_fed_tensor_returns_the_fed_array():
    x = tf.placeholder(tf.float32, [], name="x")
    y = x * 2
    with tf.Session() as sess:
        r = sess.run(x, {x: 3})
        assert type(r) is np.ndarray and r.shape == () and r.dtype == np.float32 and r == 3.0
        rx, ry = sess.run([x, y], {x: 3})
        assert type(rx) is np.ndarray and type(ry) is np.float32 and ry == 6.0
        fed_y = sess.run(y, {y: 3})
        assert type(fed_y) is np.ndarray and fed_y == 3.0


def test_feed_keys_as_tensors_or_names(add_graph):
    a, b, y = add_graph
    with tf.Session() as sess:
        r = sess.run(y, {"a:0": 4, "b:0": [5, 6]})
        assert r.dtype == np.float32
        np.testing.assert_array_equal(r, [9.0, 10.0])
        assert sess.run(y, {a: 1, "a:0": 2, b: 2}) == 4.0  # the last value for one tensor wins
        with pytest.raises(TypeError, match="The name 'a' refers to an Operation, not a Tensor"):
            sess.run(y, {"a": 4, b: 5})
        with pytest.raises(TypeError, match="zzz:0"):
            sess.run(y, {"zzz:0": 1})
        with pytest.raises(TypeError, match="Can not convert a int"):
            sess.run(y, {3: 1})
        with pytest.raises(TypeError, match="Operation"):
            sess.run(y, {a: 1, b: 2, y.op: 1})
        with pytest.raises(TypeError, match="feed_dict must be a dict"):
            sess.run(y, feed_dict=[1])


def test_feeding_intermediate_tensors_cuts_the_graph():
    c = tf.constant([1.0, 2.0], name="c")
    d = c * 2.0
    e = d + 1.0
    x = tf.placeholder(tf.float32, name="x")
    needs_x = x * 0.0 + d
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(e, {d: [10.0, 20.0]}), [11.0, 21.0])
        np.testing.assert_array_equal(sess.run(e, {c: [0.5, 0.5]}), [2.0, 2.0])
        # feeding the intermediate makes the unfed placeholder above it unnecessary
        np.testing.assert_array_equal(sess.run(needs_x * 3.0, {needs_x: [1.0, 1.0]}), [3.0, 3.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="placeholder tensor 'x'"):
            sess.run(needs_x * 3.0)
        assert sess.run(x.op, {x: 1.0}) is None


def test_fed_tensor_keeps_fed_value_even_when_its_op_runs():
    c = tf.constant(2.0)
    d = c * 3.0
    with tf.control_dependencies([d]):
        f = tf.identity(c) + d
    with tf.Session() as sess:
        assert sess.run([f, d.op], {d: 10.0})[0] == 12.0
        assert sess.run(f, {d: 10.0}) == 12.0
        assert sess.run(f) == 8.0


def test_feed_values_are_converted_to_the_tensor_dtype():
    i = tf.placeholder(tf.int32, [2], name="i")
    b = tf.placeholder(tf.bool, name="flag")
    h = tf.placeholder(tf.float16, name="h")
    with tf.Session() as sess:
        r = sess.run(i, {i: [1.0, 2.0]})
        assert r.dtype == np.int32 and r.tolist() == [1, 2]
        r = sess.run(i * 2, {i: np.array([1, 2], dtype=np.int64)})
        assert r.dtype == np.int32 and r.tolist() == [2, 4]
        assert sess.run(b, {b: [1, 0]}).tolist() == [True, False]
        assert sess.run(h, {h: 1.5}).dtype == np.float16
        assert sess.run(h * 2, {h: 1.5}) == 3.0


def test_unconvertible_feed_values():
    a = tf.placeholder(tf.float32, name="a")
    z = tf.placeholder(tf.int32, name="z")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="a:0.*could not convert string to float"):
            sess.run(a, {a: "hello"})
        with pytest.raises(ValueError, match="a:0.*inhomogeneous"):
            sess.run(a, {a: [[1], [2, 3]]})
        with pytest.raises(TypeError, match="a:0.*dict"):
            sess.run(a, {a: {"x": 1}})
        with pytest.raises(TypeError, match="1099511627776.*z:0.*int64"):
            sess.run(z, {z: 2**40})


def test_feeding_a_tensor_value_raises_type_error():
    p = tf.placeholder(tf.float32, [2], name="p")
    c = tf.constant([1.0, 2.0])
    v = tf.Variable([1.0, 2.0])
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor object"):
            sess.run(p, {p: c})
        with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor object"):
            sess.run(p, {p: v})


def test_static_shape_check_of_feeds():
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    i = tf.placeholder(tf.int32, [2], name="i")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2, 4\) for Tensor 'p:0', which has "
                                             r"shape '\(\?, 3\)'"):
            sess.run(p, {p: np.zeros((2, 4))})
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3,\) for Tensor 'p:0'"):
            sess.run(p, {p: np.zeros(3)})
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3,\) for Tensor 'i:0', which has "
                                             r"shape '\(2,\)'"):
            sess.run(i, {i: [1, 2, 3]})
        assert sess.run(p, {p: np.zeros((0, 3))}).shape == (0, 3)


def test_make_callable(add_graph):
    a, b, y = add_graph
    c = tf.constant([1.0, 2.0])
    with tf.Session() as sess:
        f = sess.make_callable(y, [a, b])
        assert f(1, 2) == 3.0 and type(f(1, 2)) is np.float32
        assert f(3.0, 4.0) == 7.0
        out = sess.make_callable([y, c.op], [a, b])(1, 2)
        assert out[0] == 3.0 and out[1] is None
        np.testing.assert_array_equal(sess.make_callable(c)(), [1.0, 2.0])
        assert sess.make_callable({"k": y}, ["a:0", b])(1, 2) == {"k": 3.0}
        with pytest.raises(TypeError, match="takes 2 feed values"):
            f(1)


def test_interactive_session_and_eval():
    x = tf.placeholder(tf.float32, name="x")
    y = x * 2.0
    v = tf.Variable(3.0)
    sess = tf.InteractiveSession()
    try:
        assert tf.get_default_session() is sess
        v.initializer.run()
        assert v.eval() == 3.0
        assert y.eval({x: 2.0}) == 4.0
        assert y.eval(feed_dict={x: 5.0}) == 10.0
        assert v.assign(7.0).op.run() is None
        assert v.eval() == 7.0
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_interactive_session_makes_its_graph_default():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0, name="c")
    sess = tf.InteractiveSession(graph=g)
    try:
        assert tf.get_default_graph() is g
        assert c.eval() == 1.0
    finally:
        sess.close()
    assert tf.get_default_graph() is not g


def test_eval_with_explicit_session_and_as_default():
    c = tf.constant(2.0)
    sess = tf.Session()
    assert c.eval(session=sess) == 2.0
    with pytest.raises(ValueError, match="No default session is registered"):
        c.eval()
    with sess.as_default():
        assert tf.get_default_session() is sess
        assert c.eval() == 2.0
        assert (c * 3.0).eval() == 6.0
    assert tf.get_default_session() is None
    sess.close()


def test_as_default_keeps_the_default_graph_but_with_session_sets_it():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0)
    sess = tf.Session(graph=g)
    with sess.as_default():
        assert tf.get_default_graph() is not g  # TF1: only the session becomes default
        assert c.eval() == 1.0
    with sess:
        assert tf.get_default_graph() is g


def test_eval_in_a_session_of_another_graph_raises():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0)
    other = tf.Session()
    with pytest.raises(ValueError, match="graph is different"):
        c.eval(session=other)


def test_session_graph_argument():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(5.0)
    sess = tf.Session(graph=g)
    assert sess.graph is g
    assert sess.run(c) == 5.0
    assert tf.Session().graph is tf.get_default_graph()
    with pytest.raises(TypeError, match="must be a tf.Graph"):
        tf.Session(graph=3)


def test_nested_default_sessions():
    s1, s2 = tf.Session(), tf.Session()
    with s1.as_default():
        with s2.as_default():
            assert tf.get_default_session() is s2
        assert tf.get_default_session() is s1
    assert tf.get_default_session() is None


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="Unknown backend 'nope'"):
        tf.Session(backend="nope")


def test_repeated_runs_reuse_the_executable():
    x = tf.placeholder(tf.float32, [None])
    y = x * 2.0
    with tf.Session(backend="eager") as sess:
        for n in (1, 3, 5):
            np.testing.assert_array_equal(sess.run(y, {x: np.ones(n)}), np.full(n, 2.0))
        assert len(sess._cache) == 1
