"""The shape of a row of ``op_table`` (``OpMapping``) and the helpers its converters share.

``to_tf(op, const)`` gives a graphc op's TF inputs and attrs; ``build(inputs, attrs, name)`` makes the
graphc op (or composition) for a TF node; ``name`` ends in "/" (taken verbatim).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import numpy as np

from graphc.framework.attr_values import AttrValue, dtype_attr
from graphc.graph import Operation, Tensor
from graphc.ops.core import constant_value, make_op


# A graphc op TensorFlow lacks may be written as several TF nodes: the last carries the graphc type, inputs
# and attrs (graphc's native encoding) in these attrs (TensorFlow ignores attrs starting with "_"), the
# others LOWERING_HELPER, so graphc reads back its own op and skips the helpers.
LOWERED_TYPE = "_graphc_type"
LOWERED_INPUTS = "_graphc_inputs"
LOWERED_ATTRS = "_graphc_attrs"
LOWERING_HELPER = "_graphc_helper"


@dataclasses.dataclass(frozen=True)
class OpMapping:
    """One op type in both vocabularies (``graphc_type`` None: read from TensorFlow only).

    ``to_tf(op, emit)`` returns ``(inputs, attrs)``, or ``(inputs, attrs, tf_type)`` when one graphc op
    is written as another TF type by its inputs (a batched MatMul is TF's BatchMatMulV2)."""

    graphc_type: Optional[str]
    tf_type: str
    to_tf: Optional[Callable[[Operation, Callable], tuple]]
    build: Callable[[list, dict, str], Any]


def tensor_name(t: Tensor) -> str:
    """A GraphDef input name: ``op`` for output 0, ``op:i`` otherwise."""
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def tf_inputs(op: Operation) -> list:
    """A graphc op's inputs as GraphDef input names."""
    return [tensor_name(t) for t in op.inputs]


def type_attr(op: Operation, index: int = 0) -> dict:
    """TF's ``T`` attr: the dtype of input ``index``."""
    return {"T": dtype_attr(op.inputs[index].dtype)}


def static_value(t: Tensor, what: str, name: str) -> np.ndarray:
    """The constant value of an input TensorFlow takes as a tensor and graphc as an attr (axes, sizes)."""
    value = constant_value(t)
    if value is None:
        raise ValueError(f"Node {name[:-1]}: graphc needs its {what} ({t.name}) to be a constant")
    return np.asarray(value)


def same_op(graphc_type: str, keep: tuple = ()) -> Callable:
    """A builder making ``graphc_type`` from all inputs with ``keep`` attrs passed through."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        return make_op(graphc_type, inputs, {k: attrs[k] for k in keep if k in attrs}, name)
    return build


def typed_row(op_type: str, input_dtypes: dict, bools: tuple = (), dtype_attrs: tuple = (),
              int_attrs: tuple = ()) -> OpMapping:
    """A row for an op TensorFlow names and feeds as graphc does: TF attr ``name`` is the dtype of input
    ``input_dtypes[name]``; graphc's ``bools``, ``dtype_attrs`` and ``int_attrs`` go both ways by name."""
    def to_tf(op: Operation, const: Callable) -> tuple:
        attrs = {name: dtype_attr(op.inputs[i].dtype) for name, i in input_dtypes.items()}
        attrs.update({name: AttrValue(b=bool(op.attrs[name])) for name in bools})
        attrs.update({name: dtype_attr(op.attrs[name]) for name in dtype_attrs})
        attrs.update({name: AttrValue(i=int(op.attrs[name])) for name in int_attrs})
        return tf_inputs(op), attrs
    return OpMapping(op_type, op_type, to_tf, same_op(op_type, bools + dtype_attrs + int_attrs))


def composition(fn: Callable) -> Callable:
    """A builder for a composition: ``fn(inputs, attrs)`` under the node's scope, its result named as the node."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        graph = inputs[0].graph
        with graph.name_scope(name):
            out = fn(inputs, attrs)
        return make_op("Identity", [out], {}, name)
    return build


def composition_n(fn: Callable) -> Callable:
    """A builder for a composition with several outputs: ``fn(inputs, attrs)`` returns them, joined in one
    ``IdentityN`` named as the node (so ``node:1`` is the second)."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        graph = inputs[0].graph
        with graph.name_scope(name):
            outs = fn(inputs, attrs)
        return make_op("IdentityN", list(outs), {}, name)
    return build


__all__ = ["LOWERED_TYPE", "LOWERED_INPUTS", "LOWERED_ATTRS", "LOWERING_HELPER", "OpMapping", "tensor_name", "tf_inputs", "type_attr", "static_value", "same_op", "typed_row", "composition",
           "composition_n"]
