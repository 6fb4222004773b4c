"""``tf.nn.rnn_cell``: the RNN cell base class and TF1's cells, with TF1's variable names.

A cell is called as ``output, new_state = cell(inputs, state)``. Its first call captures a variable
scope named after the class (``basic_lstm_cell``, uniquified in the current scope, as TF1's
layers do) and creates the weights there (``rnn/basic_lstm_cell/kernel``, ``.../bias``); later
calls re-enter that scope with ``reuse=True``, so every time step shares the weights. Kernels
default to glorot uniform (``tf.get_variable``'s default) and biases to zeros (GRU's gates: ones),
as TF1. A user subclass implements ``call(inputs, state)`` (``get_variable`` inside it works),
``state_size`` and ``output_size``; ``zero_state`` comes from the base class.
"""
from __future__ import annotations

import abc
import collections
import re
from typing import Any, Callable, Optional

from graphc import dtypes, initializers
from graphc.graph import Tensor, get_default_graph
from graphc.ops import array, join_split, linalg, nn
from graphc.ops import math as m
from graphc.ops.core import convert_to_tensor
from graphc.control_flow import nest
from graphc.shape import TensorShape
from graphc.variable_scope import VariableScope, get_variable, variable_scope


def _snake_case(name: str) -> str:
    """``BasicLSTMCell`` -> ``basic_lstm_cell`` (the default scope name of a cell class)."""
    words = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    words = re.sub("([a-z])([A-Z])", r"\1_\2", words).lower()
    return words if not words.startswith("_") else "private" + words


def _size_shape(size: Any) -> list:
    """A state or output size (int or TensorShape) as a list of dims."""
    return TensorShape(size).as_list() if not isinstance(size, int) else [size]


def _concat_batch(batch_size: Any, size: Any) -> list:
    """``[batch_size, *size]`` with ``batch_size`` an int or a scalar tensor."""
    return [batch_size] + _size_shape(size)


def zero_state_tensors(state_size: Any, batch_size: Any, dtype: Any) -> Any:
    """Zeros of shape ``[batch_size, s]`` for each size ``s`` in the (nested) ``state_size``."""
    static_batch = batch_size if isinstance(batch_size, int) else None

    def zeros(size: Any) -> Tensor:
        out = array.zeros(_concat_batch(batch_size, size), dtype=dtype)
        out.set_shape([static_batch] + _size_shape(size))
        return out
    return nest.map_structure(zeros, state_size)


class RNNCell(abc.ABC):
    """An RNN cell: ``(output, new_state) = cell(inputs, state)`` (TF1's ``tf.nn.rnn_cell.RNNCell``).

    Subclasses implement ``call(inputs, state)`` and the ``state_size``/``output_size`` properties;
    a cell with weights creates them in ``build(inputs_shape)`` (called once, in the cell's scope)
    or with ``tf.get_variable`` inside ``call``.
    """

    def __init__(self, trainable: bool = True, name: Optional[str] = None, dtype: Any = None,
                 _reuse: Any = None, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments {sorted(kwargs)}")
        if not hasattr(self, "call") and type(self).__call__ is RNNCell.__call__:
            raise TypeError(f"Can't instantiate {type(self).__name__}: an RNNCell defines call(inputs, state) "
                            "(or __call__)")
        self.trainable = trainable
        self._base_name = name or _snake_case(type(self).__name__)
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        self._reuse = _reuse
        self._scope: Optional[VariableScope] = None
        self.built = False
        self._weights: list = []

    # -- the properties a cell defines -----------------------------------------------------------
    @property
    @abc.abstractmethod
    def state_size(self) -> Any:
        """The size(s) of the state: an int, a TensorShape or a (nested) tuple of them."""

    @property
    @abc.abstractmethod
    def output_size(self) -> Any:
        """The size of the output: an int or TensorShape."""

    @property
    def name(self) -> str:
        return self._scope.name.split("/")[-1] if self._scope is not None else self._base_name

    @property
    def dtype(self) -> Optional[dtypes.DType]:
        return self._dtype

    @property
    def scope_name(self) -> Optional[str]:
        """The full variable scope of the cell's weights (set by its first call)."""
        return self._scope.name if self._scope is not None else None

    @property
    def variables(self) -> list:
        return list(self._weights)

    weights = variables

    @property
    def trainable_variables(self) -> list:
        trainable = set(get_default_graph().get_collection("trainable_variables"))
        return [v for v in self._weights if v in trainable] if self.trainable else []

    trainable_weights = trainable_variables

    def build(self, inputs_shape: TensorShape) -> None:
        """Creates the cell's weights; called once, inside the cell's scope, before the first ``call``."""
        self.built = True

    # -- calling ---------------------------------------------------------------------------------
    def _track(self, getter: Callable, name: str, *args: Any, **kwargs: Any) -> Any:
        var = getter(name, *args, **kwargs)
        if all(var is not v for v in self._weights):
            self._weights.append(var)
        return var

    def add_variable(self, name: str, shape: Any, dtype: Any = None, initializer: Any = None,
                     trainable: bool = True, **kwargs: Any) -> Any:
        """A weight of this cell in its scope (``tf.get_variable``; the cell's dtype by default)."""
        return get_variable(name, shape, dtype=dtype or self._dtype, initializer=initializer,
                            trainable=trainable and self.trainable, **kwargs)

    add_weight = add_variable

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        if self._scope is None:
            reuse = self._reuse
            if scope is not None or reuse:
                ctx = variable_scope(scope if scope is not None else self._base_name)
            else:
                ctx = variable_scope(None, default_name=self._base_name)
            with ctx as captured:
                self._scope = captured
        first = not self.built
        with variable_scope(self._scope, reuse=True if not first else self._reuse, custom_getter=self._track):
            if self._dtype is None:
                flat = [convert_to_tensor(x) for x in nest.flatten(inputs)]
                self._dtype = flat[0].dtype if flat else dtypes.float32
            if first:
                self._build_from(inputs)
            return self.call(inputs, state)

    def _build_from(self, inputs: Any) -> None:
        flat = nest.flatten(inputs)
        shape = convert_to_tensor(flat[0]).shape if len(flat) == 1 else TensorShape(None)
        self.build(shape)
        self.built = True

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """Zeros shaped like the state for ``batch_size`` rows (a tensor or structure of tensors)."""
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return zero_state_tensors(self.state_size, batch_size, dtype)

    def get_initial_state(self, inputs: Any = None, batch_size: Any = None, dtype: Any = None) -> Any:
        """``zero_state`` for the batch size and dtype of ``inputs`` (or the ones given)."""
        if inputs is not None:
            inputs = convert_to_tensor(inputs, name="inputs")
            batch_size = inputs.shape[0].value if inputs.shape.ndims else None
            batch_size = batch_size if batch_size is not None else array.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError(f"batch_size and dtype cannot be None while constructing initial state: "
                             f"batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)


LayerRNNCell = RNNCell


def _check_float(cell: RNNCell, values: Any) -> None:
    for t in nest.flatten(values):
        t = convert_to_tensor(t)
        if not t.dtype.is_floating:
            raise ValueError(f"RNN cell only supports floating point inputs, but received dtype: {t.dtype.name} "
                             f"({t.name} given to {cell.name})")


def _input_depth(cell: RNNCell, inputs_shape: TensorShape) -> int:
    dims = inputs_shape.as_tuple()
    if dims is not None and len(dims) != 2:
        raise ValueError(f"Input 0 of layer {cell.name} is incompatible with the layer: expected ndim=2, found "
                         f"ndim={len(dims)}. Full shape received: {inputs_shape}")
    if dims is None or dims[-1] is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, received shape: {inputs_shape}")
    return dims[-1]


def _activation(activation: Optional[Callable]) -> Callable:
    return activation if activation else m.tanh


def _affine(cell: RNNCell, inputs: Tensor, h: Tensor, kernel: Any, bias: Any) -> Tensor:
    """``concat([inputs, h], 1) @ kernel + bias``, TF1's cell arithmetic."""
    _check_float(cell, [inputs, h])
    return nn.bias_add(linalg.matmul(join_split.concat([inputs, h], 1), kernel), bias)


class BasicRNNCell(RNNCell):
    """``h' = activation(concat([x, h]) @ kernel + bias)`` (default tanh)."""

    def __init__(self, num_units: int, activation: Optional[Callable] = None, reuse: Any = None,
                 name: Optional[str] = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._activation = _activation(activation)

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth = _input_depth(self, inputs_shape)
        self._kernel = self.add_variable("kernel", [depth + self._num_units, self._num_units])
        self._bias = self.add_variable("bias", [self._num_units], initializer=initializers.Zeros(self._dtype))
        self.built = True

    def call(self, inputs: Any, state: Any) -> tuple:
        output = self._activation(_affine(self, inputs, state, self._kernel, self._bias))
        return output, output


class GRUCell(RNNCell):
    """Gated recurrent unit (Cho et al. 2014) with TF1's ``gates/`` and ``candidate/`` weights."""

    def __init__(self, num_units: int, activation: Optional[Callable] = None, reuse: Any = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None, name: Optional[str] = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._activation = _activation(activation)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth, n = _input_depth(self, inputs_shape), self._num_units
        biases = self._bias_initializer
        self._gate_kernel = self.add_variable("gates/kernel", [depth + n, 2 * n], initializer=self._kernel_initializer)
        self._gate_bias = self.add_variable("gates/bias", [2 * n], initializer=biases if biases is not None
                                            else initializers.Constant(1.0, dtype=self._dtype))
        self._candidate_kernel = self.add_variable("candidate/kernel", [depth + n, n],
                                                   initializer=self._kernel_initializer)
        self._candidate_bias = self.add_variable("candidate/bias", [n], initializer=biases if biases is not None
                                                 else initializers.Zeros(self._dtype))
        self.built = True

    def call(self, inputs: Any, state: Any) -> tuple:
        value = m.sigmoid(_affine(self, inputs, state, self._gate_kernel, self._gate_bias))
        r, u = join_split.split(value, 2, axis=1)
        c = self._activation(_affine(self, inputs, r * state, self._candidate_kernel, self._candidate_bias))
        new_h = u * state + (1 - u) * c
        return new_h, new_h


_LSTMStateTupleBase = collections.namedtuple("LSTMStateTuple", ("c", "h"))


class LSTMStateTuple(_LSTMStateTupleBase):
    """``(c, h)``: an LSTM's cell state and output (TF1's ``tf.nn.rnn_cell.LSTMStateTuple``)."""

    __slots__ = ()

    @property
    def dtype(self) -> dtypes.DType:
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent dtypes for internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


def _split_state(state: Any, sizes: tuple, is_tuple: bool) -> tuple:
    """``(c, h)`` from an ``LSTMStateTuple`` or from a concatenated ``[batch, c + h]`` state."""
    if is_tuple:
        c, h = state
        return c, h
    state = convert_to_tensor(state)
    return array.slice(state, [0, 0], [-1, sizes[0]]), array.slice(state, [0, sizes[0]], [-1, sizes[1]])


def _join_state(c: Tensor, h: Tensor, is_tuple: bool) -> Any:
    return LSTMStateTuple(c, h) if is_tuple else join_split.concat([c, h], 1)


class BasicLSTMCell(RNNCell):
    """LSTM (Hochreiter & Schmidhuber 1997) without peepholes or projection; gates ``i, j, f, o``
    in that order in ``kernel``'s columns, ``forget_bias`` added to ``f``."""

    def __init__(self, num_units: int, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Optional[Callable] = None, reuse: Any = None, name: Optional[str] = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)

    @property
    def state_size(self) -> Any:
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth, n = _input_depth(self, inputs_shape), self._num_units
        self._kernel = self.add_variable("kernel", [depth + n, 4 * n])
        self._bias = self.add_variable("bias", [4 * n], initializer=initializers.Zeros(self._dtype))
        self.built = True

    def call(self, inputs: Any, state: Any) -> tuple:
        c, h = _split_state(state, (self._num_units, self._num_units), self._state_is_tuple)
        i, j, f, o = join_split.split(_affine(self, inputs, h, self._kernel, self._bias), 4, axis=1)
        forget_bias = convert_to_tensor(self._forget_bias, dtype=f.dtype)
        new_c = c * m.sigmoid(f + forget_bias) + m.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * m.sigmoid(o)
        return new_h, _join_state(new_c, new_h, self._state_is_tuple)


class LSTMCell(RNNCell):
    """LSTM with optional peepholes (``w_f_diag``, ``w_i_diag``, ``w_o_diag``), cell clipping and a
    projection of the output (``projection/kernel``, optionally clipped) — TF1's ``LSTMCell``."""

    def __init__(self, num_units: int, use_peepholes: bool = False, cell_clip: Optional[float] = None,
                 initializer: Any = None, num_proj: Optional[int] = None, proj_clip: Optional[float] = None,
                 num_unit_shards: Any = None, num_proj_shards: Any = None, forget_bias: float = 1.0,
                 state_is_tuple: bool = True, activation: Optional[Callable] = None, reuse: Any = None,
                 name: Optional[str] = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise ValueError("LSTMCell: num_unit_shards/num_proj_shards (partitioned weights) are not supported; "
                             "leave them None")
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)
        h = num_proj if num_proj else num_units
        self._state_size = LSTMStateTuple(num_units, h) if state_is_tuple else num_units + h
        self._output_size = h

    @property
    def state_size(self) -> Any:
        return self._state_size

    @property
    def output_size(self) -> int:
        return self._output_size

    def build(self, inputs_shape: TensorShape) -> None:
        depth, n = _input_depth(self, inputs_shape), self._num_units
        init = self._initializer
        self._kernel = self.add_variable("kernel", [depth + self._output_size, 4 * n], initializer=init)
        self._bias = self.add_variable("bias", [4 * n], initializer=initializers.Zeros(self._dtype))
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", [n], initializer=init)
            self._w_i_diag = self.add_variable("w_i_diag", [n], initializer=init)
            self._w_o_diag = self.add_variable("w_o_diag", [n], initializer=init)
        if self._num_proj is not None:
            self._proj_kernel = self.add_variable("projection/kernel", [n, self._num_proj], initializer=init)
        self.built = True

    def call(self, inputs: Any, state: Any) -> tuple:
        c_prev, m_prev = _split_state(state, (self._num_units, self._output_size), self._state_is_tuple)
        i, j, f, o = join_split.split(_affine(self, inputs, m_prev, self._kernel, self._bias), 4, axis=1)
        act = self._activation
        if self._use_peepholes:
            c = (m.sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
                 + m.sigmoid(i + self._w_i_diag * c_prev) * act(j))
        else:
            c = m.sigmoid(f + self._forget_bias) * c_prev + m.sigmoid(i) * act(j)
        if self._cell_clip is not None:
            c = m.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            h = m.sigmoid(o + self._w_o_diag * c) * act(c)
        else:
            h = m.sigmoid(o) * act(c)
        if self._num_proj is not None:
            h = linalg.matmul(h, self._proj_kernel)
            if self._proj_clip is not None:
                h = m.clip_by_value(h, -self._proj_clip, self._proj_clip)
        return h, _join_state(c, h, self._state_is_tuple)


class MultiRNNCell(RNNCell):
    """Cells stacked in layers: layer ``i`` runs in scope ``cell_<i>`` and feeds the next one."""

    def __init__(self, cells: Any, state_is_tuple: bool = True) -> None:
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not isinstance(cells, (list, tuple)):
            raise TypeError(f"cells must be a list or tuple, but received: {cells}.")
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(nest.is_sequence(c.state_size) for c in self._cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple is not set. "
                             f"State sizes are: {[c.state_size for c in self._cells]}")

    @property
    def state_size(self) -> Any:
        sizes = tuple(cell.state_size for cell in self._cells)
        return sizes if self._state_is_tuple else sum(sizes)

    @property
    def output_size(self) -> Any:
        return self._cells[-1].output_size

    @property
    def variables(self) -> list:
        return [v for cell in self._cells for v in cell.variables]

    weights = variables

    @property
    def trainable_variables(self) -> list:
        return [v for cell in self._cells for v in cell.trainable_variables] if self.trainable else []

    trainable_weights = trainable_variables

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return zero_state_tensors(self.state_size, batch_size, dtype)

    def call(self, inputs: Any, state: Any) -> tuple:
        position, current, new_states = 0, inputs, []
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not nest.is_sequence(state):
                        raise ValueError(f"Expected state to be a tuple of length {len(self.state_size)}, but "
                                         f"received: {state}")
                    cell_state = state[i]
                else:
                    cell_state = array.slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                current, new_state = cell(current, cell_state)
                new_states.append(new_state)
        return current, (tuple(new_states) if self._state_is_tuple else join_split.concat(new_states, 1))


def assert_like_rnncell(cell_name: str, cell: Any) -> None:
    """TypeError unless ``cell`` has what an RNN cell needs (``output_size``, ``state_size``, callable)."""
    missing = [what for what, ok in (("'output_size' property is missing", hasattr(cell, "output_size")),
                                     ("'state_size' property is missing", hasattr(cell, "state_size")),
                                     ("either 'zero_state' or 'get_initial_state' method is required",
                                      hasattr(cell, "zero_state") or hasattr(cell, "get_initial_state")),
                                     ("is not callable", callable(cell))) if not ok]
    if missing:
        raise TypeError(f"The argument {cell_name!r} ({cell}) is not an RNNCell: {', '.join(missing)}.")


__all__ = ["RNNCell", "LayerRNNCell", "BasicRNNCell", "GRUCell", "LSTMStateTuple", "BasicLSTMCell", "LSTMCell",
           "MultiRNNCell", "assert_like_rnncell"]
