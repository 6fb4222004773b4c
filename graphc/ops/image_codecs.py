"""PNG and JPEG codecs as host ops on ``tf.string`` tensors (Pillow): ``DecodePng``, ``DecodeJpeg``,
``EncodePng``, ``EncodeJpeg``. A decoded image's height and width are known only when it runs, so
they infer as None; every backend runs the numpy kernels on the host. ``encode_png_bytes`` is the
encoder ``tf.summary.image`` shares."""
from __future__ import annotations

import io
from typing import Any, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.graph import Tensor
from graphc.ops.core import OpDef, apply, convert_to_tensor, register
from graphc.shape import TensorShape

_MODES = {0: None, 1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
_CHANNELS_OF_MODE = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_MODE_OF_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _pil() -> Any:
    from PIL import Image    # a dependency of graphc (pyproject.toml)
    return Image


def _scalar_bytes(contents: np.ndarray, op: str) -> bytes:
    value = np.asarray(contents, dtype=object)
    if value.shape != ():
        raise errors.InvalidArgumentError(None, None, f"{op}: contents must be scalar, got shape {list(value.shape)}")
    v = value[()]
    return v.encode() if isinstance(v, str) else bytes(v)


def _decode_numpy(op: str, fmt: str) -> Any:
    def numpy(contents, channels=0, dtype=dtypes.uint8):
        data = _scalar_bytes(contents, op)
        try:
            img = _pil().open(io.BytesIO(data))
            img.load()
        except Exception as exc:    # Pillow raises many types for bad data
            raise errors.InvalidArgumentError(None, None, f"{op}: the contents are not a valid {fmt} image "
                                                          f"({type(exc).__name__}: {exc})") from None
        if dtype == dtypes.uint16 and img.mode.startswith("I"):
            arr = np.asarray(img, dtype=np.uint16)
            return arr[:, :, None] if arr.ndim == 2 else arr
        mode = _MODES[channels] or (img.mode if img.mode in _CHANNELS_OF_MODE else
                                    ("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB"))
        arr = np.asarray(img.convert(mode), dtype=np.uint8)
        arr = arr[:, :, None] if arr.ndim == 2 else arr
        if dtype == dtypes.uint16:
            arr = arr.astype(np.uint16) * 257
        return arr
    return numpy


def _decode_infer(inputs, attrs):
    contents = inputs[0]
    if contents.dtype is not dtypes.string or contents.shape.ndims not in (None, 0):
        raise ValueError(f"contents {contents.name} must be a scalar tf.string tensor, got "
                         f"{contents.dtype.name} {contents.shape}")
    channels = attrs.get("channels", 0)
    return [(attrs.get("dtype", dtypes.uint8), TensorShape([None, None, channels or None]))]


def encode_png_bytes(image: np.ndarray, compression: int = -1) -> bytes:
    """PNG bytes of a [height, width, channels] uint8 (or uint16 one-channel) array."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in _MODE_OF_CHANNELS:
        raise errors.InvalidArgumentError(None, None, "image must be 3-dimensional [height, width, channels] with "
                                                      f"1-4 channels, got shape {list(image.shape)}")
    if image.dtype == np.uint16:
        if image.shape[2] != 1:
            raise errors.InvalidArgumentError(None, None, "graphc encodes uint16 PNGs with one channel only")
        pil = _pil().fromarray(image[:, :, 0].astype(np.uint16), mode="I;16")
    else:
        pil = _pil().fromarray(image.astype(np.uint8).reshape(image.shape[:2] if image.shape[2] == 1 else
                                                              image.shape), _MODE_OF_CHANNELS[image.shape[2]])
    out = io.BytesIO()
    pil.save(out, format="PNG", compress_level=6 if compression < 0 else int(compression))
    return out.getvalue()


def _encode_png_numpy(image, compression=-1):
    result = np.empty((), dtype=object)
    result[()] = encode_png_bytes(image, compression)
    return result


def _encode_jpeg_numpy(image, quality=95):
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise errors.InvalidArgumentError(None, None, "image must be 3-dimensional [height, width, channels] with "
                                                      f"1 or 3 channels, got shape {list(image.shape)}")
    pil = _pil().fromarray(image[:, :, 0] if image.shape[2] == 1 else image, "L" if image.shape[2] == 1 else "RGB")
    out = io.BytesIO()
    pil.save(out, format="JPEG", quality=int(quality))
    result = np.empty((), dtype=object)
    result[()] = out.getvalue()
    return result


def _encode_infer(allowed: tuple) -> Any:
    def infer(inputs, attrs):
        image = inputs[0]
        if image.dtype not in allowed:
            raise TypeError(f"image {image.name} must be {' or '.join(d.name for d in allowed)}, got {image.dtype.name}")
        if image.shape.ndims not in (None, 3):
            raise ValueError(f"image {image.name} must be 3-D [height, width, channels], got shape {image.shape}")
        return [(dtypes.string, TensorShape([]))]
    return infer


for _type, _fmt in (("DecodePng", "PNG"), ("DecodeJpeg", "JPEG"), ("DecodeImage", "PNG/JPEG/GIF/BMP")):
    register(OpDef(_type, "opaque", infer=_decode_infer, numpy=_decode_numpy(_type, _fmt), differentiable=False))
register(OpDef("EncodePng", "opaque", infer=_encode_infer((dtypes.uint8, dtypes.uint16)), numpy=_encode_png_numpy,
               differentiable=False))
register(OpDef("EncodeJpeg", "opaque", infer=_encode_infer((dtypes.uint8,)), numpy=_encode_jpeg_numpy,
               differentiable=False))


def decode(op_type: str, contents: Any, channels: int, dtype: Any, name: Optional[str]) -> Tensor:
    """Builds a decode op on scalar string ``contents`` (``channels`` 0 keeps the file's)."""
    if channels not in _MODES:
        raise ValueError(f"channels must be 0, 1, 2, 3 or 4, got {channels}")
    return apply(op_type, [convert_to_tensor(contents, dtype=dtypes.string, name="contents")],
                 {"channels": int(channels), "dtype": dtypes.as_dtype(dtype)}, name=name or op_type)


def encode(op_type: str, image: Any, attrs: dict, name: Optional[str]) -> Tensor:
    """Builds an encode op on a 3-D uint8 ``image``."""
    return apply(op_type, [convert_to_tensor(image, name="image")], attrs, name=name or op_type)


__all__: list = []
