"""The Numba backend's compiled convolutions and average pooling (graphc/codegen/numba_conv.py):
each kernel against its numpy kernel (the reference) over strides, paddings, dilations, odd shapes
and an empty batch; the same errors; and the gradient checks of the conv cases run through a Numba
session (inputs of 2-3 channels take the numpy filter gradient; one-channel and deeper cases the compiled one)."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import numba_conv, numba_host
from graphc.ops.core import OPS
from graphc.testing import assert_gradients_close

import gradcases.conv as conv_cases
from gradcheck import GradCase
from backend_util import compiled_backend, run_against_eager

# (input NHWC, filter [kh, kw, in, out], strides, dilations, padding)
GEOMETRIES = [
    ((2, 7, 6, 5), (3, 2, 5, 4), (1, 1), (1, 1), "SAME"),
    ((2, 9, 8, 4), (3, 3, 4, 5), (2, 3), (1, 1), "SAME"),
    ((2, 9, 8, 6), (3, 3, 6, 5), (2, 1), (2, 2), "VALID"),
    ((1, 5, 5, 4), (5, 5, 4, 1), (1, 1), (2, 1), "SAME"),       # a window wider than the input
    ((3, 4, 5, 1), (1, 1, 1, 6), (3, 2), (1, 1), "VALID"),       # 1x1 filter, strides skip pixels; one channel
    ((2, 6, 5, 3), (2, 3, 3, 2), (2, 2), (1, 2), "SAME"),        # shallow: the numpy filter gradient
    ((2, 7, 6, 1), (3, 3, 1, 4), (2, 1), (1, 2), "SAME"),        # one channel: its own, transposed, im2col
    ((2, 9, 8, 1), (3, 2, 1, 3), (1, 3), (2, 1), "SAME"),
    ((1, 6, 6, 1), (3, 3, 1, 2), (1, 1), (1, 1), "VALID"),
    ((0, 6, 6, 4), (3, 3, 4, 4), (1, 1), (1, 1), "SAME"),        # empty batch
]
_RS = np.random.RandomState(8)     # its own stream: backend_util.f32's shared one stays as other files expect


def f32(*shape: int) -> np.ndarray:
    return _RS.randn(*shape).astype(np.float32)


TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g[0])) + "-" + g[4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_kernels_match_the_numpy_kernels(geometry, dtype):
    x_shape, w_shape, strides, dilations, padding = geometry
    rs = np.random.RandomState(5)
    x, w = rs.randn(*x_shape).astype(dtype), rs.randn(*w_shape).astype(dtype)
    attrs = dict(strides=strides, dilations=dilations, padding=padding)
    want = OPS["Conv2D"].numpy(x, w, **attrs)
    got = numba_host.kernel_for("Conv2D")(x, w, **attrs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])
    dy = rs.randn(*want.shape).astype(dtype)
    sizes, filter_sizes = np.array(x_shape, np.int32), np.array(w_shape, np.int32)
    for op, args in (("Conv2DBackpropInput", (sizes, w, dy)), ("Conv2DBackpropFilter", (x, filter_sizes, dy))):
        want = OPS[op].numpy(*args, **attrs)
        got = numba_host.kernel_for(op)(*args, **attrs)
        assert got.dtype == want.dtype and got.shape == want.shape, op
        np.testing.assert_allclose(got, want, **TOLERANCE[dtype], err_msg=op)


def test_conv_kernels_raise_the_numpy_kernels_errors():
    x, w = f32(1, 4, 4, 2), f32(3, 3, 2, 3)
    attrs = dict(strides=(1, 1), dilations=(1, 1), padding="SAME")
    for op, args, match in [
            ("Conv2D", (x, f32(3, 3, 1, 3)), "input depth 2 does not match filter input depth 1"),
            ("Conv2D", (x, f32(5, 5, 2, 3)), None),
            ("Conv2DBackpropInput", (np.array([1, 4, 4, 2]), w, f32(1, 4, 3, 3)), "Conv2DBackpropInput"),
            ("Conv2DBackpropFilter", (x, np.array([3, 3, 2, 3]), f32(1, 4, 4, 2)), "Conv2DBackpropFilter")]:
        a = dict(attrs, padding="VALID") if match is None else attrs
        with pytest.raises(ValueError) as want:
            OPS[op].numpy(*args, **a)
        with pytest.raises(ValueError) as got:
            numba_host.kernel_for(op)(*args, **a)
        assert str(got.value) == str(want.value)
        assert match is None or match in str(got.value)


@pytest.mark.parametrize("ksize,strides,padding", [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME"),
                                                   ((3, 2), (1, 2), "SAME"), ((2, 3), (3, 1), "VALID")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool_kernels_match_the_numpy_kernels(ksize, strides, padding, dtype):
    rs = np.random.RandomState(6)
    x = rs.randn(2, 7, 6, 3).astype(dtype)
    attrs = dict(ksize=ksize, strides=strides, padding=padding)
    want = OPS["AvgPool"].numpy(x, **attrs)
    got = numba_host.kernel_for("AvgPool")(x, **attrs)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])
    g, sizes = rs.randn(*want.shape).astype(dtype), np.array(x.shape, np.int32)
    want = OPS["AvgPoolGrad"].numpy(sizes, g, **attrs)
    got = numba_host.kernel_for("AvgPoolGrad")(sizes, g, **attrs)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])
    empty = np.zeros((0, 7, 6, 3), dtype)
    assert numba_host.kernel_for("AvgPool")(empty, **attrs).shape == OPS["AvgPool"].numpy(empty, **attrs).shape
    with pytest.raises(ValueError, match="AvgPoolGrad"):
        numba_host.kernel_for("AvgPoolGrad")(sizes, g[:, :1], **attrs)


def test_other_float_dtypes_run_the_numpy_kernels():
    takes = numba_host.KERNELS["Conv2D"][0]
    assert takes(f32(1, 3, 3, 1), f32(1, 1, 1, 1))
    assert not takes(f32(1, 3, 3, 1).astype(np.float16), f32(1, 1, 1, 1).astype(np.float16))
    assert not takes(f32(1, 3, 3, 1), f32(1, 1, 1, 1).astype(np.float64))


_deep = np.random.default_rng(7)
DEEP_CASE = GradCase("conv2d_deep_input", {"Conv2D"},
                     lambda x, w: tf.nn.conv2d(x, w, [1, 2, 1, 1], "SAME", dilations=[1, 1, 1, 1]),
                     [_deep.standard_normal((2, 5, 4, numba_conv.SHALLOW_CHANNELS)),
                      _deep.standard_normal((3, 2, numba_conv.SHALLOW_CHANNELS, 3))])
CONV_CASES = [c for c in conv_cases.CASES if c.op_types & set(numba_conv.KERNELS)] + [DEEP_CASE]


@pytest.mark.parametrize("case", CONV_CASES, ids=[c.name for c in CONV_CASES])
def test_conv_gradients_on_numba_match_central_differences(case):
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), np.shape(v)) for v in case.values]
        y = case.build(*phs)
        assert_gradients_close(y, phs, case.values, atol=case.atol, rtol=case.rtol, delta=case.delta,
                               session=tf.Session(graph=graph, backend="numba"))


def test_a_cnn_training_graph_runs_the_compiled_conv_kernels():
    x = tf.placeholder(tf.float32, [None, 8, 8, 4])
    w1, w2 = tf.constant(f32(3, 3, 4, 4)), tf.constant(f32(3, 3, 4, 6))
    h = tf.nn.avg_pool(tf.nn.conv2d(x, w1, 1, "SAME"), 2, 2, "SAME")
    y = tf.nn.conv2d(h, w2, 2, "VALID", dilations=1)
    grads = tf.gradients(tf.reduce_sum(y * y), [x, w1, w2])
    exe, _, _ = run_against_eager(compiled_backend("numba"), [y] + grads, [x], [f32(3, 8, 8, 4)])
    ran = " ".join(k.source for k in exe.kernels)
    for op in ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "AvgPool", "AvgPoolGrad"):
        assert f"numba_host.KERNELS[{op!r}]" in ran, op


@pytest.mark.parametrize("channels", [1, 4])
def test_a_filter_gradient_reads_the_im2col_its_convolution_made(channels):
    # the forward convolution keeps its im2col for the filter gradient of the same input and
    # geometry (numba_steps.share_im2col); a convolution of another geometry makes its own
    from graphc.codegen.numba_steps import CompiledStep, NumpyStep

    x = tf.placeholder(tf.float32, [None, 8, 8, channels])
    w1, w2 = tf.constant(f32(3, 3, channels, 5)), tf.constant(f32(2, 2, channels, 3))
    h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME") + 0.5)
    other = tf.nn.conv2d(x, w2, 2, "VALID")                     # the same input, another window
    loss = tf.reduce_sum(h * h) + tf.reduce_sum(other)
    grads = tf.gradients(loss, [w1, w2])
    exe, _, _ = run_against_eager(compiled_backend("numba"), [loss] + grads, [x], [f32(2, 8, 8, channels)])
    keeps = [s for s in exe.steps if isinstance(s, CompiledStep) and s.keeps_cols is not None]
    reads = [s for s in exe.steps if isinstance(s, NumpyStep) and s.cols_from is not None]
    assert len(keeps) == len(reads) == 1 and keeps[0].keeps_cols == reads[0].cols_from
    assert keeps[0].matmul.inputs[1].shape.as_tuple() == (3, 3, channels, 5)
    assert reads[0].kernel.nodes[0].outputs[0].shape.as_tuple() == (3, 3, channels, 5)


def test_a_filter_gradient_given_an_im2col_of_another_shape_or_dtype_makes_its_own():
    x, dy = f32(2, 6, 6, 4), f32(2, 6, 6, 3)      # its im2col: [72, 36] float32
    attrs = dict(strides=(1, 1), dilations=(1, 1), padding="SAME")
    want = OPS["Conv2DBackpropFilter"].numpy(x, np.array([3, 3, 4, 3]), dy, **attrs)
    for wrong in (np.zeros((72, 35), np.float32), np.zeros((72, 36), np.float64)):
        got = numba_conv.conv2d_backprop_filter(x, np.array([3, 3, 4, 3]), dy, cols=wrong, **attrs)
        np.testing.assert_allclose(got, want, **TOLERANCE[np.float32])


EPILOGUES = {"relu": tf.nn.relu, "tanh": tf.nn.tanh, "sigmoid": tf.nn.sigmoid}


@pytest.mark.parametrize("backend", ["numba", "triton"])
@pytest.mark.parametrize("activation", sorted(EPILOGUES))
def test_conv_bias_activation_epilogue_matches_eager_with_its_gradients(backend, activation):
    x = tf.placeholder(tf.float32, [None, 7, 6, 5])      # the batch bound at run time
    w, b = tf.constant(f32(3, 2, 5, 4)), tf.constant(f32(4))
    y = EPILOGUES[activation](tf.nn.conv2d(x, w, [1, 2, 1, 1], "SAME") + b)
    grads = tf.gradients(tf.reduce_sum(y * y), [x, w, b])
    exe, _, _ = run_against_eager(compiled_backend(backend), [y] + grads, [x], [f32(3, 7, 6, 5)])
    if backend == "numba":   # the conv and its epilogue are one generated kernel, fed by im2col + BLAS
        conv = [k for k in exe.kernels if "Conv2D" in k.op_types and len(k.nodes) > 1]
        assert conv and all("def kernel(" in k.source and "Conv2D: the driver wrote the product" in k.source
                            for k in conv)


def test_conv_epilogue_on_numba_reports_a_misfit_input_like_eager():
    x = tf.placeholder(tf.float32, [None, None, None, None])
    y = tf.nn.relu(tf.nn.conv2d(x, tf.constant(f32(3, 3, 2, 4)), 1, "VALID") + tf.constant(f32(4)))
    for backend in ("eager", "numba"):
        with tf.Session(backend=backend) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="VALID window of 3"):
                sess.run(y, {x: f32(1, 2, 5, 2)})
            with pytest.raises(tf.errors.InvalidArgumentError, match="input depth 3 does not match"):
                sess.run(y, {x: f32(1, 5, 5, 3)})


def test_conv_epilogue_whose_product_is_also_fetched_and_an_empty_batch():
    x = tf.placeholder(tf.float64, [None, 6, 5, 3])
    c = tf.nn.conv2d(x, tf.constant(_RS.randn(3, 3, 3, 4)), 1, "SAME")
    z = tf.nn.sigmoid(c + tf.constant(_RS.randn(4)))
    fetches = [c, z, tf.gradients(tf.reduce_sum(z * c), x)[0]]
    for batch in (2, 0):
        run_against_eager(compiled_backend("numba"), fetches, [x], [_RS.randn(batch, 6, 5, 3)])
