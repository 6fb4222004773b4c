"""The benchmark workloads: each builds a graphc graph for a size preset.

A workload returns a ``Built``: what to fetch, what to feed, whether variables need
initializing, and the bytes/flops one run moves/does (for achieved bandwidth and GFLOP/s).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import numpy as np

import graphc as tf

SIZES = ("small", "default", "large", "gpu")


@dataclasses.dataclass
class Built:
    fetches: Any
    feed_dict: dict
    bytes_moved: int = 0            # minimum bytes one run must read + write
    flops: int = 0
    check: Any = None               # fetch compared against eager (default: fetches)
    rtol: float = 1e-4
    atol: float = 1e-5


@dataclasses.dataclass
class Workload:
    name: str
    description: str
    build: Callable[[str], Built]
    per_run_latency: bool = False   # report microseconds per sess.run instead of milliseconds
    stateful: bool = False          # runs update variables: compare after one run from equal states


def _rng() -> np.random.RandomState:
    return np.random.RandomState(0)


def _pick(size: str, small, default, large, gpu=None):
    """The value for a size preset; "gpu" (the GPU issue's sizes) falls back to "large"."""
    return {"small": small, "default": default, "large": large, "gpu": large if gpu is None else gpu}[size]


def gelu(size: str) -> Built:
    n = _pick(size, 1 << 16, 1 << 22, 1 << 24, 1 << 26)
    x = tf.placeholder(tf.float32, [None], name="x")
    y = 0.5 * x * (1 + tf.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))
    return Built(y, {x: _rng().randn(n).astype(np.float32)}, bytes_moved=8 * n, flops=12 * n)


def softmax(size: str) -> Built:
    rows, cols = _pick(size, (256, 128), (4096, 1024), (16384, 1024), (16384, 4096))
    x = tf.placeholder(tf.float32, [None, cols], name="x")
    y = tf.nn.softmax(x)
    return Built(y, {x: _rng().randn(rows, cols).astype(np.float32)}, bytes_moved=8 * rows * cols,
                 flops=5 * rows * cols)


def layer_norm(size: str) -> Built:
    rows, cols = _pick(size, (256, 128), (4096, 1024), (16384, 1024), (16384, 4096))
    x = tf.placeholder(tf.float32, [None, cols], name="x")
    gamma = tf.constant(np.linspace(0.5, 1.5, cols, dtype=np.float32))
    beta = tf.constant(np.linspace(-0.1, 0.1, cols, dtype=np.float32))
    mean = tf.reduce_mean(x, axis=1, keepdims=True)
    var = tf.reduce_mean(tf.square(x - mean), axis=1, keepdims=True)
    y = (x - mean) * tf.rsqrt(var + 1e-5) * gamma + beta
    return Built(y, {x: _rng().randn(rows, cols).astype(np.float32)}, bytes_moved=8 * rows * cols,
                 flops=8 * rows * cols)


def sum_of_squares(size: str) -> Built:
    n = _pick(size, 1 << 18, 1 << 24, 1 << 26, 1 << 28)
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.reduce_sum(x * x)
    return Built(y, {x: _rng().randn(n).astype(np.float32)}, bytes_moved=4 * n, flops=2 * n, rtol=1e-3)


def mlp_sgd(size: str) -> Built:
    batch, hidden = _pick(size, (32, 64), (256, 512), (1024, 1024), (4096, 1024))
    rs = _rng()
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    layers = [784, hidden, hidden, 10]
    h = x
    params = []
    for i, (a, b) in enumerate(zip(layers, layers[1:])):
        w = tf.Variable((rs.randn(a, b) * np.sqrt(2.0 / a)).astype(np.float32), name=f"w{i}")
        bias = tf.Variable(np.zeros(b, np.float32), name=f"b{i}")
        params += [w, bias]
        h = tf.matmul(h, w) + bias
        if i < len(layers) - 2:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    feed = {x: rs.rand(batch, 784).astype(np.float32), labels: rs.randint(0, 10, batch)}
    macs = batch * sum(a * b for a, b in zip(layers, layers[1:]))
    return Built([loss, train], feed, flops=6 * macs, check=loss, rtol=1e-3)


def cnn_step(size: str) -> Built:
    batch = _pick(size, 8, 64, 256)
    rs = _rng()
    x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    tf.set_random_seed(0)
    h = tf.layers.conv2d(x, 16, 3, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.conv2d(h, 32, 3, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    logits = tf.layers.dense(tf.layers.flatten(h), 10)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    feed = {x: rs.rand(batch, 28, 28, 1).astype(np.float32), labels: rs.randint(0, 10, batch)}
    macs = batch * (28 * 28 * 9 * 16 + 14 * 14 * 9 * 16 * 32 + 7 * 7 * 32 * 10)
    return Built([loss, train], feed, flops=6 * macs, check=loss, rtol=1e-3)


def adam(size: str) -> Built:
    n = _pick(size, 1 << 17, 10_000_000, 50_000_000, 100_000_000)
    rs = _rng()
    p = tf.Variable(rs.randn(n).astype(np.float32), name="p")
    g = tf.placeholder(tf.float32, [n], name="g")
    step = tf.train.AdamOptimizer(1e-3).apply_gradients([(g, p)])
    with tf.control_dependencies([step]):
        updated = tf.identity(p)   # a read after the update (checked on the first run only)
    # reads p, m, v, g and writes p, m, v
    return Built(step, {g: rs.randn(n).astype(np.float32)}, bytes_moved=28 * n, flops=15 * n, check=updated)


def lecture_add(size: str) -> Built:
    a = tf.placeholder(tf.float32, name="a")
    b = tf.placeholder(tf.float32, name="b")
    return Built(a + b, {a: 4.0, b: 5.0})


def lecture_train(size: str) -> Built:
    x = tf.placeholder(tf.float32, name="x")
    y_true = tf.placeholder(tf.float32, name="y_true")
    w = tf.Variable(0.2, name="w")
    b = tf.Variable(0.7, name="b")
    y = w * x + b
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(tf.square(y - y_true))
    return Built([y, train_op], {x: 1.0, y_true: 20.0}, check=y)


DATA_BATCH = 128     # the data_* workloads' batch: data_thru's elements per run


def _data_arrays(size: str) -> tuple:
    n = _pick(size, 2048, 10000, 60000)
    rs = _rng()
    return rs.rand(n, 784).astype(np.float32), rs.randint(0, 10, n).astype(np.int32)


def _data_mlp(images: Any, labels: Any) -> Built:
    """benchmarks/data_pipeline.py's model: MLP 784-256-10, Adam, on ``images``/``labels``."""
    tf.set_random_seed(0)
    hidden = tf.layers.dense(images, 256, activation=tf.nn.relu)
    logits = tf.layers.dense(hidden, 10)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    return Built([loss, train], {}, flops=6 * DATA_BATCH * (784 * 256 + 256 * 10), check=loss, rtol=1e-3)


def data_feed(size: str) -> Built:
    x, y = _data_arrays(size)
    images = tf.placeholder(tf.float32, [None, 784], name="images")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    built = _data_mlp(images, labels)
    built.feed_dict = {images: x[:DATA_BATCH], labels: y[:DATA_BATCH]}
    return built


def data_pipe(size: str) -> Built:
    x, y = _data_arrays(size)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=1).batch(DATA_BATCH).repeat().prefetch(2)
    images, labels = ds.make_one_shot_iterator().get_next()
    return _data_mlp(images, labels)


def data_thru(size: str) -> Built:
    x, y = _data_arrays(size)
    ds = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000, seed=1).map(lambda a, b: (a / 255.0, b))
          .batch(DATA_BATCH).repeat().prefetch(2))
    return Built(list(ds.make_one_shot_iterator().get_next()), {}, bytes_moved=DATA_BATCH * (2 * 784 * 4 + 4))


LSTM_LR = 0.1


def lstm_step(size: str) -> Built:
    """A BasicLSTMCell dynamic_rnn training step: lengths vary per example (sequence_length
    masking), the last output feeds a dense head, softmax cross-entropy, one SGD update."""
    batch, steps, units, features, classes = _pick(size, (8, 10, 32, 16, 10), (64, 50, 256, 64, 10),
                                                   (128, 100, 512, 128, 10))
    rs = _rng()
    x = tf.placeholder(tf.float32, [None, steps, features], name="x")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    init = tf.random_uniform_initializer(-0.08, 0.08, seed=1)
    with tf.variable_scope("model", initializer=init):
        cell = tf.nn.rnn_cell.BasicLSTMCell(units)
        _, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
        logits = tf.layers.dense(state.h, classes, name="head")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train = tf.train.GradientDescentOptimizer(LSTM_LR).minimize(loss)
    feed = {x: rs.randn(batch, steps, features).astype(np.float32),
            lengths: rs.randint(steps // 2, steps + 1, batch).astype(np.int32),
            labels: rs.randint(0, classes, batch).astype(np.int32)}
    macs = 3 * batch * steps * (features + units) * 4 * units   # forward, and twice that backward
    return Built([loss, train], feed, flops=2 * macs, check=loss, rtol=1e-3)


RNN_LR = 1e-2


def rnn_unrolled(size: str) -> Built:
    """examples/rnn_sequence.py's hand-unrolled model as one training step: a tanh cell
    h_t = tanh(x_t W_x + h_{t-1} W_h + b) written out for every step (variables shared), rows past
    their length kept by tf.where, a linear read-out, mean squared error, Adam. Many tiny kernels and
    matmuls: the per-kernel overhead of a step, not its arithmetic."""
    batch, steps, units = _pick(size, (16, 5, 8), (64, 10, 16), (256, 20, 64))
    rs = _rng()
    x = tf.placeholder(tf.float32, [None, steps, 1], name="inputs")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    targets = tf.placeholder(tf.float32, [None, 1], name="targets")
    tf.set_random_seed(0)
    h = tf.zeros(tf.stack([tf.shape(x)[0], units]))
    for t in range(steps):
        with tf.variable_scope("rnn_cell", reuse=tf.AUTO_REUSE):
            w_x = tf.get_variable("w_x", [1, units])
            w_h = tf.get_variable("w_h", [units, units])
            b = tf.get_variable("b", [units], initializer=tf.zeros_initializer())
        h = tf.where(t < lengths, tf.tanh(tf.matmul(x[:, t, :], w_x) + tf.matmul(h, w_h) + b), h)
    predictions = tf.layers.dense(h, 1, name="readout")
    loss = tf.reduce_mean(tf.square(predictions - targets))
    train = tf.train.AdamOptimizer(RNN_LR).minimize(loss)
    seq_lengths = rs.randint(1, steps + 1, batch).astype(np.int32)
    inputs = rs.uniform(-1.0, 1.0, (batch, steps, 1)).astype(np.float32)
    valid = np.arange(steps)[None, :, None] < seq_lengths[:, None, None]
    feed = {x: inputs, lengths: seq_lengths, targets: (inputs * valid).sum(axis=1)}
    macs = 3 * batch * steps * (1 + units) * units   # forward, and twice that backward
    return Built([loss, train], feed, flops=2 * macs, check=loss, rtol=1e-4)


def while_loop(size: str) -> Built:
    """A scalar tf.while_loop: i += 1; x = x * 0.999 + 0.001, 10^5 iterations (a compiled loop should
    cost nanoseconds per iteration, not a Python call)."""
    n = _pick(size, 10_000, 100_000, 1_000_000)
    x = tf.placeholder(tf.float64, [], name="x")
    _, y = tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 0.999 + 0.001), (tf.constant(0), x))
    return Built(y, {x: 2.0}, flops=2 * n, rtol=1e-9, atol=1e-12)


WORKLOADS = [
    Workload("gelu", "0.5*x*(1+tanh(0.798*(x+0.0447*x^3))), float32", gelu),
    Workload("softmax", "row softmax, float32", softmax),
    Workload("layer_norm", "row layer norm with scale and shift", layer_norm),
    Workload("sum_sq", "reduce_sum(x*x), float32", sum_of_squares),
    Workload("mlp_sgd", "MLP 784-H-H-10 SGD step (forward, backward, update)", mlp_sgd, stateful=True),
    Workload("cnn_step", "small CNN SGD step (2 conv+pool, dense), 28x28 inputs", cnn_step, stateful=True),
    Workload("lstm", "BasicLSTMCell dynamic_rnn SGD step, lengths masked, dense head", lstm_step,
             stateful=True),
    Workload("rnn_unrolled", "examples/rnn_sequence.py's tanh RNN unrolled by hand, Adam step", rnn_unrolled,
             stateful=True),
    Workload("adam", "Adam update of one variable", adam, stateful=True),
    Workload("lecture_add", "the lecture's a + b, per sess.run", lecture_add, per_run_latency=True),
    Workload("lecture_train", "the lecture's training step, per sess.run", lecture_train,
             per_run_latency=True, stateful=True),
    Workload("data_feed", "MLP 784-256-10 Adam step, batch 128 fed by feed_dict", data_feed, stateful=True),
    Workload("data_pipe", "the same step reading tf.data (slices, shuffle, batch, repeat, prefetch)", data_pipe,
             stateful=True),
    Workload("data_thru", "tf.data pipeline alone: slices, shuffle 1000, map /255, batch 128, prefetch 2",
             data_thru, stateful=True),
    Workload("while_loop", "scalar tf.while_loop, 10^5 iterations of x = x*0.999 + 0.001", while_loop),
]


def select(pattern: Optional[str]) -> list:
    """The workloads whose name contains ``pattern``, or any of its comma-separated parts (all: None)."""
    if not pattern:
        return list(WORKLOADS)
    parts = [p for p in pattern.split(",") if p]
    return [w for w in WORKLOADS if any(p in w.name for p in parts)]
