"""Gradient checks for the tf.image resize ops (graphc/ops/image_resize.py). Their outputs are float32
(TF1), so the steps are wide (the losses are quadratic: central differences are exact but for rounding)."""
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
