"""tf.losses families against TF 2.21 compat.v1 numbers (tests/data/tf1_losses.json, recorded by
tests/data/make_tf1_losses.py): every loss, weights of each broadcast form, every reduction, label
smoothing, mean_pairwise_squared_error's per-batch counts; names, the LOSSES collection, errors."""
import json

import numpy as np
import pytest

import graphc as tf
from repo_paths import DATA

TF1 = json.loads((DATA / "tf1_losses.json").read_text())
L, R = tf.losses, tf.losses.Reduction
PRED = np.array([[0.1, 0.7, 0.35], [0.9, 0.2, 0.55]])
TRUE = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
REG_P = np.array([[1.1, 2.9, -0.3], [4.4, 2.5, 6.6]])
REG_T = np.array([[1.0, 2.0, 3.1], [4.0, 5.0, 6.1]])
W = {"2.0": 2.0, "col": [[0.0], [2.0]], "row": [[1.0, 0.0, 3.0]], "full": [[1, 0, 0], [0, 2, 0.5]]}
LOGITS = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
ONEHOT = np.array([[0, 1, 0], [0, 0, 1]])


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


BUILD = {
    "huber_loss": lambda w, r: L.huber_loss(REG_T, REG_P, weights=w, delta=1.5, reduction=r),
    "log_loss": lambda w, r: L.log_loss(TRUE, PRED, weights=w, reduction=r),
    "hinge_loss": lambda w, r: L.hinge_loss(TRUE, REG_P - 2.0, weights=w, reduction=r),
    "cosine_distance": lambda w, r: L.cosine_distance(_unit(TRUE), _unit(PRED), axis=1, weights=w, reduction=r),
    "absolute_difference": lambda w, r: L.absolute_difference(REG_T, REG_P, weights=w, reduction=r),
    "sigmoid_cross_entropy_smoothed": lambda w, r: L.sigmoid_cross_entropy(TRUE, REG_P - 2.0, weights=w,
                                                                           label_smoothing=0.2, reduction=r),
    "softmax_cross_entropy_smoothed": lambda w, r: L.softmax_cross_entropy(ONEHOT, LOGITS, weights=[0.5, 2.0],
                                                                           label_smoothing=0.3, reduction=r),
    "sparse_softmax_cross_entropy": lambda w, r: L.sparse_softmax_cross_entropy([1, 2], LOGITS, weights=[0.5, 2.0],
                                                                                reduction=r),
}
KEYS = sorted(k for k in TF1 if k != "mean_pairwise")


def run(fetch):
    with tf.Session() as sess:
        return sess.run(fetch)


@pytest.mark.parametrize("key", KEYS)
def test_loss_weights_and_reduction_match_tf1(key):
    name, weights, reduction = key.split("|")
    loss = BUILD[name](W[weights], reduction)
    # regression losses are float32 whatever their inputs; the cross-entropies keep the logits' float64 (TF1)
    assert loss.dtype == (tf.float64 if "entropy" in name else tf.float32)
    assert tf.losses.get_losses() == [loss]
    np.testing.assert_allclose(run(loss), np.array(TF1[key]), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("key,weights", [("1.0", 1.0), ("batch", [[0.5], [2.0]]), ("tensor1", np.float32(1.0)),
                                         ("zero_row", [[0.0], [1.0]])])
def test_mean_pairwise_squared_error_matches_tf1(key, weights):
    loss = L.mean_pairwise_squared_error(REG_T, REG_P, weights=weights)
    assert loss.name == "mean_pairwise_squared_error/value:0" and tf.losses.get_losses() == [loss]
    np.testing.assert_allclose(run(loss), TF1["mean_pairwise"][key], rtol=2e-6)


def test_mean_pairwise_squared_error_rank3_per_batch_weights():
    loss = L.mean_pairwise_squared_error(REG_T.reshape(2, 3, 1), REG_P.reshape(2, 3, 1), weights=[[[0.5]], [[2.0]]])
    np.testing.assert_allclose(run(loss), TF1["mean_pairwise"]["rank3"], rtol=2e-6)


def test_default_names_follow_tf1():
    names = [L.huber_loss(REG_T, REG_P).name, L.log_loss(TRUE, PRED).name, L.hinge_loss(TRUE, PRED).name,
             L.cosine_distance(TRUE, PRED, axis=1).name]
    assert names == ["huber_loss/value:0", "log_loss/value:0", "hinge_loss/value:0", "cosine_distance_loss/value:0"]


def test_total_loss_sums_losses_and_regularization():
    a = L.huber_loss(REG_T, REG_P)
    b = L.log_loss(TRUE, PRED)
    tf.get_variable("v", [2], initializer=tf.ones_initializer(), regularizer=lambda v: tf.reduce_sum(v) * 0.25)
    total = L.get_total_loss()
    reg = L.get_regularization_loss()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_a, got_b, got_total, got_reg = sess.run([a, b, total, reg])
    np.testing.assert_allclose(got_reg, 0.5)
    np.testing.assert_allclose(got_total, got_a + got_b + 0.5, rtol=1e-6)


def test_loss_gradients_reach_predictions():
    p = tf.placeholder(tf.float64, [2, 3])
    grad, = tf.gradients(L.huber_loss(REG_T, p, delta=1.5, reduction=R.SUM), p)
    err = REG_P - REG_T
    np.testing.assert_allclose(tf.Session().run(grad, {p: REG_P}), np.clip(err, -1.5, 1.5), rtol=1e-5)


def test_errors_follow_tf1():
    with pytest.raises(ValueError, match="axis"):
        L.cosine_distance(TRUE, PRED)
    with pytest.raises(ValueError, match="both 'axis' and 'dim'"):
        L.cosine_distance(TRUE, PRED, axis=1, dim=1)
    with pytest.raises(ValueError, match="incompatible"):
        L.log_loss(TRUE, np.ones((2, 4)))
    with pytest.raises(ValueError, match="labels must not be None"):
        L.hinge_loss(None, PRED)
    with pytest.raises(ValueError, match="Reduction"):
        L.huber_loss(TRUE, PRED, reduction="mean")
