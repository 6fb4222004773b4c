"""``DistributedOptimizer`` and ``broadcast_global_variables``: data parallelism, Horovod's way.

Every rank computes gradients on its own part of the batch; ``DistributedOptimizer`` averages
them across ranks and hands the averages to the wrapped optimizer's ``apply_gradients``: one fused
allreduce op when all gradients fit one fusion buffer, else buckets of at most the fusion
threshold whose reductions start while the backward pass goes on (``overlap.py``). Started from the same variables (``broadcast_global_variables``), every rank
then takes the same step, as if one process had trained on the whole batch.

Sparse gradients: graphc's gradients are all dense tensors (the gradient of ``tf.gather`` or
``tf.nn.embedding_lookup`` is a dense scatter-add into a tensor of the variable's shape), so
embedding gradients are allreduced densely, which is what Horovod's ``sparse_as_dense=True``
does; that argument is accepted and changes nothing.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from graphc.distribute.compression import Compression
from graphc.distribute.mpi import engine
from graphc.distribute.ops import AVERAGE, SUM, grouped_broadcast
from graphc.distribute.overlap import overlapped_allreduce
from graphc.graph import Operation
from graphc.ops import source, state
from graphc.train.optimizer import Optimizer
from graphc.variables import global_variables


class DistributedOptimizer(Optimizer):
    """Wraps any graphc optimizer: gradients are averaged (or summed) across ranks before applying.

    ``device_dense``/``device_sparse`` are accepted for Horovod compatibility; collectives run
    on the host in graphc, so they have no effect.
    """

    def __init__(self, optimizer: Optimizer, name: Optional[str] = None, use_locking: bool = False,
                 device_dense: str = "", device_sparse: str = "", compression: Any = Compression.none,
                 sparse_as_dense: bool = False, op: str = AVERAGE) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer wraps a graphc optimizer, got {optimizer!r}")
        if op not in (SUM, AVERAGE):
            raise ValueError(f"op must be hvd.Sum or hvd.Average, got {op!r}")
        super().__init__(use_locking, name or f"Distributed{type(optimizer).__name__}")
        self._optimizer = optimizer
        self._compression = compression
        self._op = op
        engine()   # fail here, not at the first step, when init() was forgotten

    def compute_gradients(self, *args: Any, **kwargs: Any) -> list:
        """The wrapped optimizer's gradients, allreduced across ranks (one op for all of them)."""
        pairs = self._optimizer.compute_gradients(*args, **kwargs)
        if engine().size == 1:
            return pairs
        present = [i for i, (g, _) in enumerate(pairs) if g is not None]
        if not present:
            return pairs
        sent, contexts = [], []
        for i in present:
            compressed, ctx = self._compression.compress(pairs[i][0])
            sent.append(compressed)
            contexts.append(ctx)
        reduced = overlapped_allreduce(sent, self._op, name=f"{self._name}_Allreduce")
        out = list(pairs)
        for i, r, ctx in zip(present, reduced, contexts):
            out[i] = (self._compression.decompress(r, ctx), pairs[i][1])
        return out

    def apply_gradients(self, grads_and_vars: Any, global_step: Any = None,
                        name: Optional[str] = None) -> Operation:
        return self._optimizer.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def get_slot(self, var: Any, name: str) -> Any:
        return self._optimizer.get_slot(var, name)

    def get_slot_names(self) -> list:
        return self._optimizer.get_slot_names()

    def variables(self) -> list:
        return self._optimizer.variables()


def broadcast_variables(variables: Sequence[Any], root_rank: int) -> Operation:
    """An op that sets each of ``variables`` to ``root_rank``'s value (one fused broadcast)."""
    variables = list(variables)
    if not variables:
        return source.no_op(name="broadcast_variables")
    values = grouped_broadcast([v.value() if hasattr(v, "value") else v for v in variables], root_rank,
                               name="broadcast_variables")
    return source.group(*[state.assign(v, x) for v, x in zip(variables, values)], name="broadcast_variables")


def broadcast_global_variables(root_rank: int) -> Operation:
    """An op that sets every global variable to ``root_rank``'s value; run it once after initializing."""
    return broadcast_variables(global_variables(), root_rank)
