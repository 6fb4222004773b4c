"""Queues in GraphDefs both ways: TensorFlow's FIFOQueueV2 / RandomShuffleQueueV2 graph
(tests/data/tf_graphs/queues.pb, written by tests/data/make_tf_queues.py with TF 2.21 compat.v1) imports
and replays TensorFlow's run sequence with its results, and graphc's queues are written as those nodes
(run in TensorFlow when GRAPHC_TENSORFLOW_PYTHON names one)."""
import subprocess
import sys

import numpy as np

import graphc as tf

from repo_paths import DATA as TEST_DATA
from tensorflow_python import tensorflow_python

DATA = TEST_DATA / "tf_graphs"
sys.path.insert(0, str(TEST_DATA))
from make_tf_queues import RUNS  # noqa: E402  (the run sequence the fixture recorded, without TensorFlow)


def _replay(sess):
    got = {}
    for k, (fetch, feed) in enumerate(RUNS):
        value = sess.run(fetch, {"x:0": feed} if feed is not None else None)
        if value is not None:
            got[f"run{k}"] = np.asarray(value)
    return got


def test_tensorflows_queue_graph_imports_and_replays_tensorflows_runs():
    want = np.load(DATA / "queues_expected.npz")
    gd = tf.GraphDef.FromString((DATA / "queues.pb").read_bytes())
    assert {"FIFOQueueV2", "RandomShuffleQueueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2"} <= {
        n.op for n in gd.node}
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            got = _replay(sess)
    assert sorted(got) == sorted(want.files)
    for key in want.files:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def _queues_model():
    x = tf.placeholder(tf.float32, [2], name="x")
    q = tf.FIFOQueue(10, [tf.float32], shapes=[[2]], name="q")
    q.enqueue([x * 2.0], name="enq")
    q.enqueue_many([tf.reshape(x, [1, 2])], name="enq_many")
    q.size(name="size")
    q.dequeue(name="one")
    q.dequeue_many(1, name="many")
    q.dequeue_up_to(5, name="rest")
    q.close(name="close")
    r = tf.RandomShuffleQueue(4, 0, [tf.int32], shapes=[[]], seed=1, name="r")
    r.enqueue_many([tf.range(3)], name="shuffled_enq")
    r.size(name="shuffled_size")


def test_graphc_queues_are_written_as_tensorflows_and_reimport():
    with tf.Graph().as_default() as g:
        _queues_model()
        gd = g.as_graph_def(for_tensorflow=True)
        with tf.Session() as sess:
            want = _replay(sess)
    nodes = {n.name: n for n in gd.node}
    assert (nodes["q"].op, nodes["r"].op) == ("FIFOQueueV2", "RandomShuffleQueueV2")
    assert list(nodes["enq"].input) == ["q", "mul"] and nodes["rest"].op == "QueueDequeueUpToV2"
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            got = _replay(sess)
    expected = np.load(DATA / "queues_expected.npz")      # TF 2.21's results for the same program
    for key in expected.files:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


REPLAY_IN_TF = r"""
import sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
sys.path.insert(0, sys.argv[2])
from make_tf_queues import RUNS
gd = tf1.GraphDef()
gd.ParseFromString(open(sys.argv[1] + "/graph.pb", "rb").read())
got = {}
with tf1.Graph().as_default():
    tf1.import_graph_def(gd, name="")
    with tf1.Session() as sess:
        for k, (fetch, feed) in enumerate(RUNS):
            value = sess.run(fetch, {"x:0": feed} if feed is not None else None)
            if value is not None:
                got[f"run{k}"] = np.asarray(value)
np.savez(sys.argv[1] + "/got.npz", **got)
"""


def test_graphc_queues_run_in_tensorflow(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default() as g:
        _queues_model()
        tf.train.write_graph(g.as_graph_def(for_tensorflow=True), str(tmp_path), "graph.pb", as_text=False)
    res = subprocess.run([python, "-c", REPLAY_IN_TF, str(tmp_path), str(TEST_DATA)], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    got, expected = np.load(tmp_path / "got.npz"), np.load(DATA / "queues_expected.npz")
    for key in expected.files:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
