"""tf.cumsum / tf.cumprod (exclusive, reverse) and tf.einsum (graphc/ops/cumulative.py, ops/einsum.py).
Expected values recorded from TF 2.21 compat.v1; every test runs on every backend."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
X = np.array([[1., 2., 3.], [4., 0.5, -2.]], np.float32)
W = np.array([[1., 2., 3.], [4., 5., 6.]], np.float32)
A = np.arange(6, dtype=np.float32).reshape(2, 3)
B = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
C = np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumsum_and_cumprod(backend):
    p = tf.placeholder(tf.float32, [2, 3])
    fetches = [tf.cumsum(p), tf.cumsum(p, 1, exclusive=True), tf.cumsum(p, 1, reverse=True),
               tf.cumsum(p, 1, exclusive=True, reverse=True), tf.cumprod(p, 1), tf.cumprod(p, 0, exclusive=True),
               tf.cumprod(p, 1, exclusive=True, reverse=True), tf.cumsum(np.array([1, 2, 3], np.int32)),
               tf.gradients(tf.reduce_sum(tf.cumprod(p, 1, exclusive=True, reverse=True) * W), p)[0],
               tf.gradients(tf.reduce_sum(tf.cumsum(p, 1, exclusive=True) * W), p)[0]]
    with tf.Session(backend=backend) as sess:
        got = sess.run(fetches, {p: X})
    want = [[[1., 2., 3.], [5., 2.5, 1.]], [[0., 1., 3.], [0., 4., 4.5]], [[6., 5., 3.], [2.5, -1.5, -2.]],
            [[5., 3., 0.], [-1.5, -2., 0.]], [[1., 2., 6.], [4., 2., -4.]], [[1., 1., 1.], [1., 2., 3.]],
            [[6., 3., 1.], [-1., -2., 1.]], [1, 3, 6], [[0., 3., 4.], [0., -8., 7.]], [[5., 3., 0.], [11., 6., 0.]]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert got[7].dtype == np.int32


def test_cumsum_refuses_a_bad_axis():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        tf.cumsum(X, 2)
    with pytest.raises(TypeError, match="must be a number tensor"):
        tf.cumprod(tf.constant([True]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_einsum_equations(backend):
    pa = tf.placeholder(tf.float32, [2, 3])
    pb = tf.placeholder(tf.float32, [3, 4])
    fetches = [tf.einsum("ij,jk->ik", pa, pb), tf.einsum("ij->ji", pa), tf.einsum("ij->", pa),
               tf.einsum("ij,ij->i", pa, pa), tf.einsum("bij,jk->bik", C[:, :, :3], pb),
               tf.einsum("...j,jk->...k", C[:, :, :3], pb), tf.einsum("ii->i", np.arange(9, dtype=np.float32).reshape(3, 3)),
               tf.einsum("ij,kj", pa, pa), tf.einsum("i,j->ij", pa[0], pa[1])]
    grads = tf.gradients(tf.reduce_sum(tf.einsum("ij,jk->i", pa, pb) * np.array([1., -2.], np.float32)), [pa, pb])
    assert fetches[5].shape.as_list() == [2, 3, 4] and fetches[7].shape.as_list() == [2, 2]
    with tf.Session(backend=backend) as sess:
        got = sess.run(fetches + grads, {pa: A, pb: B})
    bik = [[[2.5, 4., 5.5, 7.], [-3.5, 4., 11.5, 19.], [-9.5, 4., 17.5, 31.]],
           [[-15.5, 4., 23.5, 43.], [-21.5, 4., 29.5, 55.], [-27.5, 4., 35.5, 67.]]]
    want = [[[5., 8., 11., 14.], [-4., 8., 20., 32.]], A.T, 15.0, [5., 50.], bik, bik, [0., 4., 8.],
            [[5., 14.], [14., 50.]], [[0., 0., 0.], [3., 4., 5.], [6., 8., 10.]],
            [[-14., 2., 18.], [28., -4., -36.]], [[-6.] * 4, [-7.] * 4, [-8.] * 4]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_einsum_refuses_bad_equations():
    with pytest.raises(ValueError, match="names 2 operands but 1"):
        tf.einsum("ij,jk->ik", A)
    with pytest.raises(ValueError, match="label 'j' has size 3 in one operand and 4"):
        tf.einsum("ij,jk->ik", A, B.T)
    with pytest.raises(ValueError, match="has 2 labels but rank 3"):
        tf.einsum("ij->i", C)


@pytest.mark.parametrize("backend", BACKENDS)
def test_einsum_repeated_label_and_its_gradient(backend):
    """A label repeated in one operand reads a diagonal; its gradient lies on that diagonal."""
    a = np.arange(9, dtype=np.float64).reshape(3, 3) * 0.5 - 1
    c = np.arange(36, dtype=np.float64).reshape(3, 3, 4) * 0.25 - 4
    pa = tf.placeholder(tf.float64, [3, 3])
    pc = tf.placeholder(tf.float64, [None, None, 4])
    diag, trace, summed = tf.einsum("ii->i", pa), tf.einsum("ii", pa), tf.einsum("iij->j", pc)
    assert diag.shape.as_list() == [3] and trace.shape.as_list() == [] and summed.shape.as_list() == [4]
    grads = [tf.gradients(tf.reduce_sum(diag * [1., -2., 3.]), pa)[0], tf.gradients(trace * 3, pa)[0],
             tf.gradients(tf.reduce_sum(summed * [1., -1., 2., .5]), pc)[0]]
    with tf.Session(backend=backend) as sess:
        got = sess.run([diag, trace, summed] + grads, {pa: a, pc: c})
    # recorded from TF 2.21 compat.v1
    row = [1.0, -1.0, 2.0, 0.5]
    zero = [0.0] * 4
    want = [[-1.0, 1.0, 3.0], 3.0, [0.0, 0.75, 1.5, 2.25],
            [[1.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, 3.0]], [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]],
            [[row, zero, zero], [zero, row, zero], [zero, zero, row]]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
