"""tf.data in graphc: pipeline throughput, and a training step fed by get_next() vs by feed_dict.

    python benchmarks/data_pipeline.py                                  # graphc only
    python benchmarks/data_pipeline.py --compare-tf /path/to/python     # plus TensorFlow's tf.data

1. Throughput, elements/s over one epoch of
   from_tensor_slices((x[N, 784] float32, y)).shuffle(1000).map(a / 255, b).batch(128).prefetch(2),
   in graphc (the map runs once per batch: vectorize.py) and, with --compare-tf, in TensorFlow
   (tf.compat.v1, graph mode) run by the given interpreter in its own process.
2. An MLP (784-256-10, Adam, batch 128) trained for one epoch fed by feed_dict from numpy
   slices, then by the same model reading a shuffled tf.data pipeline through get_next(): median
   step time of each and their ratio (issue 15's target: tf.data within 10% of feed_dict).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from typing import Any, Callable, Optional

import numpy as np

def measure_pipeline(tf: Any, make_iterator: Callable, n: int) -> float:
    """Elements/s over one epoch of the benchmark pipeline, built with the TF1-style module ``tf``."""
    x = np.random.RandomState(0).rand(n, 784).astype(np.float32)
    y = np.random.RandomState(1).randint(0, 10, n).astype(np.int32)
    ds = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000, seed=1)
          .map(lambda a, b: (a / 255.0, b)).batch(128).prefetch(2))
    nxt = make_iterator(ds).get_next()
    with tf.Session() as sess:
        sess.run(nxt)
        start, batches = time.perf_counter(), 0
        try:
            while True:
                sess.run(nxt)
                batches += 1
        except tf.errors.OutOfRangeError:
            pass
        return batches * 128 / (time.perf_counter() - start)


def pipeline_throughput(n: int) -> float:
    """graphc's elements/s for the benchmark pipeline."""
    import graphc as tf

    tf.reset_default_graph()
    return measure_pipeline(tf, lambda ds: ds.make_one_shot_iterator(), n)


def tf_throughput(python: str, n: int) -> float:
    """TensorFlow's elements/s for the same pipeline, in a process of ``python`` (graph mode)."""
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
            "import data_pipeline, tensorflow\n"
            "tf = tensorflow.compat.v1\n"
            "tf.disable_v2_behavior()\n"
            f"print(data_pipeline.measure_pipeline(tf, tf.data.make_one_shot_iterator, {n}))\n")
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=1200)
    if proc.returncode:
        raise SystemExit(f"TensorFlow run failed:\n{proc.stderr[-2000:]}")
    return float(proc.stdout.split()[-1])


def training_steps(n: int, use_data: bool) -> list:
    """Per-step times of one epoch of the MLP, fed by feed_dict or by a tf.data iterator."""
    import graphc as tf

    tf.reset_default_graph()
    tf.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(n, 784).astype(np.float32)
    y = rng.randint(0, 10, n).astype(np.int32)
    if use_data:
        images, labels = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(n, seed=1).batch(128)
                          .prefetch(2).make_one_shot_iterator().get_next())
    else:
        images = tf.placeholder(tf.float32, [None, 784])
        labels = tf.placeholder(tf.int32, [None])
    hidden = tf.layers.dense(images, 256, activation=tf.nn.relu)
    logits = tf.layers.dense(hidden, 10)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    step = tf.train.AdamOptimizer(1e-3).minimize(loss)
    times = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        order = rng.permutation(n)
        for start in range(0, n - 127, 128):
            feed = None
            if not use_data:
                batch = order[start:start + 128]
                feed = {images: x[batch], labels: y[batch]}
            t = time.perf_counter()
            sess.run(step, feed)
            times.append(time.perf_counter() - t)
    return times[3:]     # the first steps compile


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=20000, help="dataset size (default: %(default)s)")
    parser.add_argument("--compare-tf", metavar="PYTHON", default="",
                        help="an interpreter with TensorFlow installed, to run the same pipeline there")
    args = parser.parse_args(argv)
    print(f"pipeline (shuffle, map, batch 128, prefetch), {args.elements} elements of 784 floats")
    print(f"  graphc      {pipeline_throughput(args.elements):10.0f} elements/s")
    if args.compare_tf:
        print(f"  TensorFlow  {tf_throughput(args.compare_tf, args.elements):10.0f} elements/s")
    feed = statistics.median(training_steps(args.elements, False))
    data = statistics.median(training_steps(args.elements, True))
    print("MLP 784-256-10 Adam step, batch 128, median over one epoch")
    print(f"  feed_dict   {feed * 1e3:8.3f} ms")
    print(f"  tf.data     {data * 1e3:8.3f} ms   ({data / feed:.2f}x feed_dict)")


if __name__ == "__main__":
    main()
