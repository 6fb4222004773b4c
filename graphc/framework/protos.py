"""TensorFlow's own protobuf messages for graphs, as the ``tensorboard`` package ships them.

``tensorboard.compat.proto`` carries TensorFlow's generated ``graph_pb2``, ``node_def_pb2``,
``attr_value_pb2``, ``tensor_pb2``, ``meta_graph_pb2``, ``saver_pb2``..., so GraphDefs and meta
graphs are TensorFlow's exact messages without TensorFlow. tensorboard is a core dependency
because ``Saver.save`` writes a ``.meta`` by default (as TF1 does).
"""
from __future__ import annotations

from tensorboard.compat.proto import (attr_value_pb2, function_pb2, graph_pb2, meta_graph_pb2, node_def_pb2, saver_pb2,
                                      tensor_pb2, tensor_shape_pb2, types_pb2, variable_pb2, versions_pb2)

GraphDef = graph_pb2.GraphDef
NodeDef = node_def_pb2.NodeDef
FunctionDef = function_pb2.FunctionDef
AttrValue = attr_value_pb2.AttrValue
NameAttrList = attr_value_pb2.NameAttrList
TensorProto = tensor_pb2.TensorProto
TensorShapeProto = tensor_shape_pb2.TensorShapeProto
VersionDef = versions_pb2.VersionDef
MetaGraphDef = meta_graph_pb2.MetaGraphDef
CollectionDef = meta_graph_pb2.CollectionDef
SaverDef = saver_pb2.SaverDef
VariableDef = variable_pb2.VariableDef
DataType = types_pb2.DataType

__all__ = ["GraphDef", "NodeDef", "FunctionDef", "AttrValue", "NameAttrList", "TensorProto", "TensorShapeProto", "VersionDef",
           "MetaGraphDef", "CollectionDef", "SaverDef", "VariableDef", "DataType"]
