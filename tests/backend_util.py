"""Helpers shared by the compiled-backend test files."""
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
