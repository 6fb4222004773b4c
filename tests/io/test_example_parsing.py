"""tf.train.Example as protobuf messages, and tf.parse_example / tf.parse_single_example.

Expected bytes and parsed values come from TensorFlow 2.21.0 (tests/data/tfrecord/make_fixture.py
and expected.json); error messages are TF's, recorded from the same version.
"""
import json
import os
from pathlib import Path

import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

from repo_paths import DATA

HERE = str(DATA / "tfrecord")
EXPECTED = json.loads(Path(HERE, "expected.json").read_text())
RECORDS = [bytes.fromhex(h) for h in EXPECTED["records_hex"]]
FEATURES = {
    "id": tf.FixedLenFeature([], tf.int64),
    "xy": tf.FixedLenFeature([2], tf.float32),
    "name": tf.FixedLenFeature([], tf.string),
    "tags": tf.VarLenFeature(tf.int64),
    "missing": tf.FixedLenFeature([1], tf.float32, default_value=[7.0]),
}


def example(i):
    """The fixture's i-th Example, built as make_fixture.py builds it with TensorFlow."""
    return tf.train.Example(features=tf.train.Features(feature={
        "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
        "xy": tf.train.Feature(float_list=tf.train.FloatList(value=[i + 0.5, -i * 1.25])),
        "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f"rec{i}".encode()])),
        "tags": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i)))),
    }))


def test_examples_serialize_to_tensorflows_bytes():
    # deterministic=True sorts map entries; TF's records were written the same way (the default
    # order of map entries follows protobuf's per-process hash table, in TF as here)
    assert [example(i).SerializeToString(deterministic=True) for i in range(3)] == RECORDS
    one = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0, 3.0]))}))
    # recorded from TF 2.21: a single feature, so the order question does not arise
    assert one.SerializeToString().hex() == "0a170a150a01611210120e0a0c0000803f0000004000004040"


def test_examples_parse_tensorflows_bytes():
    parsed = tf.train.Example.FromString(RECORDS[2])
    assert parsed == example(2)
    assert list(parsed.features.feature["tags"].int64_list.value) == [0, 1]
    assert parsed.features.feature["name"].WhichOneof("kind") == "bytes_list"
    assert tf.train.Example.DESCRIPTOR.full_name == "tensorflow.Example"
    seq = tf.train.SequenceExample()
    seq.feature_lists.feature_list["f"].feature.add().int64_list.value.append(3)
    assert tf.train.SequenceExample.FromString(seq.SerializeToString()) == seq


@pytest.mark.parametrize("backend", [b for b in available_backends() if b != "auto"])
def test_parse_example_matches_tensorflow(backend):
    serialized = tf.placeholder(tf.string, [None])
    parsed = tf.parse_example(serialized, FEATURES)
    assert parsed["xy"].shape.as_list() == [None, 2] and parsed["xy"].dtype is tf.float32
    with tf.Session(backend=backend) as sess:
        out = sess.run(parsed, {serialized: RECORDS})
    assert out["id"].tolist() == EXPECTED["id"] and out["id"].dtype == np.int64
    assert out["xy"].tolist() == EXPECTED["xy"]
    assert [n.decode() for n in out["name"]] == EXPECTED["name"]
    assert out["tags"].indices.tolist() == EXPECTED["tags_indices"]
    assert out["tags"].values.tolist() == EXPECTED["tags_values"]
    assert out["tags"].dense_shape.tolist() == EXPECTED["tags_dense_shape"]
    assert out["missing"].tolist() == EXPECTED["missing"]


def test_parse_single_example_shapes_and_sparse_layout():
    s = tf.placeholder(tf.string, [])
    parsed = tf.parse_single_example(s, FEATURES)
    # TF 2.21: a VarLenFeature of one example has indices [?, 1] and dense_shape [1]
    assert parsed["tags"].indices.shape.as_list() == [None, 1]
    assert parsed["tags"].dense_shape.shape.as_list() == [1]
    assert parsed["id"].shape.as_list() == []
    with tf.Session() as sess:
        out = sess.run(parsed, {s: RECORDS[2]})
    assert out["id"] == 2 and out["name"] == b"rec2"
    assert out["tags"].indices.tolist() == [[0], [1]] and out["tags"].values.tolist() == [0, 1]
    assert out["tags"].dense_shape.tolist() == [2]


@pytest.mark.parametrize("features,message", [
    ({"b": tf.FixedLenFeature([], tf.float32)}, "Feature: b (data type: float) is required but could not be found."),
    ({"a": tf.FixedLenFeature([], tf.int64)},
     "Key: a.  Data types don't match. Data type: float but expected type: int64"),
    ({"a": tf.FixedLenFeature([2], tf.float32)}, "Key: a.  Number of float values != expected"),
])
def test_parse_errors_are_invalid_argument(features, message):
    one = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0, 3.0]))}))
    s = tf.placeholder(tf.string, [])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(tf.parse_single_example(s, features), {s: one.SerializeToString()})
    assert message in str(info.value)


def test_garbage_is_invalid_argument():
    s = tf.placeholder(tf.string, [])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse example input"):
        sess.run(tf.parse_single_example(s, {"a": tf.FixedLenFeature([3], tf.float32)}), {s: b"garbage"})


def test_bad_feature_descriptions_are_refused():
    s = tf.placeholder(tf.string, [])
    with pytest.raises(ValueError, match="fully defined shape"):
        tf.parse_single_example(s, {"a": tf.FixedLenFeature([None], tf.float32)})
    with pytest.raises(ValueError, match="not supported"):
        tf.parse_single_example(s, {"a": tf.FixedLenFeature([], tf.int32)})
    with pytest.raises(ValueError, match="parse_single_example needs a scalar"):
        tf.parse_single_example(tf.placeholder(tf.string, [2]), {"a": tf.FixedLenFeature([], tf.int64)})


def test_a_record_that_does_not_parse_fails_its_run_only():
    ds = tf.data.Dataset.from_tensor_slices([RECORDS[0], b"garbage", RECORDS[1]]).map(
        lambda r: tf.parse_single_example(r, {"id": tf.FixedLenFeature([], tf.int64)})["id"])
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 0
        with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse example input"):
            sess.run(nxt)
        assert sess.run(nxt) == 1
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_tfrecord_dataset_map_parse_batch():
    ds = (tf.data.TFRecordDataset(os.path.join(HERE, "examples.tfrecord.zlib"), "ZLIB")
          .map(lambda r: tf.parse_single_example(r, {"xy": FEATURES["xy"], "id": FEATURES["id"]}))
          .batch(2))
    assert ds.output_types == {"xy": tf.float32, "id": tf.int64}
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        first, second = sess.run(nxt), sess.run(nxt)
    assert first["xy"].tolist() == EXPECTED["xy"][:2] and first["id"].tolist() == [0, 1]
    assert second["xy"].tolist() == EXPECTED["xy"][2:] and second["id"].tolist() == [2]


def _floats(values):
    feature = {} if values is None else {"s": tf.train.Feature(float_list=tf.train.FloatList(value=values))}
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def test_fixed_len_sequence_feature_pads_to_the_longest():
    # TF 2.21: [[[1, 2], [3, 4]], [[5, 6], [-1, -1]], [[-1, -1], [-1, -1]]], static shape (?, ?, 2)
    s = tf.placeholder(tf.string, [None])
    seq = tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True, default_value=-1.0)
    parsed = tf.parse_example(s, {"s": seq})["s"]
    assert parsed.shape.as_list() == [None, None, 2]
    with tf.Session() as sess:
        got = sess.run(parsed, {s: [_floats([1, 2, 3, 4]), _floats([5, 6]), _floats(None)]})
        assert got.tolist() == [[[1, 2], [3, 4]], [[5, 6], [-1, -1]], [[-1, -1], [-1, -1]]]
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(parsed, {s: [_floats([1, 2, 3])]})
    assert str(info.value) == ("Name: <unknown>, Key: s, Index: 0.  Number of float values is not a multiple of "
                               "stride length. Saw 3 values but output shape is: [?,2]")
    with pytest.raises(ValueError, match="requires allow_missing to be True"):
        tf.parse_example(s, {"s": tf.FixedLenSequenceFeature([], tf.float32)})


def test_fixed_len_sequence_feature_of_one_example():
    q = tf.placeholder(tf.string, [])
    parsed = tf.parse_single_example(q, {"s": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True)})["s"]
    assert parsed.shape.as_list() == [None]
    with tf.Session() as sess:
        assert sess.run(parsed, {q: _floats([3, 4, 5])}).tolist() == [3, 4, 5]
        assert sess.run(parsed, {q: _floats(None)}).tolist() == []


def _sequence_example():
    se = tf.train.SequenceExample()
    se.context.feature["len"].int64_list.value.append(3)
    for v in ([1, 2], [3, 4], [5, 6]):
        se.feature_lists.feature_list["tok"].feature.add().int64_list.value.extend(v)
    for v in ([1.0], [], [2.0, 3.0]):
        se.feature_lists.feature_list["var"].feature.add().float_list.value.extend(v)
    return se.SerializeToString()


def test_parse_single_sequence_example_matches_tensorflow():
    # TF 2.21: context {len: 3, d: 9.0}; tok [[1, 2], [3, 4], [5, 6]] (shape (?, 2)); var sparse
    # indices [[0, 0], [2, 0], [2, 1]], values [1, 2, 3], dense_shape [3, 2]; missing: []
    s = tf.placeholder(tf.string, [])
    context, sequence = tf.parse_single_sequence_example(
        s, context_features={"len": tf.FixedLenFeature([], tf.int64),
                             "d": tf.FixedLenFeature([], tf.float32, default_value=9.0)},
        sequence_features={"tok": tf.FixedLenSequenceFeature([2], tf.int64), "var": tf.VarLenFeature(tf.float32),
                           "missing": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True)})
    assert sequence["tok"].shape.as_list() == [None, 2] and sequence["var"].indices.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        ctx, seq = sess.run([context, sequence], {s: _sequence_example()})
        assert ctx == {"len": 3, "d": 9.0}
        assert seq["tok"].tolist() == [[1, 2], [3, 4], [5, 6]] and seq["missing"].tolist() == []
        assert seq["var"].indices.tolist() == [[0, 0], [2, 0], [2, 1]]
        assert seq["var"].values.tolist() == [1.0, 2.0, 3.0] and seq["var"].dense_shape.tolist() == [3, 2]
        required = tf.parse_single_sequence_example(s, sequence_features={
            "absent": tf.FixedLenSequenceFeature([], tf.int64)})[1]["absent"]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Feature list 'absent' is required"):
            sess.run(required, {s: _sequence_example()})
