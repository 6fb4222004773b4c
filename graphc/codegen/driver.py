"""The one compile driver and the backend registry.

``compile_run(backend, plan, feed_shapes, device)`` is how a ``RunPlan`` becomes an executable:
the driver wraps the request in a ``CompileJob``, whose ``kernel_plan`` and ``memory_plan`` run
the pass pipeline (``passes/pipeline.compile_plan``) once, on first use, and hands the job to the
backend's ``compile(job)``. Backends never run the pipeline themselves; the eager executor never
asks for the plans unless a caller reads its ``kernel_plan``.

A backend is one ``register(Backend(...))`` line in ``BACKENDS`` below, naming the codegen module
that defines ``compile(job: CompileJob) -> Executable`` (and, when the record says so,
``is_available()`` with ``UNAVAILABLE``, ``picked_automatically()`` and ``device()``). Modules are imported on first
use, so listing backends or opening a session imports no compiler.

A backend that compiles parts of a graph on its own (a loop body, a branch of a conditional)
calls ``job.compile_subplan(sub_plan, feed_shapes)``: the same backend and device, through the
same pipeline.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple

from graphc.passes import pipeline
from graphc.passes.fusion import KernelPlan
from graphc.passes.memory import MemoryPlan
from graphc.passes.run_plan import RunPlan


class Executable(Protocol):
    """What a backend's ``compile(job)`` returns and ``Session.run`` calls.

    ``run(feed_values, state) -> (results, updates)``: ``feed_values`` in the order of
    ``plan.feeds``; ``state`` is the session's ``SessionState`` (``values``: variable op -> array,
    never modified by the run; ``next_count(op)`` for random streams; ``op_state(op)`` the dict an op
    with ``OpDef.session_state`` keeps between runs); ``results`` in the order of
    ``plan.fetches``; ``updates`` maps variable ops to their new values. A backend that writes a
    variable's own array calls ``codegen/commit.writing_in_place()`` first, and never does when
    ``state.in_place`` is False (a background trial run, ``codegen/tiered.py``). An executable
    whose runs never do may say so with ``writes_in_place = False``: the session then arms no
    signal deferral around its runs (an executable without the attribute counts as writing).
    """

    backend: str
    plan: RunPlan

    @property
    def kernel_plan(self) -> KernelPlan: ...

    @property
    def kernels(self) -> list: ...

    @property
    def peak_bytes(self) -> int: ...

    def run(self, feed_values: Sequence[Any], state: Any) -> Tuple[list, dict]: ...


@dataclasses.dataclass(frozen=True)
class Backend:
    """One registered backend: its name, the codegen module that compiles for it, and its traits."""

    name: str
    module: str                         # defines compile(job: CompileJob) -> Executable
    shape_specialized: bool = True      # one executable per tuple of feed shapes (else per feed set)
    may_be_unavailable: bool = False    # the module defines is_available() (asked once per process)
    automatic: bool = False             # "auto" picks it when its module's picked_automatically() says so
    owns_device: bool = False           # the module defines device(): a session's device memory
    tiers: bool = False                 # a session runs new executables eagerly while it compiles (codegen/tiered.py)

    def load(self) -> Any:
        return importlib.import_module(self.module)

    def available(self) -> bool:
        """Whether it can run here (memoized: the check may initialize a GPU driver)."""
        if not self.may_be_unavailable:
            return True
        if self.name not in _AVAILABLE:
            _AVAILABLE[self.name] = bool(self.load().is_available())
        return _AVAILABLE[self.name]

    def unavailable_message(self) -> str:
        """What to do when it cannot run here (the module's ``UNAVAILABLE``)."""
        return str(getattr(self.load(), "UNAVAILABLE", f"backend={self.name!r} cannot run here"))

    def make_device(self) -> Any:
        """The device memory a new session keeps its variables in (None: host numpy arrays)."""
        return self.load().device() if self.owns_device else None

    def compile(self, job: "CompileJob") -> Executable:
        return self.load().compile(job)


@dataclasses.dataclass
class CompileJob:
    """What a backend's ``compile`` gets: the run plan, the feed shapes it is specialized on, the
    session's device, and the middle end's plans (computed once, when first read)."""

    backend: Backend
    plan: RunPlan
    feed_shapes: Optional[tuple] = None
    device: Any = None
    _plans: Optional[Tuple[KernelPlan, MemoryPlan]] = dataclasses.field(default=None, repr=False)

    def _planned(self) -> Tuple[KernelPlan, MemoryPlan]:
        if self._plans is None:
            # output sizes at which the backend's kernels run slower over their input (its module's
            # NO_OVERWRITE, see memory.plan)
            no_overwrite = getattr(self.backend.load(), "NO_OVERWRITE", ())
            self._plans = pipeline.compile_plan(self.plan, self.feed_shapes, no_overwrite=no_overwrite)
        return self._plans

    @property
    def kernel_plan(self) -> KernelPlan:
        return self._planned()[0]

    @property
    def memory_plan(self) -> MemoryPlan:
        return self._planned()[1]

    def compile_subplan(self, plan: RunPlan, feed_shapes: Optional[tuple] = None) -> Executable:
        """An executable for ``plan`` (a subgraph's RunPlan) on this job's backend and device."""
        return compile_run(self.backend.name, plan, feed_shapes, self.device)


BACKENDS: Dict[str, Backend] = {}
AUTO = "auto"
AUTO_FALLBACK = "numba"      # what "auto" means when no automatic backend runs here (the CPU backend)
_AVAILABLE: Dict[str, bool] = {}


def register(backend: Backend) -> Backend:
    """Adds ``backend`` to the registry (``Session(backend=name)`` then accepts it)."""
    BACKENDS[backend.name] = backend
    return backend


register(Backend("numba", "graphc.codegen.numba_cpu", tiers=True))
register(Backend("triton", "graphc.codegen.triton_gpu", may_be_unavailable=True, automatic=True, owns_device=True))
register(Backend("eager", "graphc.codegen.eager", shape_specialized=False))
register(Backend("interpret", "graphc.codegen.interpret"))


def names() -> List[str]:
    """Every backend name ``Session(backend=...)`` knows, "auto" first."""
    return [AUTO] + list(BACKENDS)


def available_backends() -> List[str]:
    """The backend names ``Session(backend=...)`` accepts and can run here, "auto" first."""
    return [AUTO] + [name for name, b in BACKENDS.items() if b.available()]


def resolve(name: str) -> Backend:
    """The registered backend ``name`` stands for ("auto": the first automatic backend that can
    run here and says it should, else ``AUTO_FALLBACK``)."""
    if name == AUTO:
        for b in BACKENDS.values():
            if b.automatic and b.load().picked_automatically() and b.available():
                return b
        return BACKENDS[AUTO_FALLBACK]
    return BACKENDS[name]


def compile_run(backend: str, plan: RunPlan, feed_shapes: Optional[tuple] = None, device: Any = None) -> Executable:
    """``plan`` compiled by the registered backend ``backend`` (feed shapes ignored by backends
    that do not specialize on them); ``device``: the session's device memory, if the backend owns one."""
    b = BACKENDS[backend]
    job = CompileJob(b, plan, feed_shapes if b.shape_specialized else None, device)
    return b.compile(job)
