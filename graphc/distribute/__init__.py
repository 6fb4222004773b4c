"""Data-parallel training on MPI, with Horovod's TensorFlow 1 names.

A Horovod TF1 script runs with ``import graphc as tf`` and ``import graphc.distribute as hvd``::

    hvd.init()
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.001 * hvd.size()))
    train_op = opt.minimize(loss)
    bcast = hvd.broadcast_global_variables(0)
    ...
    sess.run(tf.global_variables_initializer()); sess.run(bcast)

launched with ``mpiexec -n 4 python train.py`` (any MPI; ``pip install graphc[mpi]`` brings the
``mpich`` wheel and its ``mpiexec``). Collectives are graph ops, run by ``Session.run`` on every
backend; see ``ops.py`` for their gradients, ``fusion.py`` for the buffers, ``mpi.py`` for the
timeout (``GRAPHC_MPI_TIMEOUT``) and the cross-rank consistency check.
"""
from __future__ import annotations

from typing import Any, Optional

from graphc.distribute.compression import Compression
from graphc.distribute.hooks import BroadcastGlobalVariablesHook
from graphc.distribute.mpi import engine, init, is_initialized, shutdown
from graphc.distribute.ops import AVERAGE, SUM, allgather_op, grouped_allreduce, grouped_broadcast
from graphc.distribute.optimizer import DistributedOptimizer, broadcast_global_variables, broadcast_variables
from graphc.graph import Tensor
from graphc.ops.core import convert_to_tensor

Sum = SUM
Average = AVERAGE


def rank() -> int:
    """This process's rank in the job, 0..size()-1."""
    return engine().rank


def size() -> int:
    """The number of processes in the job."""
    return engine().size


def local_rank() -> int:
    """This process's rank among the processes on its machine."""
    return engine().local_rank


def local_size() -> int:
    """The number of processes of the job on this machine."""
    return engine().local_size


def allreduce(tensor: Any, average: Optional[bool] = None, device_dense: str = "", device_sparse: str = "",
              compression: Any = Compression.none, op: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """``tensor`` summed or averaged over all ranks (average by default); every rank gets the result.

    ``average=True/False`` is Horovod's older spelling of ``op=Average/Sum``; the devices are
    accepted for compatibility (collectives run on the host).
    """
    if average is not None and op is not None:
        raise ValueError("give either op= or the older average=, not both")
    if op is None:
        op = SUM if average is False else AVERAGE
    compressed, ctx = compression.compress(convert_to_tensor(tensor))
    reduced = grouped_allreduce([compressed], op, name=name or "MPIAllreduce")[0]
    return compression.decompress(reduced, ctx)


def allgather(tensor: Any, name: Optional[str] = None) -> Tensor:
    """The ranks' tensors concatenated along the first dimension in rank order (lengths may differ)."""
    return allgather_op(tensor, name=name)


def broadcast(tensor: Any, root_rank: int, name: Optional[str] = None) -> Tensor:
    """``root_rank``'s value of ``tensor`` on every rank."""
    return grouped_broadcast([tensor], root_rank, name=name or "MPIBroadcast")[0]


__all__ = ["init", "shutdown", "is_initialized", "rank", "size", "local_rank", "local_size", "allreduce",
           "allgather", "broadcast", "broadcast_variables", "broadcast_global_variables",
           "DistributedOptimizer", "BroadcastGlobalVariablesHook", "Compression", "Sum", "Average"]
