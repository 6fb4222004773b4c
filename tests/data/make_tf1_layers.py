"""Records tests/data/tf1_layers.json with TF 2.21 compat.v1 tf.layers (tf-keras legacy layers):
run with TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python make_tf1_layers.py from tests/data."""
import json
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
rs = np.random.RandomState(7)
X4 = rs.randn(2, 3, 3, 2).astype(np.float32) * 2 + 1
X2 = rs.randn(4, 3).astype(np.float32) * 3 - 1
X3 = rs.randn(2, 7, 3).astype(np.float32)
X5 = rs.randn(2, 5, 5, 2).astype(np.float32)
K1 = rs.randn(3, 3, 4).astype(np.float32) * 0.5
KT = rs.randn(3, 3, 3, 2).astype(np.float32) * 0.5
KD = rs.randn(3, 3, 2, 2).astype(np.float32) * 0.5
KP = rs.randn(1, 1, 4, 3).astype(np.float32) * 0.5
B3 = np.array([0.1, -0.2, 0.3], np.float32)
out = {"inputs": {"X4": X4.tolist(), "X2": X2.tolist(), "X3": X3.tolist(), "X5": X5.tolist(), "K1": K1.tolist(),
                  "KT": KT.tolist(), "KD": KD.tolist(), "KP": KP.tolist(), "B3": B3.tolist()}}
ci = v1.constant_initializer


def bn_case(key, x, **kw):
    g = tf.Graph()
    with g.as_default():
        p = v1.placeholder(tf.float32, x.shape)
        t = v1.placeholder(tf.bool, [])
        y = v1.layers.batch_normalization(p, training=t, momentum=0.9, epsilon=1e-3, **kw)
        upd = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        names = sorted(v.name for v in v1.global_variables())
        tnames = sorted(v.name for v in v1.trainable_variables())
        mm = [v for v in v1.global_variables() if "moving_mean" in v.name][0]
        mv = [v for v in v1.global_variables() if "moving_variance" in v.name][0]
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            y_train = s.run(y, {p: x, t: True})
            s.run(upd, {p: x, t: True})
            s.run(upd, {p: x * 0.5, t: True})
            m1, v1_ = s.run([mm, mv])
            y_infer = s.run(y, {p: x, t: False})
            s.run(upd, {p: x, t: False})
            m2, v2 = s.run([mm, mv])
        out[key] = dict(names=names, trainable=tstr(tnames), n_updates=len(upd), y_train=y_train.tolist(),
                        moving_mean=m1.tolist(), moving_variance=v1_.tolist(), y_infer=y_infer.tolist(),
                        moving_mean_after_infer=m2.tolist(), moving_variance_after_infer=v2.tolist())


def tstr(x):
    return list(x)


bn_case("bn4d", X4)
bn_case("bn2d", X2)
bn_case("bn2d_noscale", X2, center=False, scale=False)
bn_case("bn4d_axis1", X4, axis=1)


def layer_case(key, build):
    g = tf.Graph()
    with g.as_default():
        y = build()
        names = sorted(f"{v.name} {v.shape.as_list()}" for v in v1.global_variables())
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            out[key] = dict(y=s.run(y).tolist(), names=names)


L = v1.layers
layer_case("conv1d", lambda: L.conv1d(X3, 3, 3, strides=2, padding="same", kernel_initializer=ci(K1[:, :, :3]),
                                      bias_initializer=ci(B3)))
layer_case("conv1d_valid_dil", lambda: L.conv1d(X3, 3, 3, dilation_rate=2, kernel_initializer=ci(K1[:, :, :3])))
layer_case("conv2d_transpose_same", lambda: L.conv2d_transpose(X4, 3, 3, strides=2, padding="same",
                                                               kernel_initializer=ci(KT), bias_initializer=ci(B3)))
layer_case("conv2d_transpose_valid", lambda: L.conv2d_transpose(X4, 3, 3, strides=(2, 1), padding="valid",
                                                                kernel_initializer=ci(KT), use_bias=False))
layer_case("separable_conv2d", lambda: L.separable_conv2d(X5, 3, 3, depth_multiplier=2, padding="same",
                                                          depthwise_initializer=ci(KD), pointwise_initializer=ci(KP),
                                                          bias_initializer=ci(B3)))
layer_case("average_pooling1d", lambda: L.average_pooling1d(X3, 3, 2, padding="same"))
layer_case("max_pooling1d", lambda: L.max_pooling1d(X3, 2, 2))
layer_case("average_pooling2d", lambda: L.average_pooling2d(X5, 2, 2, padding="same"))
layer_case("max_pooling2d", lambda: L.max_pooling2d(X5, 3, 2, padding="same"))
json.dump(out, open("tf1_layers.json", "w"))
print(sorted(out))
