import os
import tempfile

import pytest

# One on-disk code cache for the whole test session, so compiled kernels are shared across tests
# (and across test runs on one machine).
os.environ.setdefault("GRAPHC_CACHE_DIR", os.path.join(tempfile.gettempdir(), "graphc-test-cache"))
# Most tests check values against numpy on the reference executor; the compiled backends are
# checked against it by the parity tests (test_backend_parity.py, test_random_graphs.py, ...).
os.environ.setdefault("GRAPHC_BACKEND", "eager")
# Compiled sessions compile before their first run (no background compile): deterministic tests.
# tests/runtime/test_tiered.py asks for tiered execution itself.
os.environ.setdefault("GRAPHC_COMPILE", "sync")
# No GPU in CI: the Triton backend's kernels run on the CPU through Triton's interpreter.
os.environ.setdefault("TRITON_INTERPRET", "1")

import graphc as tf  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test starts with an empty default graph and no default session."""
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


@pytest.fixture
def small_variables_in_place(monkeypatch):
    """For tests that watch in-place writes on small variables, which the Numba backend otherwise
    gives new arrays (``run_policy.FRESH_MAX_ELEMENTS``): the rule is off for them."""
    from graphc.codegen import run_policy
    monkeypatch.setattr(run_policy, "FRESH_MAX_ELEMENTS", 0)
