"""Writes the TFRecord fixtures of tests/test_tfrecord.py with real TensorFlow (not run by the suite).

Run with a TensorFlow install (recorded with TensorFlow 2.21.0, tf.compat.v1):
    python tests/data/tfrecord/make_fixture.py
Writes examples.tfrecord (plain), examples.tfrecord.gz (GZIP), examples.tfrecord.zlib (ZLIB): the
same three tf.train.Example records; lines.txt for TextLineDataset; and expected.json: what TF's
tf.parse_example gives for them, and the records' bytes in hex.
"""
import json
import os

import tensorflow as tf1

tf = tf1.compat.v1
tf.disable_v2_behavior()
HERE = os.path.dirname(os.path.abspath(__file__))


def example(i):
    return tf.train.Example(features=tf.train.Features(feature={
        "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
        "xy": tf.train.Feature(float_list=tf.train.FloatList(value=[i + 0.5, -i * 1.25])),
        "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f"rec{i}".encode()])),
        "tags": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i)))),
    }))


# deterministic=True: map entries sorted by key. The default order of map entries follows the
# protobuf runtime's hash table (upb seeds it per process), so only this form is reproducible.
records = [example(i).SerializeToString(deterministic=True) for i in range(3)]
for suffix, kind in (("", ""), (".gz", "GZIP"), (".zlib", "ZLIB")):
    with tf.python_io.TFRecordWriter(os.path.join(HERE, "examples.tfrecord" + suffix),
                                     tf.python_io.TFRecordOptions(kind) if kind else None) as w:
        for r in records:
            w.write(r)
with open(os.path.join(HERE, "lines.txt"), "wb") as f:
    f.write(b"first line\nsecond\r\n\nlast without newline")

serialized = tf.placeholder(tf.string, [None])
parsed = tf.parse_example(serialized, {
    "id": tf.FixedLenFeature([], tf.int64),
    "xy": tf.FixedLenFeature([2], tf.float32),
    "name": tf.FixedLenFeature([], tf.string),
    "tags": tf.VarLenFeature(tf.int64),
    "missing": tf.FixedLenFeature([1], tf.float32, default_value=[7.0]),
})
with tf.Session() as sess:
    out = sess.run(parsed, {serialized: records})
expected = {
    "records_hex": [r.hex() for r in records],
    "id": out["id"].tolist(), "xy": out["xy"].tolist(), "name": [n.decode() for n in out["name"]],
    "tags_indices": out["tags"].indices.tolist(), "tags_values": out["tags"].values.tolist(),
    "tags_dense_shape": out["tags"].dense_shape.tolist(), "missing": out["missing"].tolist(),
    "tensorflow": tf1.__version__,
}
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
