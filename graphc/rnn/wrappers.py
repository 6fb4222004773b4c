"""Cells that wrap another cell: ``DropoutWrapper``, ``ResidualWrapper``, ``DeviceWrapper`` (TF1's).

A wrapper opens no variable scope of its own: the wrapped cell's weights keep the names they
would have unwrapped (``rnn/basic_lstm_cell/kernel``), so checkpoints line up with TF1's.
"""
from __future__ import annotations

import abc
import hashlib
import numbers
from typing import Any, Callable, Optional

from graphc.graph import device, get_default_graph
from graphc.ops import nn
from graphc.ops import math as m
from graphc.ops import random as rnd
from graphc.ops.core import constant_value, convert_to_tensor
from graphc.control_flow import nest
from graphc.rnn.cells import LSTMStateTuple, RNNCell, assert_like_rnncell


class _Wrapper(RNNCell, abc.ABC):
    """A cell around ``cell``: same state and output sizes, calls go through ``_call_wrapped_cell``."""

    def __init__(self, cell: Any, dtype: Any = None) -> None:
        super().__init__(dtype=dtype)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def wrapped_cell(self) -> Any:
        return self.cell

    @property
    def state_size(self) -> Any:
        return self.cell.state_size

    @property
    def output_size(self) -> Any:
        return self.cell.output_size

    @property
    def variables(self) -> list:
        return list(getattr(self.cell, "variables", []))

    weights = variables

    @property
    def trainable_variables(self) -> list:
        return list(getattr(self.cell, "trainable_variables", []))

    trainable_weights = trainable_variables

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        return self._call_wrapped_cell(inputs, state, self.cell.__call__, scope=scope)

    @abc.abstractmethod
    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable, **kwargs: Any) -> tuple:
        """The wrapper's rule around ``cell_call_fn(inputs, state)`` (each wrapper defines it)."""


def _default_dropout_state_filter_visitor(substate: Any) -> Any:
    """TF1's default: an LSTM's cell state ``c`` is never dropped, only ``h``; everything else is."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    return True


def _dropout_mask(visitor: Callable, value: Any) -> Any:
    """A structure like ``value`` of bools: which leaves the state filter lets dropout touch."""
    verdict = visitor(value)
    if isinstance(verdict, bool):
        if not verdict or not nest.is_sequence(value):
            return nest.map_structure(lambda _: verdict, value)
        return nest.pack_sequence_as(value, nest.flatten(
            [_dropout_mask(visitor, child) for child in nest._children(value)]))
    children = nest._children(value)
    verdicts = nest._children(verdict)
    if len(children) != len(verdicts):
        raise ValueError(f"dropout_state_filter_visitor returned {verdict!r}, which does not match the state "
                         f"{value!r}")
    masks = [(_dropout_mask(visitor, c) if v else nest.map_structure(lambda _: False, c))
             for c, v in zip(children, verdicts)]
    return nest.pack_sequence_as(value, [b for mask in masks for b in nest.flatten(mask)])


class DropoutWrapper(_Wrapper):
    """Dropout on the wrapped cell's inputs, outputs and new state, each with its own keep probability.

    ``seed`` makes the masks repeatable (each part draws with a seed derived from it, as TF1); with
    ``variational_recurrent=True`` one mask per part is drawn when the wrapper is built and used at
    every time step (then ``dtype`` and, for input dropout, ``input_size`` are required).
    """

    def __init__(self, cell: Any, input_keep_prob: Any = 1.0, output_keep_prob: Any = 1.0,
                 state_keep_prob: Any = 1.0, variational_recurrent: bool = False, input_size: Any = None,
                 dtype: Any = None, seed: Optional[int] = None,
                 dropout_state_filter_visitor: Optional[Callable] = None) -> None:
        super().__init__(cell, dtype=dtype)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError(f"dropout_state_filter_visitor must be callable. Received: {dropout_state_filter_visitor}")
        self._state_filter = dropout_state_filter_visitor or _default_dropout_state_filter_visitor
        with get_default_graph().name_scope("DropoutWrapperInit"):
            for attr, prob in (("input", input_keep_prob), ("state", state_keep_prob), ("output", output_keep_prob)):
                tensor = convert_to_tensor(prob)
                known = constant_value(tensor)
                if known is not None:
                    if not 0 <= float(known) <= 1:
                        raise ValueError(f"Parameter {attr}_keep_prob must be between 0 and 1. Received {float(known)}")
                    setattr(self, f"_{attr}_keep_prob", float(known))
                else:
                    setattr(self, f"_{attr}_keep_prob", tensor)
        self._variational_recurrent = variational_recurrent
        self._seed = seed
        self._noise: dict = {}
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")
            if not isinstance(self._input_keep_prob, numbers.Real) or self._input_keep_prob < 1.0:
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < 1.0 or is unknown, "
                                     "input_size must be provided")
                self._noise["input"] = self._batch_noise("input", input_size, dtype)
            self._noise["state"] = self._batch_noise("state", cell.state_size, dtype)
            self._noise["output"] = self._batch_noise("output", cell.output_size, dtype)

    def _gen_seed(self, salt_prefix: str, index: int) -> Optional[int]:
        """TF1's per-part seed: the first 8 hex digits of md5(seed + salt), as a non-negative int32."""
        if self._seed is None:
            return None
        salt = f"{self._seed}{salt_prefix}_{index}".encode()
        return int(hashlib.md5(salt).hexdigest()[:8], 16) & 0x7FFFFFFF

    def _batch_noise(self, salt_prefix: str, sizes: Any, dtype: Any) -> Any:
        flat = nest.flatten(sizes)
        noise = [rnd.random_uniform([1] + (list(s) if isinstance(s, (list, tuple)) else [s]),
                                    seed=self._gen_seed(salt_prefix, i), dtype=dtype) for i, s in enumerate(flat)]
        return nest.pack_sequence_as(sizes, noise)

    def _dropout(self, values: Any, salt_prefix: str, keep_prob: Any, mask: Any = None) -> Any:
        mask = mask if mask is not None else nest.map_structure(lambda _: True, values)
        noise = self._noise.get(salt_prefix)
        flat_noise = nest.flatten(noise) if noise is not None else None
        out = []
        for i, (do, v) in enumerate(zip(nest.flatten(mask), nest.flatten(values))):
            if not do:
                out.append(v)
            elif flat_noise is None:
                out.append(nn.dropout(v, rate=1.0 - keep_prob, seed=self._gen_seed(salt_prefix, i)))
            else:   # one mask for every step: floor(keep + uniform) is 1 with probability keep
                kept = m.floor(keep_prob + flat_noise[i])
                dropped = m.divide(v, keep_prob) * kept
                dropped.set_shape(convert_to_tensor(v).shape)
                out.append(dropped)
        return nest.pack_sequence_as(values, out)

    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable, **kwargs: Any) -> tuple:
        def active(p: Any) -> bool:
            return not isinstance(p, float) or p < 1

        if active(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._input_keep_prob)
        output, new_state = cell_call_fn(inputs, state, **kwargs)
        if active(self._state_keep_prob):
            new_state = self._dropout(new_state, "state", self._state_keep_prob,
                                      _dropout_mask(self._state_filter, new_state))
        if active(self._output_keep_prob):
            output = self._dropout(output, "output", self._output_keep_prob)
        return output, new_state


class ResidualWrapper(_Wrapper):
    """The wrapped cell's output plus its input (``residual_fn(inputs, outputs)`` if given)."""

    def __init__(self, cell: Any, residual_fn: Optional[Callable] = None) -> None:
        super().__init__(cell)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable, **kwargs: Any) -> tuple:
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)

        def add(inp: Any, out: Any) -> Any:
            inp, out = convert_to_tensor(inp), convert_to_tensor(out)
            if not inp.shape.is_compatible_with(out.shape):
                raise ValueError(f"ResidualWrapper: the input {inp.name} {inp.shape} and the cell's output "
                                 f"{out.name} {out.shape} must have the same shape to be added")
            return inp + out
        if self._residual_fn is not None:
            return self._residual_fn(inputs, outputs), new_state
        return nest.map_structure(add, inputs, outputs), new_state


class DeviceWrapper(_Wrapper):
    """Builds the wrapped cell's ops (and its zero state) under ``tf.device(device)``."""

    def __init__(self, cell: Any, device: str) -> None:
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"), device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable, **kwargs: Any) -> tuple:
        with device(self._device):
            return cell_call_fn(inputs, state, **kwargs)


__all__ = ["DropoutWrapper", "ResidualWrapper", "DeviceWrapper"]
