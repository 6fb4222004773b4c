"""Every op and every gradient graph of the gradient-check tables runs on each compiled backend
and matches the eager reference (same dtype and shape, within the error bound of a correct
evaluation: backend_util)."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends
from backend_util import run_compared
from gradcases import all_cases

CASES = all_cases()
COMPILED = [b for b in available_backends() if b not in ("auto", "eager", "interpret")]


def _run_case(case, backend):
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), np.shape(v), name=f"x{i}")
               for i, v in enumerate(case.values)]
        y = case.build(*phs)
        floats = [p for p in phs if p.dtype.is_floating]
        grads = [g for g in tf.gradients(y, floats) if g is not None]
        feed = dict(zip(phs, case.values))
        run_compared(tf.Session(backend="eager"), tf.Session(backend=backend), [y] + grads, feed,
                     f"{case.name} on {backend}")


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_and_gradient_match_eager(case, backend):
    _run_case(case, backend)
