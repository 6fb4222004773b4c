"""Sessions: closed sessions, many sessions, independent state, default sessions, options.

TF1: running a closed session is RuntimeError ("Attempted to use a closed Session"); close is
idempotent; each session has its own variable values; ``Tensor.eval`` needs a default session
(ValueError otherwise); ``options`` / ``run_metadata`` are accepted; memory does not grow with
the number of sessions opened and closed.
"""
from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Case, Context
from .util import f32
from .verdict import Wrong, expect_close, expect_raises

CASES: list[Case] = []


def _case(name: str, fn: Callable[[Context], None], **kw: Any) -> None:
    CASES.append(Case(f"sessions/{name}", "sessions", fn, **kw))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2 ** 20


def _closed(how: str, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    y = x * 2.0
    v = tf.Variable(1.0)
    sess = tf.Session(backend=ctx.backend)
    sess.run(v.initializer)
    fn = sess.make_callable(y, [x])
    if how == "context_exit":
        with sess:
            pass
    else:
        sess.close()
    action = {"run": lambda: sess.run(y, {x: f32(1, 2)}), "context_exit": lambda: sess.run(y, {x: f32(1, 2)}),
              "callable": lambda: fn(f32(1, 2)), "variable_read": lambda: sess.run(v),
              "eval": lambda: y.eval({x: f32(1, 2)}, session=sess)}[how]
    expect_raises(action, RuntimeError, "closed")


for _k in ("run", "context_exit", "callable", "variable_read", "eval"):
    _case(f"closed/{_k}", functools.partial(_closed, _k), quick=_k == "run")


def _close_twice(ctx: Context) -> None:
    import graphc as tf

    sess = tf.Session(backend=ctx.backend)
    sess.close()
    sess.close()


def _many(n: int, ctx: Context) -> None:
    """n sessions opened, used and closed: right values, and bounded memory growth."""
    import graphc as tf

    x = tf.placeholder(tf.float32, [64])
    v = tf.Variable(np.zeros(64, np.float32))
    y = tf.reduce_sum(tf.assign_add(v, x))
    with tf.Session(backend=ctx.backend) as s:
        s.run(v.initializer)
        s.run(y, {x: np.ones(64, np.float32)})
    gc.collect()
    start = _rss_mb()
    for i in range(n):
        with tf.Session(backend=ctx.backend) as s:
            s.run(v.initializer)
            got = s.run(y, {x: np.full(64, i, np.float32)})
            if got != 64 * i:
                raise Wrong(f"session {i} computed {got}, expected {64 * i}")
    gc.collect()
    grown = _rss_mb() - start
    if grown > 100:
        raise Wrong(f"memory grew {grown:.0f} MB over {n} sessions")


def _unclosed(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    for _ in range(50):
        s = tf.Session(backend=ctx.backend)
        s.run(v.initializer)
        del s
    gc.collect()


def _many_runs(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [8])
    y = tf.tanh(x) + 1.0
    xs = np.linspace(-1, 1, 8).astype(np.float32)
    with tf.Session(backend=ctx.backend) as s:
        s.run(y, {x: xs})
        gc.collect()
        start = _rss_mb()
        for _ in range(5000):
            got = s.run(y, {x: xs})
        gc.collect()
        grown = _rss_mb() - start
    expect_close(got, np.tanh(xs) + 1)
    if grown > 50:
        raise Wrong(f"memory grew {grown:.0f} MB over 5000 runs")


def _independent(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    bump = tf.assign_add(v, f32(10, 10))
    a, b = tf.Session(backend=ctx.backend), tf.Session(backend=ctx.backend)
    for s in (a, b):
        s.run(v.initializer)
    a.run(bump)
    a.run(bump)
    expect_close(a.run(v), f32(21, 22), what="session a")
    expect_close(b.run(v), f32(1, 2), what="session b (never bumped)")
    b.close()
    expect_close(a.run(v), f32(21, 22), what="session a after b closed")
    a.close()


def _defaults(kind: str, ctx: Context) -> None:
    import graphc as tf

    x = tf.constant(f32(1, 2)) * 3.0
    if kind == "eval_without_default":
        expect_raises(lambda: x.eval(), ValueError, "session")
    elif kind == "as_default":
        s = tf.Session(backend=ctx.backend)
        with s.as_default():
            expect_close(x.eval(), f32(3, 6))
        s.close()
    elif kind == "context_manager_is_default":
        with tf.Session(backend=ctx.backend):
            expect_close(x.eval(), f32(3, 6))
            if tf.get_default_session() is None:
                raise Wrong("no default session inside `with Session()`")
        if tf.get_default_session() is not None:
            raise Wrong("a default session remains after the with block")
    elif kind == "interactive":
        s = tf.InteractiveSession()
        try:
            expect_close(x.eval(), f32(3, 6))
        finally:
            s.close()
    elif kind == "nested":
        with tf.Session(backend=ctx.backend) as outer:
            with tf.Session(backend=ctx.backend) as inner:
                if tf.get_default_session() is not inner:
                    raise Wrong("the inner session is not the default")
            if tf.get_default_session() is not outer:
                raise Wrong("the outer session is not the default again after the inner block")


for _k in ("eval_without_default", "as_default", "context_manager_is_default", "interactive", "nested"):
    _case(f"default/{_k}", functools.partial(_defaults, _k))


def _options(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    with tf.Session(backend=ctx.backend, config=tf.ConfigProto()) as s:
        got = s.run(x * 2.0, {x: f32(1, 2)}, options=tf.RunOptions(), run_metadata=tf.RunMetadata())
    expect_close(got, f32(2, 4))


def _graph_grows(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    with tf.Session(backend=ctx.backend) as s:
        expect_close(s.run(x * 2.0, {x: f32(1, 2)}), f32(2, 4))
        z = tf.exp(x) - 1.0
        expect_close(s.run(z, {x: f32(0, 0)}), f32(0, 0), what="an op added after the first run")


def _after_reset(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    y = v * 2.0
    s = tf.Session(backend=ctx.backend)
    s.run(v.initializer)
    tf.reset_default_graph()
    expect_close(s.run(y), f32(2, 4), what="a session's run after reset_default_graph")
    s.close()


def _session_graph(ctx: Context) -> None:
    import graphc as tf

    g = tf.Graph()
    with g.as_default():
        c = tf.constant(2.0) + 1.0
    with tf.Session(backend=ctx.backend, graph=g) as s:
        if s.graph is not g:
            raise Wrong("Session.graph is not the graph it was given")
        expect_close(s.run(c), 3.0)


def _many_open(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(0.0)
    bump = tf.assign_add(v, 1.0)
    sessions = [tf.Session(backend=ctx.backend) for _ in range(100)]
    for i, s in enumerate(sessions):
        s.run(v.initializer)
        for _ in range(i % 3):
            s.run(bump)
    for i, s in enumerate(sessions):
        if s.run(v) != i % 3:
            raise Wrong(f"session {i} of 100 open ones holds {s.run(v)}")
        s.close()


def _callable_args(kind: str, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    y = tf.placeholder(tf.float32, [2])
    with tf.Session(backend=ctx.backend) as s:
        fn = s.make_callable(x + y, [x, y])
        if kind == "too_few":
            expect_raises(lambda: fn(f32(1, 2)), (TypeError, ValueError))
        elif kind == "too_many":
            expect_raises(lambda: fn(f32(1, 2), f32(1, 2), f32(1, 2)), (TypeError, ValueError))
        else:
            expect_raises(lambda: fn(f32(1, 2), f32(1, 2, 3)), ValueError, "shape")


for _k in ("too_few", "too_many", "wrong_shape"):
    _case(f"misc/make_callable_{_k}", functools.partial(_callable_args, _k))
_case("close_twice", _close_twice)
_case("many/200_sessions", functools.partial(_many, 200), timeout=120)
_case("many/unclosed_sessions", _unclosed)
_case("many/5000_runs", _many_runs, timeout=120)
_case("many/100_open_at_once", _many_open, timeout=120)
_case("state/independent_variables", _independent)
_case("misc/options_and_run_metadata", _options)
_case("misc/ops_added_after_first_run", _graph_grows)
_case("misc/run_after_reset_default_graph", _after_reset)
_case("misc/session_graph", _session_graph)
