"""tf.reverse (graphc/ops/reverse.py), tf.Print and the Assert identity (graphc/ops/logging_ops.py). Expected values
and TF1's printed text recorded from TF 2.21 compat.v1."""
import numpy as np
import pytest

import graphc as tf
from graphc.ops.logging_ops import checked
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
X = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
REVERSED = [[[5., 4.], [3., 2.], [1., 0.]], [[11., 10.], [9., 8.], [7., 6.]]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_reverse_and_its_gradient(backend):
    p = tf.placeholder(tf.float32, [2, 3, 2])
    r = tf.reverse(p, [1, -1])
    g = tf.gradients(tf.reduce_sum(r * X), p)[0]
    with tf.Session(backend=backend) as sess:
        got = sess.run([r, g, tf.reverse(p, [])], {p: X})
    np.testing.assert_array_equal(got[0], REVERSED)
    np.testing.assert_array_equal(got[1], REVERSED)
    np.testing.assert_array_equal(got[2], X)
    with pytest.raises(ValueError, match="twice"):
        tf.reverse(p, [1, -2])


@pytest.mark.parametrize("backend", BACKENDS)
def test_print_passes_its_input_and_prints_tf1s_text(backend, capfd):
    p = tf.placeholder(tf.float32, [2, 3, 2])
    y = tf.Print(p * 2, [p[0, 0], tf.constant([1, 2, 3, 4, 5])], message="vals: ", summarize=4)
    once = tf.Print(p, [p[0, 0, 0] + 0.5], message="once ", first_n=1)
    grad = tf.gradients(tf.reduce_sum(y), p)[0]
    with tf.Session(backend=backend) as sess:
        got = sess.run([y, grad], {p: X})
        sess.run(once, {p: X})
        sess.run(once, {p: X})
    np.testing.assert_array_equal(got[0], X * 2)
    np.testing.assert_array_equal(got[1], np.full_like(X, 2.0))
    err = capfd.readouterr().err
    assert "vals: [0 1][1 2 3 4...]" in err and err.count("once [0.5]") == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_print_reached_only_by_a_control_dependency_or_as_a_target_still_prints(backend, capfd):
    """TF1 runs every op of the pruned graph: a Print that only a control edge leads to prints, and
    so does one run as a target; the op it guards and a variable update beside it run too."""
    p = tf.placeholder(tf.float32, [2])
    v = tf.Variable(0.0)
    shown = tf.Print(p, [p], message="guard ")
    with tf.control_dependencies([shown, tf.assign_add(v, 1.0)]):
        y = tf.identity(p * 2)
    with tf.Session(backend=backend) as sess:
        sess.run(v.initializer)
        got = sess.run(y, {p: np.ones(2, np.float32)})
        sess.run(shown.op, {p: np.full(2, 3, np.float32)})
        count = sess.run(v)
    np.testing.assert_array_equal(got, [2, 2])
    assert count == 1.0
    err = capfd.readouterr().err
    assert err.count("guard [1 1]") == 1 and err.count("guard [3 3]") == 1, err


@pytest.mark.parametrize("backend", BACKENDS)
def test_assert_passes_its_input_once_the_condition_holds_else_raises_tf1s_message(backend):
    x = tf.placeholder(tf.float32, [3])
    positive = tf.reduce_all(x > 0)
    y = checked(x, positive, [tf.constant("x must be positive:"), x], summarize=2) * 2.0
    with tf.Session(backend=backend) as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0, 3.0]}), [2.0, 4.0, 6.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"assertion failed: \[x must be positive:\] \[1 -2\.\.\.\]"):
            sess.run(y, {x: [1.0, -2.0, 3.0]})
        np.testing.assert_array_equal(sess.run(tf.gradients(tf.reduce_sum(y), x)[0], {x: [1.0, 2.0, 3.0]}), [2.0] * 3)
    with pytest.raises(ValueError, match="must be a scalar bool tensor"):
        checked(x, x, [x])
