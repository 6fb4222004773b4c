"""``tf.image`` (TF1): resizing (bilinear, nearest, bicubic, area) with TF1's align_corners / half_pixel_centers conventions, crops, pads,
flips, colour conversions and adjustments, dtype conversion, standardization, and PNG/JPEG codecs."""
from graphc.image.codecs import decode_image, decode_jpeg, decode_png, encode_jpeg, encode_png
from graphc.image.color import (
    adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue, adjust_saturation, convert_image_dtype,
    grayscale_to_rgb, hsv_to_rgb, per_image_standardization, random_brightness, random_contrast, random_hue,
    random_saturation, rgb_to_grayscale, rgb_to_hsv)
from graphc.image.geometry import (
    ResizeMethod, central_crop, crop_to_bounding_box, flip_left_right, flip_up_down, pad_to_bounding_box,
    random_flip_left_right, random_flip_up_down, resize_area, resize_bicubic, resize_bilinear, resize_image_with_crop_or_pad,
    resize_images, resize_nearest_neighbor, transpose_image)
from graphc.ops.sampling import random_crop

resize_with_crop_or_pad = resize_image_with_crop_or_pad

__all__ = ["ResizeMethod", "resize_images", "resize_bilinear", "resize_nearest_neighbor", "resize_bicubic", "resize_area",
           "crop_to_bounding_box", "pad_to_bounding_box", "resize_image_with_crop_or_pad", "resize_with_crop_or_pad",
           "central_crop", "random_crop", "flip_left_right", "flip_up_down", "random_flip_left_right",
           "random_flip_up_down", "transpose_image", "convert_image_dtype", "rgb_to_grayscale", "grayscale_to_rgb",
           "rgb_to_hsv", "hsv_to_rgb", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_saturation",
           "adjust_hue", "per_image_standardization", "random_brightness", "random_contrast", "random_saturation",
           "random_hue", "decode_png", "decode_jpeg", "decode_image", "encode_png", "encode_jpeg"]
