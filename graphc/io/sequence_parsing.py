"""``tf.parse_single_sequence_example``: a ``tf.train.SequenceExample``'s context and feature lists.

One host op, like ``ParseExample``: context features parse as in ``parse_single_example``; a
sequence feature is a ``FixedLenSequenceFeature`` (one item of its shape per step: ``[steps] +
shape``) or a ``VarLenFeature`` (a ``SparseTensor``, ``dense_shape`` ``[steps, longest]``).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from google.protobuf.message import DecodeError

from graphc import dtypes, errors
from graphc.example_proto import SequenceExample
from graphc.graph import Tensor
from graphc.io import parsing
from graphc.ops.core import OpDef, convert_to_tensor, make_op, register
from graphc.shape import TensorShape, as_shape


def _sequence_spec(key: str, feature: Any) -> tuple:
    """(key, "seq"/"var", dtype, shape, allow_missing) of one sequence feature description."""
    if isinstance(feature, parsing.VarLenFeature):
        return key, "var", parsing._spec(key, feature)[2], None, True
    if not isinstance(feature, parsing.FixedLenSequenceFeature):
        raise ValueError(f"Unsupported sequence feature type for key {key!r}: {type(feature).__name__} (use "
                         "FixedLenSequenceFeature or VarLenFeature)")
    dt = dtypes.as_dtype(feature.dtype)
    if dt not in parsing._KINDS:
        raise ValueError(f"Feature {key!r}: dtype {dt.name} is not supported; use float32, int64 or string")
    shape = as_shape(feature.shape)
    if not shape.is_fully_defined():
        raise ValueError(f"Feature {key!r}: FixedLenSequenceFeature needs a fully defined shape, got {shape}")
    return key, "seq", dt, shape, bool(feature.allow_missing)


def _infer(inputs: list, attrs: dict) -> list:
    if inputs[0].dtype is not dtypes.string or inputs[0].shape.ndims not in (None, 0):
        raise ValueError(f"serialized must be a string scalar, got {inputs[0].dtype.name} {inputs[0].shape}")
    out = []
    for _, kind, dt, shape, _ in attrs["context"]:
        if kind == "fixed":
            out.append((dt, shape))
        else:
            out += [(dtypes.int64, TensorShape([None, 1])), (dt, TensorShape([None])), (dtypes.int64, TensorShape([1]))]
    for _, kind, dt, shape, _ in attrs["sequence"]:
        if kind == "seq":
            out.append((dt, TensorShape([None] + shape.as_list())))
        else:
            out += [(dtypes.int64, TensorShape([None, 2])), (dt, TensorShape([None])), (dtypes.int64, TensorShape([2]))]
    return out


def _parse_numpy(serialized: np.ndarray, context: tuple, sequence: tuple) -> tuple:
    raw = np.asarray(serialized, dtype=object)[()]
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    try:
        message = SequenceExample.FromString(data)
    except DecodeError:
        raise errors.InvalidArgumentError(None, None, f"Could not parse example input, value: {data!r}") from None
    outputs: list = []
    for key, kind, dt, shape, default in context:
        values = parsing._values(message.context, key, dt)
        if kind == "fixed":
            outputs.append(parsing._dense(key, dt, shape, default, [values], True))
        else:
            outputs.extend(parsing._sparse(dt, [values], True))
    lists = message.feature_lists.feature_list
    for key, kind, dt, shape, allow_missing in sequence:
        if key not in lists and not allow_missing:
            raise errors.InvalidArgumentError(None, None, (
                f"Name: <unknown>, Feature list '{key}' is required but could not be found.  Did you mean to "
                "include it in feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?"))
        steps = [parsing.feature_values(f, key, dt) for f in lists[key].feature] if key in lists else []
        if kind == "var":
            outputs.extend(parsing._sparse(dt, steps, False))
            continue
        dims = shape.as_tuple()
        size = int(np.prod(dims, dtype=np.int64))
        out = np.empty((len(steps), size), dtype=dt.np_type)
        for i, values in enumerate(steps):
            if len(values) != size:
                raise errors.InvalidArgumentError(None, None, (
                    f"Name: <unknown>, Key: {key}, Index: {i}.  Number of {parsing._KINDS[dt][1]} values != "
                    f"expected.  values size: {len(values)} but output shape: {list(dims)}"))
            out[i, :] = values
        outputs.append(out.reshape((len(steps),) + dims))
    return tuple(outputs)


register(OpDef("ParseSequenceExample", "opaque", infer=_infer, numpy=_parse_numpy, differentiable=False,
               pure=False))


def parse_single_sequence_example(serialized: Any, context_features: Optional[dict] = None,
                                  sequence_features: Optional[dict] = None, example_name: Any = None,
                                  name: Optional[str] = None) -> tuple:
    """Parses one serialized ``tf.train.SequenceExample``: (context dict, sequence dict)."""
    context = tuple(parsing._spec(k, context_features[k]) for k in sorted(context_features or {}))
    if any(kind == "seq" for _, kind, *_ in context):
        raise ValueError("context_features take FixedLenFeature or VarLenFeature")
    sequence = tuple(_sequence_spec(k, sequence_features[k]) for k in sorted(sequence_features or {}))
    if not context and not sequence:
        raise ValueError("Missing features: give context_features or sequence_features")
    t = serialized if isinstance(serialized, Tensor) else convert_to_tensor(serialized, dtype=dtypes.string)
    op = make_op("ParseSequenceExample", [t], {"context": context, "sequence": sequence},
                 name or "ParseSingleSequenceExample")
    outputs = iter(op.outputs)

    def take(kind: str) -> Any:
        return parsing.SparseTensor(next(outputs), next(outputs), next(outputs)) if kind == "var" else next(outputs)
    return ({key: take(kind) for key, kind, *_ in context}, {key: take(kind) for key, kind, *_ in sequence})
