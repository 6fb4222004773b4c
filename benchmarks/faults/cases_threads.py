"""Threads sharing one session: no lost update, no value crossing from one run to another, first
runs (compiles) racing, a close racing runs. TF1's Session.run is thread-safe; runs after close
raise RuntimeError.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Case, Context
from .util import f32
from .verdict import DataLost, Wrong, expect_close

CASES: list[Case] = []
THREADS = 8


def _case(name: str, fn: Callable[[Context], None], **kw: Any) -> None:
    CASES.append(Case(f"threads/{name}", "threads", fn, timeout=120, **kw))


def _in_threads(work: Callable[[int], None], n: int = THREADS) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as e:
            errors.append(e)
    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(100)
    if any(t.is_alive() for t in threads):
        raise Wrong("a thread was still running after 100 s")
    return errors


def _raise_first(errors: list[BaseException]) -> None:
    if errors:
        e = errors[0]
        raise Wrong(f"a thread raised {type(e).__name__}: {str(e)[:160]}")


def _counter(kind: str, ctx: Context) -> None:
    import graphc as tf

    n = 40
    if kind == "assign_add":
        v = tf.Variable(np.zeros(4, np.float32))
        step = tf.assign_add(v, tf.ones([4]))
        want = np.full(4, THREADS * n, np.float32)
    else:       # SGD on a linear loss: a constant gradient, exact in float32
        v = tf.Variable(np.zeros(4, np.float32))
        loss = tf.reduce_sum(v * tf.constant(f32(1, 2, 4, 8)))
        step = tf.train.GradientDescentOptimizer(0.125).minimize(loss)
        want = -0.125 * f32(1, 2, 4, 8) * THREADS * n
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        sess.run(step)
        sess.run(v.initializer)
        _raise_first(_in_threads(lambda i: [sess.run(step) for _ in range(n)]))
        got = sess.run(v)
    if not np.array_equal(got, want):
        raise DataLost(f"{THREADS} threads x {n} {kind} steps gave {got.tolist()}, expected {want.tolist()}")


def _own_feeds(ctx: Context) -> None:
    """Each thread feeds its own values: it must get its own results back, every time."""
    import graphc as tf

    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reduce_sum(tf.tanh(x) * 2.0, axis=1) + tf.reduce_max(x)
    sess = tf.Session(backend=ctx.backend)
    sess.run(y, {x: np.ones((5, 3), np.float32)})
    bad: list[str] = []

    def work(i: int) -> None:
        rs = np.random.RandomState(i)
        for _ in range(60):
            xs = rs.randn(5, 3).astype(np.float32)
            got = sess.run(y, {x: xs})
            if not np.allclose(got, np.tanh(xs).sum(1) * 2 + xs.max(), rtol=1e-5, atol=1e-5):
                bad.append(f"thread {i}")
    _raise_first(_in_threads(work))
    sess.close()
    if bad:
        raise Wrong(f"threads got another thread's results ({len(bad)} runs, e.g. {bad[0]})")


def _racing_first_runs(ctx: Context) -> None:
    """Eight different fetches compiled at once on one session."""
    import graphc as tf

    x = tf.placeholder(tf.float32, [3])
    outs = [tf.sigmoid(x * float(i + 1)) + float(i) for i in range(THREADS)]
    xs = f32(-1, 0, 1)
    results: dict = {}
    with tf.Session(backend=ctx.backend) as sess:
        _raise_first(_in_threads(lambda i: results.__setitem__(i, sess.run(outs[i], {x: xs}))))
    for i in range(THREADS):
        expect_close(results[i], 1 / (1 + np.exp(-xs * (i + 1))) + i, what=f"thread {i}'s result")


def _close_while_running(ctx: Context) -> None:
    """A close racing runs: each run completes or raises RuntimeError (closed); none crashes."""
    import graphc as tf

    x = tf.placeholder(tf.float32, [None])
    v = tf.Variable(0.0)
    y = tf.reduce_sum(tf.exp(x)) + tf.assign_add(v, 1.0)
    sess = tf.Session(backend=ctx.backend)
    sess.run(v.initializer)
    sess.run(y, {x: np.ones(1000, np.float32)})
    odd: list[str] = []

    def work(i: int) -> None:
        if i == 0:
            sess.close()
            return
        for _ in range(50):
            try:
                sess.run(y, {x: np.ones(1000, np.float32)})
            except RuntimeError:
                return
            except Exception as e:
                odd.append(f"{type(e).__name__}: {str(e)[:100]}")
                return
    _raise_first(_in_threads(work))
    if odd:
        raise Wrong(f"a run racing close raised {odd[0]} (TF1: RuntimeError for a closed session)")


def _callables(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    v = tf.Variable(np.zeros(2, np.float32))
    add = tf.assign_add(v, x)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        fn = sess.make_callable(add, [x])
        _raise_first(_in_threads(lambda i: [fn(f32(1, 2)) for _ in range(25)]))
        got = sess.run(v)
    if not np.array_equal(got, f32(1, 2) * THREADS * 25):
        raise DataLost(f"make_callable from {THREADS} threads lost updates: {got.tolist()}")


def _sessions_per_thread(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(0.0)
    step = tf.assign_add(v, 1.0)
    finals: dict = {}

    def work(i: int) -> None:
        with tf.Session(backend=ctx.backend) as sess:
            sess.run(v.initializer)
            for _ in range(i + 5):
                sess.run(step)
            finals[i] = float(sess.run(v))
    _raise_first(_in_threads(work))
    for i in range(THREADS):
        if finals.get(i) != i + 5:
            raise DataLost(f"thread {i}'s own session holds {finals.get(i)}, expected {i + 5}")


for _n, _f in [("assign_add_counter", functools.partial(_counter, "assign_add")),
               ("sgd_steps", functools.partial(_counter, "sgd")), ("own_feeds_own_results", _own_feeds),
               ("racing_first_runs", _racing_first_runs), ("close_while_running", _close_while_running),
               ("make_callable", _callables), ("session_per_thread", _sessions_per_thread)]:
    _case(_n, _f, quick=_n == "assign_add_counter")
