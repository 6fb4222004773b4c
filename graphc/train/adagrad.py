"""``tf.train.AdagradOptimizer``: ``accum += grad^2; var -= lr * grad / sqrt(accum)``."""
from __future__ import annotations

from typing import Any

from graphc.graph import Operation, Tensor
from graphc.ops import math as m
from graphc.ops import state
from graphc.train.optimizer import Optimizer


class AdagradOptimizer(Optimizer):
    """Adagrad (TF1 ``ApplyAdagrad``); the accumulator starts at ``initial_accumulator_value``."""

    def __init__(self, learning_rate: Any, initial_accumulator_value: float = 0.1, use_locking: bool = False,
                 name: str = "Adagrad") -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _hyperparameters(self) -> dict:
        return {"learning_rate": self._learning_rate}

    def _create_slots(self, var_list: list) -> None:
        for v in var_list:
            self._slot_with_value(v, "accumulator", self._initial_accumulator_value)

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        lr = self._get_hyper("learning_rate", var)
        accum = state.assign_add(self._get_slot(var, "accumulator"), grad * grad)
        return state.assign_sub(var, grad * lr * m.rsqrt(accum), name="ApplyAdagrad").op


__all__ = ["AdagradOptimizer"]
