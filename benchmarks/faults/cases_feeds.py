"""Feeds: dtypes TF1 converts or rejects, shapes and ranks, NaN/Inf, huge shapes, unusual numpy
layouts, Python values, ragged lists, feeding tensors that are not placeholders, bad keys.

TF1 (session.py): a feed value goes through ``np.asarray(value, dtype=placeholder_dtype)``; a
Python int that does not fit is a TypeError, a tf.Tensor value a TypeError; a shape that is not
compatible with the tensor's static shape is ``ValueError('Cannot feed value of shape ...')``; a
key that is not a tensor of the session's graph is a TypeError; an unfed placeholder is
InvalidArgumentError at run time. Any tensor may be fed (its producers then need no feed).
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .case import Case, Context
from .util import f32, ones, run
from .verdict import (
    expect_close,
    expect_dtype,
    expect_equal,
    expect_raises,
    is_error_spec,
)

CASES: list[Case] = []


def _case(name: str, fn: Any, **kw: Any) -> None:
    CASES.append(Case(f"feeds/{name}", "feeds", fn, **kw))


# ------------------------------------------------------------------------------------------------
# dtypes: (placeholder dtype, fed value, result of x + 0 TF1 returns or the error class)

def _dtype_case(ph_dtype: str, value: Any, want: Any, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(getattr(tf, ph_dtype), name="x")
    y = tf.identity(x) if ph_dtype == "bool" else x + tf.zeros([], getattr(tf, ph_dtype))
    if is_error_spec(want):
        expect_raises(lambda: run(ctx, y, {x: value}), want)
        return
    got = run(ctx, y, {x: value})
    expect_dtype(got, getattr(np, ph_dtype if ph_dtype != "bool" else "bool_"))
    expect_equal(np.asarray(got), np.asarray(want, dtype=got.dtype))


_DTYPES = [
    ("f32_from_f64", "float32", np.array([1.5, -2.25], np.float64), [1.5, -2.25]),
    ("f32_from_i64", "float32", np.array([3, -4], np.int64), [3.0, -4.0]),
    ("f32_from_bool", "float32", np.array([True, False]), [1.0, 0.0]),
    ("f32_from_f16", "float32", np.array([0.5, 2.0], np.float16), [0.5, 2.0]),
    ("f32_from_u8", "float32", np.array([0, 255], np.uint8), [0.0, 255.0]),
    ("f32_from_object_array", "float32", np.array([1.0, 2], dtype=object), [1.0, 2.0]),
    ("f64_from_f32", "float64", np.array([0.1], np.float32), np.array([0.1], np.float32).astype(np.float64)),
    ("i32_from_float_truncates", "int32", np.array([1.7, -2.7]), [1, -2]),
    ("i32_from_i64_small", "int32", np.array([7, -8], np.int64), [7, -8]),
    ("i64_from_i32", "int64", np.array([2 ** 31 - 1], np.int32), [2 ** 31 - 1]),
    ("i64_from_big_python_int", "int64", 2 ** 40, 2 ** 40),
    ("bool_from_ints", "bool", [0, 1, 2], [False, True, True]),
    ("i32_from_python_int_too_big", "int32", 2 ** 40, TypeError),
    ("i32_from_python_int_too_small", "int32", -2 ** 40, TypeError),
    ("f32_from_text", "float32", "abc", ValueError),
    ("f32_from_text_list", "float32", ["a", "b"], ValueError),
    ("f32_from_dict", "float32", {"a": 1}, (TypeError, ValueError)),
    ("f32_from_set", "float32", {1.0, 2.0}, (TypeError, ValueError)),
    ("f32_from_object", "float32", object(), (TypeError, ValueError)),
    ("i32_from_text", "int32", "12x", ValueError),
]
for _n, _d, _v, _w in _DTYPES:
    _case(f"dtype/{_n}", functools.partial(_dtype_case, _d, _v, _w), quick=_n == "i32_from_python_int_too_big")


def _tensor_as_value(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    expect_raises(lambda: run(ctx, x * 2.0, {x: tf.constant([1.0, 2.0])}), TypeError, "tensor")


def _variable_as_value(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    v = tf.Variable([1.0, 2.0])
    expect_raises(lambda: run(ctx, x * 2.0, {x: v}), (TypeError, ValueError))


_case("dtype/tensor_as_value", _tensor_as_value)
_case("dtype/variable_as_value", _variable_as_value)


# ------------------------------------------------------------------------------------------------
# shapes: (placeholder shape, fed shape, accepted?)

_SHAPES = [
    ([3], (4,), False), ([3], (1, 3), False), ([3], (), False), ([3], (3, 1), False), ([3], (0,), False),
    ([None, 3], (2, 4), False), ([None, 3], (3,), False), ([None, 3], (2, 3, 1), False), ([None, 3], (), False),
    ([2, None], (3, 5), False), ([], (1,), False), ([], (2, 2), False), ([1], (), False),
    ([2, 3], (3, 2), False), ([None, None], (4,), False), ([None, 1], (3, 2), False),
    ([None, 3], (0, 3), True), ([None, 3], (5, 3), True), ([None, None], (2, 7), True),
    (None, (2, 3, 4), True), (None, (), True), ([], (), True), ([2, None, 4], (2, 0, 4), True),
]


def _shape_case(ph_shape: Any, fed: tuple, ok: bool, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, ph_shape, name="x")
    y = x * 2.0 + 1.0
    value = np.arange(int(np.prod(fed)), dtype=np.float32).reshape(fed)
    if ok:
        expect_close(run(ctx, y, {x: value}), value * 2 + 1)
    else:
        expect_raises(lambda: run(ctx, y, {x: value}), ValueError, r"cannot feed value of shape")


for _ps, _fs, _ok in _SHAPES:
    _name = f"shape/{'any' if _ps is None else 'x'.join('N' if d is None else str(d) for d in _ps) or 'scalar'}" \
            f"_fed_{'x'.join(map(str, _fs)) or 'scalar'}"
    _case(_name, functools.partial(_shape_case, _ps, _fs, _ok), quick=_name == "shape/Nx3_fed_2x4")


# ------------------------------------------------------------------------------------------------
# NaN / Inf propagate as IEEE arithmetic does (TF1 has no checks unless asked for)

def _nan_case(build: Any, value: Any, want: Any, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None])
    with np.errstate(all="ignore"):
        expect_close(run(ctx, build(tf, x), {x: f32(*value)}), np.asarray(want, np.float32))


_NANS = [
    ("add_nan", lambda tf, x: x + 1.0, [np.nan, 1.0], [np.nan, 2.0]),
    ("mul_inf_zero", lambda tf, x: x * 0.0, [np.inf, 1.0], [np.nan, 0.0]),
    ("exp_inf", lambda tf, x: tf.exp(x), [np.inf, -np.inf, np.nan], [np.inf, 0.0, np.nan]),
    ("tanh_inf", lambda tf, x: tf.tanh(x), [np.inf, -np.inf], [1.0, -1.0]),
    ("sigmoid_inf", lambda tf, x: tf.sigmoid(x), [np.inf, -np.inf, -1000.0], [1.0, 0.0, 0.0]),
    ("log_zero_negative", lambda tf, x: tf.log(x), [0.0, -1.0], [-np.inf, np.nan]),
    ("sqrt_negative", lambda tf, x: tf.sqrt(x), [-1.0, 4.0], [np.nan, 2.0]),
    ("divide_by_zero", lambda tf, x: 1.0 / x, [0.0, -0.0, 2.0], [np.inf, -np.inf, 0.5]),
    ("sum_inf_minus_inf", lambda tf, x: tf.reduce_sum(x), [np.inf, -np.inf], np.nan),
    ("mean_with_nan", lambda tf, x: tf.reduce_mean(x), [1.0, np.nan], np.nan),
    ("sum_overflow_to_inf", lambda tf, x: tf.reduce_sum(x), [3e38, 3e38], np.inf),
    ("square_overflow", lambda tf, x: tf.square(x), [1e20], [np.inf]),
    ("matmul_nan_row", lambda tf, x: tf.matmul(tf.reshape(x, [2, 1]), tf.ones([1, 2])), [np.nan, 1.0],
     [[np.nan, np.nan], [1.0, 1.0]]),
    ("softmax_large_logits", lambda tf, x: tf.nn.softmax(x), [1000.0, 1000.0], [0.5, 0.5]),
    ("softmax_inf", lambda tf, x: tf.nn.softmax(x), [np.inf, 1.0], [np.nan, np.nan]),
    ("xent_large_logits",
     lambda tf, x: tf.nn.softmax_cross_entropy_with_logits_v2(labels=[1.0, 0.0], logits=x), [1000.0, -1000.0], 0.0),
]
for _n, _b, _v, _w in _NANS:
    _case(f"nan_inf/{_n}", functools.partial(_nan_case, _b, _v, _w), quick=_n == "exp_inf")


def _nan_training(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None, 2])
    w = tf.Variable(ones(2, 1))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step, {x: np.array([[np.nan, 1.0]], np.float32)})
        expect_equal(np.isnan(sess.run(w)).all(), True, "w after a NaN step is all NaN")


_case("nan_inf/training_step_with_nan_feed", _nan_training)


# ------------------------------------------------------------------------------------------------
# huge shapes: a run that would allocate terabytes is ResourceExhaustedError (issue 12, item 8)

def _huge_case(kind: str, ctx: Context) -> None:
    import graphc as tf

    big = (1 << 20, 1 << 20)
    if kind == "broadcast_feed":
        x = tf.placeholder(tf.float32, [None, None])
        fn = lambda: run(ctx, x + 1.0, {x: np.broadcast_to(np.float32(1), big)})
    elif kind == "zeros_of_fed_shape":
        s = tf.placeholder(tf.int32, [2])
        fn = lambda: run(ctx, tf.zeros(s) + 1.0, {s: np.array(big, np.int32)})
    elif kind == "fill_of_fed_shape":
        s = tf.placeholder(tf.int32, [2])
        fn = lambda: run(ctx, tf.fill(s, 2.0), {s: np.array(big, np.int32)})
    elif kind == "tile_multiples":
        x = tf.placeholder(tf.float32, [2, 2])
        m = tf.placeholder(tf.int32, [2])
        fn = lambda: run(ctx, tf.tile(x, m), {x: ones(2, 2), m: np.array(big, np.int32)})
    else:   # reduce of a huge broadcast feed: reading it needs no copy, but TF1 copies feeds
        x = tf.placeholder(tf.float32, [None, None])
        fn = lambda: run(ctx, tf.exp(x) * 2.0, {x: np.broadcast_to(np.float32(0), big)})
    expect_raises(fn, tf.errors.ResourceExhaustedError)


for _k in ("broadcast_feed", "zeros_of_fed_shape", "fill_of_fed_shape", "tile_multiples", "exp_of_broadcast_feed"):
    _case(f"huge/{_k}", functools.partial(_huge_case, _k), timeout=60)


def _negative_dim(ctx: Context) -> None:
    import graphc as tf

    s = tf.placeholder(tf.int32, [2])
    expect_raises(lambda: run(ctx, tf.zeros(s) + 1.0, {s: np.array([-1, 3], np.int32)}),
                  tf.errors.InvalidArgumentError)


_case("huge/negative_dimension", _negative_dim)


# ------------------------------------------------------------------------------------------------
# numpy layouts: every one gives the same numbers, and the fed array is never written

def _layout(kind: str) -> np.ndarray:
    base = np.arange(24, dtype=np.float32).reshape(4, 6) / 7
    if kind == "strided":
        return base[::2, ::2]
    if kind == "fortran":
        return np.asfortranarray(base[:, :3])
    if kind == "transposed":
        return base.T[:3]
    if kind == "reversed":
        return base[::-1, ::-2]
    if kind == "read_only":
        a = base[:, :3].copy()
        a.flags.writeable = False
        return a
    if kind == "big_endian":
        return base[:, :3].astype(">f4")
    if kind == "unaligned":
        raw = np.zeros(4 * 12 + 1, np.uint8)
        a = raw[1:].view(np.float32).reshape(4, 3)
        a[...] = base[:, :3]
        return a
    if kind == "zero_stride":
        return np.broadcast_to(np.float32(0.5), (4, 3))
    if kind == "f64_strided":
        return base.astype(np.float64)[:, 1::2]
    raise ValueError(kind)


_LAYOUTS = ("strided", "fortran", "transposed", "reversed", "read_only", "big_endian", "unaligned",
            "zero_stride", "f64_strided")


def _layout_case(kind: str, ctx: Context) -> None:
    import graphc as tf

    value = _layout(kind)
    before = np.array(value, copy=True)
    x = tf.placeholder(tf.float32, [None, value.shape[1]])
    fetches = [x * 2.0 + 1.0, tf.reduce_sum(x, axis=1), tf.matmul(x, tf.ones([value.shape[1], 2])), tf.transpose(x)]
    got = run(ctx, fetches, {x: value})
    v = np.asarray(value, np.float32)
    wants = [v * 2 + 1, v.sum(axis=1), v @ np.ones((v.shape[1], 2), np.float32), v.T]
    for g, w in zip(got, wants):
        expect_close(g, w, rtol=1e-5)
    expect_equal(np.asarray(value), before, "the fed array after the run")


def _layout_into_variable(kind: str, ctx: Context) -> None:
    """Assigning a fed array to a variable, then updating the variable, must not write the feed."""
    import graphc as tf

    value = _layout(kind)
    before = np.array(value, copy=True)
    v = tf.Variable(np.zeros(value.shape, np.float32))
    p = tf.placeholder(tf.float32, value.shape)
    assign = tf.assign(v, p)
    bump = tf.assign_add(v, tf.ones(value.shape))
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        sess.run(assign, {p: value})
        sess.run(bump)
        expect_close(sess.run(v), np.asarray(before, np.float32) + 1)
    expect_equal(np.asarray(value), before, "the fed array after the variable was updated")


for _k in _LAYOUTS:
    _case(f"layout/{_k}", functools.partial(_layout_case, _k), quick=_k == "fortran")
for _k in ("strided", "fortran", "big_endian"):
    _case(f"layout/{_k}_into_variable", functools.partial(_layout_into_variable, _k))


def _contiguous_feed_into_variable(ctx: Context) -> None:
    """The plainest aliasing hazard: a contiguous float32 feed assigned, then the variable bumped."""
    _layout_into_variable_value(ctx, np.arange(6, dtype=np.float32).reshape(2, 3))


def _layout_into_variable_value(ctx: Context, value: np.ndarray) -> None:
    import graphc as tf

    before = value.copy()
    v = tf.Variable(np.zeros(value.shape, np.float32))
    p = tf.placeholder(tf.float32, value.shape)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        sess.run(tf.assign(v, p), {p: value})
        sess.run(tf.assign_add(v, tf.ones(value.shape)))
        sess.run(tf.assign_sub(v, tf.zeros(value.shape)))
    expect_equal(value, before, "the fed array after the variable was updated")


_case("layout/contiguous_into_variable", _contiguous_feed_into_variable)


def _memmap(ctx: Context) -> None:
    """A read-only memory-mapped file as a feed: right results, the file untouched."""
    import os

    import graphc as tf

    path = os.path.join(ctx.scratch, "data.f32")
    data = (np.arange(12, dtype=np.float32) / 3).reshape(4, 3)
    data.tofile(path)
    value = np.memmap(path, dtype=np.float32, mode="r", shape=(4, 3))
    v = tf.Variable(np.zeros((4, 3), np.float32))
    p = tf.placeholder(tf.float32, [None, 3])
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        got = sess.run([p * 2.0, tf.reduce_sum(p, axis=1)], {p: value})
        sess.run(tf.assign(v, p), {p: value})
        sess.run(tf.assign_add(v, tf.ones([4, 3])))
    expect_close(got[0], data * 2)
    expect_close(got[1], data.sum(axis=1))
    expect_equal(np.fromfile(path, np.float32).reshape(4, 3), data, "the memory-mapped file after the runs")


_case("layout/memmap_read_only", _memmap)


def _fetch_then_mutate(ctx: Context) -> None:
    """Writing into a fetched variable value must not change the variable (TF1 returns copies)."""
    import graphc as tf

    v = tf.Variable(f32(1.0, 2.0))
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        got = sess.run(v)
        if got.flags.writeable:
            got[0] = 99.0
        expect_close(sess.run(v), f32(1.0, 2.0), what="the variable after its fetched value was written")


_case("layout/fetched_value_written_by_user", _fetch_then_mutate)


# ------------------------------------------------------------------------------------------------
# Python values and ragged lists

_PYTHON = [
    ("scalar_int", [], 3, 3.0),
    ("scalar_float", [], 2.5, 2.5),
    ("scalar_numpy_f64", [], np.float64(0.25), 0.25),
    ("list", [3], [1, 2, 3], [1.0, 2.0, 3.0]),
    ("tuple", [None], (1.0, 2.0), [1.0, 2.0]),
    ("nested_list", [2, 2], [[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]),
    ("list_of_numpy_scalars", [2], [np.float32(1), np.int64(2)], [1.0, 2.0]),
    ("empty_list", [None], [], np.zeros(0, np.float32)),
    ("bool_scalar", [], True, 1.0),
    ("ragged_rows", [None, None], [[1, 2], [3]], ValueError),
    ("ragged_mixed", [None], [[1, 2], 3], ValueError),
    ("ragged_deep", [None, None, None], [[[1]], [[1, 2]]], ValueError),
    ("list_of_text", [2], ["x", "y"], ValueError),
    ("list_with_none", [2], [1.0, "?"], ValueError),
]


def _python_case(shape: list, value: Any, want: Any, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, shape)
    if is_error_spec(want):
        expect_raises(lambda: run(ctx, x + 0.0, {x: value}), want)
    else:
        expect_close(run(ctx, x + 0.0, {x: value}), np.asarray(want, np.float32))


for _n, _s, _v, _w in _PYTHON:
    _case(f"python/{_n}", functools.partial(_python_case, _s, _v, _w), quick=_n == "ragged_rows")


# ------------------------------------------------------------------------------------------------
# keys: feeding tensors that are not placeholders, names, other graphs, non-tensors

def _feed_intermediate(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    y = x * 2.0
    z = y + 1.0
    expect_close(run(ctx, z, {y: f32(10, 20)}), f32(11, 21))


def _feed_constant(ctx: Context) -> None:
    import graphc as tf

    c = tf.constant(1.0)
    expect_close(run(ctx, c + 1.0, {c: 5.0}), 6.0)


def _feed_variable(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2))
    with tf.Session(backend=ctx.backend) as sess:     # not initialized: the fed value replaces it
        expect_close(sess.run(v * 3.0, {v: f32(5, 6)}), f32(15, 18))


def _feed_intermediate_wrong_shape(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    y = x * 2.0
    expect_raises(lambda: run(ctx, y + 1.0, {y: f32(1, 2, 3)}), ValueError, "cannot feed value of shape")


def _feed_and_fetch_same(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    y = x * 2.0
    got = run(ctx, [x, y, y + 1.0], {x: f32(1, 2), y: f32(7, 8)})
    expect_close(got[0], f32(1, 2))
    expect_close(got[1], f32(7, 8))
    expect_close(got[2], f32(8, 9))


def _feed_by_name(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2], name="inp")
    expect_close(run(ctx, x * 2.0, {"inp:0": f32(1, 2)}), f32(2, 4))


def _feed_by_op_name(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2], name="inp")
    expect_raises(lambda: run(ctx, x * 2.0, {"inp": f32(1, 2)}), TypeError)


def _feed_missing_name(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2], name="inp")
    expect_raises(lambda: run(ctx, x * 2.0, {x: f32(1, 2), "nope:0": f32(1, 2)}), TypeError)


def _feed_operation(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    expect_raises(lambda: run(ctx, x * 2.0, {x.op: f32(1, 2)}), TypeError)


def _feed_int_key(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    expect_raises(lambda: run(ctx, x * 2.0, {x: f32(1, 2), 3: f32(1, 2)}), TypeError)


def _feed_other_graph(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    with tf.Graph().as_default():
        other = tf.placeholder(tf.float32, [2])
    expect_raises(lambda: run(ctx, x * 2.0, {x: f32(1, 2), other: f32(1, 2)}), TypeError)


def _missing_feed(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2], name="needed")
    expect_raises(lambda: run(ctx, x * 2.0), tf.errors.InvalidArgumentError, "needed")


def _missing_feed_via_control(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2], name="needed_too")
    with tf.control_dependencies([tf.identity(x)]):
        y = tf.constant(1.0) + 1.0
    expect_raises(lambda: run(ctx, y), tf.errors.InvalidArgumentError, "needed_too")


def _default_not_fed(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder_with_default(f32(1, 2), [None])
    expect_close(run(ctx, x * 2.0), f32(2, 4))
    expect_close(run(ctx, x * 2.0, {x: f32(5, 6, 7)}), f32(10, 12, 14))


def _default_wrong_shape(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder_with_default(f32(1, 2), [2])
    expect_raises(lambda: run(ctx, x * 2.0, {x: f32(5, 6, 7)}), ValueError, "cannot feed value of shape")


def _feed_dict_not_dict(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    expect_raises(lambda: run(ctx, x * 2.0, [(x, f32(1, 2))]), TypeError)


_KEYS = [
    ("intermediate_tensor", _feed_intermediate), ("constant", _feed_constant), ("variable", _feed_variable),
    ("intermediate_wrong_shape", _feed_intermediate_wrong_shape), ("feed_and_fetch_same", _feed_and_fetch_same),
    ("by_name", _feed_by_name), ("by_op_name", _feed_by_op_name), ("missing_name", _feed_missing_name),
    ("operation", _feed_operation), ("int_key", _feed_int_key), ("other_graph", _feed_other_graph),
    ("missing_feed", _missing_feed), ("missing_feed_via_control_dep", _missing_feed_via_control),
    ("placeholder_with_default", _default_not_fed), ("placeholder_with_default_wrong_shape", _default_wrong_shape),
    ("feed_dict_is_a_list", _feed_dict_not_dict),
]
for _n, _f in _KEYS:
    _case(f"keys/{_n}", _f, quick=_n == "intermediate_tensor")
