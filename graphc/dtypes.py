"""Data types: TF1's names and spellings mapped onto numpy dtypes."""
from __future__ import annotations

from typing import Any

import numpy as np


class DType:
    """A tensor element type (``graphc.float32`` and friends)."""

    __slots__ = ("name", "np_type")

    def __init__(self, name: str, np_type: type) -> None:
        self.name = name
        self.np_type = np.dtype(np_type)

    @property
    def as_numpy_dtype(self) -> type:
        return self.np_type.type

    @property
    def is_floating(self) -> bool:
        return self.np_type.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self.np_type.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self.np_type.kind == "b"

    @property
    def base_dtype(self) -> "DType":
        return self

    @property
    def is_unsigned(self) -> bool:
        return self.np_type.kind == "u"

    @property
    def is_numpy_compatible(self) -> bool:
        return True

    @property
    def real_dtype(self) -> "DType":
        return self

    @property
    def size(self) -> int:
        """Bytes per element."""
        return self.np_type.itemsize

    @property
    def as_datatype_enum(self) -> int:
        """TF's DataType enum value (DT_FLOAT = 1, ...)."""
        return _ENUM_OF_NAME[self.name]

    @property
    def min(self):
        """The smallest value of this type (a numpy float for floats, a Python int for ints)."""
        return self._limits()[0]

    @property
    def max(self):
        """The largest value of this type (a numpy float for floats, a Python int for ints)."""
        return self._limits()[1]

    def _limits(self) -> tuple:
        if self.is_floating:
            info = np.finfo(self.np_type)
            return info.min, info.max
        if self.is_integer:
            info = np.iinfo(self.np_type)
            return int(info.min), int(info.max)
        raise TypeError(f"Cannot find minimum or maximum value of {self!s}: it is not a numeric type.")

    def is_compatible_with(self, other: Any) -> bool:
        """True when ``other`` names the same dtype (TF1 semantics for non-reference types)."""
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, DType):
            return self is other
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.name)


float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
bool_ = DType("bool", np.bool_)
float16 = DType("float16", np.float16)
double = float64
# Byte strings, one Python ``bytes`` object per element (numpy object arrays). Only summaries make
# them; a fetched string scalar is ``bytes``, as in TF1.
string = DType("string", np.object_)

uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)

ALL = (float16, float32, float64, int32, int64, bool_, uint8, uint16, int8, int16)
_BY_NP = {d.np_type: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32, "long": int64,
                 "string": string})
# TF's DataType enum values (tf.as_dtype(1) is float32, as in TF1)
_ENUM_OF_NAME = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7, "int64": 9,
                 "bool": 10, "uint16": 17, "float16": 19}
_BY_ENUM = {v: _BY_NAME[k] for k, v in _ENUM_OF_NAME.items()}


def as_dtype(value: Any) -> DType:
    """Converts TF1's spellings (``tf.float32``, ``"float"``, ``np.float32``, ``float``) to a DType."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        if value in _BY_NAME:
            return _BY_NAME[value]
        raise TypeError(f"Unknown dtype name {value!r}; use one of {sorted(_BY_NAME)}")
    if value is None:
        raise TypeError("Cannot convert None to a graphc dtype; use tf.float32, tf.int32, ...")
    if isinstance(value, int) and not isinstance(value, bool):
        if value in _BY_ENUM:
            return _BY_ENUM[value]
        raise TypeError(f"Unknown DataType enum value {value}; use tf.float32, tf.int32, ...")
    if value is float:
        return float32
    if value is int:
        return int32
    if value is bool:
        return bool_
    try:
        np_type = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to a graphc dtype") from None
    if np_type in _BY_NP:
        return _BY_NP[np_type]
    raise TypeError(f"graphc does not support dtype {np_type}; supported: {[d.name for d in ALL]}")


def infer_dtype(value: Any) -> DType:
    """The dtype TF1 gives a Python or numpy value: Python floats are float32, ints int32."""
    if value is None:
        raise ValueError("None values not supported: a tensor needs a number, a (nested) list "
                         "of numbers or a numpy array.")
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind not in "SUO":
        return as_dtype(value.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind in "SU" or (arr.dtype.kind == "O" and arr.size and all(   # str and bytes are tf.string
            isinstance(v, (str, bytes)) for v in arr.flat)):
        return string
    if arr.dtype.kind == "f":
        return float32
    if arr.dtype.kind in "iu":
        return int32 if arr.size == 0 or (arr.min() >= -2**31 and arr.max() < 2**31) else int64
    if arr.dtype.kind == "b":
        return bool_
    raise TypeError(f"Cannot convert {value!r} to a tensor: unsupported element type {arr.dtype}")
