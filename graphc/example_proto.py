"""``tf.train.Example`` and its parts as real protobuf messages, without TensorFlow.

The descriptors are built here with TensorFlow's package, message names, field names and numbers
(tensorflow/core/example/{feature,example}.proto, proto3, packed numeric lists), so the messages
serialize to the same bytes and parse TensorFlow's records. They live in a private descriptor pool,
so they never clash with another library that registers TensorFlow's protos.
"""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def _field(msg: descriptor_pb2.DescriptorProto, name: str, number: int, kind: int, label: int = _F.LABEL_OPTIONAL,
           type_name: str = "", oneof: int = -1, packed: bool = False) -> None:
    f = msg.field.add(name=name, number=number, type=kind, label=label, json_name=_camel(name))
    if type_name:
        f.type_name = type_name
    if oneof >= 0:
        f.oneof_index = oneof
    if packed:
        f.options.packed = True


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _map(msg: descriptor_pb2.DescriptorProto, name: str, entry: str, value_type: str) -> None:
    """A ``map<string, value_type> name = 1`` field: a nested *Entry message plus a repeated field."""
    e = msg.nested_type.add(name=entry)
    e.options.map_entry = True
    _field(e, "key", 1, _F.TYPE_STRING)
    _field(e, "value", 2, _F.TYPE_MESSAGE, type_name=value_type)
    _field(msg, name, 1, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, f"{msg.name and '.tensorflow.' + msg.name}.{entry}")


def _file() -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto(name="graphc/tensorflow_example.proto", package="tensorflow",
                                            syntax="proto3")
    rep = _F.LABEL_REPEATED
    _field(fd.message_type.add(name="BytesList"), "value", 1, _F.TYPE_BYTES, rep)
    _field(fd.message_type.add(name="FloatList"), "value", 1, _F.TYPE_FLOAT, rep, packed=True)
    _field(fd.message_type.add(name="Int64List"), "value", 1, _F.TYPE_INT64, rep, packed=True)
    feature = fd.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    _field(feature, "bytes_list", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.BytesList", oneof=0)
    _field(feature, "float_list", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.FloatList", oneof=0)
    _field(feature, "int64_list", 3, _F.TYPE_MESSAGE, type_name=".tensorflow.Int64List", oneof=0)
    _map(fd.message_type.add(name="Features"), "feature", "FeatureEntry", ".tensorflow.Feature")
    _field(fd.message_type.add(name="FeatureList"), "feature", 1, _F.TYPE_MESSAGE, rep, ".tensorflow.Feature")
    _map(fd.message_type.add(name="FeatureLists"), "feature_list", "FeatureListEntry", ".tensorflow.FeatureList")
    _field(fd.message_type.add(name="Example"), "features", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    seq = fd.message_type.add(name="SequenceExample")
    _field(seq, "context", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    _field(seq, "feature_lists", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.FeatureLists")
    return fd


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())


def _message(name: str) -> type:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"tensorflow.{name}"))


BytesList = _message("BytesList")
FloatList = _message("FloatList")
Int64List = _message("Int64List")
Feature = _message("Feature")
Features = _message("Features")
FeatureList = _message("FeatureList")
FeatureLists = _message("FeatureLists")
Example = _message("Example")
SequenceExample = _message("SequenceExample")

__all__ = ["BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features", "FloatList",
           "Int64List", "SequenceExample"]
