"""graphc.onnx.export of random ops (shape and moments: ONNX draws its own numbers), string ops, the
remaining inference ops, and the coverage of the op table (every graphc op has a rule or a reason)."""
import numpy as np
import pytest

import graphc as tf
import graphc.distribute  # noqa: F401  (registers the MPI op types, so the coverage check sees them in any order)
import graphc.onnx
from graphc.onnx.table import NO_ONNX, RULES
from graphc.ops.core import OPS
from graphc.ops.sparse import sparse_gather

from onnx_roundtrip import export_and_compare, run_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def test_every_graphc_op_has_a_rule_or_a_reason():
    missing = sorted(t for t in OPS if t not in RULES and t not in NO_ONNX and t not in ("Const", "Identity"))
    assert not missing, f"op types with neither an ONNX rule nor a NO_ONNX reason: {missing}"
    assert not set(RULES) & set(NO_ONNX)


@pytest.mark.parametrize("opset", [16, 18])
def test_scans_gathers_scatters_selection_segments_and_matrices(tmp_path, opset):
    rng = np.random.RandomState(30)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        i = tf.placeholder(tf.int32, [None], name="i")
        sq = tf.placeholder(tf.float32, [3, 3], name="sq")
        outs = [
            tf.cumsum(x, 1, exclusive=True, reverse=True), tf.cumsum(x, 0), *tf.nn.top_k(x, 2), tf.cumprod(x, 1),
            tf.cumprod(x, -1, exclusive=True), tf.cumprod(x, 1, reverse=True), tf.cumprod(tf.reshape(i[:4], [4]), 0, True, True),
            tf.einsum("ij,kj->ik", x, x), tf.einsum("ij->j", x), tf.gather_nd(x, [[0, 1], [1, 2]]),
            tf.gather_nd(x, [[1]]), tf.scatter_nd([[1], [1], [0]], [[1.0, 2.0, 3.0]] * 3, [4, 3]), *tf.unique(i),
            tf.where(x > 0), tf.where(i > 1), tf.nn.in_top_k(x, i[:4] - 1, 2), tf.nn.in_top_k(x, i[:4], i[4] - 4),
            tf.diag_part(sq), tf.diag(x[0]), tf.diag(sq),
            tf.segment_sum(x[:4], [0, 1, 1, 3]), tf.segment_mean(x[:4], [0, 0, 1, 3]),
            tf.segment_prod(x[:4], [0, 0, 0, 2]), tf.unsorted_segment_prod(x[:2], [1, -1], 2),
            tf.Print(x, [x], "printed: "), *tf.setdiff1d(i, [1, 3]), tf.matrix_band_part(sq, 1, -1),
            tf.matrix_band_part(sq, 0, 0), tf.matrix_band_part(x, -1, 1),
            tf.tensor_scatter_add(x[:2], [[0]], [[1.0, 2.0, 3.0]]), tf.tensor_scatter_sub(x[:2], [[1, 1]], [5.0]),
            tf.tensor_scatter_update(x[:2], [[1]], [[1.0, 2.0, 3.0]]),
            tf.reverse_sequence(x[:2], [2, 3], seq_axis=1, batch_axis=0),
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=i[:4] % 3, logits=x),
        ]
        if opset >= 18:         # ScatterND's max and min reductions
            outs += [tf.segment_max(x[:4], [0, 0, 2, 2]), tf.segment_min(x[:4], [1, 1, 1, 1]),
                     tf.unsorted_segment_max(x[:2], i[:2] - 1, 4), tf.unsorted_segment_min(x, i[:4] % 3, 3),
                     tf.unsorted_segment_max(x[:2, :2], [[0, 2], [2, -1]], 3)]
        feeds = [[rng.randn(4, 3).astype(np.float32), np.array([1, 2, 1, 0, 5], np.int32),
                  rng.randn(3, 3).astype(np.float32)],
                 [rng.randn(4, 3).astype(np.float32) * 3.0, np.array([2, 2, 0, 3, 6, 1], np.int32),
                  rng.randn(3, 3).astype(np.float32)]]
        with tf.Session() as sess:
            export_and_compare(sess, [x, i, sq], outs, feeds, tmp_path / "more.onnx", opset=opset)


def test_sparse_tensors_to_dense_and_their_products(tmp_path):
    rng = np.random.RandomState(31)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3, 4], name="x")
        v = tf.placeholder(tf.float32, [3], name="v")
        sp = tf.SparseTensor([[0, 1], [2, 3], [0, 1]], v, [3, 4])          # a repeated index adds
        outs = [tf.sparse_tensor_to_dense(tf.SparseTensor([[0, 1], [2, 3]], v[:2], [3, 4]), default_value=-1.0),
                tf.sparse_tensor_to_dense(tf.SparseTensor([[1], [4]], v[:2], [6])),
                tf.sparse_tensor_dense_matmul(sp, tf.transpose(x)),
                tf.sparse_tensor_dense_matmul(sp, x, adjoint_a=True), tf.sparse_add(x, sp),
                tf.sparse_to_dense([1, 3], [5], 2.0, 0.5), tf.sparse_reduce_sum(sp, 1), tf.sparse_reduce_sum(sp),
                tf.sparse_reduce_sum(sp, [0], keepdims=True)]
        shuffled = tf.SparseTensor(tf.constant([[2, 0], [0, 3], [1, 1], [0, 1]], tf.int64), tf.concat([v, v[:1]], 0),
                                   [3, 4])
        reordered = tf.sparse_reorder(shuffled)
        kept = tf.sparse_retain(shuffled, tf.concat([v > 0.0, [True]], 0))
        outs += [reordered.indices, reordered.values, kept.indices, kept.values,
                 sparse_gather(x, tf.constant([[2, 1], [0, 3]], tf.int64))]      # the values-gradient op
        with tf.Session() as sess:
            export_and_compare(sess, [x, v], outs, [[rng.randn(3, 4).astype(np.float32),
                                                     rng.randn(3).astype(np.float32)]], tmp_path / "sparse.onnx")


def test_rules_that_need_an_opset_or_a_known_size_say_so():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [4, 3], name="x")
        with tf.Session() as sess:
            ragged = tf.placeholder(tf.float32, [None], name="ragged")
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"Cumprod.*length of axis 0 of ragged:0"):
                graphc.onnx.export(sess, [ragged], [tf.cumprod(ragged)], None)
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"SegmentMax.*opset 18.*opset=18"):
                graphc.onnx.export(sess, [x], [tf.segment_max(x, [0, 0, 1, 1])], None, opset=17)
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"ScatterNd.*opset 16"):
                graphc.onnx.export(sess, [x], [tf.scatter_nd([[0]], x[:1], [5, 3])], None, opset=15)


def _moments(values):
    return float(np.mean(values)), float(np.std(values))


@pytest.mark.parametrize("opset", [14, 17])
def test_random_ops_have_the_shape_and_moments_of_their_distributions(tmp_path, opset):
    """ONNX draws its own numbers: the test checks shapes, ranges and moments (n = 40000), not values."""
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [], name="n")
        outs = [tf.random_normal([200, 200], mean=1.0, stddev=2.0), tf.random_uniform([n, 2], -1.0, 3.0),
                tf.truncated_normal([40000], stddev=0.5), tf.random_uniform([40000], 2, 9, dtype=tf.int32),
                tf.random_normal([n], dtype=tf.float64, seed=5), tf.multinomial(tf.log([[0.2, 0.5, 0.3]]), 40000)]
        with tf.Session() as sess:
            graphc.onnx.export(sess, [n], outs, tmp_path / "random.onnx", opset=opset)
    normal, uniform, truncated, ints, seeded, classes = run_onnx(tmp_path / "random.onnx", {"n:0": np.array(20000, np.int32)})
    assert normal.shape == (200, 200) and normal.dtype == np.float32
    np.testing.assert_allclose(_moments(normal), (1.0, 2.0), atol=0.06)
    assert uniform.shape == (20000, 2) and uniform.min() >= -1.0 and uniform.max() < 3.0
    np.testing.assert_allclose(_moments(uniform), (1.0, 4.0 / np.sqrt(12.0)), atol=0.03)
    assert truncated.shape == (40000,) and np.abs(truncated).max() <= 1.0
    np.testing.assert_allclose(_moments(truncated), (0.0, 0.5 * 0.8796), atol=0.01)    # TF's truncation at 2 sigma
    assert ints.dtype == np.int32 and set(np.unique(ints)) == set(range(2, 9))
    np.testing.assert_allclose(np.bincount(ints - 2) / 40000.0, [1.0 / 7] * 7, atol=0.01)
    assert seeded.shape == (20000,) and seeded.dtype == np.float64
    np.testing.assert_allclose(_moments(seeded), (0.0, 1.0), atol=0.03)
    assert classes.shape == (1, 40000) and classes.dtype == np.int64
    np.testing.assert_allclose(np.bincount(classes[0], minlength=3) / 40000.0, [0.2, 0.5, 0.3], atol=0.01)
    again = run_onnx(tmp_path / "random.onnx", {"n:0": np.array(20000, np.int32)})[4]
    np.testing.assert_array_equal(again, seeded)          # a seeded op's draws repeat in a new onnxruntime session


def test_string_ops(tmp_path):
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [None, 2], name="s")
        outs = [tf.strings.lower(s), tf.strings.upper(s), tf.strings.join([s, s[:, ::-1]], separator="+"),
                tf.strings.join([s, tf.strings.upper(s)]), tf.as_string(tf.constant([-12, 0, 7], tf.int64)),
                tf.string_to_number(tf.constant(["1.5", "-2e3"]))]
        with tf.Session() as sess:
            graphc.onnx.export(sess, [s], outs, tmp_path / "s.onnx", opset=20)
            feed = np.array([[b"Hello", b"wORLD"], [b"a1B2", b""]], dtype=object)
            want = sess.run(outs, {s: feed})
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"StringJoin.*opset 20"):
                graphc.onnx.export(sess, [s], outs[2], None, opset=17)
            with pytest.raises(graphc.onnx.UnsupportedOpError,
                               match=r"'StringLength' has no ONNX mapping \(ONNX's string operators"):
                graphc.onnx.export(sess, [s], tf.strings.length(s), None)
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"AsString.*not float32 as '%f'"):
                graphc.onnx.export(sess, [s], tf.as_string(tf.string_to_number(s)), None)
    got = run_onnx(tmp_path / "s.onnx", {"s:0": feed.astype(str).astype(object)})    # onnxruntime takes str
    for g, w in zip(got[:5], want[:5]):
        assert [v.encode() if isinstance(v, str) else v for v in g.ravel()] == list(w.ravel())
    np.testing.assert_array_equal(got[5], want[5])
