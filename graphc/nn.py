"""``tf.nn``: activations, softmax family, losses on logits, bias_add, convolution, pooling, dropout."""
from __future__ import annotations

from graphc.ops.conv import (  # noqa: F401
    avg_pool, conv2d, conv2d_backprop_filter, conv2d_backprop_input, max_pool)
from graphc.ops.sequence import in_top_k  # noqa: F401
from graphc.ops.math import elu, relu, sigmoid, softplus, tanh  # noqa: F401
from graphc.ops.nn import (  # noqa: F401
    batch_normalization, bias_add, dropout, embedding_lookup, l2_loss, leaky_relu, log_softmax, moments, relu6,
    sigmoid_cross_entropy_with_logits, softmax, softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2, softsign, sparse_softmax_cross_entropy_with_logits)
from graphc.ops.sparse import embedding_lookup_sparse  # noqa: F401
