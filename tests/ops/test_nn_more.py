"""tf.nn compositions of issue 16 item 3: xw_plus_b, l2_normalize, weighted_cross_entropy_with_logits,
log_poisson_loss. Expected values recorded from TF 2.21 compat.v1."""
import numpy as np
import pytest

import graphc as tf

XS = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]], np.float32)


def run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_xw_plus_b_and_l2_normalize():
    xw = tf.nn.xw_plus_b(XS, np.array([[1., 2.], [0.5, -1.], [2., 0.]], np.float32), np.array([0.1, -0.2], np.float32))
    got = run([xw, tf.nn.l2_normalize(XS, axis=1), tf.nn.l2_normalize(XS), tf.nn.l2_normalize(XS, dim=0)])
    np.testing.assert_allclose(got[0], [[3.85, 2.3], [-0.275, 1.55]], rtol=1e-6)
    np.testing.assert_allclose(got[1], [[0.19611613, -0.5883484, 0.78446454],
                                        [0.78446454, 0.19611613, -0.5883484]], rtol=1e-6)
    np.testing.assert_allclose(got[2], [[0.1754116, -0.5262348, 0.7016464],
                                        [0.3508232, 0.0877058, -0.2631174]], rtol=1e-6)
    np.testing.assert_allclose(got[3], XS / np.sqrt((XS ** 2).sum(0)), rtol=1e-6)
    assert xw.op.name == "xw_plus_b"


def test_weighted_cross_entropy_and_log_poisson_loss():
    z = np.array([[1., 0., 0.5], [0., 1., 1.]], np.float32)
    targets = np.array([[0.5, 2.0, 3.0], [1.0, 0.0, 7.0]], np.float32)
    got = run([tf.nn.weighted_cross_entropy_with_logits(labels=z, logits=XS, pos_weight=2.5),
               tf.nn.weighted_cross_entropy_with_logits(targets=z, logits=XS, pos_weight=2.5),
               tf.nn.log_poisson_loss(targets, XS), tf.nn.log_poisson_loss(targets, XS, compute_full_loss=True)])
    want_wce = [[1.1851925, 0.20141327, 1.222124], [1.3132617, 1.4398485, 2.8421774]]
    np.testing.assert_allclose(got[0], want_wce, rtol=1e-6)
    np.testing.assert_allclose(got[1], want_wce, rtol=1e-6)
    np.testing.assert_allclose(got[2], [[1.3987212, 3.2231302, 1.3890562], [1.7182817, 1.2840254, 5.7223663]],
                               rtol=1e-6)
    np.testing.assert_allclose(got[3], [[1.3987212, 3.8749366, 3.1531377], [1.7182817, 1.2840254, 14.23563]],
                               rtol=1e-6)


def test_bad_inputs_name_the_tensor():
    with pytest.raises(TypeError, match="l2_normalize: x .* int32"):
        tf.nn.l2_normalize(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.weighted_cross_entropy_with_logits(labels=np.zeros((2, 2), np.float32), logits=XS, pos_weight=1.0)
