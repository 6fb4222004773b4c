"""GRAPHC_DUMP's files read on their own: an index of compiles, TF names, refusals that say what differs."""
import re

import numpy as np
import pytest

import graphc as tf

from builders import linear_sgd


@pytest.fixture
def dump_root(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_DUMP", str(tmp_path))
    return tmp_path


def test_the_index_maps_each_compile_to_its_run(dump_root):
    x, loss, train = linear_sgd()
    with tf.Session(backend="interpret") as sess:
        sess.run(tf.global_variables_initializer())
        sess.run([loss, train], {x: np.ones((4, 3), np.float32)})
        sess.run([loss, train], {x: np.ones((5, 3), np.float32)})
    index = (dump_root / "index.txt").read_text()
    entries = re.split(r"\n(?=compile_)", index.strip())
    assert [e.split(":")[0] for e in entries] == ["compile_0000", "compile_0001", "compile_0002"]
    assert sorted(p.name for p in dump_root.iterdir()) == ["compile_0000", "compile_0001", "compile_0002",
                                                           "index.txt"]
    assert entries[0].startswith("compile_0000: sess.run([init]) on interpret")
    assert entries[1].startswith("compile_0001: sess.run([loss:0, train]) on interpret")
    assert "feeds: x:0 float32[4, 3]" in entries[1] and "why: first run of this fetch/feed set" in entries[1]
    assert ("why: feed shapes changed from ((4, 3),) to ((5, 3),): planned once for the shape pattern "
            "((?, 3),), which every later size of it shares") in entries[2]
    assert "feeds: x:0 float32[None, 3]" in entries[2]


def test_the_ir_names_fetches_by_their_tf_names(dump_root):
    a = tf.placeholder(tf.float32, [2], name="a")
    total = tf.reduce_sum(a * 2.0, name="total")
    with tf.Session(backend="interpret") as sess:
        sess.run([total, a + 1.0], {a: np.ones(2, np.float32)})
    ir = (dump_root / "compile_0000" / "00_ir_initial.txt").read_text()
    fetches = [line for line in ir.splitlines() if line.startswith("fetch")]
    assert [line.split(":")[0] for line in fetches] == ["fetch 0 total", "fetch 1 add"]
    assert all(line.split()[2].endswith(":0:") for line in fetches)


def refusals(fetch, feeds):
    with tf.Session(backend="interpret") as sess:
        return dict(sess.compile(fetch, feeds).kernel_plan.why_not)


def test_refusals_say_what_differs():
    x = tf.placeholder(tf.float32, [32, 128], name="x")
    b = tf.placeholder(tf.float32, [32, 1], name="b")
    images = tf.placeholder(tf.float32, [2, 4, 4, 3], name="images")
    feeds = {x: np.ones((32, 128), np.float32), b: np.ones((32, 1), np.float32),
             images: np.ones((2, 4, 4, 3), np.float32)}
    broadcast = tf.add(x, tf.exp(b), name="broadcast")
    column_sums = tf.add(x, tf.reduce_sum(x, axis=0), name="column_sums")
    pooled = tf.nn.relu(tf.nn.max_pool(images, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), name="pooled")
    why = refusals([broadcast, column_sums, pooled], feeds)
    assert why["broadcast"] == "the pointwise group iterates over (32, 1), but this op's output is (32, 128)"
    assert why["column_sums"].startswith("the reduction over axes [0] of (32, 128) is not over its trailing axes")
    assert why["pooled"] == "its input comes from an opaque kernel, which runs on its own"
    for reason in why.values():
        same = re.search(r"over (\(.*?\)) differs from (\(.*?\))", reason)
        assert not (same and same.group(1) == same.group(2)), reason


def test_the_memory_plan_names_values_by_their_tf_names(dump_root):
    a = tf.placeholder(tf.float32, [2], name="a")
    total = tf.reduce_sum(tf.exp(a, name="ex"), name="total")
    with tf.Session(backend="interpret") as sess:
        sess.run(total, {a: np.ones(2, np.float32)})
    (path,) = (dump_root / "compile_0000").glob("*_memory_plan.txt")
    plan = path.read_text()
    buffers = [line for line in plan.splitlines() if line.startswith("buffer")]
    assert buffers and all(re.search(r"%\d+:\d+ \([\w/]+:\d+\)", line) for line in buffers), plan
    assert "(total:0)" in plan
