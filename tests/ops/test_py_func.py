"""tf.py_func / tf.numpy_function (graphc/ops/py_func.py) and tf.RegisterGradient with
Graph.gradient_override_map (graphc/graph.py, graphc/gradients.py), on every backend."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]


@tf.RegisterGradient("TestPyFuncSquareGrad")
def _square_grad(op, grad):
    return [grad * 2.0 * op.inputs[0]]


@tf.RegisterGradient("TestClipGrad")
def _clip_grad(op, grad):
    return [tf.clip_by_value(grad, -0.5, 0.5)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_py_func_runs_python_between_kernels(backend):
    x = tf.placeholder(tf.float32, [None])
    calls = []

    def stats(a):
        calls.append(a.copy())
        return a.sum().astype(np.float32), np.argsort(a).astype(np.int64)

    total, order = tf.py_func(stats, [x], [tf.float32, tf.int64])
    doubled = tf.numpy_function(lambda a, b: (a * b).astype(np.float32), [x * 2.0, 3.0], tf.float32)
    y = total * 10.0 + tf.reduce_sum(doubled)
    assert total.dtype == tf.float32 and order.dtype == tf.int64 and total.shape.ndims is None
    with tf.Session(backend=backend) as sess:
        got = sess.run([y, order, doubled], {x: [3.0, 1.0, 2.0]})
        sess.run(y, {x: [1.0]})
    assert got[0] == pytest.approx(96.0)
    np.testing.assert_array_equal(got[1], [1, 2, 0])
    np.testing.assert_array_equal(got[2], [18., 6., 12.])
    assert len(calls) == 2          # one call per run, never folded or merged


def test_gradient_is_none_unless_overridden():
    x = tf.placeholder(tf.float32, [3])
    plain = tf.py_func(lambda a: np.square(a), [x], tf.float32)
    assert tf.gradients(plain, x) == [None]
    with tf.get_default_graph().gradient_override_map({"PyFunc": "TestPyFuncSquareGrad"}):
        overridden = tf.py_func(lambda a: np.square(a), [x], tf.float32, name="square")
    overridden.set_shape([3])
    with tf.get_default_graph().gradient_override_map({"Identity": "TestClipGrad"}):
        clipped = tf.identity(x * 3.0)
    grads = tf.gradients(tf.reduce_sum(overridden), x) + tf.gradients(tf.reduce_sum(clipped * x), x)
    with tf.Session() as sess:
        got = sess.run(grads, {x: [1.0, -2.0, 0.1]})
    np.testing.assert_allclose(got[0], [2.0, -4.0, 0.2])
    np.testing.assert_allclose(got[1], [3.0 + 3 * 0.5, -6.0 - 3 * 0.5, 0.3 + 3 * 0.1], rtol=1e-6)   # c + 3 * clip(x)


def test_errors_are_tf1s():
    x = tf.placeholder(tf.float32, [2])
    wrong_dtype = tf.py_func(lambda a: a.astype(np.float64), [x], tf.float32)
    raises = tf.py_func(lambda a: 1 / 0, [x], tf.float32)
    fails = tf.py_func(lambda a: {}["missing"], [x], tf.float32)
    with tf.get_default_graph().gradient_override_map({"PyFunc": "NoSuchGradient"}):
        unregistered = tf.py_func(lambda a: a, [x], tf.float32)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="0-th value returned by pyfunc_.* is float64, but "
                                                                 "expects float32"):
            sess.run(wrong_dtype, {x: [1.0, 2.0]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
            sess.run(raises, {x: [1.0, 2.0]})
        with pytest.raises(tf.errors.UnknownError, match="KeyError"):
            sess.run(fails, {x: [1.0, 2.0]})
    with pytest.raises(LookupError, match="NoSuchGradient"):
        tf.gradients(unregistered, x)
    with pytest.raises(KeyError, match="Registering two gradient"):
        tf.RegisterGradient("TestClipGrad")(lambda op, g: [g])
