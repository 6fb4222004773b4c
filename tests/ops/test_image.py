"""tf.image against TF 2.21 compat.v1 numbers (tests/data/tf1_image.json, recorded by
tests/data/make_tf1_image.py): the resize ops under each align_corners/half_pixel_centers convention
with their gradients, crops/pads/flips, colour and dtype conversions, adjustments, standardization
and the PNG/JPEG codecs; random ops by their properties."""
import base64
import json

import numpy as np
import pytest

import graphc as tf
from repo_paths import DATA

TF1 = json.loads((DATA / "tf1_image.json").read_text())
IMG = np.array(TF1["IMG"], np.float32)
U8 = np.array(TF1["u8"], np.uint8)
RGB = np.array(TF1["RGB"], np.float32)
OPS = {"bilinear": tf.image.resize_bilinear, "nearest": tf.image.resize_nearest_neighbor,
       "bicubic": tf.image.resize_bicubic}
MODES = {"legacy": (False, False), "align": (True, False), "half": (False, True)}
RESIZE_KEYS = sorted(k for k in TF1 if "|" in k)


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def close(got, want, tol=1e-5):
    want = np.asarray(want)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("key", RESIZE_KEYS)
def test_resize_and_its_gradient_match_tf1(key):
    name, size, mode = key.split("|")
    h, w = map(int, size.split("x"))
    align, half = MODES[mode]
    x = tf.placeholder(tf.float32, [1, 4, 5, 2])
    y = OPS[name](x, [h, w], align_corners=align, half_pixel_centers=half)
    assert y.shape.as_list() == [1, h, w, 2]
    grad, = tf.gradients(tf.reduce_sum(y * np.array(TF1[key]["w"], np.float32)), x)
    got_y, got_g = run([y, grad], {x: IMG})
    close(got_y, TF1[key]["y"])
    close(got_g, TF1[key]["grad"])


def test_resize_gradient_matches_central_differences_in_float64():
    x0 = IMG.astype(np.float64)[:, :3, :3, :1]
    wts = np.random.default_rng(0).uniform(-1, 1, (1, 5, 4, 1))
    for fn in (tf.image.resize_bilinear, tf.image.resize_bicubic):
        x = tf.placeholder(tf.float32, x0.shape)
        loss = tf.reduce_sum(fn(x, [5, 4], half_pixel_centers=True) * wts.astype(np.float32))
        grad = run(tf.gradients(loss, x)[0], {x: x0})
        numeric = np.zeros_like(x0)
        for idx in np.ndindex(x0.shape):
            for sign in (1, -1):
                xp = x0.copy()
                xp[idx] += sign * 1e-3
                numeric[idx] += sign * run(loss, {x: xp}) / 2e-3
        np.testing.assert_allclose(grad, numeric, rtol=2e-3, atol=2e-3)


def test_resize_images_dtypes_and_shortcut_follow_tf1():
    bilinear = tf.image.resize_images(U8, [6, 7])
    nearest = tf.image.resize_images(U8, [6, 7], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    same = tf.image.resize_images(U8, [4, 5])
    assert bilinear.dtype == tf.float32 and nearest.dtype == tf.uint8 and same.dtype.name == TF1["resize_images_u8_same"]
    got_b, got_n, got_same = run([bilinear, nearest, same])
    close(got_b, TF1["resize_images_u8_bilinear"])
    np.testing.assert_array_equal(got_n, np.array(TF1["resize_images_u8_nearest"], np.uint8))
    np.testing.assert_array_equal(got_same, U8)


def test_resize_errors():
    with pytest.raises(ValueError, match="align_corners must be False"):
        tf.image.resize_bilinear(IMG, [3, 3], align_corners=True, half_pixel_centers=True)
    with pytest.raises(ValueError, match="4-D"):
        tf.image.resize_bilinear(IMG[0], [3, 3])
    with pytest.raises(ValueError, match="method"):
        tf.image.resize_images(IMG, [3, 3], method=7)


@pytest.mark.parametrize("key,build", [
    ("resize_with_crop_or_pad", lambda: tf.image.resize_image_with_crop_or_pad(IMG, 3, 8)),
    ("central_crop", lambda: tf.image.central_crop(IMG[0], 0.5)),
    ("pad_to_bounding_box", lambda: tf.image.pad_to_bounding_box(IMG, 1, 2, 6, 8)),
    ("crop_to_bounding_box", lambda: tf.image.crop_to_bounding_box(IMG, 1, 2, 2, 3)),
    ("per_image_standardization", lambda: tf.image.per_image_standardization(IMG[0])),
    ("adjust_contrast", lambda: tf.image.adjust_contrast(IMG[0], 1.7)),
    ("adjust_brightness", lambda: tf.image.adjust_brightness(IMG[0], 0.3)),
    ("adjust_gamma", lambda: tf.image.adjust_gamma(IMG[0], 2.0, 1.5)),
    ("rgb_to_hsv", lambda: tf.image.rgb_to_hsv(RGB)),
    ("hsv_to_rgb", lambda: tf.image.hsv_to_rgb(RGB)),
    ("adjust_saturation", lambda: tf.image.adjust_saturation(RGB, 1.6)),
    ("adjust_hue", lambda: tf.image.adjust_hue(RGB, 0.3)),
    ("convert_u8_to_f32", lambda: tf.image.convert_image_dtype(U8, tf.float32)),
    ("rgb_to_grayscale", lambda: tf.image.rgb_to_grayscale(IMG[0, :, :, :1].repeat(3, -1) * [[[1.0, 0.5, 0.2]]])),
])
def test_image_function_matches_tf1(key, build):
    close(run(build()), TF1[key])


@pytest.mark.parametrize("key,build,dtype", [
    ("convert_f32_to_u8", lambda: tf.image.convert_image_dtype(IMG[0] * 1.2 - 0.1, tf.uint8, saturate=True), np.uint8),
    ("convert_f32_to_u8_nosat", lambda: tf.image.convert_image_dtype(IMG[0] * 0.9, tf.uint8), np.uint8),
    ("convert_u8_to_i32", lambda: tf.image.convert_image_dtype(U8, tf.int32), np.int32),
    ("convert_i32_to_u8", lambda: tf.image.convert_image_dtype(tf.constant([[[2 ** 30, 2 ** 24 + 5]]], tf.int32),
                                                               tf.uint8), np.uint8),
])
def test_convert_image_dtype_integers_match_tf1(key, build, dtype):
    got = run(build())
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, np.array(TF1[key], dtype))


def test_flips_and_transpose():
    got = run([tf.image.flip_left_right(IMG), tf.image.flip_up_down(IMG[0]), tf.image.transpose_image(IMG)])
    np.testing.assert_array_equal(got[0], IMG[:, :, ::-1])
    np.testing.assert_array_equal(got[1], IMG[0, ::-1])
    np.testing.assert_array_equal(got[2], IMG.transpose(0, 2, 1, 3))


def test_random_flips_pick_the_image_or_its_mirror():
    batch = np.stack([IMG[0]] * 16)
    flipped = run(tf.image.random_flip_left_right(batch, seed=3))
    mirrored = [bool(np.array_equal(f, IMG[0, :, ::-1])) for f in flipped]
    assert all(m or np.array_equal(f, IMG[0]) for m, f in zip(mirrored, flipped))
    assert 0 < sum(mirrored) < 16
    single = run([tf.image.random_flip_up_down(IMG[0], seed=s) for s in range(8)])
    assert all(np.array_equal(v, IMG[0]) or np.array_equal(v, IMG[0, ::-1]) for v in single)


def test_random_adjustments_stay_in_their_ranges():
    x = tf.constant(RGB)
    got = run([tf.image.random_brightness(x, 0.2, seed=1) - x, tf.image.random_contrast(x, 0.5, 1.5, seed=2),
               tf.image.random_saturation(x, 0.5, 1.5, seed=3), tf.image.random_hue(x, 0.2, seed=4),
               tf.image.random_crop(x, [2, 2, 3], seed=5)])
    delta = got[0]
    assert np.ptp(delta) < 1e-6 and abs(delta.mean()) <= 0.2
    assert all(g.shape == RGB.shape for g in got[1:4]) and got[4].shape == (2, 2, 3)


def test_grayscale_round_trip_and_gradient_of_compositions():
    gray = tf.image.rgb_to_grayscale(RGB)
    assert gray.shape.as_list() == [3, 4, 1] and tf.image.grayscale_to_rgb(gray).shape.as_list() == [3, 4, 3]
    x = tf.placeholder(tf.float32, [1, 4, 5, 2])
    y = tf.image.resize_image_with_crop_or_pad(tf.image.flip_left_right(x), 3, 8)
    g = run(tf.gradients(tf.reduce_sum(y), x)[0], {x: IMG})
    assert g.sum() == 3 * 5 * 2


def test_crop_and_pad_errors():
    with pytest.raises(ValueError, match="width must be >= target \\+ offset"):
        tf.image.crop_to_bounding_box(IMG, 0, 3, 2, 3)
    with pytest.raises(ValueError, match="height must be <= target - offset"):
        tf.image.pad_to_bounding_box(IMG, 1, 0, 4, 5)
    with pytest.raises(ValueError, match="central_fraction"):
        tf.image.central_crop(IMG, 1.5)
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        tf.image.flip_left_right(IMG[0, 0])


def test_png_codec_matches_tf1_and_round_trips():
    png = base64.b64decode(TF1["png_b64"])
    decoded, gray = run([tf.image.decode_png(png), tf.image.decode_png(png, channels=1)])
    np.testing.assert_array_equal(decoded, U8)          # a 2-channel (grey + alpha) PNG
    np.testing.assert_array_equal(gray, np.array(TF1["png_decoded_gray"], np.uint8))
    rgb = (RGB * 255).astype(np.uint8)
    encoded = tf.image.encode_png(rgb)
    assert encoded.dtype == tf.string and encoded.shape.as_list() == []
    again = tf.image.decode_png(encoded, channels=3)
    assert again.shape.as_list() == [None, None, 3]
    np.testing.assert_array_equal(run(again), rgb)


def test_jpeg_decode_is_close_to_tf1_and_bad_data_fails():
    jpg = base64.b64decode(TF1["jpeg_b64"])
    got = run(tf.image.decode_jpeg(jpg, dct_method="INTEGER_ACCURATE"))
    np.testing.assert_array_equal(got, np.array(TF1["jpeg_decoded_accurate"], np.uint8))   # exact: the same IDCT
    want = np.array(TF1["jpeg_decoded"], np.int32)        # TF1's default fast IDCT: a few levels apart
    assert got.dtype == np.uint8 and got.shape == want.shape
    assert np.abs(got.astype(np.int32) - want).mean() < 4 and np.abs(got.astype(np.int32) - want).max() <= 16
    reencoded = run(tf.image.decode_jpeg(tf.image.encode_jpeg(got, quality=100)))
    assert np.abs(reencoded.astype(np.int32) - got).max() <= 8
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a valid PNG"):
        run(tf.image.decode_png(b"not an image"))
