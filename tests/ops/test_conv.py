"""tf.nn.conv2d, max_pool, avg_pool (graphc/ops/conv.py) and the tf.nn compositions in graphc/ops/nn.py:
dropout, moments, batch_normalization, embedding_lookup.

Forward values are compared with the straightforward loop references below (tiny shapes) and
with numbers recorded from TF 1.x (tf.compat.v1 in TF 2.21, CPU).
"""
import numpy as np
import pytest

import graphc as tf


# ------------------------------------------------------------------------------------------------
# loop references (independent of graphc)

def _same_pads(size, k, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return out, total // 2


def _valid_out(size, k, stride, dilation):
    return (size - (k - 1) * dilation - 1) // stride + 1


def _geometry(size, k, stride, dilation, padding):
    if padding == "SAME":
        return _same_pads(size, k, stride, dilation)
    return _valid_out(size, k, stride, dilation), 0


def ref_conv2d(x, w, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    n, h, wd, c = x.shape
    kh, kw, _, f = w.shape
    oh, top = _geometry(h, kh, strides[0], dilations[0], padding)
    ow, left = _geometry(wd, kw, strides[1], dilations[1], padding)
    out = np.zeros((n, oh, ow, f))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for di in range(kh):
                    for dj in range(kw):
                        r = i * strides[0] + di * dilations[0] - top
                        s = j * strides[1] + dj * dilations[1] - left
                        if 0 <= r < h and 0 <= s < wd:
                            out[b, i, j] += x[b, r, s] @ w[di, dj]
    return out


def ref_pool(x, k, strides, padding, reduce):
    n, h, wd, c = x.shape
    oh, top = _geometry(h, k[0], strides[0], 1, padding)
    ow, left = _geometry(wd, k[1], strides[1], 1, padding)
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, s0 = i * strides[0] - top, j * strides[1] - left
            window = x[:, max(r0, 0):r0 + k[0], max(s0, 0):s0 + k[1], :]
            out[:, i, j, :] = reduce(window, axis=(1, 2))
    return out


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


R = np.random.default_rng(3)


# ------------------------------------------------------------------------------------------------
# conv2d forward

@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("strides,dilations", [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((2, 1), (1, 1)),
                                               ((1, 1), (2, 2)), ((3, 2), (1, 2))])
def test_conv2d_matches_loop_reference(padding, strides, dilations):
    x = R.standard_normal((2, 6, 7, 3)).astype(np.float32)
    w = R.standard_normal((3, 2, 3, 4)).astype(np.float32)
    y = tf.nn.conv2d(x, w, [1, *strides, 1], padding, dilations=[1, *dilations, 1])
    got = run(y)
    want = ref_conv2d(x.astype(np.float64), w.astype(np.float64), strides, padding, dilations)
    assert got.dtype == np.float32 and got.shape == want.shape == tuple(y.shape.as_list())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv2d_float64_and_int_strides():
    x = R.standard_normal((1, 5, 5, 2))
    w = R.standard_normal((2, 2, 2, 3))
    y = tf.nn.conv2d(tf.constant(x), tf.constant(w), 2, "SAME")
    got = run(y)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ref_conv2d(x, w, (2, 2), "SAME"), rtol=1e-12)


def test_conv2d_static_shapes_with_unknown_dims():
    x = tf.placeholder(tf.float32, [None, 9, None, 3])
    w = tf.placeholder(tf.float32, [3, 3, 3, 8])
    assert tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME").shape.as_list() == [None, 5, None, 8]
    assert tf.nn.conv2d(x, w, [1, 2, 2, 1], "VALID").shape.as_list() == [None, 4, None, 8]
    assert tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID", dilations=[1, 2, 2, 1]).shape.as_list() == [None, 5, None, 8]
    assert tf.nn.conv2d(tf.placeholder(tf.float32), w, 1, "SAME").shape.as_list() == [None, None, None, 8]


def test_conv2d_partial_batch_runs_with_any_batch():
    x = tf.placeholder(tf.float32, [None, 4, 4, 1])
    w = np.ones((2, 2, 1, 1), np.float32)
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID")
    for n in (1, 3):
        xv = R.standard_normal((n, 4, 4, 1)).astype(np.float32)
        np.testing.assert_allclose(run(y, {x: xv}), ref_conv2d(xv, w), rtol=1e-5, atol=1e-6)


def test_conv2d_node_name_and_gradient_names():
    x = tf.placeholder(tf.float32, [None, 5, 5, 2], name="x")
    w = tf.placeholder(tf.float32, [3, 3, 2, 4], name="w")
    y = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
    gx, gw = tf.gradients(tf.reduce_sum(y), [x, w])
    assert y.name == "Conv2D:0"
    assert gx.name == "gradients/Conv2D_grad/Conv2DBackpropInput:0"
    assert gw.name == "gradients/Conv2D_grad/Conv2DBackpropFilter:0"
    assert gx.shape.as_list() == [None, 5, 5, 2] and gw.shape.as_list() == [3, 3, 2, 4]


@pytest.mark.parametrize("kwargs,word", [
    (dict(padding="same"), "padding"),
    (dict(padding="FULL"), "padding"),
    (dict(strides=[1, 2, 3]), "strides"),
    (dict(strides=[2, 2, 2, 2]), "batch and depth"),
    (dict(data_format="NCHW"), "NHWC"),
    (dict(filter=np.ones((2, 2, 3, 1), np.float32)), "Depth"),
    (dict(filter=np.ones((5, 2, 2, 1), np.float32)), "Negative dimension"),
    (dict(filter=np.ones((2, 2, 2), np.float32)), "rank 4"),
])
def test_conv2d_build_errors(kwargs, word):
    args = dict(input=tf.placeholder(tf.float32, [1, 4, 4, 2]), filter=np.ones((2, 2, 2, 1), np.float32),
                strides=[1, 1, 1, 1], padding="VALID")
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        tf.nn.conv2d(**args)


def test_conv2d_dtype_errors():
    with pytest.raises(TypeError, match="float"):
        tf.nn.conv2d(tf.placeholder(tf.int32, [1, 3, 3, 1]), tf.placeholder(tf.int32, [1, 1, 1, 1]), 1, "VALID")
    with pytest.raises(TypeError, match="float64"):
        tf.nn.conv2d(tf.placeholder(tf.float32, [1, 3, 3, 1]), tf.placeholder(tf.float64, [1, 1, 1, 1]), 1, "VALID")


# ------------------------------------------------------------------------------------------------
# TF1 reference numbers for conv2d (SAME, stride 2) and both of its gradients

X_TF = ((np.arange(1 * 4 * 5 * 2) % 7 - 3) * 0.5).reshape(1, 4, 5, 2).astype(np.float32)
W_TF = ((np.arange(3 * 3 * 2 * 2) % 5 - 2) * 0.25).reshape(3, 3, 2, 2).astype(np.float32)
C_TF = ((np.arange(1 * 2 * 3 * 2) % 4) - 1.5).reshape(1, 2, 3, 2).astype(np.float32)
Y_TF = np.array([[[-0.125, 2.0], [2.625, 0.0], [-0.75, -0.875]],
                 [[1.0, -1.0], [0.125, -0.75], [-1.125, 1.125]]]).reshape(1, 2, 3, 2)
GX_TF = np.array([[[-0.5, 0.375], [-1.25, 1.25], [-0.5, -0.125], [1.75, -0.75], [-0.5, 0.375]],
                  [[0.375, -0.625], [1.25, -0.625], [-0.125, 0.875], [-0.75, -0.125], [0.375, -0.625]],
                  [[-1.125, 0.75], [1.125, -1.375], [0.375, -0.25], [-1.375, 1.125], [-1.125, 0.75]],
                  [[-0.125, 0.875], [-0.75, -0.125], [0.375, -0.625], [1.25, -0.625], [-0.125, 0.875]]]
                 ).reshape(1, 4, 5, 2)
GW_TF = np.array([[[[-0.5, 0.5], [3.75, 3.25]], [[4.0, 2.0], [0.75, -1.75]], [[-0.5, 0.5], [-3.25, -3.75]]],
                  [[[0.0, 0.0], [-1.0, 1.0]], [[-4.0, -4.0], [-0.25, -0.75]], [[0.0, 0.0], [-1.0, 1.0]]],
                  [[[-2.0, -2.0], [-2.5, -1.5]], [[0.0, 0.0], [4.0, 2.0]], [[2.0, 2.0], [1.5, 2.5]]]])
YD_TF = np.array([[[0.125, 1.25], [1.25, 0.125], [-0.25, -0.125]],
                  [[-1.25, 0.0], [-0.125, -0.25], [0.125, 1.25]]]).reshape(1, 2, 3, 2)


def test_conv2d_and_gradients_match_tf1():
    x, w = tf.constant(X_TF), tf.constant(W_TF)
    y = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
    gx, gw = tf.gradients(tf.reduce_sum(y * C_TF), [x, w])
    yv, gxv, gwv = run([y, gx, gw])
    np.testing.assert_allclose(yv, Y_TF, atol=1e-6)
    np.testing.assert_allclose(gxv, GX_TF, atol=1e-6)
    np.testing.assert_allclose(gwv, GW_TF, atol=1e-6)


def test_dilated_conv2d_matches_tf1():
    y = tf.nn.conv2d(X_TF, W_TF[:2, :2], [1, 1, 1, 1], "VALID", dilations=[1, 2, 2, 1])
    np.testing.assert_allclose(run(y), YD_TF, atol=1e-6)


def test_backprop_functions_agree_with_gradients():
    x = tf.constant(X_TF)
    w = tf.constant(W_TF)
    dy = tf.constant(C_TF)
    gx = tf.nn.conv2d_backprop_input([1, 4, 5, 2], w, dy, [1, 2, 2, 1], "SAME")
    gw = tf.nn.conv2d_backprop_filter(x, [3, 3, 2, 2], dy, [1, 2, 2, 1], "SAME")
    gxv, gwv = run([gx, gw])
    np.testing.assert_allclose(gxv, GX_TF, atol=1e-6)
    np.testing.assert_allclose(gwv, GW_TF, atol=1e-6)


def test_backprop_shape_mismatch_is_a_build_error():
    with pytest.raises(ValueError, match="out_backprop"):
        tf.nn.conv2d_backprop_input([1, 4, 5, 2], W_TF, np.zeros((1, 3, 3, 2), np.float32), [1, 2, 2, 1], "SAME")


def test_conv2d_second_order_gradient():
    # d/dw of sum((dL/dx)^2) with L = sum(conv(x, w) * c): checks the backprops' own gradients run
    x = tf.placeholder(tf.float64, [1, 4, 4, 1])
    w = tf.placeholder(tf.float64, [2, 2, 1, 1])
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID")
    gx = tf.gradients(tf.reduce_sum(y * y), x)[0]
    ggw = tf.gradients(tf.reduce_sum(gx), w)[0]
    assert ggw.shape.as_list() == [2, 2, 1, 1]
    xv, wv = R.standard_normal((1, 4, 4, 1)), R.standard_normal((2, 2, 1, 1))
    eps = 1e-6
    fd = np.zeros(4)
    for i in range(4):
        d = np.zeros(4)
        d[i] = eps
        hi = run(tf.reduce_sum(gx), {x: xv, w: wv + d.reshape(2, 2, 1, 1)})
        lo = run(tf.reduce_sum(gx), {x: xv, w: wv - d.reshape(2, 2, 1, 1)})
        fd[i] = (hi - lo) / (2 * eps)
    np.testing.assert_allclose(run(ggw, {x: xv, w: wv}).reshape(-1), fd, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------------
# pooling

P_TF = np.array([[1, 5, 2, 0, 4], [3, -1, 7, 6, 2], [0, 8, -2, 1, 9], [4, 2, 3, 5, -3]],
                np.float32).reshape(1, 4, 5, 1)
UPSTREAM = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32).reshape(1, 2, 3, 1)
MAX_TF = np.array([[5, 7, 4], [8, 5, 9]], np.float32)
AVG_TF = np.array([[2.6666667, 2.8888888, 3.6666667], [3.5, 2.8333333, 3.0]], np.float32)
GAVG_TF = np.array([[0.16666667, 0.3888889, 0.22222222, 0.7222222, 0.5],
                    [0.16666667, 0.3888889, 0.22222222, 0.7222222, 0.5],
                    [1.1666666, 2.2222223, 1.0555556, 3.0555556, 2.0],
                    [1.0, 1.8333334, 0.8333334, 2.3333335, 1.5]], np.float32)
GMAX_TF = np.array([[0, 1, 0, 0, 3], [0, 0, 2, 0, 0], [0, 4, 0, 0, 6], [0, 0, 0, 5, 0]], np.float32)


def test_pooling_same_edges_and_gradients_match_tf1():
    p = tf.constant(P_TF)
    mp = tf.nn.max_pool(p, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    ap = tf.nn.avg_pool(p, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    gmp = tf.gradients(tf.reduce_sum(mp * UPSTREAM), p)[0]
    gap = tf.gradients(tf.reduce_sum(ap * UPSTREAM), p)[0]
    mv, av, gmv, gav = run([mp, ap, gmp, gap])
    assert mp.name == "MaxPool:0" and ap.name == "AvgPool:0"
    assert gmp.op.type == "MaxPoolGrad" and gap.op.type == "AvgPoolGrad"
    np.testing.assert_array_equal(mv[0, :, :, 0], MAX_TF)
    np.testing.assert_allclose(av[0, :, :, 0], AVG_TF, rtol=1e-6)
    np.testing.assert_array_equal(gmv[0, :, :, 0], GMAX_TF)
    np.testing.assert_allclose(gav[0, :, :, 0], GAVG_TF, rtol=1e-6)


def test_max_pool_gradient_goes_to_the_first_max_on_ties():
    # recorded from TF1: overlapping 2x2 windows, stride 1, with tied maxima
    x = tf.constant(np.array([[1, 3, 3, 2], [3, 0, 1, 3], [2, 2, 0, 1]], np.float32).reshape(1, 3, 4, 1))
    y = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    yv, gv = run([y, tf.gradients(y, x)[0]])
    np.testing.assert_array_equal(yv[0, :, :, 0], [[3, 3, 3], [3, 2, 3]])
    np.testing.assert_array_equal(gv[0, :, :, 0], [[0, 2, 1, 0], [1, 0, 0, 1], [0, 1, 0, 0]])


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("ksize,strides", [((2, 2), (2, 2)), ((3, 3), (1, 1)), ((3, 2), (2, 3)), ((1, 1), (2, 2))])
def test_pools_match_loop_reference(padding, ksize, strides):
    x = R.standard_normal((2, 5, 7, 3)).astype(np.float32)
    mp = tf.nn.max_pool(x, [1, *ksize, 1], [1, *strides, 1], padding)
    ap = tf.nn.avg_pool(x, ksize, strides, padding)
    mv, av = run([mp, ap])
    assert mv.dtype == av.dtype == np.float32
    assert mv.shape == tuple(mp.shape.as_list()) == av.shape
    np.testing.assert_array_equal(mv, ref_pool(x, ksize, strides, padding, np.max))
    np.testing.assert_allclose(av, ref_pool(x.astype(np.float64), ksize, strides, padding, np.mean),
                               rtol=1e-5, atol=1e-6)


def test_pool_static_shapes_and_errors():
    x = tf.placeholder(tf.float32, [None, 7, None, 2])
    assert tf.nn.max_pool(x, 2, 2, "SAME").shape.as_list() == [None, 4, None, 2]
    assert tf.nn.avg_pool(x, 3, 2, "VALID").shape.as_list() == [None, 3, None, 2]
    with pytest.raises(ValueError, match="Negative dimension"):
        tf.nn.max_pool(x, 8, 1, "VALID")
    with pytest.raises(ValueError, match="batch and depth"):
        tf.nn.max_pool(x, [1, 2, 2, 2], [1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="NHWC"):
        tf.nn.avg_pool(x, 2, 2, "VALID", data_format="NCHW")
    with pytest.raises(ValueError, match="rank 4"):
        tf.nn.max_pool(tf.placeholder(tf.float32, [3, 3]), 2, 2, "VALID")


def test_max_pool_second_order_is_max_pool_grad_grad():
    x = tf.placeholder(tf.float32, [1, 3, 4, 1])
    g = tf.placeholder(tf.float32, [1, 2, 3, 1])
    y = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    gx = tf.gradients(y, x, grad_ys=g)[0]
    u = tf.placeholder(tf.float32, [1, 3, 4, 1])
    gg = tf.gradients(gx, g, grad_ys=u)[0]
    assert gg.op.type == "MaxPoolGradGrad"
    xv = np.array([[1, 4, 3, 2], [9, 0, 1, 5], [2, 6, 0, 8]], np.float32).reshape(1, 3, 4, 1)
    uv = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    # each output reads u at the argmax of its window: windows' maxima at (1,0) (0,1) (1,3) / (1,0) (2,1) (2,3)
    np.testing.assert_array_equal(run(gg, {x: xv, u: uv})[0, :, :, 0], [[4, 1, 7], [4, 9, 11]])


# ------------------------------------------------------------------------------------------------
# dropout

def test_dropout_node_names_and_scaling():
    x = tf.placeholder(tf.float32, [200, 50], name="x")
    tf.set_random_seed(1)
    y = tf.nn.dropout(x, keep_prob=0.25)
    assert y.name.startswith("dropout/") and y.dtype == tf.float32 and y.shape.as_list() == [200, 50]
    xv = R.uniform(1.0, 2.0, (200, 50)).astype(np.float32)
    yv = run(y, {x: xv})
    kept = yv != 0
    np.testing.assert_allclose(yv[kept], xv[kept] * np.float32(4.0), rtol=1e-6)
    assert 0.2 < kept.mean() < 0.3


def test_dropout_rate_keep_prob_rules():
    x = tf.placeholder(tf.float32, [3, 4])
    assert tf.nn.dropout(x, rate=0.0) is x
    assert tf.nn.dropout(x, keep_prob=1.0) is x
    with pytest.raises(ValueError, match="both"):
        tf.nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="range"):
        tf.nn.dropout(x, rate=1.0)
    with pytest.raises(ValueError, match="range"):
        tf.nn.dropout(x, keep_prob=0.0)
    with pytest.raises(ValueError, match="rate"):
        tf.nn.dropout(x)


def test_dropout_noise_shape_broadcasts_the_mask():
    x = tf.placeholder(tf.float32, [6, 40])
    y = tf.nn.dropout(x, rate=0.5, noise_shape=[6, 1], seed=3)
    yv = run(y, {x: np.ones((6, 40), np.float32)})
    for row in yv:
        assert np.all(row == 0) or np.all(row == 2)


def test_dropout_tensor_rate():
    x = tf.placeholder(tf.float32, [100, 10])
    rate = tf.placeholder(tf.float32, [])
    yv = run(tf.nn.dropout(x, rate=rate, seed=2), {x: np.ones((100, 10), np.float32), rate: 0.75})
    assert set(np.unique(yv)) <= {0.0, 4.0} and 0.15 < (yv != 0).mean() < 0.35


def test_dropout_mask_is_seeded_per_run():
    tf.set_random_seed(5)
    x = tf.ones([30, 30])
    y = tf.nn.dropout(x, rate=0.5, seed=1)
    with tf.Session() as sess:
        first, second = sess.run(y), sess.run(y)
    with tf.Session() as sess:
        again = sess.run(y)
    np.testing.assert_array_equal(first, again)   # a seeded program repeats across sessions
    assert not np.array_equal(first, second)       # but every run draws a new mask


def test_dropout_gradient_with_the_mask_fed():
    # graphc's random stream advances on every sess.run, so a central-difference check would see a
    # new mask on each perturbed run. Feeding the RandomUniform output fixes the mask honestly.
    x = tf.placeholder(tf.float64, [3, 4])
    y = tf.nn.dropout(x, rate=0.4, seed=7)
    uniform = [op for op in tf.get_default_graph().get_operations() if op.type == "RandomUniform"][0].outputs[0]
    noise = np.array([[0.1, 0.5, 0.9, 0.3], [0.7, 0.2, 0.45, 0.6], [0.35, 0.8, 0.05, 0.95]])
    xv = R.standard_normal((3, 4))
    tf.testing.assert_gradients_close(y * y, [x], [xv], feed_dict={uniform: noise})
    gx = tf.gradients(tf.reduce_sum(y), x)[0]
    np.testing.assert_allclose(run(gx, {x: xv, uniform: noise}), (noise >= 0.4) / 0.6)


def test_dropout_gradient_uses_the_same_mask_as_the_forward_run():
    x = tf.placeholder(tf.float32, [20, 20])
    y = tf.nn.dropout(x, keep_prob=0.5, seed=4)
    gx = tf.gradients(tf.reduce_sum(y), x)[0]
    yv, gv = run([y, gx], {x: np.ones((20, 20), np.float32)})
    np.testing.assert_array_equal(gv, yv)   # x = 1: y and dy/dx are both mask / keep_prob


# ------------------------------------------------------------------------------------------------
# moments and batch_normalization

def test_moments_values_names_and_keep_dims():
    xv = R.standard_normal((2, 3, 3, 4)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3, 3, 4], name="x")
    mean, var = tf.nn.moments(x, [0, 1, 2])
    assert mean.name == "moments/Squeeze:0" and var.name == "moments/Squeeze_1:0"
    assert mean.shape.as_list() == [4] == var.shape.as_list()
    mk, vk = tf.nn.moments(x, [1, 2], keep_dims=True)
    assert mk.shape.as_list() == [None, 1, 1, 4]
    mv, vv, mkv, vkv = run([mean, var, mk, vk], {x: xv})
    x64 = xv.astype(np.float64)
    np.testing.assert_allclose(mv, x64.mean(axis=(0, 1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vv, x64.var(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(vkv, x64.var(axis=(1, 2), keepdims=True), rtol=1e-5)
    assert mv.dtype == np.float32


def test_moments_float16_computes_in_float32():
    xv = np.array([[1000.0, 1001.0, 1002.0]], np.float16)
    mean, var = tf.nn.moments(tf.constant(xv), [1])
    mv, vv = run([mean, var])
    assert mv.dtype == np.float16 and float(mv[0]) == 1001.0 and float(vv[0]) == pytest.approx(2 / 3, rel=1e-3)


def test_batch_normalization_values_and_name():
    xv = R.standard_normal((4, 3)).astype(np.float32)
    mean, var = np.array([0.1, -0.2, 0.3]), np.array([1.5, 0.5, 2.0])
    offset, scale = np.array([0.0, 1.0, -1.0]), np.array([2.0, 0.5, 1.0])
    y = tf.nn.batch_normalization(tf.constant(xv), mean.astype(np.float32), var.astype(np.float32),
                                  offset.astype(np.float32), scale.astype(np.float32), 1e-3)
    assert y.name.startswith("batchnorm/")
    want = (xv - mean) / np.sqrt(var + 1e-3) * scale + offset
    np.testing.assert_allclose(run(y), want, rtol=1e-5, atol=1e-6)
    # no offset, no scale; Python numbers for the statistics
    y2 = tf.nn.batch_normalization(tf.constant(xv), 1.0, 2.0, None, None, 1e-3)
    np.testing.assert_allclose(run(y2), (xv - 1.0) / np.sqrt(2.001), rtol=1e-5)


def test_batch_normalization_matches_tf1():
    # recorded from TF1: batch_normalization(x, 1.0, 2.0, 0.5, 3.0, 1e-3) for x = [[0, 1, 2], [3, 4, 5]]
    y = tf.nn.batch_normalization(tf.constant([[0.0, 1, 2], [3, 4, 5]]), 1.0, 2.0, 0.5, 3.0, 1e-3)
    np.testing.assert_allclose(run(y), [[-1.6207902, 0.5, 2.6207902], [4.74158, 6.8623705, 8.983161]], rtol=1e-6)


# ------------------------------------------------------------------------------------------------
# embedding_lookup

def test_embedding_lookup_values_and_names():
    params = R.standard_normal((5, 3)).astype(np.float32)
    p = tf.placeholder(tf.float32, [5, 3], name="p")
    ids = np.array([[1, 4], [0, 1]], np.int32)
    e = tf.nn.embedding_lookup(p, ids)
    assert e.name == "embedding_lookup/Identity:0" and e.op.inputs[0].op.name == "embedding_lookup"
    assert e.shape.as_list() == [2, 2, 3]
    np.testing.assert_array_equal(run(e, {p: params}), params[ids])
    np.testing.assert_array_equal(run(tf.nn.embedding_lookup([p], [3]), {p: params}), params[[3]])


def test_embedding_lookup_gradient_and_max_norm():
    p = tf.constant([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    e = tf.nn.embedding_lookup(p, [0, 1, 2, 0], max_norm=1.0)
    np.testing.assert_allclose(run(e), [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0], [0.6, 0.8]], rtol=1e-6)
    v = tf.placeholder(tf.float32, [3, 2])
    g = tf.gradients(tf.reduce_sum(tf.nn.embedding_lookup(v, [0, 2, 0])), v)[0]
    np.testing.assert_array_equal(run(g, {v: np.ones((3, 2), np.float32)}), [[2, 2], [0, 0], [1, 1]])


def test_embedding_lookup_errors():
    p = tf.placeholder(tf.float32, [5, 3])
    with pytest.raises(ValueError, match="one params"):
        tf.nn.embedding_lookup([p, p], [0])
    with pytest.raises(ValueError, match="partition_strategy"):
        tf.nn.embedding_lookup(p, [0], partition_strategy="range")
    with pytest.raises(TypeError, match="int32"):
        tf.nn.embedding_lookup(p, [0.5])
