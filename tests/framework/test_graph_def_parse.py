"""tf.parse_example / tf.parse_single_example in GraphDefs both ways: TensorFlow's ParseExampleV2 graph
(tests/data/tf_graphs/parse_example_frozen.pb, written by tests/data/make_tf_parse_example.py with TF 2.21
compat.v1) imports with TensorFlow's outputs, and graphc's parsing is written as TensorFlow's
ParseExample / ParseSingleExample (run in TensorFlow when GRAPHC_TENSORFLOW_PYTHON names one)."""

import numpy as np

import graphc as tf

from repo_paths import DATA as TEST_DATA
from tensorflow_python import run_in_tensorflow, tensorflow_python

DATA = TEST_DATA / "tf_graphs"


def test_tensorflows_parse_example_v2_imports_with_tensorflows_outputs():
    want = np.load(DATA / "parse_example_expected.npz")
    gd = tf.GraphDef.FromString((DATA / "parse_example_frozen.pb").read_bytes())
    assert "ParseExampleV2" in {n.op for n in gd.node}
    keys = [k for k in want.files if k != "s"]
    serialized = want["s"].astype(object)
    with tf.Graph().as_default():
        outs = tf.import_graph_def(gd, return_elements=[f"{k}:0" for k in keys], name="")
        with tf.Session() as sess:
            got = sess.run(outs, {"s:0": serialized, "one:0": serialized[0]})
    for key, value in zip(keys, got):
        assert np.asarray(value).tolist() == want[key].tolist(), key


def _parsing_model():
    serialized = np.load(DATA / "parse_example_expected.npz")["s"].astype(object)
    s = tf.placeholder(tf.string, [None], name="s")
    one = tf.placeholder(tf.string, [], name="one")
    features = {"age": tf.FixedLenFeature([1], tf.int64, default_value=[-1]), "tags": tf.VarLenFeature(tf.string),
                "seq": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True)}
    p, q = tf.parse_example(s, features), tf.parse_single_example(one, features)
    fetch = {"age": p["age"], "tags_indices": p["tags"].indices, "tags_values": p["tags"].values,
             "tags_shape": p["tags"].dense_shape, "seq": p["seq"], "one_age": q["age"],
             "one_tags_indices": q["tags"].indices, "one_tags_values": q["tags"].values,
             "one_tags_shape": q["tags"].dense_shape, "one_seq": q["seq"]}
    return fetch, {"s": serialized, "one": serialized[0]}


def test_graphc_parsing_is_written_as_tensorflows_ops_and_reimports():
    with tf.Graph().as_default() as g:
        fetch, feeds = _parsing_model()
        gd = g.as_graph_def(for_tensorflow=True)
        with tf.Session() as sess:
            want = sess.run(fetch, {f"{k}:0": v for k, v in feeds.items()})
    nodes = {n.name: n for n in gd.node}
    parse = nodes["ParseExample/ParseExample"]
    assert parse.op == "ParseExample" and (parse.attr["Nsparse"].i, parse.attr["Ndense"].i) == (1, 2)
    assert [list(s.dim) and s.dim[0].size for s in parse.attr["dense_shapes"].list.shape] == [1, -1]
    assert nodes["ParseExample"].op == "IdentityN"      # graphc's output order, named as graphc's op
    assert nodes["ParseSingleExample/ParseSingleExample"].attr["sparse_keys"].list.s == [b"tags"]
    with tf.Graph().as_default():
        back = tf.import_graph_def(gd, return_elements=[t.name for t in fetch.values()], name="")
        with tf.Session() as sess:
            got = sess.run(back, {f"{k}:0": v for k, v in feeds.items()})
    expected = np.load(DATA / "parse_example_expected.npz")       # TensorFlow's outputs for these Examples
    for key, value in zip(fetch, got):
        assert np.asarray(value).tolist() == np.asarray(want[key]).tolist() == expected[key].tolist(), key


def test_graphc_parsing_runs_in_tensorflow_with_the_same_results(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default() as g:
        fetch, feeds = _parsing_model()
        gd = g.as_graph_def(for_tensorflow=True)
    got = run_in_tensorflow(python, gd, dict(s=feeds["s"].astype(bytes), one=np.array(feeds["one"])),
                            {k: t.name for k, t in fetch.items()}, tmp_path)
    expected = np.load(DATA / "parse_example_expected.npz")
    for key in fetch:
        assert got[key].tolist() == expected[key].tolist(), key
