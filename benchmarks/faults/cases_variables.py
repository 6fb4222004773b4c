"""Variables: uninitialized reads, validate_shape, shape-changing assigns, failed runs, optimizer
misuse.

TF1: reading an uninitialized variable is FailedPreconditionError naming it; an assign whose
static shapes differ is ValueError when built, at run time (validate_shape=True) an
InvalidArgumentError; validate_shape=False lets the shape change; an initializer that needs an
unfed placeholder is InvalidArgumentError; ``minimize`` with no gradient is ValueError.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .case import Case, Context
from .util import f32, ones
from .verdict import DataLost, expect_close, expect_equal, expect_raises

CASES: list[Case] = []


def _case(name: str, fn: Any, **kw: Any) -> None:
    CASES.append(Case(f"variables/{name}", "variables", fn, **kw))


def _uninit(kind: str, ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2), name="never_init")
    w = tf.Variable(f32(3, 4), name="has_init")
    fetch = {"read": lambda: v, "expression": lambda: v * 2.0 + w, "assign_add": lambda: tf.assign_add(v, ones(2)),
             "gradient_step": lambda: tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(v * w)),
             "adam_step": lambda: tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(v * w)),
             "scatter_read": lambda: tf.gather(v, [1])}[kind]()
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(w.initializer)
        expect_raises(lambda: sess.run(fetch), tf.errors.FailedPreconditionError, "never_init")
        expect_close(sess.run(w), f32(3, 4), what="the initialized variable after the failed run")


for _k in ("read", "expression", "assign_add", "gradient_step", "adam_step", "scatter_read"):
    _case(f"uninitialized/{_k}", functools.partial(_uninit, _k), quick=_k == "expression")


def _init_needs_feed(ctx: Context) -> None:
    import graphc as tf

    p = tf.placeholder(tf.float32, [2], name="init_value")
    v = tf.Variable(p)
    with tf.Session(backend=ctx.backend) as sess:
        expect_raises(lambda: sess.run(v.initializer), tf.errors.InvalidArgumentError, "init_value")
        sess.run(v.initializer, {p: f32(5, 6)})
        expect_close(sess.run(v), f32(5, 6))


def _init_from_other(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    w = tf.Variable(v.initialized_value() * 3.0)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        expect_close(sess.run(w), f32(3, 6))


def _reinitialize(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        sess.run(tf.assign_add(v, ones(2)))
        sess.run(v.initializer)
        expect_close(sess.run(v), f32(1, 2))


def _is_initialized(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    with tf.Session(backend=ctx.backend) as sess:
        expect_equal(bool(sess.run(tf.is_variable_initialized(v))), False, "before init")
        sess.run(v.initializer)
        expect_equal(bool(sess.run(tf.is_variable_initialized(v))), True, "after init")


for _n, _f in [("initializer_needs_feed", _init_needs_feed), ("initialized_value", _init_from_other),
               ("reinitialize_resets", _reinitialize), ("is_variable_initialized", _is_initialized)]:
    _case(f"init/{_n}", _f)


# ------------------------------------------------------------------------------------------------
# assigns of another shape

def _static_mismatch(op: str, ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    fn = getattr(tf, op)
    expect_raises(lambda: fn(v, ones(5)), ValueError)


for _op in ("assign", "assign_add", "assign_sub"):
    _case(f"shape/static_{_op}", functools.partial(_static_mismatch, _op))


def _dynamic_mismatch(op: str, fed: tuple, ctx: Context) -> None:
    """validate_shape=True (the default): InvalidArgumentError, and no variable of the run changes."""
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    w = tf.Variable(np.zeros(3, np.float32))
    p = tf.placeholder(tf.float32, None)      # unknown rank: only the run can tell
    step = tf.group(getattr(tf, op)(v, p), tf.assign_add(w, tf.ones(3)))
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        expect_raises(lambda: sess.run(step, {p: np.ones(fed, np.float32)}),
                      (tf.errors.InvalidArgumentError, ValueError))
        if sess.run(v).shape != (2,):
            raise DataLost(f"the (2,) variable became {sess.run(v).shape} after a rejected {op}")
        expect_close(sess.run(v), f32(1, 2), what="the variable after a rejected assign")
        w_now = sess.run(w)
        if not (np.array_equal(w_now, np.zeros(3)) or np.array_equal(w_now, np.ones(3))):
            raise DataLost(f"the other variable of the failed run holds {w_now}")


for _op in ("assign", "assign_add", "assign_sub"):
    for _fed in ((5,), (1,), (0,), (2, 1)):
        _case(f"shape/dynamic_{_op}_fed_{'x'.join(map(str, _fed))}", functools.partial(_dynamic_mismatch, _op, _fed),
              quick=(_op, _fed) == ("assign", (5,)))


def _no_validate(shape: tuple, ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    p = tf.placeholder(tf.float32, None)
    value = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        expect_close(sess.run(tf.assign(v, p, validate_shape=False), {p: value}), value)
        expect_close(sess.run(v), value, what="the variable after the shape-changing assign")


for _s in ((5,), (0,), (2, 3), ()):
    _case(f"shape/validate_false_to_{'x'.join(map(str, _s)) or 'scalar'}", functools.partial(_no_validate, _s))


def _no_validate_then_compute(unknown: bool, ctx: Context) -> None:
    """TF1's kernels take run-time shapes: an expression over the reshaped variable just works."""
    import graphc as tf

    v = tf.Variable(f32(1, 2), validate_shape=not unknown)
    p = tf.placeholder(tf.float32, None)
    value = np.arange(5, dtype=np.float32)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        sess.run(tf.assign(v, p, validate_shape=False), {p: value})
        expect_close(sess.run(tf.identity(v) * 2.0), value * 2, what="an expression over the reshaped variable")


_case("shape/validate_false_then_expression", functools.partial(_no_validate_then_compute, False))
_case("shape/validate_false_variable_then_expression", functools.partial(_no_validate_then_compute, True))


def _dtype_mismatch(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    expect_raises(lambda: tf.assign(v, tf.constant([1, 2], tf.int32)), (TypeError, ValueError))


_case("shape/assign_other_dtype", _dtype_mismatch)


def _failed_run_keeps_state(kind: str, ctx: Context) -> None:
    """A run that fails (missing feed, bad index) leaves each variable before or after, never garbage."""
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    x = tf.placeholder(tf.float32, [2])
    idx = tf.placeholder(tf.int32, [1])
    with tf.control_dependencies([tf.assign_add(v, ones(2))]):
        bad = {"missing_feed": lambda: x * 2.0,
               "gather_out_of_range": lambda: tf.gather(tf.identity(v), idx)}[kind]()
    feed = {idx: np.array([7], np.int32)} if kind != "missing_feed" else None
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        expect_raises(lambda: sess.run(bad, feed), tf.errors.InvalidArgumentError)
        now = sess.run(v)
        if not (np.array_equal(now, f32(1, 2)) or np.array_equal(now, f32(2, 3))):
            raise DataLost(f"the variable holds {now} after a failed run")


for _k in ("missing_feed", "gather_out_of_range"):
    _case(f"failed_run/{_k}", functools.partial(_failed_run_keeps_state, _k))


# ------------------------------------------------------------------------------------------------
# get_variable and optimizers

def _share_other_shape(ctx: Context) -> None:
    import graphc as tf

    with tf.variable_scope("s"):
        tf.get_variable("w", [2])
    def again() -> Any:
        with tf.variable_scope("s", reuse=True):
            return tf.get_variable("w", [3])
    expect_raises(again, ValueError)


def _no_gradients(ctx: Context) -> None:
    import graphc as tf

    tf.Variable(1.0)
    x = tf.placeholder(tf.float32, [])
    expect_raises(lambda: tf.train.GradientDescentOptimizer(0.1).minimize(x * 2.0), ValueError)


def _apply_none(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(1.0)
    expect_raises(lambda: tf.train.GradientDescentOptimizer(0.1).apply_gradients([(None, v)]), ValueError)


def _int_overflow(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(np.array([2 ** 31 - 1], np.int32))
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        expect_equal(sess.run(tf.assign_add(v, np.array([1], np.int32))), np.array([-2 ** 31], np.int32))


def _callable_initial(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(lambda: tf.ones([2]) * 4.0)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        expect_close(sess.run(v), f32(4, 4))


def _fetched_not_aliased(kind: str, ctx: Context) -> None:
    """A value fetched earlier never changes when the variable is updated later (TF1 copies out)."""
    import graphc as tf

    v = tf.Variable(np.arange(4, dtype=np.float32))
    update = {"assign_add": lambda: tf.assign_add(v, tf.ones([4])),
              "sgd": lambda: tf.train.GradientDescentOptimizer(0.5).minimize(tf.reduce_sum(v * v)),
              "assign": lambda: tf.assign(v, tf.zeros([4]))}[kind]()
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        for _ in range(2):
            sess.run(update)
        sess.run(v.initializer)
        early = sess.run(v)
        kept = early.copy()
        sess.run(update)
        sess.run(update)
    expect_equal(early, kept, "a fetched value after later updates of its variable")


def _runs_once(kind: str, ctx: Context) -> None:
    """An op named several times in one run (fetches, group, control deps) runs once."""
    import graphc as tf

    v = tf.Variable(0.0)
    inc = tf.assign_add(v, 1.0)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        if kind == "fetched_twice":
            sess.run([inc, inc, {"again": inc}])
        elif kind == "grouped_twice":
            sess.run(tf.group(inc, inc, tf.group(inc)))
        else:
            with tf.control_dependencies([inc]):
                a = tf.identity(tf.constant(1.0))
                b = tf.identity(tf.constant(2.0))
            sess.run([a, b, inc])
        expect_equal(float(sess.run(v)), 1.0, "the variable after one run naming its update several times")


for _k in ("assign_add", "sgd", "assign"):
    _case(f"misc/fetched_value_not_aliased_{_k}", functools.partial(_fetched_not_aliased, _k))
for _k in ("fetched_twice", "grouped_twice", "control_deps_and_fetch"):
    _case(f"misc/update_runs_once_{_k}", functools.partial(_runs_once, _k))


for _n, _f in [("get_variable_share_other_shape", _share_other_shape), ("minimize_without_gradients", _no_gradients),
               ("apply_none_gradients", _apply_none), ("int32_assign_add_wraps", _int_overflow),
               ("callable_initial_value", _callable_initial)]:
    _case(f"misc/{_n}", _f)
