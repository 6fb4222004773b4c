"""Variable state ops: ``VariableV2`` (a reference to a session-held value) and the assigns.

Reads see the variable's value at the start of the run unless the reading op depends (by data
or control edges) on an assign to it; then they see the value that assign wrote. The planner
(``passes/run_plan.py``) resolves this statically for each read.
"""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops.core import OpDef, apply, convert_to_tensor, register
from graphc.shape import TensorShape

STATE_READ = "VariableV2"
# ops whose value the session supplies from its own state before each run (fed like placeholders)
STATE_QUERIES = {"IsVariableInitialized"}
# other query op types -> answer(session, op, feeds, host_run) -> one value per output; modules that
# add a query type (tf.data's iterators) register it here and in STATE_QUERIES
QUERY_ANSWERS: dict = {}
# release(session), called by Session.close for host state those modules keep per session
SESSION_CLOSED: list = []
# assign op type -> numpy update (current, operand) -> new value
ASSIGN_UPDATES = {
    "Assign": lambda ref, value, validate_shape=True: value,
    "AssignAdd": lambda ref, delta, validate_shape=True: ref + delta,
    "AssignSub": lambda ref, delta, validate_shape=True: ref - delta,
}


def _variable_infer(inputs, attrs):
    return [(attrs["dtype"], attrs["shape"])]


def _assign_infer(op_type):
    def infer(inputs, attrs):
        ref, value = inputs
        if ref.op.type != STATE_READ:
            raise TypeError(f"needs a variable as its first input, got {ref.name} (op {ref.op.type})")
        if value.dtype is not ref.dtype:
            raise TypeError(f"Input 'value' {value.name} has type {value.dtype.name} that does not match "
                            f"type {ref.dtype.name} of variable {ref.op.name}; use tf.cast")
        if attrs.get("validate_shape", True) and not ref.shape.is_compatible_with(value.shape):
            raise ValueError(f"Shapes must match: variable {ref.op.name} has shape {ref.shape} but the "
                             f"value {value.name} has shape {value.shape}")
        shape = ref.shape.merge_with(value.shape) if attrs.get("validate_shape", True) else value.shape
        return [(ref.dtype, shape)]
    return infer


register(OpDef(STATE_READ, "state", infer=_variable_infer, numpy=None, differentiable=True))
for _type, _fn in ASSIGN_UPDATES.items():
    register(OpDef(_type, "state", infer=_assign_infer(_type), numpy=_fn, differentiable=False))


register(OpDef("IsVariableInitialized", "source", infer=lambda inputs, attrs: [(dtypes.bool_, TensorShape([]))],
               numpy=None, differentiable=False))


def is_variable_initialized(variable: Any, name: Optional[str] = None) -> Tensor:
    """A bool scalar: whether ``variable`` has a value in the session that runs it (TF1
    ``tf.is_variable_initialized``). The session answers it from its state when the run starts."""
    ref = _ref(variable)
    t = apply("IsVariableInitialized", [], {"variable": ref.op}, name or "IsVariableInitialized")
    ref.op.graph._state_queries.append(t.op)
    return t


def _ref(ref: Any) -> Tensor:
    t = ref._graph_tensor() if hasattr(ref, "_graph_tensor") else ref
    if not isinstance(t, Tensor) or t.op.type != STATE_READ:
        raise TypeError(f"Expected a tf.Variable, got {ref!r}: only variables can be assigned to")
    return t


def _operand(value: Any, ref: Tensor) -> Tensor:
    """Tensors and Variables as they are (dtype checked by inference); Python values in ref's dtype."""
    if isinstance(value, Tensor) or hasattr(value, "_graph_tensor"):
        return convert_to_tensor(value)
    return convert_to_tensor(value, dtype=ref.dtype)


def assign(ref: Any, value: Any, validate_shape: bool = True, use_locking: Optional[bool] = None,
           name: Optional[str] = None) -> Tensor:
    """Writes ``value`` into the variable; returns the new value (TF1 ``tf.assign``)."""
    r = _ref(ref)
    return apply("Assign", [r, _operand(value, r)], {"validate_shape": validate_shape}, name or "Assign")


def assign_add(ref: Any, value: Any, use_locking: Optional[bool] = None, name: Optional[str] = None) -> Tensor:
    """Adds ``value`` to the variable; returns the new value."""
    r = _ref(ref)
    return apply("AssignAdd", [r, _operand(value, r)], {}, name or "AssignAdd")


def assign_sub(ref: Any, value: Any, use_locking: Optional[bool] = None, name: Optional[str] = None) -> Tensor:
    """Subtracts ``value`` from the variable; returns the new value."""
    r = _ref(ref)
    return apply("AssignSub", [r, _operand(value, r)], {}, name or "AssignSub")


__all__ = ["assign", "assign_add", "assign_sub", "is_variable_initialized"]
