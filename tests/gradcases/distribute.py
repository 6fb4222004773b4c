"""Gradient checks for the collectives (graphc/distribute/ops.py) in a one-process job.

With one rank each collective is the identity (allgather: its rows), so central differences
check the rules' wiring: shapes, the gathered rows, the reduce-to-root inside the broadcast's
gradient. Their values with two ranks are checked against hand-derived numbers by
tests/distribute/test_distribute.py (tests/distribute_scripts/collectives.py).
"""
import numpy as np
import pytest

import graphc as tf
import graphc.distribute as hvd
from graphc.distribute.overlap import overlapped_allreduce
from gradcheck import GradCase, rng

r = rng(19)
x23 = r.uniform(-2.0, 2.0, (2, 3))


def _init():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed: pip install -e '.[mpi]'")
    hvd.init()


def _build(fn):
    def build(a):
        _init()
        return fn(a)
    return build


CASES = [
    GradCase("mpi_allreduce_sum", {"MPIAllreduce"},
             _build(lambda a: tf.sin(hvd.allreduce(a * a, op=hvd.Sum))), [x23]),
    GradCase("mpi_allreduce_average", {"MPIAllreduce"}, _build(lambda a: tf.exp(hvd.allreduce(a) * 0.5)), [x23]),
    GradCase("mpi_broadcast", {"MPIBroadcast"},
             _build(lambda a: tf.tanh(hvd.broadcast(a * a, 0))), [x23]),
    # threshold 0: each tensor its own bucket, so MPIAllreduceStart/Wait (not one MPIAllreduce)
    GradCase("mpi_allreduce_overlapped", {"MPIAllreduceStart", "MPIAllreduceWait"},
             _build(lambda a: (lambda o: o[0] * tf.cos(o[1]))(overlapped_allreduce([a * a, tf.sin(a)], threshold=0))),
             [x23]),
    GradCase("mpi_allgather", {"MPIAllgather"},
             _build(lambda a: hvd.allgather(a) * tf.constant(np.arange(6.0).reshape(2, 3))), [x23]),
]
