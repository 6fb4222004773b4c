"""Running one IR node with its numpy kernel on the host: shared by every backend's driver.

Opaque kernels (and anything a backend's printer cannot compile) go through here, so random
ops draw from the same seeded streams (bit-identical results across backends) and failures
carry the node's name and the input shapes.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Optional

import numpy as np

from graphc import errors
from graphc.codegen import driver, executable_cache, regions
from graphc.ops.core import OPS, OpKind
from graphc.ops.random import make_rng


def _eager_body(plan) -> Any:
    return driver.compile_run("eager", plan)


class SubExecutable:
    """A region body's RunPlan compiled by one backend per feed shapes, on the first run with them,
    as a session does (``executable_cache``): the first shapes of a shape pattern exactly, later
    ones through one plan of the pattern until they ran ``PROMOTE_AFTER`` iterations, at most
    ``BODY_EXECUTABLES`` kept. The loop then calls
    compiled code each iteration, and a new batch size re-plans nothing after the second."""

    BODY_EXECUTABLES = 64
    PROMOTE_AFTER = 64      # iterations of one shape on its pattern's plan before it gets an exact plan

    def __init__(self, job: "driver.CompileJob", plan) -> None:
        self.job = job
        self.plan = plan
        self.compiled = executable_cache.ExecutableCache(self.BODY_EXECUTABLES, self.PROMOTE_AFTER)
        self.static_dims = [t._shape._dims for t in plan.feeds]
        # a loop compiled whole in the background (numba_loop) asks for exact executables from its
        # thread while the loop runs body by body here
        self.lock = threading.Lock()

    def for_shapes(self, shapes: tuple, exact: bool = False) -> Any:
        """The executable for feed ``shapes``: specialized on them, or on their pattern once a second
        shape of it ran; ``exact``: always specialized on them (a whole loop needs static shapes,
        and builds it outside the lock)."""
        with self.lock:
            exe = self.compiled.lookup((None, shapes))
            if exe is not None:
                return exe
            if not exact:
                return self.compiled.miss(None, shapes, self.static_dims, self._compile)[0]
        built = self._compile(shapes, "")
        with self.lock:
            return self.compiled.exact(None, shapes, self.static_dims, lambda _shapes, _why: built)

    def _compile(self, feed_shapes: Optional[tuple], why: str) -> Any:
        return self.job.compile_subplan(self.plan, feed_shapes)

    writes_into = True     # ``run`` takes ``into``; dropped for an executable that cannot write into arrays

    def run(self, feed_values: list, state, **options: Any) -> tuple:
        """The executable's ``run`` (``options``: its keyword arguments, as Triton's ``device_fetches``
        and Numba's ``into``: arrays fetches may be written into, which other backends ignore)."""
        shapes = tuple([x.shape if x.__class__ is np.ndarray else tuple(np.shape(x)) for x in feed_values])
        exe = self.for_shapes(shapes)
        if "into" in options and not getattr(exe, "writes_into", False):
            del options["into"]
        return exe.run(feed_values, state, **options)


def subplan_factory(job: "driver.CompileJob") -> regions.Factory:
    """The factory that compiles a region's bodies with ``job``'s backend and device (one per executable,
    so each body is compiled once per executable and feed shapes; see ``regions.body_executable``)."""
    return lambda plan: SubExecutable(job, plan)


def with_regions(call: Callable, factory: regions.Factory, whole_loop: Optional[Callable] = None) -> Callable:
    """``call(node, args, state)`` with region nodes (cond, loop) running their bodies through
    ``factory``'s sub-executables instead of eager ones; ``whole_loop(node)``: the node's compiled
    whole loop, if any (see ``regions.run``)."""
    def run(node, args: list, state) -> list:
        if OPS[node.type].kind is OpKind.REGION:
            whole = whole_loop(node) if whole_loop is not None else None
            return run_kernel(node, args, lambda: regions.run(node, args, state, factory, whole))
        return call(node, args, state)
    return run


def call_numpy(node, args: list, state) -> list:
    """The outputs of IR ``node`` computed by its op's numpy kernel, as arrays (a region node's
    bodies run through eager sub-executables; compiled backends use ``with_regions``)."""
    od = OPS[node.type]
    if od.kind is OpKind.REGION:
        return run_kernel(node, args, lambda: regions.run(node, args, state, _eager_body))
    kwargs = node.attrs
    if od.kind is OpKind.RANDOM:
        kwargs = dict(node.attrs, rng=make_rng(node.attrs["seed"], node.attrs["seed2"],
                                               state.next_count(node.origin)))
    if od.session_state:
        kwargs = dict(kwargs, op_state=state.op_state(node.origin))
    return run_kernel(node, args, lambda: od.numpy(*args, **kwargs))


def run_kernel(node, args: list, compute: Callable[[], Any]) -> list:
    """``compute()``'s outputs for ``node`` as a list of arrays; a bad input becomes an
    InvalidArgumentError naming the node and the input shapes."""
    try:
        with np.errstate(all="ignore"):
            out = compute()
    except errors.OpError:
        raise
    except MemoryError as e:
        shapes = ", ".join(str(np.shape(a)) for a in args)
        raise errors.ResourceExhaustedError(None, node.origin, (
            f"OOM when computing node '{node.name}' (op {node.type}) with input shapes [{shapes}]: {e}")) from None
    except (ValueError, TypeError, IndexError, ArithmeticError) as e:
        shapes = ", ".join(str(np.shape(a)) for a in args)
        raise errors.InvalidArgumentError(None, node.origin, (
            f"node '{node.name}' (op {node.type}) failed at run time with input shapes [{shapes}]: {e}")) from None
    outs = out if isinstance(out, tuple) else (out,)
    return [np.asarray(o) for o in outs]
