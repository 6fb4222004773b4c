"""tf.summary: summary ops (TF1 names, tags, serialized values), histograms, FileWriter event files."""
import glob
import struct
import sys

import numpy as np
import pytest

import graphc as tf
import graphc.summary as summary

# recorded from TF 1.x (tf.compat.v1): sess.run(tf.summary.scalar("my loss!", tf.constant(3.5)))
TF_SCALAR_BYTES = b"\n\x0f\n\x08my_loss_\x15\x00\x00`@"
# recorded from TF 1.x: tf.summary.histogram of [0, 1, 2, 2, -3, 100]
TF_HISTO_SMALL = {
    "min": -3.0, "max": 100.0, "num": 6.0, "sum": 102.0, "sum_squares": 10018.0,
    "bucket_limit": [-3.1665833053880363, -2.8787120958073054, 0.0, 1e-12, 0.917246389039776, 1.0089710279437536,
                     1.9661990955585713, 2.1628190051144287, 97.88757810018231, 107.67633591020055,
                     1.7976931348623157e308],
    "bucket": [0, 1, 0, 1, 0, 1, 0, 2, 0, 1, 0],
}
WIDE_VALUES = [1e-15, -1e-15, 5e19, 2e20, -3e21, 1e300, -7.5, 0.3, 123456.0, -0.001, 0.0]
TF_HISTO_WIDE = {
    "min": -3e21, "max": 1e300, "num": 11.0, "sum": 1e300, "sum_squares": np.inf,
    "bucket_limit": [-1.7976931348623157e308, -9.920775621859783e19, -8.213301572628762, -7.466637793298873,
                     -0.001055857634516068, -0.0009598705768327891, -1e-12, 0.0, 1e-12, 0.29226296698161564,
                     0.3214892636797772, 113184.32500245044, 124502.75750269549, 4.628115045002392e19,
                     5.090926549502632e19, 9.920775621859783e19, 1.7976931348623157e308],
    "bucket": [0, 1, 0, 1, 0, 1, 0, 1, 2, 0, 1, 0, 1, 0, 1, 0, 2],
}


def _bytes(value):
    return summary.summary_bytes(value)


def _assert_histogram(fields, expected):
    for key in ("min", "max", "num", "sum", "sum_squares"):
        assert fields[key] == pytest.approx(expected[key], rel=1e-12), key
    np.testing.assert_allclose(list(fields["bucket_limit"]), expected["bucket_limit"], rtol=1e-12)
    np.testing.assert_array_equal(list(fields["bucket"]), expected["bucket"])


# ------------------------------------------------------------------------------------------------
# ops, names, tags (no optional packages needed)

def test_names_tags_and_collection_follow_tf1():
    x = tf.constant(3.5)
    with tf.name_scope("train"):
        s1 = summary.scalar("loss", x)
        s2 = summary.scalar("acc", x, family="fam")
        h = summary.histogram("w", tf.constant([1.0, 2.0]))
    s3 = summary.scalar("loss", x)
    s4 = summary.scalar("my loss!", x)
    got = [(t.op.name, t.op.type, t.op.get_attr("tag")) for t in [s1, s2, h, s3, s4]]
    assert got == [("train/loss", "ScalarSummary", "train/loss"),
                   ("train/fam/acc", "ScalarSummary", "fam/train/fam/acc"),
                   ("train/w", "HistogramSummary", "train/w"),
                   ("loss", "ScalarSummary", "loss"),
                   ("my_loss_", "ScalarSummary", "my_loss_")]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [s1, s2, h, s3, s4]
    merged = summary.merge_all()
    assert (merged.op.name, merged.op.type) == ("Merge/MergeSummary", "MergeSummary")
    assert summary.merge([s1]).op.name == "Merge_1/MergeSummary"


def test_scalar_run_value_is_tf1_serialized_summary():
    s = summary.scalar("my loss!", tf.constant(3.5))
    assert s.dtype == tf.string and s.shape.as_list() == []
    value = tf.Session().run(s)
    assert type(value) is bytes
    assert value == TF_SCALAR_BYTES


@pytest.mark.parametrize("backend", ["eager", "interpret", "numba"])
def test_merged_summary_is_a_string_scalar_that_tf_summary_parses(backend):
    pytest.importorskip("tensorboardX")
    x = tf.placeholder(tf.float32, [4])
    with tf.name_scope("train"):
        summary.scalar("loss", tf.reduce_mean(x))
        summary.histogram("x", x)
    merged = summary.merge_all()
    assert merged.dtype == tf.string and merged.shape.as_list() == []
    with tf.Session(backend=backend) as sess:
        value, doubled = sess.run([merged, x * 2], {x: [1.0, 2.0, 3.0, 6.0]})
    assert type(value) is bytes
    np.testing.assert_array_equal(doubled, [2, 4, 6, 12])
    parsed = tf.Summary.FromString(value)
    assert [v.tag for v in parsed.value] == ["train/loss", "train/x"]
    assert parsed.value[0].simple_value == 3.0
    assert (parsed.value[1].histo.num, parsed.value[1].histo.sum) == (4.0, 12.0)


def test_scalar_of_integer_and_placeholder():
    p = tf.placeholder(tf.int32, [])
    s = summary.scalar("i", p)
    assert _bytes(tf.Session().run(s, {p: 3})) == b"\n\x08\n\x01i\x15" + struct.pack("<f", 3.0)


def test_merge_concatenates_serialized_summaries():
    a = summary.scalar("a", tf.constant(1.0))
    b = summary.scalar("b", tf.constant(2.0))
    merged = summary.merge([a, b])
    sess = tf.Session()
    ma, mb, mm = sess.run([a, b, merged])
    assert _bytes(mm) == _bytes(ma) + _bytes(mb)


def test_histogram_fields_match_tf1():
    _assert_histogram(summary.histogram_proto_fields([0.0, 1.0, 2.0, 2.0, -3.0, 100.0]), TF_HISTO_SMALL)
    _assert_histogram(summary.histogram_proto_fields(WIDE_VALUES), TF_HISTO_WIDE)


def test_histogram_of_ints_and_of_nothing_match_tf1():
    _assert_histogram(summary.histogram_proto_fields(np.array([[1, 1], [1, 5]], np.int32)), {
        "min": 1.0, "max": 5.0, "num": 4.0, "sum": 8.0, "sum_squares": 28.0,
        "bucket_limit": [0.917246389039776, 1.0089710279437536, 4.636194617418625, 5.099814079160488,
                         1.7976931348623157e308],
        "bucket": [0, 3, 0, 1, 0]})
    _assert_histogram(summary.histogram_proto_fields(np.zeros(0)), {
        "min": 1.7976931348623157e308, "max": -1.7976931348623157e308, "num": 0.0, "sum": 0.0,
        "sum_squares": 0.0, "bucket_limit": [1.7976931348623157e308], "bucket": [0]})


def test_build_time_errors():
    with pytest.raises(ValueError, match="scalar"):
        summary.scalar("vec", tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="bool"):
        summary.scalar("flag", tf.constant(True))
    with pytest.raises(TypeError, match="not a summary"):
        summary.merge([tf.constant([1.0])])
    with pytest.raises(ValueError, match="at least one"):
        summary.merge([])
    assert summary.merge_all() is None


def test_run_time_errors():
    p = tf.placeholder(tf.float32, None)
    sess = tf.Session()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Nan in summary histogram for: h"):
        sess.run(summary.histogram("h", p), {p: [1.0, np.nan]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="not the same shape|needs a scalar"):
        sess.run(summary.scalar("s", p), {p: [1.0, 2.0]})


def test_collections_argument():
    s = summary.scalar("x", tf.constant(1.0), collections=["mine"])
    assert tf.get_collection("mine") == [s]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == []
    assert summary.merge_all("mine").op.type == "MergeSummary"


def test_summary_bytes_rejects_other_values():
    assert _bytes(b"abc") == b"abc"
    assert _bytes(np.array(b"ab", dtype=object)) == b"ab"
    with pytest.raises(TypeError, match="add_summary"):
        _bytes(3.5)
    with pytest.raises(TypeError, match="add_summary"):
        _bytes(np.array([97, 98], np.int32))


def test_file_writer_without_tensorboardx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    monkeypatch.setitem(sys.modules, "tensorboardX.writer", None)
    with pytest.raises(ImportError, match=r"graphc\[tensorboard\]"):
        summary.FileWriter(str(tmp_path))


# ------------------------------------------------------------------------------------------------
# event files (optional packages)

def _read_events(logdir):
    """Events of the one event file in ``logdir``, parsed from the TFRecord framing."""
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    (path,) = glob.glob(f"{logdir}/events.out.tfevents.*")
    events = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        events.append(event_pb2.Event.FromString(data[pos + 12:pos + 12 + length]))
        pos += 12 + length + 4   # length, its crc, payload, payload crc
    return events


def _training_log(logdir):
    """Writes the graph, scalars at steps 0..2 and one histogram (step 2) of a small model."""
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    with tf.variable_scope("dense"):
        w = tf.get_variable("w", initializer=tf.constant([[1.0], [2.0]]))
    with tf.name_scope("loss"):
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
        summary.scalar("loss", loss)
    summary.histogram("weights", w)
    merged = summary.merge_all()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    writer = summary.FileWriter(logdir, sess.graph)
    for step in range(3):
        writer.add_summary(sess.run(merged, {x: [[float(step), 1.0]]}), global_step=step)
    writer.close()


def test_event_file_holds_scalars_histogram_and_graph(tmp_path):
    pytest.importorskip("tensorboardX")
    _training_log(str(tmp_path))
    events = _read_events(str(tmp_path))
    assert events[0].file_version == "brain.Event:2"
    graph_events = [e for e in events if e.graph_def]
    assert len(graph_events) == 1
    scalars = [(e.step, v.simple_value) for e in events for v in e.summary.value if v.tag == "loss/loss"]
    assert scalars == [(0, 4.0), (1, 9.0), (2, 16.0)]   # (step*1 + 1*2)^2
    (histo,) = [v.histo for e in events if e.step == 2 for v in e.summary.value if v.tag == "weights"]
    assert (histo.num, histo.min, histo.max, histo.sum) == (2.0, 1.0, 2.0, 3.0)
    assert list(histo.bucket) == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_graph_def_has_scoped_nodes_inputs_and_control_inputs():
    pytest.importorskip("tensorboardX")
    a = tf.placeholder(tf.float32, [None, 3], name="a")
    with tf.name_scope("block"):
        first, second = tf.split(a, [1, 2], axis=1, name="parts")
        gate = tf.no_op(name="gate")
        with tf.control_dependencies([gate]):
            total = tf.reduce_sum(second, name="total")
    nodes = {n.name: n for n in summary.as_graph_def().node}
    assert second.name == "block/parts:1"
    assert nodes["a"].op == "Placeholder"
    assert nodes["block/gate"].op == "NoOp"
    assert nodes["block/total"].op == total.op.type
    # TensorFlow's conventions: the axes are a Const input, SplitV takes (value, size_splits, axis)
    assert list(nodes["block/total"].input) == ["block/parts:1", "block/total/reduction_indices", "^block/gate"]
    assert nodes["block/total/reduction_indices"].op == "Const"
    assert nodes["block/parts"].op == "SplitV"
    assert list(nodes["block/parts"].input) == ["a", "block/size_splits", "block/parts/axis"]
    assert nodes["a"].attr["dtype"].type == 1   # DT_FLOAT
    assert [d.size for d in nodes["a"].attr["_output_shapes"].list.shape[0].dim] == [-1, 3]


def test_add_summary_accepts_raw_bytes_and_protobuf(tmp_path):
    summary_pb2 = pytest.importorskip("tensorboardX.proto.summary_pb2")
    writer = summary.FileWriter(str(tmp_path), filename_suffix=".raw")
    writer.add_summary(TF_SCALAR_BYTES, 5)
    writer.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="pb", simple_value=2.0)]), 6)
    writer.close()
    assert glob.glob(f"{tmp_path}/*.raw")
    got = [(e.step, v.tag, v.simple_value) for e in _read_events(str(tmp_path)) for v in e.summary.value]
    assert got == [(5, "my_loss_", 3.5), (6, "pb", 2.0)]


def test_tensorboard_reads_the_event_file(tmp_path):
    pytest.importorskip("tensorboardX")
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    _training_log(str(tmp_path))
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"histograms": 0, "scalars": 0})
    acc.Reload()
    assert [(s.step, s.value) for s in acc.Scalars("loss/loss")] == [(0, 4.0), (1, 9.0), (2, 16.0)]
    histo = acc.Histograms("weights")[-1].histogram_value
    assert list(histo.bucket) == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert list(histo.bucket_limit)[1] == pytest.approx(1.0089710279437536)
    names = {n.name for n in acc.Graph().node}
    assert {"x", "dense/w", "loss/MatMul", "loss/Mean", "loss/loss", "weights", "Merge/MergeSummary"} <= names


def test_file_writer_shows_graphs_with_ops_a_graph_def_cannot_fully_hold(tmp_path):
    pytest.importorskip("tensorboardX")
    batch = tf.data.Dataset.from_tensor_slices(np.arange(4.0)).batch(2).make_one_shot_iterator().get_next()
    tf.reduce_sum(batch, name="total")
    with summary.FileWriter(str(tmp_path), tf.get_default_graph()):
        pass
    nodes = {n.name: n for n in summary.as_graph_def().node}
    assert nodes["IteratorGetNext"].op == "IteratorGetNext" and "iterator" not in nodes["IteratorGetNext"].attr
    assert list(nodes["total"].input)[0] == "IteratorGetNext"


# tf.summary.image against TF 2.21 compat.v1 (tests/data/tf1_image_summary.json: the tags, sizes and the
# decoded pixels of the PNGs TF1's ImageSummary wrote)
def test_image_summary_matches_tf1():
    import json

    from tensorboard.compat.proto import summary_pb2

    from repo_paths import DATA
    want = json.loads((DATA / "tf1_image_summary.json").read_text())
    inputs = {k: np.array(v, np.uint8 if k == "u8" else np.float32) for k, v in want["inputs"].items()}
    ops = [tf.summary.image("img", inputs["neg"]), tf.summary.image("one", inputs["pos"], max_outputs=1),
           tf.summary.image("u8", inputs["u8"], max_outputs=5)]
    with tf.Session() as sess:
        raws = sess.run(ops)
    for key, raw in zip(["neg", "pos", "u8"], raws):
        summary = summary_pb2.Summary()
        summary.ParseFromString(raw)
        assert [v.tag for v in summary.value] == [w["tag"] for w in want[key]]
        for value, w in zip(summary.value, want[key]):
            assert (value.image.height, value.image.width, value.image.colorspace) == (w["h"], w["w"], w["c"])
            with tf.Graph().as_default(), tf.Session() as sess:
                pixels = sess.run(tf.image.decode_png(value.image.encoded_image_string))
            np.testing.assert_array_equal(pixels, np.array(w["px"], np.uint8))


def test_image_summary_errors():
    with pytest.raises(ValueError, match="4-D with last dim 1, 3, or 4"):
        tf.summary.image("bad", np.zeros((1, 2, 2, 2), np.float32))
    with pytest.raises(TypeError, match="uint8 or float"):
        tf.summary.image("bad", np.zeros((1, 2, 2, 3), np.int32))
