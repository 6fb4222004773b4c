"""``tf.train.MomentumOptimizer``: ``accum = momentum * accum + grad; var -= lr * accum`` (or Nesterov)."""
from __future__ import annotations

from typing import Any

from graphc.graph import Operation, Tensor
from graphc.ops import state
from graphc.train.optimizer import Optimizer


class MomentumOptimizer(Optimizer):
    """Momentum SGD (TF1 ``ApplyMomentum``); ``use_nesterov`` uses ``lr * (grad + momentum * accum)``."""

    def __init__(self, learning_rate: Any, momentum: Any, use_locking: bool = False, name: str = "Momentum",
                 use_nesterov: bool = False) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _hyperparameters(self) -> dict:
        return {"learning_rate": self._learning_rate, "momentum": self._momentum}

    def _create_slots(self, var_list: list) -> None:
        for v in var_list:
            self._zeros_slot(v, "momentum")

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        lr = self._get_hyper("learning_rate", var)
        momentum = self._get_hyper("momentum", var)
        accum = state.assign(self._get_slot(var, "momentum"), self._get_slot(var, "momentum") * momentum + grad)
        if self._use_nesterov:
            step = grad * lr + accum * momentum * lr
        else:
            step = lr * accum
        return state.assign_sub(var, step, name="ApplyMomentum").op


__all__ = ["MomentumOptimizer"]
