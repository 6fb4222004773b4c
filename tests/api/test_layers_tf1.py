"""tf.layers against TF 2.21 compat.v1 (tf-keras legacy layers) numbers in tests/data/tf1_layers.json
(recorded by tests/data/make_tf1_layers.py): batch_normalization in training and inference, its moving
averages through UPDATE_OPS (fused and unfused variance rules), conv1d, conv2d_transpose,
separable_conv2d and the 1-D/2-D pooling layers; the Layer classes' variables, reuse and updates."""
import json

import numpy as np
import pytest

import graphc as tf
from repo_paths import DATA

TF1 = json.loads((DATA / "tf1_layers.json").read_text())
IN = {k: np.array(v, np.float32) for k, v in TF1["inputs"].items()}
L = tf.layers
ci = tf.constant_initializer
BN = {"bn4d": ("X4", {}), "bn2d": ("X2", {}), "bn2d_noscale": ("X2", dict(center=False, scale=False)),
      "bn4d_axis1": ("X4", dict(axis=1))}


def close(got, key, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(got, np.array(key, np.float32), rtol=rtol, atol=atol)


@pytest.mark.parametrize("key", sorted(BN))
def test_batch_normalization_matches_tf1(key):
    x_name, kwargs = BN[key]
    x = IN[x_name]
    want = TF1[key]
    p = tf.placeholder(tf.float32, x.shape)
    t = tf.placeholder(tf.bool, [])
    y = L.batch_normalization(p, training=t, momentum=0.9, epsilon=1e-3, **kwargs)
    upd = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert sorted(v.name for v in tf.global_variables()) == want["names"]
    assert sorted(v.name for v in tf.trainable_variables()) == want["trainable"]
    assert len(upd) == want["n_updates"]
    mm, mv = [v for v in tf.global_variables() if "moving" in v.name]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        close(s.run(y, {p: x, t: True}), want["y_train"])
        s.run(upd, {p: x, t: True})
        s.run(upd, {p: x * 0.5, t: True})
        close(s.run(mm), want["moving_mean"])
        close(s.run(mv), want["moving_variance"])
        close(s.run(y, {p: x, t: False}), want["y_infer"])
        s.run(upd, {p: x, t: False})
        close(s.run(mm), want["moving_mean_after_infer"])
        close(s.run(mv), want["moving_variance_after_infer"])


def test_batch_normalization_python_bool_training():
    x = IN["X2"]
    y_train = L.batch_normalization(x, training=True, momentum=0.9)
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2
    y_infer = L.batch_normalization(x, training=False, name="frozen")
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2       # TF1 adds no updates for training=False
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        got_train, got_infer = s.run([y_train, y_infer])
    normalized = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(got_train, normalized, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_infer, x / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_forgetting_update_ops_leaves_moving_averages_and_control_dependency_updates_them():
    x = tf.placeholder(tf.float32, [4, 3])
    y = L.batch_normalization(x, training=True)
    loss = tf.reduce_sum(tf.square(y))
    opt = tf.train.GradientDescentOptimizer(0.1)
    plain = opt.minimize(loss)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        with_updates = opt.minimize(loss)
    mm = [v for v in tf.global_variables() if "moving_mean" in v.name][0]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        s.run(plain, {x: IN["X2"]})
        np.testing.assert_array_equal(s.run(mm), np.zeros(3, np.float32))
        s.run(with_updates, {x: IN["X2"]})
        np.testing.assert_allclose(s.run(mm), 0.01 * IN["X2"].mean(0), rtol=1e-5)


def test_batch_normalization_class_and_reuse():
    layer = L.BatchNormalization(momentum=0.5)
    a = layer(IN["X2"], training=True)
    b = layer.apply(IN["X2"] * 2.0, training=False)
    assert [v.name for v in layer.variables] == ["batch_normalization/gamma:0", "batch_normalization/beta:0",
                                                 "batch_normalization/moving_mean:0",
                                                 "batch_normalization/moving_variance:0"]
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert layer.non_trainable_weights == [layer.moving_mean, layer.moving_variance]
    assert len(layer.updates) == 2 and len(tf.global_variables()) == 4
    assert a.shape.as_list() == b.shape.as_list() == [4, 3]


def test_batch_normalization_errors():
    with pytest.raises(ValueError, match="renorm_clipping"):
        L.batch_normalization(IN["X2"], renorm=True, renorm_clipping={"r_max": 2.0})
    with pytest.raises(ValueError, match="fused=True"):
        L.batch_normalization(IN["X2"], fused=True)
    with pytest.raises(TypeError, match="bool"):
        L.batch_normalization(IN["X2"], training=tf.constant(1.0))
    with pytest.raises(ValueError, match="out of range"):
        L.batch_normalization(IN["X2"], axis=3)


BUILD = {
    "conv1d": lambda: L.conv1d(IN["X3"], 3, 3, strides=2, padding="same", kernel_initializer=ci(IN["K1"][:, :, :3]),
                               bias_initializer=ci(IN["B3"])),
    "conv1d_valid_dil": lambda: L.conv1d(IN["X3"], 3, 3, dilation_rate=2, kernel_initializer=ci(IN["K1"][:, :, :3])),
    "conv2d_transpose_same": lambda: L.conv2d_transpose(IN["X4"], 3, 3, strides=2, padding="same",
                                                        kernel_initializer=ci(IN["KT"]), bias_initializer=ci(IN["B3"])),
    "conv2d_transpose_valid": lambda: L.conv2d_transpose(IN["X4"], 3, 3, strides=(2, 1), padding="valid",
                                                         kernel_initializer=ci(IN["KT"]), use_bias=False),
    "separable_conv2d": lambda: L.separable_conv2d(IN["X5"], 3, 3, depth_multiplier=2, padding="same",
                                                   depthwise_initializer=ci(IN["KD"]), pointwise_initializer=ci(IN["KP"]),
                                                   bias_initializer=ci(IN["B3"])),
    "average_pooling1d": lambda: L.average_pooling1d(IN["X3"], 3, 2, padding="same"),
    "max_pooling1d": lambda: L.max_pooling1d(IN["X3"], 2, 2),
    "average_pooling2d": lambda: L.average_pooling2d(IN["X5"], 2, 2, padding="same"),
    "max_pooling2d": lambda: L.max_pooling2d(IN["X5"], 3, 2, padding="same"),
}


@pytest.mark.parametrize("key", sorted(BUILD))
def test_layer_matches_tf1(key):
    y = BUILD[key]()
    assert sorted(f"{v.name} {v.shape.as_list()}" for v in tf.global_variables()) == TF1[key]["names"]
    want = np.array(TF1[key]["y"], np.float32)
    assert y.shape.as_list() == list(want.shape)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_allclose(s.run(y), want, rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_unknown_batch_and_gradient():
    x = tf.placeholder(tf.float32, [None, 3, 3, 2])
    y = L.conv2d_transpose(x, 3, 3, strides=2, padding="same", kernel_initializer=ci(IN["KT"]),
                           bias_initializer=ci(IN["B3"]))
    assert y.shape.as_list()[1:] == [6, 6, 3]
    grads = tf.gradients(tf.reduce_sum(y * y), tf.trainable_variables())
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        got = s.run([y] + grads, {x: IN["X4"]})
    close(got[0], TF1["conv2d_transpose_same"]["y"], atol=1e-5)
    assert all(np.all(np.isfinite(g)) for g in got[1:])


def test_layer_classes_share_variables_across_calls():
    dense = L.Dense(3, activation=tf.nn.relu, name="head")
    a = dense(IN["X2"])
    b = dense.apply(IN["X2"] * 2.0)
    assert dense.kernel.name == "head/kernel:0" and dense.bias.name == "head/bias:0"
    assert dense.trainable_weights == [dense.kernel, dense.bias] == dense.variables
    assert len(tf.global_variables()) == 2 and dense.name == "head"
    conv = L.Conv2D(2, 3, padding="same")
    out = L.Flatten()(L.MaxPooling2D(2, 2)(conv(IN["X5"])))
    assert conv.kernel.shape.as_list() == [3, 3, 2, 2] and out.shape.as_list() == [2, 8]
    assert L.Dropout(0.5)(IN["X2"], training=False).shape.as_list() == [4, 3]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        got_a, got_b, kernel, bias = s.run([a, b, dense.kernel, dense.bias])
    np.testing.assert_allclose(got_a, np.maximum(IN["X2"] @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, np.maximum(2 * IN["X2"] @ kernel + bias, 0), rtol=1e-5, atol=1e-6)


def test_functional_reuse_shares_layer_variables():
    first = L.conv1d(IN["X3"], 2, 3, name="c")
    second = L.conv1d(IN["X3"], 2, 3, name="c", reuse=True)
    assert len(tf.global_variables()) == 2
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        got1, got2 = s.run([first, second])
    np.testing.assert_array_equal(got1, got2)


def test_fused_variance_rule_with_unknown_batch_size():
    p = tf.placeholder(tf.float32, [None, 3, 3, 2])
    L.batch_normalization(p, training=True, momentum=0.9)
    upd = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    mv = [v for v in tf.global_variables() if "moving_variance" in v.name][0]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        s.run(upd, {p: IN["X4"]})
        s.run(upd, {p: IN["X4"] * 0.5})
        close(s.run(mv), TF1["bn4d"]["moving_variance"])


def test_kernel_and_activity_regularizers_match_tf1():
    # TF 2.21 compat.v1: ['dense/kernel/Regularizer/Sum:0', 'dense/ActivityRegularizer/truediv:0'], [2.1, 0.17837502]
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    L.dense(x, 2, kernel_initializer=ci([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]),
            activity_regularizer=lambda t: tf.reduce_sum(t * t) * 0.5,
            kernel_regularizer=lambda k: tf.reduce_sum(tf.abs(k)))
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 2 and losses[1].name.startswith("dense/ActivityRegularizer/")
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_allclose(s.run(losses), [2.1, 0.17837502], rtol=1e-6)
