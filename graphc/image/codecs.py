"""``tf.image`` PNG/JPEG codecs (host ops of ``graphc/ops/image_codecs.py``, Pillow underneath)."""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import image_codecs


def decode_png(contents: Any, channels: int = 0, dtype: Any = dtypes.uint8, name: Optional[str] = None) -> Tensor:
    """A PNG's pixels [height, width, channels] (``channels`` 0: the file's; 1, 2, 3 or 4 converts)."""
    return image_codecs.decode("DecodePng", contents, channels, dtype, name)


def decode_jpeg(contents: Any, channels: int = 0, ratio: int = 1, fancy_upscaling: bool = True,
                try_recover_truncated: bool = False, acceptable_fraction: float = 1, dct_method: str = "",
                name: Optional[str] = None) -> Tensor:
    """A JPEG's uint8 pixels [height, width, channels]; ``ratio`` must be 1. Pillow decodes with the
    accurate integer IDCT: exactly TF1's ``dct_method="INTEGER_ACCURATE"``; TF1's default (the fast IDCT)
    differs from it by a few levels."""
    if ratio != 1:
        raise ValueError(f"decode_jpeg: ratio={ratio} (downscaled decoding) is not supported; use ratio=1 and "
                         "tf.image.resize_images")
    return image_codecs.decode("DecodeJpeg", contents, channels, dtypes.uint8, name)


def decode_image(contents: Any, channels: Optional[int] = None, dtype: Any = dtypes.uint8,
                 name: Optional[str] = None) -> Tensor:
    """Any of PNG/JPEG/GIF/BMP (first frame) as [height, width, channels] pixels."""
    return image_codecs.decode("DecodeImage", contents, channels or 0, dtype, name)


def encode_png(image: Any, compression: int = -1, name: Optional[str] = None) -> Tensor:
    """PNG bytes (a scalar tf.string) of a [height, width, channels] uint8 or uint16 image."""
    return image_codecs.encode("EncodePng", image, {"compression": int(compression)}, name)


def encode_jpeg(image: Any, format: str = "", quality: int = 95, progressive: bool = False,
                optimize_size: bool = False, chroma_downsampling: bool = True, density_unit: str = "in",
                x_density: int = 300, y_density: int = 300, xmp_metadata: str = "",
                name: Optional[str] = None) -> Tensor:
    """JPEG bytes (a scalar tf.string) of a [height, width, 1 or 3] uint8 image at ``quality``."""
    return image_codecs.encode("EncodeJpeg", image, {"quality": int(quality)}, name)


__all__ = ["decode_png", "decode_jpeg", "decode_image", "encode_png", "encode_jpeg"]
