"""Meta graphs: Saver.save writes <prefix>.meta by default; tf.train.import_meta_graph brings back the
graph, its collections and a Saver, so training resumes from .meta + checkpoint in a fresh process.
TensorFlow's own meta graph (tests/data/tf_graphs/adam, from tests/data/make_tf_graphs.py) resumes in
graphc with the losses TensorFlow recorded."""
import os
import subprocess
import sys

import numpy as np
import pytest

import graphc as tf

from builders import dense_adam
from repo_paths import DATA as TEST_DATA, ROOT
from tensorflow_python import tensorflow_python

DATA = str(TEST_DATA / "tf_graphs" / "adam")
X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=np.float32)


def test_tensorflows_adam_meta_graph_resumes_training_in_graphc():
    want = np.load(os.path.join(DATA, "expected.npz"))
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(os.path.join(DATA, "model.ckpt-3.meta"))
        assert sorted(v.op.name for v in tf.trainable_variables()) == ["dense/bias", "dense/kernel"]
        assert sorted(v.op.name for v in tf.global_variables()) == [
            "beta1_power", "beta2_power", "dense/bias", "dense/bias/Adam", "dense/bias/Adam_1", "dense/kernel",
            "dense/kernel/Adam", "dense/kernel/Adam_1", "global_step"]
        train_ops = tf.get_collection("train_op")    # minimize() adds it, and so did the script
        assert len(train_ops) == 2 and train_ops[0] is train_ops[1]
        train_op = train_ops[0]
        x, = tf.get_collection("inputs")
        assert isinstance(train_op, tf.Operation) and x.name == "x:0"
        assert not [op for op in g.get_operations() if op.name.startswith("save/") and op.type == "RestoreV2"]
        loss = g.get_tensor_by_name("loss:0")
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(DATA))
            assert sess.run(tf.train.get_global_step()) == 3
            losses = [sess.run([loss, train_op], {x: want["x"]})[0] for _ in range(2)]
            assert sess.run(tf.train.get_global_step()) == 5
    np.testing.assert_allclose(losses, want["losses"], rtol=1e-6)


def _adam_model():
    x, _, _, loss, train = dense_adam(tf.glorot_uniform_initializer(seed=1), 0.1)
    tf.add_to_collection("train_op", train)
    tf.add_to_collection("inputs", x)
    tf.add_to_collection("outputs", loss)
    return x, loss, train


RESUME = r"""
import sys
import numpy as np
import graphc as tf
directory = sys.argv[1]
saver = tf.train.import_meta_graph(tf.train.latest_checkpoint(directory) + ".meta")
train = tf.get_collection("train_op")[0]
x, = tf.get_collection("inputs")
loss, = tf.get_collection("outputs")
with tf.Session() as sess:
    saver.restore(sess, tf.train.latest_checkpoint(directory))
    losses = [sess.run([loss, train], {x: np.load(directory + "/x.npy")})[0] for _ in range(3)]
    print(repr([float(v) for v in losses]), int(sess.run(tf.train.get_global_step())))
"""


def test_training_resumes_from_meta_and_checkpoint_in_a_fresh_process(tmp_path):
    with tf.Graph().as_default():
        x, loss, train = _adam_model()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(4):
                sess.run(train, {x: X})
            prefix = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=tf.train.get_global_step())
            want = [float(sess.run([loss, train], {x: X})[0]) for _ in range(3)]
    assert os.path.exists(prefix + ".meta") and prefix.endswith("-4")
    np.save(tmp_path / "x.npy", X)
    res = subprocess.run([sys.executable, "-c", RESUME, str(tmp_path)], capture_output=True, text=True,
                         timeout=300, cwd=str(ROOT))
    assert res.returncode == 0, res.stderr[-3000:]
    losses, step = res.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert eval(losses) == want      # same slots and step: the same bits as the uninterrupted run
    assert int(step) == 7


def test_collections_devices_scope_and_text_format(tmp_path):
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            v = tf.Variable([1.0, 2.0], name="v")
        w = tf.Variable(3.0, name="w", trainable=False)
        out = tf.multiply(v, w, name="out")
        tf.add_to_collection("tensors", out)
        tf.add_to_collection("ops", out.op)
        tf.add_to_collection("numbers", 7)
        tf.add_to_collection("names", "hello")
        tf.add_to_collection("objects", object())
        tf.add_to_collection("savers", tf.train.Saver())    # as MonitoredTrainingSession does: left out quietly
        with pytest.warns(UserWarning, match="'objects' holds object values") as caught:
            meta = tf.train.export_meta_graph(str(tmp_path / "m.meta.txt"), as_text=True)
        assert len(caught) == 1
        assert {n.name: n.device for n in meta.graph_def.node}["v"] == "/device:CPU:0"
        assert sorted(meta.collection_def) == ["names", "numbers", "ops", "tensors", "trainable_variables",
                                               "variables"]
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(str(tmp_path / "m.meta.txt"), clear_devices=True, import_scope="m")
        assert g.get_operation_by_name("m/v").device == ""
        assert tf.get_collection("tensors") == [g.get_tensor_by_name("m/out:0")]
        assert tf.get_collection("ops") == [g.get_operation_by_name("m/out")]
        assert tf.get_collection("numbers") == [7] and tf.get_collection("names") == [b"hello"]
        assert [v.op.name for v in tf.trainable_variables()] == ["m/v"]
        assert sorted(v.op.name for v in tf.global_variables()) == ["m/v", "m/w"]
        assert isinstance(saver, tf.train.Saver)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run("m/out:0"), [3.0, 6.0])


def test_import_meta_graph_input_map_replaces_a_placeholder():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        tf.add_to_collection("outputs", tf.reduce_sum(x * tf.Variable([1.0, 10.0], name="w"), name="total"))
        meta = tf.train.export_meta_graph()
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(meta, input_map={"x:0": tf.constant([[1.0, 2.0], [3.0, 4.0]])})
        total, = tf.get_collection("outputs")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(total) == 64.0
        assert isinstance(saver, tf.train.Saver) and [v.op.name for v in tf.global_variables()] == ["w"]


def test_write_meta_graph_false_and_max_to_keep(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        saver = tf.train.Saver(max_to_keep=1)
        with tf.Session() as sess:
            sess.run(v.initializer)
            saver.save(sess, str(tmp_path / "a"), write_meta_graph=False)
            saver.save(sess, str(tmp_path / "b"), global_step=1)
            saver.save(sess, str(tmp_path / "b"), global_step=2)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".meta")) == ["b-2.meta"]


RUN_IN_TF = r"""
import sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
prefix = sys.argv[1]
with tf1.Session() as sess:
    saver = tf1.train.import_meta_graph(prefix + ".meta")
    saver.restore(sess, prefix)
    out = tf1.get_collection("outputs")[0]
    x = tf1.get_collection("inputs")[0]
    np.save(prefix + "-tf.npy", sess.run(out, {x: np.load(prefix + "-x.npy")}))
"""


def test_tensorflow_imports_a_graphc_meta_graph_and_restores_its_checkpoint(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        hidden = tf.layers.dense(x, 4, activation=tf.nn.relu, name="hidden")
        out = tf.nn.softmax(tf.layers.dense(hidden, 2, name="logits"), name="probs")
        tf.add_to_collection("inputs", x)
        tf.add_to_collection("outputs", out)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
            want = sess.run(out, {x: X})
    np.save(prefix + "-x.npy", X)
    res = subprocess.run([python, "-c", RUN_IN_TF, prefix], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    np.testing.assert_allclose(np.load(prefix + "-tf.npy"), want, rtol=1e-6, atol=1e-7)


def test_a_graph_a_meta_graph_cannot_carry_still_saves_its_checkpoint_with_one_warning(tmp_path):
    with tf.Graph().as_default():
        batch = tf.data.Dataset.from_tensor_slices(np.arange(4, dtype=np.float32)).batch(2) \
            .make_one_shot_iterator().get_next()
        v = tf.Variable(2.0, name="v")
        total = v * tf.reduce_sum(batch)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            sess.run(total)
            with pytest.warns(UserWarning, match="IteratorGetNext") as caught:
                saver.save(sess, str(tmp_path / "m"), global_step=1)
                saver.save(sess, str(tmp_path / "m"), global_step=2)
    assert len([w for w in caught if "meta graph" in str(w.message)]) == 1
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-1.data-00000-of-00001", "m-1.index",
                                            "m-2.data-00000-of-00001", "m-2.index"]
    assert tf.train.load_variable(str(tmp_path / "m-2"), "v") == 2.0


TRAIN_IN_TF = r"""
import sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
prefix = sys.argv[1]
data = np.load(prefix + "-data.npz")
with tf1.Session() as sess:
    saver = tf1.train.import_meta_graph(prefix + ".meta")
    saver.restore(sess, prefix)
    graph = tf1.get_default_graph()
    feeds = {graph.get_tensor_by_name("x:0"): data["x"], graph.get_tensor_by_name("y:0"): data["y"]}
    got = sess.run([graph.get_tensor_by_name("loss:0")] + tf1.get_collection("grads"), feeds)
    sess.run(tf1.get_collection("train_op")[0], feeds)
    np.savez(prefix + "-tf.npz", *got, step=sess.run(tf1.train.get_global_step()))
"""


def _cnn_training_graph():
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, [None, 6, 6, 1], name="x")
    y = tf.placeholder(tf.float32, [None, 3], name="y")
    c = tf.layers.conv2d(x, 2, 3, strides=1, padding="same", activation=tf.nn.relu)
    p = tf.layers.max_pooling2d(c, 2, 2)
    a = tf.nn.avg_pool(p, [1, 3, 3, 1], [1, 1, 1, 1], "SAME")
    logits = tf.layers.dense(tf.reshape(a, [-1, 18]), 3)
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits), name="loss")
    grads = tf.gradients(loss, tf.trainable_variables())
    for g in grads:
        tf.add_to_collection("grads", g)
    train = tf.train.AdamOptimizer(0.05).apply_gradients(zip(grads, tf.trainable_variables()),
                                                         global_step=tf.train.get_or_create_global_step())
    return x, y, loss, grads, train


def test_tensorflow_runs_a_graphc_cnn_training_graph_from_its_meta_graph(tmp_path):
    """Gradients included (graphc's SumTo is written as TF1's BroadcastGradientArgs pattern): TF computes
    graphc's loss and gradients and runs its train_op. Losses over several steps are not compared: in
    TensorFlow a ref variable's read that no edge orders before its update may see the new value, and
    3 TF runs of this graph gave 2 different trajectories; graphc reads the value the run started with."""
    python = tensorflow_python()
    rng = np.random.RandomState(0)
    data = {"x": rng.randn(4, 6, 6, 1).astype(np.float32), "y": np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]}
    with tf.Graph().as_default():
        x, y, loss, grads, train = _cnn_training_graph()
        feeds = {x: data["x"], y: data["y"]}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(2):
                sess.run(train, feeds)
            prefix = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
            want = sess.run([loss] + grads, feeds)
    np.savez(prefix + "-data.npz", **data)
    res = subprocess.run([python, "-c", TRAIN_IN_TF, prefix], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    got = np.load(prefix + "-tf.npz")
    for i, value in enumerate(want):
        np.testing.assert_allclose(got[f"arr_{i}"], value, rtol=1e-5, atol=1e-7)
    assert got["step"] == 3


def test_sum_to_is_written_as_tensorflows_ops_and_read_back_as_graphcs():
    with tf.Graph().as_default():
        _cnn_training_graph()
        meta = tf.train.export_meta_graph()
    ops = {n.name: n.op for n in meta.graph_def.node}
    lowered = [n for n in meta.graph_def.node if "_graphc_type" in n.attr]
    assert lowered and all(n.op == "Reshape" and n.attr["_graphc_type"].s == b"SumTo" for n in lowered)
    assert ops[lowered[0].input[0]] == "Sum" and ops[lowered[0].name + "/BroadcastGradientArgs"] == \
        "BroadcastGradientArgs"
    with tf.Graph().as_default() as g:
        tf.train.import_meta_graph(meta)
        assert g.get_operation_by_name(lowered[0].name).type == "SumTo"
        assert not [op for op in g.get_operations() if op.type in ("BroadcastGradientArgs", "Reshape")
                    and op.name.startswith(lowered[0].name + "/")]
