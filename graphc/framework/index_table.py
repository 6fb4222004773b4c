"""Rows of ``op_table`` for the indexing, segment, cumulative, selection and linear-algebra ops whose
TensorFlow ops take graphc's inputs in graphc's order: only the attrs differ (TF's dtype attrs such as
``T``/``Tindices``/``Tidx`` come from the inputs' dtypes; graphc's bool and dtype attrs are written as
they are). One ``OpMapping`` row each in ``ROWS``.
"""
from __future__ import annotations

from typing import Any, Callable

from graphc.framework.attr_values import AttrValue, dtype_attr
from graphc.framework.op_mapping import OpMapping, composition, same_op, tf_inputs
from graphc.graph import Operation
from graphc.ops import cumulative, einsum, linalg, reverse, scatter, segment, selection  # noqa: F401  (registers)


def _converter(input_dtypes: dict, bools: tuple = (), dtype_attrs: tuple = ()) -> Callable:
    """``to_tf`` writing TF attr ``name`` as the dtype of input ``input_dtypes[name]``, and graphc's own
    ``bools`` and ``dtype_attrs`` under the same names."""
    def to_tf(op: Operation, const: Callable) -> tuple:
        attrs = {name: dtype_attr(op.inputs[i].dtype) for name, i in input_dtypes.items()}
        attrs.update({name: AttrValue(b=bool(op.attrs[name])) for name in bools})
        attrs.update({name: dtype_attr(op.attrs[name]) for name in dtype_attrs})
        return tf_inputs(op), attrs
    return to_tf


def _row(op_type: str, input_dtypes: dict, bools: tuple = (), dtype_attrs: tuple = ()) -> OpMapping:
    return OpMapping(op_type, op_type, _converter(input_dtypes, bools, dtype_attrs),
                     same_op(op_type, bools + dtype_attrs))


_TX = {"T": 0}
_SCATTER = {"T": 0, "Tindices": 1}


def _einsum_to_tf(op: Operation, const: Callable) -> tuple:
    return tf_inputs(op), {"T": dtype_attr(op.inputs[0].dtype), "N": AttrValue(i=len(op.inputs)),
                           "equation": AttrValue(s=op.attrs["equation"].encode())}


def _einsum(inputs: list, attrs: dict) -> Any:
    equation = attrs["equation"]
    return einsum.einsum(equation.decode() if isinstance(equation, bytes) else equation, *inputs)


ROWS = [
    _row("GatherNd", {"Tparams": 0, "Tindices": 1}),
    _row("ScatterNd", {"T": 1, "Tindices": 0}),
    *[_row(t, _SCATTER) for t in ("TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub")],
    _row("TopKV2", _TX, bools=("sorted",)),
    *[_row(t, {"T": 0, "Tidx": 1}, bools=("exclusive", "reverse")) for t in ("Cumsum", "Cumprod")],
    _row("ReverseV2", {"T": 0, "Tidx": 1}),
    _row("Where", _TX),
    _row("Unique", _TX, dtype_attrs=("out_idx",)),
    _row("ListDiff", _TX, dtype_attrs=("out_idx",)),
    *[_row(f"Segment{r}", _SCATTER) for r in ("Sum", "Mean", "Max", "Min", "Prod")],
    *[_row(f"UnsortedSegment{r}", {"T": 0, "Tindices": 1, "Tnumsegments": 2}) for r in ("Max", "Min", "Prod")],
    _row("MatrixBandPart", {"T": 0, "Tindex": 1}),
    _row("MatrixInverse", _TX, bools=("adjoint",)),
    *[_row(t, _TX) for t in ("Cholesky", "Diag", "DiagPart")],
    OpMapping("Einsum", "Einsum", _einsum_to_tf, composition(_einsum)),
]

__all__ = ["ROWS"]
