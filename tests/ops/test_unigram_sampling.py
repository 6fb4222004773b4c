"""tf.nn.learned_unigram_candidate_sampler and fixed_unigram_candidate_sampler
(graphc/ops/unigram_sampling.py) against TF 2.21 compat.v1: tests/data/tf1_unigram_samplers.json,
recorded by tests/data/make_tf1_unigram_samplers.py. TF's draws are not reproducible, so the expected
counts (deterministic when no rejection happened) are compared with TF's, the sampled ids' counts
with TF1's documented formula, and the draws by their distribution."""
import json

import numpy as np
import pytest

import graphc as tf
from repo_paths import DATA
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
TF = json.loads((DATA / "tf1_unigram_samplers.json").read_text())
LABELS = np.array([[0, 2], [0, 3], [2, 0]], np.int64)
VOCAB = "a,3\nb,1\nc,0\nd,4\n"


def formula(weights, ids, num_sampled):
    """TF1's expected count without rejection: probability (weight / total) times num_sampled."""
    w = np.asarray(weights, np.float64)
    return w[np.asarray(ids)] / w.sum() * num_sampled


def check(got, want, weights, num_sampled, range_max):
    sampled, true_expected, sampled_expected = got
    assert sampled.dtype == np.int64 and sampled.shape == (num_sampled,)
    assert ((0 <= sampled) & (sampled < range_max)).all()
    assert np.asarray(weights)[sampled].min() > 0                 # a zero weight is never drawn
    np.testing.assert_allclose(true_expected, want[1], rtol=1e-6)
    np.testing.assert_allclose(sampled_expected, formula(weights, sampled, num_sampled), rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_learned_sampler_learns_the_true_ids_after_each_draw_as_tf1(backend):
    p = tf.placeholder(tf.int64, [3, 2])
    s = tf.nn.learned_unigram_candidate_sampler(p, 2, 4, False, 6, seed=3)
    assert s.sampled_candidates.shape.as_list() == [4] and s.true_expected_count.shape.as_list() == [3, 2]
    weights = np.ones(6)                                          # every id starts at 1 ...
    with tf.Session(backend=backend) as sess:
        for i, want in enumerate(TF["learned_runs"]):
            feed = LABELS if i < 2 else LABELS[::-1]
            check(sess.run(s, {p: feed}), want, weights, 4, 6)
            np.add.at(weights, feed.ravel(), 1)                   # ... and gains 1 per true id, after the draw
        with pytest.raises(getattr(tf.errors, TF["learned_out_of_range"]), match="out of range"):
            sess.run(s, {p: [[0, 6], [1, 1], [2, 2]]})
    with tf.Session(backend=backend) as sess:                     # a new session starts from weight 1 again
        check(sess.run(s, {p: LABELS}), TF["learned_runs"][0], np.ones(6), 4, 6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fixed_sampler_weights_match_tf1(backend, tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text(VOCAB)
    p = tf.placeholder(tf.int64, [3, 2])
    unigrams = [1., 2., 0., 3., 4., 6.]
    cases = {   # key: (sampler, its weights by TF1's documented rules, num_sampled, range_max, labels)
        "fixed": (tf.nn.fixed_unigram_candidate_sampler(p, 2, 4, False, 6, unigrams=unigrams, distortion=0.5, seed=4),
                  np.power(unigrams, 0.5), 4, 6, LABELS),
        "fixed_reserved": (tf.nn.fixed_unigram_candidate_sampler(p, 2, 4, False, 6, unigrams=[1., 2., 3., 4.],
                                                                 num_reserved_ids=2, seed=5),
                           [0, 0, 1, 2, 3, 4], 4, 6, LABELS),
        "fixed_vocab": (tf.nn.fixed_unigram_candidate_sampler(p, 2, 4, False, 5, vocab_file=str(vocab),
                                                              num_reserved_ids=1, distortion=2.0, seed=6),
                        [0, 9, 1, 0, 16], 4, 5, LABELS),
        "fixed_shard": (tf.nn.fixed_unigram_candidate_sampler(p, 2, 3, False, 3, unigrams=[1., 2., 3., 4., 5., 6.],
                                                              num_shards=2, shard=1, seed=7),
                        [2, 4, 6], 3, 3, np.array([[0, 1], [2, 0], [1, 1]], np.int64)),
    }
    with tf.Session(backend=backend) as sess:
        for key, (sampler, weights, n, range_max, labels) in cases.items():
            check(sess.run(sampler, {p: labels}), TF[key], weights, n, range_max)


def test_fixed_sampler_draws_its_distribution():
    p = tf.placeholder(tf.int64, [3, 2])
    many = tf.nn.fixed_unigram_candidate_sampler(p, 2, 20000, False, 6, unigrams=[1., 2., 0., 3., 4., 6.],
                                                 distortion=0.5, seed=8)
    with tf.Session() as sess:
        got = np.bincount(sess.run(many, {p: LABELS}).sampled_candidates, minlength=6)
    want = np.array(TF["fixed_histogram"])          # TF's own 20000 draws
    assert got[2] == want[2] == 0
    expected = np.power([1., 2., 0., 3., 4., 6.], 0.5) / np.power([1., 2., 0., 3., 4., 6.], 0.5).sum() * 20000
    for counts in (got, want):                      # both within 5 standard deviations of the distribution
        assert (np.abs(counts - expected) <= 5 * np.sqrt(expected) + 1e-9).all(), counts


def test_unique_draws_are_distinct_and_seeded_runs_repeat():
    p = tf.placeholder(tf.int64, [3, 2])
    s = tf.nn.learned_unigram_candidate_sampler(p, 2, 5, True, 6, seed=3)
    runs = []
    for _ in range(2):
        with tf.Session() as sess:
            runs.append([sess.run(s, {p: LABELS}).sampled_candidates for _ in range(3)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    for ids in runs[0]:
        assert len(set(ids.tolist())) == 5
    with tf.Session() as sess:
        sampled, true_expected, sampled_expected = sess.run(s, {p: LABELS})
    p0 = 1 / 6                                       # first run: uniform; some number of tries n >= 5
    fits = [n for n in range(5, 500) if np.allclose(true_expected, -np.expm1(n * np.log1p(-p0)) if n > 5 else p0 * 5,
                                                     rtol=1e-6)]
    assert fits and np.allclose(sampled_expected, true_expected[0, 0], rtol=1e-6)


def test_fixed_sampler_arguments_are_checked():
    p = tf.placeholder(tf.int64, [3, 2])
    with pytest.raises(ValueError, match="exactly one of vocab_file and unigrams"):
        tf.nn.fixed_unigram_candidate_sampler(p, 2, 2, False, 6)
    with pytest.raises(ValueError, match="shard"):
        tf.nn.fixed_unigram_candidate_sampler(p, 2, 2, False, 6, unigrams=[1.] * 6, num_shards=2, shard=2)
    mismatch = tf.nn.fixed_unigram_candidate_sampler(p, 2, 2, False, 7, unigrams=[1., 2., 3., 4., 5., 6.])
    with tf.Session() as sess:
        with pytest.raises(getattr(tf.errors, TF["range_mismatch"]), match="range_max is 7"):
            sess.run(mismatch, {p: LABELS})
    with pytest.raises(TypeError, match="int64"):
        tf.nn.learned_unigram_candidate_sampler(tf.zeros([3, 2], tf.int32), 2, 2, False, 6)
