"""Output sizes, padding and values of conv2d / max_pool / avg_pool over small ranges of input size,
kernel size and stride, SAME and VALID, against TF1's rules:

    VALID: out = ceil((in - k + 1) / s)          (an error when k > in)
    SAME:  out = ceil(in / s), pad_total = max((out - 1) * s + k - in, 0), pad_before = pad_total // 2

The references below are direct float64 loops over output positions, independent of graphc.
"""
import itertools

import numpy as np
import pytest

import graphc as tf
from graphc.testing import check_gradients

SIZES = range(1, 7)
KERNELS = range(1, 6)
STRIDES = range(1, 4)


def ceil_div(a, b):
    return -(-a // b)


def tf1_out_and_pad(size, k, s, padding):
    """(out, pad_before) by TF1's documented rules; out <= 0 means VALID does not fit."""
    if padding == "VALID":
        return ceil_div(size - k + 1, s), 0
    out = ceil_div(size, s)
    return out, max((out - 1) * s + k - size, 0) // 2


def window(size, k, s, padding):
    """For each output position, the input indices its window covers (padding excluded)."""
    out, before = tf1_out_and_pad(size, k, s, padding)
    return [[r for r in range(o * s - before, o * s - before + k) if 0 <= r < size] for o in range(out)]


def ref_conv(x, w, s, padding):
    kh, kw = w.shape[:2]
    rows, cols = window(x.shape[1], kh, s[0], padding), window(x.shape[2], kw, s[1], padding)
    out_h, before_h = tf1_out_and_pad(x.shape[1], kh, s[0], padding)
    out_w, before_w = tf1_out_and_pad(x.shape[2], kw, s[1], padding)
    out = np.zeros((x.shape[0], out_h, out_w, w.shape[3]))
    for i, j in itertools.product(range(out_h), range(out_w)):
        for r, c in itertools.product(rows[i], cols[j]):
            out[:, i, j] += x[:, r, c, :] @ w[r - (i * s[0] - before_h), c - (j * s[1] - before_w)]
    return out


def ref_pool(x, k, s, padding, reduce):
    rows, cols = window(x.shape[1], k[0], s[0], padding), window(x.shape[2], k[1], s[1], padding)
    out = np.zeros((x.shape[0], len(rows), len(cols), x.shape[3]))
    for i, j in itertools.product(range(len(rows)), range(len(cols))):
        out[:, i, j] = reduce(x[:, rows[i]][:, :, cols[j]], axis=(1, 2))
    return out


def cases():
    """(h, w, kh, kw, sh, sw, padding): every size/kernel/stride for h; w, kw, sw vary alongside."""
    for padding, h, kh, sh in itertools.product(("SAME", "VALID"), SIZES, KERNELS, STRIDES):
        w, kw, sw = SIZES[(h + kh) % len(SIZES)], KERNELS[(kh + sh) % len(KERNELS)], STRIDES[(h + sh) % len(STRIDES)]
        yield h, w, kh, kw, sh, sw, padding


CASES = list(cases())


def fits(h, w, kh, kw, padding):
    return padding == "SAME" or (kh <= h and kw <= w)


def test_the_cases_cover_kernels_larger_than_the_input_and_every_stride():
    assert {(c[6], c[2] > c[0], c[4]) for c in CASES} == {(p, big, s) for p in ("SAME", "VALID")
                                                          for big in (False, True) for s in STRIDES}


def test_tf1_rules_on_the_issue_example():
    # 5x5 kernel on a 4x4 map, stride 2, SAME: 2x2 output, 3 rows of padding, 1 before
    assert tf1_out_and_pad(4, 5, 2, "SAME") == (2, 1)
    assert window(4, 5, 2, "SAME") == [[0, 1, 2, 3], [1, 2, 3]]


@pytest.mark.parametrize("h, w, kh, kw, sh, sw, padding", CASES)
def test_conv2d_and_pools_follow_tf1_output_size_rules(h, w, kh, kw, sh, sw, padding):
    rng = np.random.default_rng(h * 1000 + kh * 100 + sh * 10 + w)
    x_val = rng.standard_normal((2, h, w, 2))
    w_val = rng.standard_normal((kh, kw, 2, 3))
    x = tf.placeholder(tf.float64, [None, h, w, 2])
    ops = {
        "conv2d": lambda: tf.nn.conv2d(x, tf.constant(w_val), strides=[1, sh, sw, 1], padding=padding),
        "max_pool": lambda: tf.nn.max_pool(x, [1, kh, kw, 1], [1, sh, sw, 1], padding),
        "avg_pool": lambda: tf.nn.avg_pool(x, [1, kh, kw, 1], [1, sh, sw, 1], padding),
    }
    if not fits(h, w, kh, kw, padding):
        for build in ops.values():
            with pytest.raises(ValueError, match="Negative dimension size"):
                build()
        return
    refs = {
        "conv2d": ref_conv(x_val, w_val, (sh, sw), padding),
        "max_pool": ref_pool(x_val, (kh, kw), (sh, sw), padding, np.max),
        "avg_pool": ref_pool(x_val, (kh, kw), (sh, sw), padding, np.mean),
    }
    expected_hw = [tf1_out_and_pad(h, kh, sh, padding)[0], tf1_out_and_pad(w, kw, sw, padding)[0]]
    built = {name: build() for name, build in ops.items()}
    with tf.Session() as sess:
        got = sess.run(built, {x: x_val})
    for name, t in built.items():
        assert t.shape.as_list()[1:3] == expected_hw, name
        assert got[name].shape == refs[name].shape, name
        np.testing.assert_allclose(got[name], refs[name], rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("h, w, kh, kw, sh, sw, padding", [
    (4, 4, 5, 5, 2, 2, "SAME"),    # the issue's case: kernel larger than the input
    (3, 5, 4, 2, 3, 1, "SAME"),
    (5, 4, 3, 2, 2, 3, "VALID"),
    (2, 3, 3, 3, 1, 2, "SAME"),
])
def test_gradients_of_conv_and_pools(h, w, kh, kw, sh, sw, padding):
    rng = np.random.default_rng(7)
    x_val = rng.standard_normal((1, h, w, 2))
    w_val = rng.standard_normal((kh, kw, 2, 2))
    x = tf.placeholder(tf.float64, [1, h, w, 2])
    f = tf.placeholder(tf.float64, [kh, kw, 2, 2])
    conv = tf.nn.conv2d(x, f, strides=[1, sh, sw, 1], padding=padding)
    for check in check_gradients(conv, [x, f], [x_val, w_val]):
        assert check.max_abs_error < 1e-6, check
    for pool in (tf.nn.max_pool, tf.nn.avg_pool):
        y = pool(x, [1, kh, kw, 1], [1, sh, sw, 1], padding)
        (check,) = check_gradients(y, [x], [x_val])
        assert check.max_abs_error < 1e-6, (pool.__name__, check)


@pytest.mark.parametrize("backend", ["interpret", "numba"])
def test_same_kernel_larger_than_the_input_runs_on_the_compiled_backends(backend):
    rng = np.random.default_rng(3)
    x_val = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    w_val = rng.standard_normal((5, 5, 3, 4)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    conv = tf.nn.conv2d(x, tf.constant(w_val), strides=[1, 2, 2, 1], padding="SAME")
    pool = tf.nn.max_pool(x, [1, 5, 5, 1], [1, 2, 2, 1], "SAME")
    loss = tf.reduce_sum(conv) + tf.reduce_sum(pool)
    (gx,) = tf.gradients(loss, [x])
    with tf.Session(backend=backend) as sess:
        c, p, g = sess.run([conv, pool, gx], {x: x_val})
    np.testing.assert_allclose(c, ref_conv(x_val.astype(np.float64), w_val.astype(np.float64), (2, 2), "SAME"),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(p, ref_pool(x_val.astype(np.float64), (5, 5), (2, 2), "SAME", np.max))
    assert g.shape == x_val.shape and np.isfinite(g).all()
