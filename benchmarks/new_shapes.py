"""What a batch size not seen before costs a session, and what a `sess.run` costs in Python.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python3 benchmarks/new_shapes.py [--sizes 300] [--rss 10000]

For the MLP SGD step (784-64-64-10), the lecture's linear-regression step (scalar w, b; x and
y_true fed as vectors of n) and a dynamic_rnn LSTM step (at most 60 sizes), after a warm-up on three sizes, each of ``--sizes`` distinct batch
sizes (shuffled, 100..100+sizes) is run twice: new-size cost = first run - second run (same
size, so the same arithmetic). Prints the median and quartiles of that cost, the cached run,
and the executables the session holds. ``--rss N`` then feeds N more distinct sizes to the
lecture step and prints the process's RSS before and after (memory flat with the bounded cache).
``--per-run`` times ``sess.run(a + b)`` and the lecture step on fixed feeds beside ``jax.jit``.
Run it with PYTHONPATH pointing at another checkout to compare.
"""
from __future__ import annotations

import argparse
import resource
import time
from typing import Callable

import numpy as np

import graphc as tf
from graphc.codegen import executable_cache


def mlp() -> tuple:
    rs = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    layers = [784, 64, 64, 10]
    h = x
    for i, (a, b) in enumerate(zip(layers, layers[1:])):
        w = tf.Variable((rs.randn(a, b) * np.sqrt(2.0 / a)).astype(np.float32), name=f"w{i}")
        bias = tf.Variable(np.zeros(b, np.float32), name=f"b{i}")
        h = tf.matmul(h, w) + bias
        if i < len(layers) - 2:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    return [loss, train], lambda n: {x: rs.rand(n, 784).astype(np.float32), labels: rs.randint(0, 10, n)}


def lecture() -> tuple:
    rs = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, name="x")
    y_true = tf.placeholder(tf.float32, name="y_true")
    w = tf.Variable(0.2, name="w")
    b = tf.Variable(0.7, name="b")
    y = w * x + b
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.square(y - y_true))
    return [y, train], lambda n: {x: rs.rand(n).astype(np.float32), y_true: rs.rand(n).astype(np.float32)}


def lstm() -> tuple:
    """A BasicLSTMCell (32 units) dynamic_rnn over 10 steps of 16 features, a dense head, SGD."""
    rs = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [None, 10, 16], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    with tf.variable_scope("model", initializer=tf.random_uniform_initializer(-0.08, 0.08, seed=1)):
        _, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(32), x, dtype=tf.float32)
        logits = tf.layers.dense(state.h, 10, name="head")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return [loss, train], lambda n: {x: rs.randn(n, 10, 16).astype(np.float32), labels: rs.randint(0, 10, n)}


def _timed(fn: Callable) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _wait_for_compiles(sess, timeout: float = 120.0) -> None:
    """Waits for a tiered session's background compiles of the warm-up's executables: a run of the
    eager tier costs the same for a new size as for a seen one, so timing it would hide the cost."""
    for exe in list(sess._cache.values()):
        wait = getattr(exe, "wait", None)
        if wait is not None and not wait(timeout):
            raise RuntimeError(f"a background compile took over {timeout:.0f} s: the runs would be eager")


def new_sizes(name: str, build: Callable, count: int) -> None:
    with tf.Graph().as_default():
        fetches, feed = build()
        sess = tf.Session(backend="numba")
        sess.run(tf.global_variables_initializer())
        for _ in range(2):     # the second round on the compiled tier: its shape pattern planned
            for n in (31, 32, 33):
                sess.run(fetches, feed(n))
            _wait_for_compiles(sess)
        sizes = np.random.RandomState(1).permutation(np.arange(100, 100 + count))
        extra, cached = [], []
        for n in sizes:
            fd = feed(int(n))
            first = _timed(lambda: sess.run(fetches, fd))
            second = _timed(lambda: sess.run(fetches, fd))
            extra.append(first - second)
            cached.append(second)
        q = np.percentile(extra, [25, 50, 75]) * 1e6
        kept = len(sess._cache)
        fd = feed(int(sizes[0]))
        for _ in range(executable_cache.PROMOTE_AFTER + 2):     # planned for this size exactly, then
            sess.run(fetches, fd)
        _wait_for_compiles(sess)                                # compiled (not its eager tier)
        hot = [_timed(lambda: sess.run(fetches, fd)) for _ in range(10)]
        print(f"{name}: new batch size costs {q[1]:.0f} us over a cached run (quartiles {q[0]:.0f}-{q[2]:.0f}); "
              f"cached run {np.median(cached) * 1e6:.0f} us; {kept} executables kept; a size run on its own "
              f"plan: {np.median(hot) * 1e6:.0f} us")


def rss_over(count: int) -> None:
    with tf.Graph().as_default():
        fetches, feed = lecture()
        sess = tf.Session(backend="numba")
        sess.run(tf.global_variables_initializer())
        for n in range(1, 200):
            sess.run(fetches, feed(n))
        _wait_for_compiles(sess)     # (loading the compiled code is not per-size memory)
        for n in range(1, 200):
            sess.run(fetches, feed(n))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for n in range(200, 200 + count):
            sess.run(fetches, feed(n))
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"lecture step over {count} more sizes: max RSS {before / 1024:.0f} MiB -> {after / 1024:.0f} MiB, "
              f"{len(sess._cache)} executables kept")


def per_run(repeats: int = 2000) -> None:
    import jax

    def median_us(fn: Callable) -> float:
        for _ in range(50):
            fn()
        return float(np.median([_timed(fn) for _ in range(repeats)]) * 1e6)

    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, name="a")
        b = tf.placeholder(tf.float32, name="b")
        total = a + b
        x = tf.placeholder(tf.float32, name="x")
        y_true = tf.placeholder(tf.float32, name="y_true")
        w = tf.Variable(0.2, name="w")
        bias = tf.Variable(0.7, name="b")
        y = w * x + bias
        train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.square(y - y_true))
        sess = tf.Session(backend="numba")
        sess.run(tf.global_variables_initializer())
        add_feed = {a: 4.0, b: 5.0}
        train_feed = {x: 1.0, y_true: 20.0}
        sess.run(total, add_feed)
        sess.run([y, train], train_feed)
        _wait_for_compiles(sess)
        add_us = median_us(lambda: sess.run(total, add_feed))
        train_us = median_us(lambda: sess.run([y, train], train_feed))
    jadd = jax.jit(lambda p, q: p + q)
    jax_add_us = median_us(lambda: np.asarray(jadd(4.0, 5.0)))

    def step(params, xv, yv):
        def loss(params):
            pred = params[0] * xv + params[1]
            return (pred - yv) ** 2, pred
        (_, pred), grads = jax.value_and_grad(loss, has_aux=True)(params)
        return pred, [p - 0.1 * g for p, g in zip(params, grads)]
    jstep = jax.jit(step)
    params = [np.float32(0.2), np.float32(0.7)]

    def jax_train() -> None:
        pred, new = jstep(params, 1.0, 20.0)
        np.asarray(pred)
        params[:] = new
    jax_train_us = median_us(jax_train)
    print(f"sess.run(a + b): {add_us:.1f} us; jax.jit a + b with numpy out: {jax_add_us:.1f} us")
    print(f"sess.run([y, train], feed): {train_us:.1f} us; jax.jit step with numpy out: {jax_train_us:.1f} us")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, default=300)
    ap.add_argument("--rss", type=int, default=0)
    ap.add_argument("--per-run", action="store_true")
    args = ap.parse_args()
    print(tf.__file__)
    if args.sizes:
        new_sizes("mlp_sgd 784-64-64-10", mlp, args.sizes)
        new_sizes("lecture step", lecture, args.sizes)
        new_sizes("dynamic_rnn LSTM step", lstm, min(args.sizes, 60))
    if args.rss:
        rss_over(args.rss)
    if args.per_run:
        per_run()


if __name__ == "__main__":
    main()
