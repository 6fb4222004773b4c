"""Learning-rate schedules of the global step (TF1 ``tf.train.*_decay``, ``piecewise_constant``)."""
from __future__ import annotations

import math
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


def polynomial_decay(learning_rate: Any, global_step: Any, decay_steps: Any, end_learning_rate: Any = 0.0001,
                     power: Any = 1.0, cycle: bool = False, name: Optional[str] = None) -> Tensor:
    """``(learning_rate - end_learning_rate) * (1 - step / decay_steps) ^ power + end_learning_rate``, the
    step held at ``decay_steps`` (or, with ``cycle``, ``decay_steps`` stretched to the next multiple)."""
    if global_step is None:
        raise ValueError("global_step is required for polynomial_decay.")
    with get_default_graph().name_scope(name or "PolynomialDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        dtype = lr.dtype
        end_lr = m.cast(end_learning_rate, dtype)
        step = m.cast(global_step, dtype)
        steps = m.cast(decay_steps, dtype)
        if cycle:
            # the first cycle starts at step 0: ceil(0 / decay_steps) would make its length 0
            multiplier = m.where(m.equal(step, 0.0), m.cast(1.0, dtype), m.ceil(step / steps))
            steps = m.multiply(steps, multiplier)
        else:
            step = m.minimum(step, steps)
        p = m.truediv(step, steps)
        return m.add(m.multiply(lr - end_lr, m.pow(1 - p, m.cast(power, dtype))), end_lr, name=scope)


def natural_exp_decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
                      staircase: bool = False, name: Optional[str] = None) -> Tensor:
    """``learning_rate * exp(-decay_rate) ^ (global_step / decay_steps)`` (floored ratio if ``staircase``),
    computed as TF 2.x's compat ``natural_exp_decay`` does (an exponential decay of rate ``exp(-decay_rate)``)."""
    with get_default_graph().name_scope(name or "ExponentialDecay") as scope:
        lr, p = _decay_progress(learning_rate, global_step, decay_steps, staircase, "natural_exp_decay")
        rate = m.exp(m.negative(m.cast(decay_rate, lr.dtype)))
        return m.multiply(lr, m.pow(rate, p), name=scope)


def cosine_decay(learning_rate: Any, global_step: Any, decay_steps: Any, alpha: Any = 0.0,
                 name: Optional[str] = None) -> Tensor:
    """``learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)``."""
    if global_step is None:
        raise ValueError("cosine decay requires global_step")
    with get_default_graph().name_scope(name or "CosineDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        steps = m.cast(decay_steps, dtype)
        fraction = m.truediv(m.minimum(m.cast(global_step, dtype), steps), steps)
        cosine = 0.5 * (1.0 + m.cos(m.cast(math.pi, dtype) * fraction))
        # a Python alpha's 1 - alpha is computed in double before it meets the tensor, as in TF
        one_minus = 1.0 - alpha if isinstance(alpha, (int, float)) else 1 - m.cast(alpha, dtype)
        a = alpha if isinstance(alpha, (int, float)) else m.cast(alpha, dtype)
        return m.multiply(lr, one_minus * cosine + a, name=scope)


__all__ = ["cosine_decay", "exponential_decay", "inverse_time_decay", "natural_exp_decay", "piecewise_constant",
           "polynomial_decay"]
