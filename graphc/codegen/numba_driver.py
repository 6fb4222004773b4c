"""One generated driver function per Numba executable: the step loop written out straight.

The step loop (``NumbaExecutable.run``) calls every step's ``run``, which looks its arguments up in
the run's value dict, picks its geometry, allocates or looks up its output arrays and decides
between its serial and parallel variants: 5-15 us of Python per step, which dominates a step of
many tiny kernels (the unrolled RNN: 86 steps, 48 of them tiny matrix products).

``straight_line(exe)`` prints, once per executable, one Python function that does a trusted run's
steps in order with everything a trusted run fixes bound as constants of the function:

- a *certain* compiled step (its shapes fixed by the static shapes, ``run_policy``) that runs its
  serial variant, on small arrays or on outputs the memory plan keeps apart from its inputs (so the
  in-place prange variant never applies), becomes its kernel's call: the build-time geometry array, its
  inputs as locals, its pooled output views bound once, the kernel's overload for the first trusted
  run's argument types called through its ``entry_point`` (no per-call typing by the dispatcher;
  a run whose feeds or variables have other dtypes takes the step loop, ``Driver.accepts``); outputs that leave the run still come from
  ``RunContext.alloc`` (recycled arrays, or a variable's own array for an in-place update, which
  announces the first in-place write to ``commit`` as before);
- a matmul kernel's product is one ``np.matmul`` on views reshaped at build time, on one BLAS
  thread (set once for a stretch of consecutive products, restored before any other step and when
  the run ends or fails, ``blas_threads``) when its size alone says so, through
  ``blas_threads.matmul`` (which asks at each run) when the machine's load decides
  (``blas_threads.by_load``); a product with nothing fused is that call alone
  (``CompiledStep.product_only``: its kernel has no work);
- a lone StridedSlice (a sequence's time step) is its numpy index, worked out at build time, and a
  copy of the view;
- a view (Reshape, ExpandDims, Squeeze) of a C array with static shapes is ``x.reshape(shape)``;
- a certain numpy step of pure single-output kernels (elementwise, reductions, movement, products)
  calls them directly and checks their static shapes; if anything fails, the step's own ``run``
  runs instead and raises the step loop's error;
- every other step (numpy steps, other views, regions, parallel or in-place-sized kernels, steps whose
  shapes are known only at run time) is called as the step loop calls it, with the values it reads
  put in the run's value dict first.

Only trusted runs (every feed and variable at its static shape) use it, from the executable's
second trusted run on (the first run through the step loop loads or compiles every kernel and
counts it); other runs take the step loop. The results, errors and in-place commits are those of
the step loop: the same kernels run on the same arrays in the same order. ``GRAPHC_NUMBA_DRIVER=
steps`` turns it off. ``NumbaExecutable.driver_source`` shows the generated function.

Stretches of consecutive steps that compiled code can do whole are compiled later as one njit
function each (``numba_stretches.py``; ``Driver.pending`` counts the runs until then) and the
driver is printed again calling them (``straight_line(exe, env, stretches)``);
``GRAPHC_NUMBA_DRIVER=straight`` keeps them in Python.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from graphc import switches
from graphc.codegen import kernel_common as kc
from graphc.codegen import numba_host, numba_stretches
from graphc.codegen import run_policy as policy
from graphc.codegen import numba_steps
from graphc.codegen.numba_steps import CompiledStep, NumpyStep
from graphc.ops.core import OPS, OpKind
from graphc.ops import array as array_ops
from graphc.ops import blas_threads
from graphc.passes.fusion import KernelKind
from graphc.passes.memory import Place

__all__ = ["enabled", "straight_line", "Driver"]


def enabled() -> bool:
    """Whether executables run trusted runs through their generated driver (``GRAPHC_NUMBA_DRIVER``)."""
    return (switches.NUMBA_DRIVER.get() or "compiled") != "steps"


def stretches_enabled() -> bool:
    """Whether drivers compile their stretches of small steps (``numba_stretches``)."""
    return (switches.NUMBA_DRIVER.get() or "compiled") == "compiled"


class Driver:
    """A generated driver: ``run(ctx, env, alloc)`` does the steps of a trusted run (``ctx``: the
    ``RunContext``, ``env`` its value dict, ``alloc`` its ``alloc``); ``source`` is its text;
    ``inline_steps`` counts the steps written out rather than called."""

    def __init__(self, source: str, namespace: dict, typed: list) -> None:
        self.source = source
        self.typed = typed           # (value, dtype): the run's inputs the bound overloads were typed with
        code = compile(source, "<graphc numba driver>", "exec")
        exec(code, namespace)
        self.run: Callable = namespace["drive"]
        self.inline_steps = namespace["_INLINE"]
        self.stretches: list = namespace.get("_STRETCHES", [])    # numba_stretches.Stretch it calls
        self.pending: Any = None     # numba_stretches.Pending: stretches to compile, then a new driver

    def accepts(self, env: dict) -> bool:
        """Whether this run's feeds and variables have the dtypes the kernels' bound overloads were
        compiled for (a feed of another dtype given to ``run`` directly takes the step loop)."""
        for v, dtype in self.typed:
            if env[v].dtype != dtype:
                return False
        return True


def _inlinable(step, exe) -> bool:
    """A compiled step the driver calls directly: certain, serial, with build-time geometry, and
    running the serial variant in the step loop too: its outputs are too small for the in-place
    prange rule (``numba_steps.INPLACE_PRANGE_MIN``) or the memory plan keeps them apart from its
    inputs (``_apart``); not a convolution epilogue (its product comes from numba_conv, which the
    step itself calls), nor a ``product_update`` (one GEMM the step itself calls)."""
    if not isinstance(step, CompiledStep) or not step.certain or step.static is None or step.conv or step.update:
        return False
    _geo, _space, out_shapes, parallel = step.static
    if parallel:
        return False
    return all(math.prod(s) < numba_steps.INPLACE_PRANGE_MIN for s in out_shapes) or _apart(step, exe)


def _root(exe, v) -> Any:
    """The storage whose memory value ``v`` is (views followed to what they reshape), or None."""
    where = exe.storage.get(v)
    while where is not None and where.place is Place.VIEW:
        where = exe.storage.get(where.ref)
    return where


def _apart(step, exe) -> bool:
    """Whether no output of ``step`` can share memory with one of its inputs in a trusted run: each
    output is a pooled buffer no input lives in, or an array made for the run (recycled, or a loop's
    row), not a variable's own array updated in place. Then the step loop's in-place check
    (``numba_steps._large_inplace``) never picks the prange variant, and the driver need not check."""
    buffers = set()
    for v in list(step.in_values) + list(step.mm_values):
        where = _root(exe, v)
        if where is None:
            return False           # memory the plan does not know: maybe a pooled buffer's
        if where.place is Place.BUFFER:
            buffers.add(where.ref)
    for v in step.out_values:
        if v in exe.inplace:
            return False
        if v in exe.pooled and exe.pooled[v] in buffers:
            return False
    return True


def _reshape_view(step, strided: set) -> Optional[tuple]:
    """(input, output, static shape) of a certain view step (Reshape, ExpandDims, Squeeze: one
    node, static shapes of equal size, a C-contiguous input), which the driver prints as
    ``input.reshape(shape)``; else None."""
    k = step.kernel
    if isinstance(step, CompiledStep) or k.kind != KernelKind.VIEW or not step.certain or len(k.nodes) != 1:
        return None
    node = k.nodes[0]
    source, out = node.inputs[0], node.outputs[0]
    if not (source.shape.is_fully_defined() and out.shape.is_fully_defined()) or source in strided:
        return None
    shape = tuple(int(d) for d in out.shape.as_tuple())
    if math.prod(source.shape.as_tuple()) != math.prod(shape) or out not in k.outputs:
        return None
    return source, out, shape


# node kinds whose numpy kernels are pure functions of their inputs and attributes
_PURE_KINDS = {OpKind.ELEMENTWISE, OpKind.REDUCTION, OpKind.MOVEMENT, OpKind.MATMUL}


def _plain_numpy(step) -> bool:
    """A certain numpy step of pure single-output numpy kernels (no regions, random streams,
    session state or hand-written njit kernels): the driver calls the kernels directly and falls
    back on the step's own ``run`` (which raises the step loop's error) when anything fails."""
    k = step.kernel
    if not isinstance(step, NumpyStep) or not step.certain or step.regions or not step.checks_outputs:
        return False
    if step.row_views or step.lean is not None:     # its own run is leaner (and writes into a loop's rows)
        return False
    if k.kind in (KernelKind.VIEW, KernelKind.HOST):
        return False
    for node in k.nodes:
        od = OPS[node.type]
        if od.kind not in _PURE_KINDS or od.session_state or len(node.outputs) != 1 or node.type in numba_host.KERNELS:
            return False
    return True


def _small_products(step) -> bool:
    """Whether every product a numpy step computes has static shapes and runs on one BLAS thread
    anyway (``blas_threads.serial``): a stretch of products on one thread may go on through it."""
    for node in step.kernel.nodes:
        if OPS[node.type].kind is not OpKind.MATMUL:
            continue
        shapes = [v.shape.as_tuple() for v in node.inputs[:2]]
        if any(s is None or None in s or len(s) < 2 for s in shapes):
            return False
        (a, b) = shapes     # an upper bound of the multiply-adds, whichever operand is transposed
        work = max(math.prod(a), math.prod(b)) * max(a[-1], a[-2], b[-1], b[-2])
        if not blas_threads.serial(work) or blas_threads.by_load(work):
            return False
    return True


def _print_numpy(p: "_Printer", step, wanted_in_env: set) -> None:
    """Prints a plain numpy step (``_plain_numpy``) as the step loop runs it (``NumpyStep.run``):
    each node's numpy kernel with warnings off, the static shapes checked, outputs that share memory
    with an input copied and marked as made by this run. Any failure reruns the step through its
    ``run``, which raises the step loop's error."""
    k = step.kernel
    wanted_in_env.update(k.inputs)
    inputs = [p.value(v) for v in k.inputs]
    key = _slice_key(step)
    if key is not None:
        _print_slice(p, step, key, inputs[0])
        return
    out_names = {}
    p.emit("try:")
    p.emit("    with _quiet():")
    for node in k.nodes:
        od = OPS[node.type]
        args = [out_names[v] if v in out_names else p.value(v) for v in node.inputs]
        target = f"x{p.names}"
        p.names += 1
        call = f"{p.const('N', od.numpy)}({', '.join(args)}, **{p.const('A', dict(node.attrs))})"
        p.emit(f"        {target} = {call}")
        p.emit(f"        {target} = _asarray({target}[0] if {target}.__class__ is tuple else {target})")
        out_names[node.outputs[0]] = target
    _print_outcome(p, step, out_names, inputs)


def _print_outcome(p: "_Printer", step, out_names: dict, unshare_from: Optional[list]) -> None:
    """The end of a printed numpy step (its ``try:`` block's last lines on): the promised static
    shapes checked; on any failure the step's own ``run`` (which raises the step loop's error) and
    its outputs read back; else each output copied when it shares memory with ``unshare_from``
    (None: it cannot), marked as made by this run and put in the value dict."""
    checks = [f"{out_names[v]}.shape != {shape!r}" for v, shape in step.promised]
    if checks:
        p.emit(f"    if {' or '.join(checks)}:")
        p.emit("        raise ValueError")
    outputs = step.kernel.outputs
    p.emit("except Exception:")
    p.emit(f"    {p.const('S', step.run)}(ctx)")
    for v in outputs:
        p.emit(f"    {out_names[v]} = env[{p.const('V', v)}]")
    p.emit("else:")
    for v in outputs:
        name = out_names[v]
        if unshare_from is not None:
            p.emit(f"    {name} = _unshared({name}, ({''.join(x + ', ' for x in unshare_from)}))")
        p.emit(f"    fresh(id({name}))")
        p.emit(f"    env[{p.const('V', v)}] = {name}")
        p.local[v] = name


def _c_array(x: Any, dtype: np.dtype) -> np.ndarray:
    """``x`` as a C array of ``dtype`` (itself when it is one)."""
    return np.asarray(x, dtype=dtype, order="C")


def _c_copy(x: Any) -> np.ndarray:
    """A new C array of ``x`` (an array, or the numpy scalar an all-int index gives)."""
    return np.array(x, copy=True, order="C")


def _slice_key(step) -> Optional[tuple]:
    """The numpy index of a lone StridedSlice step (not tf.slice's, which checks its bounds)."""
    nodes = step.kernel.nodes
    if len(nodes) != 1 or nodes[0].type != "StridedSlice" or nodes[0].attrs.get("slice_bounds") is not None:
        return None
    return array_ops.python_key(nodes[0].attrs["spec"])


def _print_slice(p: "_Printer", step, key: tuple, source: str) -> None:
    """A lone StridedSlice as ``_print_numpy`` would run it, without its generic call: the index
    (computed once) applied to the input and the view copied into an array of this run (indexing
    raises no floating-point warnings; an error reruns the step for the step loop's message)."""
    out = step.kernel.outputs[0]
    name = p.new_local(out)
    p.emit("try:")
    p.emit(f"    {name} = _c_copy({source}[{p.const('I', key)}])")
    _print_outcome(p, step, {out: name}, None)


class _Printer:
    """Collects the driver's lines and the constants they name."""

    def __init__(self, exe) -> None:
        self.exe = exe
        self.ns: dict = {"np": np, "_matmul": np.matmul, "_c_array": _c_array, "_ndarray": np.ndarray,
                         "_bytes": bytearray, "_matmul_by_load": blas_threads.matmul, "_asarray": np.asarray,
                         "_c_copy": _c_copy, "_unshared": policy.unshared,
                         "_quiet": lambda: np.errstate(all="ignore")}
        self.lines: list = []
        self.local: dict = {}        # value -> local name holding it in the driver
        self.counter = 0
        self.names = 0
        self.one_thread = False      # inside a stretch of products on one BLAS thread
        self.switched = False        # whether any line switches the BLAS thread count

    def const(self, prefix: str, obj: Any) -> str:
        name = f"{prefix}{self.counter}"
        self.counter += 1
        self.ns[name] = obj
        return name

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def new_local(self, v) -> str:
        """A fresh local name for value ``v``."""
        name = f"x{self.names}"
        self.names += 1
        self.local[v] = name
        return name

    def value(self, v) -> str:
        """The local name of ``v``: a constant's array bound once, others loaded from the value
        dict on first use."""
        name = self.local.get(v)
        if name is None:
            const = self.exe.consts.get(v)
            if const is not None:
                name = self.const("C", const)
                self.local[v] = name
                return name
            name = self.new_local(v)
            self.emit(f"{name} = env[{self.const('V', v)}]")
        return name

    def blas_single(self, on: bool) -> None:
        if blas_threads._CONTROL is None or on == self.one_thread:
            return
        self.emit("_one_thread()" if on else "_restore_threads()")
        self.one_thread = on
        self.switched = True     # the driver then restores the thread count however it ends


def straight_line(exe, env: dict, stretches: Optional[list] = None) -> Optional[Driver]:
    """The generated driver of NumbaExecutable ``exe``, or None when no step would be inlined;
    ``env``: the values of the trusted run that just ended (their types pick each kernel's
    compiled overload, called through its ``entry_point`` without the dispatcher's typing);
    ``stretches``: compiled ``numba_stretches.Stretch`` functions it calls for their steps (None:
    the driver's ``pending`` has the stretches worth compiling found)."""
    steps = exe.steps
    strided = {value for value, slot, _shape, _node in exe.feed_slots if slot in exe.strided_feeds}
    inline = [_inlinable(s, exe) or _reshape_view(s, strided) is not None for s in steps]
    plain = [not inl and _plain_numpy(s) for s, inl in zip(steps, inline)]
    by_start = {st.start: st for st in stretches or []}
    within = {i for st in by_start.values() for i in range(st.start, st.end)}
    if not any(inline) and not any(plain) and not within:
        return None
    p = _Printer(exe)
    p.env = env
    # values a called step, a fetch or an update reads from the value dict
    wanted_in_env = set(exe.fetches) | {v for _var, v in exe.updates}
    for i, (step, inl) in enumerate(zip(steps, inline)):
        if not inl and i not in within:
            wanted_in_env.update(_reads(step))
    c_arrays = {value for value, slot, _shape, _node in exe.feed_slots if slot not in exe.strided_feeds}
    c_arrays |= {v for v, _var, _shape in exe.read_slots}
    c_arrays |= {v for s, inl in zip(steps, inline) if inl and isinstance(s, CompiledStep) for v in s.kernel.outputs}
    for i, (step, inl, lean) in enumerate(zip(steps, inline, plain)):
        if i in by_start:
            _print_stretch(p, by_start[i], wanted_in_env, c_arrays)
            continue
        if i in within:
            continue
        if lean:
            if not _small_products(step):
                p.blas_single(False)
            _print_numpy(p, step, wanted_in_env)
            continue
        if inl and isinstance(step, CompiledStep):
            _print_compiled(p, step, wanted_in_env)
            continue
        if inl:
            source, out, shape = _reshape_view(step, strided)
            name = p.value(source)
            target = p.new_local(out)
            p.emit(f"{target} = {name}.reshape({shape!r})")
            if out in wanted_in_env:
                p.emit(f"env[{p.const('V', out)}] = {target}")
            continue
        p.blas_single(False)
        p.emit(f"{p.const('S', step.run)}(ctx)")
        for v in step.kernel.outputs:
            p.local.pop(v, None)     # reloaded from the dict when an inlined step reads it
    body = "\n".join(p.lines)
    if blas_threads._CONTROL is not None and p.switched:
        setter, getter = blas_threads._CONTROL
        p.ns["_one_thread"], p.ns["_restore_threads"] = _thread_switches(getter, setter)
        source = ("def drive(ctx, env, alloc):\n    fresh = ctx.fresh.add\n    try:\n"
                  + "\n".join("    " + line for line in body.split("\n"))
                  + "\n    finally:\n        _restore_threads()\n")
    else:
        source = "def drive(ctx, env, alloc):\n    fresh = ctx.fresh.add\n" + body + "\n"
    p.ns["_INLINE"] = sum(inline) + sum(plain)
    p.ns["_STRETCHES"] = list(by_start.values())
    typed = [(v, env[v].dtype) for v, _slot, _shape, _node in exe.feed_slots if v in env]
    typed += [(v, env[v].dtype) for v, _var, _shape in exe.read_slots if v in env]
    driver = Driver(source, p.ns, typed)
    if stretches is None and stretches_enabled():
        ranges = numba_stretches.find_or_none(exe)
        if ranges:
            driver.pending = numba_stretches.Pending(ranges, lambda start, end: _leaving(exe, start, end),
                                                     straight_line)
    return driver


def _reads(step) -> set:
    return set(step.kernel.inputs) | {v for n in step.kernel.nodes for v in n.inputs}


def _leaving(exe, start: int, end: int) -> set:
    """The values steps[start:end] make that a later step, a fetch or an update reads."""
    wanted = set(exe.fetches) | {v for _var, v in exe.updates}
    for step in exe.steps[end:]:
        wanted |= _reads(step)
    return {v for step in exe.steps[start:end] for v in step.kernel.outputs if v in wanted}


def _fresh_layout(exe, outputs: list) -> dict:
    """Byte offsets, in one ``bytearray`` allocated per run, of the small leaving values ``alloc``
    would give new arrays (not pooled, not fetched: never the caller's ``into`` array, not updated
    in place), each ``ALIAS_GUARD_BYTES`` after the one before (``run_policy.new_array``); key
    None: the block's size. One block and an array on it each cost a fifth of an ``alloc`` each
    (the unrolled RNN's Adam makes 18 such values); ``run_policy.hand_out`` hands each piece out
    as an array of its own."""
    at: dict = {}
    end = 0
    fetched = set(exe.fetches)
    for v, shape in outputs:
        n = math.prod(shape)
        if v in exe.pooled or v in exe.inplace or v in fetched or n > policy.FRESH_MAX_ELEMENTS:
            continue
        if np.dtype(v.dtype.np_type).hasobject:
            continue
        start = -(-(end + policy.ALIAS_GUARD_BYTES) // 64) * 64
        at[v] = start
        end = start + n * np.dtype(v.dtype.np_type).itemsize
    if at:
        at[None] = end
    return at


def _print_stretch(p: "_Printer", stretch, wanted_in_env: set, c_arrays: set) -> None:
    """A compiled stretch's call: its inputs (made C arrays of their dtypes unless known to be),
    its leaving values' arrays got as ``_print_compiled`` gets them, then put where it puts them."""
    exe = p.exe
    args = []
    for v in stretch.inputs:
        name = p.value(v)
        dtype = np.dtype(v.dtype.np_type)
        known = v in c_arrays and getattr(p.env.get(v), "dtype", None) == dtype    # (Driver.accepts checks it)
        args.append(name if known else f"_c_array({name}, {p.const('D', dtype)})")
    if stretch.gemm_work:
        p.blas_single(True)
    outs = []
    fresh_at = _fresh_layout(exe, stretch.outputs)
    if fresh_at:
        p.emit(f"_block = _bytes({fresh_at[None]})")
    for v, shape in stretch.outputs:
        pooled = exe.pooled.get(v)
        name = p.new_local(v)
        if pooled is not None:
            p.emit(f"{name} = {p.const('P', exe.pool.view(pooled, tuple(shape), v.dtype.np_type))}")
        elif v in fresh_at:
            p.emit(f"{name} = _ndarray({tuple(shape)!r}, {p.const('D', np.dtype(v.dtype.np_type))}, _block, {fresh_at[v]})")
            p.emit(f"fresh(id({name}))")
        else:
            p.emit(f"{name} = alloc({p.const('V', v)}, {tuple(shape)!r})")
        outs.append(name)
    fixed = [p.const("F", f) for f in stretch.fixed]
    p.emit(f"{p.const('T', stretch.entry)}({', '.join(args + outs + fixed)})")
    for v, name in zip(stretch.outputs, outs):
        if v[0] in wanted_in_env or v[0] not in exe.pooled:
            p.emit(f"env[{p.const('V', v[0])}] = {name}")


def _thread_switches(getter: Callable, setter: Callable) -> tuple:
    """(one_thread, restore): OpenBLAS on one thread, and back to the count it had before."""
    saved = [0]

    def one_thread() -> None:
        n = getter()
        if n > 1:
            saved[0] = n
            setter(1)

    def restore() -> None:
        if saved[0] > 1:
            setter(saved[0])
            saved[0] = 0
    return one_thread, restore


def _print_compiled(p: _Printer, step: CompiledStep, wanted_in_env: set) -> None:
    geo, space, out_shapes, _parallel = step.static
    exe = p.exe
    args = [p.const("G", geo)] + [p.value(v) for v in step.in_values]
    scratch = None
    if step.matmul is not None:
        args.append(_print_matmul(p, step, space, wanted_in_env))
        scratch = p.ns.get(args[-1])       # the bound product array when it is not an output
        if step.product_only:
            return
    outs = []
    for v, shape in zip(step.out_values, out_shapes):
        pooled = exe.pooled.get(v)
        name = p.new_local(v)
        if pooled is not None:
            view = exe.pool.view(pooled, tuple(shape), v.dtype.np_type)
            p.emit(f"{name} = {p.const('P', view)}")
        else:
            p.emit(f"{name} = alloc({p.const('V', v)}, {tuple(shape)!r})")
        outs.append(name)
    p.emit(f"{p.const('K', _entry_point(step, p.env, scratch))}({', '.join(args + outs)})")
    for v, name in zip(step.out_values, outs):
        if v in wanted_in_env or v not in exe.pooled:
            p.emit(f"env[{p.const('V', v)}] = {name}")


def _entry_point(step: CompiledStep, env: dict, scratch: Optional[np.ndarray]) -> Callable:
    """The serial kernel's compiled overload for the argument types of the run in ``env`` (its
    ``entry_point``: the dispatcher's per-call typing skipped), or the dispatcher itself when the
    run's arrays are not all there or no overload matches."""
    fn = step.serial
    geo = step.static[0]
    try:
        arrays = [geo] + [env[v] for v in step.in_values]
        if step.matmul is not None:
            product = scratch if scratch is not None else env[step.matmul.outputs[0]].reshape(-1)
            arrays.append(product)
        arrays += [env[v] for v in step.out_values]
    except KeyError:
        return fn
    if not all(type(a) is np.ndarray for a in arrays):
        return fn
    # arguments are typed as their mutable C-order versions (inputs are only read; outputs, pooled
    # views and recycled arrays are writeable C arrays)
    sig = tuple(fn.typeof_pyval(a) for a in arrays)
    sig = tuple(t.copy(readonly=False) if getattr(t, "readonly", False) else t for t in sig)
    compiled = fn.overloads.get(sig)
    if compiled is None or any(getattr(t, "layout", "C") != "C" for t in sig):
        return fn
    return compiled.entry_point


def _print_matmul(p: _Printer, step: CompiledStep, space: tuple, wanted_in_env: set) -> str:
    """Prints the product of ``step``'s matmul (numpy's BLAS, as ``CompiledStep._matmul_args``);
    returns the expression of the kernel's flat ``prod`` argument."""
    mm = step.matmul
    a_v, b_v = mm.inputs[0], mm.inputs[1]
    shape = tuple(int(d) for d in space)
    a_shape, b_shape = tuple(a_v.shape.as_tuple()), tuple(b_v.shape.as_tuple())
    plain = len(a_shape) == 2 and len(b_shape) == 2 and len(shape) == 2   # no batch: 2-D products
    operands = []
    for v, static, transposed in ((a_v, a_shape, mm.attrs["transpose_a"]), (b_v, b_shape, mm.attrs["transpose_b"])):
        expr = p.value(v)
        if plain:
            operands.append(expr + ".T" if transposed else expr)
            continue
        if len(static) != 3:
            expr = f"{expr}.reshape({_batched(static)!r})"
        operands.append(expr + ".transpose(0, 2, 1)" if transposed else expr)
    if step.product_output:
        out_v = mm.outputs[0]
        name = p.new_local(out_v)
        pooled = p.exe.pooled.get(out_v)
        if pooled is not None:
            p.emit(f"{name} = {p.const('P', p.exe.pool.view(pooled, shape, out_v.dtype.np_type))}")
        else:
            p.emit(f"{name} = alloc({p.const('V', out_v)}, {shape!r})")
        if out_v in wanted_in_env or pooled is None:
            p.emit(f"env[{p.const('V', out_v)}] = {name}")
        product3 = name if plain or len(shape) == 3 else f"{name}.reshape({_batched(shape)!r})"
        flat = f"{name}.reshape(-1)"
    else:
        n = math.prod(shape)
        scratch = np.empty(max(n, 1), dtype=mm.outputs[0].dtype.np_type)
        product = scratch[:n].reshape(shape)
        product3 = p.const("M", product if plain else kc.as_batch_of_matrices(product))
        flat = p.const("F", product.reshape(-1))
    m = a_shape[-2] if len(a_shape) >= 2 else 1
    n_cols = b_shape[-1] if len(b_shape) >= 2 else 1
    work = max(math.prod(a_shape) * n_cols, math.prod(b_shape) * m)
    by_load = blas_threads.by_load(work)      # one thread or all, decided at each run as the step loop does
    p.blas_single(not by_load and blas_threads.serial(work))
    p.emit(f"{'_matmul_by_load' if by_load else '_matmul'}({operands[0]}, {operands[1]}, out={product3})")
    return flat


def _batched(shape: tuple) -> tuple:
    """``shape`` (rank >= 2) as (batch, rows, cols), as ``kernel_common.as_batch_of_matrices``."""
    return (math.prod(shape[:-2]),) + tuple(shape[-2:])
