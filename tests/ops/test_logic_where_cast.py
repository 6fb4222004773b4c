"""Comparisons, logical ops, ``tf.where`` and ``tf.cast`` (graphc/ops/math.py).

Split from test_math.py. Forward values are checked against independent numpy expressions; TF1's
rules (names, NaN comparisons, where's rank-1 condition, cast rounding) were recorded with
TensorFlow's v1 API.
"""
import numpy as np
import pytest

import graphc as tf


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


X23 = np.random.default_rng(7).uniform(-2.0, 2.0, (2, 3))


# ------------------------------------------------------------------------------------------------
# comparisons and logic

COMPARISONS = [
    (tf.equal, np.equal, "Equal"), (tf.not_equal, np.not_equal, "NotEqual"), (tf.less, np.less, "Less"),
    (tf.less_equal, np.less_equal, "LessEqual"), (tf.greater, np.greater, "Greater"),
    (tf.greater_equal, np.greater_equal, "GreaterEqual"),
]


@pytest.mark.parametrize("fn,ref,name", COMPARISONS, ids=[c[2] for c in COMPARISONS])
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int32, np.int64])
def test_comparisons(fn, ref, name, np_dtype):
    va = np.array([[1, 2, 3], [4, 5, 6]], np_dtype)
    vb = np.array([2, 2, 7], np_dtype)
    a = tf.placeholder(np_dtype, [None, 3])
    b = tf.constant(vb)
    y = fn(a, b)
    assert y.dtype is tf.bool and y.shape.as_list() == [None, 3]
    assert y.name == f"{name}:0"
    out = run(y, {a: va})
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, ref(va, vb))


def test_comparisons_with_nan_are_false_except_not_equal():
    a = tf.constant([np.nan, 1.0])
    b = tf.constant([np.nan, 1.0])
    out = run([tf.equal(a, b), tf.not_equal(a, b), tf.less(a, b), tf.greater_equal(a, b)])
    np.testing.assert_array_equal(out, [[False, True], [True, False], [False, False], [False, True]])


def test_equal_works_on_bools_but_ordering_does_not():
    t = tf.constant([True, False])
    np.testing.assert_array_equal(run(tf.equal(t, True)), [True, False])
    with pytest.raises(TypeError, match="bool"):
        tf.less(t, t)


LOGIC = [(tf.logical_and, np.logical_and, "LogicalAnd"), (tf.logical_or, np.logical_or, "LogicalOr"),
         (tf.logical_xor, np.logical_xor, "LogicalXor")]


@pytest.mark.parametrize("fn,ref,name", LOGIC, ids=[x[2] for x in LOGIC])
def test_logical_binary(fn, ref, name):
    va = np.array([[True, True, False, False]] * 2)
    vb = np.array([True, False, True, False])
    a = tf.placeholder(tf.bool, [None, 4])
    y = fn(a, vb)
    assert y.dtype is tf.bool and y.shape.as_list() == [None, 4] and y.name == f"{name}:0"
    np.testing.assert_array_equal(run(y, {a: va}), ref(va, vb))


def test_logical_not():
    y = tf.logical_not(tf.constant([True, False]))
    assert y.name == "LogicalNot:0"
    np.testing.assert_array_equal(run(y), [False, True])


@pytest.mark.parametrize("fn", [tf.logical_and, tf.logical_or, tf.logical_xor])
def test_logical_ops_reject_non_bool(fn):
    with pytest.raises(TypeError, match="bool"):
        fn(tf.constant([1.0]), tf.constant([0.0]))
    with pytest.raises(TypeError, match="bool"):
        tf.logical_not(tf.constant([1]))


# ------------------------------------------------------------------------------------------------
# where

def test_where_elementwise():
    c = tf.placeholder(tf.bool, [None, 3])
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.where(c, x, -x)
    assert y.name == "Select:0" and y.dtype is tf.float32 and y.shape.as_list() == [None, 3]
    vc = np.array([[True, False, True], [False, False, True]])
    vx = X23.astype(np.float32)
    np.testing.assert_array_equal(run(y, {c: vc, x: vx}), np.choose(vc.astype(int), [-vx, vx]))


def test_where_rank1_condition_selects_rows_like_tf1():
    c = tf.constant([True, False])
    out_t = tf.where(c, tf.constant([[1, 2], [3, 4]]), tf.constant([[5, 6], [7, 8]]))
    assert out_t.name == "Select:0" and out_t.shape.as_list() == [2, 2]
    np.testing.assert_array_equal(run(out_t), [[1, 2], [7, 8]])  # recorded from TF1


def test_where_rank1_condition_with_partial_shapes():
    c = tf.placeholder(tf.bool, [None])
    x = tf.placeholder(tf.float32, [None, 2, 3])
    y = tf.where(c, x, x * 0.0)
    assert y.shape.as_list() == [None, 2, 3]
    vx = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    out = run(y, {c: [False, True], x: vx})
    np.testing.assert_array_equal(out, np.stack([np.zeros((2, 3)), vx[1]]))


def test_where_rank1_condition_with_wrong_length_is_an_error():
    with pytest.raises(ValueError, match="rows"):
        tf.where(tf.placeholder(tf.bool, [3], name="cond"), tf.constant(np.ones((2, 3))),
                 tf.constant(np.zeros((2, 3))))


def test_where_rank1_condition_with_unknown_rank_is_an_error():
    with pytest.raises(ValueError, match="rank"):
        tf.where(tf.placeholder(tf.bool, [3]), tf.placeholder(tf.float32), tf.placeholder(tf.float32))


def test_where_scalar_condition():
    y = tf.where(tf.constant(False), tf.constant([[1.0, 2.0]]), tf.constant([[3.0, 4.0]]))
    np.testing.assert_array_equal(run(y), [[3.0, 4.0]])


def test_where_errors():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="bool"):
        tf.where(tf.constant([1, 0]), x, x)
    with pytest.raises(ValueError, match="both be None"):   # TF1: x and y come together (one-arg form: test_selection)
        tf.where(tf.constant([True, False]), x)
    with pytest.raises(TypeError, match="float64"):
        tf.where(tf.constant([True, False]), x, tf.constant([1.0, 2.0], tf.float64))


# ------------------------------------------------------------------------------------------------
# cast

def test_cast_float_to_int_truncates_toward_zero():
    y = tf.cast(tf.constant([1.7, -1.7, 2.5, -2.5, 0.2]), tf.int32)
    assert y.dtype is tf.int32 and y.name == "Cast:0"
    np.testing.assert_array_equal(run(y), [1, -1, 2, -2, 0])


def test_bool_casts():
    out = run([tf.cast(tf.constant([0.0, -0.0, 0.1, -3.0, np.nan]), tf.bool),
               tf.cast(tf.constant([0, 2, -1]), tf.bool),
               tf.cast(tf.constant([True, False]), tf.float32),
               tf.cast(tf.constant([True, False]), tf.int32)])
    np.testing.assert_array_equal(out[0], [False, False, True, True, True])
    np.testing.assert_array_equal(out[1], [False, True, True])
    assert out[2].dtype == np.float32 and out[3].dtype == np.int32
    np.testing.assert_array_equal(out[2], [1.0, 0.0])
    np.testing.assert_array_equal(out[3], [1, 0])


def test_cast_float64_to_float32_rounds():
    out = run(tf.cast(tf.constant(np.array([1e-50, 1.0000000001, 1 / 3])), "float"))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([0.0, 1.0, np.float32(1 / 3)], np.float32))


def test_cast_to_same_dtype_is_the_input():
    x = tf.placeholder(tf.float32, [2])
    assert tf.cast(x, tf.float32) is x
    assert tf.cast(x, "float32") is x


def test_cast_keeps_partial_shape_and_accepts_spellings():
    x = tf.placeholder(tf.float32, [None, 3])
    for spelling in (tf.int64, "int64", np.int64):
        y = tf.cast(x, spelling)
        assert y.dtype is tf.int64 and y.shape.as_list() == [None, 3]


def test_cast_of_python_value():
    assert run(tf.cast(1.7, tf.int32)) == 1


def test_to_helpers():
    b = tf.constant([True, False])
    f = tf.constant([1.9, -1.9])
    y = [tf.to_float(b), tf.to_double(f), tf.to_int32(f), tf.to_int64(f)]
    assert [t.name for t in y] == ["ToFloat:0", "ToDouble:0", "ToInt32:0", "ToInt64:0"]
    assert [t.dtype for t in y] == [tf.float32, tf.float64, tf.int32, tf.int64]
    out = run(y)
    np.testing.assert_array_equal(out[0], [1.0, 0.0])
    np.testing.assert_allclose(out[1], [1.9, -1.9], rtol=1e-7)
    np.testing.assert_array_equal(out[2], [1, -1])
    assert out[3].dtype == np.int64
