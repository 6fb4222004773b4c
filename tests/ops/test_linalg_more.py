"""diag, diag_part, matrix_band_part, matrix_inverse, cholesky (graphc/ops/linalg.py).
Expected values recorded from TF 2.21 compat.v1; every test runs on every backend."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
A = np.array([[4., 1., 0.5], [1., 3., -0.5], [0.5, -0.5, 2.]], np.float32)
M = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
W = np.array([[1., 2., 3.], [-1., 0.5, 2.], [0.25, -2., 1.]], np.float32)
INV = [[0.29113924503326416, -0.1139240562915802, -0.1012658178806305],
       [-0.1139240488409996, 0.39240509271621704, 0.1265822798013687],
       [-0.10126582533121109, 0.1265822798013687, 0.5569620132446289]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_and_gradients(backend):
    p = tf.placeholder(tf.float32, [3, 3])
    outs = [tf.diag([1., 2., 3.]), tf.diag(np.array([[1, 2], [3, 4]], np.int32)),
            tf.diag_part(np.arange(16, dtype=np.float32).reshape(4, 4)),
            tf.matrix_band_part(M, 1, 0), tf.matrix_band_part(M, -1, 1), tf.matrix_band_part(M, 0, -1),
            tf.matrix_inverse(p), tf.matrix_inverse(p, adjoint=True), tf.cholesky(p),
            tf.gradients(tf.reduce_sum(tf.matrix_inverse(p) * W), p)[0],
            tf.gradients(tf.reduce_sum(tf.cholesky(p) * W), p)[0]]
    want = [np.diag([1., 2., 3.]), [[[[1, 0], [0, 0]], [[0, 2], [0, 0]]], [[[0, 0], [3, 0]], [[0, 0], [0, 4]]]],
            [0., 5., 10., 15.], [[-5., 0., 0., 0.], [-1., 0., 0., 0.], [0., 4., 5., 0.]],
            [[-5., -4., 0., 0.], [-1., 0., 1., 0.], [3., 4., 5., 6.]],
            [[-5., -4., -3., -2.], [0., 0., 1., 2.], [0., 0., 5., 6.]], INV, INV,
            [[2.0, 0.0, 0.0], [0.5, 1.658312439918518, 0.0], [0.25, -0.376889169216156, 1.339945673942566]],
            [[0.02747957780957222, -0.31124821305274963, -0.3568338453769684],
             [0.16343535482883453, -0.014420782215893269, -0.32927417755126953],
             [-0.06569460779428482, 0.4175613224506378, -0.13235056400299072]],
            [[0.280190646648407, -0.1934678554534912, 0.14541032910346985],
             [-0.1934678554534912, 0.032979339361190796, -0.5182160139083862],
             [0.14541032910346985, -0.5182160139083862, 0.37314945459365845]]]
    with tf.Session(backend=backend) as sess:
        got = sess.run(outs, {p: A})
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=str(i))
    assert got[1].dtype == np.int32 and outs[1].shape.as_list() == [2, 2, 2, 2]


def test_singular_and_indefinite_inputs():
    p = tf.placeholder(tf.float32, [3, 3])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Input is not invertible"):
            sess.run(tf.matrix_inverse(p), {p: np.zeros((3, 3), np.float32)})
        factor = sess.run(tf.cholesky(p), {p: np.zeros((3, 3), np.float32)})   # TF 2.21: NaN lower triangle
    np.testing.assert_array_equal(np.isnan(factor), np.tril(np.ones((3, 3), bool)))
    with pytest.raises(ValueError, match="square matrices"):
        tf.matrix_inverse(M)
    with pytest.raises(ValueError, match=r"shape \[D1..Dk, D1..Dk\]"):
        tf.diag_part(M)
