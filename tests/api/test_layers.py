"""tf.layers (graphc/layers/): variable names, shapes, initializers, reuse, forward shapes, dropout."""
import numpy as np
import pytest

import graphc as tf
import graphc.layers as layers


def run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def names(variables):
    return [v.name for v in variables]


def test_dense_variables_names_and_default_initializers():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    y = layers.dense(x, 3)
    y2 = layers.dense(y, 2, use_bias=False)
    assert y.name == "dense/BiasAdd:0" and y.shape.as_list() == [None, 3]
    assert names(tf.global_variables()) == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0"]
    assert names(tf.trainable_variables()) == names(tf.global_variables())
    kernel, bias, _ = tf.global_variables()
    assert kernel.shape.as_list() == [4, 3] and bias.shape.as_list() == [3]
    xv = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k, b, yv, y2v = sess.run([kernel, bias, y, y2], {x: xv})
    limit = np.sqrt(6 / (4 + 3))                      # glorot uniform
    assert np.all(np.abs(k) <= limit) and np.std(k) > 0.1
    np.testing.assert_array_equal(b, np.zeros(3, np.float32))
    np.testing.assert_allclose(yv, xv @ k, rtol=1e-5, atol=1e-6)
    assert y2v.shape == (5, 2)


def test_dense_activation_initializers_and_rank3_inputs():
    x = tf.placeholder(tf.float32, [2, 3, 4])
    y = layers.dense(x, 5, activation=tf.nn.relu, kernel_initializer=tf.constant_initializer(0.5),
                     bias_initializer=tf.constant_initializer(-1.0), name="proj")
    assert y.shape.as_list() == [2, 3, 5] and y.name.startswith("proj/")
    xv = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    want = np.maximum(xv.sum(-1, keepdims=True) * 0.5 - 1.0, 0) * np.ones(5)
    np.testing.assert_allclose(run(y, {x: xv}), want, rtol=1e-5, atol=1e-6)


def test_dense_reuse_and_scopes():
    x = tf.placeholder(tf.float32, [None, 4])
    a = layers.dense(x, 3, name="out")
    b = layers.dense(x, 3, name="out", reuse=True)
    with tf.variable_scope("tower"):
        layers.dense(x, 3, name="out")
    assert names(tf.global_variables()) == ["out/kernel:0", "out/bias:0", "tower/out/kernel:0", "tower/out/bias:0"]
    assert b.name == "out_1/BiasAdd:0"
    av, bv = run([a, b], {x: np.ones((2, 4), np.float32)})
    np.testing.assert_array_equal(av, bv)
    with pytest.raises(ValueError, match="already exists"):
        layers.dense(x, 3, name="out")


def test_dense_needs_a_known_last_dim_and_regularizer_goes_to_its_collection():
    with pytest.raises(ValueError, match="last dimension"):
        layers.dense(tf.placeholder(tf.float32, [None, None]), 3)
    layers.dense(tf.placeholder(tf.float32, [None, 2]), 3, kernel_regularizer=lambda w: tf.reduce_sum(w * w))
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 1


def test_conv2d_layer_variables_and_values():
    x = tf.placeholder(tf.float32, [None, 6, 6, 2], name="x")
    y = layers.conv2d(x, 4, 3, padding="same", kernel_initializer=tf.constant_initializer(0.1),
                      bias_initializer=tf.constant_initializer(0.2))
    y2 = layers.conv2d(y, 5, (2, 3), strides=2, activation=tf.nn.relu)
    assert names(tf.global_variables()) == ["conv2d/kernel:0", "conv2d/bias:0", "conv2d_1/kernel:0", "conv2d_1/bias:0"]
    assert tf.global_variables()[0].shape.as_list() == [3, 3, 2, 4]
    assert tf.global_variables()[2].shape.as_list() == [2, 3, 4, 5]
    assert y.shape.as_list() == [None, 6, 6, 4] and y2.shape.as_list() == [None, 3, 2, 5]
    assert y2.name == "conv2d_1/Relu:0"
    yv = run(y, {x: np.ones((1, 6, 6, 2), np.float32)})
    # a 3x3 SAME window covers 9 inputs inside, 6 on an edge, 4 in a corner; 2 channels each
    assert yv[0, 2, 2, 0] == pytest.approx(18 * 0.1 + 0.2)
    assert yv[0, 0, 2, 1] == pytest.approx(12 * 0.1 + 0.2)
    assert yv[0, 0, 0, 3] == pytest.approx(8 * 0.1 + 0.2)


def test_conv2d_layer_argument_errors():
    x = tf.placeholder(tf.float32, [None, 6, 6, 2])
    with pytest.raises(ValueError, match="padding"):
        layers.conv2d(x, 4, 3, padding="full")
    with pytest.raises(ValueError, match="channels_last"):
        layers.conv2d(x, 4, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="kernel_size"):
        layers.conv2d(x, 4, (3, 3, 3))
    with pytest.raises(ValueError, match="rank 4"):
        layers.conv2d(tf.placeholder(tf.float32, [None, 6, 2]), 4, 3)


def test_cnn_forward_shapes_and_pooling_layers():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    c = layers.conv2d(x, 4, 3, activation=tf.nn.relu)
    p = layers.max_pooling2d(c, 2, 2)
    a = layers.average_pooling2d(p, 2, 1, padding="same")
    f = layers.flatten(a)
    logits = layers.dense(f, 10)
    assert [t.name for t in (c, p, a, f)] == ["conv2d/Relu:0", "max_pooling2d/MaxPool:0",
                                                "average_pooling2d/AvgPool:0", "flatten/Reshape:0"]
    assert c.shape.as_list() == [None, 6, 6, 4] and p.shape.as_list() == [None, 3, 3, 4]
    assert a.shape.as_list() == [None, 3, 3, 4] and f.shape.as_list() == [None, 36]
    assert logits.shape.as_list() == [None, 10]
    out = run(logits, {x: np.random.default_rng(2).standard_normal((3, 8, 8, 3)).astype(np.float32)})
    assert out.shape == (3, 10) and out.dtype == np.float32
    grads = tf.gradients(tf.reduce_sum(logits), tf.trainable_variables())
    assert all(g is not None for g in grads)


def test_max_pooling2d_values():
    xv = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    y = layers.max_pooling2d(xv, pool_size=(2, 2), strides=(2, 2))
    np.testing.assert_array_equal(run(y)[0, :, :, 0], [[5, 7], [13, 15]])


def test_flatten_values_and_unknown_dims():
    xv = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(run(layers.flatten(xv)), xv.reshape(2, 12))
    x = tf.placeholder(tf.float32, [None, None, 3])
    f = layers.flatten(x)
    assert f.shape.ndims == 2
    assert run(f, {x: np.zeros((2, 5, 3), np.float32)}).shape == (2, 15)
    assert run(layers.flatten(tf.constant([1.0, 2.0]))).shape == (2, 1)


def test_dropout_layer_with_python_training_flag():
    x = tf.placeholder(tf.float32, [50, 40])
    off = layers.dropout(x, 0.3)
    on = layers.dropout(x, 0.5, training=True, seed=1)
    assert off.name == "dropout/Identity:0" and on.name.startswith("dropout_1/dropout/")
    ones = np.ones((50, 40), np.float32)
    offv, onv = run([off, on], {x: ones})
    np.testing.assert_array_equal(offv, ones)
    assert set(np.unique(onv)) == {0.0, 2.0} and 0.4 < (onv == 0).mean() < 0.6


def test_dropout_layer_with_a_bool_placeholder():
    x = tf.placeholder(tf.float32, [50, 40])
    training = tf.placeholder(tf.bool, [], name="training")
    y = layers.dropout(x, 0.5, training=training, seed=3)
    ones = np.ones((50, 40), np.float32)
    np.testing.assert_array_equal(run(y, {x: ones, training: False}), ones)
    dropped = run(y, {x: ones, training: True})
    assert set(np.unique(dropped)) == {0.0, 2.0}
    with pytest.raises(TypeError, match="bool"):
        layers.dropout(x, training=tf.placeholder(tf.float32, []))
