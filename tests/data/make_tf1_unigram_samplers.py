"""Records tf1_unigram_samplers.json with TF 2.21 compat.v1 (run with /tmp/tfenv/bin/python from tests/data):
tf.nn.learned_unigram_candidate_sampler over three runs of one session and fixed_unigram_candidate_sampler
(unigrams with distortion, reserved ids, a vocab file, shards). Draws are TF's and not reproducible by
graphc; the expected counts are deterministic where no rejection happened (unique=False, or unique=True
when no id repeated), and the fixed sampler's histogram of 20000 draws is its distribution."""
import json
import os
import tempfile

import numpy as np
import tensorflow as tf

tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
LABELS = np.array([[0, 2], [0, 3], [2, 0]], np.int64)
VOCAB = "a,3\nb,1\nc,0\nd,4\n"


def result(r):
    return [r.sampled_candidates.tolist(), r.true_expected_count.tolist(), r.sampled_expected_count.tolist()]


out = {}
p = v1.placeholder(tf.int64, [3, 2])
learned = tf.nn.learned_unigram_candidate_sampler(p, 2, 4, False, 6, seed=3)
fixed = tf.nn.fixed_unigram_candidate_sampler(p, 2, 4, False, 6, unigrams=[1., 2., 0., 3., 4., 6.], distortion=0.5,
                                              seed=4)
reserved = tf.nn.fixed_unigram_candidate_sampler(p, 2, 4, False, 6, unigrams=[1., 2., 3., 4.], num_reserved_ids=2,
                                                 seed=5)
vocab = os.path.join(tempfile.mkdtemp(), "vocab.csv")
open(vocab, "w").write(VOCAB)
from_file = tf.nn.fixed_unigram_candidate_sampler(p, 2, 4, False, 5, vocab_file=vocab, num_reserved_ids=1,
                                                  distortion=2.0, seed=6)
shard = tf.nn.fixed_unigram_candidate_sampler(p, 2, 3, False, 3, unigrams=[1., 2., 3., 4., 5., 6.], num_shards=2,
                                              shard=1, seed=7)
many = tf.nn.fixed_unigram_candidate_sampler(p, 2, 20000, False, 6, unigrams=[1., 2., 0., 3., 4., 6.],
                                             distortion=0.5, seed=8)
with v1.Session() as s:
    out["learned_runs"] = [result(s.run(learned, {p: LABELS if i < 2 else LABELS[::-1]})) for i in range(3)]
    out["fixed"] = result(s.run(fixed, {p: LABELS}))
    out["fixed_reserved"] = result(s.run(reserved, {p: LABELS}))
    out["fixed_vocab"] = result(s.run(from_file, {p: LABELS}))
    out["fixed_shard"] = result(s.run(shard, {p: [[0, 1], [2, 0], [1, 1]]}))
    out["fixed_histogram"] = np.bincount(s.run(many, {p: LABELS}).sampled_candidates, minlength=6).tolist()
    for key, feed in (("learned_out_of_range", [[0, 6], [1, 1], [2, 2]]),):
        try:
            s.run(learned, {p: feed})
            out[key] = None
        except tf.errors.OpError as e:
            out[key] = type(e).__name__
    mismatch = tf.nn.fixed_unigram_candidate_sampler(p, 2, 2, False, 7, unigrams=[1., 2., 3., 4., 5., 6.])
    try:
        s.run(mismatch, {p: LABELS})
        out["range_mismatch"] = None
    except tf.errors.OpError as e:
        out["range_mismatch"] = type(e).__name__
json.dump(out, open("tf1_unigram_samplers.json", "w"))
print(out)
