"""``tf.data``: input pipelines (datasets, their transformations, and iterators a session pulls)."""
from __future__ import annotations

from graphc.data.dataset import AUTOTUNE, Dataset
from graphc.data import transforms as _transforms  # noqa: F401  (the transformations' classes)
from graphc.data import prefetch as _prefetch  # noqa: F401
from graphc.data.iterator import Iterator, make_initializable_iterator, make_one_shot_iterator
from graphc.data.readers import TextLineDataset, TFRecordDataset
from graphc.data import experimental
from graphc.data.experimental import get_output_classes, get_output_shapes, get_output_types

__all__ = ["AUTOTUNE", "Dataset", "Iterator", "TFRecordDataset", "TextLineDataset", "experimental",
           "get_output_classes", "get_output_shapes", "get_output_types", "make_initializable_iterator",
           "make_one_shot_iterator"]
