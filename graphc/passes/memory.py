"""The memory plan: which buffer holds each materialized value, when it can be reused, what runs in place.

- A kernel output lives from its kernel to its last reader; afterwards its buffer returns to a pool
  and a later value of the same dtype and (static) size takes it.
- A pointwise kernel may write an output into the buffer of an input whose last reader it is
  (same space, dtype and size): the classic in-place elementwise update; not at the output sizes
  the backend runs slower in place (``no_overwrite``: Numba's 2**14 to 2**17 elements, ``numba_cpu.NO_OVERWRITE``).
- A variable's new value is written straight into the variable's storage when every reader of the
  old value runs no later than the writing kernel, that kernel is pointwise over the variable's
  shape, and the old value is not fetched. Otherwise it goes to a fresh buffer that replaces the
  variable's storage when the run commits.
- ``peak_bytes`` is the largest total size of buffers live at once (fully known shapes only; a
  buffer of unknown size counts as 0 and makes ``peak_bytes_exact`` False).
"""
from __future__ import annotations

import dataclasses
import enum
import heapq
import itertools
from typing import Any, NamedTuple

from graphc.ops.core import Lowering
from graphc.passes.fusion import KernelKind, KernelPlan, lowering
from graphc.passes.ir import Value
from graphc.passes.simplify import same_shape


@dataclasses.dataclass
class Buffer:
    index: int
    dtype: object
    shape: object        # TensorShape of the first value placed in it
    values: list = dataclasses.field(default_factory=list)

    @property
    def nbytes(self):
        n = self.shape.num_elements()
        return None if n is None else n * self.dtype.np_type.itemsize


class Place(str, enum.Enum):
    """Where a value of the run lives (``Storage.place``); what ``Storage.ref`` then names."""

    BUFFER = "buffer"        # ref: the index of its Buffer in ``MemoryPlan.buffers``
    VARIABLE = "variable"    # ref: the variable op whose own array it is written into
    FEED = "feed"            # ref: the feed slot
    CONST = "const"          # ref: None (the constant's array)
    VIEW = "view"            # ref: the Value whose memory it reshapes
    READ = "read"            # ref: the variable op whose value at the run's start it is

    def __str__(self) -> str:
        return str(self.value)


class Storage(NamedTuple):
    """A value's storage: a place and what there (``Place`` says what ``ref`` is)."""

    place: Place
    ref: Any = None


@dataclasses.dataclass
class MemoryPlan:
    storage: dict            # Value -> Storage
    buffers: list
    inplace: list            # (kernel index, description)
    peak_bytes: int
    peak_bytes_exact: bool

    def describe(self) -> str:
        lines = [f"peak_bytes={self.peak_bytes}{'' if self.peak_bytes_exact else ' (lower bound: unknown sizes)'}"]
        for b in self.buffers:
            values = ", ".join(f"{v!r} ({v.name})" for v in b.values)   # the IR id and the TF name
            lines.append(f"buffer {b.index}: {b.dtype.name}{b.shape} <- {values}")
        lines.extend(f"in place in kernel {k}: {what}" for k, what in self.inplace)
        return "\n".join(lines)


def _last_use(kplan: KernelPlan) -> dict:
    """value -> index of the last kernel that reads it (or of a view of it: a reshape shares its
    base's memory, so the base lives as long as its views)."""
    last = {}
    for k in kplan.kernels:
        for v in k.inputs:
            last[v] = k.index
    end = len(kplan.kernels)
    for v in kplan.program.outputs():
        last[v] = end
    for k in reversed(kplan.kernels):      # views of views: the later view first
        if k.kind == KernelKind.VIEW:
            base = k.nodes[0].inputs[0]
            for v in k.outputs:
                if v in last:
                    last[base] = max(last.get(base, -1), last[v])
    return last


def plan(kplan: KernelPlan, no_overwrite: tuple = ()) -> MemoryPlan:
    """The memory plan of ``kplan``; ``no_overwrite``: ``(lo, hi)``, the element counts (lo <= n < hi)
    of outputs that never take their pointwise kernel's dying input buffer (a backend whose kernels
    run slower in place at those sizes says so, see ``CompileJob``)."""
    prog = kplan.program
    storage: dict = {}
    for n in prog.feeds:
        storage[n.outputs[0]] = Storage(Place.FEED, n.attrs["slot"])
    for var, n in prog.reads.items():
        storage[n.outputs[0]] = Storage(Place.READ, var)
    for n in prog.nodes:
        if n.type == "Const":
            storage[n.outputs[0]] = Storage(Place.CONST)
    last = _last_use(kplan)
    fetched = set(prog.fetches)
    reading = _kernels_reading(kplan)
    read_users = {var: _readers(reading, n.outputs[0]) for var, n in prog.reads.items()}
    update_of = {v: var for var, v in prog.updates.items()}

    buffers: list = []
    free: list = []          # buffers whose values are all dead
    live: dict = {}          # buffer index -> last use
    # the live set is kept incrementally (rescanning it at every kernel was quadratic in big graphs):
    # a heap of (last use, when it became live, buffer) with stale entries skipped, and running totals
    due: list = []
    became_live: dict = {}
    counter = itertools.count()
    inplace = []
    peak, exact = 0, True
    total, unsized = 0, 0

    def release(now: int) -> None:
        nonlocal total, unsized
        batch = []
        while due and due[0][0] < now:
            until, order, b_index = heapq.heappop(due)
            if live.get(b_index) == until:
                batch.append((order, b_index))
        for _, b_index in sorted(batch):    # in the order they became live, as before
            del live[b_index]
            nb = buffers[b_index].nbytes
            if nb is None:
                unsized -= 1
            else:
                total -= nb
            free.append(buffers[b_index])

    for k in kplan.kernels:
        release(k.index)
        for v in k.outputs:
            if k.kind == KernelKind.VIEW:
                storage[v] = Storage(Place.VIEW, k.nodes[0].inputs[0])
                continue
            var = update_of.get(v)
            if var is not None and _can_write_variable(k, v, var, prog, read_users, fetched, kplan):
                storage[v] = Storage(Place.VARIABLE, var)
                inplace.append((k.index, f"{var.name} updated in place"))
                continue
            buf = None if _inside(v, no_overwrite) else _reuse_input(k, v, storage, last, buffers, live)
            if buf is not None:
                inplace.append((k.index, f"{v!r} overwrites its dead input in buffer {buf.index}"))
            else:
                buf = next((b for b in free if b.dtype is v.dtype and _same_size(b.shape, v.shape)), None)
                if buf is not None:
                    free.remove(buf)
                else:
                    buf = Buffer(len(buffers), v.dtype, v.shape)
                    buffers.append(buf)
            buf.values.append(v)
            storage[v] = Storage(Place.BUFFER, buf.index)
            if buf.index not in live:
                became_live[buf.index] = next(counter)
                nb = buf.nbytes
                if nb is None:
                    unsized += 1
                else:
                    total += nb
            live[buf.index] = max(live.get(buf.index, -1), last.get(v, k.index))
            heapq.heappush(due, (live[buf.index], became_live[buf.index], buf.index))
        if unsized:
            exact = False
        peak = max(peak, total)
    return MemoryPlan(storage, buffers, inplace, peak, exact)


def _kernels_reading(kplan: KernelPlan) -> dict:
    """value -> the kernels that read it, built once (asking every kernel per value is quadratic)."""
    reading: dict = {}
    for k in kplan.kernels:
        for x in set(k.inputs):
            reading.setdefault(x, []).append(k)
    return reading


def _readers(reading: dict, value: Value) -> list:
    """Indices of the kernels that read ``value`` directly or through views of it."""
    found, todo, seen = set(), [value], {value}
    while todo:
        for k in reading.get(todo.pop(), ()):
            found.add(k.index)
            if k.kind == KernelKind.VIEW:
                fresh = [o for o in k.outputs if o not in seen]
                seen.update(fresh)
                todo.extend(fresh)
    return sorted(found)


def _same_size(a, b) -> bool:
    return a.is_fully_defined() and b.is_fully_defined() and a.num_elements() == b.num_elements()


def _can_write_variable(k, v: Value, var, prog, read_users: dict, fetched: set, kplan) -> bool:
    """May kernel ``k`` write variable ``var``'s new value ``v`` straight into its storage?

    Yes when no later kernel reads the old value, the old value (or a view of it) is not
    fetched, and inside ``k`` the old value is only read elementwise at the position being
    written: by a pointwise kernel over the variable's shape, or by the elementwise epilogue of
    a matmul/conv/reduction kernel (an SGD weight update fused into dW's matmul).
    """
    if not same_shape(v, var.outputs[0]) or not v.shape.is_fully_defined():
        return False
    read = prog.reads.get(var)
    if read is None:
        return k.kind == KernelKind.POINTWISE or k.kind in _TEMPLATES
    old = read.outputs[0]
    aliases = _aliases(kplan, old)
    if aliases & fetched:
        return False
    if not all(i <= k.index for i in read_users.get(var, [])):
        return False
    if k.kind == KernelKind.POINTWISE:
        return True
    if k.kind not in _TEMPLATES:
        return False
    for node in k.nodes:
        if any(x in aliases for x in node.inputs):
            if lowering(node) is not Lowering.ELEMENTWISE or not same_shape(node.outputs[0], v):
                return False
    return True


_TEMPLATES = (KernelKind.MATMUL, KernelKind.CONV, KernelKind.REDUCTION)


def _aliases(kplan: KernelPlan, value: Value) -> set:
    """``value`` and every view of it."""
    out = {value}
    for k in kplan.kernels:
        if k.kind == KernelKind.VIEW and any(x in out for x in k.inputs):
            out.update(k.outputs)
    return out


def _inside(v: Value, sizes: tuple) -> bool:
    """Whether ``v`` has a static element count in ``[lo, hi)`` for ``sizes = (lo, hi)``."""
    n = v.shape.num_elements() if sizes else None
    return n is not None and sizes[0] <= n < sizes[1]


def _reuse_input(k, v: Value, storage: dict, last: dict, buffers: list, live: dict):
    """An input buffer of pointwise kernel ``k`` that dies here and fits ``v`` exactly."""
    if k.kind != KernelKind.POINTWISE:
        return None
    for x in k.inputs:
        where = storage.get(x)
        if not where or where.place is not Place.BUFFER or last.get(x) != k.index:
            continue
        buf = buffers[where.ref]
        if live.get(buf.index) != k.index:
            continue  # another value in this buffer is still needed later
        if buf.dtype is v.dtype and same_shape(x, v) and v.shape.is_fully_defined():
            return buf
    return None
