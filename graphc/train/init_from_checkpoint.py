"""``tf.train.init_from_checkpoint``: variables that initialize from a checkpoint's values.

TF1's rules: the keys of ``assignment_map`` are checkpoint names (or scopes ending in ``/``; ``'/'``
is the checkpoint's root), the values are current variables (names of variables made by
``tf.get_variable``, Variable objects) or scopes ending in ``/``. A scope maps every variable
under it to the checkpoint name with the same suffix under the checkpoint scope. Each chosen
variable's initializer becomes an assign of the checkpoint's value, so ``variables_initializer``
(built afterwards) loads it. The values are read, checked and checksummed when this is called.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from graphc.graph import get_default_graph
from graphc.ops import source, state
from graphc.train.checkpoint_reader import CheckpointReader, load_checkpoint
from graphc.variables import Variable


def _store() -> Dict[str, Variable]:
    return get_default_graph()._variable_store


def _checked_value(var: Variable, reader: CheckpointReader, tensor_name: str, ckpt: str) -> np.ndarray:
    shapes = reader.get_variable_to_shape_map()
    if tensor_name not in shapes:
        raise ValueError(f"Tensor {tensor_name} (for variable {var.op.name}) is not found in {ckpt} checkpoint "
                         f"{sorted(shapes)}")
    if not var.shape.is_compatible_with(shapes[tensor_name]):
        raise ValueError(f"Shape of variable {var.op.name} ({var.shape}) doesn't match with shape of tensor "
                         f"{tensor_name} ({shapes[tensor_name]}) from checkpoint reader.")
    value = reader.get_tensor(tensor_name)
    if value.dtype != var.dtype.np_type:
        raise ValueError(f"Variable {var.op.name} has dtype {var.dtype.name} but tensor {tensor_name} in checkpoint "
                         f"{ckpt} has dtype {value.dtype.name}.")
    return value


def _set_initializer(var: Variable, value: np.ndarray) -> None:
    graph = var.graph
    with graph.as_default(), graph.control_dependencies(None), graph.name_scope(var.op.name + "/"):
        initial = source.constant(value, dtype=var.dtype, name="checkpoint_initial_value")
        var._initial_value = initial
        var._initializer_op = state.assign(var._ref, initial, name="checkpoint_initializer").op


def _scope_pairs(ckpt_scope: str, current_scope: str) -> list:
    """(variable name, checkpoint name) for every stored variable under ``current_scope`` (all of
    them for ``'/'`` or a name without ``'/'``, as in TF1)."""
    scope = current_scope[:current_scope.rindex("/")] if "/" in current_scope else ""
    pairs = []
    for var_name in sorted(_store()):
        if scope and not var_name.startswith(scope + "/"):
            continue
        tensor_name = var_name[len(scope):]
        if current_scope != "/":
            tensor_name = tensor_name[1:]
        if ckpt_scope != "/":
            tensor_name = ckpt_scope + tensor_name
        pairs.append((var_name, tensor_name.rstrip("/")))
    return pairs


def init_from_checkpoint(ckpt_dir_or_file: str, assignment_map: Dict[str, Any]) -> None:
    """Makes the variables of ``assignment_map`` initialize from checkpoint ``ckpt_dir_or_file`` (a
    prefix, or a directory whose newest checkpoint is used). ValueError for names the checkpoint
    or the graph lacks and for shape or dtype mismatches; nothing changes then."""
    reader = load_checkpoint(ckpt_dir_or_file)
    try:
        plan = []
        for tensor_name, current in assignment_map.items():
            if isinstance(current, str) and current in _store():
                plan.append((_store()[current], tensor_name))
            elif isinstance(current, str):
                if not tensor_name.endswith("/"):     # then current is a scope, as in TF1
                    raise ValueError(f"Tried to initialize {current} from {tensor_name}, but no variable made by "
                                     f"tf.get_variable is called {current}; a scope maps to a scope: "
                                     "{'checkpoint_scope/': 'scope/'}.")
                plan += [(_store()[name], ckpt_name) for name, ckpt_name in _scope_pairs(tensor_name, current)]
            elif isinstance(current, Variable):
                plan.append((current, tensor_name))
            else:
                raise ValueError(f"{tensor_name}: init_from_checkpoint assigns to a tf.Variable, a variable's name "
                                 f"or a scope ending in '/', got {current!r} (graphc has no partitioned variables).")
        values = [_checked_value(var, reader, name, ckpt_dir_or_file) for var, name in plan]
        for (var, _), value in zip(plan, values):     # all checked first: an error changes nothing
            _set_initializer(var, value)
    finally:
        reader.close()
