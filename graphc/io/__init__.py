"""``tf.io``: TFRecord files and ``tf.train.Example`` parsing (``tf.python_io`` holds the TFRecord names too)."""
from __future__ import annotations

from graphc.io.parsing import (FixedLenFeature, FixedLenSequenceFeature, SparseTensor, VarLenFeature, parse_example,
                               parse_single_example)
from graphc.io.sequence_parsing import parse_single_sequence_example
from graphc.io.text_ops import decode_csv, decode_raw, read_file
from graphc.io.tfrecord import TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "SparseTensor", "TFRecordCompressionType", "TFRecordOptions",
           "TFRecordWriter", "VarLenFeature", "decode_csv", "decode_raw", "parse_example", "parse_single_example",
           "parse_single_sequence_example", "read_file", "tf_record_iterator"]
