"""Segment reductions (graphc/ops/segment.py): sorted and unsorted, values and gradients.
Expected values recorded from TF 2.21 compat.v1; every test runs on every backend."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
D = np.array([[1., 2.], [3., -4.], [5., 6.], [-7., 8.], [2., 2.]], np.float32)
IDS = np.array([0, 0, 2, 2, 3], np.int32)
UIDS = np.array([2, 0, 2, -1, 0], np.int32)
W = np.arange(8, dtype=np.float32).reshape(4, 2) + 1
LOW, HIGH = np.finfo(np.float32).min, np.finfo(np.float32).max

WANT = {
    "segment_sum": [[4., -2.], [0., 0.], [-2., 14.], [2., 2.]],
    "segment_mean": [[2., -1.], [0., 0.], [-1., 7.], [2., 2.]],
    "segment_max": [[3., 2.], [0., 0.], [5., 8.], [2., 2.]],
    "segment_min": [[1., -4.], [0., 0.], [-7., 6.], [2., 2.]],
    "segment_prod": [[3., -8.], [1., 1.], [-35., 48.], [2., 2.]],
    "unsorted_segment_sum": [[5., -2.], [0., 0.], [6., 8.], [0., 0.]],
    "unsorted_segment_mean": [[2.5, -1.], [0., 0.], [3., 4.], [0., 0.]],
    "unsorted_segment_max": [[3., 2.], [LOW, LOW], [5., 6.], [LOW, LOW]],
    "unsorted_segment_min": [[2., -4.], [HIGH, HIGH], [1., 2.], [HIGH, HIGH]],
    "unsorted_segment_prod": [[6., -8.], [1., 1.], [5., 12.], [1., 1.]],
    "unsorted_segment_sqrt_n": [[3.535534, -1.4142135], [0., 0.], [4.2426405, 5.656854], [0., 0.]],
}
WANT_GRAD = {
    "segment_sum": [[1., 2.], [1., 2.], [5., 6.], [5., 6.], [7., 8.]],
    "segment_mean": [[0.5, 1.], [0.5, 1.], [2.5, 3.], [2.5, 3.], [7., 8.]],
    "segment_max": [[0., 2.], [1., 0.], [5., 0.], [0., 6.], [7., 8.]],
    "segment_min": [[1., 0.], [0., 2.], [0., 6.], [5., 0.], [7., 8.]],
    "unsorted_segment_sum": [[5., 6.], [1., 2.], [5., 6.], [0., 0.], [1., 2.]],
    "unsorted_segment_mean": [[2.5, 3.], [0.5, 1.], [2.5, 3.], [0., 0.], [0.5, 1.]],
    "unsorted_segment_max": [[0., 0.], [1., 0.], [5., 6.], [0., 0.], [0., 2.]],
    "unsorted_segment_min": [[5., 6.], [0., 2.], [0., 0.], [0., 0.], [1., 0.]],
    "unsorted_segment_prod": [[25., 36.], [2., 4.], [5., 12.], [0., 0.], [3., -8.]],
    "unsorted_segment_sqrt_n": [[3.535534, 4.242641], [0.70710677, 1.4142135], [3.535534, 4.242641], [0., 0.],
                                [0.70710677, 1.4142135]],
}


def _build(name, p):
    fn = getattr(tf, name)
    return fn(p, IDS) if name.startswith("segment") else fn(p, UIDS, 4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_and_gradients(backend):
    p = tf.placeholder(tf.float32, [5, 2])
    outs = {n: _build(n, p) for n in WANT}
    grads = {n: tf.gradients(tf.reduce_sum(outs[n] * W), p)[0] for n in WANT_GRAD}
    with tf.Session(backend=backend) as sess:
        got, got_grads = sess.run([outs, grads], {p: D})
    for n, w in WANT.items():
        np.testing.assert_allclose(got[n], w, rtol=1e-6, err_msg=n)
    for n, w in WANT_GRAD.items():
        np.testing.assert_allclose(got_grads[n], w, rtol=1e-6, err_msg=n)
    assert outs["segment_sum"].shape.as_list() == [4, 2]


def test_ties_zeros_and_unsorted_ids():
    p = tf.placeholder(tf.float32, [5, 2])
    ties = np.array([[1., 2.], [1., -4.], [5., 0.], [-7., 0.], [2., 2.]], np.float32)
    ids = tf.placeholder(tf.int32, [None])
    g_max = tf.gradients(tf.reduce_sum(tf.segment_max(p, IDS) * W), p)[0]
    g_prod = tf.gradients(tf.reduce_sum(tf.unsorted_segment_prod(p, [0, 0, 1, 1, 1], 2) * W[:2]), p)[0]
    with tf.Session() as sess:
        got = sess.run([g_max, g_prod], {p: ties})
        np.testing.assert_allclose(got[0], [[0.5, 2.], [0.5, 0.], [5., 3.], [0., 3.], [7., 8.]])
        np.testing.assert_allclose(got[1], [[1., -8.], [1., 4.], [-42., 0.], [30., 0.], [-105., 0.]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="segment ids are not increasing"):
            sess.run(tf.segment_sum(p, ids), {p: D, ids: [1, 0, 2, 2, 3]})
    with pytest.raises(ValueError, match="must have as many entries"):
        tf.segment_sum(D, [0, 1])
