"""A loop condition of scalar comparisons runs as Python operators (graphc/codegen/scalar_cond.py)
with numpy's answers; anything else keeps its compiled condition."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import scalar_cond
from graphc.runtime.session import available_backends

BACKENDS = [b for b in ("eager", "interpret", "numba", "triton") if b in available_backends()]
FLOATS = [np.float32(v) for v in (0.0, -0.0, 1.0, np.nan, 3.4028235e38, 1e-45, -np.inf)]
# (graph condition, numpy's answer on the same scalars)
CONDITIONS = [
    (lambda i, n: i < n, lambda a, b: a < b),
    (lambda i, n: tf.logical_and(tf.logical_not(tf.equal(i, n)), tf.less_equal(i, n)),
     lambda a, b: np.logical_and(np.logical_not(a == b), a <= b)),
    (lambda i, n: tf.logical_or(tf.greater(i, n), tf.greater_equal(n, i)), lambda a, b: (a > b) or (b >= a)),
    (lambda i, n: tf.not_equal(i, tf.constant(np.float32(-0.0))), lambda a, b: a != np.float32(-0.0)),
]


def _cond_of(loop_output):
    return loop_output.op.attrs["cond"]


def _counting_loop(cond, dtype):
    n = tf.placeholder(dtype, [])
    return n, tf.while_loop(lambda i: cond(i, n), lambda i: i + tf.constant(1, dtype), [tf.constant(0, dtype)])


@pytest.mark.parametrize("dtype", [tf.int32, tf.float32, tf.float64])
def test_a_scalar_condition_counts_the_iterations_numpy_does_on_every_backend(dtype):
    with tf.Graph().as_default():
        n, out = _counting_loop(lambda i, n: i < n, dtype)
        assert scalar_cond.evaluator(_cond_of(out)) is not None
        limits = [5, 0, -3] + ([2.5, float("nan")] if dtype is not tf.int32 else [])
        for backend in BACKENDS:
            with tf.Session(backend=backend) as sess:
                for limit in limits:
                    want = 0 if np.isnan(limit) else max(0, int(np.ceil(limit)))
                    assert sess.run(out, {n: limit}) == want, (backend, limit)


@pytest.mark.parametrize("k", range(len(CONDITIONS)))
def test_the_evaluator_agrees_with_numpy_on_nan_signed_zero_and_extremes(k):
    build, numpy_answer = CONDITIONS[k]
    with tf.Graph().as_default():
        _, out = _counting_loop(build, tf.float32)
        test = scalar_cond.evaluator(_cond_of(out))
        assert test is not None
        for a in FLOATS:
            for b in FLOATS:
                assert test([np.array(a), np.array(b)]) == bool(numpy_answer(a, b)), (a, b)


def test_conditions_with_arithmetic_tensors_or_effects_keep_their_compiled_run():
    with tf.Graph().as_default():
        arithmetic = tf.while_loop(lambda i: i * 2 < 10, lambda i: i + 1, [tf.constant(0)])
        tensor = tf.while_loop(lambda v: tf.reduce_sum(v) < 10.0, lambda v: v + 1.0, [tf.zeros([3])])

        effect = tf.while_loop(lambda i: tf.Print(i < 3, [i]), lambda i: i + 1, [tf.constant(0)])
        for out in (arithmetic, tensor, effect):
            assert scalar_cond.evaluator(_cond_of(out)) is None
        _, out = _counting_loop(lambda i, n: i < n, tf.int32)
        test = scalar_cond.evaluator(_cond_of(out))
        assert test([np.array(1, np.int32), np.array(5, np.int32)]) is True
        assert test([np.array(1, np.int32), [5]]) is None       # not a numpy scalar: run it compiled
