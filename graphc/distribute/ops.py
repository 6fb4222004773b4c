"""Collectives as graph ops: ``MPIAllreduce``, ``MPIBroadcast``, ``MPIAllgather``.

Each is an ordinary registered op of kind ``opaque`` whose numpy kernel calls MPI, so every
backend (eager, interpret, numba, triton) runs it as a host step inside ``Session.run``, in the
plan's order, which is the same on every rank because every rank builds the same graph. They are
not ``pure``: never constant-folded, never merged by CSE. Each has a shape rule and a gradient
rule written with these same ops, as Horovod defines them:

- allreduce: the gradient is the same allreduce of the gradient;
- broadcast from ``root``: the gradients of all ranks summed onto ``root`` (zeros elsewhere);
  that reduce-to-root is ``MPIAllreduce`` with ``root >= 0``, whose gradient is the broadcast;
- allgather: the allreduced (summed) gradient, rows of this rank's piece.

The kernels pack their tensors into fusion buffers (``fusion.py``) and check, the first time
each signature runs, that every rank runs the same collective on matching tensors (``mpi.py``).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from graphc import dtypes
from graphc.distribute import fusion
from graphc.distribute.mpi import engine, signature_of
from graphc.graph import Tensor, get_default_graph
from graphc.ops.gather import gather
from graphc.ops.core import OpDef, convert_to_tensor, make_op, register
from graphc.shape import TensorShape

SUM = "sum"
AVERAGE = "average"


def _label(name: str) -> str:
    """The op's exact name, chosen before it exists so the kernel can name it in messages."""
    return get_default_graph().unique_name(name, mark_as_used=False)


# ------------------------------------------------------------------------------------------------
# kernels

def start_allreduce(arrays: list, label: str, reduce_op: str, root: int) -> list:
    """Checks the signature and starts one nonblocking reduction per fusion buffer of ``arrays``.

    Returns what ``finish_allreduce`` needs: (pending collective, send buffer, receive buffer,
    members) per buffer; the send buffers stay referenced until the reductions finish.
    """
    eng = engine()
    MPI = eng.MPI
    threshold = fusion.threshold_from_env()
    kind = "allreduce" if root < 0 else f"reduce to rank {root}"
    signature = signature_of(label, kind, arrays, f"op={reduce_op} fusion={threshold}")
    eng.check_signature(label, signature)
    started = []
    for number, members in enumerate(fusion.plan(arrays, threshold)):
        send = fusion.pack(arrays, members, writable=False)
        recv = np.empty_like(send)
        op = MPI.SUM
        if send.dtype == np.float16:
            op = eng.float16_sum()
            send_spec = [send.view(np.uint16), MPI.UNSIGNED_SHORT]
            recv_spec = [recv.view(np.uint16), MPI.UNSIGNED_SHORT]
        else:
            send_spec, recv_spec = send, recv
        key = f"{signature} buffer {number}"
        if root < 0:
            pending = eng.start(f"allreduce '{label}'",
                                lambda: eng.comm.Iallreduce(send_spec, recv_spec, op=op), key)
        else:
            pending = eng.start(f"reduce '{label}' to rank {root}",
                                lambda: eng.comm.Ireduce(send_spec, recv_spec, op=op, root=root), key)
        started.append((pending, send, recv, members))
    return started


def finish_allreduce(started: list, arrays: list, reduce_op: str, root: int) -> list:
    """Waits for ``start_allreduce``'s reductions in order; the results shaped like ``arrays``."""
    eng = engine()
    out: list = [None] * len(arrays)
    for pending, _send, recv, members in started:
        eng.finish(pending)
        if root >= 0 and eng.rank != root:
            recv[...] = 0
        if reduce_op == AVERAGE:
            recv /= recv.dtype.type(eng.size)
        fusion.unpack(recv, arrays, members, out)
    return out


def _allreduce_numpy(*arrays, label: str, reduce_op: str, root: int):
    arrays = [np.asarray(a) for a in arrays]
    out = finish_allreduce(start_allreduce(arrays, label, reduce_op, root), arrays, reduce_op, root)
    return out[0] if len(out) == 1 else tuple(out)


def _broadcast_numpy(*arrays, label: str, root: int):
    eng = engine()
    arrays = [np.asarray(a) for a in arrays]
    threshold = fusion.threshold_from_env()
    signature = signature_of(label, f"broadcast from rank {root}", arrays, f"fusion={threshold}")
    eng.check_signature(label, signature)
    out: list = [None] * len(arrays)
    for number, members in enumerate(fusion.plan(arrays, threshold)):
        buffer = fusion.pack(arrays, members)
        raw = buffer.view(np.uint8)    # a broadcast moves bytes: one datatype for every dtype
        eng.run(f"broadcast '{label}' from rank {root}", lambda: eng.comm.Ibcast(raw, root=root),
                f"{signature} buffer {number}")
        fusion.unpack(buffer, arrays, members, out)
    return out[0] if len(out) == 1 else tuple(out)


def _allgather_numpy(x, label: str):
    eng = engine()
    x = np.ascontiguousarray(x)
    signature = signature_of(label, "allgather", [x], "", skip_first_dim=True)
    eng.check_signature(label, signature)
    mine = np.array([x.shape[0]], dtype=np.int64)
    lengths = np.zeros(eng.size, dtype=np.int64)
    eng.run(f"allgather '{label}' (lengths)", lambda: eng.comm.Iallgather(mine, lengths), f"{signature} lengths")
    row_bytes = x.itemsize * int(np.prod(x.shape[1:], dtype=np.int64))
    counts = [int(n) * row_bytes for n in lengths]
    displs = [int(d) for d in np.concatenate([[0], np.cumsum(counts)[:-1]])]
    gathered = np.empty((int(lengths.sum()),) + x.shape[1:], dtype=x.dtype)
    send = x.reshape(-1).view(np.uint8)
    recv = gathered.reshape(-1).view(np.uint8)
    eng.run(f"allgather '{label}'",
            lambda: eng.comm.Iallgatherv(send, [recv, counts, displs, eng.MPI.BYTE]), f"{signature} rows")
    offset = int(lengths[:eng.rank].sum())
    return gathered, np.arange(offset, offset + x.shape[0], dtype=np.int32)


# ------------------------------------------------------------------------------------------------
# shape rules

def _same_as_inputs(op_name: str):
    def infer(inputs, attrs):
        if not inputs:
            raise ValueError(f"{op_name} needs at least one tensor")
        for t in inputs:
            if t.dtype is dtypes.bool_ and op_name == "MPIAllreduce":
                raise TypeError(f"allreduce cannot sum the bool tensor {t.name}; cast it to a number")
            if attrs.get("reduce_op") == AVERAGE and not t.dtype.is_floating:
                raise TypeError(f"allreduce op=Average needs a floating-point tensor, but {t.name} is "
                                f"{t.dtype.name}; use op=Sum")
        return [(t.dtype, t.shape) for t in inputs]
    return infer


def _allgather_infer(inputs, attrs):
    x = inputs[0]
    dims = x.shape.as_tuple()
    if dims is not None and len(dims) == 0:
        raise ValueError(f"allgather concatenates along the first dimension, but {x.name} is a scalar; "
                         "reshape it to [1]")
    rest = None if dims is None else list(dims[1:])
    gathered = TensorShape(None) if rest is None else TensorShape([None] + rest)
    return [(x.dtype, gathered), (dtypes.int32, TensorShape([dims[0] if dims else None]))]


# ------------------------------------------------------------------------------------------------
# gradient rules

def _allreduce_grad(op, *grads):
    present = [i for i, g in enumerate(grads) if g is not None]
    result: list = [None] * len(grads)
    if not present:
        return result
    root = op.attrs["root"]
    name = op.name + "_grad"
    if root < 0:
        reduced = grouped_allreduce([grads[i] for i in present], op.attrs["reduce_op"], name=name)
    else:  # the gradient of a sum onto root: root's gradient sent to every rank
        reduced = grouped_broadcast([grads[i] for i in present], root, name=name)
    for i, g in zip(present, reduced):
        result[i] = g
    return result


def _broadcast_grad(op, *grads):
    present = [i for i, g in enumerate(grads) if g is not None]
    result: list = [None] * len(grads)
    if present:
        summed = _reduce_to_root([grads[i] for i in present], op.attrs["root"], name=op.name + "_grad")
        for i, g in zip(present, summed):
            result[i] = g
    return result


def _allgather_grad(op, grad, _rows_grad):
    if grad is None:
        return [None]
    summed = grouped_allreduce([grad], SUM, name=op.name + "_grad")[0]
    return [gather(summed, op.outputs[1])]


register(OpDef("MPIAllreduce", "opaque", infer=_same_as_inputs("MPIAllreduce"), numpy=_allreduce_numpy,
               grad=_allreduce_grad, pure=False))
register(OpDef("MPIBroadcast", "opaque", infer=_same_as_inputs("MPIBroadcast"), numpy=_broadcast_numpy,
               grad=_broadcast_grad, pure=False))
register(OpDef("MPIAllgather", "opaque", infer=_allgather_infer, numpy=_allgather_numpy,
               grad=_allgather_grad, pure=False))


# ------------------------------------------------------------------------------------------------
# constructors

def _outputs(op_type: str, tensors: list, attrs: dict, name: str) -> list:
    label = _label(name)
    op = make_op(op_type, tensors, dict(attrs, label=label), label + "/")
    return list(op.outputs)


def _check_root(root: int) -> int:
    size = engine().size
    if not 0 <= int(root) < size:
        raise ValueError(f"root_rank {root} is not a rank of this job (ranks 0..{size - 1})")
    return int(root)


def grouped_allreduce(tensors: Sequence[Any], reduce_op: str = AVERAGE, name: str = "MPIAllreduce") -> list:
    """One allreduce op over several tensors (fused into buffers); one output per tensor."""
    if reduce_op not in (SUM, AVERAGE):
        raise ValueError(f"reduce op must be Sum or Average, got {reduce_op!r}")
    engine()
    return _outputs("MPIAllreduce", [convert_to_tensor(t) for t in tensors],
                    {"reduce_op": reduce_op, "root": -1}, name)


def _reduce_to_root(tensors: Sequence[Tensor], root: int, name: str) -> list:
    return _outputs("MPIAllreduce", list(tensors), {"reduce_op": SUM, "root": _check_root(root)}, name)


def grouped_broadcast(tensors: Sequence[Any], root_rank: int, name: str = "MPIBroadcast") -> list:
    """One broadcast op over several tensors: every rank gets ``root_rank``'s values."""
    return _outputs("MPIBroadcast", [convert_to_tensor(t) for t in tensors],
                    {"root": _check_root(root_rank)}, name)


def allgather_op(tensor: Any, name: Optional[str] = None) -> Tensor:
    """The ranks' tensors concatenated along the first dimension, in rank order."""
    engine()
    return _outputs("MPIAllgather", [convert_to_tensor(tensor)], {}, name or "MPIAllgather")[0]
