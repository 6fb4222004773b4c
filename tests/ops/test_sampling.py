"""tf.multinomial, tf.random_shuffle, tf.random_crop (graphc/ops/sampling.py): TF1's distributions,
shapes and seeding (TF's Philox bits are not reproduced, so the checks are statistical and exact
where the result is determined: a permutation, a crop's contents, a certain class)."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_multinomial_follows_the_softmax(backend):
    logits = tf.placeholder(tf.float32, [3, 3])
    draws = tf.multinomial(logits, 4000, seed=3)
    assert draws.dtype == tf.int64 and draws.shape.as_list() == [3, 4000]
    value = np.log(np.array([[0.2, 0.3, 0.5], [1.0, 1e-30, 1e-30], [1e-30, 1e-30, 1.0]], np.float32))
    value[1, 1:] = -np.inf
    with tf.Session(backend=backend) as sess:
        got = sess.run(draws, {logits: value})
        again = sess.run(draws, {logits: value})
    freq = np.bincount(got[0], minlength=3) / 4000.0
    np.testing.assert_allclose(freq, [0.2, 0.3, 0.5], atol=0.03)
    assert np.all(got[1] == 0) and np.all(got[2] == 2)
    assert not np.array_equal(got[0], again[0])          # each run draws anew
    with tf.Session(backend=backend) as sess:          # a seeded program repeats in a new session
        np.testing.assert_array_equal(sess.run(draws, {logits: value}), got)


def test_multinomial_int32_and_bad_logits():
    assert tf.multinomial([[0.0, 1.0]], 2, output_dtype=tf.int32).dtype == tf.int32
    with pytest.raises(ValueError, match="must be 2-D"):
        tf.multinomial([0.0, 1.0], 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_shuffle_permutes_rows(backend):
    value = tf.placeholder(tf.int32, [None, 2])
    shuffled = tf.random_shuffle(value, seed=5)
    rows = np.stack([np.arange(50), -np.arange(50)], 1).astype(np.int32)
    with tf.Session(backend=backend) as sess:
        a, b = sess.run(shuffled, {value: rows}), sess.run(shuffled, {value: rows})
    for got in (a, b):
        assert sorted(got[:, 0].tolist()) == list(range(50)) and np.array_equal(got[:, 1], -got[:, 0])
    assert not np.array_equal(a, rows) and not np.array_equal(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_crop_takes_a_window(backend):
    image = np.arange(5 * 6 * 2).reshape(5, 6, 2).astype(np.float32)
    crop = tf.random_crop(image, [2, 3, 2], seed=1)
    assert crop.shape.as_list() == [2, 3, 2]
    seen = set()
    with tf.Session(backend=backend) as sess:
        for _ in range(40):
            got = sess.run(crop)
            top, left = int(got[0, 0, 0]) // 12, (int(got[0, 0, 0]) % 12) // 2
            np.testing.assert_array_equal(got, image[top:top + 2, left:left + 3])
            seen.add((top, left))
    assert len(seen) > 5 and all(t <= 3 and left <= 3 for t, left in seen)
    with pytest.raises(ValueError, match="need value.shape >= size"):
        tf.random_crop(image, [6, 3, 2])
