"""``tf.train.AdadeltaOptimizer`` (Zeiler 2012) as TF1's ``ApplyAdadelta`` computes it."""
from __future__ import annotations

from typing import Any

from graphc.graph import Operation, Tensor
from graphc.ops import math as m
from graphc.ops import source, state
from graphc.train.optimizer import Optimizer


class AdadeltaOptimizer(Optimizer):
    """Adadelta::

        accum = rho * accum + (1 - rho) * grad^2
        update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad
        accum_update = rho * accum_update + (1 - rho) * update^2
        var -= lr * update
    """

    def __init__(self, learning_rate: Any = 0.001, rho: Any = 0.95, epsilon: Any = 1e-8, use_locking: bool = False,
                 name: str = "Adadelta") -> None:
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _hyperparameters(self) -> dict:
        return {"lr": self._lr, "rho": self._rho, "epsilon": self._epsilon}

    def _create_slots(self, var_list: list) -> None:
        for v in var_list:
            self._zeros_slot(v, "accum")
            self._zeros_slot(v, "accum_update")

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        lr, rho, eps = (self._get_hyper(k, var) for k in ("lr", "rho", "epsilon"))
        accum_slot, update_slot = self._get_slot(var, "accum"), self._get_slot(var, "accum_update")
        accum = state.assign(accum_slot, accum_slot * rho + grad * grad * (1 - rho))
        update = m.sqrt(update_slot + eps) * m.rsqrt(accum + eps) * grad
        new_update = state.assign(update_slot, update_slot * rho + update * update * (1 - rho))
        var_update = state.assign_sub(var, update * lr)
        return source.group(var_update, new_update, name="ApplyAdadelta")


__all__ = ["AdadeltaOptimizer"]
