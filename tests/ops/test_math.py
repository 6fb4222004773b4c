"""Elementwise math (graphc/ops/math.py) and sources (graphc/ops/source.py).

Forward values are checked against independent numpy expressions; TF1-specific numbers (names,
integer division, rounding, gradients at ties and kinks) were recorded with TensorFlow's v1 API
and are hard-coded here.
"""
import warnings

import numpy as np
import pytest

import graphc as tf
from graphc import errors


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


def grads(y, xs, feed_dict=None):
    """tf.gradients values (None stays None)."""
    gs = tf.gradients(y, xs)
    present = [g for g in gs if g is not None]
    values = iter(run(present, feed_dict) if present else [])
    return [None if g is None else next(values) for g in gs]


R = np.random.default_rng(7)
X23 = R.uniform(-2.0, 2.0, (2, 3))
POS23 = R.uniform(0.2, 3.0, (2, 3))
UNIT23 = R.uniform(-0.9, 0.9, (2, 3))

# ------------------------------------------------------------------------------------------------
# unary ops: graphc function, independent numpy expression, input domain, accepts int32

UNARY = [
    ("negative", tf.negative, lambda x: 0 - x, X23, True),
    ("abs", tf.abs, lambda x: np.where(x < 0, -x, x), X23, True),
    ("sign", tf.sign, lambda x: (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype), X23, True),
    ("square", tf.square, lambda x: x * x, X23, True),
    ("sqrt", tf.sqrt, lambda x: x ** 0.5, POS23, False),
    ("rsqrt", tf.rsqrt, lambda x: 1 / x ** 0.5, POS23, False),
    ("exp", tf.exp, lambda x: np.e ** x, X23, False),
    ("log", tf.log, np.log, POS23, False),
    ("log1p", tf.log1p, lambda x: np.log(1 + x), UNIT23, False),
    ("expm1", tf.expm1, lambda x: np.exp(x) - 1, X23, False),
    ("sin", tf.sin, np.sin, X23, False),
    ("cos", tf.cos, np.cos, X23, False),
    ("tanh", tf.tanh, lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1), X23, False),
    ("sigmoid", tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)), X23, False),
    ("reciprocal", tf.reciprocal, lambda x: 1 / x, POS23, False),
    ("floor", tf.floor, lambda x: x - np.mod(x, 1), X23 * 3, False),
    ("ceil", tf.ceil, lambda x: -((-x) - np.mod(-x, 1)), X23 * 3, False),
    ("round", tf.round, lambda x: np.round(x), X23 * 3, True),
]
UNARY_IDS = [u[0] for u in UNARY]


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,fn,ref,values,int_ok", UNARY, ids=UNARY_IDS)
def test_unary_values_and_dtype(name, fn, ref, values, int_ok, np_dtype):
    x = tf.placeholder(np_dtype, [None, 3])
    y = fn(x)
    assert y.dtype == np_dtype
    assert y.shape.as_list() == [None, 3]
    v = values.astype(np_dtype)
    out = run(y, {x: v})
    assert out.dtype == np_dtype and out.shape == (2, 3)
    rtol = 2e-6 if np_dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, ref(v.astype(np.float64)), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name,fn,ref,values,int_ok", UNARY, ids=UNARY_IDS)
def test_unary_on_int32(name, fn, ref, values, int_ok):
    x = tf.constant(np.array([[-3, 0, 2], [5, -1, 7]], np.int32))
    if not int_ok:
        with pytest.raises(TypeError, match="int32"):
            fn(x)
        return
    y = fn(x)
    assert y.dtype is tf.int32
    out = run(y)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, ref(np.array([[-3, 0, 2], [5, -1, 7]])))


def test_float_op_on_int_tensor_names_the_tensor():
    i = tf.placeholder(tf.int32, [2], name="counts")
    with pytest.raises(TypeError, match="counts:0.*int32"):
        tf.exp(i)


@pytest.mark.parametrize("fn", [tf.exp, tf.negative, tf.abs, tf.square, tf.sqrt, tf.floor])
def test_unary_on_bool_is_a_type_error(fn):
    with pytest.raises(TypeError, match="bool"):
        fn(tf.constant([True, False]))


def test_unary_keeps_unknown_rank_and_default_names():
    x = tf.placeholder(tf.float32)
    names = [fn(x).name for fn in (tf.negative, tf.abs, tf.sign, tf.square, tf.sqrt, tf.rsqrt, tf.exp, tf.log,
                                    tf.log1p, tf.expm1, tf.sin, tf.cos, tf.tanh, tf.sigmoid, tf.reciprocal,
                                    tf.floor, tf.ceil, tf.round)]
    assert names == ["Neg:0", "Abs:0", "Sign:0", "Square:0", "Sqrt:0", "Rsqrt:0", "Exp:0", "Log:0", "Log1p:0",
                     "Expm1:0", "Sin:0", "Cos:0", "Tanh:0", "Sigmoid:0", "Reciprocal:0", "Floor:0", "Ceil:0",
                     "Round:0"]
    assert tf.exp(x).shape.ndims is None
    assert tf.exp(x, name="e").name == "e:0"


def test_round_is_half_to_even():
    x = tf.constant([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6])
    np.testing.assert_array_equal(run(tf.round(x)), [0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 2.0, 3.0])


def test_round_of_int_is_the_input_itself():
    i = tf.placeholder(tf.int32, [2])
    assert tf.round(i) is i


def test_sign_of_zero_and_nan():
    out = run(tf.sign(tf.constant([-2.0, 0.0, -0.0, 3.0, np.nan])))
    np.testing.assert_array_equal(out, [-1.0, 0.0, 0.0, 1.0, np.nan])


def test_sigmoid_saturates_without_overflow_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run(tf.sigmoid(tf.constant([-100.0, 100.0, 0.0])))
    np.testing.assert_array_equal(out, [0.0, 1.0, 0.5])  # recorded from TF1 (float32)


def test_expm1_and_log1p_are_accurate_near_zero():
    out = run([tf.expm1(tf.constant([1e-10])), tf.log1p(tf.constant([1e-10]))])
    np.testing.assert_allclose(out[0], [1e-10], rtol=1e-6)
    np.testing.assert_allclose(out[1], [1e-10], rtol=1e-6)


# ------------------------------------------------------------------------------------------------
# NaN / Inf behave as numpy, and never raise warnings-as-errors

def test_nan_and_inf_results_match_numpy_without_warnings():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = run([tf.sqrt(tf.constant([-1.0, 4.0])), tf.log(tf.constant([0.0, -1.0])),
                   tf.constant([1.0, -1.0, 0.0]) / 0.0, tf.rsqrt(tf.constant([0.0, 4.0])),
                   tf.constant([1.0, -1.0, 0.0]) // 0.0, tf.constant([1.0]) % 0.0,
                   tf.pow(tf.constant([0.0, 0.0, -8.0]), tf.constant([0.0, -1.0, 1.0 / 3]))])
    np.testing.assert_array_equal(out[0], [np.nan, 2.0])
    np.testing.assert_array_equal(out[1], [-np.inf, np.nan])
    np.testing.assert_array_equal(out[2], [np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(out[3], [np.inf, 0.5])
    np.testing.assert_array_equal(out[4], [np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(out[5], [np.nan])
    np.testing.assert_array_equal(out[6], [1.0, np.inf, np.nan])
    assert all(o.dtype == np.float32 for o in out)


def test_maximum_and_minimum_propagate_nan():
    a = tf.constant([np.nan, 1.0, 2.0])
    b = tf.constant([1.0, np.nan, 1.0])
    mx, mn = run([tf.maximum(a, b), tf.minimum(a, b)])
    np.testing.assert_array_equal(mx, [np.nan, np.nan, 2.0])
    np.testing.assert_array_equal(mn, [np.nan, np.nan, 1.0])


# ------------------------------------------------------------------------------------------------
# binary ops

BINARY = [
    ("add", tf.add, lambda a, b: a + b, X23, True),
    ("subtract", tf.subtract, lambda a, b: a - b, X23, True),
    ("multiply", tf.multiply, lambda a, b: a * b, X23, True),
    ("divide", tf.divide, lambda a, b: a / b, POS23, False),
    ("truediv", tf.truediv, lambda a, b: a / b, POS23, False),
    ("realdiv", tf.realdiv, lambda a, b: a / b, POS23, False),
    ("floordiv", tf.floordiv, lambda a, b: np.floor(a / b), POS23, True),
    ("mod", tf.mod, lambda a, b: a - b * np.floor(a / b), POS23, True),
    ("pow", tf.pow, lambda a, b: np.exp(b * np.log(a)), POS23, True),
    ("maximum", tf.maximum, lambda a, b: np.where(a > b, a, b), X23, True),
    ("minimum", tf.minimum, lambda a, b: np.where(a < b, a, b), X23, True),
    ("squared_difference", tf.squared_difference, lambda a, b: (a - b) * (a - b), X23, True),
]
BINARY_IDS = [b[0] for b in BINARY]


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,fn,ref,values,int_ok", BINARY, ids=BINARY_IDS)
@pytest.mark.parametrize("shapes", [((None, 3), (3,)), ((None, 1), (1, 3)), ((3,), (None, 3))],
                         ids=["row", "outer", "row_left"])
def test_binary_values_dtype_and_broadcast_shape(name, fn, ref, values, int_ok, np_dtype, shapes):
    sa, sb = shapes
    a = tf.placeholder(np_dtype, sa)
    b = tf.placeholder(np_dtype, sb)
    y = fn(a, b)
    assert y.dtype == np_dtype
    assert y.shape.as_list() == [None, 3]
    full = values.astype(np_dtype)
    va = full[:, :1] if sa == (None, 1) else (full[0] if sa == (3,) else full)
    vb = full[1] if sb == (3,) else (full[1:, :][:1, :] if sb == (1, 3) else full[::-1])
    out = run(y, {a: va, b: vb})
    assert out.dtype == np_dtype
    expected = ref(np.asarray(va, np.float64), np.asarray(vb, np.float64))
    assert out.shape == expected.shape
    rtol = 1e-5 if np_dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol)


INT_BINARY = [b for b in BINARY if b[4]]  # divide/truediv/realdiv: see the int division tests


@pytest.mark.parametrize("name,fn,ref,values,int_ok", INT_BINARY, ids=[b[0] for b in INT_BINARY])
def test_binary_on_int32(name, fn, ref, values, int_ok):
    a = tf.constant(np.array([[7, -7, 3], [2, 9, -4]], np.int32))
    b = tf.constant(np.array([2, 3, 5], np.int32))
    y = fn(a, b)
    assert y.dtype is tf.int32 and y.shape.as_list() == [2, 3]
    out = run(y)
    assert out.dtype == np.int32
    va, vb = np.array([[7, -7, 3], [2, 9, -4]]), np.array([2, 3, 5])
    expected = {"floordiv": va // vb, "mod": va % vb, "pow": va ** vb}.get(name)
    if expected is None:
        expected = ref(va, vb)
    np.testing.assert_array_equal(out, expected)


def test_realdiv_rejects_ints():
    with pytest.raises(TypeError, match="int32"):
        tf.realdiv(tf.constant([1]), tf.constant([2]))


def test_binary_default_names():
    a = tf.placeholder(tf.float32, [3])
    names = [tf.add(a, a).name, tf.subtract(a, a).name, tf.multiply(a, a).name, tf.divide(a, a).name,
             tf.truediv(a, a).name, tf.floordiv(a, a).name, tf.floor_div(a, a).name, tf.mod(a, a).name,
             tf.floormod(a, a).name, tf.pow(a, a).name, tf.maximum(a, a).name, tf.minimum(a, a).name,
             tf.div(a, a).name, tf.realdiv(a, a).name, tf.squared_difference(a, a).name]
    assert names == ["Add:0", "Sub:0", "Mul:0", "truediv:0", "truediv_1:0", "floordiv:0", "FloorDiv_1:0",
                     "FloorMod:0", "FloorMod_1:0", "Pow:0", "Maximum:0", "Minimum:0", "div:0", "RealDiv:0",
                     "SquaredDifference:0"]
    assert tf.add(a, a, name="total").name == "total:0"


def test_op_types_of_binary_functions():
    a = tf.placeholder(tf.float32, [3])
    i = tf.placeholder(tf.int32, [3])
    assert [t.op.type for t in (tf.divide(a, a), tf.floordiv(a, a), tf.mod(a, a), tf.div(a, a), tf.div(i, i))] == \
        ["RealDiv", "FloorDiv", "FloorMod", "RealDiv", "FloorDiv"]


def test_int_true_division_gives_float64():
    xi = tf.constant([7, -7, 7, -7, 0])
    yi = tf.constant([3, 3, -3, -3, 5])
    y = xi / yi
    assert y.dtype is tf.float64 and y.name == "truediv:0"
    casts = [op.name for op in tf.get_default_graph().get_operations() if op.type == "Cast"]
    assert casts == ["truediv/Cast", "truediv/Cast_1"]
    np.testing.assert_allclose(run(y), np.array([7, -7, 7, -7, 0]) / np.array([3, 3, -3, -3, 5]), rtol=1e-15)
    assert tf.divide(tf.constant([1], tf.int64), 2).dtype is tf.float64
    assert (tf.constant([3]) / 2).dtype is tf.float64


def test_int_true_division_by_a_float_is_a_type_error():
    with pytest.raises(TypeError):
        tf.constant([3]) / 2.5


def test_tf_div_floors_integers():
    np.testing.assert_array_equal(run(tf.div(tf.constant([7, -7]), 2)), [3, -4])


def test_integer_floordiv_and_mod_follow_python_signs():
    xi = tf.constant([7, -7, 7, -7, 0])
    yi = tf.constant([3, 3, -3, -3, 5])
    fd, md = run([xi // yi, xi % yi])
    np.testing.assert_array_equal(fd, [2, -3, -3, 2, 0])   # recorded from TF1
    np.testing.assert_array_equal(md, [1, 2, -2, -1, 0])
    assert fd.dtype == np.int32 and md.dtype == np.int32


def test_float_floordiv_and_mod_follow_tf():
    xf = tf.constant([7.5, -7.5, 7.5, -7.5, 0.0])
    yf = tf.constant([2.0, 2.0, -2.0, -2.0, 3.0])
    fd, md = run([xf // yf, xf % yf])
    np.testing.assert_array_equal(fd, [3.0, -4.0, -4.0, 3.0, 0.0])
    np.testing.assert_array_equal(md, [1.5, 0.5, -0.5, -1.5, 0.0])


def test_float_floordiv_is_floor_of_the_quotient_as_tf():
    # TF's FloorDiv on floats is floor(x / y): 1.0 // 0.1 == 10 (numpy's floor_divide says 9)
    x = tf.constant(np.array([1.0, 0.7, -0.7, 5.0]))
    y = tf.constant(np.array([0.1, 0.1, 0.1, -0.3]))
    np.testing.assert_array_equal(run(x // y), [10.0, 6.0, -7.0, -17.0])


def test_integer_division_by_zero_is_an_error_at_run_time():
    with pytest.raises(errors.InvalidArgumentError, match="division by zero"):
        run(tf.constant([1]) // tf.constant([0]))
    with pytest.raises(errors.InvalidArgumentError, match="division by zero"):
        run(tf.constant([1]) % tf.constant([0]))


def test_integer_pow_with_negative_exponent_is_an_error_at_run_time():
    with pytest.raises(errors.InvalidArgumentError, match="negative"):
        run(tf.pow(tf.constant([2]), tf.constant([-1])))


def test_integer_pow_values():
    np.testing.assert_array_equal(run(tf.pow(tf.constant([2, -3]), tf.constant([3, 3]))), [8, -27])


def test_binary_with_python_scalars():
    f = tf.placeholder(tf.float32, [2])
    y = tf.add(f, 1)
    assert y.dtype is tf.float32
    np.testing.assert_array_equal(run(y, {f: [1.5, 2.5]}), [2.5, 3.5])
    z = tf.add(1, 2.5)
    assert z.dtype is tf.float32
    assert run(z) == np.float32(3.5)
    assert tf.add(1, 2).dtype is tf.int32


def test_python_float_cannot_join_an_int_tensor():
    i = tf.placeholder(tf.int32, [2])
    with pytest.raises(TypeError, match="int32"):
        tf.add(i, 1.5)
    with pytest.raises(TypeError):
        tf.multiply(2.5, i)
    assert tf.add(i, 2).dtype is tf.int32


def test_mixed_float_dtypes_name_both_operands():
    f = tf.placeholder(tf.float32, [2], name="f32")
    d = tf.placeholder(tf.float64, [2], name="f64")
    with pytest.raises(TypeError) as e:
        tf.add(f, d)
    assert "f32:0" in str(e.value) and "f64:0" in str(e.value)
    assert "float32" in str(e.value) and "float64" in str(e.value)
    with pytest.raises(TypeError, match="f32:0"):
        tf.maximum(d, f)


def test_incompatible_static_shapes_name_both_operands():
    a = tf.placeholder(tf.float32, [2, 3], name="p23")
    b = tf.placeholder(tf.float32, [4], name="p4")
    with pytest.raises(ValueError) as e:
        tf.add(a, b)
    msg = str(e.value)
    assert "p23:0" in msg and "p4:0" in msg and "(2, 3)" in msg.replace("[", "(").replace("]", ")")


@pytest.mark.parametrize("sa,sb,expected", [
    ([None, 3], [3], [None, 3]),
    ([None, 1], [1, 4], [None, 4]),
    ([None, None], [1, 4], [None, 4]),
    ([None], [5], [5]),
    ([2, 1, 3], [4, 1], [2, 4, 3]),
    ([], [2, 3], [2, 3]),
    (None, [5], None),
    ([None, 3], None, None),
])
def test_broadcast_shape_inference(sa, sb, expected):
    a = tf.placeholder(tf.float32, sa)
    b = tf.placeholder(tf.float32, sb)
    for y in (a + b, tf.maximum(a, b), tf.less(a, b), tf.pow(a, b)):
        if expected is None:
            assert y.shape.ndims is None
        else:
            assert y.shape.as_list() == expected


def test_known_broadcast_mismatch_in_partial_shapes_is_caught():
    with pytest.raises(ValueError, match="Dimensions"):
        tf.placeholder(tf.float32, [None, 3]) * tf.placeholder(tf.float32, [None, 4])


def test_bool_tensors_cannot_be_added():
    with pytest.raises(TypeError, match="bool"):
        tf.add(tf.constant([True]), tf.constant([False]))


def test_squared_difference_is_a_composition_named_like_tf():
    a = tf.placeholder(tf.float32, [2])
    y = tf.squared_difference(a, 1.0)
    assert y.name == "SquaredDifference:0" and y.op.type == "Square"
    assert y.op.inputs[0].op.name == "SquaredDifference/Sub"


# ------------------------------------------------------------------------------------------------
# add_n and clip_by_value

def test_add_n_values_and_name():
    a = tf.placeholder(tf.float32, [None, 3])
    y = tf.add_n([a, a * 2.0, np.ones((2, 3), np.float32)])
    assert y.name == "AddN:0" and y.dtype is tf.float32 and y.shape.as_list() == [2, 3]
    out = run(y, {a: X23.astype(np.float32)})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 3 * X23 + 1, rtol=1e-5)


def test_add_n_merges_partial_shapes():
    y = tf.add_n([tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [2, None])])
    assert y.shape.as_list() == [2, 3]


def test_add_n_of_one_tensor_is_the_tensor():
    a = tf.placeholder(tf.float32, [3])
    assert tf.add_n([a]) is a


def test_add_n_of_python_numbers():
    y = tf.add_n([1.0, 2.0])
    assert y.dtype is tf.float32 and run(y) == np.float32(3.0)


def test_add_n_errors():
    with pytest.raises(ValueError, match="at least one"):
        tf.add_n([])
    with pytest.raises(ValueError, match="broadcast"):
        tf.add_n([tf.placeholder(tf.float32, [None, 3]), 1.0])
    with pytest.raises(ValueError, match="shape"):
        tf.add_n([tf.placeholder(tf.float32, [2, 3]), tf.placeholder(tf.float32, [3])])
    with pytest.raises(TypeError, match="float64"):
        tf.add_n([tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float64, [2])])


def test_add_n_int():
    out = run(tf.add_n([tf.constant([1, 2]), tf.constant([3, 4]), tf.constant([5, 6])]))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [9, 12])


def test_clip_by_value_values_and_names():
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.clip_by_value(x, 0.0, 1.0)
    assert y.name == "clip_by_value:0" and y.op.type == "Maximum"
    assert y.op.inputs[0].op.name == "clip_by_value/Minimum"
    assert y.dtype is tf.float32 and y.shape.as_list() == [None]
    v = np.array([-1.0, 0.0, 0.5, 1.0, 3.0, np.nan], np.float32)
    out = run(y, {x: v})
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.5, 1.0, 1.0, np.nan])


def test_clip_by_value_with_inverted_bounds_follows_tf1():
    # TF1 takes the minimum with the upper bound first, then the maximum with the lower bound
    out = run(tf.clip_by_value(tf.constant([-1.0, 0.5, 3.0]), 1.0, 0.0))
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])


def test_clip_by_value_with_tensor_bounds_and_ints():
    x = tf.constant(np.array([[1, 5, 9], [-3, 4, 12]], np.int32))
    y = tf.clip_by_value(x, tf.constant([0, 2, 4]), 8)
    assert y.dtype is tf.int32
    np.testing.assert_array_equal(run(y), [[1, 5, 8], [0, 4, 8]])


def test_clip_by_value_may_not_grow_the_shape():
    with pytest.raises(ValueError, match="shape"):
        tf.clip_by_value(tf.placeholder(tf.float32, [2]), tf.constant(np.zeros((3, 2), np.float32)), 1.0)


# ------------------------------------------------------------------------------------------------
# gradients: values recorded with TF1 on the same inputs (float32)

def _grad_of(fn, *values):
    phs = [tf.placeholder(tf.float32, np.shape(v)) for v in values]
    return grads(fn(*phs), phs, dict(zip(phs, [np.asarray(v, np.float32) for v in values])))


def _assert_grads(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        if e is None:
            assert a is None
        else:
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, np.asarray(e, np.float32), rtol=1e-6, atol=1e-7)


TF1_GRADIENTS = [
    ("sqrt", tf.sqrt, ([0.25, 4.0, 0.0],), [[1.0, 0.25, np.inf]]),
    ("rsqrt", tf.rsqrt, ([0.25, 4.0],), [[-4.0, -0.0625]]),
    ("pow_positive", tf.pow, ([0.5, 2.0], [3.0, -1.5]),
     [[0.75, -0.2651650309562683], [-0.08664339780807495, 0.24506452679634094]]),
    ("pow_at_zero", tf.pow, ([0.0, 0.0, 0.0, -2.0], [2.0, 1.0, 0.5, 2.0]),
     [[0.0, 1.0, np.inf, -4.0], [0.0, 0.0, 0.0, 0.0]]),
    ("pow_y_broadcast", tf.pow, ([[0.5, 2.0], [1.5, 3.0]], 2.0), [[[1.0, 4.0], [3.0, 6.0]], 13.39910888671875]),
    ("pow_x_broadcast", tf.pow, (2.0, [[0.5, 2.0], [1.5, 3.0]]),
     [18.474872589111328, [[0.9802581071853638, 2.7725887298583984], [1.9605162143707275, 5.545177459716797]]]),
    ("floormod", tf.mod, ([7.5, -7.5, 7.5, -7.5], [2.0, 2.0, -2.0, -2.0]),
     [[1.0, 1.0, 1.0, 1.0], [-3.0, 4.0, 4.0, -3.0]]),
    ("select", lambda c, a, b: tf.where(c > 0, a, b), ([1.0, -1.0, 2.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
     [None, [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
    ("select_rows", lambda c, a, b: tf.where(c > 0, a * a, b),
     ([1.0, -1.0], [[1.0, 2.0], [3.0, 4.0]], [[4.0, 5.0], [6.0, 7.0]]),
     [None, [[2.0, 4.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]]]),
    ("abs_at_zero", tf.abs, ([-2.0, 0.0, 3.0],), [[-1.0, 0.0, 1.0]]),
    ("relu_at_zero", tf.nn.relu, ([-1.0, 0.0, 2.0],), [[0.0, 0.0, 1.0]]),
    ("maximum_ties", tf.maximum, ([1.0, 2.0, 3.0], [1.0, 3.0, 2.0]), [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
    ("minimum_ties", tf.minimum, ([1.0, 2.0, 3.0], [1.0, 3.0, 2.0]), [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    ("maximum_broadcast_tie", tf.maximum, ([1.0, 2.0, 3.0], 2.0), [[0.0, 1.0, 1.0], 1.0]),
    ("minimum_broadcast_tie", tf.minimum, ([1.0, 2.0, 3.0], 2.0), [[1.0, 1.0, 0.0], 1.0]),
    ("clip_at_bounds", lambda a, lo, hi: tf.clip_by_value(a, lo, hi), ([-1.0, 0.0, 0.5, 1.0, 2.0], 0.0, 1.0),
     [[0.0, 1.0, 1.0, 1.0, 0.0], 1.0, 1.0]),
    ("sign", tf.sign, ([-1.0, 0.0, 2.0],), [[0.0, 0.0, 0.0]]),
    ("realdiv_broadcast", lambda a, b: a / b, ([[1.0, 2.0], [3.0, 4.0]], [0.5, -4.0]),
     [[[2.0, -0.25], [2.0, -0.25]], [-16.0, -0.375]]),
    ("mul_broadcast", lambda a, b: a * b, ([[1.0, 2.0], [3.0, 4.0]], [[10.0], [20.0]]),
     [[[10.0, 10.0], [20.0, 20.0]], [[3.0], [7.0]]]),
    ("sub_broadcast_both", lambda a, b: a - b, ([[1.0, 2.0]], [[10.0], [20.0]]), [[[2.0, 2.0]], [[-2.0], [-2.0]]]),
    ("square", tf.square, ([-3.0, 0.5],), [[-6.0, 1.0]]),
    ("expm1", tf.expm1, ([0.5, -1.0],), [[1.6487212181091309, 0.3678794503211975]]),
    ("log1p", tf.log1p, ([0.5, -0.5],), [[0.6666666865348816, 2.0]]),
    ("reciprocal", tf.reciprocal, ([0.5, -4.0],), [[-4.0, -0.0625]]),
    ("sigmoid", tf.sigmoid, ([0.0, 2.0],), [[0.25, 0.10499357432126999]]),
    ("tanh", tf.tanh, ([0.0, 2.0],), [[1.0, 0.07065081596374512]]),
    ("add_n_repeated", lambda a, b: tf.add_n([a, b, a]), ([3.0], [1.0]), [[2.0], [1.0]]),
    ("cast_to_float64", lambda a: tf.cast(a, tf.float64) * 2.0, ([1.5],), [[2.0]]),
    ("placeholder_with_default", lambda a: tf.placeholder_with_default(a, [None]) * 2.0, ([1.0, 2.0],),
     [[2.0, 2.0]]),
    ("sqrt_second_derivative", lambda a: tf.gradients(tf.sqrt(a), a)[0], ([4.0],), [[-0.03125]]),
    ("tanh_second_derivative", lambda a: tf.gradients(tf.tanh(a), a)[0], ([0.5],), [[-0.7268619537353516]]),
    ("pow_second_derivative", lambda a: tf.gradients(a ** 3.0, a)[0], ([2.0],), [[12.0]]),
]


@pytest.mark.parametrize("name,fn,values,expected", TF1_GRADIENTS, ids=[g[0] for g in TF1_GRADIENTS])
def test_gradients_match_tf1(name, fn, values, expected):
    _assert_grads(_grad_of(fn, *values), expected)


NO_GRADIENT = [
    ("floor", tf.floor), ("ceil", tf.ceil), ("round", tf.round),
    ("floordiv", lambda a: a // 2.0), ("through_int_cast", lambda a: tf.cast(tf.cast(a, tf.int32), tf.float32)),
    ("comparison", lambda a: tf.cast(a > 0, tf.float32)),
]


@pytest.mark.parametrize("name,fn", NO_GRADIENT, ids=[n[0] for n in NO_GRADIENT])
def test_ops_without_gradient_give_none_as_tf1(name, fn):
    x = tf.placeholder(tf.float32, [1])
    assert tf.gradients(fn(x), [x]) == [None]


def test_gradient_dtype_stays_float32():
    x = tf.placeholder(tf.float32, [3])
    y = tf.sqrt(x) * tf.exp(x) / (1.0 + tf.square(x)) + tf.pow(x, 2.5) + tf.maximum(x, 0.5)
    g = run(tf.gradients(y, x)[0], {x: [0.5, 1.0, 2.0]})
    assert g.dtype == np.float32


def test_ops_on_tensors_of_a_non_default_graph_build_in_that_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2])
        i = tf.placeholder(tf.int32, [2])
    built = [x + 1.0, 2.0 * x, tf.maximum(x, 0.0), tf.exp(x), i / 2, tf.div(i, 2), tf.where(x > 0, x, 0.0 * x),
             tf.add_n([x, 1.0 + x]), tf.clip_by_value(x, 0.0, 1.0), tf.squared_difference(x, 1.0)]
    assert all(t.graph is g for t in built)
    assert tf.get_default_graph().get_operations() == []
