"""Rows of ``op_table`` for the indexing, segment, cumulative, selection and linear-algebra ops whose
TensorFlow ops take graphc's inputs in graphc's order: only the attrs differ (TF's dtype attrs such as
``T``/``Tindices``/``Tidx`` come from the inputs' dtypes; graphc's bool and dtype attrs are written as
they are). One ``OpMapping`` row each in ``ROWS``.
"""
from __future__ import annotations

from typing import Any, Callable

from graphc.framework.attr_values import AttrValue, dtype_attr
from graphc.framework.op_mapping import OpMapping, composition, tf_inputs, typed_row
from graphc.graph import Operation
from graphc.ops import cumulative, einsum, linalg, reverse, scatter, segment, selection  # noqa: F401  (registers)


_TX = {"T": 0}
_SCATTER = {"T": 0, "Tindices": 1}


def _einsum_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {"T": dtype_attr(op.inputs[0].dtype), "N": AttrValue(i=len(op.inputs)),
                           "equation": AttrValue(s=op.attrs["equation"].encode())}


def _einsum(inputs: list, attrs: dict) -> Any:
    equation = attrs["equation"]
    return einsum.einsum(equation.decode() if isinstance(equation, bytes) else equation, *inputs)


ROWS = [
    typed_row("GatherNd", {"Tparams": 0, "Tindices": 1}),
    typed_row("ScatterNd", {"T": 1, "Tindices": 0}),
    *[typed_row(t, _SCATTER) for t in ("TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub")],
    typed_row("TopKV2", _TX, bools=("sorted",)),
    *[typed_row(t, {"T": 0, "Tidx": 1}, bools=("exclusive", "reverse")) for t in ("Cumsum", "Cumprod")],
    typed_row("ReverseV2", {"T": 0, "Tidx": 1}),
    typed_row("Where", _TX),
    typed_row("Unique", _TX, dtype_attrs=("out_idx",)),
    typed_row("ListDiff", _TX, dtype_attrs=("out_idx",)),
    *[typed_row(f"Segment{r}", _SCATTER) for r in ("Sum", "Mean", "Max", "Min", "Prod")],
    *[typed_row(f"UnsortedSegment{r}", {"T": 0, "Tindices": 1, "Tnumsegments": 2}) for r in ("Max", "Min", "Prod")],
    typed_row("MatrixBandPart", {"T": 0, "Tindex": 1}),
    typed_row("MatrixInverse", _TX, bools=("adjoint",)),
    *[typed_row(t, _TX) for t in ("Cholesky", "Diag", "DiagPart")],
    OpMapping("Einsum", "Einsum", _einsum_to_tf, composition(_einsum)),
]

__all__ = ["ROWS"]
