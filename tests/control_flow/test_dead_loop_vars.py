"""Loop variables nothing needs are not computed (graphc/passes/dead_loop_vars.py).

The LSTM case's expected numbers are TF 2.21 compat.v1's, recorded in tests/data/rnn
(tests/data/rnn/record_tf.py); the small loops' are closed forms worked out by hand.
"""
import json
import os
import sys

import numpy as np
import pytest

import graphc as tf
from graphc.passes import ir, pipeline
from graphc.passes.run_plan import RunPlan
from graphc.runtime.session import available_backends
import repo_paths

DATA = str(repo_paths.DATA / "rnn")
sys.path.insert(0, DATA)
import cases  # noqa: E402

BACKENDS = [b for b in available_backends() if b != "auto"]
STEPS = 5


def _loop(update_b=None):
    """i counts to STEPS; a doubles (a_5 = 32 * a_0); b sums a's values (b_5 = 31 * a_0)."""
    a0 = tf.placeholder(tf.float32, [3], name="a0")
    update_b = update_b or (lambda b, a: b + a)
    i, a, b = tf.while_loop(lambda i, a, b: i < STEPS,
                            lambda i, a, b: (i + 1, a * 2.0, update_b(b, a)),
                            (tf.constant(0), a0, tf.zeros([3])))
    return a0, i, a, b


def _dead_vars(fetches, feeds) -> tuple:
    prog = pipeline.optimize(ir.build(RunPlan(list(fetches), [], list(feeds)), [(3,)]))
    (loop,) = [n for n in prog.nodes if n.type == "While"]
    return loop.attrs.get("dead_vars", ())


def test_an_unread_loop_var_is_marked_dead_and_a_read_one_is_not():
    with tf.Graph().as_default():
        a0, i, a, b = _loop()
        assert _dead_vars([a], [a0]) == (2,)
        assert _dead_vars([a, b], [a0]) == ()
        assert _dead_vars([i], [a0]) == (1, 2)


def test_a_var_another_live_var_reads_stays_live():
    with tf.Graph().as_default():
        a0 = tf.placeholder(tf.float32, [3], name="a0")
        _, a, _ = tf.while_loop(lambda i, a, c: i < STEPS,
                                lambda i, a, c: (i + 1, a + c, c * 2.0),
                                (tf.constant(0), a0, tf.ones([3])))
        assert _dead_vars([a], [a0]) == ()


@pytest.mark.parametrize("backend", BACKENDS)
def test_results_with_a_dead_var_are_the_loops(backend):
    with tf.Graph().as_default():
        a0, i, a, b = _loop()
        x = np.array([1.0, -2.0, 0.5], np.float32)
        with tf.Session(backend=backend) as sess:
            got_i, got_a = sess.run([i, a], {a0: x})
            got_b = sess.run(b, {a0: x})
    assert got_i == STEPS
    np.testing.assert_allclose(got_a, 32 * x)
    np.testing.assert_allclose(got_b, 31 * x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_var_updated_by_an_impure_op_stays_live(backend):
    calls = []

    def count(b, a):
        calls.append(1)
        return b + a

    with tf.Graph().as_default():
        a0, _, a, _ = _loop(lambda b, a: tf.reshape(tf.py_func(count, [b, a], tf.float32), [3]))
        assert _dead_vars([a], [a0]) == ()
        with tf.Session(backend=backend) as sess:
            sess.run(a, {a0: np.ones(3, np.float32)})
    assert len(calls) == STEPS


@pytest.mark.parametrize("backend", BACKENDS)
def test_lstm_weight_gradients_without_the_input_gradient_match_tensorflow(backend):
    """Training asks for the weights' gradients only: the gradient loop's input-gradient
    TensorArray is dead, and the weights' gradients are still TF's."""
    name = "dynamic_basic_lstm"
    want = np.load(os.path.join(DATA, f"{name}.npz"))
    with tf.Graph().as_default():
        feeds, _x, _, loss = cases.build(tf, name)
        variables = tf.global_variables()
        assert [[v.op.name, v.shape.as_list()] for v in variables] == json.loads(str(want["names"]))
        grads = tf.gradients(loss, variables)
        plan = RunPlan(list(grads), [], list(feeds))
        prog = pipeline.optimize(ir.build(plan, [np.shape(v) for v in feeds.values()]))
        loops = [n for n in prog.nodes if n.type == "While" and n.attrs.get("dead_vars")]
        assert loops, "the gradient loop should have a dead loop var (the input gradient)"
        with tf.Session(backend=backend) as sess:
            sess.run(tf.global_variables_initializer())
            for i, var in enumerate(variables):
                var.load(want[f"weight_{i}"], sess)
            got = sess.run(grads, feeds)
    for i, g in enumerate(got):
        np.testing.assert_allclose(g, want[f"grad_{i + 1}"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_var_the_body_returns_unchanged_is_read_as_its_initial_value(backend):
    with tf.Graph().as_default():
        a0 = tf.placeholder(tf.float32, [3], name="a0")
        c0 = tf.placeholder(tf.float32, [3], name="c0")
        i, a, c = tf.while_loop(lambda i, a, c: i < STEPS, lambda i, a, c: (i + 1, a + c, c),
                                (tf.constant(0), a0, c0))
        out = a - c
        prog = pipeline.optimize(ir.build(RunPlan([out], [], [a0, c0]), [(3,), (3,)]))
        (sub,) = [n for n in prog.nodes if n.type == "Sub"]
        assert sub.inputs[1].op.type == "Feed"                 # c0 itself, not the loop's output
        (loop,) = [n for n in prog.nodes if n.type == "While"]
        assert sub.inputs[0].op is loop
        with tf.Session(backend=backend) as sess:
            got = sess.run([out, c], {a0: np.ones(3, np.float32), c0: np.arange(3, dtype=np.float32)})
    np.testing.assert_array_equal(got[0], 1.0 + STEPS * np.arange(3) - np.arange(3))
    np.testing.assert_array_equal(got[1], np.arange(3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_loop_with_a_py_func_runs_when_only_an_unchanged_var_is_read(backend):
    """The body's py_func (impure) must run STEPS times though the fetched var passes through untouched."""
    calls = []

    def count(i):
        calls.append(int(i))
        return np.int32(1)
    with tf.Graph().as_default():
        c0 = tf.placeholder(tf.float32, [3], name="c0")
        _, c = tf.while_loop(lambda i, c: i < STEPS,
                             lambda i, c: (i + tf.reshape(tf.py_func(count, [i], tf.int32), []), c),
                             (tf.constant(0), c0))
        with tf.Session(backend=backend) as sess:
            np.testing.assert_array_equal(sess.run(c, {c0: np.ones(3, np.float32)}), np.ones(3))
    assert calls == list(range(STEPS))
