"""Allreduce overlapped with backprop: ``MPIAllreduceStart`` and ``MPIAllreduceWait``.

``DistributedOptimizer`` cuts the gradients, in the order the gradient ops were created (the
backward pass's order: last layers first), into buckets of at most the fusion threshold. Each
bucket gets an ``MPIAllreduceStart`` op, which packs its gradients and starts nonblocking
``Iallreduce``s, returning its int64 token (fixed per op); one ``MPIAllreduceWait`` op, just before
``apply_gradients``, takes every token (in bucket order) and the gradients (for their shapes) and
waits for the results. The run plan lists each op after its inputs, walking the wait's inputs in
bucket order, so each start runs as soon as its bucket's gradients exist, while the earlier
layers' gradients are still to be computed; every rank builds the same graph, so every rank
starts the buckets in the same order (the arrival messages of ``mpi.py`` check it). Each start
also tests the reductions already in flight, which is what moves them along in an MPI without a
progress thread (the mpich wheel, by default). With a single bucket the optimizer uses the plain
``MPIAllreduce`` (there is nothing left to overlap with).

The wait's value is the allreduce of its gradient inputs: it uses a bucket's started reduction
when that was started on the same gradients (the same memory, or equal values), and otherwise
reduces them itself, counting ``engine().overlap_misses`` (an error analysis that re-evaluates
kernels on perturbed inputs does that; a training run never should, which the tests check). Its
gradient is the allreduce of its gradient, like ``MPIAllreduce``'s; tokens have none.
"""
from __future__ import annotations

import itertools
from typing import Optional, Sequence

import numpy as np

from graphc import dtypes
from graphc.distribute import fusion
from graphc.distribute.mpi import engine
from graphc.distribute.ops import AVERAGE, SUM, finish_allreduce, grouped_allreduce, start_allreduce
from graphc.graph import Tensor, get_default_graph
from graphc.ops.core import OpDef, make_op, register
from graphc.shape import TensorShape


def _where(a) -> tuple:
    """Which array this is: its memory, shape and dtype (views of one buffer compare equal)."""
    a = np.asarray(a)
    return a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str


def _same_values(flight: tuple, arrays: list) -> bool:
    """Whether a started reduction was started on ``arrays``: the same memory, or equal values (a
    backend may hand the wait a fresh copy, as a device backend's download is)."""
    if flight[2] == [_where(a) for a in arrays]:
        return True
    return all(c.shape == a.shape and c.dtype == a.dtype
               and np.array_equal(c, a, equal_nan=c.dtype.kind in "fc") for c, a in zip(flight[1], arrays))


def _start_numpy(*arrays, label: str, reduce_op: str, token: int):
    eng = engine()
    for flight in eng.in_flight.values():
        for pending, *_ in flight[0]:
            pending.progress()
    stale = eng.in_flight.pop(token, None)
    if stale is not None:              # started and never waited for (an earlier run failed)
        finish_allreduce(stale[0], stale[1], reduce_op, -1)
    where = [_where(a) for a in arrays]
    copies = [np.array(a) for a in arrays]        # the reduction reads them later
    eng.in_flight[token] = (start_allreduce(copies, label, reduce_op, -1), copies, where)
    return np.int64(token)


def _wait_numpy(*args, label: str, reduce_op: str, buckets: tuple):
    """The allreduced gradients: each bucket's started reduction, when it was started on these very
    arrays; otherwise (a bucket re-evaluated on other values, as an error analysis does) reduced now."""
    eng = engine()
    arrays = args[len(buckets):]
    out: list = []
    first = 0
    for token, count in zip(args[:len(buckets)], buckets):
        mine = [np.asarray(a) for a in arrays[first:first + count]]
        first += count
        flight = eng.in_flight.pop(int(token), None)
        if flight is not None and _same_values(flight, mine):
            out.extend(finish_allreduce(flight[0], flight[1], reduce_op, -1))
            continue
        if flight is not None:
            finish_allreduce(flight[0], flight[1], reduce_op, -1)
        eng.overlap_misses += 1
        out.extend(finish_allreduce(start_allreduce(mine, label, reduce_op, -1), mine, reduce_op, -1))
    return out[0] if len(out) == 1 else tuple(out)


_TOKENS = itertools.count(1)      # one token per start op built in this process


def _start_infer(inputs, attrs):
    for t in inputs:
        if not t.dtype.is_floating and attrs["reduce_op"] == AVERAGE:
            raise TypeError(f"allreduce op=Average needs a floating-point tensor, but {t.name} is "
                            f"{t.dtype.name}; use op=Sum")
    return [(dtypes.int64, TensorShape([]))]


def _wait_infer(inputs, attrs):
    return [(t.dtype, t.shape) for t in inputs[len(attrs["buckets"]):]]


def _start_grad(op, grad):
    return [None] * len(op.inputs)


def _wait_grad(op, *grads):
    n = len(op.attrs["buckets"])
    result: list = [None] * len(op.inputs)
    present = [i for i, g in enumerate(grads) if g is not None]
    if present:
        reduced = grouped_allreduce([grads[i] for i in present], op.attrs["reduce_op"], name=op.name + "_grad")
        for i, g in zip(present, reduced):
            result[n + i] = g
    return result


register(OpDef("MPIAllreduceStart", "opaque", infer=_start_infer, numpy=_start_numpy, grad=_start_grad,
               pure=False))
register(OpDef("MPIAllreduceWait", "opaque", infer=_wait_infer, numpy=_wait_numpy, grad=_wait_grad,
               pure=False))


def _static_bytes(t: Tensor, threshold: int) -> int:
    n = t.shape.num_elements() if t.shape.is_fully_defined() else None
    return threshold + 1 if n is None else n * t.dtype.size


def buckets_in_backprop_order(tensors: Sequence[Tensor], threshold: int) -> list:
    """Indices into ``tensors`` cut into buckets of at most ``threshold`` bytes (by static shape),
    in the order their ops were created; a tensor of unknown size gets a bucket of its own."""
    position = {op: i for i, op in enumerate(get_default_graph().get_operations())}
    order = sorted(range(len(tensors)), key=lambda i: position.get(tensors[i].op, -1))
    buckets: list = []
    size = 0
    for i in order:
        nbytes = _static_bytes(tensors[i], threshold)
        if buckets and size + nbytes <= threshold:
            buckets[-1].append(i)
            size += nbytes
        else:
            buckets.append([i])
            size = nbytes
    return buckets


def overlapped_allreduce(tensors: Sequence[Tensor], reduce_op: str = AVERAGE, name: str = "MPIAllreduce",
                         threshold: Optional[int] = None) -> list:
    """``grouped_allreduce(tensors)``, started bucket by bucket as the backward pass produces them.

    Buckets hold at most ``threshold`` bytes (default: the fusion threshold of the environment).
    """
    if reduce_op not in (SUM, AVERAGE):
        raise ValueError(f"reduce op must be Sum or Average, got {reduce_op!r}")
    tensors = list(tensors)
    buckets = buckets_in_backprop_order(tensors, fusion.threshold_from_env() if threshold is None else threshold)
    if len(buckets) == 1:
        return grouped_allreduce(tensors, reduce_op, name=name)
    graph = get_default_graph()
    label = graph.unique_name(name, mark_as_used=False)
    tokens = []
    for number, bucket in enumerate(buckets):
        start_label = graph.unique_name(f"{label}_Start{number}", mark_as_used=False)
        op = make_op("MPIAllreduceStart", [tensors[i] for i in bucket],
                     {"reduce_op": reduce_op, "label": start_label, "token": next(_TOKENS)}, start_label + "/")
        tokens.append(op.outputs[0])
    ordered = [tensors[i] for bucket in buckets for i in bucket]
    wait = make_op("MPIAllreduceWait", tokens + ordered,
                   {"reduce_op": reduce_op, "label": label, "buckets": tuple(len(b) for b in buckets)}, label + "/")
    out: list = [None] * len(tensors)
    for i, value in zip([i for bucket in buckets for i in bucket], wait.outputs):
        out[i] = value
    return out
