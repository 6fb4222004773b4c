"""Ops on valid but edge inputs: empty tensors, ops with more than 32 inputs, slices and gathers
out of bounds, run-time shape errors, long fused transcendental chains (time-capped) and graphs of
thousands of nodes.

TF1: empty tensors flow through every op (a sum of nothing is 0, a mean NaN, a product 1, a
matmul with an empty inner dimension zeros); out-of-bounds slices, gathers and segment ids, and
run-time shape mismatches are InvalidArgumentError; static ones are ValueError when built.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Case, Context
from .util import f32, run
from .verdict import Wrong, expect_close, expect_raises

CASES: list[Case] = []


def _case(name: str, fn: Any, **kw: Any) -> None:
    CASES.append(Case(f"ops/{name}", "ops", fn, **kw))


def _z(*shape: int) -> np.ndarray:
    return np.zeros(shape, np.float32)


# ------------------------------------------------------------------------------------------------
# empty tensors: (name, builder over a placeholder of the fed value's rank, fed value, TF1 result)

def _empty(build: Callable[[Any, Any], Any], value: np.ndarray, want: Any, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None] * value.ndim)
    with np.errstate(all="ignore"):
        expect_close(run(ctx, build(tf, x), {x: value}), np.asarray(want, np.float32))


_EMPTY = [
    ("matmul_empty_batch", lambda tf, x: tf.matmul(x, tf.ones([3, 2])), _z(0, 3), _z(0, 2)),
    ("matmul_empty_inner", lambda tf, x: tf.matmul(x, tf.ones([0, 2])) + 1.0, _z(3, 0), np.ones((3, 2))),
    ("matmul_empty_output", lambda tf, x: tf.matmul(x, tf.ones([3, 0])), _z(2, 3), _z(2, 0)),
    ("matmul_empty_transpose_a", lambda tf, x: tf.matmul(x, tf.ones([0, 2]), transpose_a=True), _z(0, 4), _z(4, 2)),
    ("batched_matmul_empty", lambda tf, x: tf.matmul(x, tf.ones([0, 3, 4])), _z(0, 2, 3), _z(0, 2, 4)),
    ("dense_layer_empty_batch", lambda tf, x: tf.nn.relu(tf.matmul(x, tf.ones([3, 2])) + tf.ones([2])), _z(0, 3),
     _z(0, 2)),
    ("reduce_sum_all", lambda tf, x: tf.reduce_sum(x), _z(0), 0.0),
    ("reduce_sum_axis0", lambda tf, x: tf.reduce_sum(x, axis=0), _z(0, 3), _z(3)),
    ("reduce_sum_axis1", lambda tf, x: tf.reduce_sum(x, axis=1), _z(0, 3), _z(0)),
    ("reduce_mean_all", lambda tf, x: tf.reduce_mean(x), _z(0), np.nan),
    ("reduce_mean_axis1", lambda tf, x: tf.reduce_mean(x, axis=1), _z(2, 0), [np.nan, np.nan]),
    ("reduce_prod_all", lambda tf, x: tf.reduce_prod(x), _z(0), 1.0),
    ("reduce_max_axis1_empty_rows", lambda tf, x: tf.reduce_max(x, axis=1), _z(0, 3), _z(0)),
    ("concat_empty_and_full", lambda tf, x: tf.concat([x, tf.ones([2, 3])], 0), _z(0, 3), np.ones((2, 3))),
    ("concat_two_empty", lambda tf, x: tf.concat([x, x], 0), _z(0, 3), _z(0, 3)),
    ("concat_axis1_empty", lambda tf, x: tf.concat([x, tf.ones([2, 1])], 1), _z(2, 0), np.ones((2, 1))),
    ("elementwise_chain", lambda tf, x: tf.tanh(tf.exp(x) * 2.0 + 1.0), _z(0, 5), _z(0, 5)),
    ("softmax_empty_batch", lambda tf, x: tf.nn.softmax(x), _z(0, 3), _z(0, 3)),
    ("xent_empty_batch", lambda tf, x: tf.nn.softmax_cross_entropy_with_logits_v2(labels=x, logits=x), _z(0, 3),
     _z(0)),
    ("transpose_empty", lambda tf, x: tf.transpose(x), _z(0, 3), _z(3, 0)),
    ("gather_empty_indices", lambda tf, x: tf.gather(x, tf.zeros([0], tf.int32)), _z(4, 2), _z(0, 2)),
    ("tile_empty", lambda tf, x: tf.tile(x, [3, 2]), _z(0, 2), _z(0, 4)),
    ("reshape_empty", lambda tf, x: tf.reshape(x, [-1, 4]), _z(0, 2), _z(0, 4)),
    ("conv2d_empty_batch", lambda tf, x: tf.nn.conv2d(x, tf.ones([3, 3, 1, 2]), [1, 1, 1, 1], "SAME"),
     _z(0, 4, 4, 1), _z(0, 4, 4, 2)),
    ("max_pool_empty_batch", lambda tf, x: tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), _z(0, 4, 4, 1),
     _z(0, 2, 2, 1)),
    ("gradient_of_empty_batch", lambda tf, x: tf.gradients(tf.reduce_sum(tf.matmul(x, tf.ones([3, 2]))), x)[0],
     _z(0, 3), _z(0, 3)),
]
for _n, _b, _v, _w in _EMPTY:
    _case(f"empty/{_n}", functools.partial(_empty, _b, _v, _w), quick=_n == "matmul_empty_batch")


# ------------------------------------------------------------------------------------------------
# more inputs than a fused kernel may read (issue 12 item 3: > 32)

def _many(kind: str, n: int, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [3])
    terms = [x * float(i) for i in range(n)]
    xs = f32(1, 2, 3)
    ws = [xs * i for i in range(n)]
    if kind == "add_n":
        expect_close(run(ctx, tf.add_n(terms), {x: xs}), sum(ws), rtol=1e-6)
    elif kind == "add_n_placeholders":
        ps = [tf.placeholder(tf.float32, [3]) for _ in range(n)]
        expect_close(run(ctx, tf.add_n(ps) * 2.0, {p: w for p, w in zip(ps, ws)}), sum(ws) * 2, rtol=1e-6)
    elif kind == "concat":
        expect_close(run(ctx, tf.concat(terms, 0) + 1.0, {x: xs}), np.concatenate(ws) + 1)
    elif kind == "stack":
        expect_close(run(ctx, tf.stack(terms), {x: xs}), np.stack(ws))
    elif kind == "gradient":
        g = tf.gradients(tf.reduce_sum(tf.add_n([tf.square(t) for t in terms])), x)[0]
        expect_close(run(ctx, g, {x: xs}), sum(2 * i * i * xs for i in range(n)), rtol=1e-5)
    else:
        raise ValueError(kind)


for _k, _n in [("add_n", 33), ("add_n", 64), ("add_n", 200), ("add_n_placeholders", 33), ("add_n_placeholders", 100),
               ("concat", 33), ("concat", 100), ("stack", 40), ("gradient", 40)]:
    _case(f"many_inputs/{_k}_{_n}", functools.partial(_many, _k, _n), quick=(_k, _n) == ("add_n", 33))


def _regularized_33_layers(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, (2, 3))
    h = x
    for i in range(33):
        h = tf.layers.dense(h, 3, kernel_regularizer=lambda w: 0.01 * tf.reduce_sum(tf.square(w)),
                            kernel_initializer=tf.constant_initializer(0.1), name=f"d{i}")
    loss = tf.reduce_mean(h) + tf.losses.get_regularization_loss()
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {x: np.arange(6, dtype=np.float32).reshape(2, 3) / 6}
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss, feed)
        sess.run(step, feed)
        after = sess.run(loss, feed)
    # every kernel is 0.1 and biases 0: reg = 33 * 9 * 0.01 * 0.01, mean of h is tiny
    expect_close(before, 33 * 9 * 0.0001 + np.mean(feed[x] @ np.full((3, 3), 0.1) @ np.linalg.matrix_power(
        np.full((3, 3), 0.1, np.float32), 32)), rtol=1e-4)
    if not after < before:
        raise Wrong("a gradient step did not lower the loss")


_case("many_inputs/regularized_33_layers", _regularized_33_layers, timeout=120)


# ------------------------------------------------------------------------------------------------
# out of bounds and run-time shape errors

def _bad_run(build: Callable[[Any, Any], Any], value: np.ndarray, match: str, ctx: Context) -> None:
    """The input's rank is unknown when built, so only the run can see the problem."""
    import graphc as tf

    x = tf.placeholder(tf.float32, None)
    y = build(tf, x)
    expect_raises(lambda: run(ctx, y, {x: value}), tf.errors.InvalidArgumentError, match)


_X4 = np.arange(4, dtype=np.float32)
_X23 = np.arange(6, dtype=np.float32).reshape(2, 3)
_BAD = [
    ("slice_size_past_end", lambda tf, x: tf.slice(x, [2], [5]), _X4, "slice"),
    ("slice_begin_past_end", lambda tf, x: tf.slice(x, [6], [-1]), _X4, "slice"),
    ("slice_negative_begin", lambda tf, x: tf.slice(x, [-1], [1]), _X4, "slice"),
    ("slice_2d_past_end", lambda tf, x: tf.slice(x, [1, 1], [2, 2]), _X23, "slice"),
    ("slice_fed_begin", lambda tf, x: tf.slice(x, tf.constant([3]), [2]), _X4, "slice"),
    ("gather_past_end", lambda tf, x: tf.gather(x, [1, 4]), _X4, "4"),
    ("gather_negative", lambda tf, x: tf.gather(x, [-1]), _X4, "-1"),
    ("gather_2d_rows", lambda tf, x: tf.gather(x, [0, 2]), _X23, "2"),
    ("segment_id_out_of_range",
     lambda tf, x: tf.unsorted_segment_sum(x, tf.cast(x, tf.int32) * 2 - 1, 3), _X4, "segment|range|-1|5"),
    ("reshape_wrong_size", lambda tf, x: tf.reshape(x, [3, -1]), _X4, "reshape|shape"),
    ("reshape_two_unknowns", lambda tf, x: tf.reshape(x, [tf.shape(x)[0] + 1, 1]), _X4, "reshape|shape"),
    ("matmul_inner_mismatch", lambda tf, x: tf.matmul(x, tf.ones([4, 2])), _X23, "matmul|shape|dim"),
    ("add_incompatible", lambda tf, x: x + tf.ones([3]), _X4, "shape|broadcast|compatible"),
    ("concat_mismatch", lambda tf, x: tf.concat([x, tf.ones([2, 2])], 0), _X23, "concat|shape|dim"),
    ("split_uneven", lambda tf, x: tf.split(x, 3)[0], _X4, "split|divis|shape"),
    ("tile_wrong_rank", lambda tf, x: tf.tile(x, tf.constant([2, 2])), _X4, "tile|multiples|rank|dim|shape"),
    ("transpose_fed_rank", lambda tf, x: tf.transpose(x, [1, 0]), _X4, "transpose|perm|dim|rank|shape"),
    ("argmax_of_empty_axis", lambda tf, x: tf.argmax(x, axis=0), np.zeros((0, 3), np.float32), "empty|axis|0"),
    ("range_zero_delta", lambda tf, x: tf.range(0.0, 4.0, tf.reduce_sum(x) * 0.0), _X4, "delta|range"),
]
for _n, _b, _v, _m in _BAD:
    _case(f"bounds/{_n}", functools.partial(_bad_run, _b, _v, _m), quick=_n == "slice_size_past_end")


def _slice_ok(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None, 3])
    got = run(ctx, [tf.slice(x, [1, 0], [1, -1]), tf.slice(x, [2, 3], [0, 0]), x[-1, 1:]], {x: _X23})
    expect_close(got[0], _X23[1:, :])
    expect_close(got[1], _z(0, 0))
    expect_close(got[2], _X23[-1, 1:])


def _one_hot_out_of_range(ctx: Context) -> None:
    import graphc as tf

    i = tf.placeholder(tf.int32, [3])
    expect_close(run(ctx, tf.one_hot(i, 3), {i: np.array([0, 5, -1], np.int32)}),
                 np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0]], np.float32))


def _static_slice(ctx: Context) -> None:
    import graphc as tf

    expect_raises(lambda: tf.slice(tf.zeros([4, 3]), [0, 2], [1, 2]), ValueError)


def _static_negative_pad(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None])
    expect_raises(lambda: tf.pad(x, [[-1, 0]]), (ValueError, tf.errors.InvalidArgumentError))


def _int_math(ctx: Context) -> None:
    """int32 matmul and sums are exact and wrap on overflow, as TF1's CPU kernels."""
    import graphc as tf

    a = tf.placeholder(tf.int32, [2, 2])
    big = np.array([[2 ** 30, 2 ** 30], [3, -4]], np.int32)
    got = run(ctx, [tf.matmul(a, a), tf.reduce_sum(a), tf.reduce_sum(a, axis=1)], {a: big})
    with np.errstate(over="ignore"):
        want = [big @ big, big.sum(dtype=np.int32), big.sum(axis=1, dtype=np.int32)]
    for g, w in zip(got, want):
        if g.dtype != np.int32 or not np.array_equal(g, w):
            raise Wrong(f"int32 result {g.tolist()} ({g.dtype}), TF1 gives {w.tolist()}")


def _shape_sequence(ctx: Context) -> None:
    """One session fed ever-changing shapes (recompiles or dynamic kernels): each result right."""
    import graphc as tf

    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reduce_sum(tf.nn.softmax(x) * x, axis=1) + tf.reduce_mean(x)
    with tf.Session(backend=ctx.backend) as sess:
        for n in (2, 5, 0, 1, 7, 2):
            xs = np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 5
            with np.errstate(all="ignore"):
                e = np.exp(xs - xs.max(axis=1, keepdims=True))
                want = (e / e.sum(axis=1, keepdims=True) * xs).sum(axis=1) + (xs.mean() if n else np.nan)
            expect_close(sess.run(y, {x: xs}), want.astype(np.float32), what=f"batch of {n}")


def _broadcast_runtime_one(ctx: Context) -> None:
    """TF1 broadcasts a run-time size 1 (graphc's README documents a static-1 rule for compiled code)."""
    import graphc as tf

    a = tf.placeholder(tf.float32, [None])
    b = tf.placeholder(tf.float32, [None])
    expect_close(run(ctx, a * b + 1.0, {a: f32(1, 2, 3), b: f32(2)}), f32(3, 5, 7))


def _int64_exact(ctx: Context) -> None:
    """int64 stays int64 (no trip through float64, which would round above 2**53)."""
    import graphc as tf

    x = tf.placeholder(tf.int64, [3])
    xs = np.array([2 ** 62 + 1, -(2 ** 62) + 5, 2 ** 53 + 1], np.int64)
    got = run(ctx, [x + 1, x * 2 - x, tf.reduce_sum(x)], {x: xs})
    with np.errstate(over="ignore"):
        want = [xs + 1, xs * 2 - xs, xs.sum()]
    for g, w in zip(got, want):
        if np.asarray(g).dtype != np.int64 or not np.array_equal(g, w):
            raise Wrong(f"int64 result {np.asarray(g).tolist()}, TF1 gives {np.asarray(w).tolist()}")


def _float64_precision(ctx: Context) -> None:
    """float64 math keeps float64 precision (and range) through compiled kernels."""
    import graphc as tf

    x = tf.placeholder(tf.float64, [2])
    xs = np.array([1e-15, 1e-300], np.float64)
    got = run(ctx, [x * x, tf.exp(tf.log(x + 1.0)), x * 1e300], {x: xs})
    want = [xs * xs, np.exp(np.log(xs + 1.0)), xs * 1e300]
    for g, w in zip(got, want):
        if g.dtype != np.float64 or not np.allclose(g, w, rtol=1e-12, atol=0):
            raise Wrong(f"float64 result {g.tolist()} ({g.dtype}), TF1 gives {w.tolist()}")


_IEEE = [   # (name, dtype, graph over x and fed constants c, d, inputs, c, d): TF1's kernels evaluate each op
    #          in IEEE arithmetic, in the order written. c and d are fed (not tf.constant), so no graph
    #          rewrite (TF1's Grappler included) may fold them; the reference is numpy in the same order.
    ("round_trick_float32", "float32", lambda x, c, d: (x + c) - d, [2.3, -1.7, 0.5, 1e-9], 12582912.0, 12582912.0),
    ("round_trick_float64", "float64", lambda x, c, d: (x + c) - d, [2.3, -1.7, 0.5, 1e-9], 6755399441055744.0,
     6755399441055744.0),
    ("add_then_subtract_same_tensor", "float32", lambda x, c, d: (x + c) - c, [1e-9, -3e-8, 0.5, 2.0], 1.0, 0.0),
    ("mul_overflow", "float32", lambda x, c, d: (x * c) * d, [1e38, -2e38, 1.0, 3.0], 4.0, 0.25),
    ("mul_underflow", "float32", lambda x, c, d: (x * c) * d, [1e-20, 3e-25, 1.0, 0.0], 1e-30, 1e30),
    ("inf_minus_inf", "float32", lambda x, c, d: x - x, [np.inf, -np.inf, np.nan, 1.0], 0.0, 0.0),
    ("inf_times_zero", "float32", lambda x, c, d: x * c, [np.inf, -np.inf, -1.0, 1.0], 0.0, 0.0),
    ("negative_zero_plus_zero", "float32", lambda x, c, d: 1.0 / (x + c), [-0.0, 0.0, 2.0, -4.0], 0.0, 0.0),
]


def _ieee_order(build, dtype: str, values: list, c: float, d: float, ctx: Context) -> None:
    """Each op rounds (and overflows) as IEEE says, in the order the graph writes them."""
    import graphc as tf

    x = tf.placeholder(getattr(tf, dtype), [len(values)])
    cp = tf.placeholder(getattr(tf, dtype), [])
    dp = tf.placeholder(getattr(tf, dtype), [])
    xs = np.array(values, dtype)
    cs, ds = np.asarray(c, dtype), np.asarray(d, dtype)
    with np.errstate(all="ignore"):
        want = np.asarray(build(xs, cs, ds), dtype)
    got = run(ctx, build(x, cp, dp), {x: xs, cp: cs, dp: ds})
    if not np.array_equal(np.asarray(got), want, equal_nan=True) or \
            not np.array_equal(np.signbit(got), np.signbit(want)):
        raise Wrong(f"gave {np.asarray(got).tolist()}, IEEE evaluation in the graph's order (TF1) gives "
                    f"{want.tolist()}: the kernel reassociated or simplified the arithmetic")


for _n, _d, _b, _x, _c, _e in _IEEE:
    _case(f"ieee/{_n}", functools.partial(_ieee_order, _b, _d, _x, _c, _e))


_A = [-7, 7, -7, 7]
_B = [2, 2, -2, -2]
_INTDIV = [   # (name, graph over x, y, inputs' dtype, TF1's result): floor semantics, Python 2 tf.div
    ("floordiv_int32", lambda tf, x, y: tf.floordiv(x, y), "int32", np.array([-4, 3, 3, -4], np.int32)),
    ("floordiv_operator_int32", lambda tf, x, y: x // y, "int32", np.array([-4, 3, 3, -4], np.int32)),
    ("div_int32_is_floor", lambda tf, x, y: tf.div(x, y), "int32", np.array([-4, 3, 3, -4], np.int32)),
    ("floormod_int32", lambda tf, x, y: tf.floormod(x, y), "int32", np.array([1, 1, -1, -1], np.int32)),
    ("mod_operator_int64", lambda tf, x, y: x % y, "int64", np.array([1, 1, -1, -1], np.int64)),
    ("truediv_int32_is_float64", lambda tf, x, y: tf.truediv(x, y), "int32", np.array([-3.5, 3.5, 3.5, -3.5])),
    ("slash_int32_is_float64", lambda tf, x, y: x / y, "int32", np.array([-3.5, 3.5, 3.5, -3.5])),
    # x + 0.5 = [-6.5, 7.5, -6.5, 7.5]: floor(-3.25, 3.75, 3.25, -3.75); the remainder takes y's sign
    ("floordiv_float32", lambda tf, x, y: tf.floordiv(x + 0.5, y), "float32", np.array([-4, 3, 3, -4], np.float32)),
    ("floormod_float32", lambda tf, x, y: tf.floormod(x + 0.5, y), "float32",
     np.array([1.5, 1.5, -0.5, -0.5], np.float32)),
    # (x + y) / 2 = [-2.5, 4.5, -4.5, 2.5]: halves go to the even neighbour
    ("round_half_to_even", lambda tf, x, y: tf.round(x * 0.5 + y * 0.5), "float32",
     np.array([-2.0, 4.0, -4.0, 2.0], np.float32)),
    ("cast_float_to_int_truncates", lambda tf, x, y: tf.cast(x / 2 - 0.25, tf.int32), "float32",
     np.array([-3, 3, -3, 3], np.int32)),
]


def _intdiv(build, dtype: str, want: np.ndarray, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(getattr(tf, dtype), [4])
    y = tf.placeholder(getattr(tf, dtype), [4])
    got = run(ctx, build(tf, x, y), {x: np.array(_A, dtype), y: np.array(_B, dtype)})
    if np.asarray(got).dtype != want.dtype or not np.array_equal(got, want):
        raise Wrong(f"gave {np.asarray(got).tolist()} ({np.asarray(got).dtype}), TF1 gives {want.tolist()} ({want.dtype})")


for _n, _b, _d, _w in _INTDIV:
    _case(f"intdiv/{_n}", functools.partial(_intdiv, _b, _d, _w))


def _int_div_by_zero(op: str, ctx: Context) -> None:
    """TF1's CPU kernels: 'Integer division by zero' is InvalidArgumentError."""
    import graphc as tf

    x = tf.placeholder(tf.int32, [2])
    y = tf.placeholder(tf.int32, [2])
    z = tf.floordiv(x, y) if op == "floordiv" else tf.floormod(x, y)
    expect_raises(lambda: run(ctx, z, {x: np.array([1, 2], np.int32), y: np.array([1, 0], np.int32)}),
                  tf.errors.InvalidArgumentError, "zero")


for _k in ("floordiv", "floormod"):
    _case(f"intdiv/{_k}_by_zero", functools.partial(_int_div_by_zero, _k))


_GRADS = [   # (name, y(x), x, TF1's dy/dx from its gradient definitions)
    ("relu_at_zero", lambda tf, x: tf.nn.relu(x), [0.0, -1.0, 2.0], [0.0, 0.0, 1.0]),
    ("abs_at_zero", lambda tf, x: tf.abs(x), [0.0, -1.0, 2.0], [0.0, -1.0, 1.0]),
    ("maximum_tie_goes_to_x", lambda tf, x: tf.maximum(x, 0.0), [0.0, -1.0, 2.0], [1.0, 0.0, 1.0]),
    ("minimum_tie_goes_to_x", lambda tf, x: tf.minimum(x, 0.0), [0.0, -1.0, 2.0], [1.0, 1.0, 0.0]),
    ("sqrt_at_zero_is_inf", lambda tf, x: tf.sqrt(x), [0.0, 4.0, 1.0], [np.inf, 0.25, 0.5]),
    ("reduce_max_ties_split", lambda tf, x: tf.reduce_max(x), [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    ("where_unselected_is_zero", lambda tf, x: tf.where(x > 0.0, x * 3.0, x * x), [1.0, -2.0, 0.0], [3.0, -4.0, 0.0]),
    ("clip_by_value_at_bounds", lambda tf, x: tf.clip_by_value(x, 0.0, 1.0), [0.0, 1.0, 0.5], [1.0, 1.0, 1.0]),
    ("xent_large_logits", lambda tf, x: tf.nn.softmax_cross_entropy_with_logits_v2(labels=[0.0, 1.0, 0.0], logits=x),
     [1000.0, -1000.0, 0.0], [1.0, -1.0, 0.0]),
]


def _grad(build, xs: list, want: list, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [len(xs)])
    g = tf.gradients(tf.reduce_sum(build(tf, x)), x)[0]
    with np.errstate(all="ignore"):
        expect_close(run(ctx, g, {x: f32(*xs)}), f32(*want), what="the gradient")


for _n, _b, _x, _w in _GRADS:
    _case(f"gradients/{_n}", functools.partial(_grad, _b, _x, _w))


def _sum_of_ones(ctx: Context) -> None:
    """2**25 float32 ones sum to 2**25 in TF1 (a sequential float32 sum stops at 2**24)."""
    import graphc as tf

    x = tf.placeholder(tf.float32, [None])
    n = 2 ** 25
    got = run(ctx, [tf.reduce_sum(x), tf.reduce_mean(x), tf.reduce_sum(x * 2.0)], {x: np.ones(n, np.float32)})
    for g, w in zip(got, [float(n), 1.0, 2.0 * n]):
        if float(g) != w:
            raise Wrong(f"a float32 reduction of 2**25 ones gave {float(g)}, TF1 gives {w}")


for _n, _f in [("int64_exact", _int64_exact), ("float64_precision", _float64_precision),
               ("sum_of_2_pow_25_ones", _sum_of_ones)]:
    _case(f"misc/{_n}", _f)


for _n, _f in [("int32_matmul_and_sums_wrap", _int_math), ("shape_sequence_one_session", _shape_sequence),
               ("broadcast_runtime_size_one", _broadcast_runtime_one)]:
    _case(f"misc/{_n}", _f)


for _n, _f in [("slice_within_bounds", _slice_ok), ("one_hot_out_of_range_is_zeros", _one_hot_out_of_range),
               ("slice_static_past_end", _static_slice), ("pad_negative_paddings", _static_negative_pad)]:
    _case(f"bounds/{_n}", _f)


# ------------------------------------------------------------------------------------------------
# long fused transcendental chains (issue 12 item 6: compile time), time-capped

def _chain(kind: str, n: int, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None])
    xs = np.linspace(-1, 1, 7).astype(np.float32)
    if kind == "nested_tanh":
        y, w = x, xs.astype(np.float64)
        for _ in range(n):
            y = tf.tanh(y * 1.01 + 0.1)
            w = np.tanh(w * 1.01 + 0.1)
    elif kind == "sum_tanh":
        y, w = tf.tanh(x), np.tanh(xs.astype(np.float64))
        for i in range(1, n):
            y = y + tf.tanh(x * (1 + i / n))
            w = w + np.tanh(xs * (1 + i / n))
    else:   # mixed exp / sigmoid / tanh terms
        y, w = x * 0.0, np.zeros_like(xs, np.float64)
        fns = [(tf.exp, np.exp), (tf.sigmoid, lambda v: 1 / (1 + np.exp(-v))), (tf.tanh, np.tanh)]
        for i in range(n):
            f, g = fns[i % 3]
            y = y + f(x * (0.5 + i / n)) * 0.01
            w = w + g(xs * (0.5 + i / n)) * 0.01
    expect_close(run(ctx, y, {x: xs}), w.astype(np.float32), rtol=1e-4, atol=1e-5)


for _k, _n, _t in [("nested_tanh", 80, 60), ("sum_tanh", 80, 60), ("sum_tanh", 200, 90), ("mixed", 150, 90)]:
    _case(f"long_chain/{_k}_{_n}", functools.partial(_chain, _k, _n), timeout=_t)


# ------------------------------------------------------------------------------------------------
# large graphs

def _large(kind: str, n: int, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None])
    xs = f32(1, 2)
    if kind == "chain":
        y = x
        for _ in range(n):
            y = y + 1.0
        expect_close(run(ctx, y, {x: xs}), xs + n, rtol=1e-6)
    elif kind == "wide":
        y = tf.add_n([tf.tanh(x * (i / n)) for i in range(n)])
        expect_close(run(ctx, y, {x: xs}), sum(np.tanh(xs * (i / n)) for i in range(n)), rtol=1e-4)
    else:   # an MLP of n layers trained with Adam: thousands of nodes in forward, backward and slots
        inp = tf.placeholder(tf.float32, [None, 4])
        h = inp
        for i in range(n):
            h = tf.layers.dense(h, 4, activation=tf.tanh, kernel_initializer=tf.constant_initializer(0.3),
                                name=f"l{i}")
        loss = tf.reduce_mean(tf.square(h - 0.5))
        step = tf.train.AdamOptimizer(0.01).minimize(loss)
        feed = {inp: np.ones((3, 4), np.float32)}
        with tf.Session(backend=ctx.backend) as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss, feed)
            for _ in range(3):
                sess.run(step, feed)
            last = sess.run(loss, feed)
        if not np.isfinite(last) or not last < first:
            raise Wrong(f"three Adam steps took the loss from {first} to {last}")


for _k, _n, _t in [("chain", 3000, 60), ("chain", 20000, 120), ("wide", 1000, 60), ("mlp_adam", 150, 120)]:
    _case(f"large_graph/{_k}_{_n}", functools.partial(_large, _k, _n), timeout=_t)
