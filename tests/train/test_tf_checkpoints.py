"""TensorFlow's V2 checkpoints both ways: checkpoints written by TensorFlow 2.21.0
(tests/data/make_tf_checkpoints.py) restore in graphc with their exact values, and graphc writes the
same bytes as TensorFlow for the same variables. When TensorFlow can be run (importable here, or
an interpreter named by GRAPHC_TENSORFLOW_PYTHON), it restores what graphc wrote."""
import hashlib
import json
import os
import subprocess

import numpy as np
import pytest

import graphc as tf
from graphc.train import tensor_bundle

from builders import dense_adam
from repo_paths import DATA as TEST_DATA
from tensorflow_python import tensorflow_python

DATA = str(TEST_DATA / "tf_checkpoints")
BASIC = os.path.join(DATA, "basic", "model.ckpt")
ADAM_DIR = os.path.join(DATA, "adam")
SHARDED = os.path.join(DATA, "sharded", "model.ckpt")
SHARD = ".data-00000-of-00001"


def _expected(directory):
    """What TensorFlow's own reader returned for each tensor of a fixture ('/' stored as '|')."""
    with np.load(os.path.join(DATA, directory, "expected.npz")) as d:
        return {k.replace("|", "/"): d[k] for k in d.files}


def _same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _bytes(path):
    with open(path, "rb") as f:
        return f.read()


def _basic_variables():
    """graphc variables with the names, dtypes and shapes of the "basic" fixture, all zero."""
    out = {}
    for name, value in _expected("basic").items():
        scope, _, leaf = name.rpartition("/")
        with tf.variable_scope(scope or tf.get_variable_scope()):
            out[name] = tf.get_variable(leaf, initializer=tf.constant(np.zeros_like(value)))
    return out


def _adam_model():
    """The fixture's model, built in graphc: dense 3->2, mean squared error, Adam(0.05), global step."""
    with np.load(os.path.join(ADAM_DIR, "next_step.npz")) as d:
        x_data, y_data = d["x"], d["y"]
    x, kernel, bias, loss, train = dense_adam(tf.zeros_initializer(), 0.05, targets=y_data)
    return {"x": x, "x_data": x_data, "kernel": kernel, "bias": bias, "loss": loss, "train": train}


def test_tensorflow_basic_checkpoint_restores_exact_values():
    variables = _basic_variables()
    sess = tf.Session()
    tf.train.Saver(list(variables.values())).restore(sess, BASIC)
    for name, want in _expected("basic").items():
        _same(sess.run(variables[name]), want)


def test_reader_api_on_tensorflow_checkpoints():
    want = _expected("basic")
    reader = tf.train.NewCheckpointReader(BASIC)
    assert reader.get_variable_to_shape_map() == {n: list(v.shape) for n, v in want.items()}
    assert reader.get_variable_to_dtype_map() == {n: tf.as_dtype(v.dtype) for n, v in want.items()}
    assert reader.has_tensor("scope/inner/f64") and not reader.has_tensor("scope/inner")
    for name, value in want.items():
        _same(reader.get_tensor(name), value)
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found"):
        reader.get_tensor("nope")
    assert tf.train.list_variables(BASIC) == sorted((n, list(v.shape)) for n, v in want.items())
    _same(tf.train.load_variable(BASIC, "i64:0"), want["i64"])
    _same(tf.train.load_checkpoint(os.path.dirname(BASIC)).get_tensor("f32"), want["f32"])


def test_tensorflow_checkpoint_state_file_and_sharded_checkpoint():
    state = tf.train.get_checkpoint_state(ADAM_DIR)
    assert state.model_checkpoint_path == os.path.join(ADAM_DIR, "model.ckpt-3")
    assert list(state.all_model_checkpoint_paths) == [os.path.join(ADAM_DIR, f"model.ckpt-{i}") for i in (2, 3)]
    assert tf.train.latest_checkpoint(ADAM_DIR) == os.path.join(ADAM_DIR, "model.ckpt-3")
    assert tf.train.checkpoint_exists(BASIC) and not tf.train.checkpoint_exists(BASIC + "-1")
    reader = tf.train.NewCheckpointReader(SHARDED)          # two data shards, one index
    for name, value in _expected("sharded").items():
        _same(reader.get_tensor(name), value)


def test_dtypes_graphc_has_no_variables_of():
    """uint8 and float16 read as numpy arrays; a string tensor is listed but refused by name, and
    does not stop a restore of the other variables."""
    prefix = os.path.join(DATA, "other_dtypes", "model.ckpt")
    reader = tf.train.NewCheckpointReader(prefix)
    assert reader.get_variable_to_shape_map() == {"u8": [3], "f16": [2], "text": [], "f32": [1]}
    dtypes = reader.get_variable_to_dtype_map()
    assert (dtypes["u8"], dtypes["f16"], dtypes["text"], dtypes["f32"]) == (np.uint8, tf.float16, "string",
                                                                            tf.float32)
    _same(reader.get_tensor("u8"), np.array([0, 127, 255], np.uint8))
    _same(reader.get_tensor("f16"), np.array([0.5, -65504], np.float16))
    with pytest.raises(tf.errors.UnimplementedError, match="Tensor text .* has dtype string"):
        reader.get_tensor("text")
    v = tf.Variable(np.zeros(1, np.float32), name="f32")
    sess = tf.Session()
    tf.train.Saver([v]).restore(sess, prefix)
    _same(sess.run(v), np.array([1.25], np.float32))


def test_tensorflow_adam_checkpoint_resumes_training_in_graphc():
    m = _adam_model()
    sess = tf.Session()
    tf.train.Saver().restore(sess, tf.train.latest_checkpoint(ADAM_DIR))
    for var in tf.global_variables():
        _same(sess.run(var), _expected("adam")[var.op.name])
    sess.run(m["train"], {m["x"]: m["x_data"]})
    with np.load(os.path.join(ADAM_DIR, "next_step.npz")) as after:
        # the step TensorFlow took from the same checkpoint; float32 Adam math, a few ulps apart at most
        np.testing.assert_allclose(sess.run(m["kernel"]), after["dense|kernel"], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(sess.run(m["bias"]), after["dense|bias"], rtol=1e-6, atol=1e-7)
    assert sess.run(tf.train.get_global_step()) == 4


def test_graphc_writes_tensorflows_bytes_for_the_same_variables(tmp_path):
    variables = _basic_variables()
    sess = tf.Session()
    for name, value in _expected("basic").items():
        sess.run(variables[name].assign(value))
    prefix = tf.train.Saver(list(variables.values())).save(sess, str(tmp_path / "model.ckpt"))
    assert _bytes(prefix + SHARD) == _bytes(BASIC + SHARD)
    assert _bytes(prefix + ".index") == _bytes(BASIC + ".index")
    assert _bytes(str(tmp_path / "checkpoint")).replace(str(tmp_path).encode() + b"/", b"") == \
        _bytes(os.path.join(DATA, "basic", "checkpoint"))


def test_restoring_and_resaving_a_tensorflow_adam_checkpoint_is_byte_identical(tmp_path):
    _adam_model()
    sess = tf.Session()
    saver = tf.train.Saver()
    saver.restore(sess, os.path.join(ADAM_DIR, "model.ckpt-3"))
    prefix = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=tf.train.get_global_step())
    assert prefix.endswith("model.ckpt-3")
    for suffix in (".index", SHARD):
        assert _bytes(prefix + suffix) == _bytes(os.path.join(ADAM_DIR, "model.ckpt-3" + suffix))


def test_an_index_of_several_blocks_matches_tensorflows_bytes(tmp_path):
    """The tensors of make_tf_checkpoints.multiblock_tensors, written the way Saver.save writes them,
    give the SHA-256 recorded from TensorFlow's SaveV2 for them."""
    tensors = {f"layer_{i:05d}/w": np.full((i % 3,), i, np.float32) for i in range(15000)}
    tensors.update({"scalar64": np.array(2.5), "z_bool": np.array([True, False])})
    prefix = str(tmp_path / "big")
    tensor_bundle.write_bundle(prefix, tensors, lambda path: open(path, "wb"))
    with open(os.path.join(DATA, "multiblock.json")) as f:
        recorded = json.load(f)
    for suffix, want in recorded.items():
        data = _bytes(prefix + suffix)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (want["size"], want["sha256"]), suffix
    reader = tf.train.NewCheckpointReader(prefix)
    _same(reader.get_tensor("layer_14999/w"), np.full((2,), 14999, np.float32))
    _same(reader.get_tensor("z_bool"), np.array([True, False]))


def test_init_from_checkpoint_remaps_scopes_and_names():
    ckpt = tf.train.latest_checkpoint(ADAM_DIR)
    want = _expected("adam")
    with tf.variable_scope("new"):
        kernel = tf.get_variable("kernel", shape=[3, 2])
        bias = tf.get_variable("bias", shape=[2])
    w = tf.get_variable("w", shape=[3, 2])
    plain = tf.Variable(np.zeros(2, np.float32), name="plain")
    step = tf.get_variable("copy/global_step", shape=[], dtype=tf.int64)
    tf.train.init_from_checkpoint(ADAM_DIR, {"dense/": "new/"})
    tf.train.init_from_checkpoint(ckpt, {"dense/kernel/Adam": "w", "dense/bias/Adam_1": plain,
                                         "/": "copy/"})
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    _same(sess.run(kernel), want["dense/kernel"])
    _same(sess.run(bias), want["dense/bias"])
    _same(sess.run(w), want["dense/kernel/Adam"])
    _same(sess.run(plain), want["dense/bias/Adam_1"])
    _same(sess.run(step), want["global_step"])


@pytest.mark.parametrize("assignment_map, words", [
    ({"dense/nope": "a"}, ["dense/nope", "not found"]),
    ({"dense/bias": "nope"}, ["nope", "no variable"]),
    ({"dense/bias": "a", "dense/kernel": "b"}, ["Shape of variable b", "[3, 2]"]),
    ({"dense/": "scope"}, ["for variable a", "not found"]),     # "scope" has no '/': every variable, as TF1
])
def test_init_from_checkpoint_errors_change_nothing(assignment_map, words):
    a = tf.get_variable("a", initializer=tf.constant(np.zeros(2, np.float32)))
    b = tf.get_variable("b", initializer=tf.constant(np.zeros(5, np.float32)))
    with pytest.raises(ValueError) as info:
        tf.train.init_from_checkpoint(ADAM_DIR, assignment_map)
    for word in words:
        assert word in str(info.value)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    _same(sess.run(a), np.zeros(2, np.float32))      # a was valid in the first case, yet unchanged
    _same(sess.run(b), np.zeros(5, np.float32))


def test_old_npz_checkpoints_still_restore(tmp_path):
    prefix = str(tmp_path / "old")
    meta = '{"format": "graphc-checkpoint", "version": 1, "variables": {"v": {"dtype": "int32", "shape": [2]}}}'
    np.savez(prefix + ".npz", **{"v": np.array([4, 5], np.int32), ":graphc_checkpoint": np.array(meta)})
    v = tf.Variable(np.zeros(2, np.int32), name="v")
    sess = tf.Session()
    tf.train.Saver([v]).restore(sess, prefix)
    _same(sess.run(v), np.array([4, 5], np.int32))
    assert tf.train.checkpoint_exists(prefix) and tf.train.list_variables(prefix) == [("v", [2])]


# ------------------------------------------------------------------------------------------------
# TensorFlow reads what graphc wrote

RESTORE_IN_TF = """
import sys, numpy as np, tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
ckpt_dir, out = sys.argv[1], sys.argv[2]
prefix = tf1.train.latest_checkpoint(ckpt_dir)
shapes = tf1.train.NewCheckpointReader(prefix).get_variable_to_shape_map()
dtypes = tf1.train.NewCheckpointReader(prefix).get_variable_to_dtype_map()
variables = {}
for name in shapes:
    variables[name] = tf1.get_variable(name, shape=shapes[name], dtype=dtypes[name],
                                       initializer=tf1.zeros_initializer())
with tf1.Session() as sess:
    tf1.train.Saver(variables).restore(sess, prefix)
    values = sess.run(variables)
np.savez(out, **{k.replace("/", "|"): v for k, v in values.items()}, prefix=np.array(prefix))
"""


def test_tensorflow_restores_a_graphc_checkpoint(tmp_path):
    python = tensorflow_python()
    m = _adam_model()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    for _ in range(2):
        sess.run(m["train"], {m["x"]: m["x_data"]})
    extra = tf.Variable(np.array([[True], [False]]), name="outer/flags")
    sess.run(extra.initializer)
    saver = tf.train.Saver(max_to_keep=1)
    saver.save(sess, str(tmp_path / "model.ckpt"), global_step=tf.train.get_global_step())   # -2, then dropped
    sess.run(m["train"], {m["x"]: m["x_data"]})
    want = {v.op.name: sess.run(v) for v in tf.global_variables()}      # the session's values when saved
    saver.save(sess, str(tmp_path / "model.ckpt"), global_step=tf.train.get_global_step())   # -3
    sess.run(m["train"], {m["x"]: m["x_data"]})
    out = tmp_path / "restored.npz"
    res = subprocess.run([python, "-c", RESTORE_IN_TF, str(tmp_path), str(out)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    with np.load(out) as got:
        assert str(got["prefix"]) == str(tmp_path / "model.ckpt-3")
        assert sorted(k.replace("|", "/") for k in got.files if k != "prefix") == sorted(want)
        for name, value in want.items():
            _same(got[name.replace("/", "|")], value)
