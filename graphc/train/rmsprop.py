"""``tf.train.RMSPropOptimizer`` as TF1's ``ApplyRMSProp`` / ``ApplyCenteredRMSProp`` compute it."""
from __future__ import annotations

from typing import Any

from graphc.graph import Operation, Tensor
from graphc.ops import math as m
from graphc.ops import state
from graphc.train.optimizer import Optimizer


class RMSPropOptimizer(Optimizer):
    """RMSProp::

        rms = rms + (grad^2 - rms) * (1 - decay)          # the "rms" slot starts at ONE, as in TF1
        mg = mg + (grad - mg) * (1 - decay)                # centered only
        mom = momentum * mom + lr * grad / sqrt(rms [- mg^2] + epsilon)
        var -= mom
    """

    def __init__(self, learning_rate: Any, decay: Any = 0.9, momentum: Any = 0.0, epsilon: Any = 1e-10,
                 use_locking: bool = False, centered: bool = False, name: str = "RMSProp") -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered

    def _hyperparameters(self) -> dict:
        return {"learning_rate": self._learning_rate, "decay": self._decay, "momentum": self._momentum,
                "epsilon": self._epsilon}

    def _create_slots(self, var_list: list) -> None:
        for v in var_list:
            self._slot_with_value(v, "rms", 1.0)
            if self._centered:
                self._zeros_slot(v, "mg")
            self._zeros_slot(v, "momentum")

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        lr, decay, momentum, eps = (self._get_hyper(k, var) for k in ("learning_rate", "decay", "momentum", "epsilon"))
        rms_slot, mom_slot = self._get_slot(var, "rms"), self._get_slot(var, "momentum")
        rms = state.assign_add(rms_slot, (grad * grad - rms_slot) * (1 - decay))
        denominator = rms
        if self._centered:
            mg_slot = self._get_slot(var, "mg")
            mg = state.assign_add(mg_slot, (grad - mg_slot) * (1 - decay))
            denominator = rms - mg * mg
        mom = state.assign(mom_slot, mom_slot * momentum + grad * lr / m.sqrt(denominator + eps))
        name = "ApplyCenteredRMSProp" if self._centered else "ApplyRMSProp"
        return state.assign_sub(var, mom, name=name).op


__all__ = ["RMSPropOptimizer"]
