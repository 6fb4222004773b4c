"""``tf.nn.static_rnn`` and ``tf.nn.static_bidirectional_rnn``: a cell unrolled over a Python list
of time steps, as TF1 builds them.

With ``sequence_length``, a step at or past a row's length gives that row a zero output and
carries its state through unchanged (TF1's ``_rnn_step``; TF1 also wraps the step in conds that
skip the cell when every row or no row has ended, which changes no number, so graphc selects).
"""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array, join_split, sequence
from graphc.ops import math as m
from graphc.ops.core import convert_to_tensor
from graphc.control_flow import nest
from graphc.rnn.cells import _size_shape, assert_like_rnncell
from graphc.shape import TensorShape
from graphc.variable_scope import variable_scope


def infer_state_dtype(explicit_dtype: Any, state: Any) -> dtypes.DType:
    """``dtype`` if given, else the one dtype of every tensor in ``state`` (TF1's rule)."""
    if explicit_dtype is not None:
        return dtypes.as_dtype(explicit_dtype)
    flat = [convert_to_tensor(s) for s in nest.flatten(state)]
    if not flat:
        raise ValueError("Unable to infer dtype from an empty state.")
    if any(s.dtype is not flat[0].dtype for s in flat):
        raise ValueError(f"State has tensors of different inferred dtypes ({[s.dtype.name for s in flat]}); "
                         "unable to infer a single representative dtype. Pass dtype.")
    return flat[0].dtype


def initial_state_of(cell: Any, initial_state: Any, batch_size: Any, dtype: Any) -> Any:
    """``initial_state`` if given, else the cell's zero state (a dtype is then required)."""
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError("If there is no initial_state, you must give a dtype.")
    if getattr(cell, "get_initial_state", None) is not None:
        return cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
    return cell.zero_state(batch_size, dtype)


def _batch_size_of(first_input: Tensor, flat_inputs: list) -> tuple:
    """(static batch size or None, batch size as an int or a scalar tensor); checks input sizes."""
    if first_input.shape.ndims == 1:
        fixed = first_input.shape[0].value
    else:
        fixed = first_input.shape[0].value if first_input.shape.ndims else None
        for x in flat_inputs:
            dims = x.shape.as_tuple()
            if dims is None or len(dims) < 2:
                raise ValueError(f"Shape {x.shape} of input {x.name} must have rank at least 2")
            if fixed is not None and dims[0] is not None and dims[0] != fixed:
                raise ValueError(f"Dimensions {fixed} and {dims[0]} are not compatible: every input needs the "
                                 f"same batch size ({x.name} {x.shape})")
            for i, d in enumerate(dims[1:]):
                if d is None:
                    raise ValueError(f"Input size (dimension {i} of inputs) must be accessible via shape "
                                     f"inference, but saw value None ({x.name} {x.shape}).")
    return fixed, (fixed if fixed is not None else array.shape(first_input)[0])


def zero_output_of(cell: Any, batch_size: Any, fixed_batch: Optional[int], dtype: dtypes.DType) -> Any:
    """Zeros shaped like the cell's output for each row: what an ended row outputs."""
    def zeros(size: Any) -> Tensor:
        out = array.zeros([batch_size] + _size_shape(size), dtype=dtype)
        out.set_shape(TensorShape([fixed_batch] + _size_shape(size)))
        return out
    return nest.map_structure(zeros, cell.output_size)


def copy_through_past_length(time: Any, sequence_length: Tensor, zero_output: Any, state: Any,
                             new_output: Any, new_state: Any) -> tuple:
    """Rows with ``time >= sequence_length`` get ``zero_output`` and keep ``state``; the others the cell's."""
    nest.assert_same_structure(zero_output, new_output)
    nest.assert_same_structure(state, new_state)
    ended = m.greater_equal(time, sequence_length)

    def pick(old: Any, new: Any) -> Tensor:
        new = convert_to_tensor(new)
        out = m.where(ended, old, new)
        out.set_shape(new.shape)
        return out
    return nest.map_structure(pick, zero_output, new_output), nest.map_structure(pick, state, new_state)


def static_rnn(cell: Any, inputs: Any, initial_state: Any = None, dtype: Any = None, sequence_length: Any = None,
               scope: Any = None) -> tuple:
    """Runs ``cell`` over ``inputs``, a list of ``[batch, input_size]`` tensors (one per time step):
    returns ``(outputs, state)``, the list of outputs and the final state."""
    assert_like_rnncell("cell", cell)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    outputs = []
    with variable_scope(scope or "rnn") as varscope:
        first = inputs[0]
        while nest.is_sequence(first):
            first = first[0]
        first = convert_to_tensor(first)
        fixed_batch, batch_size = _batch_size_of(first, [convert_to_tensor(x) for x in nest.flatten(inputs)])
        state = initial_state_of(cell, initial_state, batch_size, dtype)
        if sequence_length is not None:
            sequence_length = convert_to_tensor(sequence_length, name="sequence_length")
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError("sequence_length must be a vector of length batch_size")
            zero_output = zero_output_of(cell, batch_size, fixed_batch, infer_state_dtype(dtype, state))
            sequence_length = m.cast(sequence_length, dtypes.int32)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            output, new_state = cell(input_, state)
            if sequence_length is not None:
                output, new_state = copy_through_past_length(time, sequence_length, zero_output, state,
                                                             output, new_state)
            state = new_state
            outputs.append(output)
    return outputs, state


def _reverse_seq(input_seq: list, lengths: Any) -> list:
    """The time steps reversed: wholly, or within each row's length when ``lengths`` is given."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_per_step = [nest.flatten(step) for step in input_seq]
    reversed_flat = []
    for parts in zip(*flat_per_step):
        joined = join_split.stack([convert_to_tensor(p) for p in parts])
        reversed_flat.append(join_split.unstack(sequence.reverse_sequence(joined, m.cast(lengths, dtypes.int64), 0, 1)))
    return [nest.pack_sequence_as(input_seq[t], [steps[t] for steps in reversed_flat])
            for t in range(len(input_seq))]


def static_bidirectional_rnn(cell_fw: Any, cell_bw: Any, inputs: Any, initial_state_fw: Any = None,
                             initial_state_bw: Any = None, dtype: Any = None, sequence_length: Any = None,
                             scope: Any = None) -> tuple:
    """A forward and a backward ``static_rnn`` over ``inputs``: returns ``(outputs, state_fw, state_bw)``,
    each output the concatenation of both directions' outputs at that step."""
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs must be a list")
    if not inputs:
        raise ValueError("inputs must not be empty")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype, sequence_length, fw_scope)
        with variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(list(inputs), sequence_length)
            tmp, state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length, bw_scope)
    output_bw = _reverse_seq(tmp, sequence_length)
    outputs = [nest.pack_sequence_as(fw, [join_split.concat([a, b], 1) for a, b in
                                               zip(nest.flatten(fw), nest.flatten(bw))])
               for fw, bw in zip(output_fw, output_bw)]
    return outputs, state_fw, state_bw


__all__ = ["static_rnn", "static_bidirectional_rnn"]
