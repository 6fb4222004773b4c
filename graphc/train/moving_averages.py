"""``tf.train.ExponentialMovingAverage``: shadow variables that track variables or tensors
(``shadow -= (1 - decay) * (shadow - value)`` each time the ``apply`` op runs), as TF1's
``training/moving_averages.py``."""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.graph import GraphKeys, Operation, Tensor, add_to_collection, get_default_graph
from graphc.ops import array, source, state
from graphc.ops import math as m
from graphc.ops.core import convert_to_tensor
from graphc.variables import Variable, global_variables, trainable_variables

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def _is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def _zero_debiased_update(shadow: Variable, value: Tensor, one_minus_decay: Tensor) -> Tensor:
    """Updates ``shadow`` to a biased EMA (started at 0) divided by ``1 - decay ** t``: TF's
    ``_zero_debias``, with its ``biased`` and ``local_step`` variables under the shadow's name."""
    graph = get_default_graph()
    base = shadow.op.name
    with graph.control_dependencies(None), graph.name_scope(None):
        biased = Variable(lambda: array.zeros(shadow.shape.as_list(), shadow.dtype), trainable=False,
                          name=base + "/biased")
        local_step = Variable(lambda: array.zeros([], shadow.dtype), trainable=False, name=base + "/local_step")
    with graph.name_scope(base + "/"):
        update_biased = state.assign_sub(biased, m.multiply(m.subtract(biased._graph_tensor(), value),
                                                            one_minus_decay))
        update_step = state.assign_add(local_step, m.cast(1, shadow.dtype))
        bias_factor = 1 - m.pow(1.0 - one_minus_decay, update_step)
        return state.assign(shadow, m.truediv(update_biased, bias_factor))


def assign_moving_average(variable: Variable, value: Any, decay: Any, zero_debias: bool = True,
                          name: Optional[str] = None) -> Tensor:
    """``variable -= (1 - decay) * (variable - value)``; with ``zero_debias`` the average of a
    variable started at zero, divided by ``1 - decay ** t`` (TF1's ``assign_moving_average``)."""
    with get_default_graph().name_scope(name or "AssignMovingAvg") as scope:
        one_minus = convert_to_tensor(1.0 - convert_to_tensor(decay), name="decay")
        if one_minus.dtype is not variable.dtype.base_dtype:
            one_minus = m.cast(one_minus, variable.dtype.base_dtype)
        value = convert_to_tensor(value)
        if zero_debias:
            return _zero_debiased_update(variable, value, one_minus)
        return state.assign_sub(variable, m.multiply(m.subtract(variable._graph_tensor(), value), one_minus),
                                name=scope)


class ExponentialMovingAverage:
    """Moving averages of variables and tensors; ``apply`` makes the update op, ``average`` the shadow.

    With ``num_updates`` the decay used is ``min(decay, (1 + num_updates) / (10 + num_updates))``, so
    early averages move faster."""

    def __init__(self, decay: Any, num_updates: Any = None, zero_debias: bool = False,
                 name: str = "ExponentialMovingAverage") -> None:
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages: dict = {}  # id(variable or tensor) -> (it, its shadow Variable)

    @property
    def name(self) -> str:
        """The name of this average, the suffix of its shadow variables' names."""
        return self._name

    def apply(self, var_list: Any = None) -> Operation:
        """Creates shadow variables for ``var_list`` (default: the trainable variables) and returns the
        op that updates them all. A variable's shadow starts at its initial value, a tensor's at zero."""
        var_list = list(trainable_variables() if var_list is None else var_list)
        graph = get_default_graph()
        debiased = set()
        for var in var_list:
            if var.dtype.base_dtype not in _FLOATS:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if id(var) in self._averages:
                raise ValueError(f"Moving average already computed for: {var.name}")
            with graph.control_dependencies(None), graph.name_scope(None):
                if _is_variable(var):
                    avg = Variable(var.initialized_value(), trainable=False, name=var.op.name + "/" + self._name)
                    add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
                else:
                    if not var.shape.is_fully_defined():
                        raise ValueError(f"Shape of a tensor to average must be fully defined: {var.name} "
                                         f"has shape {var.shape}")
                    shape, dtype = var.shape.as_list(), var.dtype.base_dtype
                    avg = Variable(lambda shape=shape, dtype=dtype: array.zeros(shape, dtype), trainable=False,
                                   name=var.op.name + "/" + self._name)
                    if self._zero_debias:
                        debiased.add(id(var))
            self._averages[id(var)] = (var, avg)
        with graph.name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, name="decay")
            if self._num_updates is not None:
                n = m.cast(self._num_updates, dtypes.float32, name="num_updates")
                decay = m.minimum(decay, m.truediv(1.0 + n, 10.0 + n))
            updates = [assign_moving_average(self._averages[id(v)][1], v, decay, zero_debias=id(v) in debiased)
                       for v in var_list]
            return source.group(*updates, name=scope)

    def average(self, var: Any) -> Optional[Variable]:
        """The shadow variable of ``var``, or None if ``apply`` has not seen it."""
        found = self._averages.get(id(var))
        return found[1] if found else None

    def average_name(self, var: Any) -> str:
        """The name of ``var``'s shadow variable (what a checkpoint stores it under)."""
        found = self._averages.get(id(var))
        if found:
            return found[1].op.name
        return var.op.name + "/" + self._name

    def variables_to_restore(self, moving_avg_variables: Any = None) -> dict:
        """A Saver's name map that loads the averages into the variables themselves: each averaged
        variable (default: trainable and MOVING_AVERAGE_VARIABLES) under its shadow's name, every
        other global variable under its own name."""
        if moving_avg_variables is None:
            moving_avg_variables = (trainable_variables()
                                    + get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES))
        unique = list({id(v): v for v in moving_avg_variables}.values())
        name_map = {self.average_name(v): v for v in unique}
        averaged_names = {v.name for v in unique}
        for v in global_variables():
            if v.name not in averaged_names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map


__all__ = ["ExponentialMovingAverage", "assign_moving_average"]
