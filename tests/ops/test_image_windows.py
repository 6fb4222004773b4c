"""tf.image crops and pads whose offsets/sizes are tensors (or whose image has run-time height and
width), random_crop with a fed size, and resize_area, against TF 2.21 compat.v1 numbers
(tests/data/image_windows/tf1.json, recorded by make_tf1.py there from the cases in image_window_cases.py).
The run-time windows are host steps on every backend, so each case runs on each of them."""
import json
import sys

import numpy as np
import pytest

import graphc as tf
import repo_paths
from graphc.runtime.session import available_backends

sys.path.insert(0, str(repo_paths.DATA / "image_windows"))
import image_window_cases as cases  # noqa: E402

TF1 = json.loads((repo_paths.DATA / "image_windows" / "tf1.json").read_text())
BACKENDS = [b for b in available_backends() if b != "auto"]


def fed_values(name, values=None):
    return values or [a[1] for a in cases.CASES[name][3] if isinstance(a, tuple)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_window_value_shape_and_gradient_match_tf1(name, backend):
    x, fed, y = cases.build(tf, name)
    want = TF1["cases"][name]
    assert (y.shape.as_list() if y.shape.ndims is not None else None) == want["shape"]
    grad, = tf.gradients(cases.loss_of(tf, y), x)
    feeds = dict(zip(fed, fed_values(name)))
    feeds[x] = cases.image_for(name)
    with tf.Session(backend=backend) as sess:
        got_y, got_g = sess.run([y, grad], feeds)
    np.testing.assert_allclose(got_y, want["y"], rtol=1e-6)
    np.testing.assert_allclose(got_g, want["grad"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(cases.BAD))
def test_a_window_that_does_not_fit_fails_the_run_as_tf1(name):
    x, fed, y = cases.build(tf, name)
    feeds = dict(zip(fed, cases.BAD[name]))
    feeds[x] = cases.image_for(name)
    with tf.Session() as sess:
        with pytest.raises(getattr(tf.errors, TF1["bad"][name]), match=cases.CASES[name][2]):
            sess.run(y, feeds)


def test_python_int_arguments_are_checked_while_building():
    x = tf.placeholder(tf.float32, [5, 6, 3])
    off = tf.placeholder(tf.int32, [])
    with pytest.raises(ValueError, match="offset_width must be >= 0"):
        tf.image.crop_to_bounding_box(x, off, -1, 2, 2)
    with pytest.raises(ValueError, match="target_height must be > 0"):
        tf.image.crop_to_bounding_box(x, off, 0, 0, 2)
    with pytest.raises(ValueError, match="target_width must be > 0"):
        tf.image.resize_image_with_crop_or_pad(x, off, 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_crop_with_a_fed_size_is_a_window_of_the_value(backend):
    value = np.arange(5 * 6 * 2, dtype=np.float32).reshape(5, 6, 2)
    size = tf.placeholder(tf.int32, [3])
    crop = tf.image.random_crop(value, size, seed=11)
    assert crop.shape.as_list() == [None, None, None]
    with tf.Session(backend=backend) as sess:
        for want in ([2, 3, 2], [5, 1, 1], [1, 6, 2]):
            got = sess.run(crop, {size: want})
            assert list(got.shape) == want
            r, c, k = (int(v) for v in np.argwhere(value == got[0, 0, 0])[0])
            np.testing.assert_array_equal(got, value[r:r + want[0], c:c + want[1], k:k + want[2]])
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(crop, {size: [6, 1, 1]})


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("h,w,align", cases.AREA_SIZES)
def test_resize_area_matches_tf1(h, w, align, backend):
    x = tf.placeholder(tf.float32, [2, 5, 6, 3])
    y = tf.image.resize_area(x, [h, w], align_corners=align)
    assert y.shape.as_list() == [2, h, w, 3] and y.dtype == tf.float32
    with tf.Session(backend=backend) as sess:
        got = sess.run(y, {x: cases.IMG})
    # TF1 sums each row's covered pixels first; graphc contracts two weight matrices: one float32 ulp apart
    np.testing.assert_allclose(got, TF1["area"][f"{h}x{w}{'_align' if align else ''}"], rtol=1e-6, atol=1e-6)


def test_resize_images_area_on_uint8_and_no_gradient_as_tf1():
    u8 = (cases.IMG[0] * 255).astype(np.uint8)
    y = tf.image.resize_images(u8, [3, 4], method=tf.image.ResizeMethod.AREA)
    assert y.dtype.name == TF1["area_u8_resize_images"]["dtype"]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y), TF1["area_u8_resize_images"]["y"], rtol=1e-6)
    x = tf.placeholder(tf.float32, [1, 5, 6, 3])
    with pytest.raises(LookupError, match="ResizeArea"):
        tf.gradients(tf.image.resize_area(x, [3, 4]), x)
