"""top_k, one-argument where, boolean_mask, unique, setdiff1d (graphc/ops/selection.py, ops/math.py).

Expected values were recorded from TF 2.21 compat.v1 (tf.compat.v1.disable_v2_behavior()). The
data-dependent shapes run as host steps on every backend, so each test runs on each of them.
"""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
X = np.array([[1., 3., 3., 2., 3.], [5., -1., 5., 0., 0.]], np.float32)
XS = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]], np.float32)
MASK = np.array([[True, False, True], [False, True, True]])


def run(fetches, feed=None, backend="eager"):
    with tf.Session(backend=backend) as sess:
        return sess.run(fetches, feed)


@pytest.mark.parametrize("backend", BACKENDS)
def test_top_k_keeps_tf1_tie_order_and_its_gradient(backend):
    p = tf.placeholder(tf.float32, [2, 5])
    values, indices = tf.nn.top_k(p, 3)
    assert values.shape.as_list() == [2, 3] and indices.dtype == tf.int32
    vi, ii = tf.nn.top_k(np.array([[4, 4, 1, 4], [2, 7, 7, 2]], np.int32), k=2)
    v2, _ = tf.nn.top_k(p, 2)
    grad = tf.gradients(v2 * np.array([[1., 2.], [3., 4.]], np.float32), p)[0]
    got = run([values, indices, vi, ii, grad], {p: X}, backend)
    np.testing.assert_array_equal(got[0], [[3., 3., 3.], [5., 5., 0.]])
    np.testing.assert_array_equal(got[1], [[1, 2, 4], [0, 2, 3]])
    np.testing.assert_array_equal(got[2], [[4, 4], [7, 7]])
    np.testing.assert_array_equal(got[3], [[0, 1], [1, 2]])
    np.testing.assert_array_equal(got[4], [[0., 1., 2., 0., 0.], [3., 0., 4., 0., 0.]])


def test_top_k_with_a_fed_k_and_bad_k():
    p = tf.placeholder(tf.float32, [None, 5])
    k = tf.placeholder(tf.int32, [])
    values, indices = tf.nn.top_k(p, k)
    assert values.shape.as_list() == [None, None]
    np.testing.assert_array_equal(run(indices, {p: X, k: 1}), [[1], [0]])
    with pytest.raises(ValueError, match="at least k=6"):
        tf.nn.top_k(X, 6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="k=7"):
        run(values, {p: X, k: 7})


@pytest.mark.parametrize("backend", BACKENDS)
def test_where_one_argument_gives_int64_coordinates(backend):
    c = tf.placeholder(tf.bool, [2, None])
    w = tf.where(c)
    assert w.dtype == tf.int64 and w.shape.as_list() == [None, 2]
    got = run(w, {c: [[True, False, True], [False, True, False]]}, backend)
    np.testing.assert_array_equal(got, [[0, 0], [0, 2], [1, 1]])
    with pytest.raises(ValueError, match="both be None"):
        tf.where(c, x=w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_boolean_mask_values_axis_and_gradient(backend):
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = tf.placeholder(tf.float32, [2, 3, 4])
    masked = tf.boolean_mask(t, MASK)
    assert masked.shape.as_list() == [None, 4]
    on_axis1 = tf.boolean_mask(t, [True, False, True], axis=1)
    mp = tf.placeholder(tf.float32, [2, 3])
    grad = tf.gradients(tf.reduce_sum(tf.boolean_mask(mp, MASK) ** 2), mp)[0]
    got = run([masked, on_axis1, grad], {t: data, mp: XS}, backend)
    np.testing.assert_array_equal(got[0], data.reshape(6, 4)[[0, 2, 4, 5]])
    np.testing.assert_array_equal(got[1], [[[0., 1., 2., 3.], [8., 9., 10., 11.]],
                                           [[12., 13., 14., 15.], [20., 21., 22., 23.]]])
    np.testing.assert_allclose(got[2], [[1., 0., 4.], [0., 0.5, -1.5]])


def test_boolean_mask_refuses_mismatched_masks():
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(np.zeros((2, 3)), np.ones((3,), bool))
    with pytest.raises(TypeError, match="must be bool"):
        tf.boolean_mask(np.zeros((2, 3)), np.ones((2,), np.int32))


@pytest.mark.parametrize("backend", BACKENDS)
def test_unique_and_setdiff1d(backend):
    x = tf.placeholder(tf.int64, [None])
    y, idx = tf.unique(x)
    out, out_idx = tf.setdiff1d(np.array([1, 2, 3, 2, 5, 9], np.int32), [2, 9, 11])
    y64, idx64 = tf.unique(x, out_idx=tf.int64)
    got = run([y, idx, out, out_idx, idx64], {x: [3, 1, 3, 7, 1, 0]}, backend)
    np.testing.assert_array_equal(got[0], [3, 1, 7, 0])
    np.testing.assert_array_equal(got[1], [0, 1, 0, 2, 1, 3])
    assert got[1].dtype == np.int32 and got[4].dtype == np.int64
    np.testing.assert_array_equal(got[2], [1, 3, 5])
    np.testing.assert_array_equal(got[3], [0, 2, 4])
    with pytest.raises(ValueError, match="must be 1-D"):
        tf.unique(np.zeros((2, 2)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_top_k_unsorted_gives_the_k_largest_and_their_gradient(backend):
    """sorted=False: TF1 leaves the order unspecified (its CPU kernel returns heap order); graphc
    returns them sorted, which that contract allows. Values, indices (as sets) and the gradient
    were recorded from TF 2.21 compat.v1."""
    v = np.array([[3., 1., 4., 1.5, 5., 9., 2., 6.], [2., 7., 1., 8., 2.5, 8.5, 0., 4.]], np.float32)
    p = tf.placeholder(tf.float32, [2, 8])
    values, indices = tf.nn.top_k(p, 3, sorted=False)
    assert values.shape.as_list() == [2, 3]
    grad = tf.gradients(tf.reduce_sum(values * values), p)[0]
    got_v, got_i, got_g = run([values, indices, grad], {p: v}, backend)
    assert [sorted(r) for r in got_v.tolist()] == [[5., 6., 9.], [7., 8., 8.5]]
    assert [sorted(r) for r in got_i.tolist()] == [[4, 5, 7], [1, 3, 5]]
    np.testing.assert_array_equal(np.take_along_axis(v, got_i, -1), got_v)
    np.testing.assert_array_equal(got_g, [[0., 0., 0., 0., 10., 18., 0., 12.], [0., 14., 0., 16., 0., 17., 0., 0.]])
