"""The Numba CPU backend: each fused kernel of the plan becomes generated Python source, compiled by numba.njit.

The backend is three modules with one job each: ``numba_printer.py`` prints a kernel as a module
of njit functions (which kernels become which loops is said there), ``numba_steps.py`` launches
them (geometry, buffers, the parallel variant) and runs numpy steps, and this module builds the
executable from the driver's plans and runs the steps. The run-time policy (static-shape trust,
the in-place plan, buffer pools and recycling, the hand-out rule, the numpy step) is
``run_policy.py``, shared with the Triton backend.

``opaque``/``view``/``host`` kernels and kernels the printer cannot compile run the op's numpy
kernel from the Python driver; ``NumbaExecutable.numpy_kernels`` lists each one and why.

Every generated module is written to the code cache (``graphc.toolchain.cache``), which gives its
njit functions a signed numba cache there, so compiled code is kept across processes. Each
module has a serial ``kernel`` and a ``kernel_par`` (prange) variant, and kernels that loop over
kept dims a ``kernel_rows`` variant that threads share chunk by chunk (``numba_threads``); a
parallel form runs when the kernel's work (elements times a per-op weight) reaches
``numba_steps.PARALLEL_MIN`` (``kernel_rows`` unless an output shares memory with an input) and is
only compiled if some run needs it.

The driver precomputes per executable what it can: each kernel's geometry when every shape is
static (a run whose feeds and variables have their static shapes then does no shape work),
pooled views for values that stay inside a run, recycled arrays for values that leave it.
Arrays of any rank are passed to kernels as they are (kernels address them by flat offset).
From an executable's second trusted run on, the steps run through one generated straight-line
function instead of the step loop (``numba_driver.py``; ``driver_source`` shows it).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from graphc.codegen import kernel_common as kc
from graphc.codegen import numba_driver, numba_host, numba_loop
from graphc.codegen import numba_scalar as scalar
from graphc.codegen import run_policy as policy
from graphc.codegen.driver import CompileJob
from graphc.codegen.host import subplan_factory, with_regions
from graphc.codegen.numba_printer import KernelSource
from graphc.codegen.numba_steps import (INPLACE_PRANGE_MIN, STATS, CompiledStep, NumpyStep, RunContext, share_im2col,
                                        stand_in)
from graphc.ops.core import OPS, Lowering, OpKind
from graphc.passes.fusion import KernelKind
from graphc.passes.memory import Place

# A pointwise kernel whose output overwrites an input runs its prange variant from
# INPLACE_PRANGE_MIN elements (LLVM's alias check sends the serial loop to its scalar fallback): a
# thread launch (~40 us) plus half the loop, where a separate output runs the serial vector loop
# (0.3-0.5 ns an element: cheaper up to about 2**17 elements) and lets the generated driver call
# the kernel directly (it does so only when outputs stay apart from inputs). An LSTM's 64 x 256
# backward gate kernel: its step's 81 us a call became a direct call.
NO_OVERWRITE = (INPLACE_PRANGE_MIN, 2 ** 17)

__all__ = ["NumbaExecutable", "compile", "ops_run_with_numpy", "STATS"]

# What happens to each kernel kind that is not compiled (reported by `numpy_kernels`).
NUMPY_KINDS = {
    KernelKind.OPAQUE: "no Numba template for this op yet: its numpy kernel runs from the Python driver",
    KernelKind.VIEW: "a reshape of an existing buffer (no launch)",
    KernelKind.HOST: "a shape computed on the host (no launch)",
}


def ops_run_with_numpy() -> list:
    """Op types whose kernels run with numpy from the driver (opaque in the fusion plan; views excluded)."""
    compiled_kinds = {OpKind.ELEMENTWISE, OpKind.MATMUL, OpKind.SOURCE, OpKind.STATE, OpKind.CONTROL}
    planned = {Lowering.REDUCTION, Lowering.VIEW, Lowering.HOST, Lowering.ELEMENTWISE}
    out = []
    for t, od in OPS.items():
        if od.lowering in planned or od.kind in compiled_kinds:
            continue
        out.append(t)
    return sorted(out)


def _load(gen: KernelSource):
    return kc.load_module(gen.source, "gk", [scalar.HELPERS_HASH], STATS)


class NumbaExecutable:
    """A RunPlan compiled to Numba kernels plus a Python driver (``driver.Executable``).

    ``kernels``: the launched kernels, each with ``.source`` (generated module text, or a note
    saying which numpy kernel runs it); ``numpy_kernels``: (kernel index, op types, reason) for
    every launched kernel that runs with numpy; ``peak_bytes``: from the memory plan;
    ``inplace_variables``: the variables whose new values are written into their own arrays
    (``inplace_note`` says why there are none when the memory plan asked for some);
    ``whole_loops``: loop node name -> compiled whole, or why not (``numba_loop.py``; set on a loop's
    first run).

    Variables in place: the memory plan picks updates that may overwrite the variable's array
    (every reader of the old value runs before or in the writing kernel). This driver does so
    only when nothing from the first such kernel on can fail (``run_policy.plan_inplace``), so a
    failed run still leaves every variable untouched; otherwise the new value goes to a recycled
    array that the session swaps in when the run commits.
    """

    backend = "numba"

    def __init__(self, job: CompileJob) -> None:
        self.plan = job.plan
        self.kernel_plan, self.memory_plan = job.kernel_plan, job.memory_plan
        factory = subplan_factory(job)                 # region bodies: Numba sub-executables
        self.loops = numba_loop.Loops(factory, self.kernel_plan.dump_dir)        # loops compiled whole where their kernels allow
        self.call = with_regions(numba_host.call, factory, self.loops.runner)
        self.storage = self.memory_plan.storage
        self.kernels = self.kernel_plan.launched
        self.peak_bytes = self.memory_plan.peak_bytes
        self.pool = policy.BufferPool(_empty, _flat, cache_views=True)   # values that stay inside a run
        self.recycler = policy.Recycler()                                 # values that leave it
        self.numpy_kernels: list = []
        prog = self.kernel_plan.program
        outputs = set(prog.outputs())
        self.pooled = {v: where.ref for v, where in self.storage.items()
                       if where.place is Place.BUFFER and v not in outputs}
        self.consts = {n.outputs[0]: np.array(n.attrs["value"], copy=True, order="C")
                       for n in prog.nodes if n.type == "Const"}
        self.feed_slots = [(n.outputs[0], n.attrs["slot"], n.outputs[0].shape.as_tuple(), n) for n in prog.feeds]
        self.read_slots = [(n.outputs[0], var, n.outputs[0].shape.as_tuple()) for var, n in prog.reads.items()]
        self.fetches = list(prog.fetches)
        self.updates = list(prog.updates.items())
        self.steps = [self._step(k) for k in self.kernel_plan.kernels]
        share_im2col(self.steps)
        # feeds no compiled kernel reads (its geometry assumes C order): a loop's stand-in stack
        # (read-only, one row repeated) goes to their numpy steps as it is, never copied
        compiled_reads = {v for step in self.steps if isinstance(step, CompiledStep)
                          for v in list(step.in_values) + list(step.mm_values)}
        self.strided_feeds = {slot for value, slot, _shape, _node in self.feed_slots if value not in compiled_reads}
        static = [n.outputs[0] for n in list(prog.feeds) + list(prog.reads.values())
                  if n.outputs[0].shape.is_fully_defined()]
        policy.mark_certain_steps(self.steps, static, self.consts)
        self.inplace, self.inplace_note = policy.plan_inplace(self.kernel_plan, self.storage, self.steps,
                                                              small_fresh=True)
        self.inplace_variables = sorted({var.name for var in self.inplace.values()})
        # whether a run may write a variable's own array (here or in a region body's executable):
        # the session arms commit's signal deferral around the runs that may
        self.writes_in_place = bool(self.inplace) or any(getattr(s, "regions", False) for s in self.steps)
        self.whole_loops = self.loops.why
        # numba_driver.Driver after the first trusted run; False: none (switched off when compiled,
        # or nothing to inline)
        self.driver: Any = None if numba_driver.enabled() else False
        self.driver_source = ""      # the generated driver's text (numba_driver.py), once built

    def _step(self, k):
        if k.kind == KernelKind.CONV and len(k.nodes) > 1:   # a Conv2D and its compiled epilogue
            return self._conv_step(k)
        return policy.kernel_step(k, KernelSource, lambda k, gen: CompiledStep(k, gen, _load(gen)),
                                  self._numpy_step, NUMPY_KINDS)

    def _conv_step(self, k):
        """The convolution into a product buffer (numba_conv), then its elementwise epilogue
        (bias, activation) as a generated kernel over it, like a matmul's."""
        try:
            gen = KernelSource(k)
        except kc.Unsupported as e:
            return self._numpy_step(k, f"conv epilogue not compiled: {e}")
        k.source = gen.source
        return CompiledStep(k, gen, _load(gen))

    def _numpy_step(self, k, reason: str) -> NumpyStep:
        if all(numba_host.kernel_for(n.type) for n in k.nodes):
            k.source = "".join(f"# {n.name}: graphc.codegen.numba_host.KERNELS[{n.type!r}] "
                               "(hand-written njit; the numpy kernel where it does not apply)\n" for n in k.nodes)
            return NumpyStep(k, "hand-written njit kernel")
        node = k.nodes[0]
        if OPS[node.type].kind is OpKind.REGION:
            reason = "a region: its bodies run as Numba sub-executables from the Python driver"
            if node.type == "While":
                reason += "; whole_loops says whether the loop runs as one njit function"
        k.source = policy.numpy_note(k, "from the Python driver", reason)
        if k.launches:
            self.numpy_kernels.append((k.index, k.op_types, reason))
        return NumpyStep(k, reason, self.call)

    def own_array(self, var, ctx: RunContext) -> Optional[np.ndarray]:
        """The variable's current array if this run may overwrite it (C-contiguous, writeable, exact
        dtype; never in a trial run, whose state says ``in_place = False``)."""
        state = ctx.state
        if not getattr(state, "in_place", True):
            return None
        arr = state.values.get(var)
        if type(arr) is not np.ndarray or not arr.flags.c_contiguous or not arr.flags.writeable:
            return None
        if arr.dtype != var.outputs[0].dtype.np_type:
            return None
        return arr

    # -- running ----------------------------------------------------------------------------------
    writes_into = True     # ``run`` takes ``into`` (see there)

    def run(self, feed_values: Sequence[np.ndarray], state: Any, into: Optional[dict] = None) -> tuple:
        """Returns (fetch values, {variable op: new value}).

        ``state.values`` (the dict) is never modified; a variable's array is overwritten only when
        the memory plan and ``inplace_variables`` say so, and then it is also the returned new value.
        ``into``: {fetch position: a C array of its shape and dtype}: a fetch that a compiled kernel
        computes is written straight into that array (a loop's row of a recorded value), which is
        then the fetch returned; others are returned as usual.
        """
        ctx = RunContext(self, state, {self.fetches[i]: a for i, a in into.items()} if into else None)
        env = ctx.env
        for value, slot, shape, node in self.feed_slots:
            x = feed_values[slot]
            if type(x) is not np.ndarray or x.shape != shape or not x.flags.c_contiguous:
                if not (slot in self.strided_feeds and type(x) is np.ndarray and x.shape == shape
                        and stand_in(x)):
                    x = self._feed(node, x)
            env[value] = x
        trusted = True
        values = state.values
        for value, var, shape in self.read_slots:
            arr = values.get(var)
            if type(arr) is not np.ndarray or not arr.flags.c_contiguous:
                arr = self._variable(var, state)
            if arr.shape != shape:
                trusted = False
            env[value] = arr
        ctx.trusted = trusted
        env.update(self.consts)
        driver = self.driver if trusted else None
        if driver and driver.accepts(env):
            driver.run(ctx, env, ctx.alloc)
            if driver.pending is not None:
                driver.pending.after_run(self, env)
        else:
            for step in self.steps:
                step.run(ctx)
            if trusted and driver is None:
                self._build_driver(env)
        handed: set = set()
        hand_out = self._hand_out
        results = [hand_out(env[v], ctx, handed) for v in self.fetches]
        written = ctx.written
        updates = {var: written[var] if var in written else hand_out(env[v], ctx, handed) for var, v in self.updates}
        return results, updates

    def _build_driver(self, env: dict) -> None:
        """Generates the straight-line driver after a first trusted run has loaded every kernel
        (``numba_driver.py``); False when it would inline nothing."""
        built = numba_driver.straight_line(self, env)
        self.driver = built or False
        self.driver_source = built.source if built else ""

    @staticmethod
    def _feed(node, value) -> np.ndarray:
        arr = policy.c_array(value)
        policy.check_feed(node, arr)
        return arr

    @staticmethod
    def _variable(var, state) -> np.ndarray:
        policy.check_initialized(var, state)
        return policy.c_array(state.values[var])

    @staticmethod
    def _hand_out(arr: np.ndarray, ctx: RunContext, handed: set) -> np.ndarray:
        """The array itself if it was made for this run and is not handed out yet, else a copy."""
        return policy.hand_out(arr, ctx.fresh, handed)


def compile(job: CompileJob) -> NumbaExecutable:
    """The backend entry point (see ``codegen/driver.py``)."""
    return NumbaExecutable(job)


def _empty(n: int, dtype) -> np.ndarray:
    return policy.new_array((max(n, 1),), dtype)


def _flat(array: np.ndarray, n: int, shape: tuple) -> np.ndarray:
    return array[:n].reshape(shape)
