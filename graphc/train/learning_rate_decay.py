"""Learning-rate schedules of the global step (TF1 ``tf.train.*_decay``, ``piecewise_constant``)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from graphc.graph import Tensor, get_default_graph
from graphc.ops import math as m
from graphc.ops.core import convert_to_tensor


def _decay_progress(learning_rate: Any, global_step: Any, decay_steps: Any, staircase: bool,
                    schedule: str) -> tuple:
    """(learning rate tensor, global_step / decay_steps as its dtype, floored if ``staircase``)."""
    if global_step is None:
        raise ValueError(f"global_step is required for {schedule}.")
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    progress = m.cast(global_step, lr.dtype) / m.cast(decay_steps, lr.dtype)
    return lr, (m.floor(progress) if staircase else progress)


def exponential_decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
                      staircase: bool = False, name: Optional[str] = None) -> Tensor:
    """``learning_rate * decay_rate ^ (global_step / decay_steps)`` (integer division if ``staircase``)."""
    with get_default_graph().name_scope(name or "ExponentialDecay") as scope:
        lr, p = _decay_progress(learning_rate, global_step, decay_steps, staircase, "exponential_decay")
        return m.multiply(lr, m.pow(m.cast(decay_rate, lr.dtype), p), name=scope)


def inverse_time_decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
                       staircase: bool = False, name: Optional[str] = None) -> Tensor:
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (floored ratio if ``staircase``)."""
    with get_default_graph().name_scope(name or "InverseTimeDecay") as scope:
        lr, p = _decay_progress(learning_rate, global_step, decay_steps, staircase, "inverse_time_decay")
        return m.truediv(lr, 1 + m.cast(decay_rate, lr.dtype) * p, name=scope)


def piecewise_constant(x: Any, boundaries: Sequence[Any], values: Sequence[Any], name: Optional[str] = None) -> Tensor:
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` for ``boundaries[i-1] < x <= boundaries[i]``,
    ``values[-1]`` after the last boundary."""
    if len(boundaries) != len(values) - 1:
        raise ValueError(f"The length of boundaries ({len(boundaries)}) should be 1 less than the length of "
                         f"values ({len(values)}).")
    with get_default_graph().name_scope(name or "PiecewiseConstant") as scope:
        x = convert_to_tensor(x)
        vals = [convert_to_tensor(v) for v in values]
        dtype = vals[0].dtype
        for v in vals[1:]:
            if v.dtype is not dtype:
                raise ValueError(f"Values must have elements all with the same dtype ({dtype.name} vs {v.dtype.name}).")
        result = vals[-1]
        last = len(boundaries) - 1
        for i in range(last, -1, -1):
            bound = m.cast(convert_to_tensor(boundaries[i]), x.dtype)
            result = m.where(m.less_equal(x, bound), vals[i], result, name=scope if i == 0 else None)
        return result


__all__ = ["exponential_decay", "inverse_time_decay", "piecewise_constant"]
