"""Conversions between graphc's values (dtypes, shapes, arrays, attrs) and TensorFlow's protos:
``TensorProto`` (``make_tensor_proto`` / ``make_ndarray``), ``TensorShapeProto`` and ``AttrValue``."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from graphc import dtypes
from graphc.framework.protos import AttrValue, TensorProto, TensorShapeProto
from graphc.shape import TensorShape

# the TensorProto field TensorFlow fills with each dtype's values when it does not use tensor_content
_VAL_FIELD = {"float32": "float_val", "float64": "double_val", "int32": "int_val", "uint8": "int_val",
              "int16": "int_val", "int8": "int_val", "uint16": "int_val", "int64": "int64_val", "bool": "bool_val",
              "float16": "half_val", "string": "string_val"}


def shape_proto(shape: Any) -> Any:
    """A ``TensorShapeProto`` of ``shape`` (unknown dims are -1, an unknown rank ``unknown_rank``)."""
    shape = TensorShape(shape) if not isinstance(shape, TensorShape) else shape
    if shape.rank is None:
        return TensorShapeProto(unknown_rank=True)
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=-1 if d is None else d) for d in shape.as_list()])


def shape_from_proto(proto: Any) -> TensorShape:
    if proto.unknown_rank:
        return TensorShape(None)
    return TensorShape([None if d.size < 0 else d.size for d in proto.dim])


def make_tensor_proto(value: Any, dtype: Any = None) -> Any:
    """A ``TensorProto`` holding ``value`` (TF's ``tf.make_tensor_proto`` for graphc's dtypes)."""
    dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.infer_dtype(value)
    proto = TensorProto(dtype=dt.as_datatype_enum, tensor_shape=shape_proto(TensorShape(np.shape(value))))
    if dt == dtypes.string:
        flat = np.asarray(value, dtype=object).reshape(-1)
        proto.string_val.extend([v.encode() if isinstance(v, str) else bytes(v) for v in flat])
    else:
        proto.tensor_content = np.ascontiguousarray(np.asarray(value, dtype=dt.np_type)).astype(
            dt.np_type.newbyteorder("<"), copy=False).tobytes()
    return proto


def make_ndarray(proto: Any) -> np.ndarray:
    """The array a ``TensorProto`` holds: its ``tensor_content``, or its typed values with the last
    one repeated to fill the shape (how TensorFlow writes ``tf.zeros``-like constants)."""
    dt = dtypes.as_dtype(proto.dtype)
    shape = tuple(shape_from_proto(proto.tensor_shape).as_list())
    count = int(np.prod(shape, dtype=np.int64))
    if dt == dtypes.string:
        values = np.empty(len(proto.string_val), dtype=object)
        values[:] = list(proto.string_val)
    elif proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=dt.np_type.newbyteorder("<")).astype(dt.np_type).reshape(shape)
    elif dt == dtypes.float16:
        values = np.array(list(proto.half_val), dtype=np.uint16).view(np.float16)
    else:
        values = np.array(list(getattr(proto, _VAL_FIELD[dt.name])), dtype=dt.np_type)
    if values.size == count:
        return values.reshape(shape)
    if values.size == 0:
        return np.zeros(shape, dtype=values.dtype if dt == dtypes.string else dt.np_type)
    if values.size > count:
        raise ValueError(f"A TensorProto of shape {list(shape)} holds {values.size} values")
    out = np.empty(count, dtype=values.dtype)
    out[:values.size] = values
    out[values.size:] = values[-1]
    return out.reshape(shape)


def ints(values: Any) -> Any:
    """An ``AttrValue`` list of ints."""
    return AttrValue(list=AttrValue.ListValue(i=[int(v) for v in values]))


def dtype_attr(dtype: Any) -> Any:
    return AttrValue(type=dtypes.as_dtype(dtype).as_datatype_enum)


_HANDLE_TYPES = (20, 21)    # DT_RESOURCE, DT_VARIANT


def _dtype_or_enum(value: int) -> Any:
    """A DataType enum as graphc's DType; TensorFlow's resource and variant handles (which graphc reads as
    its TensorArray values) stay the enum."""
    return int(value) if value in _HANDLE_TYPES else dtypes.as_dtype(value)


def attr_to_python(attr: Any) -> Any:
    """An ``AttrValue`` as a Python value: DType, TensorShape, ndarray, bytes, number, bool or a list."""
    kind = attr.WhichOneof("value")
    if kind is None:
        return None
    if kind == "list":
        lst = attr.list
        for field, conv in (("i", int), ("f", float), ("b", bool), ("s", bytes)):
            if len(getattr(lst, field)):
                return [conv(v) for v in getattr(lst, field)]
        if len(lst.type):
            return [_dtype_or_enum(t) for t in lst.type]
        if len(lst.shape):
            return [shape_from_proto(s) for s in lst.shape]
        return []
    if kind == "type":
        return _dtype_or_enum(attr.type)
    if kind == "shape":
        return shape_from_proto(attr.shape)
    if kind == "tensor":
        return make_ndarray(attr.tensor)
    return getattr(attr, kind)


# graphc's own op types (no TensorFlow equivalent) keep their attrs verbatim: types, shapes and arrays
# as TF's attr kinds, anything else (ints, tuples, None, nested specs) as tagged JSON
_JSON_TAG = b"graphc-json:"


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def native_attr(value: Any) -> Any:
    """An ``AttrValue`` that ``native_attr_value`` turns back into exactly ``value``; TypeError if it cannot."""
    if isinstance(value, dtypes.DType):
        return dtype_attr(value)
    if isinstance(value, TensorShape):
        return AttrValue(shape=shape_proto(value))
    if isinstance(value, np.ndarray):
        return AttrValue(tensor=make_tensor_proto(value))
    try:
        text = json.dumps(value, allow_nan=True)
    except TypeError:
        raise TypeError(f"{type(value).__name__} attrs cannot be written to a GraphDef") from None
    return AttrValue(s=_JSON_TAG + text.encode())


def native_attr_value(attr: Any) -> Any:
    if attr.WhichOneof("value") == "s" and attr.s.startswith(_JSON_TAG):
        return _tuples(json.loads(attr.s[len(_JSON_TAG):].decode()))
    return attr_to_python(attr)
