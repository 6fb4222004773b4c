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


def _concat_loop(x, u, w, steps=3):
    """A cell reading concat([input, state]) @ w, as BasicLSTMCell does; its loss's gradient."""
    def body(i, h):
        return i + 1, tf.tanh(tf.matmul(tf.concat([x, h], 1), w))
    h = tf.while_loop(lambda i, h: i < steps, body, [tf.constant(0), u])[1]
    return h, tf.reduce_sum(h * h)


def test_the_gradient_through_a_concat_into_a_product_is_one_product_per_block():
    # the backward product g @ w.T split into the input's and the state's columns becomes one
    # product per block of w.T's columns, sliced outside the loop: nothing reads the input's block
    # here, so pruning drops its product
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [4, 2])        # no gradient asked for the input
        u = tf.constant(X.astype(np.float64))
        w = tf.Variable(rs.uniform(-0.6, 0.6, (5, 3)), name="w")
        h, loss = _concat_loop(x, u, w)
        grads = tf.gradients(loss, [w, u])
        grad_loop = next(op for op in grads[1].graph.get_operations()
                         if op.type == "While" and op is not h.op)
        body = grad_loop.attrs["body"]
        assert not any(op.type == "SplitV" for op in body.get_operations())
        outer = {inner: o for o, inner in body.captures.items()}
        blocks = {op.outputs[0].shape.as_tuple()[1]: outer[op.inputs[1]] for op in _products(body)
                  if "concat_grad" in op.name}
        assert sorted(blocks) == [2, 3]
        assert all(b.op.type == "StridedSlice" and b.op.graph is not body for b in blocks.values())


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_through_a_concat_into_a_product_in_a_loop_match_numpy(backend):
    xv = rs.uniform(-1, 1, (4, 2))
    wv = rs.uniform(-0.6, 0.6, (5, 3))
    with tf.Graph().as_default():
        x = tf.constant(xv)
        u = tf.constant(X.astype(np.float64))
        w = tf.Variable(wv, name="w")
        h, loss = _concat_loop(x, u, w)
        grads = tf.gradients(loss, [w, x, u])
        with tf.Session(backend=backend) as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(grads)
    # numpy: the same loop forward, then backward by hand
    hs = [X.astype(np.float64)]
    for _ in range(3):
        hs.append(np.tanh(np.concatenate([xv, hs[-1]], 1) @ wv))
    dh, dw, dx = 2 * hs[-1], np.zeros_like(wv), np.zeros_like(xv)
    for t in range(3, 0, -1):
        g = dh * (1 - hs[t] ** 2)
        dw += np.concatenate([xv, hs[t - 1]], 1).T @ g
        d_in = g @ wv.T
        dx += d_in[:, :2]
        dh = d_in[:, 2:]
    for a, b in zip(got, [dw, dx, dh]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
