"""``tf.train.import_meta_graph``: a ``MetaGraphDef``'s graph and collections into the default graph.

A meta graph written by TensorFlow carries a ``SaverDef`` whose save/restore subgraph (``SaveV2``,
``RestoreV2``, ...) graphc does not import: graphc's Saver reads and writes checkpoints itself, so
that subgraph is left out and a new ``Saver`` over the imported variables is returned; it restores
TensorFlow's checkpoints by variable name.
"""
from __future__ import annotations

from typing import Any, Optional

from graphc import variables
from graphc.framework.graph_def import import_graph_def
from graphc.framework.protos import MetaGraphDef, VariableDef
from graphc.graph import GraphKeys, get_default_graph
from graphc.train.meta_graph import VARIABLE_COLLECTIONS, read_meta_graph_file
from graphc.train.saver import Saver


def _saver_scope(meta: Any) -> Optional[str]:
    """The name scope of a TensorFlow SaverDef's subgraph ("save/"), from its restore op's name."""
    if not meta.HasField("saver_def") or "/" not in meta.saver_def.restore_op_name:
        return None
    return meta.saver_def.restore_op_name.rpartition("/")[0] + "/"


def import_meta_graph(meta_graph_or_file: Any, clear_devices: bool = False, import_scope: Optional[str] = None,
                      input_map: Optional[dict] = None) -> Optional[Saver]:
    """Imports a meta graph's graph and collections into the default graph; returns a ``Saver`` over its
    global variables (None when it has none), ready to ``restore`` the checkpoint saved with it.
    ``input_map`` replaces tensors of the meta graph, as in ``tf.import_graph_def``."""
    meta = meta_graph_or_file if isinstance(meta_graph_or_file, MetaGraphDef) \
        else read_meta_graph_file(meta_graph_or_file)
    graph = get_default_graph()
    scope = _saver_scope(meta)
    skip = [n.name for n in meta.graph_def.node if scope and n.name.startswith(scope)]
    graph_def = meta.graph_def
    if clear_devices:
        graph_def = type(graph_def).FromString(graph_def.SerializeToString())
        for node in graph_def.node:
            node.device = ""
    import_graph_def(graph_def, input_map=input_map, name=import_scope or "", skip=skip)
    prefix = f"{import_scope}/" if import_scope else ""
    by_op: dict = {}
    for key in sorted(meta.collection_def):
        entry = meta.collection_def[key]
        kind = entry.WhichOneof("kind")
        if kind == "node_list":
            values = [graph.as_graph_element(prefix + name) for name in entry.node_list.value
                      if not (scope and name.startswith(scope))]
        elif kind == "bytes_list" and key in VARIABLE_COLLECTIONS:
            values = []
            for data in entry.bytes_list.value:
                proto = VariableDef.FromString(data)
                if proto.variable_name not in by_op:
                    by_op[proto.variable_name] = variables.Variable(variable_def=proto, import_scope=import_scope)
                values.append(by_op[proto.variable_name])
        elif kind is not None:
            values = list(getattr(entry, kind).value)
        else:
            continue
        for value in values:
            graph.add_to_collection(key, value)
    if not graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
        return None
    return Saver()


__all__ = ["import_meta_graph"]
