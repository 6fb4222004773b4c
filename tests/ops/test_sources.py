"""Sources and graph plumbing (graphc/ops/source.py, identity, stop_gradient, no_op, group, tuple):
constants' dtype inference, names and shapes, placeholders' feeding rules. TF1-specific names and
errors were recorded with TensorFlow's v1 API and are hard-coded here.
"""
import numpy as np
import pytest

import graphc as tf
from graphc import errors


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)

# ------------------------------------------------------------------------------------------------
# constant

@pytest.mark.parametrize("value,dtype,shape", [
    (1.0, tf.float32, []), (1, tf.int32, []), (2**40, tf.int64, []), (True, tf.bool, []),
    ([1, 2.5], tf.float32, [2]), ([[1, 2], [3, 4]], tf.int32, [2, 2]), ([], tf.float32, [0]),
    (np.array([1.0]), tf.float64, [1]), (np.float64(1.0), tf.float64, []), (np.array([1], np.int64), tf.int64, [1]),
    (np.float32(2.0), tf.float32, []), ([True, False], tf.bool, [2]),
])
def test_constant_dtype_inference(value, dtype, shape):
    c = tf.constant(value)
    assert c.dtype is dtype and c.shape.as_list() == shape
    out = run(c)
    assert out.dtype == dtype.as_numpy_dtype
    np.testing.assert_array_equal(out, np.asarray(value))


def test_constant_names():
    assert [tf.constant(1).name, tf.constant(2).name, tf.constant(3, name="c").name] == \
        ["Const:0", "Const_1:0", "c:0"]


def test_constant_with_dtype():
    c = tf.constant([1, 2], dtype=tf.float64)
    assert c.dtype is tf.float64
    np.testing.assert_array_equal(run(c), [1.0, 2.0])
    assert tf.constant(1, dtype="float").dtype is tf.float32
    assert tf.constant(np.array([2, 3]), dtype=tf.float32).dtype is tf.float32
    assert run(tf.constant(True, dtype=tf.float32)) == 1.0


def test_constant_scalar_broadcast_to_shape():
    c = tf.constant(3.0, shape=[2, 3])
    assert c.shape.as_list() == [2, 3]
    np.testing.assert_array_equal(run(c), np.full((2, 3), 3.0, np.float32))


def test_constant_reshaped_to_shape():
    np.testing.assert_array_equal(run(tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3])), [[1, 2, 3], [4, 5, 6]])


def test_constant_with_fewer_values_repeats_the_last_one():
    np.testing.assert_array_equal(run(tf.constant([1, 2], shape=[2, 3])), [[1, 2, 2], [2, 2, 2]])


def test_constant_with_too_many_values_is_an_error():
    with pytest.raises((TypeError, ValueError), match="7|elements"):
        tf.constant([1, 2, 3, 4, 5, 6, 7], shape=[2, 3])


def test_constant_verify_shape():
    with pytest.raises(TypeError, match="shape"):
        tf.constant(3.0, shape=[2], verify_shape=True)
    assert tf.constant([1.0, 2.0], shape=[2], verify_shape=True).shape.as_list() == [2]


def test_constant_ragged_list_is_an_error():
    with pytest.raises(ValueError):
        tf.constant([[1, 2], [3]])


def test_constant_ragged_list_with_dtype_is_a_value_error():
    with pytest.raises(ValueError):
        tf.constant([[1, 2], [3]], dtype=tf.float32)


def test_constant_non_integral_float_to_int_is_an_error():
    with pytest.raises(TypeError, match="int32"):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(TypeError, match="int32"):
        tf.constant([1.0, 2.5], dtype=tf.int32)


def test_constant_number_to_bool_is_an_error():
    with pytest.raises(TypeError, match="bool"):
        tf.constant(1, dtype=tf.bool)


def test_constant_none_and_tensor_are_errors():
    with pytest.raises(ValueError, match="None"):
        tf.constant(None)
    with pytest.raises(TypeError, match="tensor"):
        tf.constant(tf.constant(1.0))
    with pytest.raises(TypeError):
        tf.constant("abc", dtype=tf.float32)


def test_constant_value_cannot_be_mutated_through_the_source_array():
    src = np.array([1.0, 2.0], np.float32)
    c = tf.constant(src)
    src[0] = 99.0
    np.testing.assert_array_equal(run(c), [1.0, 2.0])


# ------------------------------------------------------------------------------------------------
# placeholders, identity, stop_gradient

def test_placeholder_dtype_shape_and_name():
    assert tf.placeholder(tf.float32).name == "Placeholder:0"
    p = tf.placeholder(tf.float32, [None, 3], name="inp")
    assert p.name == "inp:0" and p.dtype is tf.float32 and p.shape.as_list() == [None, 3]
    assert tf.placeholder(tf.int32).shape.ndims is None
    assert tf.placeholder("float", ()).shape.as_list() == []
    np.testing.assert_array_equal(run(p * 2.0, {p: np.ones((2, 3))}), np.full((2, 3), 2.0, np.float32))


def test_unfed_placeholder_is_an_error():
    p = tf.placeholder(tf.float32, [2], name="needed")
    with pytest.raises(errors.InvalidArgumentError, match="needed"):
        run(p + 1.0)


def test_placeholder_with_default():
    d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), [None])
    assert d.name == "PlaceholderWithDefault:0" and d.shape.as_list() == [None] and d.dtype is tf.float32
    y = d * 2.0
    np.testing.assert_array_equal(run(y), [2.0, 4.0])
    np.testing.assert_array_equal(run(y, {d: [5.0, 6.0, 7.0]}), [10.0, 12.0, 14.0])
    s = tf.placeholder_with_default(1.0, [])
    assert s.dtype is tf.float32 and s.shape.as_list() == []


def test_placeholder_with_default_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="compatible"):
        tf.placeholder_with_default([1.0, 2.0], [3])


def test_identity_and_stop_gradient():
    x = tf.placeholder(tf.float32, [None, 2])
    i, s = tf.identity(x), tf.stop_gradient(x)
    assert (i.name, s.name) == ("Identity:0", "StopGradient:0")
    assert i.shape.as_list() == [None, 2] and s.dtype is tf.float32
    v = np.array([[1.0, 2.0]], np.float32)
    out = run([i, s], {x: v})
    np.testing.assert_array_equal(out[0], v)
    np.testing.assert_array_equal(out[1], v)
    g = run(tf.gradients(tf.stop_gradient(x) * x, [x]), {x: [[3.0, 4.0]]})
    np.testing.assert_array_equal(g[0], [[3.0, 4.0]])  # TF1: only the non-stopped factor counts
    assert tf.gradients(tf.stop_gradient(x), [x]) == [None]


# ------------------------------------------------------------------------------------------------
# no_op, group, tuple

def test_no_op_and_group_names():
    a = tf.placeholder(tf.float32, [])
    b = tf.placeholder(tf.float32, [])
    n = tf.no_op()
    assert n.name == "NoOp" and n.type == "NoOp"
    g1 = tf.group(a, b)
    g2 = tf.group([a.op, b.op], name="gg")
    assert (g1.name, g2.name) == ("group_deps", "gg")
    assert set(g1.control_inputs) == {a.op, b.op}
    assert set(g2.control_inputs) == {a.op, b.op}


def test_group_runs_its_inputs():
    v = tf.Variable(1.0)
    g = tf.group(tf.assign_add(v, 2.0), tf.no_op())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(g) is None
        assert sess.run(v) == 3.0


def test_group_rejects_non_ops():
    with pytest.raises(TypeError, match="Operation"):
        tf.group(3)


def test_tuple_names_and_values():
    a = tf.placeholder(tf.float32, [2])
    b = tf.placeholder(tf.float32, [2])
    ta, tb = tf.tuple([a, b])
    assert (ta.name, tb.name) == ("tuple/control_dependency:0", "tuple/control_dependency_1:0")
    assert ta.op.control_inputs and ta.op.control_inputs[0].name == "tuple/group_deps"
    tt = tf.tuple([a, None], name="tt")
    assert tt[0].name == "tt/control_dependency:0" and tt[1] is None


def test_tuple_values():
    a = tf.constant([1.0, 2.0]) * 1.0
    b = tf.constant([3.0, 4.0]) * 1.0
    out = run(tf.tuple([a, b]))
    np.testing.assert_array_equal(out[0], [1.0, 2.0])
    np.testing.assert_array_equal(out[1], [3.0, 4.0])


def test_tuple_of_fed_placeholders():
    a = tf.placeholder(tf.float32, [2])
    ta, = tf.tuple([a])
    np.testing.assert_array_equal(run(ta, {a: [1.0, 2.0]}), [1.0, 2.0])
