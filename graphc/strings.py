"""``tf.strings`` and TF1's top-level string ops: host ops on ``tf.string`` tensors (bytes objects).

Each is one op with a numpy kernel over object arrays; every backend runs them on the host.
"""
from __future__ import annotations

import re
from typing import Any, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops import gather as gathers
from graphc.ops.ragged import RaggedTensor
from graphc.ops.sparse import SparseTensor
from graphc.ops.core import OpDef, broadcast_shape, convert_to_tensor, make_op, register
from graphc.shape import TensorShape


def _string_tensor(value: Any, what: str = "input") -> Tensor:
    t = value if isinstance(value, Tensor) else convert_to_tensor(value, dtype=dtypes.string)
    if t.dtype is not dtypes.string:
        raise TypeError(f"{what} must be a tf.string tensor, got {t.dtype.name}")
    return t


def _as_bytes(v: Any) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


def _map(fn: Any, arr: np.ndarray, dtype: Any = object) -> np.ndarray:
    """``fn`` applied to every string of ``arr``, as an array of ``dtype`` with ``arr``'s shape."""
    arr = np.asarray(arr, dtype=object)
    out = np.empty(arr.shape, dtype=dtype)
    for index, v in np.ndenumerate(arr):
        out[index] = fn(_as_bytes(v))
    return out


def _same_shape(out_dtype: dtypes.DType) -> Any:
    """Inference for a one-string-input op whose output has the input's shape (``out_type`` attr
    overrides ``out_dtype``)."""
    def infer(inputs: list, attrs: dict) -> list:
        if inputs[0].dtype is not dtypes.string:
            raise TypeError(f"needs a tf.string input, got {inputs[0].dtype.name}")
        return [(attrs.get("out_type", out_dtype), inputs[0].shape)]
    return infer


def _register(op_type: str, infer: Any, numpy: Any) -> None:
    register(OpDef(op_type, "opaque", infer=infer, numpy=numpy, differentiable=False, pure=False))


# to_number ------------------------------------------------------------------------------------------
def _to_number_numpy(x: np.ndarray, out_type: dtypes.DType) -> np.ndarray:
    def convert(b: bytes) -> Any:
        text = b.decode(errors="replace")
        try:
            return float(text) if out_type.is_floating else int(text, 10)
        except ValueError:
            raise errors.InvalidArgumentError(None, None, "StringToNumberOp could not correctly convert "
                                                          f"string: {text}") from None
    return _map(convert, x, out_type.np_type)


_register("StringToNumber", _same_shape(dtypes.float32), _to_number_numpy)


def to_number(string_tensor: Any, out_type: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """Parses each string as a number of ``out_type`` (float32, float64, int32 or int64)."""
    dt = dtypes.as_dtype(out_type)
    if dt not in (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64):
        raise TypeError(f"out_type must be float32, float64, int32 or int64, got {dt.name}")
    return make_op("StringToNumber", [_string_tensor(string_tensor)], {"out_type": dt},
                   name or "StringToNumber").outputs[0]


# as_string ------------------------------------------------------------------------------------------
def _as_string_numpy(x: np.ndarray, fmt: str) -> np.ndarray:
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=object)
    for index, v in np.ndenumerate(x):
        out[index] = (b"true" if v else b"false") if x.dtype == np.bool_ else (fmt % v).encode()
    return out


def _as_string_infer(inputs: list, attrs: dict) -> list:
    if inputs[0].dtype is dtypes.string:
        raise TypeError("as_string needs a numeric or bool tensor, got a string tensor")
    return [(dtypes.string, inputs[0].shape)]


_register("AsString", _as_string_infer, _as_string_numpy)


def as_string(input: Any, precision: int = -1, scientific: bool = False, shortest: bool = False,
              width: int = -1, fill: str = "", name: Optional[str] = None) -> Tensor:
    """Each number formatted as text, printf-style (floats ``%f`` by default, six decimals)."""
    t = convert_to_tensor(input)
    if fill not in ("", " ", "0"):
        raise ValueError(f"fill must be '', ' ' or '0', got {fill!r}")
    spec = "%" + (fill if fill == "0" else "") + (str(width) if width > -1 else "")
    if t.dtype.is_floating:
        spec += (f".{precision}" if precision > -1 else "") + ("e" if scientific else "g" if shortest else "f")
    else:
        spec += "d"
    return make_op("AsString", [t], {"fmt": spec}, name or "AsString").outputs[0]


# join -----------------------------------------------------------------------------------------------
def _join_infer(inputs: list, attrs: dict) -> list:
    shape = TensorShape([])
    for i, t in enumerate(inputs):
        if t.dtype is not dtypes.string:
            raise TypeError(f"input {i} must be a tf.string tensor, got {t.dtype.name}")
        shape = broadcast_shape(shape, t.shape)
    return [(dtypes.string, shape)]


def _join_numpy(*inputs: np.ndarray, separator: bytes) -> np.ndarray:
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in inputs])
    out = np.empty(arrays[0].shape, dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = separator.join(_as_bytes(a[index]) for a in arrays)
    return out


_register("StringJoin", _join_infer, _join_numpy)


def join(inputs: list, separator: str = "", name: Optional[str] = None) -> Tensor:
    """The strings of ``inputs`` (tensors of one shape, or scalars) joined position by position."""
    tensors = [_string_tensor(t, "inputs") for t in inputs]
    return make_op("StringJoin", tensors, {"separator": _as_bytes(separator)}, name or "StringJoin").outputs[0]


# substr ---------------------------------------------------------------------------------------------
def _substr_infer(inputs: list, attrs: dict) -> list:
    s, pos, length = inputs
    if s.dtype is not dtypes.string or not pos.dtype.is_integer or not length.dtype.is_integer:
        raise TypeError("substr needs a string input and integer pos and len")
    return [(dtypes.string, broadcast_shape(broadcast_shape(s.shape, pos.shape), length.shape))]


def _substr_numpy(s: np.ndarray, pos: np.ndarray, length: np.ndarray) -> np.ndarray:
    s, pos, length = np.broadcast_arrays(np.asarray(s, dtype=object), np.asarray(pos), np.asarray(length))
    out = np.empty(s.shape, dtype=object)
    for n, index in enumerate(np.ndindex(s.shape)):
        text, p = _as_bytes(s[index]), int(pos[index])
        start = p + len(text) if p < 0 else p
        if not 0 <= start <= len(text):
            raise errors.InvalidArgumentError(None, None, f"pos {p} out of range for string {text!r} at index {n}")
        out[index] = text[start:start + max(int(length[index]), 0)]
    return out


_register("Substr", _substr_infer, _substr_numpy)


def substr(input: Any, pos: Any, len: Any, name: Optional[str] = None, unit: str = "BYTE") -> Tensor:
    """``len`` bytes of each string from byte ``pos`` (negative: from the end); a ``pos`` past the
    end is an InvalidArgumentError."""
    if unit != "BYTE":
        raise ValueError(f"graphc's substr counts bytes: unit must be 'BYTE', got {unit!r}")
    return make_op("Substr", [_string_tensor(input), convert_to_tensor(pos), convert_to_tensor(len)], {},
                   name or "Substr").outputs[0]


# regex_replace --------------------------------------------------------------------------------------
def _regex_numpy(s: np.ndarray, pattern: bytes, rewrite: bytes, replace_global: bool) -> np.ndarray:
    compiled = re.compile(pattern)
    count = 0 if replace_global else 1
    return _map(lambda b: compiled.sub(rewrite, b, count=count), s)


_register("RegexReplace", _same_shape(dtypes.string), _regex_numpy)


def regex_replace(input: Any, pattern: str, rewrite: str, replace_global: bool = True,
                  name: Optional[str] = None) -> Tensor:
    """Each match of ``pattern`` replaced by ``rewrite`` (``\\1`` names a group, ``\\0`` the whole
    match); only the first match when ``replace_global`` is False. Python's ``re`` syntax, which
    agrees with RE2 on the common patterns."""
    try:
        re.compile(_as_bytes(pattern))
    except re.error as e:
        raise errors.InvalidArgumentError(None, None, f"Invalid pattern: {pattern}, error: {e}") from None
    python_rewrite = re.sub(rb"\\0", rb"\\g<0>", _as_bytes(rewrite))
    return make_op("RegexReplace", [_string_tensor(input)], {"pattern": _as_bytes(pattern), "rewrite": python_rewrite,
                                                            "replace_global": bool(replace_global)},
                   name or "RegexReplace").outputs[0]


# split ----------------------------------------------------------------------------------------------
def _split_infer(inputs: list, attrs: dict) -> list:
    if inputs[0].dtype is not dtypes.string or inputs[0].shape.ndims not in (None, 1):
        raise ValueError(f"string_split needs a vector of strings, got {inputs[0].dtype.name} {inputs[0].shape}")
    return [(dtypes.int64, TensorShape([None, 2])), (dtypes.string, TensorShape([None])),
            (dtypes.int64, TensorShape([2]))]


def _split_numpy(source: np.ndarray, delimiter: bytes, skip_empty: bool) -> tuple:
    rows = []
    for v in np.asarray(source, dtype=object).reshape(-1):
        text = _as_bytes(v)
        parts = [text[i:i + 1] for i in range(len(text))] if not delimiter else \
            re.split(b"[" + re.escape(delimiter) + b"]", text)
        rows.append([p for p in parts if p or not skip_empty])
    indices = np.array([(i, j) for i, r in enumerate(rows) for j in range(len(r))], dtype=np.int64).reshape(-1, 2)
    values = np.empty(len(indices), dtype=object)
    values[:] = [p for r in rows for p in r]
    return indices, values, np.array([len(rows), max((len(r) for r in rows), default=0)], dtype=np.int64)


_register("StringSplit", _split_infer, _split_numpy)


def string_split(source: Any, delimiter: str = " ", skip_empty: bool = True) -> SparseTensor:
    """Splits each string of a vector at any character of ``delimiter`` (every byte when it is
    empty): a ``SparseTensor`` (indices ``[N, 2]``, values, dense_shape ``[rows, longest]``), TF1's layout."""
    op = make_op("StringSplit", [_string_tensor(source)], {"delimiter": _as_bytes(delimiter),
                                                            "skip_empty": bool(skip_empty)}, "StringSplit")
    return SparseTensor(*op.outputs)


def _split_v2(text: bytes, sep: bytes, maxsplit: int) -> list:
    """TF's StringSplitV2 on one string: Python's ``str.split`` rules (``sep`` empty: runs of
    whitespace separate, none kept at the ends) except that reaching ``maxsplit`` keeps the rest,
    even when it is empty."""
    if maxsplit == 0:
        return [text]
    parts: list = []
    if not sep:
        rest = text.lstrip(_WHITESPACE)
        while rest:
            end = next((i for i, c in enumerate(rest) if c in _WHITESPACE), len(rest))
            parts.append(rest[:end])
            rest = rest[end:].lstrip(_WHITESPACE)
            if len(parts) == maxsplit:
                return parts + [rest]
        return parts
    rest = text
    while (at := rest.find(sep)) >= 0:
        parts.append(rest[:at])
        rest = rest[at + len(sep):]
        if len(parts) == maxsplit:
            break
    return parts + [rest]


_WHITESPACE = b" \t\n\v\f\r"


def _split_v2_infer(inputs: list, attrs: dict) -> list:
    if inputs[0].dtype is not dtypes.string or inputs[0].shape.ndims not in (None, 1):
        raise ValueError(f"strings.split needs a scalar or vector of strings, got {inputs[0].dtype.name} "
                         f"{inputs[0].shape}")
    return [(dtypes.int64, TensorShape([None, 2])), (dtypes.string, TensorShape([None])),
            (dtypes.int64, TensorShape([2]))]


def _split_v2_numpy(source: np.ndarray, sep: bytes, maxsplit: int) -> tuple:
    rows = [_split_v2(_as_bytes(v), sep, maxsplit) for v in np.asarray(source, dtype=object).reshape(-1)]
    indices = np.array([(i, j) for i, r in enumerate(rows) for j in range(len(r))], dtype=np.int64).reshape(-1, 2)
    values = np.empty(len(indices), dtype=object)
    values[:] = [p for r in rows for p in r]
    return indices, values, np.array([len(rows), max((len(r) for r in rows), default=0)], dtype=np.int64)


_register("StringSplitV2", _split_v2_infer, _split_v2_numpy)


def split(input: Any = None, sep: Any = None, maxsplit: int = -1, result_type: str = "SparseTensor",
          source: Any = None, name: Optional[str] = None) -> Any:
    """TF 1.14+'s ``tf.strings.split`` of a scalar or vector of strings at ``sep`` (a whole
    string; None: runs of whitespace), at most ``maxsplit`` times per string (-1: no limit): a
    SparseTensor ``[n, longest]``, or a ``tf.RaggedTensor`` with ``result_type="RaggedTensor"``."""
    if result_type not in ("SparseTensor", "RaggedTensor"):
        raise ValueError(f"result_type must be 'SparseTensor' or 'RaggedTensor', got {result_type!r}")
    t = _string_tensor(input if input is not None else source)
    if t.shape.ndims == 0:
        t = array.reshape(t, [1], name="ExpandDims")
    op = make_op("StringSplitV2", [t], {"sep": _as_bytes(sep or b""), "maxsplit": int(maxsplit)},
                 name or "StringSplitV2")
    indices, values, shape = op.outputs
    if result_type == "SparseTensor":
        return SparseTensor(indices, values, shape)
    count = t.shape.as_tuple()[0] if t.shape.ndims == 1 else None   # the static row count, when known
    nrows = gathers.gather(shape, 0, name="nrows") if count is None else convert_to_tensor(count, dtype=dtypes.int64)
    return RaggedTensor.from_value_rowids(values, gathers.gather(indices, 0, axis=1, name="rowids"), nrows)


# length, strip, lower, upper ----------------------------------------------------------------------------
_register("StringLength", _same_shape(dtypes.int32), lambda s: _map(len, s, np.int32))
_register("StringStrip", _same_shape(dtypes.string), lambda s: _map(bytes.strip, s))
_register("StringLower", _same_shape(dtypes.string), lambda s: _map(bytes.lower, s))
_register("StringUpper", _same_shape(dtypes.string), lambda s: _map(bytes.upper, s))


def length(input: Any, name: Optional[str] = None, unit: str = "BYTE") -> Tensor:
    """The length of each string in bytes (int32)."""
    if unit != "BYTE":
        raise ValueError(f"graphc's length counts bytes: unit must be 'BYTE', got {unit!r}")
    return make_op("StringLength", [_string_tensor(input)], {}, name or "StringLength").outputs[0]


def strip(input: Any, name: Optional[str] = None) -> Tensor:
    """Each string without its leading and trailing whitespace."""
    return make_op("StringStrip", [_string_tensor(input)], {}, name or "StringStrip").outputs[0]


def lower(input: Any, encoding: str = "", name: Optional[str] = None) -> Tensor:
    """Each string with ASCII letters in lower case."""
    return make_op("StringLower", [_string_tensor(input)], {}, name or "StringLower").outputs[0]


def upper(input: Any, encoding: str = "", name: Optional[str] = None) -> Tensor:
    """Each string with ASCII letters in upper case."""
    return make_op("StringUpper", [_string_tensor(input)], {}, name or "StringUpper").outputs[0]


# TF1's top-level names for the same ops
string_to_number = to_number
string_join = join
__all__ = ["as_string", "join", "length", "lower", "regex_replace", "split", "string_join", "string_split",
           "string_to_number", "strip", "substr", "to_number", "upper"]
