"""``Compression``: how gradients travel, as graph ops around the collective (Horovod's interface)."""
from __future__ import annotations

from typing import Any

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops.math import cast


class NoneCompressor:
    """Tensors travel as they are."""

    @staticmethod
    def compress(tensor: Tensor) -> tuple:
        return tensor, None

    @staticmethod
    def decompress(tensor: Tensor, ctx: Any) -> Tensor:
        return tensor


class FP16Compressor:
    """Floating-point tensors travel as float16 (half the bytes) and are cast back afterwards.

    The sum itself is taken in float16, so it carries float16's rounding (about 3 decimal
    digits), as in Horovod.
    """

    @staticmethod
    def compress(tensor: Tensor) -> tuple:
        if tensor.dtype.is_floating and tensor.dtype is not dtypes.float16:
            return cast(tensor, dtypes.float16), tensor.dtype
        return tensor, None

    @staticmethod
    def decompress(tensor: Tensor, ctx: Any) -> Tensor:
        return tensor if ctx is None else cast(tensor, ctx)


class Compression:
    """The compressors ``DistributedOptimizer`` and ``allreduce`` accept: ``none`` and ``fp16``."""

    none = NoneCompressor
    fp16 = FP16Compressor
