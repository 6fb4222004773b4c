"""A minimal ``tf.RaggedTensor``: rows of different lengths, as ``values`` plus ``row_splits``.

Row i is ``values[row_splits[i]:row_splits[i + 1]]`` (TF's layout; ``row_splits`` int64, starting
at 0). graphc has what ``tf.strings.split(..., result_type="RaggedTensor")`` needs: build one
(``from_row_splits``, ``from_value_rowids``), ``to_sparse``, ``to_tensor``, ``row_lengths``,
``nrows``, and fetch it (``Session.run`` returns a ``tf.ragged.RaggedTensorValue``). Only one
ragged dimension (rank 2). ``to_sparse`` passes ``values`` through, so ``to_tensor`` (through
``SparseToDense``) has a gradient with respect to them.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.graph import Tensor, session_for_eval
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops.core import OpDef, _graph_of, apply, constant_value, convert_to_tensor, register
from graphc.ops.sparse import SparseTensor, sparse_tensor_to_dense
from graphc.shape import TensorShape


class RaggedTensorValue:
    """A fetched ``RaggedTensor``: numpy ``values`` and ``row_splits`` (TF's
    ``tf.ragged.RaggedTensorValue``)."""

    def __init__(self, values: np.ndarray, row_splits: np.ndarray) -> None:
        self.values = values
        self.row_splits = row_splits

    @property
    def flat_values(self) -> np.ndarray:
        """``values`` (one ragged dimension)."""
        return self.values

    @property
    def dtype(self) -> np.dtype:
        """The values' numpy dtype."""
        return self.values.dtype

    @property
    def shape(self) -> tuple:
        """``(nrows, None)``."""
        return (len(self.row_splits) - 1, None)

    def to_list(self) -> list:
        """The rows as Python lists."""
        splits = self.row_splits.tolist()
        values = self.values.tolist()
        return [values[a:b] for a, b in zip(splits[:-1], splits[1:])]

    def __repr__(self) -> str:
        return f"tf.RaggedTensorValue(values={self.values!r}, row_splits={self.row_splits!r})"


class RaggedTensor:
    """Rows of different lengths (TF ``tf.RaggedTensor``, one ragged dimension): make one with
    ``RaggedTensor.from_row_splits`` or ``from_value_rowids``."""

    def __init__(self, values: Tensor, row_splits: Tensor, internal: bool = False) -> None:
        if not internal:
            raise ValueError("RaggedTensor constructor is private; use a factory method such as "
                             "RaggedTensor.from_row_splits()")
        self._values = values
        self._row_splits = row_splits

    @classmethod
    def from_row_splits(cls, values: Any, row_splits: Any, name: Optional[str] = None,
                        validate: bool = True) -> "RaggedTensor":
        """Row i is ``values[row_splits[i]:row_splits[i+1]]``; with ``validate``, the splits must
        start at 0, never decrease and end at ``len(values)`` (InvalidArgumentError when run)."""
        graph = _graph_of([values, row_splits])
        with graph.as_default(), graph.name_scope(name or "RaggedFromRowSplits"):
            values = convert_to_tensor(values, name="values")
            splits = convert_to_tensor(row_splits, name="row_splits")
            if splits.dtype not in (dtypes.int32, dtypes.int64):
                raise TypeError(f"row_splits {splits.name} must be int32 or int64, got {splits.dtype.name}")
            if splits.dtype is dtypes.int32:
                splits = m.cast(splits, dtypes.int64)
            if values.shape.ndims == 0 or splits.shape.ndims not in (None, 1):
                raise ValueError(f"RaggedTensor needs values of rank >= 1 and a vector of row_splits, got "
                                 f"{values.shape} and {splits.shape}")
            if validate:
                splits = apply("RaggedCheckSplits", [splits, values], {}, "RaggedCheckSplits")
        return cls(values, splits, internal=True)

    @classmethod
    def from_value_rowids(cls, values: Any, value_rowids: Any, nrows: Any = None,
                          name: Optional[str] = None) -> "RaggedTensor":
        """Row i holds the values whose (sorted, non-negative) row id is i; ``nrows`` rows
        (default: the last id + 1)."""
        graph = _graph_of([values, value_rowids, nrows])
        with graph.as_default(), graph.name_scope(name or "RaggedFromValueRowIds"):
            values = convert_to_tensor(values, name="values")
            rowids = convert_to_tensor(value_rowids, name="value_rowids")
            inputs = [rowids] if nrows is None else [rowids, convert_to_tensor(nrows, name="nrows")]
            splits = apply("RaggedRowSplits", inputs, {}, "RaggedRowSplits")
        return cls(values, splits, internal=True)

    values = property(lambda self: self._values, doc="The values of all rows, concatenated.")
    flat_values = property(lambda self: self._values, doc="``values`` (one ragged dimension).")
    row_splits = property(lambda self: self._row_splits, doc="int64 ``[nrows + 1]``: where each row starts.")
    dtype = property(lambda self: self._values.dtype, doc="The values' dtype.")
    graph = property(lambda self: self._values.graph, doc="The graph of values and row_splits.")
    ragged_rank = 1

    @property
    def shape(self) -> TensorShape:
        """``[nrows, None] + values.shape[1:]`` (nrows known when row_splits' length is)."""
        n = self._row_splits.shape.as_tuple()
        rows = None if n is None or n[0] is None else n[0] - 1
        inner = self._values.shape.as_tuple()
        return TensorShape([rows, None] + (list(inner[1:]) if inner is not None else []))

    def get_shape(self) -> TensorShape:
        """``self.shape``."""
        return self.shape

    def nrows(self, out_type: Any = dtypes.int64, name: Optional[str] = None) -> Tensor:
        """The number of rows."""
        n = m.subtract(array.size(self._row_splits, out_type=dtypes.int64), 1, name=name or "nrows")
        return n if dtypes.as_dtype(out_type) is dtypes.int64 else m.cast(n, out_type)

    def row_lengths(self, axis: int = 1, name: Optional[str] = None) -> Tensor:
        """The length of each row (int64)."""
        if axis != 1:
            raise ValueError(f"graphc's RaggedTensor has one ragged dimension: axis must be 1, got {axis}")
        return m.subtract(self._row_splits[1:], self._row_splits[:-1], name=name or "row_lengths")

    def to_sparse(self, name: Optional[str] = None) -> SparseTensor:
        """The same entries as a SparseTensor (``dense_shape`` ``[nrows, longest row]``)."""
        indices, shape = apply("RaggedSparseIndices", [self._row_splits, self._values], {},
                               name or "RaggedToSparse")
        return SparseTensor(indices, self._values, shape)

    def to_tensor(self, default_value: Any = None, name: Optional[str] = None) -> Tensor:
        """A dense ``[nrows, longest row]`` tensor, short rows padded with ``default_value``
        (0, or b"" for strings)."""
        if self._values.shape.ndims not in (None, 1):
            raise ValueError(f"graphc's to_tensor needs rank-1 values, got {self._values.shape}")
        return sparse_tensor_to_dense(self.to_sparse(), default_value, name=name or "RaggedToTensor")

    def eval(self, feed_dict: Optional[dict] = None, session: Any = None) -> RaggedTensorValue:
        """Runs it in ``session`` or the default session: a ``RaggedTensorValue``."""
        return session_for_eval(session, self.graph).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"tf.RaggedTensor(values={self._values!r}, row_splits={self._row_splits!r})"


# the ops ------------------------------------------------------------------------------------------

def _check_splits_numpy(splits, values):
    splits = np.asarray(splits, dtype=np.int64)
    n = len(values)
    if len(splits) == 0 or splits[0] != 0 or np.any(np.diff(splits) < 0) or splits[-1] != n:
        raise errors.InvalidArgumentError(None, None, (
            f"RaggedTensor: row_splits {splits.tolist()} must start at 0, never decrease and end at the number of "
            f"values ({n})"))
    return splits


def _row_splits_numpy(rowids, nrows=None):
    rowids = np.asarray(rowids, dtype=np.int64).reshape(-1)
    if len(rowids) and (rowids[0] < 0 or np.any(np.diff(rowids) < 0)):
        raise errors.InvalidArgumentError(None, None, f"value_rowids must be sorted and non-negative, got "
                                                      f"{rowids.tolist()}")
    n = int(nrows) if nrows is not None else (int(rowids[-1]) + 1 if len(rowids) else 0)
    if len(rowids) and rowids[-1] >= n:
        raise errors.InvalidArgumentError(None, None, f"value_rowids has a row id {int(rowids[-1])} >= nrows ({n})")
    return np.concatenate([[0], np.cumsum(np.bincount(rowids, minlength=n))]).astype(np.int64)


def _sparse_indices_numpy(splits, values):
    splits = np.asarray(splits, dtype=np.int64)
    lengths = np.diff(splits)
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    cols = np.arange(len(rows), dtype=np.int64) - np.repeat(splits[:-1], lengths)
    return np.stack([rows, cols], 1).reshape(-1, 2), np.array([len(lengths), lengths.max(initial=0)], np.int64)


register(OpDef("RaggedCheckSplits", "opaque", infer=lambda inputs, attrs: [(dtypes.int64, inputs[0].shape)],
               numpy=_check_splits_numpy, differentiable=False, pure=False))
def _row_splits_infer(inputs: list, attrs: dict) -> list:
    nrows = constant_value(inputs[1]) if len(inputs) > 1 else None
    return [(dtypes.int64, TensorShape([None if nrows is None else int(nrows) + 1]))]


register(OpDef("RaggedRowSplits", "opaque", infer=_row_splits_infer,
               numpy=_row_splits_numpy, differentiable=False, pure=False))
register(OpDef("RaggedSparseIndices", "opaque", infer=lambda inputs, attrs: [
    (dtypes.int64, TensorShape([inputs[1].shape.as_tuple()[0] if inputs[1].shape.ndims else None, 2])),
    (dtypes.int64, TensorShape([2]))], numpy=_sparse_indices_numpy, differentiable=False, pure=False))

__all__ = ["RaggedTensor"]
