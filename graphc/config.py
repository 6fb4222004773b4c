"""TF1 session configuration objects, accepted for compatibility (graphc decides threading itself)."""
from __future__ import annotations

from typing import Any


class _Options:
    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class GPUOptions(_Options):
    """``tf.GPUOptions(allow_growth=True, ...)``: recorded, not needed by graphc."""


class ConfigProto(_Options):
    """``tf.ConfigProto(...)``: recorded on the Session; graphc picks its own thread counts."""
