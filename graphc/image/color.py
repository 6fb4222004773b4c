"""``tf.image`` colour and dtype functions as TF1's compositions: convert_image_dtype, grayscale and HSV
conversions, adjust_* and random_* (brightness, contrast, saturation, hue, gamma),
per_image_standardization. Integer images are converted to float32 in [0, 1] (``convert_image_dtype``)
for the arithmetic and back, as TF1."""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import dtypes
from graphc.graph import Tensor, get_default_graph
from graphc.image.geometry import image_tensor
from graphc.ops import array, join_split, linalg, random, source
from graphc.ops import math as m
from graphc.ops import reduce as red
from graphc.ops.core import convert_to_tensor

_GRAY_WEIGHTS = [0.2989, 0.5870, 0.1140]


def convert_image_dtype(image: Any, dtype: Any, saturate: bool = False, name: Optional[str] = None) -> Tensor:
    """Converts between image dtypes, rescaling: floats are in [0, 1], integers in [0, dtype.max] (TF1's rules)."""
    dtype = dtypes.as_dtype(dtype)
    with get_default_graph().name_scope(name or "convert_image"):
        x = convert_to_tensor(image, name="image")
        src = x.dtype
        if not (src.is_integer or src.is_floating) or not (dtype.is_integer or dtype.is_floating):
            raise AttributeError(f"convert_image_dtype: image {x.name} ({src.name}) and dtype {dtype.name} must be "
                                 "integer or floating types.")
        if src == dtype:
            return source.identity(x)
        if src.is_integer and dtype.is_integer:
            if src.max > dtype.max:
                return m.cast(m.floordiv(x, (src.max + 1) // (dtype.max + 1)), dtype)
            return m.multiply(m.cast(x, dtype), (dtype.max + 1) // (src.max + 1))
        if src.is_floating and dtype.is_floating:
            return m.cast(x, dtype)
        if src.is_integer:
            return m.multiply(m.cast(x, dtype), 1.0 / src.max)
        scaled = m.multiply(x, dtype.max + 0.5)
        if saturate:
            scaled = m.clip_by_value(scaled, float(dtype.min), float(dtype.max))
        return m.cast(scaled, dtype)


def _as_float(image: Tensor) -> Tensor:
    """The image itself when it is float16/32, else converted to float32 (integers to [0, 1]), as TF1."""
    return image if image.dtype in (dtypes.float16, dtypes.float32) else convert_image_dtype(image, dtypes.float32)


def _adjusted(fn: str, image: Any, adjust: Callable, name: Optional[str] = None) -> Tensor:
    with get_default_graph().name_scope(name or fn):
        x = convert_to_tensor(image, name="image")
        return convert_image_dtype(adjust(_as_float(x)), x.dtype, saturate=True)


def rgb_to_grayscale(images: Any, name: Optional[str] = None) -> Tensor:
    """Weighted sum of the RGB channels (0.2989, 0.5870, 0.1140), keeping a size-1 channel dim."""
    def gray(x: Tensor) -> Tensor:
        weights = convert_to_tensor(_GRAY_WEIGHTS, dtype=x.dtype)
        return array.expand_dims(linalg.tensordot(x, weights, [[x.shape.ndims - 1], [0]]), -1)
    with get_default_graph().name_scope(name or "rgb_to_grayscale"):
        x = convert_to_tensor(images, name="images")
        return convert_image_dtype(gray(convert_image_dtype(x, dtypes.float32)), x.dtype)


def grayscale_to_rgb(images: Any, name: Optional[str] = None) -> Tensor:
    """Repeats the size-1 channel dim three times."""
    with get_default_graph().name_scope(name or "grayscale_to_rgb"):
        x = convert_to_tensor(images, name="images")
        if x.shape.ndims is not None and (x.shape.ndims < 2 or x.shape.as_tuple()[-1] not in (1, None)):
            raise ValueError(f"grayscale_to_rgb: the last dimension of {x.name} {x.shape} must be size 1")
        return join_split.concat([x, x, x], -1)


def _channels(x: Tensor) -> tuple:
    r, g, b = join_split.unstack(x, 3, axis=-1) if x.shape.as_tuple()[-1] == 3 else (None, None, None)
    if r is None:
        raise ValueError(f"the last dimension of {x.name} {x.shape} must be 3 (RGB or HSV channels)")
    return r, g, b


def rgb_to_hsv(images: Any, name: Optional[str] = None) -> Tensor:
    """RGB in [0, 1] to HSV in [0, 1] (TF1's kernel: hue 0 for greys, saturation 0 for black)."""
    with get_default_graph().name_scope(name or "rgb_to_hsv"):
        x = convert_to_tensor(images, name="images")
        r, g, b = _channels(x)
        v = m.maximum(m.maximum(r, g), b)
        spread = m.subtract(v, m.minimum(m.minimum(r, g), b))
        s = m.where(m.greater(v, 0.0), m.truediv(spread, m.where(m.greater(v, 0.0), v, array.ones_like(v))),
                    array.zeros_like(v))
        safe = m.where(m.greater(spread, 0.0), spread, array.ones_like(spread))
        norm = m.truediv(1.0, m.multiply(6.0, safe))
        h = m.where(m.equal(r, v), m.multiply(norm, m.subtract(g, b)),
                    m.where(m.equal(g, v), m.add(m.multiply(norm, m.subtract(b, r)), 2.0 / 6.0),
                            m.add(m.multiply(norm, m.subtract(r, g)), 4.0 / 6.0)))
        h = m.where(m.greater(spread, 0.0), h, array.zeros_like(h))
        h = m.where(m.less(h, 0.0), m.add(h, 1.0), h)
        return join_split.stack([h, s, v], axis=-1)


def hsv_to_rgb(images: Any, name: Optional[str] = None) -> Tensor:
    """HSV in [0, 1] to RGB (TF1's kernel: six hue sectors; hue 1 is the sector past the last)."""
    with get_default_graph().name_scope(name or "hsv_to_rgb"):
        x = convert_to_tensor(images, name="images")
        h, s, v = _channels(x)
        c = m.multiply(s, v)
        low = m.subtract(v, c)
        dh = m.multiply(h, 6.0)
        sector = m.floor(dh)
        rem = m.subtract(dh, m.multiply(2.0, m.floor(m.multiply(dh, 0.5))))
        xx = m.multiply(c, m.subtract(1.0, m.abs(m.subtract(rem, 1.0))))
        zero = array.zeros_like(c)
        table = [(c, xx, zero), (xx, c, zero), (zero, c, xx), (zero, xx, c), (xx, zero, c), (c, zero, xx)]
        channels = []
        for k in range(3):
            value = zero
            for i, row in enumerate(table):
                value = m.where(m.equal(sector, float(i)), row[k], value)
            channels.append(m.add(value, low))
        return join_split.stack(channels, axis=-1)


def adjust_brightness(image: Any, delta: Any) -> Tensor:
    """image + delta (in [0, 1] units for integer images, saturating back)."""
    return _adjusted("adjust_brightness", image, lambda x: m.add(x, m.cast(delta, x.dtype)))


def adjust_contrast(images: Any, contrast_factor: Any) -> Tensor:
    """(x - mean) * contrast_factor + mean, with the mean over each image's height and width per channel."""
    def contrast(x: Tensor) -> Tensor:
        mean = red.reduce_mean(x, axis=[-3, -2], keepdims=True)
        return m.add(m.multiply(m.subtract(x, mean), m.cast(contrast_factor, x.dtype)), mean)
    return _adjusted("adjust_contrast", images, contrast)


def adjust_gamma(image: Any, gamma: Any = 1, gain: Any = 1) -> Tensor:
    """gain * image ** gamma (integer images through [0, 1] floats)."""
    if not isinstance(gamma, Tensor) and gamma < 0:
        raise ValueError(f"adjust_gamma: gamma must be non-negative, got {gamma}")
    return _adjusted("adjust_gamma", image, lambda x: m.multiply(m.cast(gain, x.dtype),
                                                                 m.pow(x, m.cast(gamma, x.dtype))))


def adjust_saturation(image: Any, saturation_factor: Any, name: Optional[str] = None) -> Tensor:
    """Saturation times ``saturation_factor``, clipped to [0, 1], through HSV."""
    def saturate(x: Tensor) -> Tensor:
        h, s, v = join_split.unstack(rgb_to_hsv(x), 3, axis=-1)
        s = m.clip_by_value(m.multiply(s, m.cast(saturation_factor, x.dtype)), 0.0, 1.0)
        return hsv_to_rgb(join_split.stack([h, s, v], axis=-1))
    return _adjusted("adjust_saturation", image, saturate, name)


def adjust_hue(image: Any, delta: Any, name: Optional[str] = None) -> Tensor:
    """Hue rotated by ``delta`` (in [-1, 1]) through HSV."""
    if not isinstance(delta, Tensor) and not -1.0 <= delta <= 1.0:
        raise ValueError(f"adjust_hue: delta must be in the interval [-1, 1], got {delta}")

    def rotate(x: Tensor) -> Tensor:
        h, s, v = join_split.unstack(rgb_to_hsv(x), 3, axis=-1)
        h = m.add(h, m.cast(delta, x.dtype))
        h = m.subtract(h, m.floor(h))
        return hsv_to_rgb(join_split.stack([h, s, v], axis=-1))
    return _adjusted("adjust_hue", image, rotate, name)


def per_image_standardization(image: Any) -> Tensor:
    """(x - mean) / max(stddev, 1 / sqrt(num_elements)) per image, in float32."""
    with get_default_graph().name_scope("per_image_standardization"):
        x = m.cast(image_tensor(image, "per_image_standardization"), dtypes.float32)
        axes = [-1, -2, -3]
        num = m.cast(red.reduce_prod(array.shape(x)[-3:]), dtypes.float32)
        mean = red.reduce_mean(x, axis=axes, keepdims=True)
        std = m.sqrt(red.reduce_mean(m.square(m.subtract(x, mean)), axis=axes, keepdims=True))
        return m.truediv(m.subtract(x, mean), m.maximum(std, m.rsqrt(num)))


def _random_factor(lower: float, upper: float, seed: Optional[int], fn: str) -> Tensor:
    if upper <= lower:
        raise ValueError(f"{fn}: upper must be > lower, got lower={lower}, upper={upper}")
    if lower < 0:
        raise ValueError(f"{fn}: lower must be non-negative, got {lower}")
    return random.random_uniform([], lower, upper, seed=seed)


def random_brightness(image: Any, max_delta: float, seed: Optional[int] = None) -> Tensor:
    """adjust_brightness by a delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError(f"random_brightness: max_delta must be non-negative, got {max_delta}")
    return adjust_brightness(image, random.random_uniform([], -max_delta, max_delta, seed=seed))


def random_contrast(image: Any, lower: float, upper: float, seed: Optional[int] = None) -> Tensor:
    """adjust_contrast by a factor drawn uniformly from [lower, upper)."""
    return adjust_contrast(image, _random_factor(lower, upper, seed, "random_contrast"))


def random_saturation(image: Any, lower: float, upper: float, seed: Optional[int] = None) -> Tensor:
    """adjust_saturation by a factor drawn uniformly from [lower, upper)."""
    return adjust_saturation(image, _random_factor(lower, upper, seed, "random_saturation"))


def random_hue(image: Any, max_delta: float, seed: Optional[int] = None) -> Tensor:
    """adjust_hue by a delta drawn uniformly from [-max_delta, max_delta] (max_delta in [0, 0.5])."""
    if not 0 <= max_delta <= 0.5:
        raise ValueError(f"random_hue: max_delta must be in [0, 0.5], got {max_delta}")
    return adjust_hue(image, random.random_uniform([], -max_delta, max_delta, seed=seed))


__all__ = ["convert_image_dtype", "rgb_to_grayscale", "grayscale_to_rgb", "rgb_to_hsv", "hsv_to_rgb",
           "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_saturation", "adjust_hue",
           "per_image_standardization", "random_brightness", "random_contrast", "random_saturation", "random_hue"]
