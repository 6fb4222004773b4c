"""The unigram candidate samplers: ``tf.nn.learned_unigram_candidate_sampler`` and
``tf.nn.fixed_unigram_candidate_sampler``, one op each under TF1's names
(``LearnedUnigramCandidateSampler``, ``FixedUnigramCandidateSampler``).

Both draw ``num_sampled`` ids in [0, range_max) with probability weight / total weight (with
replacement, or with rejection of repeats when ``unique``) and give TF1's expected counts of the
true and the sampled ids (``candidate_sampling.expected_counts``). The fixed sampler's weights are
its ``unigrams`` (or the last column of each line of ``vocab_file``) raised to ``distortion``,
after ``num_reserved_ids`` zeros, keeping the ids of shard ``shard`` of ``num_shards`` (ids i with
i % num_shards == shard, renumbered from 0). The learned sampler starts with weight 1 for every id
and, after each run's draw, adds 1 for every true id of that run: its weights live in the session
(``OpDef.session_state``), are not variables and are not saved in checkpoints, as TF1's. Both are
impure opaque ops: a host step on every backend, a new draw each run (TF1's seeding: the same
seeds give the same draws in every session, though not TensorFlow's bits).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from graphc import dtypes, gfile
from graphc.ops import random
from graphc.ops.candidate_sampling import (CandidateSamplerResult, checked_counts, checked_true_classes,
                                            expected_counts)
from graphc.ops.core import OpDef, _graph_of, make_op, register
from graphc.shape import TensorShape


def _infer(inputs, attrs):
    true_classes = inputs[0]
    return [(dtypes.int64, TensorShape([attrs["num_sampled"]])), (dtypes.float32, true_classes.shape),
            (dtypes.float32, TensorShape([attrs["num_sampled"]]))]


def _check_true_ids(true_classes: np.ndarray, range_max: int) -> None:
    bad = true_classes[(true_classes < 0) | (true_classes >= range_max)]
    if bad.size:
        raise ValueError(f"true_classes has id {int(bad[0])}, out of range [0, {range_max})")


def _draw(rng: np.random.Generator, weights: np.ndarray, num_sampled: int, unique: bool) -> tuple:
    """(ids drawn with probability weight / total, how many draws it took)."""
    cumulative = np.cumsum(weights)
    total = cumulative[-1]

    def draw(n: int) -> np.ndarray:
        ids = np.searchsorted(cumulative, rng.random(n) * total, side="right")
        return np.minimum(ids, len(weights) - 1).astype(np.int64)

    if not unique:
        return draw(num_sampled), num_sampled
    if num_sampled > int(np.count_nonzero(weights)):
        raise ValueError(f"cannot draw {num_sampled} unique ids: only {int(np.count_nonzero(weights))} have a "
                         "weight above 0")
    picked: list = []
    seen: set = set()
    tries = 0
    while len(picked) < num_sampled:                 # rejection sampling, in draw order
        for v in draw(max(num_sampled - len(picked), 16)).tolist():
            tries += 1
            if v not in seen:
                seen.add(v)
                picked.append(v)
                if len(picked) == num_sampled:
                    break
    return np.array(picked, np.int64), tries


def _sample(true_classes: np.ndarray, weights: np.ndarray, rng: np.random.Generator, num_sampled: int,
            unique: bool) -> tuple:
    _check_true_ids(true_classes, len(weights))
    sampled, tries = _draw(rng, weights, num_sampled, unique)
    probability = weights / weights.sum()
    return (sampled, expected_counts(probability[true_classes], tries, num_sampled),
            expected_counts(probability[sampled], tries, num_sampled))


def _learned_numpy(true_classes, op_state, range_max, num_sampled, unique, seed, seed2, **_):
    weights = op_state.setdefault("weights", np.ones(range_max, np.float64))
    runs = op_state.get("runs", 0)
    op_state["runs"] = runs + 1
    out = _sample(np.asarray(true_classes), weights, random.make_rng(seed, seed2, runs), num_sampled, unique)
    np.add.at(weights, np.asarray(true_classes).reshape(-1), 1.0)      # learned after the draw, as TF1
    return out


def _fixed_numpy(true_classes, op_state, range_max, num_sampled, unique, seed, seed2, weights, **_):
    weights = np.asarray(weights, np.float64)
    if len(weights) != range_max:
        raise ValueError(f"range_max is {range_max} but the shard has {len(weights)} ids (num_reserved_ids plus "
                         "the unigrams or vocab_file lines of this shard); they must be equal")
    runs = op_state.get("runs", 0)
    op_state["runs"] = runs + 1
    return _sample(np.asarray(true_classes), weights, random.make_rng(seed, seed2, runs), num_sampled, unique)


register(OpDef("LearnedUnigramCandidateSampler", "opaque", infer=_infer, numpy=_learned_numpy,
               differentiable=False, pure=False, session_state=True))
register(OpDef("FixedUnigramCandidateSampler", "opaque", infer=_infer, numpy=_fixed_numpy,
               differentiable=False, pure=False, session_state=True))


def _build(op_type: str, true_classes: Any, num_true: int, num_sampled: int, unique: bool, range_max: int,
           seed: Optional[int], name: Optional[str], fn: str, **attrs: Any) -> CandidateSamplerResult:
    num_sampled, range_max = checked_counts(num_sampled, range_max, unique, fn)
    graph = _graph_of([true_classes])
    with graph.as_default():
        true_classes = checked_true_classes(true_classes, num_true, fn)
        s1, s2 = random.get_seed(seed)
        attrs.update(num_sampled=num_sampled, unique=bool(unique), range_max=range_max, seed=s1, seed2=s2)
        outputs = make_op(op_type, [true_classes], attrs, name or op_type).outputs
    return CandidateSamplerResult(*outputs)


def learned_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                                      range_max: int, seed: Optional[int] = None,
                                      name: Optional[str] = None) -> CandidateSamplerResult:
    """``num_sampled`` ids in [0, range_max) from the unigram distribution of the true ids seen so far in
    this session (each id starts at weight 1), and the expected counts of the true and the sampled ids
    (TF1 ``tf.nn.learned_unigram_candidate_sampler``)."""
    return _build("LearnedUnigramCandidateSampler", true_classes, num_true, num_sampled, unique, range_max, seed,
                  name, "learned_unigram_candidate_sampler")


def fixed_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                                    range_max: int, vocab_file: str = "", distortion: float = 1.0,
                                    num_reserved_ids: int = 0, num_shards: int = 1, shard: int = 0,
                                    unigrams: Sequence[float] = (), seed: Optional[int] = None,
                                    name: Optional[str] = None) -> CandidateSamplerResult:
    """``num_sampled`` ids in [0, range_max) with probabilities proportional to ``unigrams`` (or the counts in
    ``vocab_file``) raised to ``distortion``, and the expected counts of the true and the sampled ids (TF1
    ``tf.nn.fixed_unigram_candidate_sampler``)."""
    fn = "fixed_unigram_candidate_sampler"
    if bool(vocab_file) == bool(len(unigrams)):
        raise ValueError(f"{fn}: give exactly one of vocab_file and unigrams")
    if not 0 <= shard < num_shards:
        raise ValueError(f"{fn}: shard {shard} must be in [0, num_shards={num_shards})")
    counts = _vocab_counts(vocab_file, fn) if vocab_file else [float(u) for u in unigrams]
    every = [0.0] * int(num_reserved_ids) + [float(np.power(np.float32(c), np.float32(distortion))) for c in counts]
    weights = tuple(w for i, w in enumerate(every) if i % num_shards == shard)
    return _build("FixedUnigramCandidateSampler", true_classes, num_true, num_sampled, unique, range_max, seed, name,
                  fn, weights=weights, distortion=float(distortion), num_reserved_ids=int(num_reserved_ids),
                  num_shards=int(num_shards), shard=int(shard))


def _vocab_counts(path: str, fn: str) -> list:
    """The last comma-separated field of each non-empty line of ``path``, as a float."""
    counts = []
    with gfile.GFile(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                counts.append(float(line.rstrip("\n").split(",")[-1]))
            except ValueError:
                raise ValueError(f"{fn}: line {number} of {path} does not end in a number: {line.strip()!r}") from None
    return counts


__all__: list = []   # tf.nn names (graphc/nn.py)
