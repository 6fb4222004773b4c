"""The run-time policy of the compiled backends' executables, written once.

Every executable that runs a kernel plan (Numba, Triton) is a list of steps, one per kernel of
the plan, and follows the same rules, which live here:

- **steps**: a kernel the printer can print becomes a compiled step, any other a numpy step
  (``kernel_step``, ``numpy_note``);
- **static-shape trust** (``mark_certain_steps``): a run is *trusted* when every feed and variable
  has its static shape (checked when the run starts). In a trusted run a step is *certain* when its
  input shapes and shape arguments are fixed by the static shapes before the run starts, so it can
  use geometry computed at build time and cannot fail on a shape; numpy steps whose outputs have a
  fully static shape check them in trusted runs (``promised``), so later steps may rely on them;
- **the in-place plan** (``plan_inplace``): a variable update that the memory plan stores in the
  variable's own array is written there only when its old value does not leave the run and every
  step from the first such write on is certain and computes nothing with numpy on data, so a failed
  run never leaves some variables updated and others not;
- **the numpy step** (``run_nodes``, ``unshared``): nodes run with their numpy kernels, outputs
  that alias an input or are not plain C arrays are copied before the run may hand them out;
- **buffers** (``BufferPool``, ``Recycler``, ``new_array``): one flat array per memory-plan buffer for
  values that stay inside a run; on the host, arrays handed out by earlier runs are reused once
  nobody holds them, and every array a compiled kernel writes starts ``ALIAS_GUARD_BYTES`` after
  any other array (so its sums never depend on where malloc put it);
- **hand-out rules** (``hand_out``, ``check_feed``, ``check_initialized``, ``c_array``): a run's own
  array goes to the caller once, anything else is copied; feeds and variables are checked first.

A step tells the policy about itself through attributes: ``kernel``, ``shape_inputs`` (values whose
shapes it reads), ``meta_inputs`` (values whose contents it reads as shapes), ``static_geometry``
(it can run on build-time geometry, default True), ``checks_outputs`` (a numpy step that checks its
outputs' static shapes in trusted runs), ``numpy_on_data`` (it computes values with numpy, which can
fail on data); the policy sets ``certain`` and ``promised``.
"""
from __future__ import annotations

import math
import sys
import threading
from typing import Any, Callable, Iterable, Optional

import numpy as np

from graphc import errors
from graphc.codegen import commit
from graphc.codegen.kernel_common import Unsupported
from graphc.passes.fusion import KernelKind, facts
from graphc.passes.memory import Place, Storage

RECYCLE_DEPTH = 2         # results of this many recent runs are watched for reuse
# host values this small get a new array each run: variables instead of an in-place write, outputs
# instead of the recycler's lookup (a new small array costs ~0.3 us against the lookup's ~0.8 us)
FRESH_MAX_ELEMENTS = 512
# LLVM runs a loop's vector code only when a run-time check passes: an array the loop stores into
# does not start less than (vector width x interleave x element size) bytes, 256 on AVX-512, after
# an array it reads. Otherwise the scalar loop runs, and its sums round in another order, so one
# kernel's numbers would depend on where malloc placed its arrays. Every host array a compiled
# kernel writes is allocated with this many unused bytes before its data (``new_array``).
ALIAS_GUARD_BYTES = 512

# ------------------------------------------------------------------------------------------------
# steps


def kernel_step(k, generate: Callable, compiled: Callable, numpy_step: Callable, numpy_kinds: dict):
    """The driver step of kernel ``k``: ``compiled(k, gen)`` for a kernel ``generate`` can print,
    else ``numpy_step(k, reason)``; sets ``k.source`` for a compiled one."""
    if k.kind in (KernelKind.POINTWISE, KernelKind.REDUCTION, KernelKind.MATMUL):
        try:
            gen = generate(k)
        except Unsupported as e:
            return numpy_step(k, f"not compiled: {e}")
        k.source = gen.source
        return compiled(k, gen)
    return numpy_step(k, numpy_kinds.get(k.kind, f"{k.kind} kernel"))


def numpy_note(kernel, where: str, reason: str) -> str:
    """The ``source`` text of a kernel that runs with numpy (``where``: how it is driven)."""
    calls = "\n".join(f"# {n.name}: graphc.ops.core.OPS[{n.type!r}].numpy(...)" for n in kernel.nodes)
    return f"# runs with numpy {where} ({reason})\n{calls}\n"


def is_meta(node, v) -> bool:
    """True if ``node`` reads ``v`` as a shape (a meta input), not as data."""
    return any(node.inputs[i] is v for i in facts(node).meta_inputs)


def meta_inputs_of(kernel) -> set:
    """The kernel's inputs that some node of it reads as a shape."""
    return {v for n in kernel.nodes for v in n.inputs if is_meta(n, v) and v in kernel.inputs}


# ------------------------------------------------------------------------------------------------
# static-shape trust and the in-place plan

def mark_certain_steps(steps: list, static_values: Iterable, constants: Iterable) -> None:
    """Sets ``step.certain`` and, on steps that check their outputs, ``step.promised``.

    ``static_values``: feeds and variable reads with a fully static shape (fixed in a trusted run);
    ``constants``: values whose contents are fixed too. A certain step's outputs have fixed shapes;
    a certain shape query's outputs have fixed contents (they can size later steps).
    """
    shapes = set(constants) | set(static_values)
    values = set(constants)
    for step in steps:
        k = step.kernel
        meta = step.meta_inputs
        step.certain = step.static_geometry and all(v in values for v in meta) and all(
            v in shapes for v in step.shape_inputs if v not in meta)
        if step.checks_outputs:
            step.promised = [(v, v.shape.as_tuple()) for v in k.outputs if v.shape.is_fully_defined()]
            shapes.update(v for v, _ in step.promised)
        elif step.certain:
            shapes.update(k.outputs)
            if k.kind == KernelKind.HOST:
                values.update(k.outputs)


def plan_inplace(kernel_plan, storage: dict, steps: list, small_fresh: bool = False) -> tuple:
    """({new value: variable} for the updates written into the variable's own array, a note saying
    why there are none when the memory plan asked for some). With ``small_fresh`` (host arrays) a
    variable of at most ``FRESH_MAX_ELEMENTS`` gets a new array instead (the lecture's scalar ``w``
    and ``b``): writing it in place saves nothing, and a run that writes in place arms the signal
    deferral (two ``signal`` calls, ~1.5 us, ``commit.py``)."""
    prog = kernel_plan.program
    wanted = {v: var for var, v in prog.updates.items()
              if storage.get(v) == Storage(Place.VARIABLE, var) and not (small_fresh and _small(v))}
    if not wanted:
        return {}, ""
    wanted = {v: var for v, var in wanted.items() if not old_value_escapes(kernel_plan, var)}
    first = min((i for i, s in enumerate(steps) if any(v in wanted for v in s.kernel.outputs)), default=None)
    if first is None:
        return {}, "the old value of each in-place variable leaves the run (a fetched view of it)"
    for step in steps[first:]:
        if step.numpy_on_data or not step.certain:
            return {}, (f"kernel {step.kernel.index} ({' '.join(step.kernel.op_types)}) runs after the first "
                        "in-place update and could fail (on data, or on shapes known only at run time); new "
                        "values go to fresh arrays so a failed run leaves the variables untouched")
    return wanted, ""


def _small(value) -> bool:
    dims = value.shape.as_tuple()
    return dims is not None and None not in dims and math.prod(dims) <= FRESH_MAX_ELEMENTS


def old_value_escapes(kernel_plan, var) -> bool:
    """True if variable ``var``'s old value, or a view of it, is a fetch or another variable's new
    value (then its array must not be overwritten in place)."""
    prog = kernel_plan.program
    read = prog.reads.get(var)
    if read is None:
        return False
    aliases = {read.outputs[0]}
    for k in kernel_plan.kernels:
        if k.kind == KernelKind.VIEW and any(v in aliases for v in k.inputs):
            aliases.update(k.outputs)
    outputs = set(prog.fetches) | set(prog.updates.values())
    return bool(aliases & outputs)


def take_own_array(var, own: Any, shape: tuple, written: dict) -> Optional[Any]:
    """``own`` (variable ``var``'s current array, already checked writeable by the backend) when it
    has ``shape``: recorded in ``written`` and announced to ``commit``; else None."""
    if own is None or tuple(own.shape) != tuple(shape):
        return None
    commit.writing_in_place()
    written[var] = own
    return own


def check_promised(promised: list, values: dict) -> None:
    """Raises InvalidArgumentError when a numpy step's output does not have the static shape that
    later steps were planned with (``promised``: (value, shape) pairs; ``values``: value -> array)."""
    for v, shape in promised:
        if values[v].shape != shape:
            raise errors.InvalidArgumentError(None, v.op.origin, (
                f"{v.op.name} ({v.op.type}) produced shape {values[v].shape}, but its static shape is "
                f"{shape}; this is a bug in the op's shape inference: please report it"))


# ------------------------------------------------------------------------------------------------
# the numpy step

def run_nodes(nodes: list, read: Callable, call: Callable, state) -> dict:
    """Runs ``nodes`` in order with ``call(node, args, state)`` (a numpy kernel); ``read(v)`` gives
    values from outside them. Returns {value: array} of every node output."""
    local: dict = {}
    for node in nodes:
        args = [local[v] if v in local else read(v) for v in node.inputs]
        local.update(zip(node.outputs, call(node, args, state)))
    return local


def unshared(out: np.ndarray, inputs: Iterable) -> np.ndarray:
    """``out`` if it is a writeable C array sharing no memory with ``inputs``, else a C copy
    (a numpy kernel may return a view of its input; the run must not hand that out). An array that
    owns its memory shares it only with itself and its views (whose ``base`` it is), so those are
    the only inputs checked then; others are checked by address ranges."""
    flags = out.flags
    if not flags.c_contiguous or not flags.writeable:
        return np.array(out, copy=True, order="C")
    if flags.owndata:
        if any(x is out or getattr(x, "base", None) is out for x in inputs):
            return np.array(out, copy=True, order="C")
        return out
    if any(np.may_share_memory(out, x) for x in inputs if isinstance(x, np.ndarray)):
        return np.array(out, copy=True, order="C")
    return out


# ------------------------------------------------------------------------------------------------
# buffers

def new_array(shape: tuple, dtype: Any) -> np.ndarray:
    """A new C array of ``shape`` and ``dtype`` with ``ALIAS_GUARD_BYTES`` unused bytes before its
    data, so no other array starts just before it (see there). Its ``base`` is the byte buffer."""
    dtype = np.dtype(dtype)
    if dtype.hasobject:      # (strings: no kernel writes them, and object slots must start as None)
        return np.empty(shape, dtype)
    owner = np.empty(ALIAS_GUARD_BYTES + math.prod(shape) * dtype.itemsize, np.uint8)
    return np.ndarray(shape, dtype, owner, ALIAS_GUARD_BYTES)


class BufferPool:
    """One flat array per memory-plan buffer, for values that stay inside a run, grown when a run
    needs more; ``view`` gives it the value's shape.

    ``empty(n, dtype)`` allocates, ``flat(array, n, shape)`` views its first ``n`` elements;
    with ``cache_views`` the views are kept per (buffer, shape) (host arrays: a view costs more
    than a lookup).
    """

    def __init__(self, empty: Callable, flat: Callable, cache_views: bool = False) -> None:
        self.arrays: dict = {}       # buffer index -> flat array
        self.views: dict = {}        # (buffer index, shape) -> view of that array
        self._empty = empty
        self._flat = flat
        self._cache_views = cache_views

    def view(self, index: int, shape: tuple, dtype: Any) -> Any:
        view = self.views.get((index, shape))
        if view is not None:
            return view
        n = 1
        for s in shape:
            n *= s
        array = self.arrays.get(index)
        if array is None or array.shape[0] < n:
            array = self._empty(n, dtype)
            self.arrays[index] = array
            if self.views:
                self.views = {k: w for k, w in self.views.items() if k[0] != index}
        view = self._flat(array, n, shape)
        if self._cache_views:
            if len(self.views) > 1024:
                self.views.clear()
            self.views[(index, shape)] = view
        return view


class Recycler:
    """Host arrays for values that leave the run (fetches, variables' new values), reused once
    nobody else refers to them (the user dropped the result, the session replaced the variable's
    value): fresh large arrays cost page faults on every run."""

    def __init__(self) -> None:
        self.handed_out: dict = {}    # value -> arrays given to the caller by recent runs
        # a loop body's recycler serves every run of that body: a tiered session's eager run and
        # its background trial run may ask at once, and one array must not go to both
        self.lock = threading.Lock()

    def array(self, key: Any, n: int, dtype: Any) -> np.ndarray:
        """A flat array of ``n`` elements of ``dtype`` for ``key``."""
        with self.lock:
            kept = self.handed_out.get(key)
            if kept is None:
                kept = self.handed_out[key] = []
            arr = None
            for i in range(len(kept)):
                # unused when the only references are this list and getrefcount's argument, and
                # its byte buffer's are the array's and getrefcount's (a view the caller holds, a
                # reshaped result, refers to that buffer, not to the array). ``kept[i]`` each time,
                # not a local: Python 3.14 borrows a local's reference, so its count would be one less
                if (kept[i].size == n and kept[i].dtype == dtype and sys.getrefcount(kept[i]) <= 2
                        and sys.getrefcount(kept[i].base) <= 2):
                    arr = kept.pop(i)
                    break
            if arr is None:
                arr = new_array((n,), dtype)
            kept.insert(0, arr)
            del kept[RECYCLE_DEPTH:]
            return arr


# ------------------------------------------------------------------------------------------------
# feeds, variables, results

def check_feed(node, arr) -> None:
    """Raises InvalidArgumentError when a fed array does not fit its placeholder's static shape."""
    static = node.outputs[0].shape
    if not static.is_compatible_with(arr.shape):
        raise errors.InvalidArgumentError(None, node.origin, (
            f"the value fed for {node.name} has shape {arr.shape}, but this executable was compiled for "
            f"{static}; compile a new executable for the new shapes"))


def check_initialized(var, state) -> None:
    """Raises FailedPreconditionError (TF1's message) when ``var`` has no value yet."""
    if var not in state.values:
        raise errors.FailedPreconditionError(None, var, (
            f"Attempting to use uninitialized value {var.name}. Run its initializer first: "
            f"sess.run(tf.global_variables_initializer()) or sess.run({var.name}.initializer)."))


def c_array(value) -> np.ndarray:
    """``value`` as a C-contiguous array of its own rank (np.ascontiguousarray makes 0-d arrays 1-d)."""
    arr = np.asarray(value)
    return arr if arr.flags.c_contiguous else np.array(arr, order="C")


def hand_out(arr: np.ndarray, fresh: Any, handed: set) -> np.ndarray:
    """The host array itself if it was made for this run (id in ``fresh``) and is not handed out
    yet (its base not in ``handed``), else a copy. The small values a compiled stretch leaves are
    disjoint pieces of one ``bytearray`` per run (``numba_driver._fresh_layout``): each is its own."""
    base = arr if arr.base is None else arr.base
    if id(arr) not in fresh and id(base) not in fresh:
        return np.array(arr, copy=True)
    key = id(arr) if type(base) is bytearray else id(base)
    if key in handed:
        return np.array(arr, copy=True)
    handed.add(key)
    return arr
