"""Every op and every gradient graph of the gradient-check tables runs on each compiled backend
and matches the eager reference (same dtype, allclose at float32 tolerance)."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends
from test_gradient_coverage import CASES

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
        want = tf.Session(backend="eager").run([y] + grads, feed)
        got = tf.Session(backend=backend).run([y] + grads, feed)
    for w, g in zip(want, got):
        w, g = np.asarray(w), np.asarray(g)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=f"{case.name} on {backend}")


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_and_gradient_match_eager(case, backend):
    _run_case(case, backend)
