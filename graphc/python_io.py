"""``tf.python_io``: TF1's home of the TFRecord writer and reader (the same objects as ``tf.io``'s)."""
from __future__ import annotations

from graphc.io.tfrecord import TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator

__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "tf_record_iterator"]
