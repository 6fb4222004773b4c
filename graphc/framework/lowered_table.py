"""graphc's run-time checks, which TensorFlow lacks as ops, written as small TensorFlow subgraphs that
TensorFlow runs with the same effect and that graphc reads back as its own op (``op_mapping.LOWERED_TYPE``):
one ``OpMapping`` row each in ``LOWERED``.

- ``Assert`` (an imported TensorFlow Assert: an identity of its input after the check) is TF's
  ``Assert`` as a control input of an ``Identity``.
- ``CaseGuard`` (``tf.case``'s run-time checks) is TF1's own pattern: an ``Assert`` that at most one
  predicate is true (``exclusive``) and/or that one is (no default), as a control input of an
  ``Identity`` of the stacked predicates.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graphc import dtypes
from graphc.framework.attr_values import AttrValue, dtype_attr, native_attr, native_attr_value
from graphc.framework.op_mapping import (LOWERED_ATTRS, LOWERED_INPUTS, LOWERED_TYPE, LOWERING_HELPER, OpMapping,
                                         same_op, tensor_name)
from graphc.graph import Operation

_HELPER = {LOWERING_HELPER: AttrValue(b=True)}


def lowered(op: Operation, inputs: list) -> dict:
    """The attrs that make the node written for ``op`` read back as ``op`` (its type, inputs and attrs)."""
    attrs = AttrValue.ListValue(s=[k.encode() + b"=" + native_attr(v).SerializeToString()
                                   for k, v in sorted(op.attrs.items())])
    return {LOWERED_TYPE: AttrValue(s=op.type.encode()), LOWERED_ATTRS: AttrValue(list=attrs),
            LOWERED_INPUTS: AttrValue(list=AttrValue.ListValue(s=[i.encode() for i in inputs]))}


def _case_guard_to_tf(op: Operation, emit: Any) -> tuple:
    preds = tensor_name(op.inputs[0])
    int32 = dtype_attr(dtypes.int32)
    as_int = emit.node("ToInt32", "Cast", [preds], {"SrcT": dtype_attr(dtypes.bool_), "DstT": int32,
                                                    "Truncate": AttrValue(b=False), **_HELPER})
    count = emit.node("Count", "Sum", [as_int, emit("axis", np.array(0, np.int32), helper=True)],
                      {"T": int32, "Tidx": int32, "keep_dims": AttrValue(b=False), **_HELPER})
    checks = []
    if op.attrs["exclusive"]:
        checks.append(("Exclusive", "LessEqual", 1, f"Input error: exclusive=True: more than 1 conditions "
                                                    f"({', '.join(op.attrs['names'])}) evaluated as True:"))
    if op.attrs["need_one"]:
        checks.append(("OneTrue", "Greater", 0, "Input error: None of conditions evaluated as True:"))
    asserts = []
    for label, compare, bound, message in checks:
        ok = emit.node(label, compare, [count, emit(f"{label}/bound", np.array(bound, np.int32), helper=True)],
                       {"T": int32, **_HELPER})
        msg = emit(f"{label}/message", np.array(message, dtype=object), helper=True)
        asserts.append(emit.node(f"{label}/Assert", "Assert", [ok, msg, preds], {
            "T": AttrValue(list=AttrValue.ListValue(type=[dtype_attr(dtypes.string).type,
                                                          dtype_attr(dtypes.bool_).type])),
            "summarize": AttrValue(i=len(op.attrs["names"])), **_HELPER}))
    return [preds] + [f"^{a}" for a in asserts], {"T": dtype_attr(dtypes.bool_), **lowered(op, [preds])}, "Identity"


def _assert_to_tf(op: Operation, emit: Any) -> tuple:
    """graphc's Assert(x, condition, *data) as TF's Assert(condition, *data) and an Identity of x after it."""
    x, *checked = [tensor_name(t) for t in op.inputs]
    types = [dtype_attr(t.dtype).type for t in op.inputs[2:]]
    check = emit.node("Assert", "Assert", checked, {"T": AttrValue(list=AttrValue.ListValue(type=types)),
                                                    "summarize": AttrValue(i=op.attrs["summarize"]), **_HELPER})
    return [x, f"^{check}"], {"T": dtype_attr(op.inputs[0].dtype), **lowered(op, [x, *checked])}, "Identity"


# written as TensorFlow's ops, read back by their LOWERED_TYPE attr (never from TensorFlow's own graphs)
LOWERED = [OpMapping("CaseGuard", "Identity", _case_guard_to_tf, same_op("CaseGuard")),
           OpMapping("Assert", "Identity", _assert_to_tf, same_op("Assert", ("summarize",)))]

def lowered_attrs(node: Any) -> dict:
    """The graphc attrs ``lowered`` wrote on ``node``."""
    out = {}
    for item in node.attr[LOWERED_ATTRS].list.s if LOWERED_ATTRS in node.attr else []:
        key, _, value = item.partition(b"=")
        out[key.decode()] = native_attr_value(AttrValue.FromString(value))
    return out


__all__ = ["LOWERED", "lowered", "lowered_attrs"]
