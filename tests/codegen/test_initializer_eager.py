"""A variable initializer runs on the eager executor under a tiering backend (codegen/tiered.py):
it runs once, so its kernels are never compiled."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import numba_cpu, tiered
from graphc.codegen.eager import EagerExecutable
from graphc.passes.run_plan import RunPlan


def _plan(targets, fetches=(), feeds=()) -> RunPlan:
    return RunPlan(list(fetches), [t if isinstance(t, tf.Operation) else t.op for t in targets], list(feeds))


def test_initializes_only_accepts_initializers_and_refuses_reads_feeds_fetches_and_updates():
    w = tf.Variable(tf.random_normal([3, 4], seed=1))
    v = tf.Variable(tf.zeros([4]))
    u = tf.Variable(w.initialized_value() * 2.0)          # reads w
    x = tf.placeholder(tf.float32, [4])
    assert tiered.initializes_only(_plan([tf.variables_initializer([w, v])]))
    assert not tiered.initializes_only(_plan([tf.variables_initializer([u])]))
    assert not tiered.initializes_only(_plan([tf.global_variables_initializer()]))   # u's initializer
    assert not tiered.initializes_only(_plan([tf.assign(v, x)], feeds=[x]))
    assert not tiered.initializes_only(_plan([tf.assign_add(v, tf.ones([4]))]))
    assert not tiered.initializes_only(_plan([tf.assign(v, v * 2.0)]))             # reads v
    assert not tiered.initializes_only(_plan([], fetches=[w.initial_value]))


@pytest.mark.parametrize("mode", ["sync", "tiered"])
def test_the_initializer_runs_eagerly_and_the_step_compiles(mode):
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = tf.Variable(tf.fill([3], 0.5))
    y = tf.reduce_sum(tf.matmul(tf.ones([1, 2]), w) + b)
    init = tf.global_variables_initializer()
    with tf.Session(backend="numba", compile_mode=mode) as sess:
        sess.run(init)
        assert isinstance(sess.compile(init), EagerExecutable)
        assert sess.run(y) == pytest.approx(3.0 + 5.0 + 7.0 + 1.5)
        compiled = {"sync": numba_cpu.NumbaExecutable, "tiered": tiered.TieredExecutable}[mode]
        assert isinstance(sess.compile(y), compiled)
