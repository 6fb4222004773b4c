"""Writes tests/data/tf_graphs/parse_example_frozen.pb: ``tf.parse_example`` and ``tf.parse_single_example``
as TensorFlow 2.21 compat.v1 writes them (ParseExampleV2), with ``parse_example_expected.npz`` (the
serialized Examples fed and TensorFlow's outputs).

Run with a Python that has real TensorFlow, from the repository root:

    /tmp/tfenv/bin/python tests/data/make_tf_parse_example.py
"""
import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_graphs")


def example(age, tags, seq):
    e = tf.train.Example()
    if age is not None:
        e.features.feature["age"].int64_list.value.extend(age)
    e.features.feature["tags"].bytes_list.value.extend(tags)
    e.features.feature["seq"].float_list.value.extend(seq)
    return e.SerializeToString()


def main() -> None:
    data = np.array([example([3], [b"x", b"y"], [1, 2, 3, 4]), example(None, [b"z"], [5, 6])], dtype=object)
    with tf1.Graph().as_default() as g:
        s = tf1.placeholder(tf.string, [None], name="s")
        one = tf1.placeholder(tf.string, [], name="one")
        features = {"age": tf1.FixedLenFeature([1], tf.int64, default_value=[-1]),
                    "tags": tf1.VarLenFeature(tf.string),
                    "seq": tf1.FixedLenSequenceFeature([2], tf.float32, allow_missing=True)}
        p = tf1.parse_example(s, features)
        q = tf1.parse_single_example(one, features)
        fetch = {"age": p["age"], "tags_indices": p["tags"].indices, "tags_values": p["tags"].values,
                 "tags_shape": p["tags"].dense_shape, "seq": p["seq"], "one_age": q["age"],
                 "one_tags_indices": q["tags"].indices, "one_tags_values": q["tags"].values,
                 "one_tags_shape": q["tags"].dense_shape, "one_seq": q["seq"]}
        for key, t in fetch.items():
            tf.identity(t, name=key)
        with tf1.Session() as sess:
            got = sess.run({k: f"{k}:0" for k in fetch}, {s: data, one: data[0]})
        with open(os.path.join(OUT, "parse_example_frozen.pb"), "wb") as f:
            f.write(g.as_graph_def().SerializeToString())
    got = {k: np.array(v.tolist(), dtype=bytes) if v.dtype == object else v for k, v in got.items()}
    np.savez(os.path.join(OUT, "parse_example_expected.npz"), s=data.astype(bytes), **got)


if __name__ == "__main__":
    main()
