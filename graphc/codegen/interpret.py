"""Runs a kernel plan with numpy, kernel by kernel, honouring the memory plan.

Every planned buffer is a real array that later values reuse, and variables updated "in place"
are written into a scratch copy that readers then see, so a wrong plan (a buffer reused while
still needed, an in-place write before the last read) gives wrong numbers that tests catch.
It is the executable behind ``backend="interpret"`` and the model the compiled backends follow.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from graphc.codegen import run_policy as policy
from graphc.codegen.host import call_numpy, subplan_factory, with_regions
from graphc.codegen.driver import CompileJob
from graphc.passes.ir import READ_VARIABLE
from graphc.passes.memory import Place


class InterpretedExecutable:
    """A kernel plan run node by node with numpy, every planned buffer a real array (``driver.Executable``)."""

    backend = "interpret"

    def __init__(self, job: CompileJob) -> None:
        self.plan = job.plan
        self.kernel_plan, self.memory_plan = job.kernel_plan, job.memory_plan
        self.kernels = self.kernel_plan.launched
        self.peak_bytes = self.memory_plan.peak_bytes
        self.call = with_regions(call_numpy, subplan_factory(job))    # bodies interpreted too

    def run(self, feed_values: Sequence[np.ndarray], state: Any) -> tuple:
        prog = self.kernel_plan.program
        storage = self.memory_plan.storage
        env: dict = {}
        scratch: dict = {}     # variable op -> private copy written in place during this run
        buffers: dict = {}

        def variable_value(var):
            policy.check_initialized(var, state)
            if var not in scratch:
                scratch[var] = np.array(state.values[var], copy=True)
            return scratch[var]

        for n in prog.feeds:
            env[n.outputs[0]] = feed_values[n.attrs["slot"]]
        for var, n in prog.reads.items():
            if var in state.values:
                env[n.outputs[0]] = variable_value(var)
        with np.errstate(all="ignore"):
            def value(v):
                if v not in env:
                    if v.op.type == READ_VARIABLE:
                        variable_value(v.op.attrs["variable"])
                    elif v.op.type == "Const":
                        env[v] = v.op.attrs["value"]
                return env[v]

            for k in self.kernel_plan.kernels:
                env.update(policy.run_nodes(k.nodes, value, self.call, state))
                for v in k.outputs:
                    env[v] = self._store(v, env[v], storage, buffers, scratch)
            results = [np.array(value(v), copy=True) for v in prog.fetches]
            updates = {}
            for var, v in prog.updates.items():
                where = storage.get(v)
                updates[var] = scratch[var] if where and where.place is Place.VARIABLE else np.array(value(v), copy=True)
        return results, updates

    @staticmethod
    def _store(v, value, storage, buffers, scratch):
        where = storage.get(v)
        if not where:
            return value
        if where.place is Place.BUFFER:
            buf = buffers.get(where.ref)
            if buf is None or buf.size != np.size(value) or buf.dtype != value.dtype:
                buf = np.empty(np.shape(value), dtype=value.dtype)
                buffers[where.ref] = buf
            out = buf.reshape(np.shape(value))
            np.copyto(out, value)
            return out
        if where.place is Place.VARIABLE:
            target = scratch.get(where.ref)
            if target is None:   # a variable written but not read in this run (Variable.load's assign)
                target = scratch[where.ref] = np.array(value, copy=True)
                return target
            np.copyto(target, value)
            return target
        return value


def compile(job: CompileJob) -> InterpretedExecutable:
    """The backend entry point (see ``codegen/driver.py``)."""
    return InterpretedExecutable(job)
