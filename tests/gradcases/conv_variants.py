"""Gradient checks for the convolution variants (graphc/ops/conv_variants.py), first and second order."""
import graphc as tf
from gradcheck import GradCase, rng

r = rng(26)
image = r.standard_normal((2, 5, 4, 2))
dw = r.standard_normal((3, 2, 2, 2))
pw = r.standard_normal((1, 1, 4, 3))
kernel = r.standard_normal((3, 2, 2, 3))
signal, taps = r.standard_normal((2, 6, 2)), r.standard_normal((3, 2, 3))
small = r.standard_normal((2, 3, 2, 3))
positive = r.uniform(0.5, 1.5, (1, 3, 2, 5))


def _depthwise(x, w):
    return tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME")


CASES = [
    GradCase("depthwise_conv2d", {"DepthwiseConv2dNative"}, _depthwise, [image, dw]),
    GradCase("depthwise_conv2d_rate", {"DepthwiseConv2dNative"},
             lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME", rate=2), [image, dw]),
    GradCase("depthwise_backprop_input", {"DepthwiseConv2dNativeBackpropInput"},
             lambda x, w: tf.gradients(_depthwise(x, w) ** 2, x)[0], [image, dw]),
    GradCase("depthwise_backprop_filter", {"DepthwiseConv2dNativeBackpropFilter"},
             lambda x, w: tf.gradients(_depthwise(x, w) ** 2, w)[0], [image, dw]),
    GradCase("separable_conv2d", {"DepthwiseConv2dNative", "Conv2D"},
             lambda x, d, p: tf.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "VALID"), [image, dw, pw]),
    GradCase("conv1d", {"Conv2D", "ExpandDims", "Squeeze"}, lambda x, w: tf.nn.conv1d(x, w, 2, "SAME"), [signal, taps]),
    GradCase("conv2d_transpose", {"Conv2DBackpropInput"},
             lambda v, w: tf.nn.conv2d_transpose(v, w, [2, 5, 4, 2], [1, 2, 2, 1], "SAME"), [small, kernel]),
    GradCase("atrous_conv2d", {"Conv2D"}, lambda x, w: tf.nn.atrous_conv2d(x, w, 2, "SAME"), [image, kernel]),
    GradCase("local_response_normalization", {"Pow", "AddN", "StridedSlice"},
             lambda x: tf.nn.lrn(x, depth_radius=1, bias=1.0, alpha=0.5, beta=0.75), [positive]),
]
