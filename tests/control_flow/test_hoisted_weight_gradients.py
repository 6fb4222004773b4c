"""A while gradient sums a kernel's per-iteration gradient ``a_t^T @ b_t`` as ONE matmul of the
stacked operands after the loop (graphc/control_flow/hoist.py).

The expected numbers are TF 2.21 compat.v1's, recorded in tests/data/rnn (see tests/rnn/test_rnn.py).
"""
import dataclasses
import json
import os
import sys

import numpy as np
import pytest

import graphc as tf
from graphc.control_flow import hoist
from graphc.ops.core import OPS
from graphc.runtime.session import available_backends
import repo_paths

DATA = str(repo_paths.DATA / "rnn")
sys.path.insert(0, DATA)
import cases  # noqa: E402

BACKENDS = [b for b in available_backends() if b != "auto"]
# TF 2.21 compat.v1: d sum(h * h) / d w of test_a_kernel_used_twice_per_step_keeps_its_per_iteration_sum
GW_TWICE = [[0.79032087, 1.2498877], [0.69899541, 1.3153824]]


def _run(name, backend="eager"):
    """The case's loss gradients (inputs, then every weight) with TF's weights loaded, and TF's."""
    want = np.load(os.path.join(DATA, f"{name}.npz"))
    with tf.Graph().as_default():
        feeds, x, _, loss = cases.build(tf, name)
        variables = tf.global_variables()
        assert [[v.op.name, v.shape.as_list()] for v in variables] == json.loads(str(want["names"]))
        grads = tf.gradients(loss, [x] + variables)
        loops = [op for op in tf.get_default_graph().get_operations() if op.type == "While" and "grad" in op.name]
        with tf.Session(backend=backend) as sess:
            sess.run(tf.global_variables_initializer())
            for i, var in enumerate(variables):
                var.load(want[f"weight_{i}"], sess)
            got = sess.run(grads, feeds)
    n_results = sum(1 for k in want.files if k.startswith("result_"))
    return got, [want[f"grad_{i}"] for i in range(len(got))], loops, n_results


def _matmul_runs(monkeypatch) -> list:
    calls: list = []
    kernel = OPS["MatMul"].numpy

    def counted(*args, **kwargs):
        calls.append(1)
        return kernel(*args, **kwargs)
    monkeypatch.setitem(OPS, "MatMul", dataclasses.replace(OPS["MatMul"], numpy=counted))
    return calls


def _live_matmuls(loop) -> int:
    from graphc.control_flow.func_graph import ops_needed
    body = loop.attrs["body"]
    return sum(o.type == "MatMul" for o in ops_needed(list(body.outputs)))


def test_an_lstm_kernel_gradient_is_one_matmul_after_the_loop_with_tensorflows_numbers(monkeypatch):
    runs = _matmul_runs(monkeypatch)
    got, want, (loop,), _ = _run("dynamic_basic_lstm")
    hoisted_runs = len(runs)
    monkeypatch.setattr(hoist, "ENABLED", False)
    runs.clear()
    plain, _, (plain_loop,), _ = _run("dynamic_basic_lstm")
    # 4 iterations (the longest row): each ran a kernel-gradient matmul; now one product after the loop
    assert len(runs) - hoisted_runs == 4 - 1
    assert _live_matmuls(plain_loop) - _live_matmuls(loop) == 1
    assert len(loop.attrs["record"].saved) == 2 and loop.attrs["record"].on
    for g, p, w in zip(got, plain, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(g, p, rtol=1e-5, atol=1e-6)      # the same sums, reassociated


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["dynamic_multi_initial_state_time_major", "dynamic_gru_zero_length"])
def test_hoisted_kernel_gradients_match_tensorflow_on_every_backend(name, backend):
    # two cells (an LSTM's kernel, a GRU's two), rows of length 0, a batch masked by sequence_length
    got, want, loops, _ = _run(name, backend)
    assert all(op.attrs["record"].saved for op in loops)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6, err_msg=f"{name} {backend}")


def test_a_kernel_used_twice_per_step_keeps_its_per_iteration_sum():
    # w's gradient is the sum of two matmuls per iteration: not one product, so left in the loop;
    # numbers from TF 2.21 compat.v1 (the same graph)
    w = tf.constant([[0.5, -0.2], [0.3, 0.8]])

    def body(i, h):
        return i + 1, tf.tanh(tf.matmul(h, w) + tf.matmul(h * 2., w) * 0.1)
    _, h = tf.while_loop(lambda i, h: i < 3, body, (0, tf.constant([[1., 2.]])))
    (gw,) = tf.gradients(tf.reduce_sum(h * h), [w])
    (loop,) = [op for op in tf.get_default_graph().get_operations() if op.type == "While" and "grad" in op.name]
    assert not loop.attrs["record"].saved
    with tf.Session(backend="eager") as sess:
        got = sess.run(gw)
    np.testing.assert_allclose(got, GW_TWICE, rtol=1e-5)


# TF 2.21 compat.v1: d sum(h * h) / d w of _tanh_recurrence (TF has no second-order while gradient)
GW_TANH = [[0.2492018, 0.45705932], [0.26629281, 0.5568068]]


def _tanh_recurrence():
    x0 = tf.constant([[1., 2.]])
    w = tf.constant([[0.5, -0.2], [0.3, 0.8]])

    def body(i, h):
        return i + 1, tf.tanh(tf.matmul(h, w) * 0.7 + x0 * 0.1)
    _, h = tf.while_loop(lambda i, h: i < 3, body, (0, x0))
    (gw,) = tf.gradients(tf.reduce_sum(h * h), [w])
    return [gw] + tf.gradients(tf.reduce_sum(gw * gw), [w, x0])


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_the_second_order_gradient_through_a_hoisted_sum_equals_the_per_iteration_one(monkeypatch, backend):
    # the gradient loop's saved operands get gradients of their own (the hoisted product reads them)
    got = []
    for enabled in (True, False):
        monkeypatch.setattr(hoist, "ENABLED", enabled)
        with tf.Graph().as_default():
            fetches = _tanh_recurrence()
            with tf.Session(backend=backend) as sess:
                got.append(sess.run(fetches))
    np.testing.assert_allclose(got[0][0], GW_TANH, rtol=1e-5)
    for hoisted, plain in zip(*got):
        np.testing.assert_allclose(hoisted, plain, rtol=1e-5, atol=1e-6)


# TF 2.21 compat.v1: d sum(h * h) / d w after 2 iterations (after 0: zeros)
GW_TWO_STEPS = [[0.70054966, 0.77956569], [0.85025418, 1.0227002]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_hoisted_sum_over_zero_iterations_is_zero(backend):
    n = tf.placeholder(tf.int32, [])
    w = tf.constant([[0.5, -0.2], [0.3, 0.8]])
    _, h = tf.while_loop(lambda i, h: i < n, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w))),
                         (0, tf.constant([[1., 2.]])))
    (gw,) = tf.gradients(tf.reduce_sum(h * h), [w])
    with tf.Session(backend=backend) as sess:
        np.testing.assert_array_equal(sess.run(gw, {n: 0}), np.zeros((2, 2)))
        np.testing.assert_allclose(sess.run(gw, {n: 2}), GW_TWO_STEPS, rtol=1e-5)
        np.testing.assert_array_equal(sess.run(gw, {n: 0}), np.zeros((2, 2)))   # after a longer run
