"""``tf.train.AdamOptimizer`` (Kingma & Ba) in TF1's form, with "epsilon hat" added to ``sqrt(v)``."""
from __future__ import annotations

from typing import Any

from graphc.graph import Operation, Tensor
from graphc.ops import math as m
from graphc.ops import source, state
from graphc.train.optimizer import Optimizer, variable_tensor


class AdamOptimizer(Optimizer):
    """Adam::

        lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
        m = m + (grad - m) * (1 - beta1)
        v = v + (grad^2 - v) * (1 - beta2)
        var -= lr_t * m / (sqrt(v) + epsilon)

    ``beta1^t`` and ``beta2^t`` are the non-trainable variables ``beta1_power``/``beta2_power``,
    shared by all variables and multiplied by the betas after every variable has been updated.
    """

    def __init__(self, learning_rate: Any = 0.001, beta1: Any = 0.9, beta2: Any = 0.999, epsilon: Any = 1e-8,
                 use_locking: bool = False, name: str = "Adam") -> None:
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon

    def _hyperparameters(self) -> dict:
        return {"learning_rate": self._lr, "beta1": self._beta1, "beta2": self._beta2, "epsilon": self._epsilon}

    def _beta_powers(self, graph) -> tuple:
        return (self._non_slot("beta1_power", self._beta1, graph), self._non_slot("beta2_power", self._beta2, graph))

    def _create_slots(self, var_list: list) -> None:
        self._beta_powers(variable_tensor(var_list[0]).graph)
        for v in var_list:
            self._zeros_slot(v, "m")
            self._zeros_slot(v, "v")

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        dtype = variable_tensor(var).dtype
        beta1_power, beta2_power = (m.cast(p, dtype) for p in self._beta_powers(variable_tensor(var).graph))
        lr, beta1, beta2, eps = (self._get_hyper(k, var) for k in ("learning_rate", "beta1", "beta2", "epsilon"))
        m_slot, v_slot = self._get_slot(var, "m"), self._get_slot(var, "v")
        lr_t = lr * m.sqrt(1 - beta2_power) / (1 - beta1_power)
        m_t = state.assign_add(m_slot, (grad - m_slot) * (1 - beta1))
        v_t = state.assign_add(v_slot, (grad * grad - v_slot) * (1 - beta2))
        return state.assign_sub(var, m_t * lr_t / (m.sqrt(v_t) + eps), name="ApplyAdam").op

    def _finish(self, update_ops: list, name: str) -> Operation:
        graph = update_ops[0].graph
        beta1_power, beta2_power = self._beta_powers(graph)
        with graph.control_dependencies(update_ops):
            new_beta1 = state.assign(beta1_power, beta1_power * m.cast(self._hyper["beta1"], beta1_power.dtype))
            new_beta2 = state.assign(beta2_power, beta2_power * m.cast(self._hyper["beta2"], beta2_power.dtype))
        return source.group(*update_ops, new_beta1, new_beta2, name=name)


__all__ = ["AdamOptimizer"]
