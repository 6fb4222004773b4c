"""Reductions (graphc/ops/reduce.py): values against numpy, dtypes, static shapes, names, errors.

Expected values that are TF1 behaviour rather than plain numpy (integer mean truncation, empty
max, tie splitting in gradients, zero-safe prod gradients) were recorded with TF 2.21's compat.v1.
"""
import numpy as np
import pytest

import graphc as tf

X = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], dtype=np.float32)
X3 = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7.0 - 1.0
I = np.array([[1, 2, 3], [4, 5, 7]], dtype=np.int32)
B = np.array([[True, False, True], [True, True, True]])

AXES = [None, 0, 1, -1, [0, 1], (1,), [], [-1, 0]]


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def np_axis(axis):
    """numpy spelling of a graphc axis argument."""
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


# ------------------------------------------------------------------------------------------------
# forward values against independent numpy expressions

FLOAT_OPS = [
    (tf.reduce_sum, lambda a, ax, kd: np.sum(a, axis=ax, keepdims=kd)),
    (tf.reduce_mean, lambda a, ax, kd: np.mean(a, axis=ax, keepdims=kd)),
    (tf.reduce_max, lambda a, ax, kd: np.amax(a, axis=ax, keepdims=kd)),
    (tf.reduce_min, lambda a, ax, kd: np.amin(a, axis=ax, keepdims=kd)),
    (tf.reduce_prod, lambda a, ax, kd: np.prod(a, axis=ax, keepdims=kd)),
    (tf.reduce_logsumexp, lambda a, ax, kd: np.log(np.sum(np.exp(a), axis=ax, keepdims=kd))),
]


@pytest.mark.parametrize("fn,ref", FLOAT_OPS, ids=[f.__name__ for f, _ in FLOAT_OPS])
@pytest.mark.parametrize("axis", AXES, ids=[repr(a) for a in AXES])
@pytest.mark.parametrize("keepdims", [False, True])
def test_float32_values_shapes_and_dtype(fn, ref, axis, keepdims):
    y = fn(tf.constant(X), axis, keepdims=keepdims)
    expected = ref(X.astype(np.float64), np_axis(axis), keepdims)
    out = run(y)
    assert y.dtype == tf.float32
    assert out.dtype == np.float32
    assert tuple(y.shape.as_list()) == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fn,ref", FLOAT_OPS, ids=[f.__name__ for f, _ in FLOAT_OPS])
def test_float64_rank3_multiple_axes(fn, ref):
    y = fn(tf.constant(X3), [0, 2])
    out = run(y)
    assert out.dtype == np.float64 and y.dtype == tf.float64
    np.testing.assert_allclose(out, ref(X3, (0, 2), False), rtol=1e-12)


def test_int32_sum_prod_max_min_stay_int32():
    ys = [tf.reduce_sum(I, 1), tf.reduce_prod(I, 0), tf.reduce_max(I, 0), tf.reduce_min(I)]
    outs = run(ys)
    assert [y.dtype for y in ys] == [tf.int32] * 4
    assert all(o.dtype == np.int32 for o in outs)
    np.testing.assert_array_equal(outs[0], [6, 16])
    np.testing.assert_array_equal(outs[1], [4, 10, 21])
    np.testing.assert_array_equal(outs[2], [4, 5, 7])
    assert outs[3] == 1


def test_int32_sum_wraps_like_int32_not_int64():
    big = np.array([2**30, 2**30, 2**30], dtype=np.int32)
    out = run(tf.reduce_sum(big))
    assert out.dtype == np.int32
    assert int(out) == int(np.int64(3 * 2**30) - 2**32)


def test_integer_mean_truncates_toward_zero_as_tf1():
    # TF1: reduce_mean([[1,2],[3,5]], 1) == [1, 4]; reduce_mean([-7, 0]) == -3; [[1,2],[4,4]] -> 2
    a, b, c = run([tf.reduce_mean(tf.constant([[1, 2], [3, 5]]), 1), tf.reduce_mean(tf.constant([-7, 0])),
                   tf.reduce_mean(tf.constant([[1, 2], [4, 4]]))])
    assert a.dtype == np.int32
    np.testing.assert_array_equal(a, [1, 4])
    assert b == -3 and c == 2


@pytest.mark.parametrize("axis", [None, 0, 1, -1, [0, 1]])
def test_any_all_bool(axis):
    ya, yl = tf.reduce_any(B, axis), tf.reduce_all(B, axis)
    oa, ol = run([ya, yl])
    assert ya.dtype == tf.bool and oa.dtype == np.bool_
    np.testing.assert_array_equal(oa, np.any(B, axis=np_axis(axis)))
    np.testing.assert_array_equal(ol, np.all(B, axis=np_axis(axis)))


def test_any_all_keepdims():
    y = tf.reduce_all(B, 1, keepdims=True)
    assert y.shape.as_list() == [2, 1]
    np.testing.assert_array_equal(run(y), [[False], [True]])


def test_max_propagates_nan_and_empty_reductions_give_identities():
    nan = np.array([1.0, np.nan, 2.0], dtype=np.float32)
    empty = np.zeros((0, 3), dtype=np.float32)
    mx, mn, mxe, sme, pre = run([tf.reduce_max(nan), tf.reduce_min(nan), tf.reduce_max(empty, 0),
                                 tf.reduce_sum(empty, 0), tf.reduce_prod(empty, 0)])
    assert np.isnan(mx) and np.isnan(mn)
    np.testing.assert_array_equal(mxe, [-np.inf] * 3)
    np.testing.assert_array_equal(sme, [0, 0, 0])
    np.testing.assert_array_equal(pre, [1, 1, 1])


def test_logsumexp_is_stable_and_handles_infinities():
    x = np.array([[1000.0, 1000.0], [-np.inf, -np.inf], [np.inf, 1.0], [-1000.0, -1001.0]], dtype=np.float32)
    out = run(tf.reduce_logsumexp(x, 1))
    assert out.dtype == np.float32
    expected = [1000 + np.log(2.0), -np.inf, np.inf, -1000 + np.log1p(np.exp(-1.0))]
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_logsumexp_keepdims_and_name():
    y = tf.reduce_logsumexp(tf.constant([[1.0, 2.0], [3.0, -1.0]]), 0, keepdims=True)
    assert y.name == "ReduceLogSumExp:0"
    assert y.shape.as_list() == [1, 2]
    np.testing.assert_allclose(run(y), [[3.126928, 2.0485873]], rtol=1e-6)  # TF1 numbers


def test_logsumexp_rejects_ints():
    with pytest.raises(TypeError, match="float"):
        tf.reduce_logsumexp(I)


def test_argmax_argmin_values_ties_and_output_type():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]], dtype=np.float32)
    amax, amin0, amin32 = tf.argmax(x, 1), tf.argmin(x), tf.argmin(I, -1, output_type=tf.int32)
    o1, o2, o3 = run([amax, amin0, amin32])
    assert amax.dtype == tf.int64 and o1.dtype == np.int64
    np.testing.assert_array_equal(o1, [1, 0])  # first of the tied maxima, as TF1
    np.testing.assert_array_equal(o2, np.argmin(x, axis=0))
    assert amin32.dtype == tf.int32 and o3.dtype == np.int32
    np.testing.assert_array_equal(o3, [0, 0])


def test_argmax_dimension_alias_and_deprecated_arg_max():
    x = tf.constant(X)
    a, b = run([tf.argmax(x, dimension=1), tf.arg_max(x, 0)])
    np.testing.assert_array_equal(a, np.argmax(X, axis=1))
    np.testing.assert_array_equal(b, np.argmax(X, axis=0))


def test_count_nonzero_numbers_and_bools():
    x = np.array([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]], dtype=np.float32)
    y, yb, y32 = (tf.count_nonzero(x, 1), tf.count_nonzero(tf.constant([True, False, True])),
                  tf.count_nonzero(x, keepdims=True, dtype=tf.int32))
    o, ob, o32 = run([y, yb, y32])
    assert y.name == "count_nonzero/Sum:0" and y.dtype == tf.int64 and o.dtype == np.int64
    np.testing.assert_array_equal(o, np.sum(x != 0, axis=1))
    assert ob == 2
    assert o32.dtype == np.int32 and o32.shape == (1, 1) and o32[0, 0] == 3


def test_float16_sum_stays_float16():
    h = np.full((300,), 0.1, dtype=np.float16)
    out = run(tf.reduce_sum(h))
    assert out.dtype == np.float16
    np.testing.assert_allclose(float(out), 300 * float(np.float16(0.1)), rtol=1e-3)


# ------------------------------------------------------------------------------------------------
# axis forms and TF1 argument aliases

def test_axis_given_as_constant_tensor_and_numpy_array():
    x = tf.constant(X3)
    a = tf.reduce_sum(x, tf.constant([2, 0]))
    b = tf.reduce_sum(x, np.array([-1], dtype=np.int64))
    oa, ob = run([a, b])
    assert a.shape.as_list() == [3] and b.shape.as_list() == [2, 3]
    np.testing.assert_allclose(oa, X3.sum(axis=(0, 2)))
    np.testing.assert_allclose(ob, X3.sum(axis=-1))


def test_reduction_indices_and_keep_dims_aliases():
    y = tf.reduce_sum(X, reduction_indices=[1], keep_dims=True)
    assert y.shape.as_list() == [2, 1]
    np.testing.assert_allclose(run(y), X.sum(axis=1, keepdims=True))


def test_axis_and_alias_together_raise():
    with pytest.raises(ValueError, match="reduction_indices"):
        tf.reduce_sum(X, 0, reduction_indices=0)
    with pytest.raises(ValueError, match="keep_dims"):
        tf.reduce_mean(X, keepdims=True, keep_dims=True)


def test_default_and_given_names():
    x = tf.constant(X)
    names = [tf.reduce_sum(x).name, tf.reduce_mean(x).name, tf.reduce_max(x).name, tf.reduce_min(x).name,
             tf.reduce_prod(x).name, tf.reduce_any(B).name, tf.reduce_all(B).name, tf.argmax(x).name,
             tf.argmin(x).name, tf.reduce_sum(x, name="total").name]
    assert names == ["Sum:0", "Mean:0", "Max:0", "Min:0", "Prod:0", "Any:0", "All:0", "ArgMax:0", "ArgMin:0",
                     "total:0"]


def test_ops_record_normalized_axes():
    y = tf.reduce_sum(tf.constant(X3), [-1, 0])
    assert y.op.type == "Sum" and y.op.attrs["axis"] == (0, 2) and y.op.attrs["keepdims"] is False


# ------------------------------------------------------------------------------------------------
# static shape inference with partial shapes

def test_partial_shapes_keep_unknown_dims():
    p = tf.placeholder(tf.float32, [None, 3, None])
    assert tf.reduce_sum(p, 1).shape.as_list() == [None, None]
    assert tf.reduce_max(p, -1, keepdims=True).shape.as_list() == [None, 3, 1]
    assert tf.reduce_mean(p).shape.as_list() == []
    assert tf.reduce_mean(p, keepdims=True).shape.as_list() == [1, 1, 1]
    assert tf.argmax(p, 1).shape.as_list() == [None, None]


def test_unknown_rank():
    p = tf.placeholder(tf.float32)
    assert tf.reduce_sum(p).shape.as_list() == []
    assert tf.reduce_sum(p, 1).shape.ndims is None
    assert tf.reduce_sum(p, keepdims=True).shape.ndims is None
    assert tf.argmax(p, 1).shape.ndims is None
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    s, s1, kd, neg, am = run([tf.reduce_sum(p), tf.reduce_sum(p, 1), tf.reduce_sum(p, keepdims=True),
                              tf.reduce_min(p, [-1]), tf.argmax(p, -1)], {p: x})
    assert s == x.sum() and s.dtype == np.float32
    np.testing.assert_array_equal(s1, x.sum(axis=1))
    assert kd.shape == (1, 1)
    np.testing.assert_array_equal(neg, x.min(axis=-1))
    np.testing.assert_array_equal(am, [3, 3, 3])


def test_unknown_rank_bad_axis_fails_at_run_time():
    p = tf.placeholder(tf.float32)
    y = tf.reduce_sum(p, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="axes"):
        run(y, {p: np.ones((2, 2), np.float32)})


def test_partial_shape_runs_with_fed_batch():
    p = tf.placeholder(tf.float32, [None, 3])
    m = tf.reduce_mean(p, 0)
    out = run(m, {p: X})
    np.testing.assert_allclose(out, X.mean(axis=0), rtol=1e-6)


# ------------------------------------------------------------------------------------------------
# build-time errors

def test_out_of_range_axis_names_the_tensor_and_shape():
    x = tf.constant(X, name="data")
    with pytest.raises(ValueError, match=r"data:0.*\(2, 3\)|data:0.*2, 3"):
        tf.reduce_sum(x, 2)
    with pytest.raises(ValueError, match="Invalid reduction axis -3"):
        tf.reduce_max(x, [0, -3])
    with pytest.raises(ValueError, match="Invalid"):
        tf.argmax(x, 2)


def test_scalar_input_has_no_axis_0():
    with pytest.raises(ValueError, match="rank 0"):
        tf.reduce_sum(tf.constant(3.0), 0)
    assert run(tf.reduce_sum(tf.constant(3.0))) == 3.0


def test_duplicate_axes_raise():
    with pytest.raises(ValueError, match="duplicate"):
        tf.reduce_sum(X, [0, -2])


def test_wrong_dtypes_raise_type_error():
    with pytest.raises(TypeError, match="bool"):
        tf.reduce_sum(B)
    with pytest.raises(TypeError, match="float32"):
        tf.reduce_any(X)
    with pytest.raises(TypeError, match="bool"):
        tf.argmax(B)
    with pytest.raises(TypeError, match="output_type"):
        tf.argmax(X, output_type=tf.float32)


def test_non_integer_and_dynamic_axes_raise():
    with pytest.raises(TypeError, match="int"):
        tf.reduce_sum(X, 0.5)
    a = tf.placeholder(tf.int32, [])
    with pytest.raises(TypeError, match="run time"):
        tf.reduce_sum(X, a)


def test_argmax_of_empty_axis_raises():
    with pytest.raises(ValueError, match="empty"):
        tf.argmax(np.zeros((0, 3), np.float32), 0)


# ------------------------------------------------------------------------------------------------
# gradients: TF1's values at ties and zeros (numerical checks live in tests/gradcases/reduce.py)

def grad_of(fn, value, **kwargs):
    p = tf.placeholder(tf.float64, value.shape)
    (g,) = tf.gradients(fn(p, **kwargs), p)
    return run(g, {p: value})


def test_max_gradient_is_split_among_ties_as_tf1():
    v = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])
    np.testing.assert_array_equal(grad_of(tf.reduce_max, v, axis=1), [[0, 0.5, 0.5], [0.5, 0, 0.5]])
    np.testing.assert_array_equal(grad_of(tf.reduce_min, v), [[0, 0, 0], [0, 1, 0]])


def test_prod_gradient_is_zero_safe_as_tf1():
    v = np.array([[0.0, 3.0, 2.0], [0.0, 0.0, 2.0], [1.5, 2.0, -1.0]])
    expected = [[6, 0, 0], [0, 0, 0], [-2.0, -1.5, 3.0]]
    np.testing.assert_allclose(grad_of(tf.reduce_prod, v, axis=1), expected)


def test_mean_gradient_with_unknown_batch_size():
    p = tf.placeholder(tf.float64, [None, 3])
    (g,) = tf.gradients(tf.reduce_mean(p), p)
    (g0,) = tf.gradients(tf.reduce_mean(p, 0), p)
    assert g.shape.as_list() == [None, 3]
    out, out0 = run([g, g0], {p: np.ones((4, 3))})
    np.testing.assert_allclose(out, np.full((4, 3), 1 / 12))
    np.testing.assert_allclose(out0, np.full((4, 3), 1 / 4))


def test_gradients_with_unknown_rank_and_explicit_axes():
    p = tf.placeholder(tf.float64)
    v = np.array([[1.0, 5.0], [4.0, 2.0], [0.5, 0.5]])
    ys = [tf.reduce_sum(p * p, -1), tf.reduce_mean(p, 0), tf.reduce_max(p, [1]), tf.reduce_prod(p, 1)]
    grads = [tf.gradients(y, p)[0] for y in ys]
    gs, gm, gx, gp = run(grads, {p: v})
    np.testing.assert_allclose(gs, 2 * v)
    np.testing.assert_allclose(gm, np.full((3, 2), 1 / 3))
    np.testing.assert_allclose(gx, [[0, 1], [1, 0], [0.5, 0.5]])
    np.testing.assert_allclose(gp, v[:, ::-1])


def test_logsumexp_gradient_is_softmax():
    v = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -5.0]])
    e = np.exp(v - v.max(axis=1, keepdims=True))
    np.testing.assert_allclose(grad_of(tf.reduce_logsumexp, v, axis=1), e / e.sum(axis=1, keepdims=True))


def test_argmax_and_any_are_not_differentiable():
    p = tf.placeholder(tf.float64, [2, 3])
    y = tf.cast(tf.argmax(p, 1), tf.float64)
    assert tf.gradients(y, p) == [None]
