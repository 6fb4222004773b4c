"""Variables, get_variable, initializers, assigns and the read/assign semantics of one run."""
import math

import numpy as np
import pytest

import graphc as tf


def _init_and_run(*fetches):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(list(fetches))


# ---------------------------------------------------------------------------------------------
# tf.Variable

def test_variable_dtypes_shapes_and_values():
    v = tf.Variable([1.0, 2.0], name="v")
    w = tf.Variable(lambda: tf.constant(3.0), name="w")  # callable initial value
    k = tf.Variable(5, name="k")
    f64 = tf.Variable(1, dtype=tf.float64, name="f64")
    nt = tf.Variable(2.0, trainable=False, name="nt")
    assert (v.dtype, w.dtype, k.dtype, f64.dtype) == (tf.float32, tf.float32, tf.int32, tf.float64)
    assert v.shape == [2] and w.shape == []
    assert v.trainable and not nt.trainable
    assert tf.trainable_variables() == [v, w, k, f64]
    assert tf.global_variables() == [v, w, k, f64, nt]
    rv, rw, rk, rf = _init_and_run(v, w, k, f64)
    assert rv.tolist() == [1.0, 2.0] and rv.dtype == np.float32
    assert rw == 3.0 and type(rw) is np.float32
    assert rk == 5 and type(rk) is np.int32
    assert rf == 1.0 and type(rf) is np.float64


def test_variable_constructor_errors():
    with pytest.raises(ValueError, match="initial_value must be specified"):
        tf.Variable()
    with pytest.raises(ValueError, match="fully defined shape"):
        tf.Variable(tf.placeholder(tf.float32, [None]))
    assert tf.Variable(tf.placeholder(tf.float32, [None]), validate_shape=False).shape.ndims is None
    with pytest.raises(ValueError, match="requested dtype float32.*int32"):
        tf.Variable(tf.constant(1), dtype=tf.float32)


def test_new_session_starts_uninitialized():
    v = tf.Variable([1.0, 2.0], name="v")
    sess = tf.Session()
    with pytest.raises(tf.errors.FailedPreconditionError, match="Attempting to use uninitialized value v"):
        sess.run(v)
    with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value v"):
        sess.run(v * 2.0)
    sess.run(v.initializer)
    assert sess.run(v).tolist() == [1.0, 2.0]
    other = tf.Session()
    with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value v"):
        other.run(v)


def test_sessions_hold_independent_values():
    w = tf.Variable(3.0, name="w")
    s1, s2 = tf.Session(), tf.Session()
    s1.run(w.initializer)
    s2.run(w.initializer)
    assert s1.run(tf.assign(w, 7.0)) == 7.0
    assert s1.run(w) == 7.0
    assert s2.run(w) == 3.0


def test_variables_initializer_and_partial_initialization():
    u1 = tf.Variable(1.0, name="u1")
    u2 = tf.Variable(2.0, name="u2")
    init = tf.variables_initializer([u1])
    assert init.type == "NoOp" and init.name == "init"
    assert tf.global_variables_initializer().name == "init_1"
    assert tf.variables_initializer([]).type == "NoOp"
    sess = tf.Session()
    sess.run(init)
    assert sess.run(u1) == 1.0
    with pytest.raises(tf.errors.FailedPreconditionError, match="u2"):
        sess.run(u2)


def test_value_read_value_eval_and_load():
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert v.value().op is v.op
        assert sess.run(v.read_value()).tolist() == [1.0, 2.0]
        assert v.eval().tolist() == [1.0, 2.0]
        v.load([5.0, 6.0])
        assert sess.run(v).tolist() == [5.0, 6.0]
        v.load([7.0, 8.0], sess)
        assert v.eval(session=sess).tolist() == [7.0, 8.0]
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3,\)"):
            v.load([1.0, 2.0, 3.0], sess)


@pytest.mark.parametrize("backend", [b for b in tf.runtime.session.available_backends() if b != "auto"])
def test_load_into_a_variable_with_a_computed_initializer_on_every_backend(backend):
    # the assign writes the fed value in place into a variable this run never reads
    v = tf.get_variable("glorot", [2, 3])
    with tf.Session(backend=backend) as sess:
        sess.run(v.initializer)
        v.load(np.ones((2, 3), np.float32), sess)
        assert sess.run(v).tolist() == [[1.0] * 3] * 2


def test_variable_in_expressions():
    v = tf.Variable([9.0, 8.0])
    r = _init_and_run(v + 1, tf.add(v, 1), -v, v[0], v * v)
    assert [x.tolist() for x in r] == [[10.0, 9.0], [10.0, 9.0], [-9.0, -8.0], 9.0, [81.0, 64.0]]
    with pytest.raises(TypeError, match="not iterable"):
        iter(v)
    with pytest.raises(TypeError, match="Python bool"):
        bool(v)


def test_initialized_value_builds_on_another_variable():
    d1 = tf.Variable(tf.constant([1.0, 1.0]), name="d1")
    d2 = tf.Variable(d1.initialized_value() * 2, name="d2")
    with tf.Session() as sess:
        sess.run(d2.initializer)
        assert sess.run(d2).tolist() == [2.0, 2.0]


# ---------------------------------------------------------------------------------------------
# assigns

def test_assign_functions_and_methods_return_the_new_value():
    w = tf.Variable(3.0, name="w")
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert sess.run(tf.assign(w, 7.0)) == 7.0
        assert sess.run(w.assign_add(1.0)) == 8.0
        assert sess.run(tf.assign_sub(w, 2.0)) == 6.0
        assert sess.run(w.assign(10.0)) == 10.0
        assert sess.run(tf.assign_add(w, 1)) == 11.0
        assert sess.run(w.assign_sub(1.0)) == 10.0
        assert sess.run(w) == 10.0
        assert sess.run(w.assign(0.0, read_value=False)) is None
        assert sess.run(w) == 0.0


def test_assign_names_and_build_errors():
    v = tf.Variable([1.0, 2.0], name="v")
    a = tf.assign(v, [0.0, 0.0])
    assert a.op.type == "Assign" and a.name == "Assign:0"
    assert tf.assign_add(v, [1.0, 1.0]).name == "AssignAdd:0"
    assert v.assign_sub([1.0, 1.0]).name == "AssignSub:0"
    assert v.assign([3.0, 3.0], name="myassign").name == "myassign:0"
    with pytest.raises(ValueError, match=r"variable v has shape \(2,\).*shape \(3,\)"):
        tf.assign(v, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="int32.*float32"):
        tf.assign(v, tf.constant([1, 2]))
    with pytest.raises(TypeError, match="Expected a tf.Variable"):
        tf.assign(tf.constant(1.0), 2.0)


# ---------------------------------------------------------------------------------------------
# one run: reads see the value at the start unless they depend on an assign (README, "Numerics")

def test_fetching_a_variable_and_its_update_gives_old_and_new():
    v = tf.Variable(11.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run([v, v.assign_add(1.0)]) == [11.0, 12.0]
        assert sess.run(v) == 12.0


def test_reads_inside_control_dependencies_see_the_assign():
    w = tf.Variable(12.0)
    inc = w.assign_add(1.0)
    with tf.control_dependencies([inc]):
        after = w.read_value()
        doubled = w * 2.0
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert sess.run([w, after]) == [12.0, 13.0]
        assert sess.run(w) == 13.0
        assert sess.run(doubled) == 28.0
        assert sess.run(w) == 14.0


def test_chained_assigns_in_one_run():
    w = tf.Variable(0.0)
    a1 = w.assign(1.0)
    with tf.control_dependencies([a1]):
        a3 = w.assign_add(5.0)
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert sess.run([a1, a3]) == [1.0, 6.0]
        assert sess.run(w) == 6.0


def test_training_style_run_uses_old_weights():
    w = tf.Variable(2.0)
    x = tf.placeholder(tf.float32, [])
    y = w * x
    train = tf.assign_sub(w, 0.5 * x)
    with tf.Session() as sess:
        sess.run(w.initializer)
        out, _ = sess.run([y, train], {x: 2.0})
        assert out == 4.0
        assert sess.run(w) == 1.0


def test_unordered_assigns_of_one_variable_raise():
    w = tf.Variable(0.0, name="w")
    a1 = w.assign(1.0)
    a2 = w.assign(2.0)
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Variable 'w' is assigned by both"):
            sess.run([a1, a2])
        with pytest.raises(tf.errors.InvalidArgumentError, match="no order between them"):
            sess.run(tf.group(a1, a2))
        assert sess.run(w) == 0.0
        # different variables may be assigned in one run
        u = tf.Variable(0.0)
        sess.run(u.initializer)
        assert sess.run([a1, u.assign(3.0)]) == [1.0, 3.0]


def test_failing_run_leaves_variables_unchanged():
    w = tf.Variable(6.0, name="w")
    p = tf.placeholder(tf.float32, [None], name="pp")
    q = tf.placeholder(tf.float32, [None], name="qq")
    upd = w.assign(100.0)
    with tf.control_dependencies([upd]):
        bad = p + q
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(bad, {p: [1, 2], q: [1, 2, 3]})
        assert sess.run(w) == 6.0
        assert sess.run(bad, {p: [1, 2], q: [3, 4]}).tolist() == [4.0, 6.0]
        assert sess.run(w) == 100.0


def test_uninitialized_read_after_assign_fails_without_partial_update():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    with tf.Session() as sess:
        sess.run(a.initializer)
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value b"):
            sess.run([a.assign(5.0), b + 1.0])
        assert sess.run(a) == 1.0


# ---------------------------------------------------------------------------------------------
# get_variable and initializers

def test_get_variable_with_each_initializer_and_dtype():
    tf.set_random_seed(1)
    vs = {
        "z": tf.get_variable("z", [2, 3], initializer=tf.zeros_initializer()),
        "o": tf.get_variable("o", [2], initializer=tf.ones_initializer(), dtype=tf.float64),
        "oi": tf.get_variable("oi", [2], initializer=tf.ones_initializer(), dtype=tf.int32),
        "c": tf.get_variable("c", [2, 2], initializer=tf.constant_initializer(3.5)),
        "cl": tf.get_variable("cl", [2, 2], initializer=tf.constant_initializer([1, 2, 3, 4])),
        "pad": tf.get_variable("pad", [3], initializer=tf.constant_initializer([1, 2])),
        "ci": tf.get_variable("ci", [3], initializer=tf.constant_initializer(7), dtype=tf.int32),
        "ct": tf.get_variable("ct", initializer=tf.constant([1.0, 2.0])),
        "cnp": tf.get_variable("cnp", initializer=np.array([1, 2], dtype=np.int64)),
        "clist": tf.get_variable("clist", initializer=[1, 2]),
        "intdef": tf.get_variable("intdef", [2], dtype=tf.int32),
        "zcls": tf.get_variable("zcls", [2], initializer=tf.zeros_initializer),
    }
    expected = {
        "z": ([[0.0] * 3] * 2, np.float32), "o": ([1.0, 1.0], np.float64), "oi": ([1, 1], np.int32),
        "c": ([[3.5, 3.5], [3.5, 3.5]], np.float32), "cl": ([[1.0, 2.0], [3.0, 4.0]], np.float32),
        "pad": ([1.0, 2.0, 2.0], np.float32), "ci": ([7, 7, 7], np.int32), "ct": ([1.0, 2.0], np.float32),
        "cnp": ([1, 2], np.int64), "clist": ([1, 2], np.int32), "intdef": ([0, 0], np.int32),
        "zcls": ([0.0, 0.0], np.float32),
    }
    values = _init_and_run(*vs.values())
    for (key, var), got in zip(vs.items(), values):
        want, dtype = expected[key]
        assert var.name == f"{key}:0"
        assert var.dtype == tf.as_dtype(dtype), key
        assert got.dtype == dtype, key
        assert got.tolist() == want, key


def test_get_variable_errors():
    with pytest.raises(ValueError, match="Too many elements provided. Takes at most 2, but got 3"):
        tf.get_variable("a", [2], initializer=tf.constant_initializer([1, 2, 3]))
    with pytest.raises(TypeError, match=r"Expected Tensor's shape: \(3,\), but got \(2,\)"):
        tf.get_variable("b", [3], initializer=tf.constant_initializer([1, 2], verify_shape=True))
    with pytest.raises(ValueError, match="If initializer is a constant, do not specify shape"):
        tf.get_variable("c", [2], initializer=tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"Shape of a new variable \(d\) must be fully defined"):
        tf.get_variable("d", initializer=tf.zeros_initializer())
    with pytest.raises(ValueError, match=r"Shape of a new variable \(e\) must be fully defined, but instead "
                                         r"was \(\?, 2\)"):
        tf.get_variable("e", [None, 2])
    with pytest.raises(ValueError, match="Shape of a new variable \\(nope\\) must be fully defined"):
        tf.get_variable("nope")
    with pytest.raises(ValueError, match="Initializer type 'int32' and explicit dtype 'float32' don't match"):
        tf.get_variable("gd", initializer=[1, 2], dtype=tf.float32)
    with pytest.raises(TypeError, match="float"):
        tf.get_variable("f", [2], dtype=tf.int32, initializer=tf.random_normal_initializer())
    with pytest.raises(TypeError, match="1.7"):
        tf.get_variable("g", [2], initializer=tf.constant_initializer(1.7), dtype=tf.int32)


def test_get_variable_trainable_and_collections():
    a = tf.get_variable("a", [1])
    b = tf.get_variable("b", [1], trainable=False)
    c = tf.get_variable("c", [1], collections=["mine", tf.GraphKeys.GLOBAL_VARIABLES])
    assert tf.trainable_variables() == [a, c]
    assert tf.global_variables() == [a, b, c]
    assert tf.get_collection("mine") == [c]


def test_initializer_node_names():
    assert tf.constant_initializer([1, 2, 3, 4])([2, 2]).name == "Const:0"
    assert tf.zeros_initializer()([2]).name == "zeros:0"
    assert tf.ones_initializer()([2]).name == "ones:0"
    assert tf.random_normal_initializer()([2]).name == "random_normal:0"
    assert tf.glorot_uniform_initializer()([2, 2]).name == "random_uniform:0"
    assert tf.truncated_normal_initializer()([2]).name == "truncated_normal:0"
    assert tf.zeros_initializer()([2], dtype=tf.int32).dtype == tf.int32
    assert tf.zeros_initializer(dtype=tf.int32)([2]).dtype == tf.int32


def _draw(initializer, shape, seed_graph=1):
    tf.reset_default_graph()
    tf.set_random_seed(seed_graph)
    v = tf.get_variable("v", shape, initializer=initializer)
    with tf.Session() as sess:
        sess.run(v.initializer)
        return sess.run(v)


def test_default_initializer_is_glorot_uniform():
    fan_in, fan_out = 40, 60
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    w = _draw(None, [fan_in, fan_out])
    assert w.dtype == np.float32
    assert np.all(np.abs(w) <= limit)
    assert np.abs(w).max() > 0.95 * limit          # the whole range is used
    assert abs(w.mean()) < 0.02
    assert w.std() == pytest.approx(limit / math.sqrt(3.0), rel=0.05)


def test_glorot_uniform_conv_fans():
    shape = [3, 3, 4, 8]  # receptive field 9: fan_in 36, fan_out 72
    limit = math.sqrt(6.0 / (36 + 72))
    w = _draw(tf.glorot_uniform_initializer(), shape)
    assert np.all(np.abs(w) <= limit) and np.abs(w).max() > 0.9 * limit


def test_glorot_normal_statistics():
    fan_in, fan_out = 50, 150
    w = _draw(tf.glorot_normal_initializer(), [fan_in, fan_out])
    stddev = math.sqrt(2.0 / (fan_in + fan_out))
    assert abs(w.mean()) < 0.01
    assert w.std() == pytest.approx(stddev, rel=0.08)
    # truncated at two stddevs of the underlying normal
    assert np.abs(w).max() <= 2 * stddev / 0.87962566103423978 + 1e-6


def test_random_normal_initializer_statistics():
    w = _draw(tf.random_normal_initializer(mean=1.0, stddev=2.0, seed=3), [100, 100])
    assert w.mean() == pytest.approx(1.0, abs=0.1)
    assert w.std() == pytest.approx(2.0, rel=0.05)


def test_random_uniform_initializer_statistics():
    w = _draw(tf.random_uniform_initializer(-3.0, 5.0, seed=3), [100, 100])
    assert w.min() >= -3.0 and w.max() < 5.0
    assert w.mean() == pytest.approx(1.0, abs=0.15)
    assert w.std() == pytest.approx(8.0 / math.sqrt(12.0), rel=0.05)
    default = _draw(tf.random_uniform_initializer(), [50, 50])
    assert default.min() >= 0.0 and default.max() < 1.0


def test_truncated_normal_initializer_never_exceeds_two_stddevs():
    w = _draw(tf.truncated_normal_initializer(mean=0.5, stddev=0.1, seed=4), [200, 100])
    assert np.all(np.abs(w - 0.5) <= 0.2 + 1e-6)
    # std of a unit normal truncated to [-2, 2] is 0.8796
    assert w.std() == pytest.approx(0.1 * 0.87962566103423978, rel=0.05)
    assert w.mean() == pytest.approx(0.5, abs=0.01)


def test_variance_scaling_and_he_initializers():
    w = _draw(tf.variance_scaling_initializer(scale=2.0, mode="fan_in", distribution="uniform"), [100, 50])
    limit = math.sqrt(3.0 * 2.0 / 100)
    assert np.all(np.abs(w) <= limit) and np.abs(w).max() > 0.95 * limit
    he = _draw(tf.initializers.he_normal(seed=1), [200, 50])
    assert he.std() == pytest.approx(math.sqrt(2.0 / 200), rel=0.08)
    with pytest.raises(ValueError, match="Invalid mode"):
        tf.variance_scaling_initializer(mode="fan_sideways")


def test_seeded_initializers_repeat_across_graphs():
    first = _draw(tf.random_normal_initializer(seed=5), [4, 4], seed_graph=None)
    again = _draw(tf.random_normal_initializer(seed=5), [4, 4], seed_graph=None)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 8), (5, 5)])
def test_orthogonal_initializer_gives_orthonormal_rows_or_columns(shape):
    tf.set_random_seed(5)
    v = tf.get_variable("v", list(shape), initializer=tf.orthogonal_initializer(gain=1.5))
    u = tf.get_variable("u", list(shape), initializer=tf.initializers.orthogonal(seed=2, dtype=tf.float64),
                        dtype=tf.float64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([v, u])
    assert a.shape == shape and a.dtype == np.float32 and b.dtype == np.float64
    m = a.reshape(-1, shape[-1]) / 1.5
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T         # the smaller side is orthonormal
    np.testing.assert_allclose(gram, np.eye(min(m.shape)), atol=1e-5)
    m = b.reshape(-1, shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(min(m.shape)), atol=1e-12)


def test_orthogonal_initializer_is_seeded_and_checks_its_shape():
    def draw(backend):
        with tf.Graph().as_default():
            tf.set_random_seed(9)
            v = tf.Variable(tf.orthogonal_initializer()([4, 3]))
            with tf.Session(backend=backend) as sess:
                sess.run(v.initializer)
                return sess.run(v)
    np.testing.assert_array_equal(draw("eager"), draw("eager"))
    np.testing.assert_array_equal(draw("eager"), draw("numba"))      # one Philox stream on every backend
    with pytest.raises(ValueError, match="at least two-dimensional"):
        tf.orthogonal_initializer()([5])
    with pytest.raises(TypeError, match="float dtype"):
        tf.orthogonal_initializer()([2, 2], dtype=tf.int32)


@pytest.mark.parametrize("backend", ["eager", "numba", "triton"])
def test_is_variable_initialized_answers_from_the_session(backend):
    v = tf.Variable(1.0, name="v")
    u = tf.Variable([1, 2], name="u")
    x = tf.placeholder(tf.float32, [])
    both = tf.logical_and(tf.is_variable_initialized(v), tf.is_variable_initialized(u))
    flagged = tf.where(tf.is_variable_initialized(v), x * 2.0, x)
    sess = tf.Session(backend=backend)
    assert sess.run(tf.is_variable_initialized(v)) is np.False_
    assert not sess.run(both) and sess.run(flagged, {x: 3.0}) == 3.0
    sess.run(v.initializer)
    assert sess.run(tf.is_variable_initialized(v)) is np.True_ and not sess.run(both)
    assert sess.run(flagged, {x: 3.0}) == 6.0
    check = sess.make_callable(both)
    uninitialized = [w for w in tf.global_variables() if not sess.run(tf.is_variable_initialized(w))]
    assert [w.op.name for w in uninitialized] == ["u"]
    sess.run(tf.variables_initializer(uninitialized))
    assert check() and tf.is_variable_initialized(v).op.type == "IsVariableInitialized"
    with pytest.raises(TypeError, match="only variables"):
        tf.is_variable_initialized(x)


@pytest.mark.parametrize("backend", [b for b in tf.runtime.session.available_backends() if b != "auto"])
@pytest.mark.parametrize("update", ["assign_add", "assign_sub"])
def test_a_delta_of_another_shape_is_refused_at_run_time_and_changes_nothing(backend, update):
    # TF1's AssignAdd/AssignSub never broadcast the delta: "Cannot update variable with shape [2]
    # using a Tensor with shape [1], shapes must be equal." (InvalidArgumentError)
    v = tf.Variable(np.array([1.0, 2.0], np.float32))
    p = tf.placeholder(tf.float32, None)
    step = getattr(tf, update)(v, p)
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \[2\].*shape \[1\], shapes must be equal"):
            sess.run(step, {p: np.ones(1, np.float32)})
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
        sess.run(step, {p: np.ones(2, np.float32)})
        np.testing.assert_array_equal(sess.run(v), [2.0, 3.0] if update == "assign_add" else [0.0, 1.0])
