"""The comparison every parity test uses: error bounds from a float64 run (graphc.reference_bounds).

It must accept what correct evaluations differ by (another summation order, a few ulps of a
transcendental) and reject what a wrong kernel produces (a dropped term, a wrong element).
"""
import numpy as np
import pytest

import graphc as tf
from graphc.reference_bounds import assert_within_bound, bound_run

RS = np.random.RandomState(0)


def cancelling_rows() -> np.ndarray:
    """Rows of terms ~10 whose sums are ~0.1: the sum's condition number is in the thousands."""
    y = (RS.randn(64, 128) * 10).astype(np.float32)
    y -= y.mean(axis=1, keepdims=True)
    return y + np.float32(1e-3)


def test_a_sum_in_another_order_is_accepted_where_a_relative_tolerance_fails():
    yv = cancelling_rows()
    y = tf.placeholder(tf.float32, [64, 128])
    total = tf.reduce_sum(y, axis=1)
    pairwise = tf.Session(backend="eager").run(total, {y: yv})
    sequential = np.cumsum(yv, axis=1, dtype=np.float32)[:, -1]   # one lane, left to right
    assert not np.allclose(sequential, pairwise, rtol=1e-5, atol=1e-6)   # the old check: a false alarm
    bound = bound_run([total], {y: yv}).fetches[0].bound
    assert_within_bound(sequential, pairwise, bound)


def test_a_dropped_or_wrong_term_is_rejected():
    yv = np.abs(RS.randn(8, 50)).astype(np.float32) + 0.5       # well conditioned: no cancellation
    y = tf.placeholder(tf.float32, [8, 50])
    total = tf.reduce_sum(y, axis=1)
    want = tf.Session(backend="eager").run(total, {y: yv})
    bound = bound_run([total], {y: yv}).fetches[0].bound
    dropped = want.copy()
    dropped[2] -= yv[2, 7]
    with pytest.raises(AssertionError, match=r"(?s)1 of 8 elements .*\(2,\): 63\.0"):
        assert_within_bound(dropped, want, bound)
    nudged = want.copy()
    nudged[5] *= np.float32(1 + 1e-4)                          # far beyond eps * (log2 n + c)
    with pytest.raises(AssertionError):
        assert_within_bound(nudged, want, bound)


def test_elementwise_results_are_compared_in_ulps():
    xv = np.linspace(-3, 3, 101, dtype=np.float32)
    x = tf.placeholder(tf.float32, [101])
    y = tf.tanh(x) * 2.0
    want = tf.Session(backend="eager").run(y, {x: xv})
    bound = bound_run([y], {x: xv}).fetches[0].bound
    assert_within_bound(np.nextafter(np.nextafter(want, np.inf), np.inf), want, bound)   # 2 ulps: fine
    far = want + 200 * np.spacing(np.abs(want))
    with pytest.raises(AssertionError):
        assert_within_bound(far.astype(np.float32), want, bound)


def test_the_bound_follows_errors_through_a_chain():
    xv = cancelling_rows()
    x = tf.placeholder(tf.float32, [64, 128])
    s = tf.reduce_sum(x, axis=1, keepdims=True)
    y = tf.exp(s) * x                                          # the sum's error, scaled by exp'(s) * x
    ref = bound_run([s, y], {x: xv}).fetches
    sum_bound = ref[0].bound[:, 0]
    assert np.all(ref[1].bound[:, 0] >= np.exp(ref[0].value[:, 0]) * np.abs(xv[:, 0]) * sum_bound * 0.99)


def test_discrete_results_must_be_equal_unless_a_float_input_sits_on_a_tie():
    i = tf.placeholder(tf.int32, [4])
    iv = np.array([3, -1, 7, 0], np.int32)
    bound = bound_run([i * 2 + 1], {i: iv}).fetches[0].bound
    assert not bound.any()
    with pytest.raises(AssertionError):
        assert_within_bound(iv * 2 + 2, iv * 2 + 1, bound)
    x = tf.placeholder(tf.float32, [2, 128])
    xv = cancelling_rows()[:2]
    xv[1] = np.abs(xv[1]) + 1.0                                # row 1: positive, its sum is far from 10
    flags = tf.reduce_sum(x, axis=1) > 0.1                      # row 0 sums to ~0.1: may flip
    bound = bound_run([flags], {x: xv}).fetches[0].bound
    assert bound[1] == 0


def test_nan_and_inf_must_match_exactly():
    want = np.array([1.0, np.nan, np.inf], np.float32)
    with pytest.raises(AssertionError):
        assert_within_bound(np.array([1.0, 2.0, np.inf], np.float32), want, np.ones(3))
    with pytest.raises(AssertionError):
        assert_within_bound(np.array([1.0, np.nan, -np.inf], np.float32), want, np.ones(3))
    assert_within_bound(want.copy(), want, np.zeros(3))


def test_dtype_and_shape_must_match():
    with pytest.raises(AssertionError, match="dtype"):
        assert_within_bound(np.zeros(3, np.float64), np.zeros(3, np.float32), np.zeros(3))
    with pytest.raises(AssertionError, match="shape"):
        assert_within_bound(np.zeros(4, np.float32), np.zeros(3, np.float32), np.zeros(3))


@pytest.mark.parametrize("build", [
    lambda x, w: tf.nn.softmax(tf.matmul(x, w)),
    lambda x, w: tf.reduce_mean(tf.square(x - tf.reduce_mean(x, axis=0)), axis=0),
    lambda x, w: tf.sigmoid(x) * tf.log(tf.abs(x) + 1.0) - tf.sqrt(tf.abs(x)),
    lambda x, w: tf.reduce_logsumexp(x * 3.0, axis=1),
    lambda x, w: tf.gradients(tf.reduce_sum(tf.tanh(tf.matmul(x, w)) ** 2), [x, w]),
], ids=["softmax_matmul", "variance", "elementwise_chain", "logsumexp", "gradients"])
def test_the_float32_reference_itself_lies_within_the_bound_of_the_exact_value(build):
    """The model is checked on numpy's own float32 evaluation against the float64 value."""
    x = tf.placeholder(tf.float32, [16, 32])
    w = tf.placeholder(tf.float32, [32, 8])
    out = build(x, w)
    outs = out if isinstance(out, list) else [out]
    feed = {x: cancelling_rows()[:16, :32], w: RS.randn(32, 8).astype(np.float32)}
    got = tf.Session(backend="eager").run(outs, feed)
    for g, r in zip(got, bound_run(outs, feed).fetches):
        assert np.all(np.abs(g.astype(np.float64) - r.value) <= r.bound + np.finfo(np.float32).tiny)
