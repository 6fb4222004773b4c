"""The Triton backend's launch steps: the per-run context, kernel launches, gathers, numpy steps.

A ``CompiledStep`` computes a kernel's launch geometry per input shapes (int arguments, block
sizes, grid; a two-stage plan for a few long rows, ``Split``; on a GPU, a timed choice of matmul
tiles for large products, ``Tune``), takes its output arrays from the run context (pooled, a
variable's own array, or an array of this run, by ``run_policy``'s rules) and launches it.
A ``GatherStep`` runs a movement op as an index-map gather on the device; a ``NumpyStep`` runs
opaque ops and kernels the printer cannot print with numpy on the host, and views and shape
queries without moving data. Arrays live in a ``triton_memory.ArrayLayer``.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Callable, Optional

import numpy as np

from graphc import errors, switches
from graphc.codegen import kernel_common as kc
from graphc.codegen import run_policy as policy
from graphc.codegen import triton_memory as tm
from graphc.codegen.host import call_numpy
from graphc.codegen.triton_printer import TRUE_WORDS, KernelSource, scalar_rules
from graphc.passes.fusion import KernelKind
from graphc.passes.memory import Place

log = logging.getLogger("graphc.codegen.triton")

PERSISTENT_MAX = 4096      # longest row held whole by one program
LOOP_RBLOCK = 1024         # step of a looped reduction
# two-stage reductions: at most SPLIT_MAX_ROWS rows of at least SPLIT_MIN_LENGTH elements are cut
# into parts of at least SPLIT_MIN_PART elements (at most SPLIT_MAX_PARTS per row), one program each
SPLIT_MAX_ROWS = 64
SPLIT_MIN_LENGTH = 1 << 15
SPLIT_MIN_PART = 1 << 13
SPLIT_MAX_PARTS = 1024
# matmul tiles (BM, BN, BK, num_warps, num_stages) timed on the first launch of a large enough
# product (M*N*K >= AUTOTUNE_MIN_WORK) on a GPU; smaller products take the shape heuristic
MATMUL_CONFIGS = ((128, 128, 32, 8, 3), (128, 64, 32, 4, 4), (64, 128, 32, 4, 4), (64, 64, 32, 4, 4),
                  (128, 128, 16, 8, 4), (64, 64, 64, 4, 3), (32, 64, 32, 4, 4))
AUTOTUNE_MIN_WORK = 1 << 26


@dataclasses.dataclass(frozen=True)
class BlockSizes:
    """Launch-time block sizes (constexpr arguments: they never change the generated source)."""

    pointwise: int             # elements per program of a pointwise kernel
    tile: int                  # elements per program of a reduction tile (XBLOCK * RBLOCK)
    matmul: tuple              # largest BM, BN, BK (tl.dot needs each >= 16)


GPU_BLOCKS = BlockSizes(pointwise=1024, tile=4096, matmul=(64, 64, 32))
# The interpreter pays per program and per block op, not per element: few, large programs
INTERPRETER_BLOCKS = BlockSizes(pointwise=1 << 16, tile=1 << 16, matmul=(128, 128, 128))

STATS = {"modules": 0, "launches": 0, "numpy_steps": 0}


def autotune_enabled() -> bool:
    """Matmul tiles are timed on a GPU (``GRAPHC_TRITON_AUTOTUNE=0`` turns it off; under the
    interpreter it is off unless ``GRAPHC_TRITON_AUTOTUNE=1``, since its timings mean nothing)."""
    setting = (switches.TRITON_AUTOTUNE.get() or "").strip().lower()
    if setting:
        return setting in TRUE_WORDS
    return not tm.interpreting()


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _next_pow2(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


class RunContext:
    """Per-run state shared by the steps: values (device arrays or host numpy), fresh outputs."""

    __slots__ = ("exe", "env", "fresh", "run_buffers", "state", "written", "inplace_ok", "host_copies", "trusted")

    def __init__(self, exe: Any, state) -> None:   # exe: the TritonExecutable (triton_gpu.py)
        self.exe = exe
        self.env: dict = {}
        self.fresh: dict = {}            # id of an array made for this run only -> id of its allocation
        self.run_buffers: dict = {}      # escaping buffer index -> array used during this run
        self.state = state
        self.written: dict = {}          # variable op -> its own device array, updated in place
        self.inplace_ok = False          # set by the executable (see TritonExecutable)
        self.trusted = False             # every feed and variable has its static shape
        self.host_copies: dict = {}      # value -> its host array, kept when it was uploaded

    def device(self, v) -> Any:
        """``v``'s value as a device array: host values (numpy feeds, shapes) go up on first use."""
        x = self.env[v]
        layer = self.exe.layer
        if isinstance(x, np.ndarray) and not layer.on_host:
            self.host_copies[v] = x
            x = layer.from_host(x)
            self.env[v] = x
        return x

    def host(self, v) -> np.ndarray:
        """``v``'s value on the host: a feed read by a host step never makes a round trip."""
        x = self.env[v]
        if isinstance(x, np.ndarray):
            return x
        kept = self.host_copies.get(v)
        if kept is None:
            kept = self.exe.const_hosts.get(v)
        return kept if kept is not None else self.exe.layer.to_host(x)

    def alloc(self, value, shape: tuple) -> Any:
        """The array kernel output ``value`` is written into: pooled when it stays inside the run,
        the variable's own array when it is updated in place, else an array of this run."""
        exe = self.exe
        dtype = value.dtype.np_type
        if self.inplace_ok:
            var = exe.inplace.get(value)
            if var is not None:
                own = self.state.values.get(var)
                own = policy.take_own_array(var, own if exe.layer.owns(own, dtype) else None, shape, self.written)
                if own is not None:
                    return own
        where = exe.storage.get(value)
        if where and where.place is Place.BUFFER and where.ref not in exe.escaping:
            return exe.pool.view(where.ref, tuple(shape), dtype)
        n = int(np.prod(shape, dtype=np.int64))
        key = where.ref if where and where.place is Place.BUFFER else ("value", value)
        arr = self.run_buffers.get(key)
        if arr is None or arr.shape[0] < n:
            arr = exe.layer.empty((n,), dtype)
            self.run_buffers[key] = arr
            self.fresh[id(arr)] = id(arr)
        out = exe.layer.flat(arr, n, tuple(shape))
        self.fresh[id(out)] = id(arr)
        return out


class CompiledStep:
    """Launches one generated kernel: runtime geometry (cached per input shapes), buffers, grid."""

    static_geometry = True
    checks_outputs = False
    numpy_on_data = False

    def __init__(self, kernel, gen: KernelSource, module, blocks: BlockSizes) -> None:
        self.kernel = kernel
        self.gen = gen
        self.module = module
        self.blocks = blocks
        self.geometry: dict = {}
        self.partials: dict = {}     # reduction position -> partial results of a two-stage reduction
        self.shape_inputs = kernel.inputs
        self.meta_inputs = set(gen.meta)
        self.certain = False         # set by run_policy.mark_certain_steps

    # -- geometry -------------------------------------------------------------------------------
    def _matmul_dims(self, ctx) -> tuple:
        mm = self.gen.matmul
        a, b = ctx.env[mm.inputs[0]], ctx.env[mm.inputs[1]]
        sa, sb = tuple(a.shape), tuple(b.shape)
        m, n, k = kc.matmul_dims(sa, sb, mm.attrs, self._fail)
        return sa, sb, m, n, k

    def _space(self, shapes: list, ctx) -> list:
        gen = self.gen
        space = list(gen.space)
        if gen.matmul is not None:
            sa, _, m, n, _ = self._matmul_dims(ctx)
            space = list(sa[:-2]) + [m, n]
        kc.fill_space(space, gen.inputs, shapes, gen.meta, ctx.host)
        if any(s is None for s in space):
            self._fail(f"cannot tell the iteration space {gen.space} from the inputs at run time")
        return space

    def _geometry(self, shapes: list, ctx) -> tuple:
        """(int arguments, constexpr kwargs, grid, output shapes, programs' extent, launch) for these
        input shapes; launch: the kernel's name in the module, or a ``Split`` plan."""
        gen = self.gen
        space = self._space(shapes, ctx)
        for acc, shape in zip(gen.inputs, shapes):
            self._check_input(acc, shape, space)
        extents = kc.group_extents(space, gen.groups)
        strides = [kc.group_stride(space, a, gen.groups[g], gen.rank) for a, g in gen.strides]
        ints = extents + strides
        out_shapes = [a.runtime_shape(space) for a in gen.outputs]
        total = int(np.prod(space, dtype=np.int64))
        kind = self.kernel.kind
        if kind == KernelKind.POINTWISE:
            block = max(16, min(self.blocks.pointwise, _next_pow2(total)))
            return ints + [total], {"BLOCK": block}, (-(-total // block),), out_shapes, total, None
        if kind == KernelKind.REDUCTION:
            nred = int(np.prod([space[d] for d in gen.axes], dtype=np.int64))
            nout = int(np.prod([space[d] for d in gen.kept], dtype=np.int64))
            rblock = _next_pow2(max(nred, 1))
            persistent = rblock <= PERSISTENT_MAX
            rblock = rblock if persistent else LOOP_RBLOCK
            xblock = max(1, min(_next_pow2(max(nout, 1)), self.blocks.tile // rblock))
            grid = (-(-nout // xblock),)
            fn = "kernel_persistent" if persistent else "kernel_looped"
            warps = 8 if rblock * xblock >= 2048 else 4
            split = self._split(nout, nred) if not persistent else None
            return (ints + [nout, nred], {"XBLOCK": xblock, "RBLOCK": rblock, "num_warps": warps}, grid,
                    out_shapes, nout, fn if split is None else split)
        sa, sb, m, n, k = self._matmul_dims(ctx)
        ta, tb = gen.matmul.attrs["transpose_a"], gen.matmul.attrs["transpose_b"]
        sam, sak = (1, m) if ta else (k, 1)
        sbk, sbn = (1, k) if tb else (n, 1)
        nbatch = int(np.prod(sa[:-2], dtype=np.int64))
        extra = [m, n, k, sam, sak, sbk, sbn, m * k, k * n]
        configs = _matmul_configs(m, n, k, self.blocks.matmul)
        tune = len(configs) > 1 and m * n * k * nbatch >= AUTOTUNE_MIN_WORK and autotune_enabled()
        constexprs = configs[0]
        return (ints + extra, constexprs, _matmul_grid(m, n, nbatch, constexprs), out_shapes, m * n * nbatch,
                Tune(configs, (m, n, nbatch)) if tune else None)

    def _tune(self, key: tuple, plan: "Tune", ctx: RunContext, args: list, ints: list, out_shapes: list) -> tuple:
        """Times each tile config writing scratch outputs (inputs are only read), so trials have no
        side effects whatever the memory plan aliases; the fastest becomes this shape's geometry.
        A shape's first launch is never in place (see ``TritonExecutable``)."""
        layer = ctx.exe.layer
        scratch = [layer.kernel_arg(layer.empty(tuple(shape), a.value.dtype.np_type))
                   for a, shape in zip(self.gen.outputs, out_shapes)]
        trial = args[:len(args) - len(scratch)] + scratch + ints
        fn = self.module.kernel
        best = None
        for config in plan.configs:
            grid = _matmul_grid(*plan.dims, config)
            try:
                self._launch(fn, grid, trial, config, counted=False)     # compiles this variant
                layer.synchronize()
                seconds = _timed(lambda: self._launch(fn, grid, trial, config, counted=False), layer)
            except Exception as e:   # noqa: BLE001 - a config the device cannot run (shared memory) is skipped
                log.info("kernel %d: tile %s skipped: %s", self.kernel.index, config, e)
                continue
            if best is None or seconds < best[0]:
                best = (seconds, config, grid)
        if best is None:
            self._fail("no matmul tile configuration could be launched on this device")
        _, config, grid = best
        log.info("kernel %d (%s): tuned tile %s", self.kernel.index, " ".join(self.kernel.op_types), config)
        old = self.geometry[key]
        tuned = (old[0], config, grid, old[3], old[4], None)
        self.geometry[key] = tuned
        return tuned

    def _split(self, nout: int, nred: int) -> Optional["Split"]:
        """A two-stage plan for few long rows (one program per row would leave the GPU idle)."""
        if not self.gen.splittable or nout > SPLIT_MAX_ROWS or nred < SPLIT_MIN_LENGTH:
            return None
        parts = min(SPLIT_MAX_PARTS, _cdiv(nred, SPLIT_MIN_PART))
        chunk = _cdiv(_cdiv(nred, parts), LOOP_RBLOCK) * LOOP_RBLOCK     # whole RBLOCK steps per part
        parts = _cdiv(nred, chunk)
        return Split(parts, chunk, (nout, parts), (nout,), _next_pow2(parts))

    def _check_input(self, acc: kc.Access, shape: tuple, space: list) -> None:
        if acc.scalar:
            if int(np.prod(shape, dtype=np.int64)) != 1:
                self._fail(f"input {acc.value.name} has shape {tuple(shape)} at run time but one element "
                           f"in the graph ({acc.value.shape})")
            return
        kc.check_input(acc, shape, space, self._fail, whole_static=True)

    def _fail(self, what: str) -> None:
        raise kc.kernel_failure(self.kernel, "Triton kernel", what)

    # -- launch ---------------------------------------------------------------------------------
    def run(self, ctx: RunContext) -> None:
        gen = self.gen
        arrays = [ctx.device(a.value) for a in gen.inputs]
        key = tuple(tuple(x.shape) for x in arrays)
        if gen.matmul is not None:
            key += tuple(tuple(ctx.env[v].shape) for v in gen.matmul.inputs)
        if gen.meta:
            key += tuple(tuple(np.reshape(ctx.host(v), -1).tolist()) for v in gen.meta)
        geom = self.geometry.get(key)
        if geom is None:
            geom = self._geometry([tuple(x.shape) for x in arrays], ctx)
            self.geometry[key] = geom
        layer = ctx.exe.layer
        ints, constexprs, grid, out_shapes, total, launch = geom
        outs = [ctx.alloc(a.value, shape) for a, shape in zip(gen.outputs, out_shapes)]
        for a, o in zip(gen.outputs, outs):
            ctx.env[a.value] = o
        if total == 0:      # an empty space: the outputs have no elements either
            return
        args = [layer.kernel_arg(x) for x in arrays]
        if gen.matmul is not None:
            args += [layer.kernel_arg(ctx.device(v)) for v in gen.matmul.inputs]
        args += [layer.kernel_arg(o) for o in outs]
        start = time.perf_counter()
        try:
            if isinstance(launch, Tune):
                _, constexprs, grid, _, _, launch = self._tune(key, launch, ctx, args, ints, out_shapes)
            if isinstance(launch, Split):
                self._launch_split(launch, ctx, args, ints, total)
            else:
                self._launch(getattr(self.module, launch or "kernel"), grid, args + ints, constexprs)
        except Exception as e:
            path = getattr(self.module, "__file__", "?")
            raise errors.InternalError(None, next((n.origin for n in self.kernel.nodes), None), (
                f"Triton kernel {self.kernel.index} ({' '.join(self.kernel.op_types)}) failed: "
                f"{type(e).__name__}: {e}. Generated source: {path}")) from e
        if log.isEnabledFor(logging.DEBUG):
            log.debug("kernel %d (%s) grid %s %s in %.4fs", self.kernel.index, " ".join(self.kernel.op_types),
                      grid, constexprs, time.perf_counter() - start)

    @staticmethod
    def _launch(fn, grid: tuple, args: list, constexprs: dict, counted: bool = True) -> None:
        if tm.interpreting():   # the interpreter computes masked-off lanes too: no warnings for those
            with np.errstate(all="ignore"):
                fn[grid](*args, **constexprs)
        else:
            fn[grid](*args, **constexprs)
        if counted:
            STATS["launches"] += 1

    def _launch_split(self, split: "Split", ctx: RunContext, args: list, ints: list, nout: int) -> None:
        """Stage 1 writes ``parts`` partial results per row and reduction; stage 2 combines them."""
        layer = ctx.exe.layer
        partials = []
        for i, dtype in enumerate(self.gen.partial_dtypes):
            n = nout * split.parts
            buf = self.partials.get(i)
            if buf is None or buf.shape[0] < n or not layer.owns(buf, dtype):
                buf = self.partials[i] = layer.empty((n,), dtype)
            partials.append(layer.kernel_arg(buf))
        nred = ints[-1]
        base = ints[:-2]
        self._launch(self.module.kernel_split_partial, split.grid1,
                     args + base + partials + [nout, nred, split.chunk, split.parts],
                     {"XBLOCK": 1, "RBLOCK": LOOP_RBLOCK})
        self._launch(self.module.kernel_split_final, split.grid2, args + base + partials + [nout, nred, split.parts],
                     {"XBLOCK": 1, "SBLOCK": split.sblock})


@dataclasses.dataclass(frozen=True)
class Tune:
    """A matmul launch whose tile is picked by timing ``configs`` on its first run."""

    configs: tuple
    dims: tuple          # (M, N, batch)


def _matmul_configs(m: int, n: int, k: int, caps: tuple) -> list:
    """Launch options per tile: the shape heuristic first, then the distinct ``MATMUL_CONFIGS``
    clipped to the problem (a tile larger than a dimension only wastes lanes)."""
    def fit(d: int, block: int) -> int:
        return max(16, min(block, _next_pow2(max(d, 1))))

    first = {"BM": fit(m, caps[0]), "BN": fit(n, caps[1]), "BK": fit(k, caps[2])}
    configs = [first]
    for bm, bn, bk, warps, stages in MATMUL_CONFIGS:
        c = {"BM": fit(m, bm), "BN": fit(n, bn), "BK": fit(k, bk), "num_warps": warps, "num_stages": stages}
        if c not in configs:
            configs.append(c)
    return configs


def _matmul_grid(m: int, n: int, nbatch: int, config: dict) -> tuple:
    return (_cdiv(m, config["BM"]) * _cdiv(n, config["BN"]) * nbatch,)


def _timed(launch, layer: tm.ArrayLayer) -> float:
    """Seconds one launch takes: CUDA-event timing over repeated launches on a GPU (a single
    launch would mostly time Python's launch overhead); wall time under the interpreter."""
    if tm.interpreting():
        start = time.perf_counter()
        launch()
        layer.synchronize()
        return time.perf_counter() - start
    from triton.testing import do_bench

    return do_bench(launch, warmup=5, rep=25) / 1e3


@dataclasses.dataclass(frozen=True)
class Split:
    """Launch plan of a two-stage reduction: ``parts`` programs of ``chunk`` elements per row."""

    parts: int
    chunk: int
    grid1: tuple
    grid2: tuple
    sblock: int


class GatherStep:
    """A movement op on the device: ``out[i] = x[index[i]]`` (0 where ``index[i]`` is -1).

    The index map is the op's own numpy kernel applied to the positions 1..n of ``x`` (so it is
    right by construction), computed on the host once per input shape and shape arguments, and
    kept on the device: no data goes through the host.
    """

    static_geometry = True
    checks_outputs = False
    numpy_on_data = False

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.node = kernel.nodes[0]
        self.shape_inputs = kernel.inputs
        self.meta_inputs = policy.meta_inputs_of(kernel)
        self.certain = False
        self.maps: dict = {}      # (input shape, shape arguments) -> (device index map, output shape)

    def run(self, ctx: RunContext) -> None:
        node = self.node
        x = ctx.device(node.inputs[0])
        shape_args = [ctx.host(v) for v in node.inputs[1:]]
        key = (tuple(x.shape),) + tuple(tuple(np.reshape(a, -1).tolist()) for a in shape_args)
        entry = self.maps.get(key)
        if entry is None:
            positions = np.arange(1, int(np.prod(x.shape, dtype=np.int64)) + 1, dtype=np.int64).reshape(x.shape)
            moved = call_numpy(node, [positions] + shape_args, ctx.state)[0]
            entry = (ctx.exe.layer.from_host(np.ascontiguousarray(moved, dtype=np.int64).reshape(-1) - 1),
                     tuple(moved.shape))
            if len(self.maps) > 64:
                self.maps.clear()
            self.maps[key] = entry
        index, out_shape = entry
        out = ctx.alloc(node.outputs[0], out_shape)
        ctx.env[node.outputs[0]] = out
        n = int(np.prod(out_shape, dtype=np.int64))
        if n:
            layer = ctx.exe.layer
            block = max(16, min(ctx.exe.blocks.pointwise, _next_pow2(n)))
            CompiledStep._launch(scalar_rules().gather_kernel, (_cdiv(n, block),),
                                  [layer.kernel_arg(x), layer.kernel_arg(index), layer.kernel_arg(out), n],
                                  {"BLOCK": block})


class NumpyStep:
    """Runs a kernel's nodes with their numpy kernels on the host (opaque ops and fallbacks)."""

    def __init__(self, kernel, reason: str, call: Callable = call_numpy) -> None:
        self.kernel = kernel
        self.reason = reason
        self.call = call                 # call(node, args, state): the node's outputs as host arrays
        self.shape_inputs = kernel.inputs
        self.meta_inputs = policy.meta_inputs_of(kernel)
        self.static_geometry = True
        self.checks_outputs = kernel.kind == KernelKind.OPAQUE    # checked in trusted runs
        self.numpy_on_data = kernel.kind == KernelKind.OPAQUE
        self.certain = False
        self.promised: list = []     # (value, static shape) that later certain steps rely on

    def run(self, ctx: RunContext) -> None:
        kind = self.kernel.kind
        if kind in (KernelKind.VIEW, KernelKind.HOST):
            self._shape_only(ctx)
            return
        STATS["numpy_steps"] += 1
        inputs = {v: ctx.host(v) for v in self.kernel.inputs}
        local = policy.run_nodes(self.kernel.nodes, inputs.__getitem__, self.call, ctx.state)
        if ctx.trusted:
            policy.check_promised(self.promised, local)
        layer = ctx.exe.layer
        for v in self.kernel.outputs:
            out = layer.from_host(policy.unshared(local[v], inputs.values()))
            ctx.fresh[id(out)] = id(out)
            ctx.env[v] = out

    def _shape_only(self, ctx: RunContext) -> None:
        """A view (reshape of a device array) or a shape query: only input shapes matter, no data moves."""
        local: dict = {}
        for node in self.kernel.nodes:
            args = []
            for v in node.inputs:
                if v in local:
                    args.append(local[v])
                elif policy.is_meta(node, v):
                    args.append(ctx.host(v))
                else:
                    x = ctx.env[v]
                    args.append(np.lib.stride_tricks.as_strided(np.zeros(1, v.dtype.np_type), tuple(x.shape),
                                                                (0,) * len(x.shape)))
            local.update(zip(node.outputs, call_numpy(node, args, ctx.state)))
        for v in self.kernel.outputs:
            if self.kernel.kind == KernelKind.HOST:
                ctx.env[v] = policy.c_array(local[v])
            else:
                ctx.env[v] = ctx.exe.layer.reshape(ctx.env[self.kernel.nodes[0].inputs[0]], tuple(local[v].shape))

