"""``tf.nn``: activations, softmax family, losses on logits (sampled ones too), bias_add, convolution
variants, pooling, dropout, top_k, candidate samplers."""
from __future__ import annotations

from graphc.ops.conv import (  # noqa: F401
    avg_pool, conv2d, conv2d_backprop_filter, conv2d_backprop_input, max_pool)
from graphc.ops.sequence import in_top_k  # noqa: F401
from graphc.ops.math import elu, relu, sigmoid, softplus, tanh  # noqa: F401
from graphc.ops.nn import (  # noqa: F401
    batch_normalization, bias_add, dropout, embedding_lookup, l2_loss, l2_normalize, leaky_relu, log_poisson_loss,
    log_softmax, moments, relu6, sigmoid_cross_entropy_with_logits, softmax, softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2, softsign, sparse_softmax_cross_entropy_with_logits,
    weighted_cross_entropy_with_logits, xw_plus_b)
from graphc.ops.selection import top_k  # noqa: F401
from graphc.ops.candidate_sampling import (  # noqa: F401
    log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss, uniform_candidate_sampler)
from graphc.ops.unigram_sampling import (  # noqa: F401
    fixed_unigram_candidate_sampler, learned_unigram_candidate_sampler)
from graphc.ops.conv_variants import (  # noqa: F401
    atrous_conv2d, conv1d, conv2d_transpose, depthwise_conv2d, local_response_normalization, lrn, separable_conv2d)
from graphc.ops.sparse import embedding_lookup_sparse  # noqa: F401
