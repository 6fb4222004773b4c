"""``tf.ragged``: graphc's minimal RaggedTensor (one ragged dimension) and its fetched value."""
from __future__ import annotations

from graphc.ops.ragged import RaggedTensor, RaggedTensorValue  # noqa: F401

__all__ = ["RaggedTensor", "RaggedTensorValue"]
