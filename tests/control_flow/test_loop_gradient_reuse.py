"""A while loop's gradient reads the forward body's intermediates (no forward op re-run) and updates
its TensorArray gradient buffers in place (graphc/control_flow/intermediates.py, codegen/regions.py).

The expected gradients are TF 2.21 compat.v1's (the recurrence of tests/control_flow/test_tensor_array.py).
"""
import dataclasses

import numpy as np
import pytest

import graphc as tf
from graphc.ops import tensor_array as ta_ops
from graphc.ops.core import OPS
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]

# TF 2.21 compat.v1: d loss / d xs and d loss / d w of _recurrence()
GX = [[0.12709121, 0.43362308], [0.31710085, 0.50908846], [0.40359193, 0.42243767]]
GW = [[0.84489894, 0.9726477], [1.1955496, 1.4262313]]


def _recurrence():
    xs = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
    w = tf.constant([[0.5, -0.2], [0.3, 0.8]])
    inputs = tf.TensorArray(tf.float32, 3).unstack(xs)
    outputs = tf.TensorArray(tf.float32, 3)

    def body(i, h, out):
        h = tf.tanh(tf.matmul(h[None], w)[0] * 0.5 + inputs.read(i) * 0.1)
        return i + 1, h, out.write(i, h)
    _, h, outputs = tf.while_loop(lambda i, h, o: i < 3, body, (0, tf.zeros([2]), outputs))
    loss = tf.reduce_sum(outputs.stack() * tf.constant([[1., 2.], [3., 4.], [5., 6.]])) + tf.reduce_sum(h)
    return tf.gradients(loss, [xs, w])


def _loops(graph):
    loops = [op for op in graph.get_operations() if op.type == "While"]
    forward = next(op for op in loops if "grad" not in op.name)
    backward = next(op for op in loops if "grad" in op.name)
    return forward, backward


def _counting(monkeypatch, op_type: str) -> list:
    """Counts the runs of ``op_type``'s numpy kernel (what the eager executor calls)."""
    calls: list = []
    kernel = OPS[op_type].numpy

    def counted(*args, **kwargs):
        calls.append(1)
        return kernel(*args, **kwargs)
    monkeypatch.setitem(OPS, op_type, dataclasses.replace(OPS[op_type], numpy=counted))
    return calls


def test_the_gradient_runs_no_forward_op_again(monkeypatch):
    gx, gw = _recurrence()
    tanh_runs, matmul_runs = _counting(monkeypatch, "Tanh"), _counting(monkeypatch, "MatMul")
    with tf.Session(backend="eager") as sess:
        got_x, got_w = sess.run([gx, gw])
    np.testing.assert_allclose(got_x, GX, rtol=1e-5)
    np.testing.assert_allclose(got_w, GW, rtol=1e-5)
    # 3 iterations: the forward loop's 3 tanh and 3 matmuls; the gradient loop no tanh (it reads the
    # forward's from the loop's saved outputs) and only its own matmul per iteration (dh); dw, summed
    # over the iterations, is one matmul after the loop (control_flow/hoist.py)
    assert len(tanh_runs) == 3
    assert len(matmul_runs) == 3 + 3 + 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_gradient_reading_saved_values_matches_tensorflow_on_every_backend(backend):
    gx, gw = _recurrence()
    with tf.Session(backend=backend) as sess:
        got_x, got_w = sess.run([gx, gw])
    np.testing.assert_allclose(got_x, GX, rtol=1e-5)
    np.testing.assert_allclose(got_w, GW, rtol=1e-5)


def test_the_gradient_loop_takes_no_history_it_reads_only_the_shape_of():
    _recurrence()
    forward, backward = _loops(tf.get_default_graph())
    n = forward.attrs["num_vars"]
    histories = forward.outputs[n + 1:2 * n + 1]
    # loop vars: i, h, the output array's buffer and mask: the gradient needs i's values only (h's
    # dependents are saved; the buffer's shape is the final buffer's)
    taken = [h for h in histories if h in backward.inputs]
    assert taken == [histories[0]]
    saved = forward.outputs[2 * n + 1 + len(forward.attrs["body"].kept):]
    assert len(saved) == len(forward.attrs["record"].saved) == 2 and all(s in backward.inputs for s in saved)


def test_a_write_gradient_takes_its_rows_before_clearing_them_in_place():
    g = np.arange(24, dtype=np.float32).reshape(4, 3, 2)
    original = g.copy()
    buffer = np.zeros((4, 3, 2), np.float32)
    rows, rest = ta_ops._take_rows_numpy(buffer, g, np.int32(2))       # not given up: g untouched
    np.testing.assert_array_equal(rows, original[2])
    np.testing.assert_array_equal(g, original)
    assert not rest[2].any() and np.array_equal(rest[[0, 1, 3]], original[[0, 1, 3]])
    with ta_ops.donating([g]):
        rows, rest = ta_ops._take_rows_numpy(buffer, g, np.int32(1))
    assert rest is g                                                   # cleared in place...
    np.testing.assert_array_equal(rows, original[1])                  # ...after the rows were copied
    assert not g[1].any() and np.array_equal(g[[0, 2, 3]], original[[0, 2, 3]])


def test_an_accumulated_read_gradient_adds_in_place_only_when_given_up():
    total = np.ones((3, 2), np.float32)
    out = ta_ops._accumulate_numpy(total, np.int32(1), np.array([2., 3.], np.float32))
    assert out is not total and np.array_equal(total, np.ones((3, 2)))
    np.testing.assert_array_equal(out, [[1, 1], [3, 4], [1, 1]])
    with ta_ops.donating([total]):
        out = ta_ops._accumulate_numpy(total, np.array([0, 0], np.int32), np.ones((2, 2), np.float32))
    assert out is total
    np.testing.assert_array_equal(total, [[3, 3], [1, 1], [1, 1]])


def test_a_loop_var_read_besides_its_in_place_update_is_never_given_up():
    # the gradient buffer of an array the body reads back (t.read(i - 1)) as well as writes: the
    # read's gradient and the write's both use it, so it is not updated in place (TF 2.21 numbers)
    x = tf.constant([1., 2.])
    ta = tf.TensorArray(tf.float32, size=4, clear_after_read=False, element_shape=[2]).write(0, x)

    def body(i, t):
        return i + 1, t.write(i, tf.sin(t.read(i - 1)) * 2.)
    _, ta = tf.while_loop(lambda i, t: i < 4, body, (1, ta))
    st = ta.stack()
    g = tf.gradients(tf.reduce_sum(st * st), x)[0]
    for backend in BACKENDS:
        with tf.Session(backend=backend) as sess:
            got_st, got_g = sess.run([st, g])
        np.testing.assert_allclose(got_st, [[1., 2.], [1.6829419, 1.8185948], [1.9874365, 1.9389095],
                                            [1.8289076, 1.8660159]], rtol=1e-6, err_msg=backend)
        np.testing.assert_allclose(got_g, [5.3918667, 1.4593844], rtol=1e-5, err_msg=backend)


def _gated_recurrence():
    """h <- sigmoid(h * w) * h + x_i: the gradient reads the sigmoid, which no loop var carries."""
    xs = tf.constant([[0.5, -1.0], [0.25, 2.0], [-0.75, 1.5]])
    w = tf.constant([0.8, -0.3])
    inputs = tf.TensorArray(tf.float32, 3).unstack(xs)

    def body(i, h):
        return i + 1, tf.sigmoid(h * w) * h + inputs.read(i)
    _, h = tf.while_loop(lambda i, h: i < 3, body, (0, tf.ones([2])))
    return tf.gradients(tf.reduce_sum(h * h), [xs, w])


def test_numba_bodies_write_saved_values_straight_into_their_rows(monkeypatch):
    """The forward body's saved sigmoid is computed into its row of the recorded stack (no copy
    after the iteration) on the numba backend run body by body (as a loop the whole-loop function
    refuses runs), with the eager executor's gradients."""
    from graphc.codegen import numba_loop, regions
    monkeypatch.setattr(numba_loop.Loops, "runner", lambda self, node: None)
    with tf.Session(backend="eager") as sess:
        want = sess.run(_gated_recurrence())
    direct: list = []
    append = regions._Rows.append

    def counted(rows, value):
        direct.append(value is rows.target and value is not None)
        append(rows, value)
    monkeypatch.setattr(regions._Rows, "append", counted)
    grads = _gated_recurrence()
    with tf.Session(backend="numba", compile_mode="sync") as sess:
        for _ in range(2):        # the second run's rows are sized by the first
            got = sess.run(grads)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5)
    assert any(direct)
