"""conv1d, conv2d_transpose, atrous_conv2d, depthwise_conv2d, separable_conv2d and LRN
(graphc/ops/conv_variants.py) against TensorFlow: tests/data/tf1_conv_variants.json was recorded
from TF 2.21 compat.v1 by tests/data/make_tf1_conv_variants.py."""
import json

import numpy as np
import pytest

import graphc as tf
from repo_paths import DATA
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
TF = {k: (np.asarray(v, np.float32) if k != "source" else v)
      for k, v in json.load(open(DATA / "tf1_conv_variants.json")).items()}


def _built():
    x, w, dw, pw, x1, w1, tv = (TF[k] for k in ("x", "w", "dw", "pw", "x1", "w1", "tv"))
    ph = tf.placeholder(tf.float32, x.shape)
    return ph, dict(
        conv1d=tf.nn.conv1d(x1, w1, 2, "SAME"),
        conv1d_valid=tf.nn.conv1d(x1, w1, 1, "VALID"),
        transpose=tf.nn.conv2d_transpose(tv, w, [1, 5, 4, 2], [1, 2, 2, 1], "SAME"),
        atrous=tf.nn.atrous_conv2d(ph, w, 2, "SAME"),
        depthwise=tf.nn.depthwise_conv2d(ph, dw, [1, 1, 1, 1], "VALID"),
        depthwise_s2=tf.nn.depthwise_conv2d(ph, dw, [1, 2, 2, 1], "SAME"),
        depthwise_rate=tf.nn.depthwise_conv2d(ph, dw, [1, 1, 1, 1], "SAME", rate=[2, 2]),
        separable=tf.nn.separable_conv2d(ph, dw, pw, [1, 1, 1, 1], "SAME"),
        lrn=tf.nn.local_response_normalization(tf.concat([ph, ph * 2, -ph], 3), depth_radius=2, bias=1.5,
                                               alpha=0.3, beta=0.75),
        g_lrn=tf.gradients(tf.reduce_sum(tf.nn.lrn(ph, 1, 1.0, 0.5, 0.6)
                                         * np.arange(40, dtype=np.float32).reshape(1, 5, 4, 2)), ph)[0],
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_tensorflow(backend):
    ph, outs = _built()
    for name, t in outs.items():
        assert t.shape.as_list() == list(TF[name].shape), name
    with tf.Session(backend=backend) as sess:
        got = sess.run(outs, {ph: TF["x"]})
    for name, value in got.items():
        np.testing.assert_allclose(value, TF[name], rtol=2e-5, atol=2e-6, err_msg=name)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="output_shape .* has 3 channels, but filter"):
        tf.nn.conv2d_transpose(TF["tv"], TF["w"], [1, 5, 4, 3], [1, 2, 2, 1], "SAME")
    with pytest.raises(ValueError, match="must be rank 3"):
        tf.nn.conv1d(TF["x"], TF["w1"], 1, "SAME")
    with pytest.raises(ValueError, match="Depth of input"):
        tf.nn.depthwise_conv2d(TF["x"], np.zeros((2, 2, 3, 1), np.float32), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="rate must be a positive int"):
        tf.nn.atrous_conv2d(TF["x"], TF["w"], 0, "SAME")
