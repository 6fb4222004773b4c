"""Candidate samplers and the sampled losses: ``tf.nn.log_uniform_candidate_sampler``,
``tf.nn.uniform_candidate_sampler``, ``tf.nn.nce_loss``, ``tf.nn.sampled_softmax_loss`` (the unigram
samplers are in ``unigram_sampling.py``).

A sampler is two ops: ``SampleCandidates``, a random op (TF1's seeding, a new draw each run, the same
draw on every backend) giving ``num_sampled`` ids and how many draws it took (``unique=True``
rejects repeats), and ``CandidateExpectedCount``, TF1's expected count of an id among those draws:
``p * num_sampled`` without rejections, else ``-expm1(num_tries * log1p(-p))``. The log-uniform
(Zipfian) distribution is P(k) = log((k + 2) / (k + 1)) / log(range_max + 1), drawn as TF1 does
(floor(exp(u * log(range_max + 1))) - 1). The losses are TF1's ``_compute_sampled_logits``
composition; accidental hits (a sampled id that is one of the row's labels) get TF1's -FLT_MAX.
"""
from __future__ import annotations

import collections
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array, nn, random, source
from graphc.ops import math as m
from graphc.ops import reduce as red
from graphc.ops.join_split import concat
from graphc.ops.core import OpDef, _graph_of, apply, convert_to_tensor, make_op, register
from graphc.ops.linalg import matmul
from graphc.shape import TensorShape

CandidateSamplerResult = collections.namedtuple(
    "CandidateSamplerResult", ["sampled_candidates", "true_expected_count", "sampled_expected_count"])


def _log_uniform_probability(ids: np.ndarray, range_max: int) -> np.ndarray:
    k = ids.astype(np.float64)
    return (np.log(k + 2.0) - np.log(k + 1.0)) / np.log(range_max + 1.0)


def _log_uniform_draw(rng: np.random.Generator, n: int, range_max: int) -> np.ndarray:
    value = np.floor(np.exp(rng.random(n) * np.log(range_max + 1.0))).astype(np.int64) - 1
    return np.clip(value, 0, range_max - 1)


# distribution -> (draw n ids with rng, probability of ids)
_DISTRIBUTIONS = {
    "log_uniform": (_log_uniform_draw, _log_uniform_probability),
    "uniform": (lambda rng, n, range_max: rng.integers(0, range_max, n, dtype=np.int64),
                lambda ids, range_max: np.full(ids.shape, 1.0 / range_max)),
}


def _sample_infer(inputs, attrs):
    return [(dtypes.int64, TensorShape([attrs["num_sampled"]])), (dtypes.int64, TensorShape([]))]


def _sample_numpy(rng, seed, seed2, distribution, num_sampled, unique, range_max):
    draw = _DISTRIBUTIONS[distribution][0]
    if not unique:
        return draw(rng, num_sampled, range_max), np.array(num_sampled, np.int64)
    picked: list = []
    seen: set = set()
    tries = 0
    while len(picked) < num_sampled:                 # rejection sampling in batches, in draw order
        batch = draw(rng, max(num_sampled - len(picked), 16), range_max)
        for v in batch.tolist():
            tries += 1
            if v not in seen:
                seen.add(v)
                picked.append(v)
                if len(picked) == num_sampled:
                    break
    return np.array(picked, np.int64), np.array(tries, np.int64)


register(OpDef("SampleCandidates", "random", infer=_sample_infer, numpy=_sample_numpy, differentiable=False,
               pure=False))


def _expected_infer(inputs, attrs):
    return [(dtypes.float32, inputs[0].shape)]


def expected_counts(p: np.ndarray, num_tries: Any, num_sampled: int) -> np.ndarray:
    """TF1's expected count of ids of probability ``p`` among ``num_sampled`` ids that took ``num_tries``
    draws: ``p * num_sampled`` without rejections, else ``-expm1(num_tries * log1p(-p))``."""
    if int(num_tries) == num_sampled:
        return (p * num_sampled).astype(np.float32)
    return (-np.expm1(int(num_tries) * np.log1p(-p))).astype(np.float32)


def _expected_numpy(ids, num_tries, distribution, num_sampled, range_max):
    return expected_counts(_DISTRIBUTIONS[distribution][1](ids, range_max), num_tries, num_sampled)


register(OpDef("CandidateExpectedCount", "opaque", infer=_expected_infer, numpy=_expected_numpy,
               differentiable=False))


def checked_counts(num_sampled: int, range_max: int, unique: bool, fn: str) -> tuple:
    """``(num_sampled, range_max)`` as ints, after TF1's checks of a candidate sampler's counts."""
    num_sampled, range_max = int(num_sampled), int(range_max)
    if range_max < 1 or num_sampled < 1:
        raise ValueError(f"{fn}: num_sampled ({num_sampled}) and range_max ({range_max}) must be positive")
    if unique and num_sampled > range_max:
        raise ValueError(f"{fn}: Sampler without replacement cannot take {num_sampled} unique ids from a range of "
                         f"{range_max}")
    return num_sampled, range_max


def checked_true_classes(true_classes: Any, num_true: int, fn: str) -> Any:
    """A sampler's ``true_classes`` as an int64 ``[batch_size, num_true]`` tensor (in the current graph)."""
    true_classes = convert_to_tensor(true_classes, name="true_classes")
    if true_classes.dtype is not dtypes.int64:
        raise TypeError(f"{fn}: true_classes {true_classes.name} must be int64, got {true_classes.dtype.name} "
                        "(use tf.cast)")
    if true_classes.shape.ndims not in (None, 2) or true_classes.shape.as_tuple()[1:] not in ((None,), (num_true,)):
        raise ValueError(f"{fn}: true_classes {true_classes.name} must be [batch_size, num_true={num_true}], "
                         f"got {true_classes.shape}")
    return true_classes


def _sampler(distribution: str, true_classes: Any, num_true: int, num_sampled: int, unique: bool, range_max: int,
             seed: Optional[int], name: Optional[str], default_name: str) -> CandidateSamplerResult:
    num_sampled, range_max = checked_counts(num_sampled, range_max, unique, default_name)
    graph = _graph_of([true_classes])
    with graph.as_default(), graph.name_scope(name or default_name):
        true_classes = checked_true_classes(true_classes, num_true, default_name)
        s1, s2 = random.get_seed(seed)
        attrs = {"distribution": distribution, "num_sampled": num_sampled, "unique": bool(unique),
                 "range_max": range_max, "seed": s1, "seed2": s2}
        sampled, tries = make_op("SampleCandidates", [], attrs, "SampleCandidates").outputs
        counting = {"distribution": distribution, "num_sampled": num_sampled, "range_max": range_max}
        true_expected = apply("CandidateExpectedCount", [true_classes, tries], counting, "true_expected_count")
        sampled_expected = apply("CandidateExpectedCount", [sampled, tries], counting, "sampled_expected_count")
    return CandidateSamplerResult(sampled, true_expected, sampled_expected)


def log_uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool, range_max: int,
                                  seed: Optional[int] = None, name: Optional[str] = None) -> CandidateSamplerResult:
    """``num_sampled`` ids in [0, range_max) from the log-uniform (Zipfian) distribution, and the expected
    counts of the true and the sampled ids (TF1 ``tf.nn.log_uniform_candidate_sampler``)."""
    return _sampler("log_uniform", true_classes, num_true, num_sampled, unique, range_max, seed, name,
                    "log_uniform_candidate_sampler")


def uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool, range_max: int,
                              seed: Optional[int] = None, name: Optional[str] = None) -> CandidateSamplerResult:
    """``num_sampled`` ids uniform in [0, range_max), and the expected counts of the true and the sampled
    ids (TF1 ``tf.nn.uniform_candidate_sampler``)."""
    return _sampler("uniform", true_classes, num_true, num_sampled, unique, range_max, seed, name,
                    "uniform_candidate_sampler")


# ------------------------------------------------------------------------------------------------
# the sampled losses

def _compute_sampled_logits(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int, num_classes: int,
                            num_true: int, sampled_values: Any, remove_accidental_hits: bool, seed: Optional[int],
                            name: str) -> tuple:
    """TF1's ``_compute_sampled_logits`` (subtract_log_q=True): [true, sampled] logits and labels."""
    weights = weights[0] if isinstance(weights, (list, tuple)) and len(weights) == 1 else weights
    graph = _graph_of([weights, biases, labels, inputs])
    with graph.as_default(), graph.name_scope(name):
        labels = convert_to_tensor(labels, name="labels")
        if labels.dtype is not dtypes.int64:
            labels = m.cast(labels, dtypes.int64)
        inputs = convert_to_tensor(inputs, name="inputs")
        labels_flat = array.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True, num_classes, seed=seed)
        sampled, true_expected, sampled_expected = (source.stop_gradient(convert_to_tensor(s)) for s in sampled_values)
        sampled = m.cast(sampled, dtypes.int64)
        true_w = nn.embedding_lookup(weights, labels_flat)
        sampled_w = nn.embedding_lookup(weights, sampled)
        true_b = array.reshape(nn.embedding_lookup(biases, labels_flat), [-1, num_true])
        sampled_b = nn.embedding_lookup(biases, sampled)
        dim = array.shape(true_w)[1:2]
        row_dots = array.expand_dims(inputs, 1) * array.reshape(true_w, concat([[-1, num_true], dim], 0))
        true_logits = red.reduce_sum(row_dots, -1) + true_b
        sampled_logits = matmul(inputs, sampled_w, transpose_b=True) + sampled_b
        if remove_accidental_hits:
            hits = red.reduce_any(m.equal(array.expand_dims(labels, -1), sampled), 1)   # [batch, num_sampled]
            lowest = np.finfo(sampled_logits.dtype.np_type).min
            sampled_logits = sampled_logits + m.where(hits, array.fill(array.shape(sampled_logits), lowest),
                                                      array.zeros_like(sampled_logits))
        true_logits = true_logits - m.log(m.cast(true_expected, true_logits.dtype))
        sampled_logits = sampled_logits - m.log(m.cast(sampled_expected, sampled_logits.dtype))
        logits = concat([true_logits, sampled_logits], 1)
        out_labels = concat([array.ones_like(true_logits) / num_true, array.zeros_like(sampled_logits)], 1)
        return logits, out_labels


def nce_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int, num_classes: int,
             num_true: int = 1, sampled_values: Any = None, remove_accidental_hits: bool = False,
             partition_strategy: str = "mod", name: str = "nce_loss") -> Tensor:
    """Noise-contrastive estimation loss per example: sigmoid cross-entropy of the true and the sampled
    classes' logits (corrected by their expected counts), summed per row (TF1 ``tf.nn.nce_loss``)."""
    logits, out_labels = _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                                                 sampled_values, remove_accidental_hits, None, name)
    with logits.graph.as_default(), logits.graph.name_scope(name):
        losses = nn.sigmoid_cross_entropy_with_logits(labels=out_labels, logits=logits, name="sampled_losses")
        return red.reduce_sum(losses, 1)


def sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int, num_classes: int,
                         num_true: int = 1, sampled_values: Any = None, remove_accidental_hits: bool = True,
                         partition_strategy: str = "mod", name: str = "sampled_softmax_loss",
                         seed: Optional[int] = None) -> Tensor:
    """Softmax cross-entropy over the true and the sampled classes per example (TF1
    ``tf.nn.sampled_softmax_loss``; accidental hits removed by default)."""
    logits, out_labels = _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                                                 sampled_values, remove_accidental_hits, seed, name)
    with logits.graph.as_default(), logits.graph.name_scope(name):
        out_labels = source.stop_gradient(out_labels, name="labels_stop_gradient")
        return nn.softmax_cross_entropy_with_logits_v2(labels=out_labels, logits=logits)


__all__: list = []   # tf.nn names (graphc/nn.py)
