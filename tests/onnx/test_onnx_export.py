"""graphc.onnx.export: models that onnx.checker accepts and onnxruntime runs with graphc's results.

The expected values are graphc's own outputs for the same session (eager reference): the export's
job is to write the same computation, so onnxruntime must agree with it within float32 rounding.
"""
import numpy as np
import pytest

import graphc as tf
import graphc.onnx

from onnx_roundtrip import export_and_compare as _export_and_compare
from onnx_roundtrip import run_onnx as _run_onnx
from repo_paths import DATA as TEST_DATA

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_mlp_with_activations_and_a_symbolic_batch(tmp_path):
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        h = tf.layers.dense(x, 8, activation=tf.nn.relu)
        mix = (tf.nn.leaky_relu(h, alpha=0.1) + tf.nn.elu(h - 1.0) + tf.nn.relu6(h * 4.0) + tf.nn.softsign(h)
               + tf.nn.softplus(h) + tf.tanh(h) + tf.sigmoid(h))
        logits = tf.layers.dense(mix, 3, name="logits")
        probs = tf.nn.softmax(logits, name="probs")
        log_probs = tf.nn.log_softmax(logits, name="log_probs")
        label = tf.argmax(probs, 1, name="label")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            model = _export_and_compare(sess, [x], [probs, log_probs, label],
                                        [[rng.randn(5, 4).astype(np.float32)], [rng.randn(1, 4).astype(np.float32)]],
                                        tmp_path / "mlp.onnx")
    assert [i.name for i in model.graph.input] == ["x:0"]
    assert _dims(model.graph.input[0]) == ["x_dim0", 4]
    assert [o.name for o in model.graph.output] == ["probs:0", "log_probs:0", "label:0"]
    assert {i.name for i in model.graph.initializer} >= {"dense/kernel:0", "dense/bias:0", "logits/kernel:0"}


def _batch_norm(x, channels, name):
    """Inference batch norm from moving statistics, as a trained model holds them."""
    rng = np.random.RandomState(channels)
    with tf.variable_scope(name):
        mean = tf.get_variable("moving_mean", initializer=rng.randn(channels).astype(np.float32), trainable=False)
        var = tf.get_variable("moving_variance", initializer=rng.rand(channels).astype(np.float32) + 0.5,
                              trainable=False)
        beta = tf.get_variable("beta", initializer=rng.randn(channels).astype(np.float32))
        gamma = tf.get_variable("gamma", initializer=rng.rand(channels).astype(np.float32) + 0.5)
        return tf.nn.batch_normalization(x, mean, var, beta, gamma, 1e-3)


def test_conv_net_with_pooling_and_batch_norm(tmp_path):
    rng = np.random.RandomState(1)
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [None, 9, 9, 2], name="images")
        w1 = tf.Variable(rng.randn(3, 3, 2, 4).astype(np.float32) * 0.5, name="w1")
        w2 = tf.Variable(rng.randn(2, 2, 4, 5).astype(np.float32) * 0.5, name="w2")
        h = tf.nn.conv2d(images, w1, strides=[1, 2, 2, 1], padding="SAME")
        h = tf.nn.relu(_batch_norm(h, 4, "bn1"))
        h = tf.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="SAME")
        h = tf.nn.conv2d(h, w2, strides=[1, 1, 1, 1], padding="VALID", dilations=[1, 2, 2, 1])
        h = tf.nn.avg_pool(_batch_norm(h, 5, "bn2"), ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
        flat = tf.layers.flatten(h)
        scores = tf.nn.softmax(tf.layers.dense(flat, 3))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _export_and_compare(sess, [images], [h, scores],
                                [[rng.randn(3, 9, 9, 2).astype(np.float32)],
                                 [rng.randn(1, 9, 9, 2).astype(np.float32)]],
                                tmp_path / "cnn.onnx", rtol=1e-4, atol=1e-5)


def test_tf_layers_model(tmp_path):
    rng = np.random.RandomState(2)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
        h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.conv2d(h, 6, (2, 2), strides=(2, 2), activation=tf.nn.elu)
        h = tf.layers.average_pooling2d(h, 2, 1, padding="same")
        h = tf.layers.dropout(tf.layers.flatten(h), rate=0.5, training=False)
        logits = tf.layers.dense(h, 10)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _export_and_compare(sess, [x], [logits, tf.nn.softmax(logits)],
                                [[rng.randn(4, 8, 8, 1).astype(np.float32)]], tmp_path / "layers.onnx", rtol=1e-4)


def test_array_and_math_ops(tmp_path):
    rng = np.random.RandomState(3)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3, 4], name="x")
        ids = tf.placeholder(tf.int32, [5], name="ids")
        outs = [
            tf.reshape(tf.transpose(x, [0, 2, 1]), [-1, 12]),
            tf.concat([x, x * 2.0], axis=2), tf.stack([x, -x], axis=1), tf.unstack(x, axis=1)[2],
            tf.squeeze(tf.expand_dims(x, 1), [1]), tf.slice(x, [0, 1, 1], [-1, 2, 2]),
            x[:, ::-1, 1:3], x[..., 0], x[:, tf.newaxis, -1, ::2], x[:, 1:, None],
            tf.gather(x, ids % 3, axis=1), tf.pad(x, [[0, 0], [1, 2], [0, 1]], constant_values=0.5),
            tf.pad(x, [[0, 0], [1, 1], [2, 1]], mode="REFLECT"), tf.pad(x, [[1, 0], [0, 3], [2, 4]], mode="SYMMETRIC"),
            tf.tile(x, [1, 2, 1]),
            tf.cast(x * 3.0, tf.int32), tf.cast(x > 0.0, tf.float32),
            tf.reduce_sum(x, [1, 2]), tf.reduce_mean(x, 1, keepdims=True), tf.reduce_max(x), tf.reduce_min(x, -1),
            tf.reduce_prod(x, 2), tf.reduce_all(x > -1.0, 1), tf.reduce_any(x > 1.0, [0, 2]),
            tf.argmin(x, 2, output_type=tf.int32), tf.one_hot(ids - 1, 4, on_value=2.0, off_value=-1.0),
            tf.split(x, 2, axis=2)[1], tf.split(x, [1, -1], axis=1)[1],
            tf.unsorted_segment_sum(x[0], [2, -1, 0], 4), tf.unsorted_segment_sum(ids * 2, ids % 3 - 1, 3),
            tf.unsorted_segment_sum(x[:2, :2], [[0, 1], [1, 1]], 2), tf.identity_n([x, ids])[1],
            tf.where(x > 0.0, x, tf.zeros_like(x)), tf.floordiv(x, 0.7), tf.floormod(x, -0.7),
            tf.floordiv(ids - 3, 2), tf.floormod(ids - 3, -2), tf.maximum(x, 0.1), tf.minimum(x, 0.1),
            tf.pow(tf.abs(x), 1.5), tf.square(x), tf.rsqrt(tf.abs(x) + 1.0), tf.expm1(x), tf.log1p(tf.abs(x)),
            tf.is_finite(tf.log(x)), tf.not_equal(ids, 2), tf.logical_and(x > 0.0, tf.logical_not(x > 1.0)),
            tf.fill(tf.shape(x), 2.0), tf.range(0, tf.size(ids), 2), tf.broadcast_to(x[:, :1], tf.shape(x)),
            tf.rank(x), tf.shape(x), tf.matmul(x[0], x[1], transpose_a=True), tf.matmul(x, x, transpose_b=True),
            tf.add_n([x, x, x]), tf.clip_by_value(x, -0.5, 0.5), tf.round(x * 2.0), tf.sign(x) * tf.floor(x),
            tf.ceil(x) + tf.cos(x) + tf.sin(x) + tf.exp(x) + tf.reciprocal(x + 10.0),
        ]
        feeds = [[rng.randn(2, 3, 4).astype(np.float32), np.array([0, 1, 2, 3, 4], dtype=np.int32)],
                 [rng.randn(3, 3, 4).astype(np.float32), np.array([4, 0, 3, 3, 1], dtype=np.int32)]]
        with tf.Session() as sess:
            _export_and_compare(sess, [x, ids], outs, feeds, tmp_path / "ops.onnx", rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("opset", [14, 18])
def test_opsets(tmp_path, opset):
    """Reductions take their axes as an attr before opset 18 and as an input from 18 on."""
    rng = np.random.RandomState(4)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5], name="x")
        centered = x - tf.reduce_mean(x, 1, keepdims=True)
        out = tf.reduce_max(centered, 1) + tf.reduce_sum(tf.split(x, 5, axis=1)[0], 1)
        with tf.Session() as sess:
            model = _export_and_compare(sess, [x], [out], [[rng.randn(3, 5).astype(np.float32)]],
                                        tmp_path / "m.onnx", opset=opset)
    assert model.opset_import[0].version == opset


def test_variables_are_written_with_the_sessions_current_values(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        v = tf.Variable([1.0, 2.0], name="v")
        y = x * v
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.assign(v, [3.0, -4.0]))
            w = tf.Variable([5.0, 6.0], name="w")
            sess.run(w.initializer)
            graphc.onnx.export(sess, [x], [y, v, y, w, tf.constant(2.0)], tmp_path / "v.onnx")
    got = _run_onnx(tmp_path / "v.onnx", {"x:0": np.array([1.0, 0.5], dtype=np.float32)})
    np.testing.assert_array_equal(got[3], [5.0, 6.0])       # a variable no node reads
    assert got[4] == 2.0
    np.testing.assert_array_equal(got[0], [3.0, -2.0])
    np.testing.assert_array_equal(got[1], [3.0, -4.0])      # an output that is an initializer
    np.testing.assert_array_equal(got[2], [3.0, -2.0])      # an output listed twice


def test_an_op_with_no_onnx_mapping_is_an_error_naming_it(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(tf.ones([3, 3]), name="w")
        products = tf.matmul(x, w) + tf.matrix_inverse(w, name="products")[0]
        looped = tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, tf.matrix_inverse(v, name="inner")), [0, w],
                               name="loop")[1]
        with tf.Session() as sess:      # variables not initialized: the op check comes before any run
            with pytest.raises(graphc.onnx.UnsupportedOpError,
                               match=r"'products'.*op type 'MatrixInverse' has no ONNX mapping \(ONNX's standard operators"):
                graphc.onnx.export(sess, [x], [products], tmp_path / "bad.onnx")
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"'loop/inner' \(in the body of 'loop'\)"):
                graphc.onnx.export(sess, [x], [looped], tmp_path / "bad.onnx")
    assert not (tmp_path / "bad.onnx").exists()


def test_inputs_must_cover_the_placeholders_and_opset_is_checked():
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, [2], name="a")
        b = tf.placeholder(tf.float32, [2], name="b")
        with tf.Session() as sess:
            with pytest.raises(ValueError, match=r"placeholder 'b'.*not in inputs"):
                graphc.onnx.export(sess, [a], [a + b], None)
            with pytest.raises(ValueError, match="opset must be an int from 14"):
                graphc.onnx.export(sess, [a, b], [a + b], None, opset=9)
            dims = tf.placeholder(tf.int32, [None], name="dims")
            with pytest.raises(ValueError, match="rank of output Fill:0 is unknown"):
                graphc.onnx.export(sess, [dims], [tf.fill(dims, 1.0)], None)
            model = graphc.onnx.export(sess, ["a:0", "b:0"], "add:0", None)   # tensor names work too
    assert [o.name for o in model.graph.output] == ["add:0"]


def test_a_graph_cut_at_an_inner_tensor(tmp_path):
    """An input may be any tensor: the model starts there (here: skipping a preprocessing step)."""
    with tf.Graph().as_default():
        raw = tf.placeholder(tf.float32, [None, 2], name="raw")
        scaled = tf.identity(raw / 255.0, name="scaled")
        out = tf.nn.relu(scaled - 0.5)
        with tf.Session() as sess:
            model = _export_and_compare(sess, [scaled], [out], [[np.array([[0.2, 0.9]], dtype=np.float32)]],
                                        tmp_path / "cut.onnx")
    assert not any(n.op_type == "Div" for n in model.graph.node)


def test_missing_onnx_package_says_how_to_install(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1], name="x")
        with tf.Session() as sess:
            with pytest.raises(ImportError, match=r"graphc\[onnx\]"):
                graphc.onnx.export(sess, [x], [x + 1.0], None)


DATA = str(TEST_DATA / "tf_graphs")


def _frozen(name):
    with open(f"{DATA}/{name}", "rb") as f:
        return tf.GraphDef.FromString(f.read())


@pytest.mark.parametrize("model, feeds, fetches", [
    ("mlp", ["x"], ["probs"]),
    ("cnn", ["image"], ["scores", "both"]),
])
def test_tensorflow_frozen_models_exported_give_tensorflows_outputs(tmp_path, model, feeds, fetches):
    """A frozen graph written by TensorFlow, imported and exported: onnxruntime gives TensorFlow's numbers
    (recorded by tests/data/make_tf_graphs.py with TF 2.21 compat.v1)."""
    want = np.load(f"{DATA}/{model}_expected.npz")
    with tf.Graph().as_default():
        tensors = tf.import_graph_def(_frozen(f"{model}_frozen.pb"), name="",
                                      return_elements=[f"{n}:0" for n in feeds + fetches])
        with tf.Session() as sess:
            graphc.onnx.export(sess, tensors[:len(feeds)], tensors[len(feeds):], tmp_path / "m.onnx")
    got = _run_onnx(tmp_path / "m.onnx", {f"{n}:0": want[n] for n in feeds})
    for name, value in zip(fetches, got):
        np.testing.assert_allclose(value, want[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_tensorflow_frozen_op_graph_exported_gives_tensorflows_outputs(tmp_path):
    """One output per op TensorFlow writes that graphc reads (unknown-rank input included)."""
    want = np.load(f"{DATA}/ops_expected.npz")
    tensors = dict(str(entry).split("=") for entry in want["tensor_names"])
    names = sorted(tensors)
    graph_def = _frozen("ops_frozen.pb")
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            with pytest.raises(ValueError, match="input i:0 has an unknown rank"):
                graphc.onnx.export(sess, ["x:0", "i:0"], "int_math:0", None)
    with tf.Graph().as_default():
        with tf.Session() as sess:
            i = tf.placeholder(tf.int32, [None, None], name="ints")       # TF's placeholder "i" has no shape
            outs = tf.import_graph_def(graph_def, input_map={"i:0": i}, name="",
                                       return_elements=[tensors[n] for n in names])
            model = graphc.onnx.export(sess, ["x:0", i], outs, tmp_path / "ops.onnx")
    assert _dims(model.graph.input[1]) == ["ints_dim0", "ints_dim1"]
    got = _run_onnx(tmp_path / "ops.onnx", {"x:0": want["x"], "ints:0": want["i"]})
    for name, value in zip(names, got):
        assert value.dtype == want[name].dtype, name
        np.testing.assert_allclose(value, want[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_tensorflow_composed_ops_exported_give_tensorflows_outputs(tmp_path):
    """FusedBatchNorm (inference and training mode, NHWC and NCHW), LeakyRelu, Selu, Softsign, Slice,
    Concat, BatchMatMulV2, IdentityN, UnsortedSegmentSum from TensorFlow's GraphDef, through graphc to ONNX."""
    want = np.load(f"{DATA}/nn_expected.npz")
    tensors = dict(str(entry).split("=") for entry in want["tensor_names"])
    names = sorted(tensors)
    with tf.Graph().as_default():
        outs = tf.import_graph_def(_frozen("nn_frozen.pb"), return_elements=[tensors[n] for n in names], name="")
        with tf.Session() as sess:
            graphc.onnx.export(sess, ["x:0"], outs, tmp_path / "nn.onnx")
    got = _run_onnx(tmp_path / "nn.onnx", {"x:0": want["x"]})
    for name, value in zip(names, got):
        assert value.dtype == want[name].dtype, name
        np.testing.assert_allclose(value, want[name], rtol=1e-5, atol=1e-5, err_msg=name)
