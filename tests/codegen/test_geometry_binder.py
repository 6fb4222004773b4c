"""A compiled step's generated geometry binder gives what the general path computes, for every kernel
kind it covers, and leaves shapes that do not fit to the general path's error."""
import numpy as np
import pytest

import graphc as tf
from graphc import errors
from graphc.codegen import numba_steps

SIZES = (3, 5, 7, 2, 9)


@pytest.fixture
def compared(monkeypatch):
    """Every bound geometry checked against ``_compute_geometry``; returns the count of checks."""
    seen = []
    bound = numba_steps.CompiledStep._bound

    def checked(self, shapes, mm_shapes, values):
        got = bound(self, shapes, mm_shapes, values)
        if got is not None:
            want = self._compute_geometry(list(shapes), list(mm_shapes), _values_env(self, values))
            np.testing.assert_array_equal(got[0], want[0])
            assert got[0].dtype == want[0].dtype and got[1:] == want[1:], (self.kernel.op_types, got, want)
            seen.append(self.kernel.op_types)
        return got
    monkeypatch.setattr(numba_steps.CompiledStep, "_bound", checked)
    return seen


def _values_env(step, values):
    return {v: np.array(x) for v, x in zip(step.gen.meta, values)}


def _run_sizes(fetches, feed_for):
    with tf.Session(backend="numba") as sess:
        sess.run(tf.global_variables_initializer())
        return [sess.run(fetches, feed_for(n)) for n in SIZES]


def test_pointwise_reduction_product_and_broadcast_kernels_bind_like_the_general_path(compared):
    rs = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [None, 6])
    w = tf.Variable(rs.randn(6, 4).astype(np.float32))
    h = tf.nn.relu(tf.matmul(x, w) + 1.0)
    t = tf.matmul(h, w, transpose_b=True)                  # a transposed operand
    z = tf.broadcast_to(tf.constant(2.0), tf.shape(h))     # its space from a shape value
    loss = tf.reduce_sum(h * z, axis=1) + tf.reduce_mean(t * x)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(loss))
    _run_sizes([loss, train], lambda n: {x: rs.randn(n, 6).astype(np.float32)})
    kinds = {op for types in compared for op in types}
    assert {"MatMul", "BroadcastTo", "Relu", "Sum"} <= kinds, kinds


def test_an_lstm_steps_kernels_bind_like_the_general_path(compared):
    rs = np.random.RandomState(1)
    x = tf.placeholder(tf.float32, [None, 4, 3])
    with tf.variable_scope("binder"):
        _, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(5), x, dtype=tf.float32)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(state.h))
    _run_sizes([state.h, train], lambda n: {x: rs.randn(n, 4, 3).astype(np.float32)})
    assert len(compared) >= 10


def test_shapes_that_do_not_fit_still_raise_the_kernels_error():
    a = tf.placeholder(tf.float32, [None, 3])
    b = tf.placeholder(tf.float32, [None, 3])
    total = tf.exp(a) + b
    with tf.Session(backend="numba") as sess:
        for n in (2, 4):
            sess.run(total, {a: np.ones((n, 3), np.float32), b: np.ones((n, 3), np.float32)})
        with pytest.raises(errors.InvalidArgumentError):
            sess.run(total, {a: np.ones((5, 3), np.float32), b: np.ones((6, 3), np.float32)})
