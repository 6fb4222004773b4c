"""``tf.train.GradientDescentOptimizer``: ``var -= learning_rate * grad``."""
from __future__ import annotations

from typing import Any

from graphc.graph import Operation, Tensor
from graphc.ops import state
from graphc.train.optimizer import Optimizer


class GradientDescentOptimizer(Optimizer):
    """Plain gradient descent (TF1 ``ApplyGradientDescent``)."""

    def __init__(self, learning_rate: Any, use_locking: bool = False, name: str = "GradientDescent") -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _hyperparameters(self) -> dict:
        return {"learning_rate": self._learning_rate}

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        lr = self._get_hyper("learning_rate", var)
        return state.assign_sub(var, lr * grad, name="ApplyGradientDescent").op


__all__ = ["GradientDescentOptimizer"]
