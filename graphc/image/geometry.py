"""``tf.image`` resizing, cropping, padding and flips (TF1's functions over 3-D [h, w, c] or 4-D
[batch, h, w, c] images). Resizes build the ops of ``graphc/ops/image_resize.py``; crops, pads and
flips are slices, pads and reversals, so their gradients and backends come with those ops. A crop or
pad whose offsets or sizes are tensors (or whose image has run-time height and width) builds the
run-time-window ops of ``graphc/ops/dynamic_window.py`` instead, checked when they run (TF1's
asserts); checks on Python ints fail while building, as TF1's do."""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import control_flow, dtypes
from graphc.graph import Tensor, get_default_graph
from graphc.ops import array, dynamic_window, image_resize, random, reverse, tile_pad
from graphc.ops import math as m
from graphc.ops.core import _graph_of, _graph_tensor_or_none, constant_value, convert_to_tensor
from graphc.ops.join_split import stack


class ResizeMethod:
    """TF1's ``tf.image.ResizeMethod``."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


_RESIZE_OPS = {ResizeMethod.BILINEAR: "ResizeBilinear", ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor",
               ResizeMethod.BICUBIC: "ResizeBicubic", ResizeMethod.AREA: "ResizeArea"}


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
    if op_type == "ResizeArea":       # TF1's resize_area has no half_pixel_centers
        def resize_area(images: Any, size: Any, align_corners: bool = False, name: Optional[str] = None) -> Tensor:
            return resize(images, size, align_corners, name)
        resize_area.__name__ = fn
        resize_area.__doc__ = (f"TF1 ``tf.image.{fn}``: 4-D ``images`` resized to ``size`` [new_height, new_width], "
                               "each output pixel the mean of the input area it covers (float32; no gradient).")
        return resize_area
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
resize_area = _resize("ResizeArea", "resize_area")


def resize_images(images: Any, size: Any, method: int = ResizeMethod.BILINEAR, align_corners: bool = False,
                  preserve_aspect_ratio: bool = False, name: Optional[str] = None) -> Tensor:
    """TF1 ``tf.image.resize_images``: 3-D or 4-D images to ``size``; bilinear/bicubic/area give float32, nearest
    keeps the dtype; a size equal to the static image size returns the images unchanged (TF1)."""
    if method not in _RESIZE_OPS:
        raise ValueError(f"resize_images: method {method!r} is not supported; use ResizeMethod.BILINEAR, "
                         "NEAREST_NEIGHBOR, BICUBIC or AREA.")
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


def _is_tensor(v: Any) -> bool:
    """Whether ``v`` is a tensor (TF1 then checks it when the graph runs) rather than a Python int."""
    return _graph_tensor_or_none(v) is not None


def _dims_hw(x: Tensor) -> tuple:
    """(height, width) of a 4-D image: ints where static, scalar int32 tensors where not."""
    return array.dim_or_tensor(x, 1), array.dim_or_tensor(x, 2)


def _static_check(ok: Any, message: str) -> None:
    """TF1's ``_assert`` for a condition known while building (a Python bool): ValueError if false.
    A condition that involves a tensor is checked by the op when it runs."""
    if isinstance(ok, bool) and not ok:
        raise ValueError(message)


def _max(a: Any, b: Any) -> Any:
    return m.maximum(a, b) if _is_tensor(a) or _is_tensor(b) else max(a, b)


def _min(a: Any, b: Any) -> Any:
    return m.minimum(a, b) if _is_tensor(a) or _is_tensor(b) else min(a, b)


def _static_or_none(v: Any) -> Optional[int]:
    return None if _is_tensor(v) else int(v)


def crop_to_bounding_box(image: Any, offset_height: Any, offset_width: Any, target_height: Any,
                         target_width: Any) -> Tensor:
    """The [offset_height:offset_height + target_height, offset_width:offset_width + target_width] window.

    Offsets and sizes may be scalar int tensors (and the image's height and width known only at run
    time): the window is then a slice planned with run-time shapes, checked when it runs."""
    with get_default_graph().name_scope("crop_to_bounding_box"):
        x, was_3d = as_batch(image_tensor(image, "crop_to_bounding_box"))
        h, w = _dims_hw(x)
        fn = "crop_to_bounding_box"
        _static_check(_is_tensor(offset_width) or offset_width >= 0, f"{fn}: offset_width must be >= 0, got "
                      f"{offset_width}")
        _static_check(_is_tensor(offset_height) or offset_height >= 0, f"{fn}: offset_height must be >= 0, got "
                      f"{offset_height}")
        _static_check(_is_tensor(target_width) or target_width > 0, f"{fn}: target_width must be > 0, got "
                      f"{target_width}")
        _static_check(_is_tensor(target_height) or target_height > 0, f"{fn}: target_height must be > 0, got "
                      f"{target_height}")
        values = (offset_height, offset_width, target_height, target_width)
        if not any(_is_tensor(v) for v in (h, w) + values):
            _static_check(w >= target_width + offset_width, f"width must be >= target + offset: image width {w} < "
                          f"{target_width} + {offset_width}")
            _static_check(h >= target_height + offset_height, f"height must be >= target + offset: image height {h} "
                          f"< {target_height} + {offset_height}")
            cropped = array.slice(x, [0, offset_height, offset_width, 0], [-1, target_height, target_width, -1])
            return _unbatch(cropped, was_3d)
        cropped = dynamic_window.dynamic_slice(x, [0, offset_height, offset_width, 0],
                                               [-1, target_height, target_width, -1], fn, positive_size=True)
        dims = x.shape.as_tuple()
        cropped.set_shape([dims[0], _static_or_none(target_height), _static_or_none(target_width), dims[3]])
        return _unbatch(cropped, was_3d)


def pad_to_bounding_box(image: Any, offset_height: Any, offset_width: Any, target_height: Any,
                        target_width: Any) -> Tensor:
    """Zero-pads ``image`` to [target_height, target_width] with it placed at the offsets.

    Offsets and sizes may be scalar int tensors (and the image's height and width known only at run
    time): the pad is then planned with run-time shapes and checked when it runs."""
    with get_default_graph().name_scope("pad_to_bounding_box"):
        x, was_3d = as_batch(image_tensor(image, "pad_to_bounding_box"))
        h, w = _dims_hw(x)
        after_h, after_w = target_height - offset_height - h, target_width - offset_width - w
        fn = "pad_to_bounding_box"
        for what, v in (("offset_height", offset_height), ("offset_width", offset_width)):
            _static_check(_is_tensor(v) or v >= 0, f"{fn}: {what} must be >= 0, got {v}")
        _static_check(_is_tensor(after_h) or after_h >= 0, f"height must be <= target - offset: image height {h}, "
                      f"target {target_height}, offset {offset_height}")
        _static_check(_is_tensor(after_w) or after_w >= 0, f"width must be <= target - offset: image width {w}, "
                      f"target {target_width}, offset {offset_width}")
        if not any(_is_tensor(v) for v in (offset_height, offset_width, after_h, after_w)):
            padded = tile_pad.pad(x, [[0, 0], [offset_height, after_h], [offset_width, after_w], [0, 0]])
            return _unbatch(padded, was_3d)
        paddings = stack([convert_to_tensor([0, offset_height, offset_width, 0], dtype=dtypes.int32),
                          convert_to_tensor([0, after_h, after_w, 0], dtype=dtypes.int32)], axis=1)
        padded = dynamic_window.dynamic_pad(x, paddings, fn)
        dims = x.shape.as_tuple()
        padded.set_shape([dims[0], _static_or_none(target_height), _static_or_none(target_width), dims[3]])
        return _unbatch(padded, was_3d)


def resize_image_with_crop_or_pad(image: Any, target_height: Any, target_width: Any) -> Tensor:
    """Centrally crops or zero-pads ``image`` to [target_height, target_width] (TF1's offsets); the
    targets may be scalar int tensors and the image's height and width known only at run time."""
    with get_default_graph().name_scope("resize_image_with_crop_or_pad"):
        x, was_3d = as_batch(image_tensor(image, "resize_image_with_crop_or_pad"))
        for what, v in (("target_width", target_width), ("target_height", target_height)):
            _static_check(_is_tensor(v) or v > 0, f"resize_image_with_crop_or_pad: {what} must be > 0, got {v}")
        h, w = _dims_hw(x)
        dw, dh = target_width - w, target_height - h
        cropped = crop_to_bounding_box(x, _max(-dh // 2, 0), _max(-dw // 2, 0), _min(target_height, h),
                                       _min(target_width, w))
        resized = pad_to_bounding_box(cropped, _max(dh // 2, 0), _max(dw // 2, 0), target_height, target_width)
        return _unbatch(resized, was_3d)


def central_crop(image: Any, central_fraction: Any) -> Tensor:
    """The central ``central_fraction`` (in (0, 1]) of each image's height and width (TF1's rounding).

    The fraction may be a scalar float tensor and the image's height and width known only at run
    time; the crop is then computed in float64 as TF1 does and planned with run-time shapes. As in
    TF1, a fraction tensor is not range-checked: above 1 the window fails to fit when it runs, at or
    below 0 it is the central pixel or none."""
    static_fraction = None if _is_tensor(central_fraction) else float(central_fraction)
    if _is_tensor(central_fraction):
        known = constant_value(convert_to_tensor(central_fraction))
        static_fraction = None if known is None else float(known)
    if static_fraction is not None and not 0.0 < static_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    with get_default_graph().name_scope("central_crop"):
        x = image_tensor(image, "central_crop")
        if static_fraction == 1.0:
            return x
        x4, was_3d = as_batch(x)
        h, w = _dims_hw(x4)
        if static_fraction is not None and not _is_tensor(h) and not _is_tensor(w):
            top, left = int((h - h * static_fraction) / 2), int((w - w * static_fraction) / 2)
            return _unbatch(array.slice(x4, [0, top, left, 0], [-1, h - 2 * top, w - 2 * left, -1]), was_3d)
        fraction = m.cast(convert_to_tensor(central_fraction, name="central_fraction"), dtypes.float64)
        top, left = (m.cast((m.cast(d, dtypes.float64) - m.cast(d, dtypes.float64) * fraction) / 2.0, dtypes.int32)
                     for d in (h, w))
        cropped = dynamic_window.dynamic_slice(x4, [0, top, left, 0], [-1, h - 2 * top, w - 2 * left, -1],
                                               "central_crop")
        return _unbatch(cropped, was_3d)


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


__all__ = ["ResizeMethod", "resize_images", "resize_bilinear", "resize_nearest_neighbor", "resize_bicubic", "resize_area",
           "crop_to_bounding_box", "pad_to_bounding_box", "resize_image_with_crop_or_pad", "central_crop",
           "flip_left_right", "flip_up_down", "random_flip_left_right", "random_flip_up_down", "transpose_image"]
