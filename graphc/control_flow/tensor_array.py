"""``tf.TensorArray``: TF1's list of same-typed tensors, as a functional value.

TF1's TensorArray is a mutable resource whose operations are ordered by a ``flow`` scalar. Here it
is a pair of tensors, a dense ``buffer`` ``[size, *element_shape]`` and a bool ``written`` mask
``[size]`` (the ops are in ``graphc/ops/tensor_array.py``). The API and its semantics are TF1's:
every write returns a new TensorArray that must be used; writing an index twice, an index out of
range and an element of another shape are run-time InvalidArgumentErrors; an unwritten element
reads as zeros once the element shape is known; ``dynamic_size`` grows the array. Gradients
follow from the ops' rules (a read scatter-adds into the gradient, a write reads it back, stack
and unstack, gather and scatter are each other's gradient).

A TensorArray is a *composite* loop variable for ``tf.while_loop``: ``_flat_tensors`` gives the
two tensors, ``_with_flat_tensors`` rebuilds a TensorArray from them and
``_flat_shape_invariants`` gives the shapes the loop must accept. TensorArrays derived from one
another share their element shape, so a shape first seen by a write inside a loop body is known
to the TensorArray the loop returns (as TF1 does), and its ``stack()`` has a static shape.

Not modelled: ``clear_after_read`` (TF1 refuses to read a cleared element twice at run time;
reads here are pure, so reading twice is allowed and its gradient sums), and ``infer_shape=False``
with elements of different shapes (one buffer holds one element shape: such a write is a
run-time error saying so).
"""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.graph import Operation, Tensor, get_default_graph
from graphc.ops import array, join_split, source
from graphc.ops import tensor_array as ta_ops
from graphc.ops.core import _graph_of, _graph_tensor_or_none, constant_value, convert_to_tensor
from graphc.shape import TensorShape, as_shape


class TensorArray:
    """TF1's ``tf.TensorArray(dtype, size, dynamic_size, ...)``: see the module docstring."""

    def __init__(self, dtype: Any, size: Any = None, dynamic_size: Optional[bool] = None,
                 clear_after_read: Optional[bool] = None, tensor_array_name: Optional[str] = None,
                 handle: Any = None, flow: Any = None, infer_shape: bool = True,
                 element_shape: Any = None, colocate_with_first_write_call: bool = True,
                 name: Optional[str] = None) -> None:
        if handle is not None and tensor_array_name:
            raise ValueError("Cannot construct with both handle and tensor_array_name")
        if handle is not None and size is not None:
            raise ValueError("Cannot provide both a handle and size at the same time")
        if handle is not None and flow is None:
            raise ValueError("flow must not be None if handle is not None.")
        if handle is None and size is None:
            raise ValueError("Size must be provided if handle is not provided")
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = bool(infer_shape)
        self._colocate_with_first_write_call = colocate_with_first_write_call
        if handle is not None:   # rebuilt from another TensorArray's handle (written) and flow (buffer)
            self._written = convert_to_tensor(handle, dtype=dtypes.bool_)
            self._buffer = convert_to_tensor(flow, dtype=self._dtype)
            self._size = None
            self._ta_name = self._buffer.op.name
            self._new_op = None
            dims = self._buffer.shape.as_tuple()
            self._shape_cell = [TensorShape(None if dims is None else list(dims[1:]))]
            return
        elem = TensorShape(None) if element_shape is None else as_shape(element_shape)
        self._shape_cell = [elem]
        graph = get_default_graph()
        with graph.name_scope(name or "TensorArray") as scope:
            self._size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
            self._buffer, self._written = ta_ops.new(self._size, self._dtype, elem,
                                                     name=scope)
        self._ta_name = tensor_array_name or self._buffer.op.name
        self._new_op: Optional[Operation] = self._buffer.op

    # --------------------------------------------------------------------------------------------
    # properties

    @property
    def dtype(self) -> dtypes.DType:
        """The dtype of the elements."""
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        """The elements' static shape as far as it is known (from ``element_shape`` or the writes)."""
        return self._shape_cell[0]

    @property
    def dynamic_size(self) -> bool:
        """Whether writes past the end grow the array."""
        return self._dynamic_size

    @property
    def flow(self) -> Tensor:
        """The tensor that carries this TensorArray's state through the graph (its buffer)."""
        return self._buffer

    @property
    def handle(self) -> Tensor:
        """The companion of ``flow`` (the written mask): ``TensorArray(dtype, handle=ta.handle,
        flow=ta.flow)`` rebuilds this TensorArray."""
        return self._written

    # --------------------------------------------------------------------------------------------
    # composite protocol for tf.while_loop

    def _flat_tensors(self) -> list:
        return [self._buffer, self._written]

    def _with_flat_tensors(self, tensors: list) -> "TensorArray":
        buffer, written = tensors
        return self._derive(buffer, written)

    def _flat_shape_invariants(self) -> list:
        size = None if self._dynamic_size else ta_ops._size_of(self._written)
        return [ta_ops._buffer_shape(size, self.element_shape), TensorShape([size])]

    def _derive(self, buffer: Tensor, written: Tensor) -> "TensorArray":
        """A TensorArray with this one's settings and shared element shape over new tensors."""
        out = object.__new__(TensorArray)
        out.__dict__.update(self.__dict__)
        out._buffer, out._written = buffer, written
        return out

    def _merge_element_shape(self, shape: TensorShape) -> None:
        if not self._infer_shape:   # TF1 tracks no element shape; the first buffer still takes one
            self._settle_fresh_buffer(shape)
            return
        current = self._shape_cell[0]
        if not current.is_compatible_with(shape):
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected {current} "
                             f"(TensorArray {self._ta_name}; its elements have one shape)")
        self._shape_cell[0] = merged = current.merge_with(shape)
        self._settle_fresh_buffer(merged)

    def _settle_fresh_buffer(self, elem: TensorShape) -> None:
        """Once the element shape is fully known, the array's first buffer is made with it.

        A TensorArray created without a full ``element_shape`` (map_fn's results) starts with a
        placeholder buffer that its first write replaces. When that write's shape is static,
        the creating op is given the shape, so the buffer has one shape from the start: a while
        loop that carries the array then keeps each loop variable's shape across iterations, as
        the loop's gradient needs. Reads and stacks built before the write keep TF1's rule (an
        unwritten element with no known shape cannot be read): their own attrs say so.
        """
        new_op = self._new_op
        settled = new_op is not None and new_op.attrs["element_shape"] is not None and \
            None not in new_op.attrs["element_shape"]
        if new_op is None or settled or not elem.is_fully_defined():
            return
        buffer = new_op.outputs[0]
        dims = buffer.shape.as_tuple()
        target = TensorShape([None if not dims else dims[0]]).concatenate(elem)
        if not buffer.shape.is_compatible_with(target):   # infer_shape=False against a declared shape
            return
        new_op.attrs["element_shape"] = tuple(elem.as_list())
        buffer.set_shape(target)

    def _graph(self):
        """The graph new ops go in: this array's, or the loop body being built that captures it."""
        return _graph_of([self._buffer])

    def _scope(self, name: Optional[str], default: str):
        graph = self._graph()
        return graph.as_default(), graph.name_scope(name or default)

    def _value(self, value: Any, what: str) -> Tensor:
        t = _graph_tensor_or_none(value)
        if t is not None and t.dtype is not self._dtype:
            raise TypeError(f"TensorArray {self._ta_name} has dtype {self._dtype.name}, but {what} was given "
                            f"{t.name} of dtype {t.dtype.name}; use tf.cast to convert it")
        return convert_to_tensor(value, dtype=self._dtype, name="value")

    def _write_rows(self, indices: Tensor, value: Tensor, elem: TensorShape, mode: str, scope: str) -> "TensorArray":
        self._merge_element_shape(elem)
        buffer, written = ta_ops.scatter(self._buffer, self._written, indices, value, self._dynamic_size,
                                         self._ta_name, mode, name=scope)
        return self._derive(buffer, written)

    # --------------------------------------------------------------------------------------------
    # writing (each returns a new TensorArray)

    def write(self, index: Any, value: Any, name: Optional[str] = None) -> "TensorArray":
        """This TensorArray with ``value`` at ``index`` (an index may be written once)."""
        graph_ctx, scope_ctx = self._scope(name, "TensorArrayWrite")
        with graph_ctx, scope_ctx as scope:
            index = convert_to_tensor(index, dtype=dtypes.int32, name="index")
            value = self._value(value, "write")
            return self._write_rows(index, value, value.shape, "write", scope)

    def scatter(self, indices: Any, value: Any, name: Optional[str] = None) -> "TensorArray":
        """This TensorArray with ``value[i]`` at ``indices[i]``."""
        graph_ctx, scope_ctx = self._scope(name, "TensorArrayScatter")
        with graph_ctx, scope_ctx as scope:
            indices = convert_to_tensor(indices, dtype=dtypes.int32, name="indices")
            value = self._value(value, "scatter")
            return self._write_rows(indices, value, _rows_shape(value), "scatter", scope)

    def unstack(self, value: Any, name: Optional[str] = None) -> "TensorArray":
        """This TensorArray with ``value[i]`` at index i, for every row of ``value``."""
        graph_ctx, scope_ctx = self._scope(name, "TensorArrayUnstack")
        with graph_ctx, scope_ctx as scope:
            value = self._value(value, "unstack")
            rows = value.shape.as_tuple()
            count = rows[0] if rows else None
            limit = count if count is not None else array.shape(value)[0]
            indices = array.range(0, limit, dtype=dtypes.int32, name="range")
            return self._write_rows(indices, value, _rows_shape(value), "unstack", scope)

    def split(self, value: Any, lengths: Any, name: Optional[str] = None) -> "TensorArray":
        """This TensorArray with ``value`` cut along its first axis into ``len(lengths)`` elements
        (graphc: of equal lengths, which TF1 also requires while ``infer_shape`` is on)."""
        graph_ctx, scope_ctx = self._scope(name, "TensorArraySplit")
        with graph_ctx, scope_ctx as scope:
            value = self._value(value, "split")
            lengths = convert_to_tensor(lengths, dtype=dtypes.int64 if _is_int64(lengths) else dtypes.int32,
                                        name="lengths")
            rows = ta_ops.split_rows(value, lengths, self._ta_name, name="split_rows")
            count = ta_ops._size_of(lengths)
            limit = count if count is not None else array.size(lengths)
            indices = array.range(0, limit, dtype=dtypes.int32, name="range")
            return self._write_rows(indices, rows, _rows_shape(rows), "split", scope)

    # --------------------------------------------------------------------------------------------
    # reading

    def read(self, index: Any, name: Optional[str] = None) -> Tensor:
        """The element at ``index`` (zeros if unwritten and the element shape is known)."""
        graph_ctx, scope_ctx = self._scope(name, "TensorArrayRead")
        with graph_ctx, scope_ctx as scope:
            index = convert_to_tensor(index, dtype=dtypes.int32, name="index")
            return ta_ops.gather(self._buffer, self._written, index, self.element_shape, self._ta_name,
                                 name=scope)

    def gather(self, indices: Any, name: Optional[str] = None) -> Tensor:
        """The elements at ``indices``, stacked."""
        graph_ctx, scope_ctx = self._scope(name, "TensorArrayGather")
        with graph_ctx, scope_ctx as scope:
            indices = convert_to_tensor(indices, dtype=dtypes.int32, name="indices")
            return ta_ops.gather(self._buffer, self._written, indices, self.element_shape, self._ta_name,
                                 name=scope)

    def stack(self, name: Optional[str] = None) -> Tensor:
        """Every element, stacked along a new first axis: ``[size, *element_shape]``."""
        graph_ctx, scope_ctx = self._scope(name, "TensorArrayStack")
        with graph_ctx, scope_ctx as scope:
            out = ta_ops.stack(self._buffer, self._written, self.element_shape, self._ta_name,
                               name=scope)
            if not self._dynamic_size and self._size is not None:
                known = constant_value(self._size)
                if known is not None:
                    out.set_shape(TensorShape([int(known)]).concatenate(out.shape[1:])
                                  if out.shape.ndims is not None else TensorShape(None))
            return out

    def concat(self, name: Optional[str] = None) -> Tensor:
        """Every element, concatenated along their first axis."""
        elem = self.element_shape
        if elem.ndims == 0:
            raise ValueError(f"TensorArray {self._ta_name}: concat needs elements of rank >= 1, but they are "
                             "scalars; use stack()")
        graph_ctx, scope_ctx = self._scope(name, "TensorArrayConcat")
        with graph_ctx, scope_ctx as scope:
            stacked = ta_ops.stack(self._buffer, self._written, elem, self._ta_name, name="stack")
            rest = elem.as_tuple()
            if rest is not None and None not in rest[1:]:
                target: Any = [-1] + list(rest[1:])
            else:
                target = join_split.concat([[-1], array.shape(stacked)[2:]], 0)
            return array.reshape(stacked, target, name=scope)

    def size(self, name: Optional[str] = None) -> Tensor:
        """The number of elements (an int32 scalar)."""
        if self._size is not None and not self._dynamic_size:
            return self._size
        graph_ctx, scope_ctx = self._scope(name, "TensorArraySize")
        with graph_ctx, scope_ctx:
            return array.size(self._written, name="size")

    # --------------------------------------------------------------------------------------------

    def identity(self) -> "TensorArray":
        """This TensorArray through identity ops (TF1 uses it to attach control dependencies)."""
        with self._graph().as_default():
            return self._derive(source.identity(self._buffer), source.identity(self._written))

    def close(self, name: Optional[str] = None) -> Operation:
        """An op that does nothing: a functional TensorArray holds no resource to release."""
        with self._graph().as_default():
            return source.no_op(name=name or "TensorArrayClose")

    def __repr__(self) -> str:
        return (f"<graphc.TensorArray '{self._ta_name}' dtype={self._dtype.name} "
                f"element_shape={self.element_shape}>")


def _rows_shape(value: Tensor) -> TensorShape:
    """The element shape of a value whose first axis indexes elements."""
    dims = value.shape.as_tuple()
    if dims is None:
        return TensorShape(None)
    if not dims:
        raise ValueError(f"{value.name} must have rank >= 1 to be written as rows of a TensorArray, "
                         f"got shape {value.shape}")
    return TensorShape(list(dims[1:]))


def _is_int64(value: Any) -> bool:
    t = _graph_tensor_or_none(value)
    return t is not None and t.dtype is dtypes.int64


__all__ = ["TensorArray"]
