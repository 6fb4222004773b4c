"""A variable whose value has another shape than its static one (``tf.assign(v, x, validate_shape=False)``).

TF1's kernels take the run-time shape: every expected value below was recorded from TF 2.21
compat.v1 (``tf.compat.v1.disable_v2_behavior()``) on the same graph: a float32 ``tf.Variable([1., 2.])``
assigned ``np.arange(5)`` with ``validate_shape=False``.
"""
import numpy as np
import pytest

import graphc as tf

BACKENDS = [b for b in tf.runtime.session.available_backends() if b != "auto"]


@pytest.fixture
def grown():
    """(variable of static shape (2,), placeholder, the assign that gives it the fed value's shape)."""
    v = tf.Variable(np.array([1, 2], np.float32))
    p = tf.placeholder(tf.float32, None)
    grow = tf.assign(v, p, validate_shape=False)
    return v, p, grow


@pytest.mark.parametrize("backend", BACKENDS)
def test_expressions_read_the_run_time_shape(backend, grown):
    v, p, grow = grown
    doubled = tf.identity(v) * 2.0
    total = tf.reduce_sum(v)
    row = tf.matmul(tf.reshape(v, [1, -1]), tf.reshape(v, [-1, 1]))
    with tf.Session(backend=backend, compile_mode="sync") as sess:
        sess.run(v.initializer)
        assert sess.run(doubled).tolist() == [2.0, 4.0]          # planned for (2,) first
        sess.run(grow, {p: np.arange(5, dtype=np.float32)})
        # TF 2.21 compat.v1: [0, 2, 4, 6, 8], 10.0, [[30.]]
        assert sess.run(doubled).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
        assert sess.run(total) == 10.0
        assert sess.run(row).tolist() == [[30.0]]
        # TF 2.21 compat.v1: assign_add(v, identity(v)) -> [0, 2, 4, 6, 8]
        assert sess.run(tf.assign_add(v, tf.identity(v))).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
        assert sess.run(doubled).tolist() == [0.0, 4.0, 8.0, 12.0, 16.0]
        # back to its static shape: the plans for (2,) serve it again
        sess.run(grow, {p: np.array([3, 4], np.float32)})
        assert sess.run(doubled).tolist() == [6.0, 8.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_validating_assign_compares_with_the_current_value(backend, grown):
    v, p, grow = grown
    check = tf.assign(v, p)          # validate_shape=True
    with tf.Session(backend=backend, compile_mode="sync") as sess:
        sess.run(v.initializer)
        sess.run(grow, {p: np.arange(5, dtype=np.float32)})
        # TF 2.21 compat.v1: a (5,) value is accepted, a (2,) one raises InvalidArgumentError
        assert sess.run(check, {p: np.ones(5, np.float32)}).tolist() == [1.0] * 5
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \[5\] and the value has shape \[2\]"):
            sess.run(check, {p: np.ones(2, np.float32)})
        assert sess.run(v).tolist() == [1.0] * 5
        # TF 2.21 compat.v1: assign_add(v, ones_like(v)) raises (ones_like folds the static (2,))
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(tf.assign_add(v, tf.ones_like(v)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_through_the_grown_variable(backend, grown):
    v, p, grow = grown
    grad, = tf.gradients(tf.reduce_sum(v * v), v)
    with tf.Session(backend=backend, compile_mode="sync") as sess:
        sess.run(v.initializer)
        sess.run(grow, {p: np.ones(5, np.float32)})
        # TF 2.21 compat.v1: [2, 2, 2, 2, 2]
        assert sess.run(grad).tolist() == [2.0] * 5


def test_the_session_keys_plans_on_the_reshaped_variables():
    v = tf.Variable(np.array([1, 2], np.float32))
    p = tf.placeholder(tf.float32, None)
    with tf.Session(backend="eager") as sess:
        sess.run(v.initializer)
        assert sess._state.reshaped == {}
        sess.run(tf.assign(v, p, validate_shape=False), {p: np.zeros((2, 3), np.float32)})
        assert sess._state.reshaped == {v.op: (2, 3)}
        sess.run(tf.assign(v, p, validate_shape=False), {p: np.zeros(2, np.float32)})
        assert sess._state.reshaped == {}
