"""Writes the TensorFlow checkpoints under tests/data/tf_checkpoints/ that graphc's tests read.

Run with a Python that has real TensorFlow (never a graphc dependency), from the repository root:

    /tmp/tfenv/bin/python tests/data/make_tf_checkpoints.py

The test suite does not run this script; it reads what it wrote. Each checkpoint directory gets
``expected.npz``: every variable's value as TensorFlow's own reader returns it, so the tests compare
graphc's reader with TensorFlow's rather than with graphc's idea of the format.
"""
import hashlib
import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_checkpoints")

# the small variables of "basic": every dtype the Saver handles, a scalar, a 0-size tensor, scopes
BASIC = {
    "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
    "scope/inner/f64": np.array([1.5, -2.25, 1e-300, np.pi], dtype=np.float64),
    "i32": np.array(-7, dtype=np.int32),
    "i64": np.array([[2**40, -3], [0, 2**62]], dtype=np.int64),
    "flag": np.array([True, False, True]),
    "empty": np.zeros((0, 3), dtype=np.float32),
}


def _expected(prefix: str, directory: str) -> None:
    reader = tf1.train.NewCheckpointReader(prefix)
    values = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
    np.savez(os.path.join(directory, "expected.npz"), **{k.replace("/", "|"): v for k, v in values.items()})


def basic() -> None:
    directory = os.path.join(OUT, "basic")
    os.makedirs(directory)
    with tf1.Graph().as_default():
        variables = []
        for name, value in BASIC.items():
            scope, _, leaf = name.rpartition("/")
            with tf1.variable_scope(scope or tf1.get_variable_scope()):
                variables.append(tf1.get_variable(leaf, initializer=tf1.constant(value)))
        saver = tf1.train.Saver(variables, save_relative_paths=True)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(directory, "model.ckpt"), write_meta_graph=False)
    _expected(prefix, directory)


def other_dtypes() -> None:
    """Dtypes beyond graphc's variables: uint8 and float16 (readable), a string (refused by name)."""
    directory = os.path.join(OUT, "other_dtypes")
    os.makedirs(directory)
    with tf1.Graph().as_default():
        variables = [tf1.Variable(np.array([0, 127, 255], np.uint8), name="u8"),
                     tf1.Variable(np.array([0.5, -65504], np.float16), name="f16"),
                     tf1.Variable("hello", name="text"),
                     tf1.Variable(np.array([1.25], np.float32), name="f32")]
        saver = tf1.train.Saver(variables, save_relative_paths=True)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            saver.save(sess, os.path.join(directory, "model.ckpt"), write_meta_graph=False)


def sharded() -> None:
    """Two variables on two CPU devices saved with sharded=True: two data shards, one merged index."""
    directory = os.path.join(OUT, "sharded")
    os.makedirs(directory)
    with tf1.Graph().as_default():
        with tf1.device("/cpu:0"):
            a = tf1.get_variable("a", initializer=tf1.constant(np.arange(5, dtype=np.float32)))
        with tf1.device("/cpu:1"):
            b = tf1.get_variable("b", initializer=tf1.constant(np.arange(4, dtype=np.int64) * 3))
        saver = tf1.train.Saver([a, b], sharded=True, save_relative_paths=True)
        with tf1.Session(config=tf1.ConfigProto(device_count={"CPU": 2})) as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(directory, "model.ckpt"), write_meta_graph=False)
    _expected(prefix, directory)


def adam() -> None:
    """A 3->2 dense layer trained 3 steps with Adam: slots, beta powers and an int64 global_step.
    ``next_step.npz`` holds the data and what one more step from the newest checkpoint gives."""
    directory = os.path.join(OUT, "adam")
    os.makedirs(directory)
    x_data = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    y_data = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=np.float32)
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, 3], name="x")
        with tf1.variable_scope("dense"):
            kernel = tf1.get_variable("kernel", initializer=tf1.constant(
                np.arange(6, dtype=np.float32).reshape(3, 2) / 10 - 0.2))
            bias = tf1.get_variable("bias", initializer=tf1.constant([0.1, -0.1], tf.float32))
        loss = tf1.reduce_mean(tf1.square(tf1.matmul(x, kernel) + bias - y_data))
        step = tf1.train.get_or_create_global_step()
        train = tf1.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
        saver = tf1.train.Saver(max_to_keep=2, save_relative_paths=True)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {x: x_data})
                prefix = saver.save(sess, os.path.join(directory, "model.ckpt"), global_step=step,
                                    write_meta_graph=False)
            sess.run(train, {x: x_data})          # one step past the newest checkpoint, not saved
            after = sess.run({"dense/kernel": kernel, "dense/bias": bias, "loss": loss}, {x: x_data})
    _expected(prefix, directory)
    np.savez(os.path.join(directory, "next_step.npz"), x=x_data, y=y_data,
             **{k.replace("/", "|"): v for k, v in after.items()})


def multiblock_tensors() -> dict:
    """15002 small tensors: an index of two data blocks (TensorFlow's blocks are 256 KiB). The tests
    build the same dict; keep the two copies equal."""
    tensors = {f"layer_{i:05d}/w": np.full((i % 3,), i, np.float32) for i in range(15000)}
    tensors.update({"scalar64": np.array(2.5), "z_bool": np.array([True, False])})
    return tensors


def multiblock() -> None:
    """Only the SHA-256 and size of what SaveV2 writes for ``multiblock_tensors`` (too big to commit)."""
    tensors = multiblock_tensors()
    names = sorted(tensors)                # the Saver's order: SaveV2 writes data in the order given
    with tempfile.TemporaryDirectory() as scratch, tf1.Graph().as_default():
        prefix = os.path.join(scratch, "big")
        save = tf1.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                                  tensors=[tf1.constant(tensors[n]) for n in names])
        with tf1.Session() as sess:
            sess.run(save)
        record = {}
        for suffix in (".index", ".data-00000-of-00001"):
            with open(prefix + suffix, "rb") as f:
                data = f.read()
            record[suffix] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    with open(os.path.join(OUT, "multiblock.json"), "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    basic()
    sharded()
    other_dtypes()
    adam()
    multiblock()
    print("wrote", OUT, "with TensorFlow", tf.__version__)
