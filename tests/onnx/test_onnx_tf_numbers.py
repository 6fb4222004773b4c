"""ONNX models of the new rule families give TensorFlow's own numbers: the inputs and outputs recorded
from TF 2.21 compat.v1 for graphc's op tests (tests/data/tf1_conv_variants.json, tests/data/tf1_image.json,
tests/data/rnn/*.npz with their recording scripts) are fed to the exported model in onnxruntime."""
import json
import os
import sys

import numpy as np
import pytest

import graphc as tf
import graphc.onnx

import repo_paths
from onnx_roundtrip import run_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

CONV = json.loads((repo_paths.DATA / "tf1_conv_variants.json").read_text())
IMAGE = json.loads((repo_paths.DATA / "tf1_image.json").read_text())
RNN = str(repo_paths.DATA / "rnn")


def _array(name, data=CONV):
    return np.array(data[name], np.float32)


def _conv_cases(x, x1, tv, lrn_in):
    """The graphs of tests/data/make_tf1_conv_variants.py, on placeholders for the recorded inputs."""
    w, dw, pw, w1 = (tf.constant(_array(n)) for n in ("w", "dw", "pw", "w1"))
    return {
        "conv1d": tf.nn.conv1d(x1, w1, 2, "SAME"),
        "conv1d_valid": tf.nn.conv1d(x1, w1, 1, "VALID"),
        "transpose": tf.nn.conv2d_transpose(tv, w, [1, 5, 4, 2], [1, 2, 2, 1], "SAME"),
        "atrous": tf.nn.atrous_conv2d(x, w, 2, "SAME"),
        "depthwise": tf.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "VALID"),
        "depthwise_s2": tf.nn.depthwise_conv2d(x, dw, [1, 2, 2, 1], "SAME"),
        "depthwise_rate": tf.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME", rate=[2, 2]),
        "separable": tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME"),
        "lrn": tf.nn.local_response_normalization(lrn_in, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75),
    }


def test_convolution_variants_give_tensorflows_numbers(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 4, 2], name="x")
        x1 = tf.placeholder(tf.float32, [None, 6, 2], name="x1")
        tv = tf.placeholder(tf.float32, [1, 3, 2, 3], name="tv")
        lrn_in = tf.concat([x, x * 2.0, -x], 3)
        cases = _conv_cases(x, x1, tv, lrn_in)
        with tf.Session() as sess:
            graphc.onnx.export(sess, [x, x1, tv], list(cases.values()), tmp_path / "conv.onnx")
    got = run_onnx(tmp_path / "conv.onnx", {"x:0": _array("x"), "x1:0": _array("x1"), "tv:0": _array("tv")})
    for name, value in zip(cases, got):
        np.testing.assert_allclose(value, _array(name), rtol=1e-5, atol=1e-5, err_msg=name)


def test_resizes_give_tensorflows_numbers(tmp_path):
    ops = {"bilinear": tf.image.resize_bilinear, "nearest": tf.image.resize_nearest_neighbor,
           "bicubic": tf.image.resize_bicubic}
    modes = {"legacy": (False, False), "align": (True, False), "half": (False, True)}
    keys = [k for k in IMAGE if k.count("|") == 2]
    assert len(keys) == 45
    with tf.Graph().as_default():
        img = tf.placeholder(tf.float32, [None, 4, 5, 2], name="img")
        outs = []
        for key in keys:
            op, size, mode = key.split("|")
            align, half = modes[mode]
            outs.append(ops[op](img, [int(d) for d in size.split("x")], align_corners=align, half_pixel_centers=half))
        crops = {"resize_with_crop_or_pad": tf.image.resize_image_with_crop_or_pad(img, 3, 8),
                 "central_crop": tf.image.central_crop(img[0], 0.5),
                 "pad_to_bounding_box": tf.image.pad_to_bounding_box(img, 1, 2, 6, 8),
                 "crop_to_bounding_box": tf.image.crop_to_bounding_box(img, 1, 2, 2, 3)}
        with tf.Session() as sess:
            graphc.onnx.export(sess, [img], outs + list(crops.values()), tmp_path / "resize.onnx")
    got = run_onnx(tmp_path / "resize.onnx", {"img:0": _array("IMG", IMAGE)})
    for key, value in zip(keys + list(crops), got):
        want = np.array(IMAGE[key]["y"] if "|" in key else IMAGE[key], np.float32)
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=2e-6, err_msg=key)


sys.path.insert(0, RNN)
import cases as rnn_cases  # noqa: E402

DYNAMIC = sorted(name for name, (fn, _, _) in rnn_cases.CASES.items() if "dynamic" in fn)


@pytest.mark.parametrize("name", DYNAMIC)
def test_dynamic_rnns_give_tensorflows_numbers(tmp_path, name):
    """dynamic_rnn and bidirectional_dynamic_rnn over every recorded cell, with TensorFlow's weights."""
    want = np.load(os.path.join(RNN, f"{name}.npz"))
    with tf.Graph().as_default():
        feeds, x, results, _ = rnn_cases.build(tf, name)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i, var in enumerate(tf.global_variables()):
                var.load(want[f"weight_{i}"], sess)
            graphc.onnx.export(sess, list(feeds), results, tmp_path / "rnn.onnx")
    got = run_onnx(tmp_path / "rnn.onnx", {t.name: v for t, v in feeds.items()})
    for i, value in enumerate(got):
        np.testing.assert_allclose(value, want[f"result_{i}"], rtol=2e-5, atol=2e-6, err_msg=f"{name} result_{i}")
