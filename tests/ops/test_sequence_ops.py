"""tf.sequence_mask, tf.reverse_sequence and tf.nn.in_top_k against TensorFlow's results.

Every expected value below was printed by TensorFlow 2.21 (tf.compat.v1, graph mode) for the same
inputs; each case runs on every backend (the masks and reversals are exact, so the comparison is
exact too).
"""
import os

os.environ.setdefault("TRITON_INTERPRET", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import graphc as tf  # noqa: E402
from graphc.runtime.session import available_backends  # noqa: E402

BACKENDS = [b for b in available_backends() if b != "auto"]

SCORES = np.array([[0.1, 0.3, 0.3, 0.2], [0.5, 0.5, 0.5, 0.5], [np.nan, 1, 2, 3], [1, 2, 3, np.inf]], np.float32)
TARGETS = np.array([1, 3, 2, 0], np.int32)
X = np.arange(24).reshape(2, 3, 4)


def _run(backend, build, *values):
    with tf.Graph().as_default():
        phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), np.shape(v)) for v in values]
        return tf.Session(backend=backend).run(build(*phs), dict(zip(phs, values)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_top_k_counts_ties_as_in_and_non_finite_rows_as_out(backend):
    got = _run(backend, lambda p, t: [tf.nn.in_top_k(p, t, k) for k in range(4)], SCORES, TARGETS)
    # TF 2.21: k=0 none; k=1,2,3 the first two rows (a tie with the target counts as in; a row holding
    # NaN or inf is False whatever k is)
    want = [[False] * 4] + [[True, True, False, False]] * 3
    for g, w in zip(got, want):
        assert g.dtype == np.bool_
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_top_k_out_of_range_targets_are_false(backend):
    got = _run(backend, lambda p, t: tf.nn.in_top_k(p, t, 2), SCORES, np.array([5, -1, 1, 1], np.int32))
    np.testing.assert_array_equal(got, [False, False, False, False])   # TF 2.21


def test_in_top_k_static_shape_and_errors():
    with tf.Graph().as_default():
        out = tf.nn.in_top_k(tf.placeholder(tf.float32, [None, 4]), tf.placeholder(tf.int64, [None]), 2)
        assert out.dtype == tf.bool and out.shape.as_list() == [None]
        assert out.op.type == "InTopKV2" and out.op.name == "in_top_k/InTopKV2"
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 4 and 2"):
            tf.nn.in_top_k(SCORES, TARGETS[:2], 1)
        with pytest.raises(ValueError, match="2-dimensional"):
            tf.nn.in_top_k(SCORES[0], TARGETS[:1], 1)
        with pytest.raises(TypeError, match="float32"):
            tf.nn.in_top_k(tf.constant(SCORES, tf.float64), TARGETS, 1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sequence_mask(backend):
    got = _run(backend, lambda n, nn: [tf.sequence_mask(n, 5), tf.sequence_mask(nn),
                                       tf.sequence_mask(n, 4, dtype=tf.float32)],
               np.array([1, 3, 2], np.int32), np.array([[1, 3], [0, 2]], np.int32))
    np.testing.assert_array_equal(got[0], [[True, False, False, False, False], [True, True, True, False, False],
                                           [True, True, False, False, False]])
    np.testing.assert_array_equal(got[1], [[[True, False, False], [True, True, True]],
                                           [[False, False, False], [True, True, False]]])
    assert got[2].dtype == np.float32
    np.testing.assert_array_equal(got[2], [[1, 0, 0, 0], [1, 1, 1, 0], [1, 1, 0, 0]])


def test_sequence_mask_shapes_names_and_errors():
    with tf.Graph().as_default():
        m = tf.sequence_mask(tf.constant([1, 3, 2]), 4, dtype=tf.float32)
        assert m.shape.as_list() == [3, 4] and m.name == "SequenceMask/Cast:0"          # TF 2.21's names
        m = tf.sequence_mask(tf.placeholder(tf.int32, [None]))
        assert m.shape.as_list() == [None, None] and m.name == "SequenceMask_1/Less:0"
        assert tf.sequence_mask(np.array([1, 2], np.int64), np.int64(3)).dtype == tf.bool
        with pytest.raises(ValueError, match="`maxlen` must be scalar"):
            tf.sequence_mask([1, 2], [3, 4])
        with pytest.raises(TypeError, match="int32 or int64"):
            tf.sequence_mask([1.0, 2.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_reverse_sequence(backend):
    got = _run(backend, lambda x, a, b: [tf.reverse_sequence(x, a, seq_axis=1, batch_axis=0),
                                         tf.reverse_sequence(x, b, seq_dim=2, batch_dim=1)],
               X, np.array([2, 3], np.int32), np.array([4, 0, 1], np.int64))
    # TF 2.21
    np.testing.assert_array_equal(got[0], [[[4, 5, 6, 7], [0, 1, 2, 3], [8, 9, 10, 11]],
                                           [[20, 21, 22, 23], [16, 17, 18, 19], [12, 13, 14, 15]]])
    np.testing.assert_array_equal(got[1], [[[3, 2, 1, 0], [4, 5, 6, 7], [8, 9, 10, 11]],
                                           [[15, 14, 13, 12], [16, 17, 18, 19], [20, 21, 22, 23]]])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lengths, message", [([4, 1], r"seq_lens\(0\) > input.dims\(1\)"),
                                              ([-1, 1], r"seq_lens\(0\) < 0")])
def test_reverse_sequence_lengths_out_of_range_fail_at_run_time(backend, lengths, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):   # TF 2.21's messages
        _run(backend, lambda x, n: tf.reverse_sequence(x, n, seq_axis=1), X.astype(np.float32),
             np.array(lengths, np.int32))


def test_reverse_sequence_build_time_errors():
    with tf.Graph().as_default():
        out = tf.reverse_sequence(tf.placeholder(tf.float32, [None, 5, 3]), tf.placeholder(tf.int64, [None]), 1)
        assert out.shape.as_list() == [None, 5, 3] and out.op.attrs == {"seq_dim": 1, "batch_dim": 0}
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
            tf.reverse_sequence(X, [1, 2, 3], seq_axis=1, batch_axis=0)
        with pytest.raises(ValueError, match="must differ"):
            tf.reverse_sequence(X, [1, 2], seq_axis=1, batch_axis=1)
        with pytest.raises(TypeError, match="seq_axis"):
            tf.reverse_sequence(X, [1, 2])
        with pytest.raises(ValueError, match=r"must be in \[0, 3\]"):
            tf.reverse_sequence(X, [1, 4], seq_axis=1)
        with pytest.raises(ValueError, match="both"):
            tf.reverse_sequence(X, [1, 2], seq_axis=1, seq_dim=2)


def test_sequence_ops_export_with_tensorflows_op_names():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        tf.reverse_sequence(x, tf.constant([1, 3]), seq_axis=1, name="rev")
        tf.nn.in_top_k(x, tf.constant([0, 2]), 1, name="top")
        nodes = {n.name: n for n in g.as_graph_def().node}
    assert nodes["rev"].op == "ReverseSequence" and nodes["rev"].attr["seq_dim"].i == 1
    assert nodes["top/InTopKV2"].op == "InTopKV2"
    with tf.Graph().as_default():
        tf.import_graph_def(g.as_graph_def(), name="")
        assert tf.get_default_graph().get_operation_by_name("rev").type == "ReverseSequence"
