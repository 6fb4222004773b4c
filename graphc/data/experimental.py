"""``tf.data.experimental``: TF1's fused transformations, as the plain transformations they equal."""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc.data.dataset import AUTOTUNE, Dataset


def shuffle_and_repeat(buffer_size: int, count: Optional[int] = None, seed: Optional[int] = None) -> Callable:
    """For ``dataset.apply``: ``shuffle(buffer_size, seed).repeat(count)``, reshuffled each epoch."""
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


def map_and_batch(map_func: Callable, batch_size: int, num_parallel_batches: Optional[int] = None,
                  drop_remainder: bool = False, num_parallel_calls: Optional[int] = None) -> Callable:
    """For ``dataset.apply``: ``map(map_func).batch(batch_size, drop_remainder)``."""
    return lambda dataset: dataset.map(map_func, num_parallel_calls).batch(batch_size, drop_remainder)


def unbatch() -> Callable:
    """For ``dataset.apply``: ``dataset.unbatch()``."""
    return lambda dataset: dataset.unbatch()


def get_output_types(dataset: Any) -> Any:
    """``dataset.output_types`` (also ``tf.data.get_output_types``; works for iterators too)."""
    return dataset.output_types


def get_output_shapes(dataset: Any) -> Any:
    """``dataset.output_shapes`` (also ``tf.data.get_output_shapes``; works for iterators too)."""
    return dataset.output_shapes


def get_output_classes(dataset: Any) -> Any:
    """``dataset.output_classes`` (also ``tf.data.get_output_classes``; works for iterators too)."""
    return dataset.output_classes


__all__ = ["AUTOTUNE", "Dataset", "get_output_classes", "get_output_shapes", "get_output_types", "map_and_batch",
           "shuffle_and_repeat", "unbatch"]
