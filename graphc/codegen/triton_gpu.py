"""The Triton backend: each fused kernel of the plan becomes a generated ``@triton.jit`` function.

The backend is three modules with one job each: ``triton_printer.py`` prints a kernel as a module
of ``@triton.jit`` functions (which kernels become which programs is said there),
``triton_steps.py`` launches them (geometry, block sizes, two-stage reductions, matmul tiles) and
runs gathers and numpy steps, and this module builds the executable from the driver's plans and
runs the steps, with the device residency rules below. The run-time policy (static-shape trust, the
in-place plan, buffer pools, the hand-out rule, the numpy step) is ``run_policy.py``, shared with
the Numba backend. ``opaque``/``view``/``host`` kernels and kernels the printer cannot compile run
with numpy on the host (``TritonExecutable.numpy_kernels`` lists each one and why); views and shape
queries move no data.

Generated modules go through the code cache (``graphc.toolchain.cache``, prefix ``tk``) because
``triton.jit`` needs a real source file; they carry op types and broadcast patterns but no
names or sizes, so one structure is one file whatever the graph or batch size. Under
``TRITON_INTERPRET=1`` the kernels run with Triton's CPU interpreter on numpy arrays
(``graphc.codegen.triton_memory``); set it before anything imports triton (the ``@triton.jit``
decorator picks the interpreter when it runs). Importing this module does not import triton.

A few long rows (at most ``triton_steps.SPLIT_MAX_ROWS``, each at least ``SPLIT_MIN_LENGTH`` long, e.g. a
sum of everything) would leave all but a few programs idle, so one-pass reduction kernels also get
``kernel_split_partial`` (programs over (row, part): partial results per part, in a fixed order)
and ``kernel_split_final`` (combines a row's partials, then the epilogue): still no atomics.

Known limits: numpy steps on a GPU move their operands through the host.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Sequence

import numpy as np

from graphc.codegen import kernel_common as kc
from graphc.codegen import run_policy as policy
from graphc.codegen import triton_memory as tm
from graphc.codegen.driver import CompileJob
from graphc.codegen.host import call_numpy, subplan_factory, with_regions
from graphc.codegen.triton_loop import DeviceLoops
from graphc.codegen.triton_printer import KernelSource, scalar_rules
from graphc.codegen.triton_steps import (GPU_BLOCKS, INTERPRETER_BLOCKS, STATS, CompiledStep, GatherStep,
                                         NumpyStep, RunContext)
from graphc.ops.core import OPS, OpKind
from graphc.passes.fusion import KernelKind, facts
from graphc.passes.memory import Place

__all__ = ["TritonExecutable", "compile", "device", "is_available", "picked_automatically", "STATS"]

NUMPY_KINDS = {
    KernelKind.OPAQUE: "no Triton template for this op yet: its numpy kernel runs on the host",
    KernelKind.VIEW: "a reshape of an existing buffer (no launch, no copy)",
    KernelKind.HOST: "a shape computed on the host (no launch)",
}


def is_available() -> bool:
    """True when Triton can run kernels here: under ``TRITON_INTERPRET=1`` (CPU), or on a CUDA
    device that Triton's driver reports active, with torch importable for device memory."""
    if importlib.util.find_spec("triton") is None:
        return False
    if tm.interpreting():
        return True
    return tm.cuda_device_active() and tm.gpu_array_library_available()


UNAVAILABLE = ("backend='triton' needs a usable CUDA GPU (none found: check the driver and CUDA_VISIBLE_DEVICES) "
               "or TRITON_INTERPRET=1 to run Triton kernels on the CPU; use backend='numba' or 'auto' here.")


def picked_automatically() -> bool:
    """``backend="auto"`` means Triton where it runs on a GPU; its CPU interpreter is for testing only."""
    return not tm.interpreting()


def device() -> tm.ArrayLayer:
    """Where a Triton session keeps its arrays; chosen once per session."""
    return tm.default_layer()


def _load(gen: KernelSource):
    import triton

    return kc.load_module(gen.source, "tk", [f"triton={triton.__version__}", scalar_rules().HELPERS_HASH], STATS)


class TritonExecutable:
    """A RunPlan compiled to Triton kernels plus a Python driver; same interface as the other backends.

    ``kernels``: the launched kernels, each with ``.source`` (generated module text, or a note
    saying which numpy kernel runs it); ``numpy_kernels``: (kernel index, op types, reason) for
    every launched kernel that runs with numpy on the host; ``peak_bytes``: from the memory plan;
    ``layer``: where arrays live (``triton_memory``); ``inplace_variables``: the variables whose
    new values are written into their own device arrays (``inplace_note`` says why there are none
    when the memory plan asked for some).

    Device residency: variables' values are device arrays of ``layer`` for the session's life. A
    run uploads its feeds (a feed already on the device is used as is), reads variables where they
    are, returns fetches downloaded once to numpy and variables' new values as device arrays that
    the session owns (never a feed's or a constant's memory).

    In place: the memory plan picks updates that may overwrite the variable's array. This driver
    does so only in a trusted run (every feed and variable at its static shape) after one trusted
    run has gone to the end (every kernel compiled and launched), and only when every step from
    the first such kernel on is a compiled kernel, a view or a shape query whose input shapes and
    shape arguments are all fixed by the static shapes (``step.certain``): kernels do not fail on
    data, so such a run cannot stop half way with some variables updated and others not. Numpy
    steps with fully static outputs check them in trusted runs (``step.promised``), so an opaque op
    early in a training step does not turn the updates after it off.
    """

    backend = "triton"

    def __init__(self, job: CompileJob) -> None:
        self.plan = job.plan
        self.layer = job.device or tm.default_layer()
        self.blocks = INTERPRETER_BLOCKS if tm.interpreting() else GPU_BLOCKS
        self.kernel_plan, self.memory_plan = job.kernel_plan, job.memory_plan
        factory = subplan_factory(job)                 # region bodies: Triton sub-executables
        self.loops = DeviceLoops(factory, self.layer)  # loops keep their state on the device
        self.call = with_regions(call_numpy, factory, self.loops.runner)
        self.storage = self.memory_plan.storage
        self.kernels = self.kernel_plan.launched
        self.peak_bytes = self.memory_plan.peak_bytes
        self.pool = policy.BufferPool(self._empty, self.layer.flat)   # values that stay inside a run
        self.numpy_kernels: list = []
        prog = self.kernel_plan.program
        escaping = {self.storage.get(v) for v in prog.outputs()}
        self.escaping = {w.ref for w in escaping if w and w.place is Place.BUFFER}
        self.const_hosts = {n.outputs[0]: np.array(n.attrs["value"], copy=True, order="C")
                            for n in prog.nodes if n.type == "Const"}     # shape arguments read on the host
        self.consts = {v: self.layer.from_host(a) for v, a in self.const_hosts.items()}
        self.steps = [self._step(k) for k in self.kernel_plan.kernels]
        static = [n.outputs[0] for n in list(prog.feeds) + list(prog.reads.values())
                  if n.outputs[0].shape.is_fully_defined()]
        policy.mark_certain_steps(self.steps, static, self.consts)
        self.inplace, self.inplace_note = policy.plan_inplace(self.kernel_plan, self.storage, self.steps)
        self.inplace_variables = sorted({var.name for var in self.inplace.values()})
        self.static_reads = [(n.outputs[0], n.outputs[0].shape.as_tuple()) for n in prog.reads.values()]
        self.trusted_run_done = False  # a trusted run went to the end: every kernel compiles and launches

    def _step(self, k):
        return policy.kernel_step(k, KernelSource, lambda k, gen: CompiledStep(k, gen, _load(gen), self.blocks),
                                  self._numpy_step, NUMPY_KINDS)

    def _numpy_step(self, k, reason: str):
        node = k.nodes[0]
        if k.kind == KernelKind.OPAQUE and len(k.nodes) == 1 and facts(node).gather \
                and node.outputs[0].dtype.name in scalar_rules().COMPILED_DTYPES:
            k.source = (f"# {node.name}: {node.type} as graphc.codegen.triton_scalar.gather_kernel through an "
                        "index map from its numpy kernel (on the device)\n")
            return GatherStep(k)
        if OPS[node.type].kind is OpKind.REGION:
            reason = "a region: its bodies run as Triton sub-executables driven from the host; a loop keeps its state on the device"
        k.source = policy.numpy_note(k, "on the host", reason)
        if k.launches:
            self.numpy_kernels.append((k.index, k.op_types, reason))
        return NumpyStep(k, reason, self.call)

    # -- running --------------------------------------------------------------------------------
    def run(self, feed_values: Sequence[Any], state: Any, device_fetches: bool = False) -> tuple:
        """Returns (fetch values as numpy arrays, {variable op: new value as a device array});
        with ``device_fetches`` the fetches stay on the device too (arrays of ``layer``).

        ``state.values`` (the dict) is never modified; a variable's array is overwritten only
        when it is updated in place (see the class docstring), and then it is the new value.
        """
        prog = self.kernel_plan.program
        ctx = RunContext(self, state)
        env = ctx.env
        for n in prog.feeds:
            env[n.outputs[0]] = self._feed(n, feed_values[n.attrs["slot"]])
        for var, n in prog.reads.items():
            env[n.outputs[0]] = self._variable(var, state)
        ctx.trusted = all(tuple(env[v].shape) == shape for v, shape in self.static_reads)
        ctx.inplace_ok = bool(self.inplace) and ctx.trusted and self.trusted_run_done
        env.update(self.consts)
        for step in self.steps:
            step.run(ctx)
        handed: set = set()
        if device_fetches:
            results = [self._owned(ctx.env[v], ctx, handed) for v in prog.fetches]
        else:
            results = [self._download(v, ctx, handed) for v in prog.fetches]
        updates = {var: self._keep(var, v, ctx, handed) for var, v in prog.updates.items()}
        if ctx.trusted:
            self.trusted_run_done = True
        return results, updates

    def _empty(self, n: int, dtype: Any) -> Any:
        return self.layer.empty((n,), dtype)

    def _feed(self, node, value) -> Any:
        dtype = node.outputs[0].dtype.np_type
        if not isinstance(value, np.ndarray):
            resident = self.layer.adopt(value, dtype)
            if resident is not None:        # already on the device: no host round trip
                policy.check_feed(node, resident)
                return resident
        arr = policy.c_array(value)
        policy.check_feed(node, arr)
        return arr      # stays on the host until a kernel reads it (ctx.device uploads it then)

    def _variable(self, var, state) -> Any:
        policy.check_initialized(var, state)
        value = state.values[var]
        if self.layer.owns(value, var.outputs[0].dtype.np_type):
            return value                    # resident: no transfer
        # a host value (a state filled by another executor, as the tests do): uploaded for this run
        return self.layer.from_host(np.asarray(value))

    def _download(self, v, ctx: RunContext, handed: set) -> np.ndarray:
        """A host array for the caller: the run's own output when it is not handed out yet, else a copy."""
        x = ctx.env[v]
        if not isinstance(x, np.ndarray):
            return policy.c_array(self.layer.to_host(x))     # a download is already a fresh array
        return policy.hand_out(x, ctx.fresh, handed)

    def _keep(self, var, v, ctx: RunContext, handed: set) -> Any:
        """Variable ``var``'s new value as an array of the layer that only the session will hold."""
        own = ctx.written.get(var)
        return own if own is not None else self._owned(ctx.env[v], ctx, handed)

    def _owned(self, x, ctx: RunContext, handed: set) -> Any:
        """``x`` as an array of the layer that no one else holds: the run's own output the first
        time it is handed out, else a copy (of a feed's, a constant's or a variable's memory)."""
        if isinstance(x, np.ndarray):
            if self.layer.on_host:
                return policy.hand_out(x, ctx.fresh, handed)
            return self.layer.from_host(np.array(x, copy=True))
        owner = ctx.fresh.get(id(x))
        if owner is not None and owner not in handed:
            handed.add(owner)
            return x
        return self.layer.copy(x)


def compile(job: CompileJob) -> TritonExecutable:
    """The backend entry point (see ``codegen/driver.py``); ``job.device`` is the session's device
    memory (default: ``tm.default_layer()``)."""
    return TritonExecutable(job)
