"""The protobuf messages of TensorFlow's checkpoints, defined here (field numbers and types as in
TensorFlow's ``tensor_bundle.proto``, ``tensor_shape.proto``, ``tensor_slice.proto``,
``versions.proto`` and ``checkpoint_state.proto``) and built at run time with the ``protobuf``
library, so graphc needs neither TensorFlow nor generated code.

They live in a private descriptor pool: another copy of TensorFlow's definitions loaded in the same
process (TensorFlow itself, tensorboard) cannot clash with them. The wire format is what matters:
a message serialized here parses in TensorFlow and the reverse.
"""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

# DataType is an enum in TensorFlow; an int32 has the same wire encoding (varint) and keeps values
# graphc does not name readable.
_FILE = """
name: "graphc/tensorflow_checkpoint.proto"
package: "tensorflow"
syntax: "proto3"
message_type {
  name: "TensorShapeProto"
  field { name: "dim" number: 2 label: LABEL_REPEATED type: TYPE_MESSAGE
          type_name: ".tensorflow.TensorShapeProto.Dim" }
  field { name: "unknown_rank" number: 3 label: LABEL_OPTIONAL type: TYPE_BOOL }
  nested_type {
    name: "Dim"
    field { name: "size" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 }
    field { name: "name" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
  }
}
message_type {
  name: "TensorSliceProto"
  field { name: "extent" number: 1 label: LABEL_REPEATED type: TYPE_MESSAGE
          type_name: ".tensorflow.TensorSliceProto.Extent" }
  nested_type {
    name: "Extent"
    field { name: "start" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 }
    field { name: "length" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 oneof_index: 0 }
    oneof_decl { name: "has_length" }
  }
}
message_type {
  name: "VersionDef"
  field { name: "producer" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "min_consumer" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "bad_consumers" number: 3 label: LABEL_REPEATED type: TYPE_INT32 }
}
message_type {
  name: "BundleHeaderProto"
  field { name: "num_shards" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "endianness" number: 2 label: LABEL_OPTIONAL type: TYPE_ENUM
          type_name: ".tensorflow.BundleHeaderProto.Endianness" }
  field { name: "version" number: 3 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".tensorflow.VersionDef" }
  enum_type { name: "Endianness" value { name: "LITTLE" number: 0 } value { name: "BIG" number: 1 } }
}
message_type {
  name: "BundleEntryProto"
  field { name: "dtype" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "shape" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".tensorflow.TensorShapeProto" }
  field { name: "shard_id" number: 3 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "offset" number: 4 label: LABEL_OPTIONAL type: TYPE_INT64 }
  field { name: "size" number: 5 label: LABEL_OPTIONAL type: TYPE_INT64 }
  field { name: "crc32c" number: 6 label: LABEL_OPTIONAL type: TYPE_FIXED32 }
  field { name: "slices" number: 7 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".tensorflow.TensorSliceProto" }
}
message_type {
  name: "CheckpointState"
  field { name: "model_checkpoint_path" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
  field { name: "all_model_checkpoint_paths" number: 2 label: LABEL_REPEATED type: TYPE_STRING }
  field { name: "all_model_checkpoint_timestamps" number: 3 label: LABEL_REPEATED type: TYPE_DOUBLE }
  field { name: "last_preserved_timestamp" number: 4 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
}
"""

_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(text_format.Parse(_FILE, descriptor_pb2.FileDescriptorProto()))


def _message(name: str) -> type:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName("tensorflow." + name))


TensorShapeProto = _message("TensorShapeProto")
VersionDef = _message("VersionDef")
BundleHeaderProto = _message("BundleHeaderProto")
BundleEntryProto = _message("BundleEntryProto")
CheckpointState = _message("CheckpointState")

__all__ = ["TensorShapeProto", "VersionDef", "BundleHeaderProto", "BundleEntryProto", "CheckpointState"]
