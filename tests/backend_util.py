"""Helpers shared by the compiled-backend test files."""
import os

import pytest

import graphc as tf
from graphc.codegen.eager import EagerExecutable
from graphc.runtime.plan import RunPlan
from graphc.runtime.session import SessionState


def initialized_state() -> SessionState:
    """A state with every global variable set by running its initializer eagerly."""
    state = SessionState()
    init = tf.global_variables_initializer()
    _, updates = EagerExecutable(RunPlan([], [init], [])).run([], state)
    state.values.update(updates)
    return state


def require_triton_interpreter() -> None:
    """Skips the calling test module unless triton imports and ``TRITON_INTERPRET`` is on (a GPU
    run sets TRITON_INTERPRET=0; these modules test the interpreter paths)."""
    pytest.importorskip("triton")
    if os.environ.get("TRITON_INTERPRET", "").strip().lower() not in ("1", "true", "on", "yes"):
        pytest.skip("these tests run Triton's CPU interpreter (TRITON_INTERPRET=0 is set: a GPU run)",
                    allow_module_level=True)
