"""graphc.onnx.export of control flow: tf.cond as ONNX If, tf.while_loop (map_fn, scan, dynamic_rnn)
as ONNX Loop with subgraph bodies; onnxruntime gives graphc's numbers (the eager reference)."""
import numpy as np
import pytest

import graphc as tf
import graphc.onnx

from onnx_roundtrip import export_and_compare, run_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("opset", [14, 17])
def test_conds_and_loops(tmp_path, opset):
    rng = np.random.RandomState(20)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        w = tf.Variable(rng.randn(3, 3).astype(np.float32), name="w")
        c = tf.cond(p, lambda: tf.matmul(x, w) + 1.0, lambda: x * 2.0 - tf.reduce_sum(w))
        c2 = tf.cond(tf.reduce_sum(x) > 0, lambda: (x, tf.constant(1)), lambda: (-x, tf.constant(2)))
        case = tf.case([(tf.reduce_max(x) > 1.0, lambda: x + 10.0), (p, lambda: x - 10.0)], default=lambda: x)
        i, acc = tf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, tf.tanh(tf.matmul(a, w))), [0, x])
        j, v = tf.while_loop(lambda j, v: tf.reduce_sum(v) < 50.0, lambda j, v: (j + 1, v * 2.0 + 1.0),
                             [tf.constant(0), tf.abs(x)], maximum_iterations=10)
        mapped = tf.map_fn(lambda r: r * tf.reduce_max(r), x)
        scanned = tf.scan(lambda a, r: a + r, x)
        folded = tf.foldl(lambda a, r: a * 0.5 + r, x)
        split = tf.TensorArray(tf.float32, size=2).split(tf.concat([x, x + 1.0], 0), [tf.shape(x)[0]] * 2)
        read_back = split.read(1) * 2.0 + split.stack()[0]
        nested = tf.while_loop(lambda k, s: k < 3,
                               lambda k, s: (k + 1, tf.cond(k > 0, lambda: s + 1.0, lambda: s * 3.0)), [0, x])[1]
        doubled = tf.while_loop(lambda a: a < 100.0, lambda a: a * 2.0 + 1.0, [tf.abs(tf.reduce_max(x)) * 50.0])
        iterations = doubled.op.outputs[1]      # the While op's iteration count (0 when the first test fails)
        outs = [c, c2[0], c2[1], case, i, acc, j, v, mapped, scanned, folded, nested, read_back, doubled, iterations]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            model = export_and_compare(sess, [x, p], outs,
                                       [[rng.randn(2, 3).astype(np.float32), np.array(True)],
                                        [rng.randn(4, 3).astype(np.float32) - 3.0, np.array(False)],
                                        [rng.randn(1, 3).astype(np.float32) * 0.1, np.array(True)]],
                                       tmp_path / "cf.onnx", rtol=1e-5, atol=1e-5, opset=opset)
    kinds = [n.op_type for n in model.graph.node]
    assert "If" in kinds and "Loop" in kinds


@pytest.mark.parametrize("cell, opset", [("lstm", 17), ("gru", 14), ("multi", 17)])
def test_dynamic_rnn(tmp_path, cell, opset):
    """An LSTM (and GRU, stacked cells) dynamic_rnn: its while loop as an ONNX Loop over TensorArrays."""
    rng = np.random.RandomState(21)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None, 3], name="x")
        lengths = tf.placeholder(tf.int32, [None], name="lengths")
        make = {"lstm": lambda: tf.nn.rnn_cell.LSTMCell(4, use_peepholes=True),
                "gru": lambda: tf.nn.rnn_cell.GRUCell(3),
                "multi": lambda: tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(2),
                                                             tf.nn.rnn_cell.BasicRNNCell(3)])}[cell]
        outputs, state = tf.nn.dynamic_rnn(make(), x, sequence_length=lengths, dtype=tf.float32)
        logits = tf.layers.dense(outputs[:, -1], 2)
        fetches = [outputs, logits] + tf.nest.flatten(state)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            export_and_compare(sess, [x, lengths], fetches,
                               [[rng.randn(2, 5, 3).astype(np.float32), np.array([5, 2], np.int32)],
                                [rng.randn(3, 2, 3).astype(np.float32), np.array([1, 2, 0], np.int32)]],
                               tmp_path / "rnn.onnx", rtol=1e-5, atol=1e-5, opset=opset)


def test_reading_a_regions_gradient_outputs_is_a_clear_error():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        kept_draw = tf.cond(p, lambda: tf.random_normal([3]) + x, lambda: x).op.outputs[1]
        with tf.Session() as sess:
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"'mul' \(Mul\): its input cond:1 has no ONNX"):
                graphc.onnx.export(sess, [x, p], [tf.multiply(kept_draw, 2.0, name="mul")], None)


def test_a_growing_tensor_array_is_a_clear_error():
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [], name="n")
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        _, ta = tf.while_loop(lambda i, t: i < n, lambda i, t: (i + 1, t.write(i, tf.cast(i, tf.float32))), [0, ta])
        with tf.Session() as sess:
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"dynamic_size TensorArray.*fixed size"):
                graphc.onnx.export(sess, [n], [ta.stack()], None)


def test_random_draws_in_branches_and_loop_bodies(tmp_path):
    """A branch draws only when taken; a loop body draws fresh numbers each iteration (moments, n = 4000)."""
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [], name="p")
        drawn = tf.cond(p, lambda: tf.random_normal([4000]) + 5.0, lambda: tf.zeros([4000]))
        summed = tf.while_loop(lambda i, s: i < 10, lambda i, s: (i + 1, s + tf.random_uniform([4000])),
                               [0, tf.zeros([4000])])[1]
        with tf.Session() as sess:
            graphc.onnx.export(sess, [p], [drawn, summed], tmp_path / "random.onnx")
    drawn, summed = run_onnx(tmp_path / "random.onnx", {"p:0": np.array(True)})
    np.testing.assert_allclose([drawn.mean(), drawn.std()], [5.0, 1.0], atol=0.06)
    # ten independent uniforms: mean 5, std sqrt(10 / 12) (one draw reused would give std 10 / sqrt(12))
    np.testing.assert_allclose([summed.mean(), summed.std()], [5.0, np.sqrt(10.0 / 12.0)], atol=0.05)
    assert not run_onnx(tmp_path / "random.onnx", {"p:0": np.array(False)})[0].any()


def test_nested_loops_a_loop_in_a_branch_and_a_growing_loop_var(tmp_path):
    rng = np.random.RandomState(22)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        n = tf.placeholder(tf.int32, [], name="n")

        def outer(i, acc):
            inner = tf.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a + x[0] * tf.cast(j, tf.float32)),
                                  [0, acc])[1]
            return i + 1, inner
        nested = tf.while_loop(lambda i, a: i < n, outer, [0, tf.zeros([3])])[1]
        grown = tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, tf.concat([v, v[-1:] * 2.0], 0)),
                              [0, x[:1, 0]], shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])[1]
        in_branch = tf.cond(n > 2, lambda: tf.while_loop(lambda k, v: k < n, lambda k, v: (k + 1, v * 1.5), [0, x])[1],
                            lambda: x[:1])
        with tf.Session() as sess:
            export_and_compare(sess, [x, n], [nested, grown, in_branch],
                               [[rng.randn(2, 3).astype(np.float32), np.array(4, np.int32)],
                                [rng.randn(3, 3).astype(np.float32), np.array(1, np.int32)]], tmp_path / "nested.onnx")


def test_bidirectional_rnn(tmp_path):
    rng = np.random.RandomState(23)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4, 2], name="x")
        lengths = tf.placeholder(tf.int32, [None], name="lengths")
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(tf.nn.rnn_cell.LSTMCell(3), tf.nn.rnn_cell.GRUCell(2), x,
                                                      sequence_length=lengths, dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            export_and_compare(sess, [x, lengths], [fw, bw],
                               [[rng.randn(3, 4, 2).astype(np.float32), np.array([4, 1, 3], np.int32)]],
                               tmp_path / "birnn.onnx")


def test_tensor_arrays_whose_element_shape_is_known_only_at_run_time(tmp_path):
    """The first write inside a loop sets the buffer's element shape (an If on whether anything was written)."""
    rng = np.random.RandomState(24)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None], name="x")
        ta = tf.TensorArray(tf.float32, size=tf.shape(x)[0])
        _, ta = tf.while_loop(lambda i, t: i < tf.shape(x)[0], lambda i, t: (i + 1, t.write(i, tf.gather(x, i) * 3.0)),
                              [0, ta])
        outs = [tf.map_fn(lambda r: r * 2.0, x), tf.scan(lambda a, r: a + r, x), ta.stack()]
        with tf.Session() as sess:
            export_and_compare(sess, [x], outs, [[rng.randn(3, 4).astype(np.float32)],
                                                 [rng.randn(2, 6).astype(np.float32)]], tmp_path / "ta.onnx")
