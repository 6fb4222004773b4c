"""Table-driven numerical gradient checks: each op family lists GradCases in tests/gradcases/.

A case builds y from float64 placeholders, declares which primitive op types it exercises
(checked against the built graph), and is compared with central differences.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np

import graphc as tf
from graphc.testing import assert_gradients_close


@dataclasses.dataclass
class GradCase:
    name: str
    op_types: set                     # primitive op types this case exercises
    build: Callable                   # build(*placeholders) -> y
    values: Sequence[np.ndarray]      # float64 input values, away from kinks
    atol: float = 1e-6
    rtol: float = 1e-5
    wrt: Sequence[int] = None         # which inputs to differentiate (default: all float ones)
    delta: float = 1e-6               # central-difference step


def run_case(case: GradCase) -> None:
    g = tf.Graph()
    with g.as_default():
        phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), np.shape(v), name=f"x{i}")
               for i, v in enumerate(case.values)]
        y = case.build(*phs)
        present = {op.type for op in g.get_operations()}
        missing = set(case.op_types) - present
        assert not missing, f"case {case.name} claims {missing} but its graph has {sorted(present)}"
        idx = case.wrt if case.wrt is not None else [i for i, p in enumerate(phs) if p.dtype.is_floating]
        others = {phs[i]: case.values[i] for i in range(len(phs)) if i not in idx}
        assert_gradients_close(y, [phs[i] for i in idx], [case.values[i] for i in idx],
                               atol=case.atol, rtol=case.rtol, feed_dict=others,
                               delta=case.delta)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
