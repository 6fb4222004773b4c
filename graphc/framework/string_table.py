"""graphc's string ops as TensorFlow's (``StringLower``, ``Substr``, ``RegexReplace``, ``StringSplit``, ...):
the ``OpMapping`` rows in ``ROWS``. graphc counts bytes and changes ASCII case only, so TF's ``unit`` and
``encoding`` attrs are written as those and other values are refused on import.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from graphc.framework.attr_values import AttrValue, dtype_attr
from graphc.framework.op_mapping import OpMapping, same_op, static_value, tf_inputs, type_attr
from graphc.graph import Operation
from graphc.ops.core import make_op


# strings: TF's attrs that graphc's string ops do not vary (graphc counts bytes, lowers ASCII)
_STRING_ATTRS = {"StringLength": {"unit": AttrValue(s=b"BYTE")}, "StringLower": {"encoding": AttrValue(s=b"")},
                 "StringUpper": {"encoding": AttrValue(s=b"")}, "StringStrip": {}}


def _string_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), dict(_STRING_ATTRS[op.type])


def _build_string(graphc_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        for key, want in _STRING_ATTRS[graphc_type].items():
            if key in attrs and attrs[key] != want.s:
                raise ValueError(f"{graphc_type} with {key}={attrs[key]!r} is not supported (graphc: {want.s!r})")
        return make_op(graphc_type, inputs, {}, name)
    return build


def _substr_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {**type_attr(op, 1), "unit": AttrValue(s=b"BYTE")}


def _build_substr(inputs: list, attrs: dict, name: str) -> Any:
    if attrs.get("unit", b"BYTE") != b"BYTE":
        raise ValueError(f"Substr with unit={attrs['unit']!r} is not supported (graphc counts bytes)")
    return make_op("Substr", inputs, {}, name)


def _string_join_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {"N": AttrValue(i=len(op.inputs)), "separator": AttrValue(s=op.attrs["separator"])}


def _regex_replace_to_tf(op: Operation, const: Callable) -> tuple:
    """TF takes the pattern and rewrite as string inputs; its rewrite names the whole match ``\\0``."""
    rewrite = op.attrs["rewrite"].replace(b"\\g<0>", b"\\0")
    return tf_inputs(op) + [const("pattern", np.array(op.attrs["pattern"], dtype=object)),
                      const("rewrite", np.array(rewrite, dtype=object))], \
        {"replace_global": AttrValue(b=bool(op.attrs["replace_global"]))}


def _build_regex_replace(inputs: list, attrs: dict, name: str) -> Any:
    pattern, rewrite = (bytes(static_value(t, what, name).item())
                        for t, what in zip(inputs[1:], ("pattern", "rewrite")))
    return make_op("RegexReplace", inputs[:1], {"pattern": pattern, "rewrite": rewrite.replace(b"\\0", b"\\g<0>"),
                                                "replace_global": bool(attrs.get("replace_global", True))}, name)


def _string_split_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op) + [const("delimiter", np.array(op.attrs["delimiter"], dtype=object))], \
        {"skip_empty": AttrValue(b=bool(op.attrs["skip_empty"]))}


def _build_string_split(inputs: list, attrs: dict, name: str) -> Any:
    delimiter = bytes(static_value(inputs[1], "delimiter", name).item())
    return make_op("StringSplit", inputs[:1], {"delimiter": delimiter,
                                               "skip_empty": bool(attrs.get("skip_empty", True))}, name)


def _string_split_v2_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op) + [const("sep", np.array(op.attrs["sep"], dtype=object))], \
        {"maxsplit": AttrValue(i=int(op.attrs["maxsplit"]))}


def _build_string_split_v2(inputs: list, attrs: dict, name: str) -> Any:
    sep = bytes(static_value(inputs[1], "sep", name).item())
    return make_op("StringSplitV2", inputs[:1], {"sep": sep, "maxsplit": int(attrs.get("maxsplit", -1))}, name)


# AsString: graphc keeps TF's attrs as one printf spec, "%[0][width][.precision](f|e|g|d)"
_AS_STRING_SPEC = re.compile(r"%(0?)(\d*)(?:\.(\d+))?([efgd])")


def _as_string_to_tf(op: Operation, const: Callable) -> tuple:
    fill, width, precision, kind = _AS_STRING_SPEC.fullmatch(op.attrs["fmt"]).groups()
    return tf_inputs(op), {**type_attr(op), "precision": AttrValue(i=int(precision) if precision else -1),
                           "scientific": AttrValue(b=kind == "e"), "shortest": AttrValue(b=kind == "g"),
                           "width": AttrValue(i=int(width) if width else -1), "fill": AttrValue(s=fill.encode())}


def _build_as_string(inputs: list, attrs: dict, name: str) -> Any:
    fill = attrs.get("fill", b"")
    fill = fill.decode() if isinstance(fill, bytes) else fill
    if fill not in ("", " ", "0"):
        raise ValueError(f"AsString with fill={fill!r} is not supported (graphc: '', ' ' or '0')")
    width, precision = attrs.get("width", -1), attrs.get("precision", -1)
    spec = "%" + ("0" if fill == "0" else "") + (str(width) if width > -1 else "")
    if inputs[0].dtype.is_floating:
        spec += (f".{precision}" if precision > -1 else "") + \
            ("e" if attrs.get("scientific") else "g" if attrs.get("shortest") else "f")
    else:
        spec += "d"
    return make_op("AsString", inputs, {"fmt": spec}, name)


ROWS = [
    *[OpMapping(t, t, _string_to_tf, _build_string(t)) for t in _STRING_ATTRS],
    OpMapping("Substr", "Substr", _substr_to_tf, _build_substr),
    OpMapping("StringJoin", "StringJoin", _string_join_to_tf, same_op("StringJoin", ("separator",))),
    OpMapping("StringToNumber", "StringToNumber",
              lambda op, const: (tf_inputs(op), {"out_type": dtype_attr(op.attrs["out_type"])}),
              same_op("StringToNumber", ("out_type",))),
    OpMapping("RegexReplace", "RegexReplace", _regex_replace_to_tf, _build_regex_replace),
    OpMapping("StringSplit", "StringSplit", _string_split_to_tf, _build_string_split),
    OpMapping("StringSplitV2", "StringSplitV2", _string_split_v2_to_tf, _build_string_split_v2),
    OpMapping("AsString", "AsString", _as_string_to_tf, _build_as_string),
]

__all__ = ["ROWS"]
