"""How far a correct float32 result may be from the exact one: a float64 run with an error bound.

Compiled kernels sum in their own fixed order (vector lanes, tiles, threads) and use their own
``exp``/``tanh``; numpy sums pairwise. Both are right, and they differ by what the computation
allows: a few ulps for an elementwise op, and for a sum ``eps * (log2(n) + c) * sum(|terms|)`` —
which is far more than ``eps * |result|`` when the terms nearly cancel. A fixed ``rtol`` encodes
one machine's rounding; this module computes the bound instead.

``bound_run`` evaluates a run's ops in float64 from the same inputs and carries, for every
tensor, an absolute bound on the error a correct float32 (or float64) evaluation may have
(running error analysis, in the spirit of Wilkinson's):

- feeds, variables and constants are exact (or carry the error the caller gives them, e.g. the
  difference two sessions' variables already have after some training steps);
- every op adds its own rounding: ``ulps * eps * |result|`` for elementwise ops, nothing for data
  movement, and for sums (reductions, matmul, convolutions, pooling averages, segment sums)
  ``eps * (log2(n) + c) * op(|inputs|)``, the sum of the terms' magnitudes;
- input errors propagate through the op itself: a summing op is applied to ``|x| + err`` and
  ``|x|`` (the difference is the linear error propagation, exactly, as those ops are
  multilinear); any other op is evaluated at ``x + err`` and ``x - err`` for each input, and the
  largest change is taken — which also lets a comparison or an ``argmax`` flip where its inputs
  are within their error of a tie, and nowhere else.

Two correct evaluations are then within twice the bound of each other; ``assert_within_bound``
checks that, and NaN/Inf must match exactly. Integer and boolean results computed from exact
inputs get a zero bound: they must be equal.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from graphc.codegen import regions
from graphc.codegen.eager import EagerExecutable, compile_plan
from graphc.graph import Tensor
from graphc.ops.core import OpKind
from graphc.ops.random import make_rng
from graphc.ops.state import ASSIGN_UPDATES
from graphc.passes.run_plan import RunPlan

# ulps one op may be off by on its own: libm, SVML-style vector math, FMA contraction and
# reciprocal-multiply all stay within a few ulps of the correctly rounded result.
ELEMENTWISE_ULPS = 4
# the constant c in a summing op's growth factor log2(n) + c
SUM_GROWTH_CONSTANT = 4
# ops whose value is a sum of products of their (float) inputs' elements: multilinear, so the
# error propagation is op(|x| + err) - op(|x|) and the rounding is relative to op(|x|).
SUMMING_OPS = frozenset({
    "Sum", "Mean", "SumTo", "TileGrad", "AddN", "MatMul", "Conv2D", "Conv2DBackpropFilter",
    "Conv2DBackpropInput", "AvgPool", "AvgPoolGrad", "UnsortedSegmentSum",
})
# kinds whose ops only move, select or compare values and never round
EXACT_KINDS = frozenset({OpKind.MOVEMENT, OpKind.SOURCE, OpKind.STATE, OpKind.CONTROL})
EXACT_OPS = frozenset({"Max", "Min", "ArgMax", "ArgMin", "All", "Any", "Identity", "StopGradient",
                       "PlaceholderWithDefault", "Neg", "Abs", "Maximum", "Minimum", "Select", "Relu",
                       "Sign", "Floor", "Ceil", "Round", "GatherV2", "OneHot", "MaxPool", "Assign"})


@dataclasses.dataclass
class BoundedValue:
    """A tensor's float64 reference value and the absolute error bound of a correct evaluation."""

    value: np.ndarray
    bound: np.ndarray


@dataclasses.dataclass
class BoundedRun:
    """``fetches[i]`` for each fetch, ``updates[variable op]`` for each variable the run writes."""

    fetches: list
    updates: dict


def _eps(dtype: np.dtype) -> float:
    dtype = np.dtype(dtype)
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0


def _growth(arrays: Sequence[np.ndarray]) -> float:
    n = max([a.size for a in arrays] + [2])
    return math.log2(n) + SUM_GROWTH_CONSTANT


def _as_reference(value: Any) -> np.ndarray:
    """float64 for floating values (the reference precision), the value itself otherwise."""
    a = np.asarray(value)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _perturbable(a: Any, err: Optional[np.ndarray]) -> bool:
    return err is not None and isinstance(a, np.ndarray) and a.dtype.kind in "fiub" and bool(np.any(err))


def _outputs(out: Any) -> list:
    return list(out) if isinstance(out, tuple) else [out]


def _shift(a: np.ndarray, err: np.ndarray, sign: int) -> np.ndarray:
    if a.dtype.kind == "f":
        return a + sign * err
    if a.dtype.kind == "b":                             # a comparison that may have flipped
        return np.where(err > 0, ~a, a)
    return (a + sign * np.ceil(err)).astype(a.dtype)   # an index may be off by whole steps


def _spread(kernel: Callable, args: list, errs: list, base: list) -> list:
    """Per output, the largest change of ``kernel`` when one input moves by +-its error."""
    spread = [np.zeros(np.shape(b), np.float64) for b in base]
    for i, (a, e) in enumerate(zip(args, errs)):
        if not _perturbable(a, e):
            continue
        for sign in (1, -1):
            moved = list(args)
            moved[i] = _shift(a, e, sign)
            try:
                outs = _outputs(kernel(*moved))
            except (ValueError, TypeError, IndexError, ArithmeticError):   # moved out of range: anything goes
                return [np.full(np.shape(b), np.inf) for b in base]
            if any(np.shape(o) != np.shape(b) for o, b in zip(outs, base)):  # a moved size or offset: likewise
                return [np.full(np.shape(b), np.inf) for b in base]
            for k, (o, b) in enumerate(zip(outs, base)):
                change = np.abs(np.asarray(o, np.float64) - np.asarray(b, np.float64))
                spread[k] = np.fmax(spread[k], np.where(np.isnan(change), np.inf, change))
    return spread


def _summing_bound(kernel: Callable, args: list, errs: list, out_dtype: np.dtype) -> np.ndarray:
    mags = [np.abs(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
    terms = np.asarray(_outputs(kernel(*mags))[0], np.float64)
    floats = [a for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    own = _eps(out_dtype) * _growth(floats) * terms
    if not any(_perturbable(a, e) for a, e in zip(args, errs)):
        return own
    widened = [m + e if _perturbable(a, e) and a.dtype.kind == "f" else m
               for a, m, e in zip(args, mags, errs)]
    return own + (np.asarray(_outputs(kernel(*widened))[0], np.float64) - terms)


def _own_ulps(op, od, args: list) -> float:
    if od.kind in EXACT_KINDS or op.type in EXACT_OPS:
        return 0.0
    if od.kind in (OpKind.REDUCTION, OpKind.OPAQUE, OpKind.REGION):   # an internal accumulation (Prod, ...)
        return ELEMENTWISE_ULPS * _growth([a for a in args if isinstance(a, np.ndarray)])
    return float(ELEMENTWISE_ULPS)


def _op_bounds(op, od, kernel: Callable, args: list, errs: list, outs: list) -> list:
    dtypes = [t.dtype.np_type for t in op.outputs]
    if op.type in SUMMING_OPS:
        return [_summing_bound(kernel, args, errs, dtypes[0])]
    spread = _spread(kernel, args, errs, outs)
    ulps = _own_ulps(op, od, args)
    return [s + ulps * _eps(d) * np.abs(np.asarray(o, np.float64)) for s, d, o in zip(spread, dtypes, outs)]


class _FreshCounters:
    """Random streams at their first run (a region's kernel is evaluated several times)."""

    def __init__(self) -> None:
        self.counters: dict = {}

    def next_count(self, op: Any) -> int:
        c = self.counters.get(op, 0)
        self.counters[op] = c + 1
        return c

    def op_state(self, op: Any) -> dict:
        """A stateful op's state at its first run (every evaluation starts from it)."""
        return {}


def _region(op: Any, args: Sequence) -> tuple:
    """A cond or loop evaluated as the backends do (its bodies in their own dtypes, eagerly), on
    ``args`` rounded to the op's input dtypes; the results widened again."""
    own = [np.asarray(a, dtype=t.dtype.np_type) if isinstance(a, np.ndarray) else a for a, t in zip(args, op.inputs)]
    return tuple(_as_reference(np.asarray(o)) for o in regions.run(op, own, _FreshCounters(), compile_plan))


def bound_run(fetches: Sequence[Any], feed_dict: Optional[Mapping] = None, *, targets: Sequence[Any] = (),
              variables: Optional[Mapping] = None, variable_errors: Optional[Mapping] = None,
              random_counts: Optional[Mapping] = None) -> BoundedRun:
    """Evaluates ``fetches`` (and the assigns of ``targets``) in float64 with error bounds.

    ``variables`` maps variable ops (or variables) to their values at the start of the run and
    ``variable_errors`` to how far a candidate's copy already is from them; ``random_counts`` maps
    random ops to the run count their stream is at (default 0), as a session would use next.
    """
    feed_dict = dict(feed_dict or {})
    fetch_tensors = [_graph_tensor(t) for t in fetches]
    target_ops = [_target_op(t) for t in targets]
    feeds = [_graph_tensor(t) for t in feed_dict]
    plan = RunPlan(fetch_tensors, target_ops, feeds)
    var_values = {_variable_op(k): _as_reference(v) for k, v in (variables or {}).items()}
    var_errors = {_variable_op(k): np.asarray(v, np.float64) for k, v in (variable_errors or {}).items()}
    counts = {getattr(k, "op", k): c for k, c in (random_counts or {}).items()}

    values: dict = {t: _as_reference(np.asarray(v, dtype=t.dtype.np_type))
                    for t, v in zip(feeds, feed_dict.values())}
    bounds: dict = {t: np.zeros(np.shape(v)) for t, v in values.items()}
    fed = set(feeds)
    updates: dict = {}

    def read(kind: str, src: Any) -> tuple:
        if kind == "val":
            return values[src], bounds[src]
        if kind == "var":
            v = var_values[src]
            return v, var_errors.get(src, np.zeros(np.shape(v)))
        return None, None

    with np.errstate(all="ignore"):
        for op, od, sources, _bound in EagerExecutable(plan)._steps:
            pairs = [read(kind, src) for kind, src in sources]
            args = [p[0] for p in pairs]
            errs = [p[1] for p in pairs]
            attrs = op.attrs
            if od.kind is OpKind.RANDOM:
                count = counts.get(op, 0)
                attrs = dict(op.attrs, rng=make_rng(op.attrs["seed"], op.attrs["seed2"], count))

            def kernel(*a, _od=od, _attrs=attrs, _op=op):
                if _od.kind is OpKind.REGION:
                    return _region(_op, a)
                if _od.kind is OpKind.RANDOM:   # the same stream for every evaluation
                    _attrs = dict(_attrs, rng=make_rng(_op.attrs["seed"], _op.attrs["seed2"],
                                                       counts.get(_op, 0)))
                if _od.session_state:           # the op's state at its first run, for every evaluation
                    _attrs = dict(_attrs, op_state={})
                return _od.numpy(*a, **_attrs)

            outs = [_as_reference(o) for o in _outputs(kernel(*args))]
            out_bounds = _op_bounds(op, od, kernel, args, errs, outs)
            for t, v, b in zip(op.outputs, outs, out_bounds):
                if t not in fed:
                    values[t], bounds[t] = v, b
            if op.type in ASSIGN_UPDATES:
                updates[op.inputs[0].op] = BoundedValue(outs[0], out_bounds[0])

    results = []
    for t in plan.fetches:
        if t in values:
            results.append(BoundedValue(values[t], bounds[t]))
        else:
            v, e = read("var", t.op)
            results.append(BoundedValue(v, e))
    return BoundedRun(results, updates)


def assert_within_bound(got: Any, want: Any, bound: Any, what: str = "value") -> None:
    """Asserts that two correct evaluations ``got`` and ``want`` differ by at most ``2 * bound``.

    Dtypes and shapes must be equal; NaN and Inf positions must match exactly.
    """
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} vs reference {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs reference {want.shape}"
    g, w = got.astype(np.float64), want.astype(np.float64)
    allowed = 2.0 * np.broadcast_to(np.asarray(bound, np.float64), w.shape)
    special = ~np.isfinite(g) | ~np.isfinite(w)
    same_special = (np.isnan(g) & np.isnan(w)) | (g == w)
    tiny = np.finfo(want.dtype).tiny if want.dtype.kind == "f" else 0.0   # subnormals may flush
    with np.errstate(invalid="ignore"):
        close = np.abs(g - w) <= allowed + tiny
    bad = np.where(special, ~same_special & ~np.isinf(allowed), ~close)
    if not bad.any():
        return
    idx = np.argwhere(bad)
    lines = [f"  {tuple(int(i) for i in ix)}: {float(g[tuple(ix)])!r} vs reference {float(w[tuple(ix)])!r}, "
             f"allowed difference {allowed[tuple(ix)]:.3g}" for ix in idx[:5]]
    raise AssertionError(f"{what}: {len(idx)} of {w.size} elements differ by more than the error bound "
                         f"of a correct evaluation:\n" + "\n".join(lines))


def _graph_tensor(t: Any) -> Any:
    return t._graph_tensor() if hasattr(t, "_graph_tensor") else t


def _target_op(t: Any) -> Any:
    t = _graph_tensor(t)
    return t.op if isinstance(t, Tensor) else t


def _variable_op(v: Any) -> Any:
    t = _graph_tensor(v)
    return t.op if hasattr(t, "op") else t
