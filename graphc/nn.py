"""``tf.nn``: activations, softmax family, losses on logits, bias_add."""
from __future__ import annotations

from graphc.ops.math import elu, relu, sigmoid, softplus, tanh  # noqa: F401
from graphc.ops.nn import (  # noqa: F401
    bias_add, l2_loss, leaky_relu, log_softmax, relu6, sigmoid_cross_entropy_with_logits, softmax,
    softmax_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2, softsign,
    sparse_softmax_cross_entropy_with_logits)
