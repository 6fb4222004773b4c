"""``tf.data``: input pipelines (datasets, their transformations, and iterators a session pulls)."""
from __future__ import annotations

from graphc.data.dataset import AUTOTUNE, Dataset
from graphc.data import transforms as _transforms  # noqa: F401  (the transformations' classes)
from graphc.data.iterator import Iterator, make_initializable_iterator, make_one_shot_iterator
from graphc.data.readers import TextLineDataset, TFRecordDataset

__all__ = ["AUTOTUNE", "Dataset", "Iterator", "TFRecordDataset", "TextLineDataset", "make_initializable_iterator",
           "make_one_shot_iterator"]
