"""The Numba backend's launch steps: the per-run context, compiled kernel launches, numpy steps.

A ``CompiledStep`` computes a kernel's geometry (sizes and strides in one int64 array, at build
time when every shape is static, else cached per input shapes), takes its output arrays from the
run context (pooled, recycled or a variable's own array, by ``run_policy``'s rules) and calls the
serial or the parallel (prange) variant; a matmul kernel's product comes from numpy's BLAS first
(one BLAS thread pool per process, shared with numpy kernels such as conv; a small product runs
on one BLAS thread, ``ops/blas_threads.py``). A ``NumpyStep`` runs
opaque ops, views, shape queries and kernels the printer cannot print with their numpy kernels
(or the hand-written njit kernels of ``numba_host.py``).
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Callable, Optional

import numba
import numpy as np

from graphc import errors, switches
from graphc.codegen import kernel_common as kc
from graphc.codegen import (geometry_binder, host, numba_conv, numba_host, numba_threads, product_update,
                            static_movement)
from graphc.codegen.host import run_kernel
from graphc.codegen import run_policy as policy
from graphc.codegen.numba_printer import KernelSource
from graphc.ops import blas_threads, gather, tensor_array
from graphc.ops.core import OpKind
from graphc.passes.fusion import KernelKind, facts
from graphc.toolchain import cache

log = logging.getLogger("graphc.codegen.numba")

# Numba's OpenMP layer made prange kernels erratic on this 2-core machine (gelu 4M: median 8 ms,
# against 1.6 ms steady with the workqueue layer). Workqueue cannot run two parallel regions at
# once, so parallel launches take a process-wide lock. A user's NUMBA_THREADING_LAYER wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
_PARALLEL_LAUNCH = threading.Lock()

# Work (elements x per-element weight, see work_weight) from which the prange variant runs;
# GRAPHC_NUMBA_PARALLEL_MIN overrides, a huge value disables it. A workqueue launch costs ~60-150 us
# on the 2-vCPU machines measured, so memory-bound kernels gain only from several million elements.
PARALLEL_MIN = int(switches.NUMBA_PARALLEL_MIN.get() or 2 ** 22)

# Elements of an in-place output (one in an input's memory) from which its kernel runs the prange variant
# even below PARALLEL_MIN: the serial loop's runtime alias check fails and LLVM runs its scalar
# fallback, about 4x slower per element than the vector loop, which outweighs a ~40 us launch here.
INPLACE_PRANGE_MIN = 2 ** 14

STATS = {"modules": 0, "compiles": 0, "cache_loads": 0, "compile_seconds": 0.0}


class RunContext:
    """Per-run state shared by the steps: the value environment and the arrays handed out."""

    __slots__ = ("env", "fresh", "state", "exe", "trusted", "written", "into", "kept")

    def __init__(self, exe, state, into: Optional[dict] = None) -> None:
        self.exe = exe
        self.into = into                 # fetched value -> the caller's array its kernel writes into
        self.env: dict = {}
        self.fresh: set = set()          # ids of arrays allocated for this run only (safe to hand out)
        self.state = state
        self.trusted = False             # every fed and variable shape is the static one (see NumbaExecutable)
        self.written: dict = {}          # variable op -> its own array, written in place by this run
        self.kept: dict = {}             # what one step leaves a later one (a convolution's im2col)

    def into_array(self, value, shape: Optional[tuple] = None) -> Optional[np.ndarray]:
        """The caller's array fetch ``value`` is to be written into (``into``), if it has ``shape``
        (default: the value's static shape) and the value's dtype; else None."""
        into = self.into
        if into is None:
            return None
        arr = into.get(value)
        if arr is None:
            return None
        if shape is None:
            shape = value.shape.as_tuple()
        if arr.shape != shape or arr.dtype != value.dtype.np_type:
            return None
        return arr

    def alloc(self, value, shape: tuple) -> np.ndarray:
        """The array that kernel output ``value`` is written into.

        Values that stay inside the run live in pooled buffers (one per buffer of the memory plan);
        values that leave it (fetches, variables' new values) get recycled arrays of their own,
        or the variable's own array when it is updated in place.
        """
        exe = self.exe
        pooled = exe.pooled.get(value)
        if pooled is not None:
            view = exe.pool.views.get((pooled, shape))
            return view if view is not None else exe.pool.view(pooled, shape, value.dtype.np_type)
        arr = self.into_array(value, shape)
        if arr is not None:
            self.fresh.add(id(arr))
            return arr
        if self.trusted:
            var = exe.inplace.get(value)
            if var is not None:
                arr = policy.take_own_array(var, exe.own_array(var, self), shape, self.written)
                if arr is not None:
                    return arr
        n = 1
        for s in shape:
            n *= s
        if n <= policy.FRESH_MAX_ELEMENTS:
            out = policy.new_array(shape, value.dtype.np_type)
            self.fresh.add(id(out))
            return out
        arr = exe.recycler.array(value, n, value.dtype.np_type)
        out = arr if arr.shape == shape else arr.reshape(shape)
        self.fresh.add(id(out))
        self.fresh.add(id(arr))
        return out


def _overlap(outs: list, args: list) -> bool:
    """Whether an output array shares memory with an input (an in-place update). LLVM then takes
    the serial loop's scalar fallback (its runtime alias check fails); the prange variant's loop
    stays vectorized, so in-place kernels run it instead of ``kernel_rows``."""
    arrays = [a for a in args if type(a) is np.ndarray]
    share = np.may_share_memory     # compares the memory bounds only: ~0.2 us against ~1.6 us for two .ctypes
    return any(share(o, a) for o in outs for a in arrays)


def _large_inplace(outs: list, args: list, fresh: set) -> bool:
    """Whether an output of at least INPLACE_PRANGE_MIN elements shares memory with an input. Only
    a large in-place output makes the prange variant pay: a small one (a bias updated beside a big
    column reduction) costs little in the scalar fallback, while compiling prange costs 2-4x the
    serial kernel (the MLP's bias-gradient kernel: 6.9 s against 2.0 s cold under load). An output
    made for this run (``fresh``: a recycled array nobody else holds, a loop's row) is not checked:
    only pooled buffers and variables' own arrays can be an input's memory (an LSTM gate kernel's
    8 outputs against 17 arguments were 136 checks a call)."""
    for o in outs:
        if o.size >= INPLACE_PRANGE_MIN and id(o) not in fresh and _overlap([o], args):
            return True
    return False


def _size(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def work_weight(kernel) -> int:
    """Work per element of the space, in units of a simple arithmetic op (at least 1)."""
    return 1 + sum(facts(n).cost for n in kernel.nodes)


class CompiledStep:
    """Launches one generated kernel: runtime geometry (cached per input shapes), buffers, call.

    ``static`` is the geometry computed at build time when every shape the kernel sees is known;
    in a trusted run a ``certain`` step (``run_policy.mark_certain_steps``) skips all shape work.
    """

    meta_inputs: tuple = ()        # static geometry exists only for a static space: no shape argument is read
    checks_outputs = False
    numpy_on_data = False

    def __init__(self, kernel, gen: KernelSource, module) -> None:
        self.kernel = kernel
        self.gen = gen
        self.serial = module.kernel
        self.parallel = module.kernel_par
        self.rows = getattr(module, "kernel_rows", None)   # shared by threads chunk by chunk (numba_threads)
        self.split_group = gen.split_group if self.rows is not None else None
        self.module_file = module.__file__
        self.inputs = [a for a in gen.accesses if not a.is_output and a.value.op is not gen.matmul]
        self.in_values = [a.value for a in self.inputs]
        self.outputs = gen.outputs
        self.out_values = [a.value for a in self.outputs]
        self.matmul = gen.matmul
        self.mm_values = tuple(gen.matmul.inputs[:2]) if gen.matmul is not None else ()
        self.conv = gen.matmul is not None and gen.matmul.type == "Conv2D"   # im2col + BLAS (numba_conv)
        self.keeps_cols = None      # a key under which the run keeps the im2col (share_im2col)
        self.cols_scratch: Optional[np.ndarray] = None   # a convolution's im2col, reused run after run
        self.geometry: dict = {}
        self.binder = None      # geometry_binder's function (False: none), made on the first new shapes
        self.scratch: Optional[np.ndarray] = None     # the matmul product when it is not an output
        self.product_output = gen.matmul is not None and gen.matmul.outputs[0] in kernel.outputs
        # a product alone (nothing fused, no other output): BLAS writes the output and the kernel
        # has nothing left to do, so it is never called (nor compiled)
        self.product_only = self.product_output and not self.out_values and len(kernel.nodes) == 1
        self.update = product_update.find(kernel, gen)   # an output that is one GEMM's accumulation
        self.weight = work_weight(kernel)
        self.recipe = geometry_recipe(gen)
        self.certain = False                          # set by run_policy.mark_certain_steps
        self.static_key, self.static = self._static_geometry()
        self.shape_inputs = self.in_values + list(self.mm_values)
        self.static_geometry = self.static is not None

    # -- geometry -------------------------------------------------------------------------------
    def _static_geometry(self) -> tuple:
        shapes = [v.shape.as_tuple() for v in self.in_values + list(self.mm_values)]
        if any(s is None or None in s for s in shapes) or None in self.gen.space:
            return None, None
        key = tuple(shapes)
        try:
            return key, self._compute_geometry(shapes[:len(self.in_values)], shapes[len(self.in_values):], None)
        except errors.OpError:
            return None, None   # inconsistent static shapes: the runtime check reports it

    def _space(self, shapes: list, mm_shapes: list, env) -> list:
        gen = self.gen
        space = list(gen.space)
        if self.conv:
            space = list(self._conv_shape(mm_shapes, env))
        elif self.matmul is not None:
            a, b = mm_shapes
            m, n, _ = kc.matmul_dims(a, b, self.matmul.attrs, self._fail)
            space = list(a[:-2]) + [m, n]
        return kc.fill_space(space, self.inputs, shapes, gen.meta, lambda v: env[v])

    def _conv_shape(self, shapes: list, env) -> tuple:
        """The convolution's output shape; inputs it does not fit fail as its numpy kernel's do."""
        def shape() -> tuple:
            return numba_conv.conv2d_output_shape(shapes[0], shapes[1], **self.matmul.attrs)
        if env is None:       # build time, static shapes: a misfit is left to the run-time check
            try:
                return shape()
            except ValueError as e:
                self._fail(str(e))
        return tuple(run_kernel(self.matmul, [env[v] for v in self.mm_values], lambda: np.array(shape()))[0].tolist())

    def _compute_geometry(self, shapes: list, mm_shapes: list, env) -> tuple:
        """(geometry array, space, output shapes, whether to run in parallel) for these input shapes:
        the binding of a kernel to the sizes of a run (done once per shapes, see ``_geometry_for``)."""
        space = [int(d) for d in self._space(shapes, mm_shapes, env)]
        for acc, shape in zip(self.inputs, shapes):
            self._check_input(acc, shape, space)
        geo = [math.prod([space[d] for d in dims]) for dims in self.recipe]
        out_shapes = [a.runtime_shape(space) for a in self.outputs]
        total = math.prod(space)
        return np.array(geo, dtype=np.int64), tuple(space), out_shapes, total * self.weight >= PARALLEL_MIN

    def _check_input(self, acc: kc.Access, shape: tuple, space: list) -> None:
        kc.check_input(acc, shape, space, self._fail, whole_static=False)

    def _fail(self, what: str) -> None:
        raise kc.kernel_failure(self.kernel, "kernel", what)

    def _geometry_for(self, arrays: list, env) -> tuple:
        mm = [env[v] for v in self.mm_values]
        key = tuple([x.shape for x in arrays] + [x.shape for x in mm])
        if key == self.static_key:
            return self.static
        if self.gen.meta:
            key += tuple(tuple(np.reshape(env[v], -1).tolist()) for v in self.gen.meta)
        geom = self.geometry.get(key)
        if geom is None:
            n = len(arrays) + len(mm)
            geom = (self._bound(key[:len(arrays)], key[len(arrays):n], key[n:])
                    or self._compute_geometry([x.shape for x in arrays], [x.shape for x in mm], env))
            if len(self.geometry) > 256:
                self.geometry.clear()
            self.geometry[key] = geom
        return geom

    def _bound(self, shapes: tuple, mm_shapes: tuple, values: tuple) -> Optional[tuple]:
        """``_compute_geometry``'s result through the step's generated binder (``geometry_binder``),
        or None (no binder, or shapes that do not fit: the general path raises the error)."""
        binder = self.binder
        if binder is None:
            binder = self.binder = geometry_binder.make(self) or False
        if binder is False:
            return None
        try:
            return binder(shapes, mm_shapes, values, PARALLEL_MIN)
        except IndexError:      # an input of another rank than the graph's
            return None

    # -- launch ---------------------------------------------------------------------------------
    def run(self, ctx: RunContext) -> None:
        if self.update is not None and self.update.run(self, ctx):
            return
        env = ctx.env
        args = [env[v] for v in self.in_values]
        if self.certain and ctx.trusted:
            geo, space, out_shapes, parallel = self.static
        else:
            geo, space, out_shapes, parallel = self._geometry_for(args, env)
        args.insert(0, geo)
        if self.matmul is not None:
            args.extend(self._matmul_args(ctx, space))
            if self.product_only:
                return
        alloc = ctx.alloc
        outs = [alloc(v, shape) for v, shape in zip(self.out_values, out_shapes)]
        args.extend(outs)
        fn = self.parallel if parallel else self.serial
        if parallel and self.rows is not None:
            if not _overlap(outs, args[:len(args) - len(outs)]):
                fn = self.rows
        elif not parallel and outs and _large_inplace(outs, args[:len(args) - len(outs)], ctx.fresh):
            fn = self.parallel       # in place: the serial loop would run LLVM's scalar fallback
            parallel = True
        compiled = len(fn.overloads)     # a new specialization is a compile (or a disk-cache load)
        start = time.perf_counter()
        if fn is self.rows:
            rows, total = int(geo[self.split_group]), _size(space)
            self._call(fn, args, compiled, lambda *a: numba_threads.run(fn, list(a), rows, total))
        elif parallel:
            with _PARALLEL_LAUNCH:  # the workqueue threading layer runs one parallel region at a time
                self._call(fn, args, compiled)
        else:
            self._call(fn, args, compiled)
        if len(fn.overloads) != compiled:
            _record_compile(fn, self.kernel, time.perf_counter() - start, parallel)
        for v, o in zip(self.out_values, outs):
            env[v] = o

    def _call(self, fn, args: list, compiled: int, call: Optional[Callable] = None) -> None:
        """Calls the kernel ``fn`` (through ``call`` when given); a corrupt numba disk-cache entry met
        while loading is discarded and rebuilt."""
        call = call or fn
        try:
            call(*args)
        except Exception:
            if len(fn.overloads) != compiled:
                raise  # the kernel itself failed, not the cache
            cache.STATS["corrupt_entries"] += 1
            log.warning("discarding numba's cached code for %s (unreadable); recompiling", self.module_file)
            cache.discard_compiled(self.module_file)
            call(*args)

    def _matmul_args(self, ctx: RunContext, space: tuple) -> list:
        """Computes the product with numpy's BLAS (see ``_matmul``); returns the kernel's ``prod`` argument."""
        env = ctx.env
        a, b = env[self.matmul.inputs[0]], env[self.matmul.inputs[1]]
        shape = tuple(space)
        if self.product_output:
            product = ctx.alloc(self.matmul.outputs[0], shape)
            env[self.matmul.outputs[0]] = product
        else:
            n = math.prod(shape)
            if self.scratch is None or self.scratch.size < n:
                self.scratch = np.empty(n, dtype=self.matmul.outputs[0].dtype.np_type)
            product = self.scratch[:n].reshape(shape)
        if self.conv:
            cols = numba_conv.conv2d_into(a, b, product, scratch=self.cols_scratch, **self.matmul.attrs)
            scratch = self.cols_scratch
            if cols is not None and (scratch is None or scratch.size < cols.size or scratch.dtype != cols.dtype):
                self.cols_scratch = np.empty(cols.size, cols.dtype)    # the next run's im2col goes here
            if self.keeps_cols is not None:
                ctx.kept[self.keeps_cols] = cols
        else:
            a3, b3 = kc.as_batch_of_matrices(a), kc.as_batch_of_matrices(b)
            if self.matmul.attrs["transpose_a"]:    # a strided view: BLAS's transpose flag, no copy
                a3 = a3.transpose(0, 2, 1)
            if self.matmul.attrs["transpose_b"]:
                b3 = b3.transpose(0, 2, 1)
            blas_threads.matmul(a3, b3, out=kc.as_batch_of_matrices(product))
        return [product.reshape(-1)]


def stand_in(arr: np.ndarray) -> bool:
    """Whether ``arr`` is a read-only row repeated (``regions._Rows``'s stand-in for the history of
    a value a loop's gradient reads the shape of alone): only region bodies read it, as a feed that
    only numpy steps (a Shape, a row gather) read; a feed a compiled kernel reads is copied."""
    return arr.ndim > 0 and arr.strides[0] == 0 and not arr.flags.writeable


def geometry_recipe(gen: KernelSource) -> list:
    """For each entry of a kernel's geometry array, the space dims whose sizes multiply into it:
    each index group's extent (``kernel_common.group_extents``), then the stride of every access
    that is not a scalar along each group it spans (``kernel_common.group_stride``). Worked out once
    per kernel, so binding a kernel to new sizes is a few integer products."""
    recipe = [tuple(dims) for dims in gen.groups]
    for a, g in gen.strided():
        recipe.append(tuple(d for d in range(gen.groups[g][-1] + 1, gen.rank) if a.indexed[d]))
    return recipe


_CACHE_HITS: dict = {}   # dispatcher id -> disk-cache hits seen so far


def _record_compile(fn, kernel, seconds: float, parallel: bool) -> None:
    """Counts (and logs) a new specialization: compiled now, or loaded from numba's disk cache."""
    hits = sum(fn.stats.cache_hits.values())
    loaded = hits > _CACHE_HITS.get(id(fn), 0)
    _CACHE_HITS[id(fn)] = hits
    STATS["cache_loads" if loaded else "compiles"] += 1
    STATS["compile_seconds"] += seconds
    log.info("%s kernel %d (%s%s) in %.3fs", "loaded cached" if loaded else "compiled", kernel.index,
             " ".join(kernel.op_types), ", parallel" if parallel else "", seconds)


# op type -> its numpy kernel returning views of its inputs' rows (run as ``NumpyStep.row_views``)
ROW_VIEW_OPS = {"GatherRows": gather.gather_rows_views}


class NumpyStep:
    """Runs a kernel's nodes with their numpy kernels from the driver (opaque ops and fallbacks)."""

    def __init__(self, kernel, reason: str, call: Callable = numba_host.call) -> None:
        self.kernel = kernel
        self.reason = reason
        self.call = call                 # call(node, args, state): the node's outputs
        self.cols_from = None            # a filter gradient's key of a convolution's kept im2col (share_im2col)
        self.shape_inputs = kernel.inputs
        self.meta_inputs = policy.meta_inputs_of(kernel)
        self.static_geometry = True
        # outputs checked against their static shapes in trusted runs: later compiled steps may then
        # run on build-time geometry, and Numba kernels index without bounds checks (shape queries
        # compute from shapes alone)
        self.checks_outputs = kernel.kind != KernelKind.HOST
        self.numpy_on_data = kernel.kind == KernelKind.OPAQUE
        self.certain = False
        self.promised: list = []     # (value, static shape) that later certain steps rely on
        self.regions = any(n.kind is OpKind.REGION for n in kernel.nodes)
        # a lone row read of stacks (a loop gradient's GatherRows): the rows are handed on as views
        self.row_views = len(kernel.nodes) == 1 and kernel.nodes[0].type in ROW_VIEW_OPS
        # a lone movement node of static shapes (split, concat, one-row gather or TensorArray
        # write): its recipe (static_movement.py), else None
        self.lean = None
        if len(kernel.nodes) == 1 and kernel.kind == KernelKind.OPAQUE:
            node = kernel.nodes[0]
            self.lean = static_movement.recipe(node, [v in kernel.outputs for v in node.outputs])

    def _run_row_views(self, ctx: RunContext) -> None:
        """Row ``index`` of each stack as a view (no copy): the stacks are a loop's recorded
        outputs, which nothing writes while the body runs; a row that is not a writeable C array (a
        shape-only stand-in), of a buffer given up for in-place writes, or of a pooled buffer (which
        a later kernel may reuse) is copied."""
        env = ctx.env
        node = self.kernel.nodes[0]
        args = [env[v] for v in node.inputs]
        rows = host.run_kernel(node, args, lambda: ROW_VIEW_OPS[node.type](*args))
        pooled = {id(a if a.base is None else a.base) for a in ctx.exe.pool.arrays.values()}  # owners (new_array)
        for v, row, stack in zip(node.outputs, rows, args[1:]):
            target = ctx.into_array(v, row.shape)
            if target is not None:       # a loop records it: copied once, into its row
                np.copyto(target, row)
                ctx.fresh.add(id(target))
                env[v] = target
                continue
            flags = row.flags
            if (not (flags.c_contiguous and flags.writeable) or id(row.base) in pooled
                    or tensor_array.donated(stack)):
                row = np.array(row, copy=True, order="C")
                ctx.fresh.add(id(row))
            env[v] = row

    def _run_lean(self, ctx: RunContext) -> bool:
        """The step through its static recipe; False when the arguments' shapes are not the static
        ones (the general path then runs it, and raises the op's error)."""
        env = ctx.env
        node = self.kernel.nodes[0]
        outs = self.lean([env[v] for v in node.inputs], [ctx.into_array(v) for v in node.outputs])
        if outs is None:
            return False
        fresh = ctx.fresh.add
        for v, out in zip(node.outputs, outs):
            if out is not None:
                fresh(id(out))
                env[v] = out
        return True

    def _filter_gradient_call(self, ctx: RunContext) -> Callable:
        """The call of a ``Conv2DBackpropFilter`` that reads the im2col its convolution kept."""
        cols = ctx.kept.pop(self.cols_from, None)

        def call(node, args: list, state) -> list:
            if cols is None or not numba_conv.KERNELS[node.type][0](*args):
                return self.call(node, args, state)
            return run_kernel(node, args, lambda: numba_conv.conv2d_backprop_filter(*args, cols=cols, **node.attrs))
        return call

    def run(self, ctx: RunContext) -> None:
        env = ctx.env
        if self.row_views:
            self._run_row_views(ctx)
            return
        if self.lean is not None and self._run_lean(ctx):
            return
        call = self.call if self.cols_from is None else self._filter_gradient_call(ctx)
        local = policy.run_nodes(self.kernel.nodes, env.__getitem__, call, ctx.state)
        if ctx.trusted:
            policy.check_promised(self.promised, local)
        if self.kernel.kind == KernelKind.VIEW or self.kernel.kind == KernelKind.HOST:
            for v in self.kernel.outputs:
                env[v] = policy.c_array(local[v])
            return
        # a buffer its owner gave up (a loop driver's TensorArray buffer) may come back as the
        # output: the write updated it in place, and nothing else reads it
        inputs = [env[v] for v in self.kernel.inputs if v in env and not tensor_array.donated(env[v])]
        for v in self.kernel.outputs:
            out = local[v]
            if self.regions and stand_in(out):
                env[v] = out         # a loop's shape-only history: read for its shape, never copied
                continue
            out = policy.unshared(out, inputs)
            ctx.fresh.add(id(out))
            env[v] = out


def share_im2col(steps: list) -> None:
    """Lets each ``Conv2DBackpropFilter`` step read the im2col matrix of the convolution step before
    it that has the same input, window and geometry (a CNN's forward convolution and its filter
    gradient): the convolution keeps it in the run's context, and the gradient skips its own copy.
    The input is one IR value, unchanged between the two (the memory plan keeps it until its last
    reader, the gradient)."""
    convs: dict = {}
    for step in steps:
        if isinstance(step, CompiledStep) and step.conv:
            node = step.matmul
            convs[_im2col_key(node.inputs[0], node.inputs[1].shape.as_tuple(), node.attrs)] = step
            continue
        nodes = step.kernel.nodes if isinstance(step, NumpyStep) else ()
        if len(nodes) != 1 or nodes[0].type != "Conv2DBackpropFilter":
            continue
        node = nodes[0]
        key = _im2col_key(node.inputs[0], node.outputs[0].shape.as_tuple(), node.attrs)
        conv = convs.get(key)
        if conv is not None and key[1] is not None:
            conv.keeps_cols = step.cols_from = key


def _im2col_key(x, filter_shape: Optional[tuple], attrs: dict) -> tuple:
    """What an im2col matrix depends on: the input value, the window and input depth, the geometry."""
    window = None if filter_shape is None or None in filter_shape[:3] else tuple(filter_shape[:3])
    return (x, window, tuple(sorted((k, str(v)) for k, v in attrs.items())))
