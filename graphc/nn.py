"""``tf.nn``: activations, softmax family, losses on logits, bias_add."""
from __future__ import annotations

from graphc.ops.math import elu, relu, sigmoid, softplus, tanh  # noqa: F401
