"""``tf.sparse``: the SparseTensor class and the sparse ops under their TF 1.13+ names."""
from __future__ import annotations

from graphc.ops.sparse import SparseTensor, SparseTensorValue  # noqa: F401
from graphc.ops.sparse import sparse_add as add  # noqa: F401
from graphc.ops.sparse import sparse_placeholder as placeholder  # noqa: F401
from graphc.ops.sparse import sparse_reduce_sum as reduce_sum  # noqa: F401
from graphc.ops.sparse import sparse_reorder as reorder  # noqa: F401
from graphc.ops.sparse import sparse_retain as retain  # noqa: F401
from graphc.ops.sparse import sparse_tensor_dense_matmul as sparse_dense_matmul  # noqa: F401
from graphc.ops.sparse import sparse_tensor_dense_matmul as matmul  # noqa: F401
from graphc.ops.sparse import sparse_tensor_to_dense as to_dense  # noqa: F401

__all__ = ["SparseTensor", "SparseTensorValue", "add", "matmul", "placeholder", "reduce_sum", "reorder", "retain",
           "sparse_dense_matmul", "to_dense"]
