"""``tf.parse_example`` / ``tf.parse_single_example`` as TensorFlow's ``ParseExample`` /
``ParseSingleExample`` ops, both ways, and ``ParseExampleV2`` (what TF 2.x's compat.v1 writes) read
(``OpMapping`` rows in ``ROWS``).

graphc's ``ParseExample`` op has one output per dense feature and three per ``VarLenFeature``, in its
specs' order; TensorFlow's has every sparse feature's indices, then their values, then their dense
shapes, then the dense values. So graphc's op is written as TensorFlow's node (keys as string ``Const``
inputs or list attrs, ``dense_defaults`` as ``Const`` inputs: the default, an empty tensor for a required
feature, the padding scalar of a ``FixedLenSequenceFeature`` whose ``dense_shapes`` entry starts with -1)
followed by an ``IdentityN`` in graphc's order named as graphc's op; TensorFlow's node is read as
graphc's op followed by an ``IdentityN`` in TensorFlow's order.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graphc import dtypes
from graphc.framework.attr_values import AttrValue, dtype_attr, shape_proto
from graphc.framework.op_mapping import OpMapping, static_value, tensor_name
from graphc.graph import Operation
from graphc.ops.core import make_op
from graphc.shape import TensorShape


def _types(values: list) -> Any:
    return AttrValue(list=AttrValue.ListValue(type=[dtype_attr(v).type for v in values]))


def _default(spec: tuple) -> np.ndarray:
    _, kind, dt, shape, default = spec
    if default is None:
        return np.zeros([0], dtype=object if dt == dtypes.string else dt.np_type)
    value = np.asarray(default, dtype=object if dt == dtypes.string else dt.np_type)
    return value.reshape([]) if kind == "seq" else value


def _to_tf(op: Operation, emit: Any) -> tuple:
    specs, single = op.attrs["specs"], op.attrs["single"]
    sparse = [s for s in specs if s[1] == "var"]
    dense = [s for s in specs if s[1] != "var"]
    shapes = [TensorShape(([None] if s[1] == "seq" else []) + s[3].as_list()) for s in dense]
    attrs = {"sparse_types": _types([s[2] for s in sparse]), "Tdense": _types([s[2] for s in dense]),
             "dense_shapes": AttrValue(list=AttrValue.ListValue(shape=[shape_proto(s) for s in shapes]))}
    defaults = [emit(f"default_{k}", _default(s)) for k, s in enumerate(dense)]
    serialized = tensor_name(op.inputs[0])
    if single:
        attrs.update({"num_sparse": AttrValue(i=len(sparse)),
                      "sparse_keys": AttrValue(list=AttrValue.ListValue(s=[s[0].encode() for s in sparse])),
                      "dense_keys": AttrValue(list=AttrValue.ListValue(s=[s[0].encode() for s in dense]))})
        node = emit.node("ParseSingleExample", "ParseSingleExample", [serialized, *defaults], attrs)
    else:
        keys = [emit(f"key_{k}", np.array(s[0], dtype=object)) for k, s in enumerate(sparse + dense)]
        attrs.update({"Nsparse": AttrValue(i=len(sparse)), "Ndense": AttrValue(i=len(dense))})
        names = emit("names", np.zeros([0], dtype=object))
        node = emit.node("ParseExample", "ParseExample", [serialized, names, *keys, *defaults], attrs)
    n, outs, dense_seen, sparse_seen = len(sparse), [], 0, 0
    for spec in specs:
        if spec[1] == "var":
            outs += [f"{node}:{sparse_seen}", f"{node}:{n + sparse_seen}", f"{node}:{2 * n + sparse_seen}"]
            sparse_seen += 1
        else:
            outs.append(f"{node}:{3 * n + dense_seen}")
            dense_seen += 1
    types = [dtype_attr(t.dtype).type for t in op.outputs]
    return outs, {"T": AttrValue(list=AttrValue.ListValue(type=types))}, "IdentityN"


def _key(value: Any) -> str:
    key = np.asarray(value).reshape(-1)[0]
    return key.decode() if isinstance(key, bytes) else str(key)


def _keys(t: Any, what: str, name: str) -> list:
    return [k.decode() if isinstance(k, bytes) else str(k) for k in static_value(t, what, name).reshape(-1)]


def _build(single: Any) -> Any:
    """The builder for ParseSingleExample (``single`` True), ParseExample (False) or ParseExampleV2 (None:
    one Example when ``serialized`` is a scalar)."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        sparse_types, dense_types = attrs.get("sparse_types") or [], attrs.get("Tdense") or []
        one = single
        if single is None:
            if static_value(inputs[4], "ragged keys", name).size:
                raise ValueError(f"Node {name[:-1]}: ragged features are not supported")
            one = inputs[0].shape.ndims == 0
            sparse_keys = _keys(inputs[2], "sparse keys", name)
            dense_keys = _keys(inputs[3], "dense keys", name)
            defaults = inputs[5:]
        elif single:
            sparse_keys = [k.decode() for k in attrs.get("sparse_keys") or []]
            dense_keys = [k.decode() for k in attrs.get("dense_keys") or []]
            defaults = inputs[1:]
        else:
            ns, nd = len(sparse_types), len(dense_types)
            sparse_keys = [_key(static_value(t, "sparse key", name)) for t in inputs[2:2 + ns]]
            dense_keys = [_key(static_value(t, "dense key", name)) for t in inputs[2 + ns:2 + ns + nd]]
            defaults = inputs[2 + ns + nd:]
        specs = [(k, "var", dt, None, None) for k, dt in zip(sparse_keys, sparse_types)]
        for key, dt, shape, default in zip(dense_keys, dense_types, attrs.get("dense_shapes") or [], defaults):
            value = static_value(default, f"default of {key}", name)
            dims = shape.as_list()
            if dims and dims[0] is None:
                pad = value.reshape(-1)[0] if value.size else (b"" if dt == dtypes.string else 0)
                specs.append((key, "seq", dt, TensorShape(dims[1:]), pad))
            else:
                specs.append((key, "fixed", dt, shape, value.reshape(dims) if value.size else None))
        graph = inputs[0].graph
        with graph.name_scope(name):
            parsed = make_op("ParseExample", inputs[:1], {"specs": tuple(specs), "single": bool(one)}, "parse")
        n = len(sparse_keys)
        outs = parsed.outputs
        order = [outs[3 * j] for j in range(n)] + [outs[3 * j + 1] for j in range(n)] + \
            [outs[3 * j + 2] for j in range(n)] + list(outs[3 * n:])
        return make_op("IdentityN", order, {}, name)
    return build


ROWS = [
    OpMapping("ParseExample", "ParseExample", _to_tf, _build(False)),
    OpMapping(None, "ParseSingleExample", None, _build(True)),
    OpMapping(None, "ParseExampleV2", None, _build(None)),
]

__all__ = ["ROWS"]
