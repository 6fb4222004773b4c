"""graphc.onnx.export of the convolution family, pooling variants and image ops: onnx.checker accepts
the model and onnxruntime gives graphc's numbers (the eager reference)."""
import numpy as np
import pytest

import graphc as tf
import graphc.onnx

from onnx_roundtrip import export_and_compare

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _const(rng, *shape):
    return tf.constant(rng.randn(*shape).astype(np.float32))


def test_transposed_depthwise_separable_atrous_and_1d_convolutions(tmp_path):
    rng = np.random.RandomState(10)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 7, 6, 3], name="x")
        outs = []
        for pad in ("SAME", "VALID"):
            for s in (1, 2, 3):
                # VALID: the largest output the strides allow, so ONNX needs output_padding
                h, w = (6 * s + 3 + s - 1, 5 * s + 2) if pad == "VALID" else (7 * s, 6 * s)
                shape = tf.stack([tf.shape(x)[0], h, w, 4])
                outs.append(tf.nn.conv2d_transpose(x, _const(rng, 3, 2, 4, 3), shape, [1, s, s, 1], pad))
            outs.append(tf.nn.depthwise_conv2d(x, _const(rng, 3, 3, 3, 2), [1, 1, 1, 1], pad, rate=[2, 2]))
            outs.append(tf.nn.depthwise_conv2d(x, _const(rng, 2, 3, 3, 2), [1, 2, 2, 1], pad))
            outs.append(tf.nn.separable_conv2d(x, _const(rng, 3, 3, 3, 2), _const(rng, 1, 1, 6, 5), [1, 1, 1, 1], pad))
            outs.append(tf.nn.atrous_conv2d(x, _const(rng, 2, 2, 3, 4), 2, pad))
            outs.append(tf.nn.conv2d(x, _const(rng, 3, 2, 3, 2), [1, 2, 1, 1], pad, dilations=[1, 1, 2, 1]))
        outs.append(tf.nn.conv1d(x[:, 0], _const(rng, 3, 3, 2), 2, "SAME"))
        outs.append(tf.nn.local_response_normalization(x, 2, 1.5, 0.3, 0.6))
        outs.append(tf.layers.conv2d_transpose(x, 2, 3, strides=2, padding="same"))
        outs.append(tf.layers.conv2d_transpose(x, 2, (2, 3), strides=(3, 2), padding="valid"))
        outs.append(tf.layers.separable_conv2d(x, 4, 3, padding="same", depth_multiplier=2))
        outs.append(tf.layers.conv1d(x[:, 0], 4, 2, dilation_rate=2, padding="same"))
        outs.append(tf.layers.max_pooling1d(x[:, 0], 2, 2))
        outs.append(tf.layers.average_pooling1d(x[:, 0], 3, 1, padding="same"))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            model = export_and_compare(sess, [x], outs, [[rng.randn(2, 7, 6, 3).astype(np.float32)],
                                                         [rng.randn(1, 7, 6, 3).astype(np.float32)]],
                                       tmp_path / "conv.onnx", rtol=1e-4, atol=1e-4)
    kinds = {n.op_type for n in model.graph.node}
    assert {"ConvTranspose", "Conv"} <= kinds
    assert any(a.name == "group" and a.i == 3 for n in model.graph.node for a in n.attribute)


def test_same_padding_with_dilations_needs_a_known_height_and_width():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 2], name="x")
        y = tf.nn.atrous_conv2d(x, tf.ones([2, 2, 2, 1]), 2, "SAME")
        with tf.Session() as sess:
            with pytest.raises(graphc.onnx.UnsupportedOpError, match=r"atrous_conv2d.*SAME padding with dilations"):
                graphc.onnx.export(sess, [x], [y], None)


@pytest.mark.parametrize("size", [[9, 13], [3, 4], [1, 1], [2, 9]])
def test_resizes_with_tf1s_coordinate_conventions(tmp_path, size):
    """align_corners, half_pixel_centers and TF's default (asymmetric), for up- and downscales."""
    rng = np.random.RandomState(11)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 6, 2], name="x")
        outs = [fn(x, size, align_corners=align, half_pixel_centers=half)
                for align, half in ((False, False), (True, False), (False, True))
                for fn in (tf.image.resize_bilinear, tf.image.resize_nearest_neighbor, tf.image.resize_bicubic)]
        with tf.Session() as sess:
            export_and_compare(sess, [x], outs, [[rng.randn(2, 5, 6, 2).astype(np.float32)]], tmp_path / "r.onnx",
                               rtol=1e-5, atol=2e-6)


def test_resize_to_a_size_known_at_run_time(tmp_path):
    rng = np.random.RandomState(12)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, None, None, 3], name="x")
        size = tf.placeholder(tf.int32, [2], name="size")
        outs = [tf.image.resize_bilinear(x, size, half_pixel_centers=True),
                tf.image.resize_nearest_neighbor(x, size, align_corners=True),
                tf.image.resize_images(x, size * 2)]
        feeds = [[rng.randn(1, 4, 5, 3).astype(np.float32), np.array([7, 3], np.int32)],
                 [rng.randn(1, 6, 2, 3).astype(np.float32), np.array([2, 8], np.int32)]]
        with tf.Session() as sess:
            export_and_compare(sess, [x, size], outs, feeds, tmp_path / "dyn.onnx", atol=2e-6)


def test_crops_pads_and_flips(tmp_path):
    rng = np.random.RandomState(13)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 6, 2], name="x")
        outs = [tf.image.flip_left_right(x), tf.image.flip_up_down(x), tf.image.central_crop(x, 0.5),
                tf.image.crop_to_bounding_box(x, 1, 2, 3, 3), tf.image.pad_to_bounding_box(x, 1, 0, 8, 7),
                tf.image.resize_image_with_crop_or_pad(x, 4, 8), tf.reverse(x, [1, -1]), tf.reverse(x, []),
                tf.image.transpose_image(x)]
        with tf.Session() as sess:
            export_and_compare(sess, [x], outs, [[rng.randn(2, 5, 6, 2).astype(np.float32)]], tmp_path / "img.onnx")


@pytest.mark.parametrize("dtype", [tf.uint8, tf.int32, tf.float64])
def test_resizes_of_other_dtypes(tmp_path, dtype):
    """Bilinear and bicubic give float32 (as TF's kernels); nearest keeps the dtype."""
    rng = np.random.RandomState(14)
    with tf.Graph().as_default():
        x = tf.placeholder(dtype, [None, 4, 3, 2], name="x")
        outs = [tf.image.resize_bilinear(x, [5, 7]), tf.image.resize_bicubic(x, [3, 2], half_pixel_centers=True),
                tf.image.resize_nearest_neighbor(x, [7, 5], align_corners=True)]
        feed = (rng.rand(2, 4, 3, 2) * 100).astype(dtype.np_type)
        with tf.Session() as sess:
            export_and_compare(sess, [x], outs, [[feed]], tmp_path / "typed.onnx", rtol=1e-5, atol=1e-4)


def test_area_resize_with_known_sizes(tmp_path):
    """ResizeArea (no ONNX mode) as two matrix products with its coverage weights; uint8 gives float32."""
    rng = np.random.RandomState(15)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 7, 2], name="x")
        ints = tf.placeholder(tf.uint8, [1, 4, 4, 1], name="ints")
        outs = [tf.image.resize_area(x, [3, 4]), tf.image.resize_area(x, [8, 11], align_corners=True),
                tf.image.resize_images(ints, [3, 3], method=tf.image.ResizeMethod.AREA)]
        feeds = [[rng.randn(2, 5, 7, 2).astype(np.float32), rng.randint(0, 255, (1, 4, 4, 1)).astype(np.uint8)]]
        with tf.Session() as sess:
            export_and_compare(sess, [x, ints], outs, feeds, tmp_path / "area.onnx", rtol=1e-5, atol=1e-4)


def test_area_resize_of_run_time_sizes_is_a_clear_error(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, None, None, 1], name="x")
        y = tf.image.resize_area(x, [3, 3])
        with tf.Session() as sess, pytest.raises(graphc.onnx.UnsupportedOpError, match="ResizeArea"):
            graphc.onnx.export(sess, [x], [y], tmp_path / "bad.onnx")


def test_crops_and_pads_with_run_time_offsets(tmp_path):
    """Windows whose offsets and sizes are fed (DynamicSlice / DynamicPad) as Slice and Pad with tensor bounds."""
    rng = np.random.RandomState(16)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 6, 7, 2], name="x")
        top = tf.placeholder(tf.int32, [], name="top")
        size = tf.placeholder(tf.int32, [], name="size")
        outs = [tf.image.crop_to_bounding_box(x, top, 1, size, 3), tf.image.pad_to_bounding_box(x, top, 2, 9, size + 8),
                tf.image.resize_image_with_crop_or_pad(x, size, size + 2)]
        feeds = [[rng.randn(2, 6, 7, 2).astype(np.float32), np.array(1, np.int32), np.array(4, np.int32)],
                 [rng.randn(1, 6, 7, 2).astype(np.float32), np.array(2, np.int32), np.array(3, np.int32)]]
        with tf.Session() as sess:
            export_and_compare(sess, [x, top, size], outs, feeds, tmp_path / "windows.onnx")
