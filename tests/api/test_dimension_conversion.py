"""TF1 converts known Dimensions, TensorShapes and lists mixing ints and Dimensions to tensors."""
import numpy as np
import pytest

import graphc as tf

X = np.arange(12, dtype=np.float32).reshape(3, 4)


def run(t, x=X):
    ph = tf.get_default_graph().get_tensor_by_name("x:0")
    with tf.Session() as sess:
        return sess.run(t, feed_dict={ph: x})


@pytest.fixture
def x():
    return tf.placeholder(tf.float32, [None, 4], name="x")


def test_one_hot_depth_from_a_dimension(x):
    labels = tf.constant([0, 3, 1])
    out = tf.one_hot(labels, depth=x.shape[1])
    assert out.shape.as_list() == [3, 4]
    np.testing.assert_array_equal(run(out), np.eye(4, dtype=np.float32)[[0, 3, 1]])


def test_reshape_shape_mixing_ints_and_dimensions(x):
    out = tf.reshape(x, [-1, x.shape[1], 1])
    assert out.shape.as_list() == [None, 4, 1]
    np.testing.assert_array_equal(run(out), X.reshape(-1, 4, 1))


def test_reshape_to_a_tensor_shape(x):
    out = tf.reshape(x[0], x.shape[1:])
    assert out.shape.as_list() == [4]
    np.testing.assert_array_equal(run(out), X[0])


def test_reshape_mixing_a_tensor_and_a_dimension(x):
    out = tf.reshape(x, [tf.shape(x)[0] * 2, x.shape[1] // 2])
    np.testing.assert_array_equal(run(out), X.reshape(6, 2))


def test_tile_multiples_from_dimensions(x):
    out = tf.tile(x, [1, tf.Dimension(2)])
    assert out.shape.as_list() == [None, 8]
    np.testing.assert_array_equal(run(out), np.tile(X, [1, 2]))


@pytest.mark.parametrize("make, expected", [
    (lambda x: [x.shape[1], 2], (4, 2)),
    (lambda x: x.shape[1:], (4,)),
    (lambda x: (2, x.shape[1]), (2, 4)),
])
def test_zeros_and_ones_shape_from_dimensions(x, make, expected):
    z, o = tf.zeros(make(x)), tf.ones(make(x), dtype=tf.int32)
    assert tuple(z.shape.as_list()) == expected and tuple(o.shape.as_list()) == expected
    np.testing.assert_array_equal(run(z), np.zeros(expected, np.float32))
    np.testing.assert_array_equal(run(o), np.ones(expected, np.int32))


def test_fill_dims_from_dimensions(x):
    out = tf.fill([x.shape[1], 3], 2.5)
    assert out.shape.as_list() == [4, 3]
    np.testing.assert_array_equal(run(out), np.full((4, 3), 2.5, np.float32))


def test_large_fill_goes_through_the_fill_op(x):
    out = tf.zeros([x.shape[1], 100000])
    assert out.shape.as_list() == [4, 100000]
    assert run(tf.reduce_sum(out + 1.0)) == 400000.0


def test_constant_from_a_dimension_and_a_shape_is_int32(x):
    d, s = tf.constant(x.shape[1]), tf.constant(tf.TensorShape([2, 5]))
    assert d.dtype == tf.int32 and d.shape.as_list() == []
    assert s.dtype == tf.int32 and s.shape.as_list() == [2]
    assert run(d) == 4
    np.testing.assert_array_equal(run(s), [2, 5])
    assert tf.convert_to_tensor(tf.Dimension(7)).dtype == tf.int32


@pytest.mark.parametrize("build", [
    lambda x: tf.one_hot(tf.constant([0]), depth=x.shape[0]),
    lambda x: tf.reshape(x, [x.shape[0], 2]),
    lambda x: tf.tile(x, [x.shape[0], 1]),
    lambda x: tf.zeros([x.shape[0], 2]),
    lambda x: tf.zeros(x.shape),
    lambda x: tf.fill(x.shape, 1.0),
    lambda x: tf.constant(x.shape[0]),
])
def test_an_unknown_dimension_is_a_clear_value_error(x, build):
    with pytest.raises(ValueError, match=r"unknown Dimension|partially known TensorShape") as e:
        build(x)
    assert "tf.shape(x)" in str(e.value)
