"""The steps of a loop body that are not plain generated kernels, printed as lines of a whole-loop
njit function (``numba_loop.py``) or of a driver's compiled stretch (``numba_stretches.py``).

Every value of a whole loop lives in a flat C array, so a reshape is a new name for the same array
and a slice of rows is a flat range. What an RNN body runs besides its pointwise kernels becomes:
- a matrix product: numpy's OpenBLAS ``cblas_?gemm`` called from the compiled code by the
  address the function is given (``call_gemm``, ``blas_gemm.address``), into the product buffer of its kernel (whose epilogue is then
  called) or, for a ``ProductUpdate`` kernel (``c + alpha * a @ b``: a cell's bias, a weight
  update), onto a copy of ``c`` with ``beta = 1``;
- Split/SplitV/ConcatV2 and a one-index GatherV2: row-block copies of static offsets and strides;
- a StridedSlice of static shape: the elements at flat positions worked out once (``take_n``);
- a one-index TensorArray read (a view of the row when the buffer is a capture, which nothing
  writes) and write (the row written into the loop variable's own buffer, which the loop gave up:
  ``regions.written_only``), a gradient's one-row take (the row, then zeroed in place), and a
  gradient loop's ``GatherRows`` (views of the rows of captured stacks).
A run-time check that the Python recipes would fail on (an index out of range, an element written
twice, a read before any write) makes the function return -1: the loop then runs body by body,
where the op raises its error. Anything else is refused with a reason (``Refused``).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from graphc.codegen import numba_blocks
from graphc.codegen.numba_blocks import Block
from graphc.codegen.numba_steps import CompiledStep, NumpyStep
from graphc.ops import array as array_ops
from graphc.ops import blas_gemm
from graphc.passes.fusion import KernelKind


class Refused(Exception):
    """Why a loop is not compiled as one function (the message is the reason); ``size_dependent``:
    other sizes of the same shape pattern might be compiled whole."""

    def __init__(self, reason: str, size_dependent: bool = False) -> None:
        super().__init__(reason)
        self.size_dependent = size_dependent


def static(value) -> tuple:
    """The value's fully static shape, or Refused."""
    dims = value.shape.as_tuple()
    if dims is None or None in dims:
        raise Refused(f"value {getattr(value, 'name', value)} inside the loop has no fully static shape")
    return tuple(int(d) for d in dims)


def size(shape: Sequence[int]) -> int:
    return max(math.prod(shape), 1)


_VIEW_OPS = frozenset({"Reshape", "ExpandDims", "Squeeze"})
SLICE_INDEX_MAX = 1 << 16     # elements of a printed StridedSlice (its flat positions are an argument)


class Printer:
    """Prints one body's (or cond's) steps as lines of the whole-loop function.

    ``local``: value -> the name of the flat array holding it; ``read_only``: names of arrays nothing
    in the loop writes (captures, and views of them), whose rows may be handed on as views;
    ``given_up``: names of loop-variable arrays an in-place op may update (the loop owns them and no
    one else reads them); ``fixed(name, shape, dtype)`` makes an array allocated once for the loop and
    ``constant(name, value)`` passes a value (a kernel's geometry, a GEMM's address); ``globals_``
    gets the kernels the lines call;
    ``destination(value)``: the expression of the array a value must be written into (a recorded row),
    or None. ``shared``: names of arrays whose memory the caller may give another value while the
    lines run, and destinations that may be such memory (a driver stretch's inputs and leaving
    arrays live in the memory plan's buffers, timed for the step loop): nothing reads those later
    or writes them earlier than the step loop would (no blocks of them, no early concat into them).
    """

    def __init__(self, prefix: str, local: dict, read_only: set, given_up: set, fixed: Callable,
                 constant: Callable, globals_: dict, destination: Callable, lines: List[str],
                 shared: Optional[set] = None) -> None:
        self.prefix = prefix        # of every name it makes (a cond's and a body's share one function)
        self.local, self.read_only, self.given_up = local, read_only, given_up
        self.fixed, self.constant, self.globals = fixed, constant, globals_
        self.destination, self.lines = destination, lines
        self.counter = 0
        self.into_rows: set = set()     # values written straight into their destination row
        self.gemms: Dict[str, str] = {}  # dtype char -> the parameter holding its GEMM's address
        self.gemm_work = 0      # multiply-adds of the largest product (the caller picks BLAS threads by it)
        self.readers: Dict[Any, list] = {}    # value -> the steps reading it (``note_readers``)
        self.fetched: set = set()
        self.blocks_of: Dict[Any, Block] = {}  # split pieces left in place in the array they were split from
        self.concats_made_early: Dict[Any, str] = {}    # a concat's output made before a kernel writing into it
        self.written_into_concat: set = set()           # kernel outputs written straight into their concat's block
        self.shared = shared

    def note_readers(self, steps: Sequence, fetched: Sequence) -> None:
        """Notes which steps read each value and which values the loop fetches, so that a split's
        piece or a concat's input may stay a block of the wider array (``numba_blocks``)."""
        self.fetched = set(fetched)
        for step in steps:
            for v in step.kernel.inputs:
                self.readers.setdefault(v, []).append(step)

    def _new(self, stem: str) -> str:
        self.counter += 1
        return f"{self.prefix}{stem}{self.counter}"

    def name(self, value) -> str:
        found = self.local.get(value)
        if found is None:
            raise Refused(f"value {value} comes from outside the loop's steps")
        return found

    def output(self, value, shape: tuple) -> str:
        """The name of the array ``value`` is written into: its recorded row, or a fixed array."""
        row = self.destination(value)
        if row is not None:
            name = self._new("row")
            self.lines.append(f"{name} = {row}")
            self.into_rows.add(value)
        else:
            name = self.fixed(self._new("t"), shape, value.dtype.np_type)
        self.local[value] = name
        return name

    def index(self, value) -> str:
        """A line reading a one-element integer value into a new scalar; returns its name."""
        if value.dtype.np_type not in (np.int32, np.int64) or size(static(value)) != 1:
            raise Refused(f"index {value} is not one integer")
        name = self._new("i")
        self.lines.append(f"{name} = {self.name(value)}[0]")
        return name

    def fail_unless(self, condition: str) -> None:
        self.lines += [f"if not ({condition}):", "    return -1"]

    def copy(self, dst: str, dst_off: str, src: str, src_off: str, n: int) -> None:
        self.lines += element_copy(dst, dst_off, src, src_off, n)

    def fill(self, dst: str, dst_off: str, n: int, value: str) -> None:
        self.lines.append(f"fill_n({dst}, {dst_off}, {n}, {value})")

    def blocks(self, src: str, src_off: str, src_stride: int, dst: str, dst_off: str, dst_stride: int,
               rows: int, width: int) -> None:
        """Copies ``rows`` blocks of ``width`` elements (one block when ``rows`` is 1)."""
        if rows == 1 or (src_stride == width and dst_stride == width):
            self.copy(dst, dst_off, src, src_off, rows * width)
            return
        self.lines.append(f"copy_blocks({dst}, {dst_off}, {dst_stride}, {src}, {src_off}, {src_stride}, {rows}, {width})")

    # -- steps --------------------------------------------------------------------------------
    def step(self, step) -> None:
        """Prints ``step``, or raises Refused."""
        k = step.kernel
        if isinstance(step, CompiledStep):
            if step.update is not None:
                self._product_update(step)
            elif step.matmul is not None:
                self._product_kernel(step)
            else:
                self._kernel(step)
            return
        if k.kind == KernelKind.VIEW and len(k.nodes) == 1 and k.nodes[0].type in _VIEW_OPS:
            node = k.nodes[0]
            if size(static(node.inputs[0])) != size(static(node.outputs[0])):
                raise Refused(f"view {node.name} changes the element count")
            self.local[node.outputs[0]] = self.name(node.inputs[0])
            return
        if isinstance(step, NumpyStep) and len(k.nodes) == 1:
            node = k.nodes[0]
            if node.type == "StridedSlice":
                self.strided_slice(node)
                return
            printer = _MOVEMENT.get(node.type)
            if printer is not None and (step.lean is not None or step.row_views):
                printer(self, node, [v in k.outputs for v in node.outputs])
                return
        raise Refused(f"kernel {k.index} ({' '.join(k.op_types)}) runs from the Python driver "
                      f"({getattr(step, 'reason', 'not a compiled kernel')})")

    def _gemm(self, mm, a: str, b: str, out: str, alpha: str, beta: str) -> None:
        shape_a, shape_b = static(mm.inputs[0]), static(mm.inputs[1])
        if len(shape_a) != 2 or len(shape_b) != 2:
            raise Refused(f"product {mm.name} is batched")
        ta, tb = mm.attrs["transpose_a"], mm.attrs["transpose_b"]
        m, k = (shape_a[1], shape_a[0]) if ta else shape_a
        k2, n = (shape_b[1], shape_b[0]) if tb else shape_b
        if k != k2 or min(m, n, k) == 0:
            raise Refused(f"product {mm.name} has shapes {shape_a} and {shape_b}")
        dtype = np.dtype(mm.outputs[0].dtype.np_type)
        address = blas_gemm.address(dtype)
        if address is None or mm.inputs[0].dtype != mm.outputs[0].dtype or mm.inputs[1].dtype != mm.outputs[0].dtype:
            raise Refused(f"product {mm.name} has no BLAS for {dtype}")
        # the function's address is an argument, never a constant of the compiled code (which the
        # code cache keeps for other processes, where the library loads elsewhere)
        fn = self.gemms.get(dtype.char)
        if fn is None:
            fn = self.gemms[dtype.char] = self.constant(f"{self.prefix}gemm_{dtype.char}", address)
        real = "np.float32" if dtype == np.float32 else "np.float64"
        flag_a = blas_gemm.TRANS if ta else blas_gemm.NO_TRANS
        flag_b = blas_gemm.TRANS if tb else blas_gemm.NO_TRANS
        self.lines.append(f"call_gemm({fn}, {blas_gemm.ROW_MAJOR}, {flag_a}, {flag_b}, {m}, {n}, {k}, {real}({alpha}), "
                          f"{a}.ctypes.data, {shape_a[1]}, {b}.ctypes.data, {shape_b[1]}, {real}({beta}), "
                          f"{out}.ctypes.data, {n})")
        self.gemm_work = max(self.gemm_work, m * n * k)

    def _product_update(self, step) -> None:
        """``out = base + alpha * (a @ b)``: ``base`` (or its row, broadcast) copied, then GEMM with beta 1."""
        up = step.update
        mm = step.matmul
        m, n = up.shape
        out = self.output(up.output, up.shape)
        base = self.name(up.base)
        if tuple(up.base_shape) == tuple(up.shape):
            self.copy(out, "0", base, "0", m * n)
        else:
            self.blocks(base, "0", 0, out, "0", n, m, n)
        alpha = repr(float(up.sign))
        if up.scale is not None:
            alpha = f"{alpha} * {self.name(up.scale)}[0]"
        self._gemm(mm, self.name(mm.inputs[0]), self.name(mm.inputs[1]), out, alpha, "1.0")

    def _product_kernel(self, step) -> None:
        """The product into its buffer (an output of the kernel, or scratch), then the epilogue kernel."""
        if step.conv:
            raise Refused(f"kernel {step.kernel.index} is a convolution")
        mm = step.matmul
        shape = static(mm.outputs[0])
        if step.product_output:
            prod = self.output(mm.outputs[0], shape)
        else:
            prod = self.fixed(self._new("p"), shape, mm.outputs[0].dtype.np_type)
        self._gemm(mm, self.name(mm.inputs[0]), self.name(mm.inputs[1]), prod, "1.0", "0.0")
        if not step.product_only:
            self._kernel(step, extra=[prod])

    def _kernel(self, step, extra: Optional[list] = None) -> None:
        """A call of the step's serial kernel on its static geometry (``extra``: the product buffer).
        Its arrays are flat (the kernels index by flat offsets): a specialization of its own, which
        numba compiles once and keeps in the code cache. A split piece left in place, or an output
        going straight into its concat, is passed as the wide array from the block's first element,
        with the access's row strides patched in the geometry (``numba_blocks``)."""
        if step.static is None:
            raise Refused(f"kernel {step.kernel.index} of its body has no static geometry")
        geo, _, out_shapes, parallel = step.static
        if parallel:
            raise Refused(f"kernel {step.kernel.index} is large enough to run in parallel", size_dependent=True)
        fn = self._new("k")
        self.globals[fn] = step.serial
        args: List[Any] = []

        def block_arg(access, block: Block) -> str:
            nonlocal geo
            geo = numba_blocks.patched_geometry(geo, step.gen, access, block)
            return f"{block.array}[{block.offset}:]"
        for access, v in zip(step.inputs, step.in_values):
            block = self.blocks_of.get(v)
            args.append(self.name(v) if block is None else block_arg(access, block))
        args += list(extra or [])
        for access, v, shape in zip(step.outputs, step.out_values, out_shapes):
            block = self._concat_block(step, access, v, tuple(shape))
            args.append(self.output(v, shape) if block is None else block_arg(access, block))
        self.lines.append(f"{fn}({', '.join([self.constant(self._new('g'), geo)] + args)})")

    def _stays_block(self, value, src: str, axis: int) -> bool:
        """Whether split piece ``value`` of array ``src`` can be left in place: only kernels read it,
        each as a block, and nothing in the loop writes ``src`` meanwhile."""
        if src in self.given_up or value in self.fetched or self.destination(value) is not None:
            return False
        if self.shared is not None and src in self.shared:
            return False
        readers = self.readers.get(value, [])
        shape = static(value)

        def reads_block(step) -> bool:
            if not isinstance(step, CompiledStep) or step.update is not None or step.static is None:
                return False
            if any(v is value for v in step.mm_values):
                return False
            accesses = [a for a in step.inputs if a.value is value]
            return bool(accesses) and all(numba_blocks.fits(step.gen, a, shape, axis, step.static[1]) for a in accesses)
        return bool(readers) and all(reads_block(step) for step in readers)

    def _concat_block(self, step, access, value, shape: tuple) -> Optional[Block]:
        """The block of its concat's output a kernel output goes straight into, when that concat is
        the value's one reader (its output is then made here, before the kernel), else None."""
        readers = self.readers.get(value, [])
        if len(readers) != 1 or value in self.fetched or self.destination(value) is not None:
            return None
        concat = readers[0]
        if not isinstance(concat, NumpyStep) or len(concat.kernel.nodes) != 1:
            return None
        node = concat.kernel.nodes[0]
        if node.type != "ConcatV2":
            return None
        if self.shared is not None and self.destination(node.outputs[0]) is not None:
            return None
        position = [k for k, v in enumerate(node.inputs) if v is value]
        out_shape = static(node.outputs[0])
        axis = node.attrs["axis"] % len(out_shape)
        if len(position) != 1 or not numba_blocks.fits(step.gen, access, shape, axis, step.static[1]):
            return None
        inner = math.prod(out_shape[axis + 1:])
        start = sum(static(v)[axis] for v in node.inputs[:position[0]])
        out = self.concats_made_early.get(node.outputs[0])
        if out is None:
            out = self.concats_made_early[node.outputs[0]] = self.output(node.outputs[0], out_shape)
        self.written_into_concat.add(value)
        return Block(out, start * inner, shape[axis] * inner, out_shape[axis] * inner, axis)

    # -- movement -----------------------------------------------------------------------------
    def split(self, node, wanted: list) -> None:
        shape = static(node.inputs[0])
        axis = node.attrs["axis"] % len(shape)
        outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
        pieces = [static(v)[axis] for v in node.outputs]
        if sum(pieces) != shape[axis]:
            raise Refused(f"split {node.name} does not cover its input")
        if node.type == "SplitV":     # its sizes are an input (-1: the rest), checked against the static ones
            sizes = self.name(node.inputs[1])
            r = self._new("r")
            self.lines += [f"for {r} in range({len(pieces)}):",
                           f"    if {sizes}[{r}] != -1 and {sizes}[{r}] != ({', '.join(map(str, pieces))},)[{r}]:",
                           "        return -1"]
            if size(static(node.inputs[1])) != len(pieces):
                raise Refused(f"split {node.name} has {len(pieces)} pieces but sizes of another length")
        src = self.name(node.inputs[0])
        start = 0
        for v, piece, want in zip(node.outputs, pieces, wanted):
            if want and self._stays_block(v, src, axis):
                self.blocks_of[v] = Block(src, start * inner, piece * inner, shape[axis] * inner, axis)
            elif want:
                out = self.output(v, static(v))
                self.blocks(src, str(start * inner), shape[axis] * inner, out, "0", piece * inner, outer, piece * inner)
            start += piece

    def concat(self, node, wanted: list) -> None:
        out_shape = static(node.outputs[0])
        axis = node.attrs["axis"] % len(out_shape)
        outer, inner = math.prod(out_shape[:axis]), math.prod(out_shape[axis + 1:])
        out = self.concats_made_early.pop(node.outputs[0], None) or self.output(node.outputs[0], out_shape)
        start = 0
        for v in node.inputs:
            piece = static(v)[axis]
            if v not in self.written_into_concat:
                self.blocks(self.name(v), "0", piece * inner, out, str(start * inner), out_shape[axis] * inner,
                            outer, piece * inner)
            start += piece
        if start != out_shape[axis]:
            raise Refused(f"concat {node.name} does not fill its output")

    def strided_slice(self, node) -> None:
        """A StridedSlice of static shape and spec (not tf.slice's, which checks its bounds): the
        input's elements at the flat positions the numpy index picks, worked out here once."""
        shape, out_shape = static(node.inputs[0]), static(node.outputs[0])
        if node.attrs.get("slice_bounds") is not None:
            raise Refused(f"slice {node.name} checks its bounds at run time")
        try:
            picked = np.arange(size(shape)).reshape(shape)[array_ops.python_key(node.attrs["spec"])]
        except (IndexError, TypeError, ValueError):
            raise Refused(f"slice {node.name} has no static index into {shape}") from None
        if np.shape(picked) != out_shape or size(out_shape) > SLICE_INDEX_MAX:
            raise Refused(f"slice {node.name} gives {np.shape(picked)}, not {out_shape}, or is too large")
        positions = self.constant(self._new("s"), np.ascontiguousarray(np.reshape(picked, -1), dtype=np.int64))
        out = self.output(node.outputs[0], out_shape)
        self.lines.append(f"take_n({out}, {self.name(node.inputs[0])}, {positions})")

    def gather(self, node, wanted: list) -> None:
        """A GatherV2 of one index along any axis."""
        params = static(node.inputs[0])
        axis = node.attrs["axis"] % len(params)
        outer, inner = math.prod(params[:axis]), math.prod(params[axis + 1:])
        i = self.index(node.inputs[1])
        self.fail_unless(f"0 <= {i} < {params[axis]}")
        src = self.name(node.inputs[0])
        if outer == 1:
            self._row(node.outputs[0], src, f"{i} * {inner}", inner)
            return
        out = self.output(node.outputs[0], static(node.outputs[0]))
        self.blocks(src, f"{i} * {inner}", params[axis] * inner, out, "0", inner, outer, inner)

    def _row(self, value, src: str, offset: str, n: int) -> None:
        """``value`` = the ``n`` elements of ``src`` from ``offset``: a view when nothing in the loop
        writes ``src`` and the value has no row to be written into, else a copy."""
        if src in self.read_only and self.destination(value) is None:
            name = self._new("w")
            self.lines.append(f"{name} = {src}[{offset}:{offset} + {n}]")
            self.local[value] = name
            self.read_only.add(name)
            return
        self.copy(self.output(value, static(value)), "0", src, offset, n)

    def ta_read(self, node, wanted: list) -> None:
        buffer = static(node.inputs[0])
        row = size(buffer[1:])
        data, written = self.name(node.inputs[0]), self.name(node.inputs[1])
        i = self.index(node.inputs[2])
        self.fail_unless(f"0 <= {i} < {buffer[0]} and {written}.any()")
        self._row(node.outputs[0], data, f"{i} * {row}", row)

    def ta_write(self, node, wanted: list) -> None:
        buffer, value = static(node.inputs[0]), static(node.inputs[3])
        if node.attrs["dynamic_size"] or buffer[1:] != value:
            raise Refused(f"TensorArray write {node.name} grows its array or writes a slice")
        row = size(value)
        data, written = self.name(node.inputs[0]), self.name(node.inputs[1])
        if data not in self.given_up:
            raise Refused(f"TensorArray write {node.name} writes a buffer the loop does not own")
        i = self.index(node.inputs[2])
        self.fail_unless(f"0 <= {i} < {buffer[0]} and not {written}[{i}]")
        self.copy(data, f"{i} * {row}", self.name(node.inputs[3]), "0", row)
        self.local[node.outputs[0]] = data
        flags = self.output(node.outputs[1], (buffer[0],))
        self.lines += [f"{flags}[:] = {written}", f"{flags}[{i}] = True"]

    def ta_take_row(self, node, wanted: list) -> None:
        buffer = static(node.inputs[1])
        if buffer != static(node.inputs[0]):
            raise Refused(f"row take {node.name} of a gradient of another shape")
        row = size(buffer[1:])
        grad = self.name(node.inputs[1])
        i = self.index(node.inputs[2])
        self.fail_unless(f"0 <= {i} < {buffer[0]}")
        if wanted[0]:
            out = self.output(node.outputs[0], static(node.outputs[0]))
            self.copy(out, "0", grad, f"{i} * {row}", row)
        if wanted[1]:
            if grad not in self.given_up:
                raise Refused(f"row take {node.name} clears a gradient the loop does not own")
            self.fill(grad, f"{i} * {row}", row, "0")
            self.local[node.outputs[1]] = grad

    def gather_rows(self, node, wanted: list) -> None:
        i = self.index(node.inputs[0])
        for v, stack_value in zip(node.outputs, node.inputs[1:]):
            stack = static(stack_value)
            src = self.name(stack_value)
            row = size(stack[1:])
            self.fail_unless(f"0 <= {i} < {stack[0]}")
            self._row(v, src, f"{i} * {row}", row)


_MOVEMENT: Dict[str, Callable] = {
    "Split": Printer.split, "SplitV": Printer.split, "ConcatV2": Printer.concat, "GatherV2": Printer.gather,
    "TensorArrayGather": Printer.ta_read, "TensorArrayScatter": Printer.ta_write,
    "TensorArrayTakeRows": Printer.ta_take_row, "GatherRows": Printer.gather_rows,
}


def element_copy(dst: str, dst_off: str, src: str, src_off: str, n: int) -> List[str]:
    """The line copying ``n`` elements between flat arrays (``copy_n``)."""
    return [f"copy_n({dst}, {dst_off}, {src}, {src_off}, {n})"]


@intrinsic
def call_gemm(typingctx, address, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """``cblas_?gemm`` at ``address`` (an int) called from compiled code: the array arguments are
    addresses (``x.ctypes.data``), integers of the library's index width (``blas_gemm.INDEX_BITS``)."""
    arguments = (address, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    index = types.int64 if blas_gemm.INDEX_BITS == 64 else types.int32
    real = alpha
    wanted = (types.int32, types.int32, types.int32, index, index, index, real, types.int64, index,
              types.int64, index, real, types.int64, index)

    def codegen(context, builder, signature, args):
        values = [context.cast(builder, v, t, w) for v, t, w in zip(args[1:], signature.args[1:], wanted)]
        fnty = ir.FunctionType(ir.VoidType(), [context.get_value_type(w) for w in wanted])
        target = builder.inttoptr(args[0], fnty.as_pointer())
        builder.call(target, values)
        return context.get_dummy_value()
    return types.void(*arguments), codegen


# The copies (and the fill) are element loops over per-row views (LLVM vectorizes those; with the offsets summed
# into every index it did not: a block copy ran at a fifth of the speed, 19 against 3.7 us for an
# LSTM's four 64x256 gate blocks; a slice assignment costs a call each), in helpers the
# generated functions call rather than loops of their own: a whole loop compiled ~15% faster. Not
# ``cache=True`` (see ``numba_host``): compiled once per process.
@numba.njit(nogil=True)
def copy_blocks(dst, dst_off, dst_stride, src, src_off, src_stride, rows, width):   # noqa: D103
    for r in range(rows):
        d = dst[dst_off + r * dst_stride:dst_off + r * dst_stride + width]
        s = src[src_off + r * src_stride:src_off + r * src_stride + width]
        for c in range(width):
            d[c] = s[c]


@numba.njit(nogil=True)
def copy_n(dst, dst_off, src, src_off, n):   # noqa: D103
    d = dst[dst_off:dst_off + n]
    s = src[src_off:src_off + n]
    for c in range(n):
        d[c] = s[c]


@numba.njit(nogil=True)
def take_n(dst, src, positions):   # noqa: D103
    for c in range(positions.shape[0]):
        dst[c] = src[positions[c]]


@numba.njit(nogil=True)
def fill_n(dst, dst_off, n, value):   # noqa: D103
    d = dst[dst_off:dst_off + n]
    for c in range(n):
        d[c] = value
