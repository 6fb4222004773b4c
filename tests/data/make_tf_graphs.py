"""Writes the TensorFlow GraphDefs and meta graph under tests/data/tf_graphs/ that graphc's tests read.

Run with a Python that has real TensorFlow (never a graphc dependency), from the repository root:

    /tmp/tfenv/bin/python tests/data/make_tf_graphs.py            # all of them, anew
    /tmp/tfenv/bin/python tests/data/make_tf_graphs.py nn_ops     # only the fixtures of the names given

The test suite does not run this script; it reads what it wrote:

- ``mlp_frozen.pb`` / ``cnn_frozen.pb``: small models trained a few steps, frozen with
  ``convert_variables_to_constants``; ``*_expected.npz`` holds the input fed and TensorFlow's outputs.
- ``ops_frozen.pb``: one named output per op TensorFlow writes that graphc reads, with ``ops_expected.npz``.
- ``nn_frozen.pb``: the TF ops graphc reads as compositions (FusedBatchNorm V1/V3 in inference and training
  mode, NHWC and NCHW, LeakyRelu, Selu, Softsign, Slice, Concat, BatchMatMulV2, IdentityN,
  UnsortedSegmentSum, PreventGradient), with ``nn_expected.npz``.
- ``adam/``: a ``.meta`` and checkpoint of a 3->2 dense layer trained with Adam (TF's own ops:
  ApplyAdam, SaveV2, ...), with ``expected.npz`` (the loss TensorFlow's next step computes).
"""
import os
import shutil

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_graphs")


def dense(x, units, name, activation=None):
    """tf.layers.dense's variables and ops (TF 2.21 has no tf.compat.v1.layers without Keras 2)."""
    with tf1.variable_scope(name):
        kernel = tf1.get_variable("kernel", [x.shape[-1], units], initializer=tf1.glorot_uniform_initializer())
        bias = tf1.get_variable("bias", [units], initializer=tf1.random_normal_initializer(stddev=0.1))
        out = tf.nn.bias_add(tf.matmul(x, kernel), bias)
    return activation(out) if activation else out


def conv2d(x, filters, size, name, strides=1, padding="SAME", activation=None):
    """tf.layers.conv2d's variables and ops."""
    with tf1.variable_scope(name):
        kernel = tf1.get_variable("kernel", [size, size, x.shape[-1], filters],
                                  initializer=tf1.glorot_uniform_initializer())
        bias = tf1.get_variable("bias", [filters], initializer=tf1.random_normal_initializer(stddev=0.1))
        out = tf.nn.bias_add(tf.nn.conv2d(x, kernel, [1, strides, strides, 1], padding), bias)
    return activation(out) if activation else out


def _freeze(sess, outputs, path):
    frozen = tf1.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), outputs)
    with open(path, "wb") as f:
        f.write(frozen.SerializeToString())
    return frozen


def mlp() -> None:
    rng = np.random.RandomState(0)
    x_data = rng.randn(6, 5).astype(np.float32)
    y_data = rng.randint(0, 3, size=6).astype(np.int64)
    with tf1.Graph().as_default():
        tf1.set_random_seed(1)
        x = tf1.placeholder(tf.float32, [None, 5], name="x")
        y = tf1.placeholder(tf.int64, [None], name="y")
        h = dense(x, 8, activation=tf.nn.relu, name="hidden")
        h = tf.tanh(h) * 0.5 + tf.sigmoid(h)
        logits = dense(h, 3, name="logits")
        probs = tf.nn.softmax(logits, name="probs")
        pred = tf.argmax(logits, 1, name="pred")
        mean = tf.reduce_mean(probs, axis=1, keepdims=True, name="mean")
        loss = tf1.losses.sparse_softmax_cross_entropy(y, logits)
        train = tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {x: x_data, y: y_data})
            want = sess.run([logits, probs, pred, mean], {x: x_data})
            _freeze(sess, ["logits/BiasAdd", "probs", "pred", "mean"], os.path.join(OUT, "mlp_frozen.pb"))
    np.savez(os.path.join(OUT, "mlp_expected.npz"), x=x_data, logits=want[0], probs=want[1], pred=want[2],
             mean=want[3])


def cnn() -> None:
    rng = np.random.RandomState(1)
    x_data = rng.randn(2, 8, 8, 1).astype(np.float32)
    with tf1.Graph().as_default():
        tf1.set_random_seed(2)
        x = tf1.placeholder(tf.float32, [None, 8, 8, 1], name="image")
        c = conv2d(x, 4, 3, "conv", activation=tf.nn.relu)
        p = tf.nn.max_pool2d(c, 2, 2, "VALID", name="pool")
        c2 = conv2d(p, 3, 3, "conv2", strides=2, padding="VALID")
        a = tf.nn.avg_pool2d(c, 2, 2, "VALID", name="avg")
        flat = tf.reshape(c2, [-1, 3], name="flat")
        logits = dense(flat, 2, name="out")
        both = tf.concat([tf.reduce_sum(a, axis=[1, 2]), tf.reduce_max(p, axis=[1, 2])], axis=1, name="both")
        out = tf.identity(tf.nn.softmax(logits), name="scores")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            want = sess.run([out, both], {x: x_data})
            _freeze(sess, ["scores", "both"], os.path.join(OUT, "cnn_frozen.pb"))
    np.savez(os.path.join(OUT, "cnn_expected.npz"), image=x_data, scores=want[0], both=want[1])


# one output per op TensorFlow writes that graphc reads (each named, fetched by name)
def ops() -> None:
    rng = np.random.RandomState(2)
    x_data = rng.randn(2, 4, 3).astype(np.float32)
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, 4, 3], name="x")
        i = tf1.placeholder(tf.int32, name="i")                    # unknown rank
        flat = tf.reshape(x, [-1, 12])
        outs = {
            "squeeze": tf.squeeze(tf.expand_dims(x, 1), [1], name="squeeze"),
            "transpose": tf.transpose(x, [2, 0, 1], name="transpose"),
            "slice": tf.identity(x[:, 1:3, ::2] * x[0, -1, 1], name="slice"),
            "stack": tf.stack([x[:, 0], x[:, 1]], axis=1, name="stack"),
            "unstack": tf.add_n(tf.unstack(x, axis=1), name="unstack"),
            "cast": tf.cast(x * 4, tf.int32, name="cast"),
            "fill": tf.fill(tf.shape(x)[:2], 2.5, name="fill"),
            "range": tf.range(1, 7, 2, name="range"),
            "tile": tf.tile(x[:, :1], [1, 2, 1], name="tile"),
            "gather": tf.gather(flat, [3, 0, 11], axis=1, name="gather"),
            "one_hot": tf.one_hot(tf.argmax(flat, axis=1), 12, name="one_hot"),
            "where": tf.where(x > 0, x, tf.zeros_like(x), name="where"),
            "where_v1": tf1.where(x > 0, x, -x, name="where_v1"),
            "concat": tf.concat([x, x * 2], axis=-1, name="concat"),
            "split": tf.add_n(tf.split(flat, 3, axis=1), name="split"),
            "split_v": tf.identity(tf.split(flat, [5, 7], axis=1)[1], name="split_v"),
            "mean": tf.reduce_mean(x, axis=[0, 2], name="mean"),
            "prod": tf.reduce_prod(x, axis=-1, keepdims=True, name="prod"),
            "any": tf.reduce_any(x > 1, axis=1, name="any"),
            "argmin": tf.argmin(x, axis=2, name="argmin"),
            "relu6": tf.nn.relu6(x * 5, name="relu6"),
            "log_softmax": tf.nn.log_softmax(flat, name="log_softmax"),
            "sq_diff": tf.math.squared_difference(x, 0.5, name="sq_diff"),
            "pad": tf.pad(x, [[0, 0], [1, 0], [0, 2]], name="pad"),
            "pad_v2": tf.pad(x, [[0, 0], [1, 0], [0, 2]], constant_values=7.0, name="pad_v2"),
            "mirror_pad": tf.pad(x, [[0, 0], [1, 1], [2, 0]], mode="SYMMETRIC", name="mirror_pad"),
            "math": tf.identity(tf.abs(x) ** 1.5 - tf.exp(-x) / tf.sqrt(tf.abs(x) + 1) + tf.floor(x),
                                name="math"),
            "int_math": tf.identity(tf.math.floormod(i * 7, 3) + tf.math.floordiv(i, 2), name="int_math"),
            "matmul": tf.matmul(flat, flat, transpose_b=True, name="matmul"),
            "broadcast": tf.broadcast_to(x[:1], [3, 4, 3], name="broadcast"),
        }
        with tf1.Session() as sess:
            want = sess.run(outs, {x: x_data, i: np.array([[3, -4], [5, 10]], np.int32)})
            _freeze(sess, [t.op.name for t in outs.values()], os.path.join(OUT, "ops_frozen.pb"))
    # the tensor names TensorFlow gave (a requested name already taken becomes name_1)
    names = np.array([f"{k}={t.name}" for k, t in outs.items()])
    np.savez(os.path.join(OUT, "ops_expected.npz"), x=x_data, i=np.array([[3, -4], [5, 10]], np.int32),
             tensor_names=names, **want)


# TF ops graphc reads as compositions of its own, each output named and fetched by name
def nn_ops() -> None:
    from tensorflow.core.protobuf import rewriter_config_pb2
    rng = np.random.RandomState(3)
    x_data = rng.randn(2, 3, 4, 2).astype(np.float32)
    raw = tf1.raw_ops
    with tf1.Graph().as_default():
        params = {k: tf.constant(v, name=k) for k, v in (
            ("scale", [1.5, 0.5]), ("offset", [0.1, -0.2]), ("mean", [0.3, -0.1]), ("variance", [0.8, 1.2]))}
        x = tf1.placeholder(tf.float32, [None, 3, 4, 2], name="x")
        nchw = tf.transpose(x, [0, 3, 1, 2])
        infer_v1 = raw.FusedBatchNorm(x=x, **params, epsilon=1e-3, is_training=False, name="bn_infer_v1")
        infer_v3 = raw.FusedBatchNormV3(x=nchw, **params, epsilon=1e-3, is_training=False, data_format="NCHW",
                                        name="bn_infer_nchw")
        empty = tf.constant([], tf.float32)
        train = raw.FusedBatchNormV3(x=x, scale=params["scale"], offset=params["offset"], mean=empty,
                                     variance=empty, epsilon=1e-3, is_training=True, name="bn_train")
        mixed = raw.FusedBatchNormV3(x=nchw, **params, epsilon=1e-3, is_training=True, exponential_avg_factor=0.3,
                                     data_format="NCHW", name="bn_mixed")
        flat = tf.reshape(x, [-1, 24])
        outs = {
            "bn_infer_v1": infer_v1[0], "bn_infer_nchw": infer_v3[0],
            "bn_train_y": train[0], "bn_train_mean": train[1], "bn_train_var": train[2],
            "bn_train_reserve1": train[3], "bn_train_reserve2": train[4],
            "bn_mixed_y": mixed[0], "bn_mixed_mean": mixed[1], "bn_mixed_var": mixed[2],
            "leaky_relu": tf.nn.leaky_relu(x, alpha=0.1, name="leaky_relu"),
            "selu": tf.nn.selu(x, name="selu"),
            "softsign": tf.nn.softsign(x, name="softsign"),
            "slice": tf.slice(x, [0, 1, 0, 1], [-1, 2, 3, 1], name="slice"),
            "concat_v1": raw.Concat(concat_dim=tf.constant(1), values=[flat, flat * 2.0], name="concat_v1"),
            "batch_matmul": tf.matmul(x[:, 0], x[:, 1], adjoint_b=True, name="batch_matmul"),
            "identity_n": raw.IdentityN(input=[flat, tf.shape(flat)], name="identity_n")[1],
            "segment_sum": tf.math.unsorted_segment_sum(tf.transpose(flat), [1, -1, 0, 1] * 6, 3,
                                                        name="segment_sum"),
            "prevent_gradient": raw.PreventGradient(input=flat, name="prevent_gradient"),
        }
        config = tf1.ConfigProto(graph_options=tf1.GraphOptions(
            rewrite_options=rewriter_config_pb2.RewriterConfig(disable_meta_optimizer=True)))
        with tf1.Session(config=config) as sess:      # grappler would fold the batch norms' extra outputs away
            want = sess.run(outs, {x: x_data})
            _freeze(sess, sorted({t.op.name for t in outs.values()}), os.path.join(OUT, "nn_frozen.pb"))
    names = np.array([f"{k}={t.name}" for k, t in outs.items()])
    np.savez(os.path.join(OUT, "nn_expected.npz"), x=x_data, tensor_names=names, **want)


def adam_meta() -> None:
    directory = os.path.join(OUT, "adam")
    os.makedirs(directory)
    x_data = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=np.float32)
    with tf1.Graph().as_default():
        tf1.set_random_seed(3)
        x = tf1.placeholder(tf.float32, [None, 3], name="x")
        out = dense(x, 2, name="dense")
        loss = tf.reduce_mean(tf.square(out), name="loss")
        step = tf1.train.get_or_create_global_step()
        train = tf1.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
        tf1.add_to_collection("train_op", train)
        tf1.add_to_collection("inputs", x)
        saver = tf1.train.Saver()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {x: x_data})
            saver.save(sess, os.path.join(directory, "model.ckpt"), global_step=step)
            losses = [sess.run([loss, train], {x: x_data})[0] for _ in range(2)]
    np.savez(os.path.join(directory, "expected.npz"), x=x_data, losses=np.array(losses))


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1:
        for fixture in sys.argv[1:]:
            globals()[fixture]()
        sys.exit()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    mlp()
    cnn()
    ops()
    nn_ops()
    adam_meta()
