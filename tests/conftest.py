import os
import tempfile

import pytest

# one on-disk code cache for the whole test session, so compiled kernels are shared across tests
os.environ.setdefault("GRAPHC_CACHE_DIR", os.path.join(tempfile.gettempdir(), "graphc-test-cache"))

import graphc as tf  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test starts with an empty default graph and no default session."""
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()
