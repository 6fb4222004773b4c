"""The fusion planner: partitions an optimized Program into kernels (backend-neutral).

Kernel kinds:
- ``pointwise``: connected elementwise ops over one iteration space (``space``); inputs are read
  with broadcasting, intermediates that nothing outside needs are never materialized.
- ``reduction``: reductions over ``reduce_axes`` of ``space`` with their elementwise prologue
  (ops over ``space`` feeding them), epilogue (ops over the reduced shape) and, when the reduced
  axes are trailing ("rows"), consumers that broadcast a reduction back over its row
  (softmax, log-softmax, layer norm): several reductions of the same rows share a kernel.
- ``matmul``: a matrix product with its elementwise epilogue (bias, activation) over its output.
- ``conv``: a convolution (a library op) with its elementwise epilogue, the same way.
- ``opaque``: one op that does not fuse (transpose, concat, gather, random, ...).
- ``view``/``host``: no launch: a reshape of a materialized buffer, a shape computed on the host.

Groups are kept convex with ancestor bitsets (a group never needs its own output through an
outside op), every op is computed once (no duplicated work), and each fusion that is declined
records a reason in ``KernelPlan.why_not``.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from graphc.passes.ir import FEED, READ_VARIABLE, Node, Program, Value
from graphc.passes.simplify import same_dims

VIEW_OPS = {"Reshape", "ExpandDims", "Squeeze"}
HOST_OPS = {"Shape", "Size", "Rank"}
# reductions the planner fuses: they carry `axis` (tuple of reduced axes) and `keepdims` attrs
FUSIBLE_REDUCTIONS = {"Sum", "Mean", "Max", "Min", "Prod", "Any", "All"}
# inputs that are shapes (read on the host), not data the kernel streams over
META_INPUTS = {"BroadcastTo": {1}, "SumTo": {1}, "Reshape": {1}, "StridedSliceGrad": {1}, "Fill": {0},
               "Tile": {1}, "TileGrad": {1, 2}, "SplitV": {1}, "UnsortedSegmentSum": {2}, "OneHot": {1},
               "Range": {0, 1, 2}}
MAX_KERNEL_INPUTS = 32
# library ops that take an elementwise epilogue over their output (bias add, activation), like matmul
TEMPLATE_OPS = {"Conv2D"}


@dataclasses.dataclass
class Kernel:
    """One launch: its fused nodes (topological order), what it reads and what it materializes."""

    kind: str
    nodes: list
    space: object = None               # TensorShape of the iteration space
    reduce_axes: Optional[tuple] = None
    inputs: list = dataclasses.field(default_factory=list)    # external Values read
    outputs: list = dataclasses.field(default_factory=list)   # Values materialized
    index: int = -1
    source: str = ""                   # generated code, filled in by a compiling backend

    @property
    def op_types(self) -> list:
        return [n.type for n in self.nodes]

    @property
    def launches(self) -> bool:
        return self.kind not in ("view", "host")

    def describe(self) -> str:
        space = f" space={self.space}" if self.space is not None else ""
        axes = f" reduce_axes={self.reduce_axes}" if self.reduce_axes is not None else ""
        return f"kernel {self.index} [{self.kind}]{space}{axes}: {' '.join(self.op_types)}"


@dataclasses.dataclass
class KernelPlan:
    program: Program
    kernels: list
    why_not: list          # (node name, reason) for fusions that were declined
    dump_dir: Optional[str] = None   # where GRAPHC_DUMP writes this plan's files

    @property
    def launched(self) -> list:
        return [k for k in self.kernels if k.launches]

    def describe(self) -> str:
        return "\n".join(k.describe() for k in self.kernels)


class _Group:
    __slots__ = ("kind", "nodes", "space", "axes", "mask")

    def __init__(self, kind, space, axes=None):
        self.kind, self.space, self.axes = kind, space, axes
        self.nodes: list = []
        self.mask = 0


def _data_inputs(node: Node) -> list:
    meta = META_INPUTS.get(node.type, ())
    if node.kind == "random":
        return []
    return [v for i, v in enumerate(node.inputs) if i not in meta]


def _category(node: Node) -> str:
    if node.type == "Const" or node.type in (FEED, READ_VARIABLE):
        return "leaf"
    if node.type in VIEW_OPS:
        return "view"
    if node.type in HOST_OPS:
        return "host"
    if node.type == "BroadcastTo":
        return "elementwise"
    if node.kind == "elementwise":
        return "elementwise"
    axes = node.attrs.get("axis")
    if node.type in FUSIBLE_REDUCTIONS and axes is not None and all(a >= 0 for a in axes):
        return "reduction"
    if node.kind == "matmul":
        return "matmul"
    if node.type in TEMPLATE_OPS:
        return "conv"
    return "opaque"


def _trailing(axes: tuple, rank: int) -> bool:
    return tuple(axes) == tuple(range(rank - len(axes), rank))


def _reduced_shape_matches(v: Value, group: _Group) -> bool:
    """True if ``v``'s shape is the group's space with the reduced axes removed or set to 1."""
    dims, space = v.shape.as_tuple(), group.space.as_tuple()
    if dims is None or space is None:
        return False
    keep = tuple(d for i, d in enumerate(space) if i not in group.axes)
    ones = tuple(1 if i in group.axes else d for i, d in enumerate(space))
    return dims == keep or dims == ones


class _Planner:
    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.pos = {n.id: i for i, n in enumerate(prog.nodes)}
        self.anc: dict = {}
        for n in prog.nodes:
            a = 0
            for v in n.inputs:
                a |= self.anc[v.op.id] | (1 << self.pos[v.op.id])
            self.anc[n.id] = a
        self.group_of: dict = {}
        self.groups: list = []
        self.why_not: list = []

    # convexity ---------------------------------------------------------------------------------
    def _convex(self, members: list, mask: int) -> bool:
        for m in members:
            for v in m.inputs:
                p = v.op
                if (mask >> self.pos[p.id]) & 1:
                    continue
                if self.anc[p.id] & mask:
                    return False
        return True

    def _acyclic_with(self, members: list, replaced: list) -> bool:
        """True if the kernels stay a DAG when ``replaced`` groups (and ``members``) become one.

        Convexity of each group is not enough: two groups can each be convex yet need each
        other's outputs (A feeds B's first half, B's second half feeds A).
        """
        gone = {id(g) for g in replaced}
        owner: dict = {}
        for g in self.groups:
            if id(g) not in gone:
                for m in g.nodes:
                    owner[m.id] = id(g)
        for m in members:
            owner[m.id] = "merged"
        succ: dict = {}
        indeg: dict = {o: 0 for o in set(owner.values())}
        for n in self.prog.nodes:
            dst = owner.get(n.id)
            if dst is None:
                continue
            for v in n.inputs:
                src = owner.get(v.op.id)
                if src is not None and src != dst and dst not in succ.setdefault(src, set()):
                    succ[src].add(dst)
                    indeg[dst] += 1
        ready = [o for o, d in indeg.items() if d == 0]
        seen = 0
        while ready:
            o = ready.pop()
            seen += 1
            for nxt in succ.get(o, ()):
                indeg[nxt] -= 1
                if indeg[nxt] == 0:
                    ready.append(nxt)
        return seen == len(indeg)

    def _try_merge(self, node: Node, groups: list, kind: str, space, axes=None) -> Optional[_Group]:
        members = [node] + [m for g in groups for m in g.nodes]
        mask = (1 << self.pos[node.id])
        for g in groups:
            mask |= g.mask
        if not self._convex(members, mask) or (groups and not self._acyclic_with(members, groups)):
            self.why_not.append((node.name, "fusing would create a cycle through an unfused op"))
            return None
        inputs = self._reads(members, mask)
        # the cap limits fusion; a single op (AddN, ConcatV2 of many terms) is a kernel whatever it reads
        if groups and len(inputs) > MAX_KERNEL_INPUTS:
            self.why_not.append((node.name, f"kernel would read {len(inputs)} inputs (cap {MAX_KERNEL_INPUTS})"))
            return None
        return self._replace(groups, members, mask, kind, space, axes)

    def _reads(self, members: list, mask: int) -> set:
        """The values ``members`` (whose positions are set in ``mask``) read from outside."""
        return {v for m in members for v in m.inputs if not (mask >> self.pos[v.op.id]) & 1}

    def _replace(self, groups: list, members: list, mask: int, kind: str, space, axes) -> _Group:
        """Makes ``members`` one group (kind, space, axes) in place of ``groups``."""
        new = _Group(kind, space, axes)
        for g in groups:
            self.groups.remove(g)
        new.nodes = sorted(members, key=lambda n: self.pos[n.id])
        new.mask = mask
        for m in new.nodes:
            self.group_of[m.id] = new
        self.groups.append(new)
        return new

    def _alone(self, node: Node, kind: str, space=None, axes=None) -> _Group:
        return self._try_merge(node, [], kind, space, axes)

    # per category --------------------------------------------------------------------------------
    def _producer_groups(self, node: Node) -> list:
        seen, out = set(), []
        for v in _data_inputs(node):
            g = self.group_of.get(v.op.id)
            if g is not None and id(g) not in seen:
                seen.add(id(g))
                out.append(g)
        return out

    def _elementwise(self, node: Node) -> None:
        out = node.outputs[0]
        chosen = []
        kind, space, axes = "pointwise", out.shape, None
        for g in self._producer_groups(node):
            if g.kind == "pointwise" and same_dims(g.space, out.shape):
                chosen.append(g)
            elif g.kind == "reduction" and (
                    _reduced_shape_matches(out, g) or
                    (same_dims(g.space, out.shape) and _trailing(g.axes, len(g.space.as_tuple())))):
                chosen.append(g)
            elif g.kind in ("matmul", "conv") and same_dims(g.space, out.shape):
                chosen.append(g)
            else:
                self.why_not.append((node.name, f"{g.kind} producer group over {g.space} differs from {out.shape}"))
        # a row kernel can take this op as a consumer; a matmul then keeps its output materialized
        special = sorted((g for g in chosen if g.kind != "pointwise"), key=lambda g: g.kind != "reduction")
        if len(special) > 1:  # one reduction or matmul template per kernel: keep the first
            for g in special[1:]:
                self.why_not.append((node.name, "already fused with another reduction/matmul kernel"))
            chosen = [g for g in chosen if g.kind == "pointwise"] + special[:1]
        if special:
            kind, space, axes = special[0].kind, special[0].space, special[0].axes
        if self._try_merge(node, chosen, kind, space, axes) is None:
            # fall back: join as many producer groups as stay convex, one at a time
            group = self._alone(node, "pointwise", out.shape)
            for g in chosen:
                if g.kind == "pointwise":
                    merged = self._try_merge_groups(group, g)
                    group = merged or group

    def _try_merge_groups(self, a: _Group, b: _Group) -> Optional[_Group]:
        mask = a.mask | b.mask
        members = a.nodes + b.nodes
        if not self._convex(members, mask) or not self._acyclic_with(members, [a, b]):
            return None
        if len(self._reads(members, mask)) > MAX_KERNEL_INPUTS:
            return None
        ref = a if a.kind != "pointwise" else b
        return self._replace([a, b], members, mask, ref.kind, ref.space, ref.axes)

    def _reduction(self, node: Node) -> None:
        x = node.inputs[0]
        axes = tuple(node.attrs["axis"])
        g = self.group_of.get(x.op.id)
        if g is not None and g.kind == "pointwise" and same_dims(g.space, x.shape):
            if self._try_merge(node, [g], "reduction", x.shape, axes) is not None:
                return
        elif g is not None and g.kind == "reduction" and g.axes == axes and same_dims(g.space, x.shape) \
                and _trailing(axes, len(x.shape.as_tuple() or ())):
            if self._try_merge(node, [g], "reduction", g.space, axes) is not None:
                return
        elif g is not None:
            self.why_not.append((node.name, f"input comes from a {g.kind} kernel over {g.space}"))
        self._alone(node, "reduction", x.shape, axes)

    def plan(self) -> list:
        for node in self.prog.nodes:
            cat = _category(node)
            if cat == "leaf":
                continue
            if cat == "elementwise":
                self._elementwise(node)
            elif cat == "reduction":
                self._reduction(node)
            elif cat in ("matmul", "conv"):
                self._alone(node, cat, node.outputs[0].shape)
            else:
                self._alone(node, cat, node.outputs[0].shape if node.outputs else None)
        self._merge_siblings()
        return self.groups

    def _merge_siblings(self) -> None:
        """Pointwise groups over one space that read a common input become one multi-output kernel."""
        changed = True
        while changed:
            changed = False
            pw = [g for g in self.groups if g.kind == "pointwise"]
            for i, a in enumerate(pw):
                for b in pw[i + 1:]:
                    if not _siblings(a, b):
                        continue
                    if self._try_merge_groups(a, b) is not None:
                        changed = True
                        break
                if changed:
                    break


def _external_inputs(g: _Group) -> set:
    ids = {m.id for m in g.nodes}
    return {v for m in g.nodes for v in _data_inputs(m) if v.op.id not in ids}


def _siblings(a: _Group, b: _Group) -> bool:
    if not same_dims(a.space, b.space):
        return False
    if a.space.is_fully_defined():
        return bool(_external_inputs(a) & _external_inputs(b)) or a.space.num_elements() == 1
    # with unknown dims, the shared input must span the space so both loops have one runtime size
    shared = _external_inputs(a) & _external_inputs(b)
    return any(same_dims(v.shape, a.space) for v in shared)


def plan(prog: Program) -> KernelPlan:
    """Partitions ``prog`` into kernels, in an order that respects their dependencies."""
    planner = _Planner(prog)
    groups = planner.plan()
    users = prog.consumers()
    program_outputs = set(prog.outputs())
    kernels = []
    for g in groups:
        ids = {m.id for m in g.nodes}
        inputs, outputs = [], []
        for m in g.nodes:
            for v in m.inputs:
                if v.op.id not in ids and v not in inputs:
                    inputs.append(v)
            outside = [u for u in users.get(m.id, []) if u is not None and u.id not in ids]
            for v in m.outputs:
                if v in program_outputs or any(v in u.inputs for u in outside):
                    outputs.append(v)
        kernels.append(Kernel(g.kind, list(g.nodes), g.space, g.axes, inputs, outputs))
    kernels = _order(kernels)
    for i, k in enumerate(kernels):
        k.index = i
    return KernelPlan(prog, kernels, planner.why_not)


def _order(kernels: list) -> list:
    producer = {}
    for k in kernels:
        for n in k.nodes:
            producer[n.id] = k
    order, state = [], {}

    def visit(k):
        stack = [(k, False)]
        while stack:
            cur, done = stack.pop()
            if done:
                order.append(cur)
                continue
            if id(cur) in state:
                continue
            state[id(cur)] = True
            stack.append((cur, True))
            for v in cur.inputs:
                p = producer.get(v.op.id)
                if p is not None and id(p) not in state:
                    stack.append((p, False))
    for k in kernels:
        visit(k)
    return order
