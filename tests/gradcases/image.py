"""Gradient checks for the tf.image resize ops (graphc/ops/image_resize.py). Their outputs are float32
(TF1), so the steps are wide (the losses are quadratic: central differences are exact but for rounding)."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(31)
img = r.uniform(-1.0, 1.0, (1, 3, 4, 2))
WIDE = dict(delta=1e-2, atol=2e-4, rtol=2e-4)

CASES = [
    GradCase("resize_bilinear", {"ResizeBilinear"},
             lambda x: tf.image.resize_bilinear(x, [5, 3]) ** 2, [img], **WIDE),
    GradCase("resize_bilinear_half_pixel", {"ResizeBilinear"},
             lambda x: tf.image.resize_bilinear(x, [2, 7], half_pixel_centers=True) ** 2, [img], **WIDE),
    GradCase("resize_bicubic_align", {"ResizeBicubic"},
             lambda x: tf.image.resize_bicubic(x, [5, 6], align_corners=True) ** 2, [img], **WIDE),
    GradCase("resize_nearest", {"ResizeNearestNeighbor"},
             lambda x: tf.image.resize_nearest_neighbor(x, [7, 3]) ** 2, [img], **WIDE),
]

# crops and pads with offsets fed as tensors: the run-time windows (graphc/ops/dynamic_window.py),
# each the other's gradient; float64 all the way, so the default steps serve
img64 = r.uniform(-1.0, 1.0, (2, 5, 6, 2))
CASES += [
    GradCase("crop_to_bounding_box_fed_offsets", {"DynamicSlice"},
             lambda x, oh, ow: tf.image.crop_to_bounding_box(x, oh, ow, 3, 2) ** 2,
             [img64, np.int32(1), np.int32(3)]),
    GradCase("pad_to_bounding_box_fed_offsets", {"DynamicPad"},
             lambda x, oh, ow: tf.image.pad_to_bounding_box(x, oh, ow, 7, 9) ** 2,
             [img64, np.int32(2), np.int32(1)]),
    GradCase("central_crop_fed_fraction", {"DynamicSlice"},     # fed as tenths: an int input no check perturbs
             lambda x, tenths: tf.image.central_crop(x, tf.cast(tenths, tf.float64) / 10.0) ** 2,
             [img64, np.int32(6)]),
    GradCase("dynamic_slice_gradient_of_a_pad", {"DynamicSlice", "DynamicPad"},
             lambda x, oh: tf.gradients(tf.reduce_sum(tf.image.pad_to_bounding_box(x, oh, 0, 7, 6) ** 3), x)[0],
             [img64, np.int32(1)]),
]
