"""Candidate samplers, nce_loss and sampled_softmax_loss (graphc/ops/candidate_sampling.py).

tests/data/tf1_sampled_losses.json was recorded from TF 2.21 compat.v1 by
tests/data/make_tf1_sampled_losses.py. The losses are deterministic given ``sampled_values``, so
they are compared with TF's exactly; the samplers' draws are not TF's bits, so their distribution is
checked and their expected counts against the counts TF gave for its own draws."""
import json

import numpy as np
import pytest

import graphc as tf
from repo_paths import DATA
from graphc.ops.candidate_sampling import _expected_numpy
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
TF = json.load(open(DATA / "tf1_sampled_losses.json"))
LABELS = np.array([[3], [0], [7]], np.int64)


@pytest.mark.parametrize("name", ["log_uniform_True", "log_uniform_False", "uniform_True", "uniform_False"])
def test_expected_counts_are_tf1s_for_tfs_draws(name):
    sampled, true_expected, sampled_expected = TF[name]
    unique = name.endswith("True")
    distribution = name.rsplit("_", 1)[0]
    tries = range(6, 200) if unique else [6]         # TF's number of draws is not returned: one of them fits
    fits = [n for n in tries
            if np.allclose(_expected_numpy(np.array(sampled), n, distribution, 6, 10), sampled_expected, rtol=1e-6)
            and np.allclose(_expected_numpy(LABELS, n, distribution, 6, 10), true_expected, rtol=1e-6)]
    assert fits, name


@pytest.mark.parametrize("backend", BACKENDS)
def test_samplers_draw_tf1s_distributions(backend):
    labels = tf.constant(LABELS)
    uniq = tf.nn.log_uniform_candidate_sampler(labels, 1, 8, True, 20, seed=7)
    many = tf.nn.log_uniform_candidate_sampler(labels, 1, 4000, False, 20, seed=8)
    flat = tf.nn.uniform_candidate_sampler(labels, 1, 5, True, 5, seed=9)
    assert uniq.sampled_candidates.shape.as_list() == [8] and uniq.true_expected_count.shape.as_list() == [3, 1]
    with tf.Session(backend=backend) as sess:
        a, b, c = sess.run([uniq, many, flat])
        again = sess.run(uniq)
    assert len(set(a.sampled_candidates.tolist())) == 8 and a.sampled_candidates.max() < 20
    assert not np.array_equal(a.sampled_candidates, again.sampled_candidates)
    freq = np.bincount(b.sampled_candidates, minlength=20) / 4000.0
    k = np.arange(20)
    np.testing.assert_allclose(freq, np.log((k + 2.0) / (k + 1.0)) / np.log(21.0), atol=0.025)
    np.testing.assert_allclose(b.sampled_expected_count, 4000 * np.log((b.sampled_candidates + 2.0)
                                                                      / (b.sampled_candidates + 1.0)) / np.log(21.0),
                               rtol=1e-5)
    assert sorted(c.sampled_candidates.tolist()) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sampled_losses_match_tensorflow(backend):
    w, b, x = (np.array(TF[k], np.float32) for k in ("w", "b", "x"))
    sampled = np.array([1, 3, 5, 0, 9, 2], np.int64)
    sexp = np.array([0.5, 0.4, 0.3, 0.7, 0.1, 0.45], np.float32)
    sv = (sampled, np.array([[0.4], [0.7], [0.2]], np.float32), sexp)
    pw, px = tf.placeholder(tf.float32, w.shape), tf.placeholder(tf.float32, x.shape)
    losses = dict(
        nce=tf.nn.nce_loss(pw, b, LABELS, px, 6, 10, sampled_values=sv),
        nce_hits=tf.nn.nce_loss(pw, b, LABELS, px, 6, 10, sampled_values=sv, remove_accidental_hits=True),
        ssm=tf.nn.sampled_softmax_loss(pw, b, LABELS, px, 6, 10, sampled_values=sv),
        ssm_keep=tf.nn.sampled_softmax_loss(pw, b, LABELS, px, 6, 10, sampled_values=sv, remove_accidental_hits=False),
        nce2=tf.nn.nce_loss(pw, b, np.array([[3, 1], [0, 0], [7, 2]], np.int64), px, 6, 10, num_true=2,
                            sampled_values=(sampled, np.full((3, 2), 0.3, np.float32), sexp)))
    grad_w, grad_x = tf.gradients(tf.reduce_sum(losses["ssm"]) + tf.reduce_sum(losses["nce2"]), [pw, px])
    with tf.Session(backend=backend) as sess:
        got = sess.run(dict(losses, grad_w=grad_w, grad_x=grad_x), {pw: w, px: x})
    for name, value in got.items():
        np.testing.assert_allclose(value, TF[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_sampled_softmax_trains_with_its_own_sampler():
    w = tf.Variable(np.zeros((10, 4), np.float32))
    b = tf.Variable(np.zeros((10,), np.float32))
    x = np.eye(4, dtype=np.float32)[[0, 1, 2]]
    loss = tf.reduce_mean(tf.nn.sampled_softmax_loss(w, b, LABELS, x, 3, 10, seed=2))
    step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(30):
            sess.run(step)
        assert sess.run(loss) < first * 0.5


def test_sampler_arguments_are_checked():
    with pytest.raises(ValueError, match="cannot take 6 unique ids from a range of 5"):
        tf.nn.uniform_candidate_sampler(LABELS, 1, 6, True, 5)
    with pytest.raises(TypeError, match="must be int64"):
        tf.nn.log_uniform_candidate_sampler(LABELS.astype(np.int32), 1, 2, True, 5)
