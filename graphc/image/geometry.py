"""``tf.image`` resizing, cropping, padding and flips (TF1's functions over 3-D [h, w, c] or 4-D
[batch, h, w, c] images). Resizes build the ops of ``graphc/ops/image_resize.py``; crops, pads and
flips are slices, pads and reversals, so their gradients and backends come with those ops."""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import control_flow, dtypes
from graphc.graph import Tensor, get_default_graph
from graphc.ops import array, image_resize, random, reverse, tile_pad
from graphc.ops import math as m
from graphc.ops.core import _graph_of, constant_value, convert_to_tensor


class ResizeMethod:
    """TF1's ``tf.image.ResizeMethod``."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


_RESIZE_OPS = {ResizeMethod.BILINEAR: "ResizeBilinear", ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor",
               ResizeMethod.BICUBIC: "ResizeBicubic"}


def image_tensor(image: Any, fn: str, name: str = "image") -> Tensor:
    """``image`` as a tensor of known rank 3 or 4."""
    t = convert_to_tensor(image, name=name)
    if t.shape.ndims not in (3, 4):
        raise ValueError(f"{fn}: '{name}' {t.name} must have either 3 or 4 dimensions ([height, width, channels] "
                         f"or [batch, height, width, channels]), got shape {t.shape}")
    return t


def as_batch(image: Tensor) -> tuple:
    """(4-D image, whether the input was 3-D and must be squeezed back)."""
    if image.shape.ndims == 3:
        return array.expand_dims(image, 0), True
    return image, False


def _unbatch(image: Tensor, was_3d: bool) -> Tensor:
    return array.squeeze(image, [0]) if was_3d else image


def _resize(op_type: str, fn: str) -> Callable:
    def resize(images: Any, size: Any, align_corners: bool = False, name: Optional[str] = None,
               half_pixel_centers: bool = False) -> Tensor:
        with _graph_of([images, size]).as_default():
            x = convert_to_tensor(images, name="images")
            if x.shape.ndims not in (None, 4):
                raise ValueError(f"{fn}: images {x.name} must be 4-D [batch, height, width, channels], got {x.shape}")
            return image_resize.resize(op_type, x, _size_tensor(size), align_corners, half_pixel_centers, name)
    resize.__name__ = fn
    resize.__doc__ = f"TF1 ``tf.image.{fn}``: 4-D ``images`` resized to ``size`` [new_height, new_width]."
    return resize


def _size_tensor(size: Any) -> Tensor:
    t = convert_to_tensor(size, dtype=dtypes.int32, name="size")
    if t.shape.as_tuple() not in ((2,), None):
        raise ValueError(f"size {t.name} must be a 1-D tensor of 2 elements: new_height, new_width; got {t.shape}")
    return t


resize_bilinear = _resize("ResizeBilinear", "resize_bilinear")
resize_nearest_neighbor = _resize("ResizeNearestNeighbor", "resize_nearest_neighbor")
resize_bicubic = _resize("ResizeBicubic", "resize_bicubic")


def resize_images(images: Any, size: Any, method: int = ResizeMethod.BILINEAR, align_corners: bool = False,
                  preserve_aspect_ratio: bool = False, name: Optional[str] = None) -> Tensor:
    """TF1 ``tf.image.resize_images``: 3-D or 4-D images to ``size``; bilinear/bicubic give float32, nearest
    keeps the dtype; a size equal to the static image size returns the images unchanged (TF1)."""
    if method not in _RESIZE_OPS:
        raise ValueError(f"resize_images: method {method!r} is not supported; use ResizeMethod.BILINEAR, "
                         "NEAREST_NEIGHBOR or BICUBIC.")
    graph = _graph_of([images, size])
    with graph.as_default(), graph.name_scope(name or "resize"):
        x, was_3d = as_batch(image_tensor(images, "resize_images", "images"))
        size_t = _size_tensor(size)
        known = constant_value(size_t)
        dims = x.shape.as_tuple()
        if preserve_aspect_ratio:
            if known is None or dims[1] is None or dims[2] is None:
                raise ValueError("resize_images: preserve_aspect_ratio needs a constant size and static image "
                                 f"height and width, got size {size_t.name} and images {x.shape}")
            ratio = min(known[0] / dims[1], known[1] / dims[2])
            known = [int(round(dims[1] * ratio)), int(round(dims[2] * ratio))]
            size_t = convert_to_tensor(known, dtype=dtypes.int32, name="size")
        if known is not None and list(known) == list(dims[1:3]):
            return _unbatch(x, was_3d)
        out = image_resize.resize(_RESIZE_OPS[method], x, size_t, align_corners, False, None)
        return _unbatch(out, was_3d)


def _static_hw(image: Tensor, fn: str) -> tuple:
    dims = image.shape.as_tuple()
    if dims[1] is None or dims[2] is None:
        raise ValueError(f"{fn}: the height and width of {image.name} must be static, got shape {image.shape}")
    return dims[1], dims[2]


def crop_to_bounding_box(image: Any, offset_height: int, offset_width: int, target_height: int,
                         target_width: int) -> Tensor:
    """The [offset_height:offset_height + target_height, offset_width:offset_width + target_width] window."""
    with get_default_graph().name_scope("crop_to_bounding_box"):
        x, was_3d = as_batch(image_tensor(image, "crop_to_bounding_box"))
        h, w = _static_hw(x, "crop_to_bounding_box")
        for what, v in (("offset_width", offset_width), ("offset_height", offset_height)):
            if v < 0:
                raise ValueError(f"crop_to_bounding_box: {what} must be >= 0, got {v}")
        for what, v in (("target_width", target_width), ("target_height", target_height)):
            if v <= 0:
                raise ValueError(f"crop_to_bounding_box: {what} must be > 0, got {v}")
        if w < target_width + offset_width:
            raise ValueError(f"width must be >= target + offset: image width {w} < {target_width} + {offset_width}")
        if h < target_height + offset_height:
            raise ValueError(f"height must be >= target + offset: image height {h} < {target_height} + "
                             f"{offset_height}")
        cropped = array.slice(x, [0, offset_height, offset_width, 0], [-1, target_height, target_width, -1])
        return _unbatch(cropped, was_3d)


def pad_to_bounding_box(image: Any, offset_height: int, offset_width: int, target_height: int,
                        target_width: int) -> Tensor:
    """Zero-pads ``image`` to [target_height, target_width] with it placed at the offsets."""
    with get_default_graph().name_scope("pad_to_bounding_box"):
        x, was_3d = as_batch(image_tensor(image, "pad_to_bounding_box"))
        h, w = _static_hw(x, "pad_to_bounding_box")
        after_h, after_w = target_height - offset_height - h, target_width - offset_width - w
        for what, v in (("offset_height", offset_height), ("offset_width", offset_width)):
            if v < 0:
                raise ValueError(f"pad_to_bounding_box: {what} must be >= 0, got {v}")
        if after_h < 0:
            raise ValueError(f"height must be <= target - offset: image height {h}, target {target_height}, "
                             f"offset {offset_height}")
        if after_w < 0:
            raise ValueError(f"width must be <= target - offset: image width {w}, target {target_width}, "
                             f"offset {offset_width}")
        padded = tile_pad.pad(x, [[0, 0], [offset_height, after_h], [offset_width, after_w], [0, 0]])
        return _unbatch(padded, was_3d)


def resize_image_with_crop_or_pad(image: Any, target_height: int, target_width: int) -> Tensor:
    """Centrally crops or zero-pads ``image`` to [target_height, target_width] (TF1's offsets)."""
    with get_default_graph().name_scope("resize_image_with_crop_or_pad"):
        x = image_tensor(image, "resize_image_with_crop_or_pad")
        if target_height <= 0 or target_width <= 0:
            raise ValueError(f"resize_image_with_crop_or_pad: target size must be > 0, got {target_height}x"
                             f"{target_width}")
        h, w = _static_hw(x if x.shape.ndims == 4 else array.expand_dims(x, 0), "resize_image_with_crop_or_pad")
        dw, dh = target_width - w, target_height - h
        cropped = crop_to_bounding_box(x, max(-dh // 2, 0), max(-dw // 2, 0), min(target_height, h),
                                       min(target_width, w))
        return pad_to_bounding_box(cropped, max(dh // 2, 0), max(dw // 2, 0), target_height, target_width)


def central_crop(image: Any, central_fraction: float) -> Tensor:
    """The central ``central_fraction`` (in (0, 1]) of each image's height and width (TF1's rounding)."""
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    with get_default_graph().name_scope("central_crop"):
        x = image_tensor(image, "central_crop")
        if central_fraction == 1.0:
            return x
        h, w = _static_hw(x if x.shape.ndims == 4 else array.expand_dims(x, 0), "central_crop")
        top, left = int((h - h * central_fraction) / 2), int((w - w * central_fraction) / 2)
        return crop_to_bounding_box(x, top, left, h - 2 * top, w - 2 * left)


def _flip(axis_3d: int, fn: str) -> Callable:
    def flip(image: Any) -> Tensor:
        with get_default_graph().name_scope(fn):
            x = image_tensor(image, fn)
            return reverse.reverse(x, [axis_3d + (x.shape.ndims - 3)])
    flip.__name__ = fn
    flip.__doc__ = f"TF1 ``tf.image.{fn}``: each image reversed along its {'width' if axis_3d else 'height'}."
    return flip


flip_left_right = _flip(1, "flip_left_right")
flip_up_down = _flip(0, "flip_up_down")


def _random_flip(axis_3d: int, fn: str) -> Callable:
    def random_flip(image: Any, seed: Optional[int] = None) -> Tensor:
        with get_default_graph().name_scope(fn):
            x = image_tensor(image, fn)
            axis = axis_3d + (x.shape.ndims - 3)
            if x.shape.ndims == 3:
                mirror = m.less(random.random_uniform([], 0, 1.0, seed=seed), 0.5)
                return control_flow.cond(mirror, lambda: reverse.reverse(x, [axis]), lambda: x)
            batch = array.shape(x)[0]
            draws = random.random_uniform(array.expand_dims(batch, 0), 0, 1.0, seed=seed)
            flips = array.broadcast_to(array.reshape(m.less(draws, 0.5), [-1, 1, 1, 1]), array.shape(x))
            return m.where(flips, reverse.reverse(x, [axis]), x)
    random_flip.__name__ = fn
    random_flip.__doc__ = f"TF1 ``tf.image.{fn}``: each image flipped with probability 1/2."
    return random_flip


random_flip_left_right = _random_flip(1, "random_flip_left_right")
random_flip_up_down = _random_flip(0, "random_flip_up_down")


def transpose_image(image: Any) -> Tensor:
    """Swaps each image's height and width."""
    x = image_tensor(image, "transpose_image")
    return array.transpose(x, [1, 0, 2] if x.shape.ndims == 3 else [0, 2, 1, 3])


__all__ = ["ResizeMethod", "resize_images", "resize_bilinear", "resize_nearest_neighbor", "resize_bicubic",
           "crop_to_bounding_box", "pad_to_bounding_box", "resize_image_with_crop_or_pad", "central_crop",
           "flip_left_right", "flip_up_down", "random_flip_left_right", "random_flip_up_down", "transpose_image"]
