"""Rows of ``op_table`` for the summary ops: graphc keeps a summary's tag as an attr, TensorFlow takes it as
a string input (``tags`` / ``tag``). One ``OpMapping`` row each in ``ROWS``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc.framework.attr_values import AttrValue
from graphc.framework.op_mapping import OpMapping, static_value, tf_inputs, type_attr
from graphc.graph import Operation
from graphc.ops.core import make_op

_TAG_INPUT = {"ScalarSummary": "tags", "HistogramSummary": "tag", "ImageSummary": "tag"}


def _summary_to_tf(op: Operation, const: Callable) -> tuple:
    attrs = type_attr(op)
    if op.type == "ImageSummary":
        attrs["max_images"] = AttrValue(i=int(op.attrs["max_images"]))
    return [const(_TAG_INPUT[op.type], np.array(op.attrs["tag"].encode(), dtype=object)), *tf_inputs(op)], attrs


def _build_summary(op_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        tag = static_value(inputs[0], _TAG_INPUT[op_type], name)
        if tag.size != 1:
            raise ValueError(f"Node {name[:-1]}: graphc's {op_type} takes one tag, got {tag.size}")
        tag_text = tag.reshape(-1)[0]
        extra = {"max_images": int(attrs.get("max_images", 3))} if op_type == "ImageSummary" else {}
        return make_op(op_type, inputs[1:], {"tag": tag_text.decode() if isinstance(tag_text, bytes) else
                                            str(tag_text), **extra}, name)
    return build


ROWS = [
    *[OpMapping(t, t, _summary_to_tf, _build_summary(t)) for t in _TAG_INPUT],
    OpMapping("MergeSummary", "MergeSummary",
              lambda op, const: (tf_inputs(op), {"N": AttrValue(i=len(op.inputs))}),
              lambda inputs, attrs, name: make_op("MergeSummary", inputs, {}, name)),
]

__all__ = ["ROWS"]
