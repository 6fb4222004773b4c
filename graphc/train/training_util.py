"""The global step: an int64 scalar variable ``global_step`` in the GLOBAL_STEP collection."""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes, initializers
from graphc.graph import Graph, GraphKeys, Tensor, get_default_graph
from graphc.variable_scope import get_variable


def _step_tensor(step: Any) -> Tensor:
    return step._graph_tensor() if hasattr(step, "_graph_tensor") else step


def assert_global_step(global_step_tensor: Any) -> None:
    """Raises TypeError unless ``global_step_tensor`` is an integer scalar variable or tensor."""
    t = _step_tensor(global_step_tensor)
    if not isinstance(t, Tensor):
        raise TypeError(f"Existing \"global_step\" must be a Variable or Tensor: {global_step_tensor!r}.")
    if not t.dtype.is_integer:
        raise TypeError(f"Existing \"global_step\" does not have integer type: {t.dtype.name}")
    if t.shape.ndims != 0 and t.shape.is_fully_defined():
        raise TypeError(f"Existing \"global_step\" is not scalar: {t.shape}")


def get_global_step(graph: Optional[Graph] = None) -> Any:
    """The graph's global step (from the GLOBAL_STEP collection or named ``global_step:0``), or None."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise ValueError(f"Multiple tensors in the global_step collection: {found}")
    if found:
        step = found[0]
    else:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    assert_global_step(step)
    return step


def create_global_step(graph: Optional[Graph] = None) -> Any:
    """Creates the int64 scalar ``global_step`` variable (starts at 0, not trainable)."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None):
        return get_variable(GraphKeys.GLOBAL_STEP, shape=[], dtype=dtypes.int64,
                            initializer=initializers.zeros_initializer(), trainable=False,
                            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph: Optional[Graph] = None) -> Any:
    """The global step of ``graph`` (default graph), created if it does not exist yet."""
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def global_step(sess: Any, global_step_tensor: Any) -> int:
    """The current value of the global step in ``sess``, as a Python int."""
    return int(sess.run(global_step_tensor))


__all__ = ["assert_global_step", "get_global_step", "create_global_step", "get_or_create_global_step",
           "global_step"]
