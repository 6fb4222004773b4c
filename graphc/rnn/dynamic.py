"""``tf.nn.dynamic_rnn`` and ``tf.nn.bidirectional_dynamic_rnn``, structured as TF1 builds them:
a ``tf.while_loop`` over time whose body reads step ``t`` of the inputs from a ``TensorArray``,
calls the cell and writes its output into another, so the graph does not grow with the sequence.

The loop runs ``min(time_steps, max(1, max(sequence_length)))`` steps. With ``sequence_length``,
a step at or past a row's length gives that row a zero output and carries its state through
unchanged; steps the loop never runs stack as zeros. The cell's variables are created by the
first trace of the body, in the outer graph under ``rnn/<cell scope>``, as in TF1.
"""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.control_flow import nest
from graphc.control_flow.tensor_array import TensorArray
from graphc.control_flow.while_loop import while_loop
from graphc.graph import Tensor, get_default_graph
from graphc.ops import array, reduce, sequence, source
from graphc.ops import math as m
from graphc.ops.core import convert_to_tensor
from graphc.rnn.cells import _size_shape, assert_like_rnncell
from graphc.rnn.static import copy_through_past_length, infer_state_dtype, initial_state_of
from graphc.shape import TensorShape
from graphc.variable_scope import variable_scope


def _transpose_batch_time(x: Any) -> Tensor:
    """Swaps the first two axes ([batch, time, ...] <-> [time, batch, ...])."""
    x = convert_to_tensor(x)
    rank = x.shape.ndims
    if rank is None:
        raise ValueError(f"dynamic_rnn needs inputs of known rank, got {x.name} with shape {x.shape}")
    if rank < 2:
        raise ValueError(f"Expected input tensor {x.name} to have rank at least 2, but saw shape: {x.shape}")
    out = array.transpose(x, [1, 0] + list(range(2, rank)))
    dims = x.shape.as_list()
    out.set_shape([dims[1], dims[0]] + dims[2:])
    return out


def _batch_size(flat_input: list) -> Any:
    """The batch size (dimension 1 of time-major inputs): an int when static, else a scalar tensor."""
    for x in flat_input:
        if x.shape.ndims is not None and x.shape.ndims < 2:
            raise ValueError(f"Expected input tensor {x.name} to have rank at least 2, but saw shape: {x.shape}")
        if x.shape.ndims is not None and x.shape[1].value is not None:
            return x.shape[1].value
    return array.shape(flat_input[0])[1]


def _check_inputs(flat_input: list) -> tuple:
    """(static time steps, static batch size) of time-major inputs, which must agree."""
    shapes = [x.shape for x in flat_input]
    for x, shape in zip(flat_input, shapes):
        if shape.ndims is None or shape.ndims < 3:
            raise ValueError(f"Shape {shape} of input {x.name} must have rank at least 3 ([time, batch, depth] "
                             "once batch-major inputs are transposed)")
        if not TensorShape(shape.as_list()[2:]).is_fully_defined():
            raise ValueError("Input size (depth of inputs) must be accessible via shape inference, but saw value "
                             f"None ({x.name} {shape}).")
    time_steps, batch = shapes[0].as_list()[:2]
    for shape in shapes[1:]:
        if shape[0].value != time_steps:
            raise ValueError("Time steps is not the same for all the elements in the input in a batch.")
        if shape[1].value != batch:
            raise ValueError("Batch_size is not the same for all the elements in the input.")
    return time_steps, batch


def _output_array(dtype: dtypes.DType, time_steps: Any, batch_size: Any, const_batch: Optional[int], size: Any,
                  name: str) -> TensorArray:
    """The TensorArray the loop writes one output per step into: TF1's, element shape [batch, *size].

    When the batch size is known only at run time, the array starts from a zeros buffer of the run's
    [time, batch, *size] (a TensorArray rebuilt from ``handle``/``flow``), so the loop variable keeps
    one shape in every iteration, which the loop's gradient needs.
    """
    element = TensorShape([const_batch] + _size_shape(size))
    if element.is_fully_defined():
        return TensorArray(dtype, size=time_steps, tensor_array_name=name, element_shape=element)
    with get_default_graph().name_scope(name.rsplit("/", 1)[-1]):
        written = array.zeros([time_steps], dtype=dtypes.bool_, name="written")
        buffer = array.zeros([time_steps, batch_size] + _size_shape(size), dtype=dtype, name="buffer")
    return TensorArray(dtype, handle=written, flow=buffer)


def _dynamic_rnn_loop(cell: Any, inputs: Any, state: Any, parallel_iterations: int, swap_memory: bool,
                      sequence_length: Optional[Tensor], dtype: Any) -> tuple:
    """The time loop over time-major ``inputs``: (outputs [time, batch, ...], final state)."""
    flat_input = nest.flatten(inputs)
    flat_output_size = nest.flatten(cell.output_size)
    time_steps_t = array.shape(flat_input[0])[0]
    const_time, const_batch = _check_inputs(flat_input)
    time_steps = const_time if const_time is not None else time_steps_t
    batch_size = _batch_size(flat_input)
    out_dtype = infer_state_dtype(dtype, state)
    zero_output = nest.pack_sequence_as(cell.output_size, [
        array.zeros([batch_size] + _size_shape(size), dtype=out_dtype) for size in flat_output_size])
    if sequence_length is not None:
        max_length = reduce.reduce_max(sequence_length)
        loop_bound = m.minimum(time_steps, m.maximum(1, max_length))
    else:
        loop_bound = time_steps
    time = convert_to_tensor(0, dtype=dtypes.int32, name="time")
    with get_default_graph().name_scope("dynamic_rnn") as base_name:
        pass
    output_ta = tuple(_output_array(out_dtype, time_steps, batch_size, const_batch, size, f"{base_name}output_{i}")
                      for i, size in enumerate(flat_output_size))
    input_ta = tuple(TensorArray(x.dtype, size=time_steps, tensor_array_name=f"{base_name}input_{i}",
                                 element_shape=x.shape[1:]).unstack(x) for i, x in enumerate(flat_input))

    def time_step(time: Tensor, output_ta_t: tuple, state: Any) -> tuple:
        input_t = []
        for ta, x in zip(input_ta, flat_input):
            step = ta.read(time)
            step.set_shape(x.shape[1:])
            input_t.append(step)
        output, new_state = cell(nest.pack_sequence_as(inputs, input_t), state)
        if sequence_length is not None:
            output, new_state = copy_through_past_length(time, sequence_length, zero_output, state, output, new_state)
        output_ta_t = tuple(ta.write(time, out) for ta, out in zip(output_ta_t, nest.flatten(output)))
        return time + 1, output_ta_t, new_state

    _, final_ta, final_state = while_loop(lambda time, *_: m.less(time, loop_bound), time_step,
                                          (time, output_ta, state), parallel_iterations=parallel_iterations,
                                          maximum_iterations=time_steps, swap_memory=swap_memory)
    final_outputs = []
    for ta, size in zip(final_ta, flat_output_size):
        out = ta.stack()
        out.set_shape([const_time, const_batch] + _size_shape(size))
        final_outputs.append(out)
    return nest.pack_sequence_as(cell.output_size, final_outputs), final_state


def dynamic_rnn(cell: Any, inputs: Any, sequence_length: Any = None, initial_state: Any = None, dtype: Any = None,
                parallel_iterations: Optional[int] = None, swap_memory: bool = False, time_major: bool = False,
                scope: Any = None) -> tuple:
    """Runs ``cell`` over the time axis of ``inputs`` ([batch, time, depth], or [time, batch, depth] with
    ``time_major``) in a ``tf.while_loop``: returns ``(outputs, final_state)``, outputs shaped like
    the inputs' leading axes. ``parallel_iterations`` and ``swap_memory`` are accepted."""
    assert_like_rnncell("cell", cell)
    with variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in nest.flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = m.cast(sequence_length, dtypes.int32)
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError("sequence_length must be a vector of length batch_size, but saw shape: "
                                 f"{sequence_length.shape}")
            sequence_length = source.identity(sequence_length, name="sequence_length")
        batch_size = _batch_size(flat_input)
        if sequence_length is not None and isinstance(batch_size, int):
            n = sequence_length.shape.as_tuple()
            if n is not None and n[0] is not None and n[0] != batch_size:
                raise ValueError(f"Expected shape for Tensor {sequence_length.name} is [{batch_size}] but saw shape: "
                                 f"{sequence_length.shape}")
        state = initial_state_of(cell, initial_state, batch_size, dtype)
        time_major_inputs = nest.pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(cell, time_major_inputs, state, parallel_iterations, swap_memory,
                                                 sequence_length, dtype)
        if not time_major:
            outputs = nest.map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _reverse(x: Any, lengths: Any, seq_axis: int, batch_axis: int) -> Tensor:
    """``x`` reversed along ``seq_axis``: within each row's length when ``lengths`` is given."""
    if lengths is not None:
        return sequence.reverse_sequence(x, lengths, seq_axis=seq_axis, batch_axis=batch_axis)
    x = convert_to_tensor(x)
    return x[::-1] if seq_axis == 0 else x[:, ::-1]


def bidirectional_dynamic_rnn(cell_fw: Any, cell_bw: Any, inputs: Any, sequence_length: Any = None,
                              initial_state_fw: Any = None, initial_state_bw: Any = None, dtype: Any = None,
                              parallel_iterations: Optional[int] = None, swap_memory: bool = False,
                              time_major: bool = False, scope: Any = None) -> tuple:
    """A forward and a backward ``dynamic_rnn`` (the backward one over the inputs reversed within each
    row's length): returns ``((output_fw, output_bw), (state_fw, state_bw))``."""
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)
    options = dict(sequence_length=sequence_length, dtype=dtype, parallel_iterations=parallel_iterations,
                   swap_memory=swap_memory, time_major=time_major)
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(cell_fw, inputs, initial_state=initial_state_fw, scope=fw_scope,
                                              **options)
        with variable_scope("bw") as bw_scope:
            reversed_inputs = nest.map_structure(lambda x: _reverse(x, sequence_length, time_axis, batch_axis),
                                                 inputs)
            tmp, state_bw = dynamic_rnn(cell_bw, reversed_inputs, initial_state=initial_state_bw, scope=bw_scope,
                                        **options)
    output_bw = nest.map_structure(lambda x: _reverse(x, sequence_length, time_axis, batch_axis), tmp)
    return (output_fw, output_bw), (state_fw, state_bw)


__all__ = ["dynamic_rnn", "bidirectional_dynamic_rnn"]
