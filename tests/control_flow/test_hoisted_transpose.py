"""A loop body's product that reads a captured weight transposed reads the weight's transpose,
built once outside the loop instead (graphc/control_flow/func_graph.py, ``hoisted_transpose``)."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in ("eager", "interpret", "numba", "triton") if b in available_backends()]
rs = np.random.RandomState(3)
X = rs.uniform(-1, 1, (4, 3)).astype(np.float32)
W = rs.uniform(-0.6, 0.6, (3, 3)).astype(np.float32)


def _products(graph):
    return [op for op in graph.get_operations() if op.type == "MatMul"]


def _loop(x, w, steps=3):
    return tf.while_loop(lambda i, h: i < steps,
                         lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w, transpose_b=True) + x)),
                         [tf.constant(0), x])


def _numpy_loop(x, w, steps=3):
    h = x
    for _ in range(steps):
        h = np.tanh(h @ w.T + x)
    return h


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_captured_weight_read_transposed_is_transposed_once_outside_the_loop(backend):
    with tf.Graph().as_default() as g:
        w = tf.Variable(W, name="w")
        loop = _loop(tf.constant(X), w)[1].op
        body = loop.attrs["body"]
        (product,) = _products(body)
        assert not product.attrs["transpose_b"]
        outer = next(o for o, inner in body.captures.items() if inner is product.inputs[1])
        assert outer.op.type == "Transpose" and outer.op.graph is g
        with tf.Session(backend=backend) as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(loop.outputs[1])
    np.testing.assert_allclose(got, _numpy_loop(X, W), rtol=1e-5, atol=1e-6)


def test_the_transpose_leaves_every_loop_the_weight_is_invariant_in():
    with tf.Graph().as_default() as g:
        w = tf.constant(W)

        def outer(i, h):
            return i + 1, _loop(h, w, steps=2)[1]
        tf.while_loop(lambda i, h: i < 2, outer, [tf.constant(0), tf.constant(X)])
        transposes = [op for op in g.get_operations() if op.type == "Transpose"]
        assert len(transposes) == 1 and transposes[0].inputs[0] is w


def test_a_weight_computed_in_the_body_or_used_in_a_cond_keeps_its_transposed_read():
    with tf.Graph().as_default():
        w = tf.constant(W)
        loop = tf.while_loop(lambda i, h: i < 2,
                             lambda i, h: (i + 1, tf.matmul(h, w * 2.0, transpose_b=True)),
                             [tf.constant(0), tf.constant(X)])[1].op
        (product,) = _products(loop.attrs["body"])
        assert product.attrs["transpose_b"]
        branch = tf.cond(tf.constant(True), lambda: tf.matmul(tf.constant(X), w, transpose_b=True),
                         lambda: tf.constant(X)).op
        (product,) = _products(branch.attrs["then_branch"])
        assert product.attrs["transpose_b"]
