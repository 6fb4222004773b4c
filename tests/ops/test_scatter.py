"""gather_nd, scatter_nd, tensor_scatter_* and the scatters on variables (graphc/ops/scatter.py).
Expected values recorded from TF 2.21 compat.v1; every test runs on every backend."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
P = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gather_nd_scatter_nd_and_the_gradient(backend):
    ph = tf.placeholder(tf.float32, [2, 3, 4])
    g1 = tf.gather_nd(ph, [[1, 2], [0, 0], [1, 2]])
    g2 = tf.gather_nd(ph, [[[1, 0, 3]], [[0, 2, 1]]])
    assert g1.shape.as_list() == [3, 4] and g2.shape.as_list() == [2, 1]
    grad = tf.gradients(tf.reduce_sum(g1 * np.arange(12, dtype=np.float32).reshape(3, 4)), ph)[0]
    sn = tf.scatter_nd([[1], [3], [1]], np.array([[1., 2.], [3., 4.], [5., 6.]], np.float32), [5, 2])
    ts = tf.tensor_scatter_nd_update(np.zeros((3, 2), np.float32), [[2, 1], [0, 0]], [7., 8.])
    with tf.Session(backend=backend) as sess:
        got = sess.run([g1, g2, grad, sn, ts], {ph: P})
    np.testing.assert_array_equal(got[0], [[20., 21., 22., 23.], [0., 1., 2., 3.], [20., 21., 22., 23.]])
    np.testing.assert_array_equal(got[1], [[15.], [9.]])
    want_grad = np.zeros((2, 3, 4), np.float32)
    want_grad[0, 0] = [4., 5., 6., 7.]
    want_grad[1, 2] = [8., 10., 12., 14.]
    np.testing.assert_array_equal(got[2], want_grad)
    np.testing.assert_array_equal(got[3], [[0., 0.], [6., 8.], [0., 0.], [3., 4.], [0., 0.]])
    np.testing.assert_array_equal(got[4], [[8., 0.], [0., 0.], [0., 7.]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_scatters_on_a_variable(backend):
    v = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
    up = tf.scatter_update(v, [3, 0], [[10., 11.], [12., 13.]])
    ad = tf.scatter_add(v, [1, 1], [[1., 1.], [2., 2.]])
    sb = tf.scatter_sub(v, [2], [[0.5, 0.25]])
    nd = tf.scatter_nd_update(v, [[0, 1], [3, 0]], [-1., -2.])
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(up), [[12., 13.], [2., 3.], [4., 5.], [10., 11.]])
        np.testing.assert_array_equal(sess.run(ad), [[12., 13.], [5., 6.], [4., 5.], [10., 11.]])
        np.testing.assert_array_equal(sess.run(sb), [[12., 13.], [5., 6.], [3.5, 4.75], [10., 11.]])
        np.testing.assert_array_equal(sess.run(nd), [[12., -1.], [5., 6.], [3.5, 4.75], [-2., 11.]])
        np.testing.assert_array_equal(sess.run(v), [[12., -1.], [5., 6.], [3.5, 4.75], [-2., 11.]])


def test_bad_indices_name_the_shapes():
    with pytest.raises(ValueError, match=r"indices\[0\] = \[5\] does not index into shape \[3, 4\]"):
        tf.gather_nd(np.zeros((3, 4), np.float32), [[5]])
    with pytest.raises(ValueError, match="need updates of shape"):
        tf.scatter_nd([[1], [2]], np.zeros((3, 2), np.float32), [4, 2])
    v = tf.Variable(np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match="scatter_update into variable Variable"):
        tf.scatter_update(v, [0, 1], np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="only variables can be assigned"):
        tf.scatter_add(tf.constant([1.0]), [0], [1.0])
    idx = tf.placeholder(tf.int32, [None, 1])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="does not index"):
        sess.run(tf.gather_nd(np.zeros((3, 4), np.float32), idx), {idx: [[3]]})


def test_a_variable_scatter_is_ordered_like_an_assign():
    v = tf.Variable([1.0, 2.0, 3.0])
    up = tf.scatter_add(v, [0, 0], [10.0, 5.0])
    before = v + 0.0                              # no edge to the scatter: the value the run started with
    with tf.control_dependencies([up]):
        after = v + 0.0                           # ordered after it: the scattered value
    with tf.Session(backend="numba") as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([up, before, after])
    np.testing.assert_array_equal(got[0], [16.0, 2.0, 3.0])
    np.testing.assert_array_equal(got[1], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(got[2], [16.0, 2.0, 3.0])
