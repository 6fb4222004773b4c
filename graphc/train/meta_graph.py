"""``tf.train.export_meta_graph``: a graph with its collections (variables, ``train_op``, user
collections of tensors and ops) in TensorFlow's ``MetaGraphDef``, as ``Saver.save`` writes it to
``<prefix>.meta``. graphc writes no ``SaverDef`` (its Saver has no filename tensor); TensorFlow then
builds a Saver of its own on import, as TF1 does for such meta graphs.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Optional

from google.protobuf import text_format

from graphc import variables
from graphc.framework.graph_def import as_graph_def
from graphc.framework.protos import MetaGraphDef, VariableDef
from graphc.graph import GraphKeys, Operation, Tensor, get_default_graph
from graphc.train.atomic_file import atomic_file
from graphc.version import __version__

# collections whose entries are serialized VariableDefs (TF1 registers these keys' proto functions)
VARIABLE_COLLECTIONS = frozenset({GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
                                  GraphKeys.LOCAL_VARIABLES, GraphKeys.MODEL_VARIABLES,
                                  GraphKeys.MOVING_AVERAGE_VARIABLES, GraphKeys.METRIC_VARIABLES,
                                  GraphKeys.GLOBAL_STEP})
TF_API_VERSION = "1.15.0"


def variable_to_proto(v: Any, export_scope: Optional[str] = None) -> Any:
    """The ``VariableDef`` of a graphc Variable (graphc has no ``read`` snapshot op: the variable itself)."""
    def strip(name: str) -> str:
        return name[len(export_scope) + 1:] if export_scope and name.startswith(export_scope + "/") else name

    proto = VariableDef(variable_name=strip(v.name), initializer_name=strip(v.initializer.name),
                        snapshot_name=strip(v.name), trainable=bool(v.trainable), is_resource=False)
    if v.initial_value is not None:
        proto.initial_value_name = strip(v.initial_value.name)
    return proto


# TF1 writes its Savers' SaverDefs here; graphc's Saver has none, and import_meta_graph makes a new one
_NOT_EXPORTED = frozenset({"savers"})


def _add_collection(meta: Any, key: str, values: list) -> None:
    if not values or key in _NOT_EXPORTED:
        return
    first = values[0]
    entry = meta.collection_def[key]
    if isinstance(first, variables.Variable):
        entry.bytes_list.value.extend([variable_to_proto(v).SerializeToString() for v in values])
    elif isinstance(first, (Tensor, Operation)):
        entry.node_list.value.extend([v.name for v in values])
    elif isinstance(first, bool) or not isinstance(first, (int, float, str, bytes)):
        del meta.collection_def[key]
        warnings.warn(f"Collection {key!r} holds {type(first).__name__} values, which a meta graph cannot carry: "
                      "it is not exported.", stacklevel=3)
    elif isinstance(first, int):
        entry.int64_list.value.extend(values)
    elif isinstance(first, float):
        entry.float_list.value.extend(values)
    else:
        entry.bytes_list.value.extend([v.encode() if isinstance(v, str) else v for v in values])


def export_meta_graph(filename: Optional[str] = None, meta_info_def: Any = None, graph_def: Any = None,
                      saver_def: Any = None, collection_list: Optional[list] = None, as_text: bool = False,
                      graph: Any = None, export_scope: Optional[str] = None, clear_devices: bool = False,
                      clear_extraneous_savers: bool = False, strip_default_attrs: bool = False,
                      save_debug_info: bool = False, **kwargs: Any) -> Any:
    """The ``MetaGraphDef`` of ``graph`` (default graph): its GraphDef and collections (all, or
    ``collection_list``); written to ``filename`` (binary, or text with ``as_text``) when given.

    ``strip_default_attrs``, ``clear_extraneous_savers`` and ``save_debug_info`` change nothing here
    (graphc writes the attrs TensorFlow needs, its Savers have no SaverDef, and it records no debug
    info); ``export_scope`` (a part of the graph) is refused with a ValueError."""
    if export_scope:
        raise ValueError(f"export_meta_graph(export_scope={export_scope!r}): graphc exports whole graphs only")
    graph = graph if graph is not None else get_default_graph()
    meta = MetaGraphDef()
    if meta_info_def is not None:
        meta.meta_info_def.CopyFrom(meta_info_def)
    # TensorFlow parses tensorflow_version as a version number (it gates pre-1.9 behaviour): graphc
    # writes the TF1 API it follows there, and its own version as the git version
    meta.meta_info_def.tensorflow_version = TF_API_VERSION
    meta.meta_info_def.tensorflow_git_version = f"graphc-{__version__}"
    meta.graph_def.CopyFrom(graph_def if graph_def is not None else as_graph_def(graph))
    if clear_devices:
        for node in meta.graph_def.node:
            node.device = ""
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    keys = collection_list if collection_list is not None else graph.get_all_collection_keys()
    for key in sorted(keys):
        _add_collection(meta, key, graph.get_collection(key))
    if filename:
        data = text_format.MessageToString(meta).encode() if as_text else meta.SerializeToString()
        with atomic_file(str(filename)) as f:
            f.write(data)
    return meta


def read_meta_graph_file(filename: str) -> Any:
    """A ``MetaGraphDef`` from a binary or text file."""
    if not os.path.exists(filename):
        raise OSError(f"File {filename} does not exist.")
    with open(filename, "rb") as f:
        data = f.read()
    meta = MetaGraphDef()
    try:
        meta.ParseFromString(data)
    except Exception:
        text_format.Merge(data.decode("utf-8"), meta)
    return meta


__all__ = ["export_meta_graph", "read_meta_graph_file", "variable_to_proto", "VARIABLE_COLLECTIONS"]
