"""``tf.parse_example`` / ``tf.parse_single_example`` with ``FixedLenFeature`` and ``VarLenFeature``.

One host op, ``ParseExample``, decodes serialized ``tf.train.Example`` protos (a string scalar or
vector) into one output per dense feature and three per variable-length feature: a
``VarLenFeature`` comes back as a ``tf.SparseTensor`` of those three (``indices``, ``values``,
``dense_shape``, TF1's layout), which ``sess.run`` returns as a ``SparseTensorValue``.
"""
from __future__ import annotations

import collections
from typing import Any, Optional

import numpy as np
from google.protobuf.message import DecodeError

from graphc import dtypes, errors
from graphc.example_proto import Example
from graphc.graph import Tensor
from graphc.ops.core import OpDef, convert_to_tensor, make_op, register
from graphc.ops.sparse import SparseTensor
from graphc.shape import TensorShape, as_shape


class FixedLenFeature(collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature with a fixed number of values, parsed into a dense tensor of ``shape``."""

    def __new__(cls, shape: Any, dtype: Any, default_value: Any = None) -> "FixedLenFeature":
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple("FixedLenSequenceFeature",
                                                     ["shape", "dtype", "allow_missing", "default_value"])):
    """A feature holding any number of items of ``shape``, parsed into a dense tensor of shape
    ``[n] + shape`` (``[batch, n] + shape`` in ``parse_example``), n the longest, shorter ones
    padded with ``default_value`` (0 or b""). Parsing an Example needs ``allow_missing=True``."""

    def __new__(cls, shape: Any, dtype: Any, allow_missing: bool = False,
                default_value: Any = None) -> "FixedLenSequenceFeature":
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature with any number of values, parsed into a ``SparseTensor`` of its values."""


_KINDS = {dtypes.float32: ("float_list", "float"), dtypes.int64: ("int64_list", "int64"),
          dtypes.string: ("bytes_list", "string")}


def _spec(key: str, feature: Any) -> tuple:
    """(key, "fixed"/"var", dtype, shape, default array or None) of one feature description."""
    if not isinstance(feature, (FixedLenFeature, FixedLenSequenceFeature, VarLenFeature)):
        raise ValueError(f"Unsupported feature type for key {key!r}: {type(feature).__name__} (use "
                         "FixedLenFeature, FixedLenSequenceFeature or VarLenFeature)")
    dt = dtypes.as_dtype(feature.dtype)
    if dt not in _KINDS:
        raise ValueError(f"Feature {key!r}: dtype {dt.name} is not supported; use float32, int64 or string")
    if isinstance(feature, VarLenFeature):
        return key, "var", dt, None, None
    shape = as_shape(feature.shape)
    if not shape.is_fully_defined():
        raise ValueError(f"Feature {key!r}: {type(feature).__name__} needs a fully defined shape, got {shape}")
    if isinstance(feature, FixedLenSequenceFeature):
        if not feature.allow_missing:
            raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to be True.")
        pad = feature.default_value if feature.default_value is not None else b"" if dt is dtypes.string else 0
        return key, "seq", dt, shape, _default_array(pad, dt)
    default = None
    if feature.default_value is not None:
        default = np.asarray(feature.default_value, dtype=dt.np_type)
        if dt is dtypes.string:
            default = np.vectorize(lambda v: v.encode() if isinstance(v, str) else bytes(v), otypes=[object])(default)
        try:
            default = np.broadcast_to(default, shape.as_tuple()).copy() if default.size == 1 else \
                default.reshape(shape.as_tuple())
        except ValueError:
            raise ValueError(f"Feature {key!r}: default_value of {default.size} values does not fit shape "
                             f"{shape}") from None
    return key, "fixed", dt, shape, default


def _infer(inputs: list, attrs: dict) -> list:
    serialized = inputs[0]
    if serialized.dtype is not dtypes.string:
        raise TypeError(f"serialized must be a tf.string tensor, got {serialized.dtype.name}")
    single = attrs["single"]
    batch = serialized.shape.as_tuple()
    if single and batch not in (None, ()):
        raise ValueError(f"parse_single_example needs a scalar string, got shape {serialized.shape}")
    if not single and batch is not None and len(batch) != 1:
        raise ValueError(f"parse_example needs a vector of strings, got shape {serialized.shape}")
    n = None if single or batch is None else batch[0]
    rank = 1 if single else 2
    out = []
    for _, kind, dt, shape, _ in attrs["specs"]:
        if kind == "fixed":
            out.append((dt, shape if single else TensorShape([n] + shape.as_list())))
        elif kind == "seq":
            out.append((dt, TensorShape(([] if single else [n]) + [None] + shape.as_list())))
        else:
            out += [(dtypes.int64, TensorShape([None, rank])), (dt, TensorShape([None])),
                    (dtypes.int64, TensorShape([rank]))]
    return out


def _values(features: Any, key: str, dt: dtypes.DType) -> Optional[list]:
    """The values of feature ``key`` of a Features message (None if absent); InvalidArgumentError
    on a type mismatch."""
    if key not in features.feature:
        return None
    return feature_values(features.feature[key], key, dt)


def feature_values(feature: Any, key: str, dt: dtypes.DType) -> list:
    """The values of one Feature message, which must hold ``dt``'s kind of list (or none)."""
    kind = feature.WhichOneof("kind")
    if kind is None:
        return []
    want, name = _KINDS[dt]
    if kind != want:
        have = {v[0]: v[1] for v in _KINDS.values()}[kind]
        raise errors.InvalidArgumentError(None, None, f"Key: {key}.  Data types don't match. Data type: {have} "
                                                      f"but expected type: {name}")
    return list(getattr(feature, kind).value)


def _parse_numpy(serialized: np.ndarray, specs: tuple, single: bool) -> tuple:
    flat = np.asarray(serialized, dtype=object).reshape(-1)
    examples = []
    for s in flat:
        data = s.encode() if isinstance(s, str) else bytes(s)
        try:
            examples.append(Example.FromString(data))
        except DecodeError:
            raise errors.InvalidArgumentError(None, None, f"Could not parse example input, value: {data!r}") from None
    outputs: list = []
    for key, kind, dt, shape, default in specs:
        rows = [_values(ex.features, key, dt) for ex in examples]
        if kind == "fixed":
            outputs.append(_dense(key, dt, shape, default, rows, single))
        elif kind == "seq":
            outputs.append(_sequence(key, dt, shape, default, rows, single))
        else:
            outputs.extend(_sparse(dt, rows, single))
    return tuple(outputs)


def _dense(key: str, dt: dtypes.DType, shape: TensorShape, default: Any, rows: list, single: bool) -> np.ndarray:
    dims = shape.as_tuple()
    size = int(np.prod(dims, dtype=np.int64))
    out = np.empty((len(rows),) + dims, dtype=dt.np_type)
    table = out.reshape(len(rows), size)    # a view: rows of values, whatever the feature's shape
    for i, values in enumerate(rows):
        if values is None:
            if default is None:
                raise errors.InvalidArgumentError(None, None, f"Feature: {key} (data type: {_KINDS[dt][1]}) is "
                                                              "required but could not be found.")
            values = list(default.reshape(-1))
        elif len(values) != size:
            raise errors.InvalidArgumentError(None, None, (
                f"Key: {key}.  Number of {_KINDS[dt][1]} values != expected.  Values size: {len(values)} but "
                f"output shape: {list(dims)}"))
        table[i, :] = values
    return out[0, ...] if single else out


def _sequence(key: str, dt: dtypes.DType, shape: TensorShape, pad: Any, rows: list, single: bool) -> np.ndarray:
    dims = shape.as_tuple()
    stride = int(np.prod(dims, dtype=np.int64))
    counts = []
    for i, values in enumerate(rows):
        n = len(values or ())
        if stride == 0 or n % stride:
            raise errors.InvalidArgumentError(None, None, (
                f"Name: <unknown>, Key: {key}, Index: {i}.  Number of {_KINDS[dt][1]} values is not a multiple of "
                f"stride length. Saw {n} values but output shape is: [?,{','.join(map(str, dims))}]"))
        counts.append(n // stride)
    longest = max(counts, default=0)
    out = np.empty((len(rows), longest) + dims, dtype=dt.np_type)
    out[...] = pad
    for i, values in enumerate(rows):
        if counts[i]:
            out[i, :counts[i]].reshape(-1)[:] = values    # a contiguous slice: reshape is a view
    return out[0] if single else out


def _default_array(value: Any, dt: dtypes.DType) -> Any:
    """A scalar default as ``dt``'s numpy value (strings as UTF-8 bytes)."""
    if dt is dtypes.string:
        return value.encode() if isinstance(value, str) else bytes(value)
    return np.asarray(value, dtype=dt.np_type)[()]


def _sparse(dt: dtypes.DType, rows: list, single: bool) -> list:
    lengths = [len(v or ()) for v in rows]
    values = np.array([x for v in rows for x in (v or ())], dtype=dt.np_type)
    if dt is dtypes.string:
        values = np.array([bytes(x) for v in rows for x in (v or ())] + [None], dtype=object)[:-1]
    index = [(b, j) for b, n in enumerate(lengths) for j in range(n)]
    indices = np.array(index, dtype=np.int64).reshape(-1, 2)
    longest = max(lengths, default=0)
    if single:
        return [indices[:, 1:].copy(), values, np.array([longest], dtype=np.int64)]
    return [indices, values, np.array([len(rows), longest], dtype=np.int64)]


register(OpDef("ParseExample", "opaque", infer=_infer, numpy=_parse_numpy, differentiable=False, pure=False))


def _parse(serialized: Any, features: dict, single: bool, name: str) -> dict:
    if not isinstance(features, dict) or not features:
        raise ValueError("features must be a non-empty dict of FixedLenFeature/VarLenFeature")
    specs = tuple(_spec(k, features[k]) for k in sorted(features))
    t = serialized if isinstance(serialized, Tensor) else convert_to_tensor(serialized, dtype=dtypes.string)
    op = make_op("ParseExample", [t], {"specs": specs, "single": single}, name)
    outputs = iter(op.outputs)
    result = {}
    for key, kind, *_ in specs:
        result[key] = SparseTensor(next(outputs), next(outputs), next(outputs)) if kind == "var" else next(outputs)
    return result


def parse_example(serialized: Any, features: dict, name: Optional[str] = None, example_names: Any = None) -> dict:
    """Parses a vector of serialized ``tf.train.Example`` protos: a dict from feature key to a
    tensor with the batch dimension first (``FixedLenFeature``) or a ``SparseTensor``
    (``VarLenFeature``)."""
    return _parse(serialized, features, False, name or "ParseExample")


def parse_single_example(serialized: Any, features: dict, name: Optional[str] = None,
                         example_names: Any = None) -> dict:
    """Parses one serialized ``tf.train.Example`` (a string scalar): a dict from feature key to a
    tensor (``FixedLenFeature``) or a ``SparseTensor`` (``VarLenFeature``)."""
    return _parse(serialized, features, True, name or "ParseSingleExample")
