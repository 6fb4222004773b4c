"""Signals: SIGINT (and an exception raised from any Python signal handler) at random moments of
training steps, a first run's compile, and a save. TF1's Session.run is all-or-nothing: after an
interrupted step every variable and optimizer slot is at the step before or the step after,
all of them together; an interrupted compile or save leaves a working session and checkpoint.
"""
from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Case, Context
from .verdict import DataLost, Wrong, expect_close

CASES: list[Case] = []
TRIALS = 40


class _Interrupt(Exception):
    """Raised by the SIGUSR1 handler the 'handler_exception' cases install."""


def _case(name: str, fn: Callable[[Context], None], **kw: Any) -> None:
    CASES.append(Case(f"signals/{name}", "signals", fn, alone=True, timeout=120, **kw))


def _model(kind: str) -> tuple:
    """(train op, variables) of a small model; every variable moves each step."""
    import graphc as tf

    rs = np.random.RandomState(0)
    x = tf.constant(rs.randn(16, 12).astype(np.float32))
    w1 = tf.Variable(rs.randn(12, 16).astype(np.float32) * 0.1, name="w1")
    w2 = tf.Variable(rs.randn(16, 4).astype(np.float32) * 0.1, name="w2")
    loss = tf.reduce_mean(tf.square(tf.matmul(tf.tanh(tf.matmul(x, w1)), w2) - 1.0))
    opt = {"adam": lambda: tf.train.AdamOptimizer(0.01), "momentum": lambda: tf.train.MomentumOptimizer(0.05, 0.9),
           "rmsprop": lambda: tf.train.RMSPropOptimizer(0.01), "sgd": lambda: tf.train.GradientDescentOptimizer(0.1)}
    counter = tf.Variable(0.0, name="steps")
    step = tf.group(opt[kind]().minimize(loss), tf.assign_add(counter, 1.0))
    return step, tf.global_variables()


def _history(kind: str, n: int) -> list:
    """Every variable after 0..n steps, replayed on the eager reference."""
    import graphc as tf

    with tf.Graph().as_default():
        step, variables = _model(kind)
        with tf.Session(backend="eager") as sess:
            sess.run(tf.global_variables_initializer())
            states = [sess.run(variables)]
            for _ in range(n):
                sess.run(step)
                states.append(sess.run(variables))
    return states


def _which_step(values: list, history: list, k: int) -> int | None:
    """k or k + 1 when every moving value agrees; None when the state is torn."""
    votes = set()
    for v, before, after in zip(values, history[k], history[k + 1]):
        if np.max(np.abs(np.asarray(after) - np.asarray(before))) > 1e-6:
            db, da = np.max(np.abs(v - before)), np.max(np.abs(v - after))
            votes.add(k if db < da else k + 1)
    return votes.pop() if len(votes) == 1 else None


def _interrupted_steps(kind: str, how: str, ctx: Context) -> None:
    import graphc as tf

    history = _history(kind, TRIALS + 6)
    step, variables = _model(kind)
    sess = tf.Session(backend=ctx.backend)
    sess.run(tf.global_variables_initializer())
    for _ in range(3):
        sess.run(step)
    t0 = time.perf_counter()
    sess.run(step)
    duration = max(time.perf_counter() - t0, 1e-4)
    k = 4
    sig = signal.SIGINT if how == "sigint" else signal.SIGUSR1
    caught = (KeyboardInterrupt, _Interrupt)
    previous = None
    if how == "handler_exception":
        def handler(signum: int, frame: Any) -> None:
            raise _Interrupt("from a signal handler")
        previous = signal.signal(signal.SIGUSR1, handler)
    rs = np.random.RandomState(3)
    interrupted = 0
    try:
        for trial in range(TRIALS):
            timer = threading.Timer(rs.uniform(0, 1.2 * duration), os.kill, (os.getpid(), sig))
            try:
                timer.start()
                sess.run(step)
                timer.join()
                time.sleep(0.002)
            except caught:
                interrupted += 1
                timer.join()
            got = _which_step(sess.run(variables), history, k)
            if got is None:
                raise DataLost(f"trial {trial}: the variables were torn between step {k} and {k + 1}")
            k = got
        if interrupted < TRIALS:
            raise Wrong(f"only {interrupted} of {TRIALS} signals reached the program (TF1 raises each one)")
    finally:
        if previous is not None:
            signal.signal(signal.SIGUSR1, previous)
        sess.close()


for _k in ("adam", "momentum", "rmsprop", "sgd"):
    _case(f"sigint_{_k}_steps", functools.partial(_interrupted_steps, _k, "sigint"), quick=_k == "sgd")
for _k in ("adam", "sgd"):
    _case(f"handler_exception_{_k}_steps", functools.partial(_interrupted_steps, _k, "handler_exception"))


def _interrupted_compile(ctx: Context) -> None:
    """SIGINT during a first run (the compile): then the same run gives the right answer."""
    import graphc as tf

    rs = np.random.RandomState(4)
    for trial in range(4):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None])
            v = tf.Variable(np.zeros(3, np.float32))
            y = tf.tanh(x * float(trial + 2)) + tf.exp(-x) * 0.5
            step = tf.assign_add(v, tf.ones([3]))
            xs = np.linspace(-1, 1, 3).astype(np.float32)
            with tf.Session(backend=ctx.backend) as sess:
                sess.run(v.initializer)
                timer = threading.Timer(rs.uniform(0.0, 0.3), os.kill, (os.getpid(), signal.SIGINT))
                try:
                    timer.start()
                    sess.run([y, step], {x: xs})
                    timer.join()
                    time.sleep(0.01)
                except KeyboardInterrupt:
                    timer.join()
                before = sess.run(v)
                if not (np.all(before == 0) or np.all(before == 1)):
                    raise DataLost(f"an interrupted first run left the variable at {before}")
                got, _ = sess.run([y, step], {x: xs})
                expect_close(got, np.tanh(xs * (trial + 2)) + np.exp(-xs) * 0.5)
                expect_close(sess.run(v), before + 1)


def _interrupted_save(ctx: Context) -> None:
    import graphc as tf

    d = os.path.join(ctx.scratch, "ckpt")
    os.makedirs(d)
    v = tf.Variable(np.zeros(100000, np.float32), name="big")
    s = tf.placeholder(tf.float32, [])
    set_v = tf.assign(v, tf.fill([100000], s))
    saver = tf.train.Saver(max_to_keep=2)
    rs = np.random.RandomState(6)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        for i in range(1, 9):
            sess.run(set_v, {s: float(i)})
            timer = threading.Timer(rs.uniform(0, 0.02), os.kill, (os.getpid(), signal.SIGINT))
            try:
                timer.start()
                saver.save(sess, os.path.join(d, "m"), global_step=i)
                timer.join()
                time.sleep(0.01)
            except KeyboardInterrupt:
                timer.join()
            latest = tf.train.latest_checkpoint(d)
            if latest is None:
                continue
            sess.run(set_v, {s: -1.0})
            try:
                saver.restore(sess, latest)
            except Exception as e:
                raise DataLost(f"after an interrupted save, {os.path.basename(latest)} does not restore: "
                               f"{type(e).__name__}: {str(e)[:100]}")
            values = np.unique(sess.run(v))
            if len(values) != 1 or values[0] < 1:
                raise DataLost(f"after an interrupted save the checkpoint holds {values[:4]}")


_case("sigint_during_first_run_compile", _interrupted_compile)
_case("sigint_during_save", _interrupted_save)
