"""Rows of ``op_table`` for the sparse ops (indices, values, dense_shape inputs, as TensorFlow's), file
reading, CSV lines, raw bytes and the PNG/JPEG codecs. One ``OpMapping`` row each in ``ROWS``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc import dtypes
from graphc.framework.attr_values import AttrValue, dtype_attr
from graphc.framework.op_mapping import OpMapping, static_value, tf_inputs, typed_row
from graphc.graph import Operation
from graphc.ops import image_codecs, sparse  # noqa: F401  (registers the codecs and sparse ops; ReadFile and
#                                                   DecodeRaw are registered by graphc.io, which ``import graphc`` loads)
from graphc.ops.core import make_op


def _sparse_reduce_sum_to_tf(op: Operation, const: Callable) -> tuple:
    """graphc's axes attr (None: all) as TF's ``reduction_axes`` input."""
    axes = op.attrs["axes"]
    if axes is None:
        rank = op.inputs[2].shape.num_elements()
        if rank is None:
            raise ValueError(f"{op.name}: writing a SparseReduceSum over all axes needs the rank of "
                             f"{op.inputs[2].name} to be known")
        axes = range(rank)
    return tf_inputs(op) + [const("reduction_axes", np.array(list(axes), dtype=np.int32))], \
        {"T": dtype_attr(op.inputs[1].dtype), "keep_dims": AttrValue(b=bool(op.attrs["keep_dims"]))}


def _build_sparse_reduce_sum(inputs: list, attrs: dict, name: str) -> Any:
    axes = tuple(int(a) for a in np.atleast_1d(static_value(inputs[3], "reduction axes", name)))
    return make_op("SparseReduceSum", inputs[:3], {"axes": axes, "keep_dims": bool(attrs.get("keep_dims", False))},
                   name)


def _decode_to_tf(op: Operation, const: Callable) -> tuple:
    """TF's DecodeJpeg has no dtype attr (always uint8); DecodeImage is written not to expand animations,
    so it gives graphc's 3-D image."""
    attrs = {"channels": AttrValue(i=int(op.attrs["channels"]))}
    if op.type != "DecodeJpeg":
        attrs["dtype"] = dtype_attr(op.attrs["dtype"])
    if op.type == "DecodeImage":
        attrs["expand_animations"] = AttrValue(b=False)
    return tf_inputs(op), attrs


def _build_decode(op_type: str) -> Callable:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        if op_type == "DecodeImage" and attrs.get("expand_animations", True):
            raise ValueError(f"Node {name[:-1]}: DecodeImage with expand_animations=True is not supported "
                             "(graphc decodes one frame, a 3-D image)")
        return make_op(op_type, inputs, {"channels": int(attrs.get("channels", 0)),
                                         "dtype": attrs.get("dtype", dtypes.uint8)}, name)
    return build


def _decode_csv_to_tf(op: Operation, const: Callable) -> tuple:
    """graphc's columns attr ((dtype, default or None), ...) as TF's record_defaults inputs: a one-value
    Const per column, an empty one for a required field."""
    defaults = [const(f"record_defaults_{j}", np.array([] if value is None else [value],
                                                       dtype=object if dt is dtypes.string else dt.np_type))
                for j, (dt, value) in enumerate(op.attrs["columns"])]
    select = op.attrs["select_cols"]
    return tf_inputs(op) + defaults, {
        "OUT_TYPE": AttrValue(list=AttrValue.ListValue(type=[dtype_attr(dt).type for dt, _ in op.attrs["columns"]])),
        "field_delim": AttrValue(s=op.attrs["field_delim"].encode()),
        "use_quote_delim": AttrValue(b=bool(op.attrs["use_quote_delim"])),
        "na_value": AttrValue(s=op.attrs["na_value"].encode()),
        "select_cols": AttrValue(list=AttrValue.ListValue(i=list(select or ())))}


def _text(value: Any, default: str) -> str:
    return value.decode() if isinstance(value, bytes) else default if value is None else str(value)


def _build_decode_csv(inputs: list, attrs: dict, name: str) -> Any:
    columns = []
    for j, t in enumerate(inputs[1:]):
        values = static_value(t, f"record_defaults[{j}]", name).reshape(-1).tolist()
        value = values[0] if values else None
        columns.append((t.dtype, value.encode() if isinstance(value, str) else value))
    select = attrs.get("select_cols") or None
    return make_op("DecodeCSV", inputs[:1], {
        "columns": tuple(columns), "field_delim": _text(attrs.get("field_delim"), ","),
        "use_quote_delim": bool(attrs.get("use_quote_delim", True)), "na_value": _text(attrs.get("na_value"), ""),
        "select_cols": None if select is None else tuple(int(c) for c in select)}, name)


ROWS = [
    typed_row("SparseToDense", {"T": 2, "Tindices": 0}, bools=("validate_indices",)),
    typed_row("SparseTensorDenseMatMul", {"T": 1, "Tindices": 0}, bools=("adjoint_a", "adjoint_b")),
    typed_row("SparseTensorDenseAdd", {"T": 1, "Tindices": 0}),
    typed_row("SparseAdd", {"T": 1, "Treal": 6}),
    typed_row("SparseReorder", {"T": 1}),
    OpMapping("SparseReduceSum", "SparseReduceSum", _sparse_reduce_sum_to_tf, _build_sparse_reduce_sum),
    typed_row("ReadFile", {}),
    OpMapping("DecodeCSV", "DecodeCSV", _decode_csv_to_tf, _build_decode_csv),
    typed_row("DecodeRaw", {}, bools=("little_endian",), dtype_attrs=("out_type",)),
    *[OpMapping(t, t, _decode_to_tf, _build_decode(t)) for t in ("DecodePng", "DecodeJpeg", "DecodeImage")],
    typed_row("EncodePng", {"T": 0}, int_attrs=("compression",)),
    typed_row("EncodeJpeg", {}, int_attrs=("quality",)),
]

__all__ = ["ROWS"]
