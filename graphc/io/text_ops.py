"""``tf.decode_csv`` and ``tf.read_file``: host ops on string tensors, for text input pipelines."""
from __future__ import annotations

import csv
from typing import Any, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.graph import Tensor
from graphc.ops.core import OpDef, constant_value, convert_to_tensor, make_op, register
from graphc.shape import TensorShape

_CSV_TYPES = {dtypes.float32: "float", dtypes.float64: "double", dtypes.int32: "int32", dtypes.int64: "int64",
              dtypes.string: "string"}


def _column(default: Any) -> tuple:
    """(dtype, default value or None when the field is required) of one ``record_defaults`` entry."""
    if isinstance(default, Tensor) or hasattr(default, "_graph_tensor"):
        t = convert_to_tensor(default)
        value = constant_value(t)
        if value is None:
            raise ValueError(f"record_defaults must be constants, got the tensor {t.name}")
        dt, values = t.dtype, np.asarray(value).reshape(-1).tolist()
    else:
        values = list(default) if isinstance(default, (list, tuple)) else [default]
        if not values:
            raise ValueError("An empty record_defaults entry needs a dtype: use tf.constant([], dtype)")
        v = values[0]
        dt = dtypes.string if isinstance(v, (str, bytes)) else dtypes.float32 if isinstance(v, float) else \
            dtypes.int32 if isinstance(v, int) and not isinstance(v, bool) else None
        if dt is None:
            raise ValueError(f"Unsupported record_defaults value {v!r}: use a float, int or string")
    if dt not in _CSV_TYPES:
        raise ValueError(f"record_defaults of type {dt.name} are not supported; use float32, float64, int32, "
                         "int64 or string")
    if len(values) > 1:
        raise ValueError(f"A record_defaults entry holds one default value at most, got {values!r}")
    value = values[0] if values else None
    if dt is dtypes.string and isinstance(value, str):
        value = value.encode()
    return dt, value


def _csv_infer(inputs: list, attrs: dict) -> list:
    if inputs[0].dtype is not dtypes.string:
        raise TypeError(f"records must be a tf.string tensor, got {inputs[0].dtype.name}")
    return [(dt, inputs[0].shape) for dt, _ in attrs["columns"]]


def _convert(text: str, dt: dtypes.DType, column: int, record: int) -> Any:
    if dt is dtypes.string:
        return text.encode()
    try:
        return float(text) if dt in (dtypes.float32, dtypes.float64) else int(text, 10)
    except ValueError:
        raise errors.InvalidArgumentError(None, None, f"Field {column} in record {record} is not a valid "
                                                      f"{_CSV_TYPES[dt]}: {text}") from None


def _decode_csv_numpy(records: np.ndarray, columns: tuple, field_delim: str, use_quote_delim: bool,
                      na_value: str, select_cols: Optional[tuple]) -> tuple:
    flat = np.asarray(records, dtype=object).reshape(-1)
    out = [np.empty(flat.size, dtype=dt.np_type) for dt, _ in columns]
    quoting = csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE
    for i, raw in enumerate(flat):
        line = raw.decode() if isinstance(raw, bytes) else str(raw)
        (fields,) = list(csv.reader([line], delimiter=field_delim, quoting=quoting)) or [[""]]
        if select_cols is not None:
            if select_cols[-1] >= len(fields):
                raise errors.InvalidArgumentError(None, None, f"Expect {select_cols[-1] + 1} fields at least but "
                                                              f"have {len(fields)} in record {i}")
            fields = [fields[c] for c in select_cols]
        elif len(fields) != len(columns):
            raise errors.InvalidArgumentError(None, None, f"Expect {len(columns)} fields but have {len(fields)} "
                                                          f"in record {i}")
        for j, ((dt, default), text) in enumerate(zip(columns, fields)):
            if text == "" or text == na_value:
                if default is None:
                    raise errors.InvalidArgumentError(None, None, f"Field {j} is required but missing in "
                                                                  f"record {i}!")
                out[j][i] = default
            else:
                out[j][i] = _convert(text, dt, j, i)
    shape = np.shape(records)
    return tuple(o.reshape(shape) for o in out)


register(OpDef("DecodeCSV", "opaque", infer=_csv_infer, numpy=_decode_csv_numpy, differentiable=False, pure=False))


def decode_csv(records: Any, record_defaults: list, field_delim: str = ",", use_quote_delim: bool = True,
               name: Optional[str] = None, na_value: str = "", select_cols: Optional[list] = None) -> list:
    """Splits CSV lines (a string tensor) into one tensor per column, shaped like ``records``.

    ``record_defaults`` gives each column's type and its value for an empty (or ``na_value``) field:
    ``[1.0]`` (float32), ``[0]`` (int32), ``[""]`` (string), a constant tensor, or an empty
    ``tf.constant([], dtype)`` for a required field. ``select_cols`` keeps only those columns.
    """
    columns = tuple(_column(d) for d in record_defaults)
    if select_cols is not None:
        select_cols = tuple(int(c) for c in select_cols)
        if list(select_cols) != sorted(set(select_cols)) or (select_cols and select_cols[0] < 0):
            raise ValueError("select_cols must be sorted, distinct, non-negative column indices")
        if len(select_cols) != len(columns):
            raise ValueError(f"select_cols has {len(select_cols)} columns but record_defaults {len(columns)}")
    if len(field_delim) != 1:
        raise ValueError(f"field_delim must be one character, got {field_delim!r}")
    t = records if isinstance(records, Tensor) else convert_to_tensor(records, dtype=dtypes.string)
    op = make_op("DecodeCSV", [t], {"columns": columns, "field_delim": field_delim,
                                    "use_quote_delim": bool(use_quote_delim), "na_value": na_value,
                                    "select_cols": select_cols}, name or "DecodeCSV")
    return list(op.outputs)


def _read_file_numpy(filename: np.ndarray) -> np.ndarray:
    raw = np.asarray(filename, dtype=object)[()]
    path = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    return np.array(data, dtype=object)


def _read_file_infer(inputs: list, attrs: dict) -> list:
    if inputs[0].dtype is not dtypes.string or inputs[0].shape.ndims not in (None, 0):
        raise ValueError(f"filename must be a string scalar, got {inputs[0].dtype.name} {inputs[0].shape}")
    return [(dtypes.string, TensorShape([]))]


register(OpDef("ReadFile", "opaque", infer=_read_file_infer, numpy=_read_file_numpy, differentiable=False,
               pure=False))


def read_file(filename: Any, name: Optional[str] = None) -> Tensor:
    """The whole contents of the file ``filename`` (a string scalar) as a string scalar."""
    t = filename if isinstance(filename, Tensor) else convert_to_tensor(filename, dtype=dtypes.string)
    return make_op("ReadFile", [t], {}, name or "ReadFile").outputs[0]


_RAW_TYPES = ("float16", "float32", "float64", "int32", "int64", "uint8", "uint16", "int8", "int16")


def _decode_raw_infer(inputs: list, attrs: dict) -> list:
    if inputs[0].dtype is not dtypes.string:
        raise TypeError(f"bytes must be a tf.string tensor, got {inputs[0].dtype.name}")
    shape = inputs[0].shape
    return [(attrs["out_type"], TensorShape(None) if shape.ndims is None else TensorShape(shape.as_list() + [None]))]


def _decode_raw_numpy(data: np.ndarray, out_type: dtypes.DType, little_endian: bool) -> np.ndarray:
    arr = np.asarray(data, dtype=object)
    flat = [v.encode() if isinstance(v, str) else bytes(v) for v in arr.reshape(-1)]
    dt = np.dtype(out_type.np_type).newbyteorder("<" if little_endian else ">")
    sizes = {len(b) for b in flat}
    if len(sizes) > 1:
        first = len(flat[0])
        i = next(i for i, b in enumerate(flat) if len(b) != first)
        raise errors.InvalidArgumentError(None, None, (
            f"DecodeRaw requires input strings to all be the same size, but element {i} has size "
            f"{first} != {len(flat[i])}"))   # TF1's wording: the first size, then this one's
    width = sizes.pop() if sizes else 0
    if width % dt.itemsize:
        raise errors.InvalidArgumentError(None, None, (
            f"Input to DecodeRaw has length {width} that is not a multiple of {dt.itemsize}, the size of "
            f"{out_type.name}"))
    out = np.empty((len(flat), width // dt.itemsize), dtype=out_type.np_type)
    for i, b in enumerate(flat):
        out[i] = np.frombuffer(b, dtype=dt)
    return out.reshape(arr.shape + (width // dt.itemsize,))


register(OpDef("DecodeRaw", "opaque", infer=_decode_raw_infer, numpy=_decode_raw_numpy, differentiable=False,
               pure=False))


def decode_raw(input_bytes: Any = None, out_type: Any = None, little_endian: bool = True,
               name: Optional[str] = None, bytes: Any = None) -> Tensor:   # noqa: A002  (TF1's keyword)
    """The bytes of each string reinterpreted as a vector of ``out_type`` numbers (one more
    dimension than the input; every string must have the same length)."""
    data = input_bytes if input_bytes is not None else bytes
    dt = dtypes.as_dtype(out_type)
    if dt.name not in _RAW_TYPES:
        raise TypeError(f"decode_raw cannot produce {dt.name}; use one of {', '.join(_RAW_TYPES)}")
    t = data if isinstance(data, Tensor) else convert_to_tensor(data, dtype=dtypes.string)
    return make_op("DecodeRaw", [t], {"out_type": dt, "little_endian": bool(little_endian)},
                   name or "DecodeRaw").outputs[0]
