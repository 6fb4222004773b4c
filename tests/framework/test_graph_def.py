"""GraphDefs both ways: TensorFlow's frozen graphs (tests/data/tf_graphs/, written by
tests/data/make_tf_graphs.py) import and run in graphc with TensorFlow's recorded outputs, and graphc's
graphs are written with TensorFlow's op names and attrs (recorded literals; run in TensorFlow when an
interpreter with it is available, GRAPHC_TENSORFLOW_PYTHON)."""
import os
import subprocess

import numpy as np
import pytest
from google.protobuf import text_format

import graphc as tf
from graphc.ops.svd import svd

from repo_paths import DATA as TEST_DATA
from tensorflow_python import run_in_tensorflow, tensorflow_python

DATA = str(TEST_DATA / "tf_graphs")


def _load(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return tf.GraphDef.FromString(f.read())


@pytest.mark.parametrize("model, feed, fetches", [
    ("mlp", "x", ["logits/BiasAdd", "probs", "pred", "mean"]),
    ("cnn", "image", ["scores", "both"]),
])
def test_tensorflow_frozen_graphs_run_in_graphc_with_tensorflows_outputs(model, feed, fetches):
    want = np.load(os.path.join(DATA, f"{model}_expected.npz"))
    with tf.Graph().as_default() as g:
        outs = tf.import_graph_def(_load(f"{model}_frozen.pb"), return_elements=[f + ":0" for f in fetches])
        assert g.get_tensor_by_name(f"import/{feed}:0").op.type == "Placeholder"
        with tf.Session() as sess:
            got = sess.run(outs, {f"import/{feed}:0": want[feed]})
    for name, value in zip(fetches, got):
        expected = want[name.split("/")[0]]
        assert value.dtype == expected.dtype
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


def test_input_map_return_elements_and_scope():
    gd = _load("mlp_frozen.pb")
    want = np.load(os.path.join(DATA, "mlp_expected.npz"))
    with tf.Graph().as_default() as g:
        x = tf.constant(want["x"], name="fed")
        probs, pred_op = tf.import_graph_def(gd, input_map={"x": x}, return_elements=["probs:0", "pred"],
                                             name="net")
        assert probs.name == "net/probs:0" and pred_op.name == "net/pred"
        tf.import_graph_def(gd, name="net")                      # a second copy gets a fresh scope
        assert g.get_tensor_by_name("net_1/probs:0").op.type == "Identity"
        assert g.as_graph_element("net_1/hidden/kernel").type == "Const"
        with tf.Session() as sess:
            got_probs, got_pred = sess.run([probs, pred_op.outputs[0]])
    np.testing.assert_allclose(got_probs, want["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_pred, want["pred"])
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        assert g.get_operation_by_name("probs").type == "Identity"
        with pytest.raises(ValueError, match="not found in graph_def"):
            tf.import_graph_def(gd, input_map={"nope:0": tf.constant(1.0)})


def test_an_unsupported_op_is_named_at_import_and_nothing_is_built():
    gd = _load("mlp_frozen.pb")
    node = gd.node.add(name="odd/thing", op="Bucketize")
    node.input.append("x")
    with tf.Graph().as_default() as g:
        with pytest.raises(ValueError, match=r"node 'odd/thing': op type 'Bucketize' is not supported"):
            tf.import_graph_def(gd)
        assert g.get_operations() == []


def _graphc_model():
    tf.set_random_seed(0)
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
    c = tf.layers.conv2d(x, 4, 3, strides=2, padding="same", activation=tf.nn.relu)
    p = tf.layers.max_pooling2d(c, 2, 2)
    f = tf.reshape(tf.nn.avg_pool(c, [1, 2, 2, 1], [1, 1, 1, 1], "SAME"), [-1, 4 * 4 * 4])
    h = tf.layers.dense(tf.concat([f, tf.reshape(p, [-1, 16])], axis=1), 5, activation=tf.nn.sigmoid)
    logits = tf.layers.dense(tf.nn.tanh(h) * 2.0 + tf.nn.softmax(h), 3, name="logits")
    outs = {
        "logits": logits,
        "argmax": tf.argmax(logits, 1, name="am"),
        "matmul": tf.matmul(tf.squeeze(tf.expand_dims(tf.transpose(logits), 0), [0]), logits, name="mm"),
        "stack": tf.stack(tf.unstack(logits, axis=1), axis=0, name="st"),
        "pad": tf.pad(logits, [[1, 0], [0, 2]], constant_values=3.0, name="pd"),
        "mirror_pad": tf.pad(logits, [[1, 1], [0, 2]], mode="REFLECT", name="mp"),
        "gather": tf.gather(logits, [2, 0], axis=1, name="g"),
        "one_hot": tf.one_hot(tf.argmax(logits, 1), 4, name="oh"),
        "where": tf.where(logits > 0, logits, -logits, name="w"),
        "max": tf.reduce_max(logits, axis=-1, keepdims=True, name="rm"),
        "cast": tf.cast(logits * 10, tf.int32, name="ca"),
        "slice": tf.identity(logits[1:, ::2] + logits[0, 1], name="sl"),
        "split": tf.add_n(tf.split(logits, 3, axis=1) + tf.split(logits, [2, 1], axis=1)[1:], name="sp"),
        "fill": tf.fill(tf.stack([tf.shape(x)[0], 2]), 1.5, name="fi"),
        "identity_n": tf.identity_n([logits, tf.shape(logits)], name="idn")[1],
        "segment_sum": tf.unsorted_segment_sum(tf.transpose(logits), [1, -1, 1], 2, name="uss"),
        "batch_matmul": tf.matmul(tf.stack([logits, 2.0 * logits]), tf.stack([logits, logits]), transpose_b=True,
                                  name="bmm"),
    }
    return x, outs


def _freeze_graphc_model():
    x, outs = _graphc_model()
    xd = np.random.RandomState(0).randn(2, 8, 8, 1).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(outs, {x: xd})
        frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(),
                                                              [t.op.name for t in outs.values()])
    return frozen, xd, want, {k: t.name for k, t in outs.items()}


def test_graphc_writes_tensorflows_op_names_attrs_and_input_conventions():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 6, 6, 2], name="x")
        k = tf.constant(np.ones((3, 3, 2, 4), np.float32), name="k")
        y = tf.nn.conv2d(x, k, [1, 2, 2, 1], "SAME", name="conv")
        s = tf.reduce_sum(y, axis=[1, 2], name="s")
        tf.transpose(s, name="t")
        tf.nn.max_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "VALID", name="pool")
        gd = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in gd.node}
    text = {name: text_format.MessageToString(nodes[name], as_one_line=True) for name in
            ("x", "conv", "s", "s/reduction_indices", "t", "t/perm", "pool")}
    assert text["x"] == ('name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } '
                         'attr { key: "shape" value { shape { dim { size: -1 } dim { size: 6 } dim { size: 6 } '
                         'dim { size: 2 } } } }')
    assert text["conv"] == (
        'name: "conv" op: "Conv2D" input: "x" input: "k" attr { key: "T" value { type: DT_FLOAT } } '
        'attr { key: "data_format" value { s: "NHWC" } } attr { key: "dilations" value { list { i: 1 i: 1 i: 1 '
        'i: 1 } } } attr { key: "padding" value { s: "SAME" } } attr { key: "strides" value { list { i: 1 i: 2 '
        'i: 2 i: 1 } } } attr { key: "use_cudnn_on_gpu" value { b: true } }')
    assert text["s"] == ('name: "s" op: "Sum" input: "conv" input: "s/reduction_indices" '
                         'attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } } '
                         'attr { key: "keep_dims" value { b: false } }')
    assert text["s/reduction_indices"] == (
        'name: "s/reduction_indices" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } '
        'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } } '
        'tensor_content: "\\001\\000\\000\\000\\002\\000\\000\\000" } } }')
    assert text["t"] == ('name: "t" op: "Transpose" input: "s" input: "t/perm" attr { key: "T" value { type: '
                         'DT_FLOAT } } attr { key: "Tperm" value { type: DT_INT32 } }')
    assert 'tensor_content: "\\001\\000\\000\\000\\000\\000\\000\\000"' in text["t/perm"]
    assert 'key: "ksize" value { list { i: 1 i: 2 i: 2 i: 1 } }' in text["pool"]


def test_graphc_frozen_graph_reimports_in_graphc():
    with tf.Graph().as_default():
        frozen, xd, want, names = _freeze_graphc_model()
    assert {n.op for n in frozen.node} >= {"Const", "Conv2D", "MaxPool", "AvgPool", "MatMul", "StridedSlice"}
    assert not any(n.op == "VariableV2" for n in frozen.node)
    with tf.Graph().as_default():
        outs = tf.import_graph_def(frozen, return_elements=list(names.values()), name="")
        with tf.Session() as sess:
            got = sess.run(outs, {"x:0": xd})
    for key, value in zip(names, got):
        np.testing.assert_allclose(value, want[key], rtol=1e-6, atol=1e-6, err_msg=key)


def test_graphc_frozen_graph_runs_in_tensorflow_with_the_same_results(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default():
        frozen, xd, want, names = _freeze_graphc_model()
    got = run_in_tensorflow(python, frozen, dict(x=xd), names, tmp_path)
    for key in names:
        assert got[key].dtype == want[key].dtype, key
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_a_batched_matmul_is_written_as_batch_matmul_v2_and_read_back():
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, [2, 3, 4], name="a")
        b = tf.placeholder(tf.float32, [2, 5, 4], name="b")
        tf.matmul(a, b, transpose_b=True, name="bmm")
        tf.matmul(a[0], b[0], transpose_b=True, name="mm")
        gd = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in gd.node}
    assert nodes["bmm"].op == "BatchMatMulV2" and nodes["bmm"].attr["adj_y"].b and not nodes["bmm"].attr["adj_x"].b
    assert nodes["mm"].op == "MatMul" and nodes["mm"].attr["transpose_b"].b
    av, bv = np.arange(24.0).reshape(2, 3, 4), np.arange(40.0).reshape(2, 5, 4)
    with tf.Graph().as_default():
        got_t, = tf.import_graph_def(gd, return_elements=["bmm:0"])
        with tf.Session() as sess:
            got = sess.run(got_t, {"import/a:0": av, "import/b:0": bv})
    np.testing.assert_allclose(got, av @ bv.transpose(0, 2, 1), rtol=1e-6)


def test_training_graphs_round_trip_through_graphc_own_op_types():
    """Gradient graphs use graphc's helper ops: SumTo is written as TensorFlow's ops and read back as
    SumTo; SparseLabelsOneHot (no TF equivalent) under its graphc name with its attrs."""
    data = np.arange(8, dtype=np.float32).reshape(4, 2) / 8
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        w = tf.constant([[0.5, -1.0], [2.0, 0.25]], name="w")
        b = tf.constant([0.1, -0.2], name="b")
        logits = tf.matmul(x, w) + b
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
                              name="loss")
        grads = tf.gradients(loss, [w, b])
        gd = tf.get_default_graph().as_graph_def()
        with tf.Session() as sess:
            want = sess.run(grads, {x: data, labels: [0, 1, 1, 0]})
    assert any(n.op == "SparseLabelsOneHot" and "_graphc" in n.attr for n in gd.node)
    assert any(n.op == "Reshape" and n.attr["_graphc_type"].s == b"SumTo" for n in gd.node)
    with tf.Graph().as_default() as g:
        got_t = tf.import_graph_def(gd, return_elements=[t.name for t in grads])
        assert {op.type for op in g.get_operations()} >= {"SumTo", "SparseLabelsOneHot"}
        with tf.Session() as sess:
            got = sess.run(got_t, {"import/x:0": data, "import/labels:0": [0, 1, 1, 0]})
    for a, e in zip(got, want):
        np.testing.assert_allclose(a, e, rtol=1e-6)


def test_write_graph_text_and_binary(tmp_path):
    with tf.Graph().as_default() as g:
        tf.add(tf.placeholder(tf.float32, name="a"), 1.0, name="out")
        text_path = tf.train.write_graph(g, str(tmp_path / "d"), "g.pbtxt")
        bin_path = tf.train.write_graph(g.as_graph_def(), str(tmp_path / "d"), "g.pb", as_text=False)
    assert text_path == str(tmp_path / "d" / "g.pbtxt")
    from_text = text_format.Parse(open(text_path).read(), tf.GraphDef())
    from_bin = tf.GraphDef.FromString(open(bin_path, "rb").read())
    assert from_text == from_bin
    assert [(n.name, n.op, list(n.input)) for n in from_bin.node] == [
        ("a", "Placeholder", []), ("Const", "Const", []), ("out", "Add", ["a", "Const"])]


GRAPH = """
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 2 } } } }
node { name: "check" op: "CheckNumerics" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "id" op: "Identity" input: "check" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "kept" op: "Identity" input: "c" input: "^x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "y" op: "Mul" input: "id" input: "kept" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "unused" op: "Neg" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
"""


def test_graph_util_extract_sub_graph_and_remove_training_nodes():
    gd = text_format.Parse(GRAPH, tf.GraphDef())
    sub = tf.graph_util.extract_sub_graph(gd, ["y"])
    assert [n.name for n in sub.node] == ["x", "c", "check", "id", "kept", "y"]
    trimmed = tf.graph_util.remove_training_nodes(sub)
    assert [(n.name, list(n.input)) for n in trimmed.node] == [
        ("x", []), ("c", []), ("kept", ["c", "^x"]), ("y", ["x", "kept"])]
    assert [n.name for n in tf.graph_util.remove_training_nodes(sub, protected_nodes=["id"]).node] == \
        ["x", "c", "id", "kept", "y"]
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(gd, ["nope"])
    with tf.Graph().as_default():
        y, = tf.import_graph_def(trimmed, return_elements=["y:0"], name="")
        with tf.Session() as sess:
            assert sess.run(y, {"x:0": 3.0}) == 6.0


def test_convert_variables_to_constants_freezes_values():
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        u = tf.Variable([5.0], name="u")
        out = tf.multiply(v, 3.0, name="out")
        tf.add(u, 1.0, name="other")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(v.assign([4.0, -1.0]))
            frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), ["out"])
    assert {n.name: n.op for n in frozen.node} == {"v": "Const", "Const": "Const", "out": "Mul"}
    with tf.Graph().as_default():
        got, = tf.import_graph_def(frozen, return_elements=[out.name])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(got), [12.0, -3.0])


def test_tensorflows_ops_each_give_tensorflows_values_in_graphc():
    want = np.load(os.path.join(DATA, "ops_expected.npz"))
    tensors = dict(str(entry).split("=") for entry in want["tensor_names"])
    names = sorted(tensors)
    assert len(names) == 30
    with tf.Graph().as_default():
        outs = tf.import_graph_def(_load("ops_frozen.pb"), return_elements=[tensors[n] for n in names], name="")
        with tf.Session() as sess:
            got = sess.run(outs, {"x:0": want["x"], "i:0": want["i"]})
    for name, value in zip(names, got):
        assert value.dtype == want[name].dtype, name
        np.testing.assert_allclose(value, want[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_tensorflows_composed_ops_give_tensorflows_values_in_graphc(backend):
    """TF ops graphc reads as compositions: FusedBatchNorm (V1, V3; inference and training, NHWC and NCHW,
    every output), LeakyRelu, Selu, Softsign, Slice, Concat, BatchMatMulV2, IdentityN, UnsortedSegmentSum,
    PreventGradient (TF 2.21 compat.v1's values, tests/data/make_tf_graphs.py)."""
    want = np.load(os.path.join(DATA, "nn_expected.npz"))
    tensors = dict(str(entry).split("=") for entry in want["tensor_names"])
    names = sorted(tensors)
    assert len(names) == 19
    with tf.Graph().as_default():
        outs = tf.import_graph_def(_load("nn_frozen.pb"), return_elements=[tensors[n] for n in names], name="")
        with tf.Session(backend=backend) as sess:
            got = sess.run(outs, {"x:0": want["x"]})
    for name, value in zip(names, got):
        assert value.dtype == want[name].dtype, name
        np.testing.assert_allclose(value, want[name], rtol=1e-5, atol=1e-5, err_msg=name)


def _strings_and_gradient_ops_model():
    """graphc ops written as TF's own: string ops, second-order pooling and slicing gradients, Svd."""
    s = tf.placeholder(tf.string, [None], name="s")
    x = tf.placeholder(tf.float32, [None, 4, 4, 1], name="x")
    m = tf.placeholder(tf.float32, [3, 2], name="m")
    pooled = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    first = tf.gradients(tf.reduce_sum(pooled * pooled), x)[0]
    padded = tf.pad(x[:, 1:3, ::-1], [[0, 0], [1, 2], [2, 1], [0, 0]], mode="SYMMETRIC")
    outs = {
        "lower": tf.strings.lower(s), "upper": tf.strings.upper(s), "strip": tf.strings.strip(s),
        "length": tf.strings.length(s), "substr": tf.strings.substr(s, 1, 3),
        "join": tf.strings.join([s, tf.strings.upper(s)], separator="-"),
        "regex": tf.strings.regex_replace(s, "[aeiou]", r"<\0>"),
        "regex_first": tf.strings.regex_replace(s, "b(.)", r"\1", replace_global=False),
        "number": tf.strings.to_number(tf.strings.substr(tf.strings.join(["1", s]), 0, 1), tf.int32),
        "split_values": tf.string_split(s, delimiter="a").values,
        "split_indices": tf.string_split(s, delimiter="a").indices,
        "split_v2_values": tf.strings.split(s, sep="a", maxsplit=1).values,
        "split_v2_whitespace": tf.strings.split(s).indices,
        "as_string": tf.as_string(m, precision=2), "as_string_e": tf.as_string(m, scientific=True, width=12),
        "as_string_int": tf.as_string(tf.cast(m * 10.0, tf.int32), width=4, fill="0"),
        "pool_grad_grad": tf.gradients(tf.reduce_sum(first * x), x)[0],
        "mirror_and_slice_grad": tf.gradients(tf.reduce_sum(padded * padded), x)[0],
        "svd": svd(m),
    }
    feeds = {"s": np.array([b" Abba ", b"banana", b"xyz"]), "x": np.random.RandomState(5).randn(2, 4, 4, 1)
             .astype(np.float32), "m": np.array([[3.0, 1.0], [1.0, 2.0], [0.5, -1.0]], np.float32)}
    return outs, feeds


def test_graphc_string_and_gradient_ops_are_written_as_tensorflows(tmp_path):
    with tf.Graph().as_default() as g:
        outs, feeds = _strings_and_gradient_ops_model()
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = sess.run(outs, {f"{k}:0": v for k, v in feeds.items()})
    written = {n.op for n in gd.node if "_graphc" not in n.attr}
    assert written >= {"StringLower", "StringUpper", "StringStrip", "StringLength", "Substr", "StringJoin",
                       "RegexReplace", "StringToNumber", "StringSplit", "StringSplitV2", "AsString",
                       "MaxPoolGradGrad", "MirrorPadGrad",
                       "StridedSliceGrad", "Svd"}
    assert not any("_graphc" in n.attr for n in gd.node if n.op in written)
    with tf.Graph().as_default():
        back = tf.import_graph_def(gd, return_elements=[t.name for t in outs.values()], name="")
        with tf.Session() as sess:
            got = sess.run(back, {f"{k}:0": v for k, v in feeds.items()})
    for key, value in zip(outs, got):
        np.testing.assert_array_equal(value, want[key], err_msg=key)
    python = tensorflow_python()
    in_tf = run_in_tensorflow(python, gd, feeds, {k: t.name for k, t in outs.items()}, tmp_path)
    for key in outs:
        expected = np.asarray(want[key])
        if expected.dtype == object:
            np.testing.assert_array_equal(in_tf[key], expected.astype(bytes), err_msg=key)
        else:
            np.testing.assert_allclose(in_tf[key], expected, rtol=1e-5, atol=1e-5, err_msg=key)


def test_graph_def_messages_from_version_and_shapes():
    with tf.Graph().as_default() as g:
        a = tf.placeholder(tf.float32, [2], name="a")
        version = g.version
        tf.identity(a, name="b")
        assert [n.name for n in g.as_graph_def(from_version=version).node] == ["b"]
        gd = g.as_graph_def(add_shapes=True)
    assert [d.size for d in gd.node[1].attr["_output_shapes"].list.shape[0].dim] == [2]
    node = tf.NodeDef(name="c", op="Neg", input=["b"])
    node.attr["T"].CopyFrom(tf.AttrValue(type=tf.float32.as_datatype_enum))
    gd.node.extend([node])
    with tf.Graph().as_default():
        c, = tf.import_graph_def(gd, return_elements=["c:0"], name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(c, {"a:0": [1.0, -2.0]}), [-1.0, 2.0])


RESIZE_IN_TF = r"""
import sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
gd = tf1.GraphDef()
gd.ParseFromString(open(sys.argv[1] + "/resize.pb", "rb").read())
with tf1.Graph().as_default():
    outs = tf1.import_graph_def(gd, return_elements=["bilinear:0", "nearest:0", "bicubic:0", "grad:0"], name="")
    with tf1.Session() as sess:
        got = sess.run(outs, {"x:0": np.load(sys.argv[1] + "/x.npy")})
np.savez(sys.argv[1] + "/got.npz", *got)
"""


def test_resize_ops_are_written_as_tensorflows_and_run_there(tmp_path):
    xv = np.random.default_rng(1).uniform(size=(1, 3, 4, 2)).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 3, 4, 2], name="x")
        outs = [tf.image.resize_bilinear(x, [5, 7], half_pixel_centers=True, name="bilinear"),
                tf.image.resize_nearest_neighbor(x, [2, 3], align_corners=True, name="nearest"),
                tf.image.resize_bicubic(x, [6, 5], name="bicubic")]
        grad = tf.identity(tf.gradients(tf.reduce_sum(outs[0] * outs[0]) + tf.reduce_sum(outs[2])
                                        + tf.reduce_sum(outs[1] * outs[1]), x)[0], name="grad")
        gd = tf.get_default_graph().as_graph_def()
        with tf.Session() as sess:
            want = sess.run(outs + [grad], {x: xv})
    ops = {n.name: n.op for n in gd.node}
    assert ops["bilinear"] == "ResizeBilinear" and ops["bicubic"] == "ResizeBicubic"
    assert {"ResizeBilinearGrad", "ResizeBicubicGrad", "ResizeNearestNeighborGrad"} <= set(ops.values())
    with tf.Graph().as_default():
        back = tf.import_graph_def(gd, return_elements=["bilinear:0", "grad:0"])
        with tf.Session() as sess:
            again = sess.run(back, {"import/x:0": xv})
    np.testing.assert_allclose(again[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(again[1], want[3], rtol=1e-6)
    python = tensorflow_python()        # the rest needs TensorFlow (skipped without it)
    tf.train.write_graph(gd, str(tmp_path), "resize.pb", as_text=False)
    np.save(tmp_path / "x.npy", xv)
    res = subprocess.run([python, "-c", RESIZE_IN_TF, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    got = np.load(tmp_path / "got.npz")
    for i, w in enumerate(want):
        np.testing.assert_allclose(got[f"arr_{i}"], w, rtol=1e-5, atol=1e-5)


def _index_and_linalg_ops_model():
    """graphc ops written as TF's own: gather/scatter, segments, cumulative, selection, linalg, depthwise."""
    x = tf.placeholder(tf.float32, [3, 3], name="x")
    ids = tf.constant([0, 0, 1])
    spd = tf.matmul(x, x, transpose_b=True) + tf.constant(3.0 * np.eye(3, dtype=np.float32))
    img = tf.reshape(tf.tile(x, [1, 2]), [1, 3, 3, 2])
    filt = tf.constant(np.random.RandomState(3).randn(2, 2, 2, 3).astype(np.float32))
    depthwise = tf.nn.depthwise_conv2d(img, filt, [1, 1, 1, 1], "SAME")
    top = tf.nn.top_k(x, 2)
    uniq = tf.unique(tf.reshape(tf.round(x), [-1]))
    diff = tf.setdiff1d(tf.range(6), [1, 3])
    outs = {
        "gather_nd": tf.gather_nd(x, [[0, 1], [2, 2]]),
        "scatter_nd": tf.scatter_nd([[1], [3]], x[:2], [4, 3]),
        "scatter_update": tf.tensor_scatter_nd_update(x, [[0], [2]], x[1:] * 2.0),
        "scatter_add": tf.tensor_scatter_nd_add(x, [[0, 0], [0, 0]], [1.0, 2.0]),
        "scatter_sub": tf.tensor_scatter_nd_sub(x, [[1]], x[:1]),
        "top_k_values": top.values, "top_k_indices": top.indices,
        "cumsum": tf.cumsum(x, axis=1, exclusive=True), "cumprod": tf.cumprod(x, reverse=True),
        "reverse": tf.reverse(x, [1]), "where": tf.where(x > 0),
        "unique": uniq.y, "unique_idx": uniq.idx, "setdiff": diff.out, "setdiff_idx": diff.idx,
        **{f"segment_{r}": getattr(tf, f"segment_{r}")(x, ids) for r in ("sum", "mean", "max", "min", "prod")},
        **{f"unsorted_{r}": getattr(tf, f"unsorted_segment_{r}")(x, [1, 0, 1], 2) for r in ("max", "min", "prod")},
        "band_part": tf.matrix_band_part(x, 0, 1), "inverse": tf.matrix_inverse(spd, adjoint=True),
        "cholesky": tf.cholesky(spd), "diag": tf.diag(x[0]), "diag_part": tf.diag_part(x),
        "einsum": tf.einsum("ij,kj->ik", x, x * 2.0),
        "print": tf.Print(x, [x, ids], "graphc printed: ", first_n=1, summarize=2),
        "depthwise": depthwise,
        "depthwise_grads": tf.add_n([tf.reduce_sum(g) for g in tf.gradients(tf.reduce_sum(depthwise * depthwise),
                                                                             [img, filt])]),
    }
    return {k: tf.identity(t, name=k) for k, t in outs.items()}, \
        {"x": np.random.RandomState(7).uniform(-2, 2, size=(3, 3)).astype(np.float32)}


INDEX_OPS_WRITTEN = {"GatherNd", "ScatterNd", "TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TopKV2",
                     "Cumsum", "Cumprod", "ReverseV2", "Where", "Unique", "ListDiff", "SegmentSum", "SegmentMean",
                     "SegmentMax", "SegmentMin", "SegmentProd", "UnsortedSegmentMax", "UnsortedSegmentMin",
                     "UnsortedSegmentProd", "MatrixBandPart", "MatrixInverse", "Cholesky", "Diag", "DiagPart",
                     "Einsum", "Print", "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
                     "DepthwiseConv2dNativeBackpropFilter"}


def test_graphc_index_segment_and_linalg_ops_are_written_as_tensorflows(tmp_path):
    with tf.Graph().as_default() as g:
        outs, feeds = _index_and_linalg_ops_model()
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = sess.run(outs, {f"{k}:0": v for k, v in feeds.items()})
    assert {n.op for n in gd.node} >= INDEX_OPS_WRITTEN
    with tf.Graph().as_default() as g:
        back = tf.import_graph_def(gd, return_elements=[t.name for t in outs.values()], name="")
        assert {op.type for op in g.get_operations()} >= INDEX_OPS_WRITTEN - {"Einsum"}
        with tf.Session() as sess:
            got = sess.run(back, {f"{k}:0": v for k, v in feeds.items()})
    for key, value in zip(outs, got):
        np.testing.assert_allclose(value, want[key], rtol=1e-6, atol=1e-6, err_msg=key)
    python = tensorflow_python()        # the rest needs TensorFlow (skipped without it)
    in_tf = run_in_tensorflow(python, gd, feeds, {k: t.name for k, t in outs.items()}, tmp_path)
    for key in outs:
        assert in_tf[key].dtype == np.asarray(want[key]).dtype, key
        np.testing.assert_allclose(in_tf[key], want[key], rtol=1e-5, atol=1e-5, err_msg=key)


def _sparse_io_and_codec_ops_model(directory):
    """graphc's sparse ops, ReadFile, DecodeRaw and the PNG/JPEG codecs, written as TF's own."""
    x = tf.placeholder(tf.float32, [3, 3], name="x")
    raw = directory / "raw.bin"
    raw.write_bytes(np.arange(8, dtype=np.uint8).tobytes())
    sp = tf.sparse_reorder(tf.SparseTensor([[2, 1], [0, 0], [1, 2]], x[0], [3, 3]))
    other = tf.SparseTensor([[0, 0], [2, 2]], [1.0, -2.0], [3, 3])
    added = tf.sparse_add(sp, other)
    image = tf.cast(tf.reshape(tf.range(24) * 10, [2, 4, 3]), tf.uint8)
    flat = tf.fill([8, 8, 3], tf.constant(100, tf.uint8))
    outs = {
        "to_dense": tf.sparse_tensor_to_dense(sp),
        "matmul": tf.sparse_tensor_dense_matmul(sp, x, adjoint_a=True),
        "dense_add": tf.sparse_add(sp, x),
        "sparse_add": tf.sparse_tensor_to_dense(added),
        "reduce_sum": tf.sparse_reduce_sum(sp, axis=1, keepdims=True),
        "decode_raw": tf.decode_raw(tf.read_file(str(raw)), tf.uint8),
        "png": tf.image.decode_png(tf.image.encode_png(image)),
        "png_any": tf.image.decode_image(tf.image.encode_png(image, compression=1)),
        "jpeg": tf.image.decode_jpeg(tf.image.encode_jpeg(flat, quality=90)),
        **dict(zip(("csv_a", "csv_b", "csv_c"), tf.decode_csv(tf.constant(["1;x;2.5;7", ";y;;8"]), [[5], [""], [0.5]],
                                                              field_delim=";", select_cols=[0, 1, 2]))),
        "csv_required": tf.decode_csv(tf.constant(['3,"q,r"', "4,s"]), [tf.constant([], tf.int64), ["z"]])[0],
    }
    return {k: tf.identity(t, name=k) for k, t in outs.items()}, \
        {"x": np.random.RandomState(8).uniform(-2, 2, size=(3, 3)).astype(np.float32)}


SPARSE_IO_OPS_WRITTEN = {"SparseToDense", "SparseTensorDenseMatMul", "SparseTensorDenseAdd", "SparseAdd",
                         "SparseReorder", "SparseReduceSum", "ReadFile", "DecodeCSV", "DecodeRaw", "DecodePng", "DecodeJpeg",
                         "DecodeImage", "EncodePng", "EncodeJpeg"}


def test_graphc_sparse_file_and_codec_ops_are_written_as_tensorflows(tmp_path):
    with tf.Graph().as_default() as g:
        outs, feeds = _sparse_io_and_codec_ops_model(tmp_path)
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = sess.run(outs, {f"{k}:0": v for k, v in feeds.items()})
    assert {n.op for n in gd.node} >= SPARSE_IO_OPS_WRITTEN
    with tf.Graph().as_default() as g:
        back = tf.import_graph_def(gd, return_elements=[t.name for t in outs.values()], name="")
        assert {op.type for op in g.get_operations()} >= SPARSE_IO_OPS_WRITTEN
        with tf.Session() as sess:
            got = sess.run(back, {f"{k}:0": v for k, v in feeds.items()})
    for key, value in zip(outs, got):
        np.testing.assert_array_equal(value, want[key], err_msg=key)
    python = tensorflow_python()        # the rest needs TensorFlow (skipped without it)
    in_tf = run_in_tensorflow(python, gd, feeds, {k: t.name for k, t in outs.items()}, tmp_path)
    for key in outs:
        if np.asarray(want[key]).dtype == object:
            np.testing.assert_array_equal(in_tf[key], np.asarray(want[key]).astype(bytes), err_msg=key)
            continue
        assert in_tf[key].dtype == np.asarray(want[key]).dtype, key
        # JPEG: TF's and Pillow's codecs may round a flat image's level differently by a step or two
        np.testing.assert_allclose(in_tf[key], want[key], rtol=1e-5, atol=2 if key == "jpeg" else 1e-5, err_msg=key)


def test_nearest_resize_gradient_of_an_unknown_shape_is_written_with_tensorflows_size_input(tmp_path):
    xv = np.random.default_rng(2).uniform(size=(2, 3, 5, 1)).astype(np.float32)
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, None, None, 1], name="x")
        y = tf.image.resize_nearest_neighbor(x, [4, 7])
        outs = {"grad": tf.identity(tf.gradients(tf.reduce_sum(y * y), x)[0], name="grad")}
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = sess.run(outs, {x: xv})
    node = next(n for n in gd.node if n.op == "ResizeNearestNeighborGrad")
    assert next(m.op for m in gd.node if m.name == node.input[1]) == "StridedSlice"     # the size, from Shape(x)
    with tf.Graph().as_default():
        again, = tf.import_graph_def(gd, return_elements=["grad:0"], name="")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(again, {"x:0": xv}), want["grad"], rtol=1e-6)
    python = tensorflow_python()        # the rest needs TensorFlow (skipped without it)
    in_tf = run_in_tensorflow(python, gd, dict(x=xv), {"grad": "grad:0"}, tmp_path)
    np.testing.assert_allclose(in_tf["grad"], want["grad"], rtol=1e-5, atol=1e-5)


def test_summaries_are_written_with_tensorflows_tag_inputs_and_run_there(tmp_path):
    xv = np.random.RandomState(9).uniform(size=(2, 3, 3, 1)).astype(np.float32)
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 3, 3, 1], name="x")
        with tf.name_scope("stats"):
            merged = tf.summary.merge([tf.summary.scalar("mean", tf.reduce_mean(x)),
                                       tf.summary.histogram("values", x),
                                       tf.summary.image("images", x, max_outputs=1)])
        out = tf.identity(merged, name="merged")
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = tf.Summary.FromString(sess.run(out, {x: xv}))
    assert {"ScalarSummary", "HistogramSummary", "ImageSummary", "MergeSummary"} <= {n.op for n in gd.node}
    with tf.Graph().as_default():
        again, = tf.import_graph_def(gd, return_elements=["merged:0"], name="")
        with tf.Session() as sess:
            assert tf.Summary.FromString(sess.run(again, {"x:0": xv})) == want
    python = tensorflow_python()        # the rest needs TensorFlow (skipped without it)
    in_tf = run_in_tensorflow(python, gd, dict(x=xv), {"merged": "merged:0"}, tmp_path)
    got = tf.Summary.FromString(in_tf["merged"].item())
    # "mean_1": the scope's Mean op holds "stats/Mean", and names are unique regardless of case (as TF1's)
    assert [v.tag for v in got.value] == [v.tag for v in want.value] == ["stats/mean_1", "stats/values",
                                                                        "stats/images/image"]
    np.testing.assert_allclose(got.value[0].simple_value, want.value[0].simple_value, rtol=1e-6)
    assert got.value[1].histo == want.value[1].histo
    for key in ("height", "width", "colorspace"):
        assert getattr(got.value[2].image, key) == getattr(want.value[2].image, key), key
