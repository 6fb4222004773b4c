"""The fusion planner: partitions an optimized Program into kernels (backend-neutral).

Kernel kinds:
- ``pointwise``: connected elementwise ops over one iteration space (``space``); inputs are read
  with broadcasting, intermediates that nothing outside needs are never materialized.
- ``reduction``: reductions over ``reduce_axes`` of ``space`` with their elementwise prologue
  (ops over ``space`` feeding them), epilogue (ops over the reduced shape) and, when the reduced
  axes are trailing ("rows"), consumers that broadcast a reduction back over its row
  (softmax, log-softmax, layer norm): several reductions of the same rows share a kernel.
- ``matmul``: a matrix product with its elementwise epilogue (bias, activation) over its output;
  never with the ops that compute its operands (its template reads them from memory), even when
  an epilogue op also reads them or a sibling shares an input (``_feeds_product``).
- ``conv``: a convolution (a library op) with its elementwise epilogue, the same way.
- ``opaque``: one op that does not fuse (transpose, concat, gather, random, ...).
- ``view``/``host``: no launch: a reshape of a materialized buffer, a shape computed on the host.

The kernels always form a DAG (a group never needs its own output through an outside op: the
planner keeps the groups in a topological order and searches only between merged groups, so its
work grows about linearly with the graph), every op is computed once (no duplicated work), and
each fusion that is declined records a reason in ``KernelPlan.why_not``.
"""
from __future__ import annotations

import dataclasses
import enum
import heapq
from typing import Optional

from graphc.ops.core import OPS, Lowering, OpDef, OpKind
from graphc.passes.ir import FEED, READ_VARIABLE, Node, Program, Value
from graphc.passes.simplify import same_dims
from graphc.traversal import postorder

MAX_KERNEL_INPUTS = 32
# Compile time grows faster than linearly with a kernel's expression (LLVM on an inlined exp/tanh
# polynomial per op): a kernel's ops may weigh at most MAX_KERNEL_WEIGHT, so a long fused chain
# is split into kernels of bounded size and compile time grows linearly with the graph.
MAX_KERNEL_WEIGHT = 96


class KernelKind(str, enum.Enum):
    """The kinds of kernel in the module docstring (a ``str`` enum: prints as its name)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    POINTWISE = "pointwise"
    REDUCTION = "reduction"
    MATMUL = "matmul"
    CONV = "conv"
    OPAQUE = "opaque"
    VIEW = "view"
    HOST = "host"


@dataclasses.dataclass
class Kernel:
    """One launch: its fused nodes (topological order), what it reads and what it materializes."""

    kind: KernelKind
    nodes: list
    space: object = None               # TensorShape of the iteration space
    reduce_axes: Optional[tuple] = None
    inputs: list = dataclasses.field(default_factory=list)    # external Values read
    outputs: list = dataclasses.field(default_factory=list)   # Values materialized
    index: int = -1
    source: str = ""                   # generated code, filled in by a compiling backend

    def __post_init__(self) -> None:
        self.kind = KernelKind(self.kind)   # ValueError for a misspelt kind

    @property
    def op_types(self) -> list:
        return [n.type for n in self.nodes]

    @property
    def launches(self) -> bool:
        return self.kind not in (KernelKind.VIEW, KernelKind.HOST)

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
    """A kernel being formed: its nodes (unordered until the plan is final), the bitset of their
    positions, the outside values they read and the ids of outside nodes that consume them."""

    __slots__ = ("kind", "nodes", "space", "axes", "reads", "users", "data_reads", "weight")

    def __init__(self, kind: KernelKind, space, axes=None):
        self.kind, self.space, self.axes = kind, space, axes
        self.nodes: list = []
        self.reads: set = set()
        self.users: set = set()
        self.data_reads: Optional[set] = None   # computed when sibling merging asks
        self.weight = 0                          # sum of the nodes' op_weight


def facts(node: Node) -> OpDef:
    """The ``OpDef`` of ``node``'s op type (the IR's feeds and variable reads are leaves)."""
    if node.type in (FEED, READ_VARIABLE):
        return _LEAF
    return OPS[node.type]


_LEAF = OpDef("<feed or variable read>", OpKind.SOURCE, infer=lambda inputs, attrs: [], numpy=None,
              lowering=Lowering.LEAF)


def op_weight(node: Node) -> int:
    """How much ``node`` adds to its kernel's expression (and compile time), in simple ops."""
    return facts(node).weight


def data_inputs(node: Node) -> list:
    """The inputs whose elements ``node`` reads (``OpDef.data_inputs``)."""
    return facts(node).data_inputs(node.inputs)


def is_fusible_reduction(node: Node) -> bool:
    """Whether ``node``'s op type is a reduction the planner fuses (when its axes are static)."""
    return facts(node).lowering is Lowering.REDUCTION


def lowering(node: Node) -> Lowering:
    """How the planner lowers ``node``: its op's ``OpDef.lowering``, except that a fusible
    reduction over axes not known as non-negative ints is opaque (the memory plan asks it too)."""
    low = facts(node).lowering
    assert low is not None   # OpDef.__post_init__ fills in the default
    if low is Lowering.REDUCTION:
        axes = node.attrs.get("axis")
        if axes is None or not all(a >= 0 for a in axes):
            return Lowering.OPAQUE
    return low


def _elementwise_refusal(g, out: Value) -> str:
    """Why an elementwise op stays out of its producer's group ``g``: what actually differs."""
    if g.kind not in (KernelKind.POINTWISE, KernelKind.REDUCTION, KernelKind.MATMUL, KernelKind.CONV):
        article = "an" if g.kind[0] in "aeiou" else "a"
        return f"its input comes from {article} {g.kind} kernel, which runs on its own"
    mine, theirs = out.shape.as_tuple(), g.space.as_tuple()
    if mine is None or theirs is None:
        return f"the {g.kind} group's shape {g.space} or this op's {out.shape} has an unknown rank"
    if mine == theirs and g.kind == KernelKind.REDUCTION:
        return (f"the reduction over axes {list(g.axes)} of {g.space} is not over its trailing axes, "
                "so a consumer of the reduction's input shape cannot share its loop")
    if g.kind == KernelKind.REDUCTION:
        return (f"the reduction group iterates over {g.space} (axes {list(g.axes)}), but this op's output "
                f"{out.shape} is neither that shape nor the reduced one")
    return f"the {g.kind} group iterates over {g.space}, but this op's output is {out.shape}"


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
        self.users: dict = {}   # node id -> ids of the nodes reading it
        for n in prog.nodes:
            for v in n.inputs:
                self.users.setdefault(v.op.id, set()).add(n.id)
        self.group_of: dict = {}
        self.groups: dict = {}  # id -> group, in creation order
        self.why_not: list = []
        self.key: dict = {}     # group id -> position in a topological order of the groups
        self.next_key = 0
        self.visits = 0         # work of the convexity and cycle checks (tests bound it)

    # convexity and acyclicity ------------------------------------------------------------------
    def _inside(self, node_id: int, new: Optional[Node], gone: set) -> bool:
        """Whether node ``node_id`` belongs to the union of the ``gone`` groups and ``new``."""
        return (new is not None and node_id == new.id) or id(self.group_of.get(node_id)) in gone

    def _merged_reads(self, node: Optional[Node], groups: list, gone: set) -> set:
        """The outside values the union of ``groups`` (and ``node``) reads: each group keeps its own."""
        reads = set(node.inputs) if node is not None else set()
        for g in groups:
            reads |= g.reads
        self.visits += len(reads)
        return {v for v in reads if not self._inside(v.op.id, node, gone)}

    def _merged_users(self, node: Optional[Node], groups: list, gone: set) -> set:
        users = set(self.users.get(node.id, ())) if node is not None else set()
        for g in groups:
            users |= g.users
        self.visits += len(users)
        return {u for u in users if not self._inside(u, node, gone)}

    def _groups_owning(self, nodes, gone: set) -> dict:
        out = {}
        for i in nodes:
            g = self.group_of.get(i)
            if g is not None and id(g) not in gone:
                out[id(g)] = g
        return out

    def _later_in_range(self, users: set, gone: set, hi: int, targets: dict) -> Optional[list]:
        """The groups reachable from readers ``users`` whose order key is at most ``hi`` (they must
        move after the merged group), or None if one of them is in ``targets`` (a cycle).

        Keys are a topological order of the groups, so every path from the merged group back to a
        group it reads from stays below ``hi``: the search never leaves the reordered range.
        """
        found: dict = {}
        frontier: list = []   # latest key first: a path back climbs toward ``hi``
        readers = users
        while True:
            for g in self._groups_owning(readers, gone).values():
                self.visits += 1
                key = self.key[id(g)]
                if id(g) in found or key > hi:
                    continue
                if id(g) in targets:
                    return None
                found[id(g)] = g
                heapq.heappush(frontier, (-key, g.users))
            if not frontier:
                return list(found.values())
            readers = heapq.heappop(frontier)[1]

    def _earlier_in_range(self, targets: dict, gone: set, lo: int) -> list:
        """``targets`` and the groups they read from (transitively) whose key is at least ``lo``."""
        found: dict = {}
        stack = [g for g in targets.values()]
        while stack:
            g = stack.pop()
            self.visits += 1
            if id(g) in found or self.key[id(g)] < lo:
                continue
            found[id(g)] = g
            stack.extend(self._groups_owning((v.op.id for v in g.reads), gone).values())
        return list(found.values())

    def _check(self, node: Optional[Node], groups: list) -> Optional[tuple]:
        """(reads, users, groups to move after the merged one) of the union of ``groups`` and
        ``node`` if it may be one kernel: the kernels stay a DAG.

        That covers convexity (an outside op between two merged ops belongs to a planned group
        that the merged one would feed and read) and more: two groups can each be convex yet need
        each other's outputs (A feeds B's first half, B's second half feeds A). The groups keep a
        topological order (``key``, maintained as in Pearce and Kelly's dynamic topological sort),
        so the search for such a cycle covers only the groups between the merged ones.
        """
        gone = {id(g) for g in groups}
        reads = self._merged_reads(node, groups, gone)
        users = self._merged_users(node, groups, gone)
        later: list = []
        if groups:
            targets = self._groups_owning((v.op.id for v in reads), gone)
            hi = max(self.key[i] for i in list(gone) + list(targets))
            later = self._later_in_range(users, gone, hi, targets)
            if later is None:
                return None
        return reads, users, later

    def _try_merge(self, node: Node, groups: list, kind: KernelKind, space, axes=None) -> Optional[_Group]:
        # the caps limit fusion; a single op (AddN, ConcatV2 of many terms) is a kernel whatever it reads
        weight = op_weight(node) + sum(g.weight for g in groups)
        if groups and weight > MAX_KERNEL_WEIGHT:
            self.why_not.append((node.name, f"kernel would weigh {weight} (cap {MAX_KERNEL_WEIGHT}): split "
                                            "to bound compile time"))
            return None
        checked = self._check(node, groups)
        if checked is None:
            self.why_not.append((node.name, "fusing would create a cycle through an unfused op"))
            return None
        if groups and len(checked[0]) > MAX_KERNEL_INPUTS:
            self.why_not.append((node.name, f"kernel would read {len(checked[0])} inputs (cap {MAX_KERNEL_INPUTS})"))
            return None
        return self._replace(node, groups, checked, kind, space, axes)

    def _replace(self, node: Optional[Node], groups: list, checked: tuple, kind: KernelKind, space, axes) -> _Group:
        """Makes ``groups`` (and ``node``) one group (kind, space, axes) in their place."""
        new = _Group(kind, space, axes)
        new.reads, new.users, later = checked
        new.weight = sum(g.weight for g in groups) + (op_weight(node) if node is not None else 0)
        biggest = max(groups, key=lambda g: len(g.nodes), default=None)
        new.nodes = biggest.nodes if biggest is not None else []
        for g in groups:
            del self.groups[id(g)]
            if g is not biggest:
                new.nodes.extend(g.nodes)
                for m in g.nodes:
                    self.group_of[m.id] = new
        if biggest is not None:
            for m in biggest.nodes:   # the largest keeps its list; its nodes move in one pass
                self.group_of[m.id] = new
        if node is not None:
            new.nodes.append(node)
            self.group_of[node.id] = new
        self.groups[id(new)] = new
        self._order(new, groups, later)
        return new

    def _order(self, new: _Group, groups: list, later: list) -> None:
        """Gives ``new`` (replacing ``groups``) a key: the groups reaching it go first, ``later``
        after, within the keys they held (a new lone node is the newest: nothing planned reads it)."""
        if not groups:
            self.key[id(new)] = self.next_key
            self.next_key += 1
            return
        gone = {id(g) for g in groups}
        lo = min(self.key[i] for i in gone)
        gone.add(id(new))    # other groups' reads of the merged nodes now name ``new``
        earlier = self._earlier_in_range(self._groups_owning((v.op.id for v in new.reads), gone), gone, lo)
        gone.discard(id(new))
        pool = sorted([self.key.pop(i) for i in gone] + [self.key[id(g)] for g in earlier + later])
        by_key = lambda g: self.key[id(g)]
        moved = sorted(earlier, key=by_key) + [new] + sorted(later, key=by_key)
        for g, k in zip(moved, pool):
            self.key[id(g)] = k

    def _alone(self, node: Node, kind: KernelKind, space=None, axes=None) -> _Group:
        return self._try_merge(node, [], kind, space, axes)

    # per category --------------------------------------------------------------------------------
    def _producer_groups(self, node: Node) -> list:
        seen, out = set(), []
        for v in data_inputs(node):
            g = self.group_of.get(v.op.id)
            if g is not None and id(g) not in seen:
                seen.add(id(g))
                out.append(g)
        return out

    def _elementwise(self, node: Node) -> None:
        out = node.outputs[0]
        chosen = []
        kind, space, axes = KernelKind.POINTWISE, out.shape, None
        for g in self._producer_groups(node):
            if g.kind == KernelKind.POINTWISE and same_dims(g.space, out.shape):
                chosen.append(g)
            elif g.kind == KernelKind.REDUCTION and (
                    _reduced_shape_matches(out, g) or
                    (same_dims(g.space, out.shape) and _trailing(g.axes, len(g.space.as_tuple())))):
                chosen.append(g)
            elif g.kind in (KernelKind.MATMUL, KernelKind.CONV) and same_dims(g.space, out.shape):
                chosen.append(g)
            else:
                self.why_not.append((node.name, _elementwise_refusal(g, out)))
        # a row kernel can take this op as a consumer; a matmul then keeps its output materialized
        special = sorted((g for g in chosen if g.kind != KernelKind.POINTWISE), key=lambda g: g.kind != KernelKind.REDUCTION)
        if len(special) > 1:  # one reduction or matmul template per kernel: keep the first
            for _ in special[1:]:
                self.why_not.append((node.name, "already fused with another reduction/matmul kernel"))
            chosen = [g for g in chosen if g.kind == KernelKind.POINTWISE] + special[:1]
        if special:
            kind, space, axes = special[0].kind, special[0].space, special[0].axes
            for g in [g for g in chosen if _feeds_product(g, special[0])]:
                self.why_not.append((node.name, "computes an operand of the matmul it would join"))
                chosen.remove(g)
        if self._try_merge(node, chosen, kind, space, axes) is None:
            # fall back: join as many producer groups as stay convex, one at a time
            group = self._alone(node, KernelKind.POINTWISE, out.shape)
            for g in chosen:
                if g.kind == KernelKind.POINTWISE:
                    merged = self._try_merge_groups(group, g)
                    group = merged or group

    def _try_merge_groups(self, a: _Group, b: _Group) -> Optional[_Group]:
        if a.weight + b.weight > MAX_KERNEL_WEIGHT or _feeds_product(a, b) or _feeds_product(b, a):
            return None
        checked = self._check(None, [a, b])
        if checked is None or len(checked[0]) > MAX_KERNEL_INPUTS:
            return None
        ref = a if a.kind != KernelKind.POINTWISE else b
        return self._replace(None, [a, b], checked, ref.kind, ref.space, ref.axes)

    def _reduction(self, node: Node) -> None:
        x = node.inputs[0]
        axes = tuple(node.attrs["axis"])
        g = self.group_of.get(x.op.id)
        if g is not None and g.kind == KernelKind.POINTWISE and same_dims(g.space, x.shape):
            if self._try_merge(node, [g], KernelKind.REDUCTION, x.shape, axes) is not None:
                return
        elif g is not None and g.kind == KernelKind.REDUCTION and g.axes == axes and same_dims(g.space, x.shape) \
                and _trailing(axes, len(x.shape.as_tuple() or ())):
            if self._try_merge(node, [g], KernelKind.REDUCTION, g.space, axes) is not None:
                return
        elif g is not None:
            self.why_not.append((node.name, f"input comes from a {g.kind} kernel over {g.space}"))
        self._alone(node, KernelKind.REDUCTION, x.shape, axes)

    def plan(self) -> list:
        for node in self.prog.nodes:
            low = lowering(node)
            if low is Lowering.LEAF:
                continue
            if low is Lowering.ELEMENTWISE:
                self._elementwise(node)
            elif low is Lowering.REDUCTION:
                self._reduction(node)
            elif low in (Lowering.MATMUL, Lowering.CONV):
                self._alone(node, KernelKind(low.value), node.outputs[0].shape)
            else:   # VIEW, HOST, OPAQUE: a kernel of that kind
                self._alone(node, KernelKind(low.value), node.outputs[0].shape if node.outputs else None)
        self._merge_siblings()
        for g in self.groups.values():
            g.nodes.sort(key=lambda n: self.pos[n.id])
        return list(self.groups.values())

    def _merge_siblings(self) -> None:
        """Pointwise groups over one space that read a common input become one multi-output kernel.

        Each group tries, oldest first, the groups that share a data input with it (or, over a
        one-element space, every other such group), so the work follows the sharing, not all pairs.
        """
        rank = {id(g): i for i, g in enumerate(self.groups.values())}
        readers: dict = {}   # data input -> pointwise groups reading it
        tiny: dict = {}      # id -> pointwise group over a one-element space
        for g in list(self.groups.values()):
            if g.kind == KernelKind.POINTWISE:
                self._index_sibling(g, readers, tiny)
        for a in list(self.groups.values()):
            cur = a
            while id(cur) in self.groups and cur.kind == KernelKind.POINTWISE:
                candidates = {id(b): b for v in _external_inputs(cur) for b in readers.get(v, ())}
                if _tiny(cur):
                    candidates.update(tiny)
                merged = None
                for b in sorted(candidates.values(), key=lambda g: rank.get(id(g), len(rank))):
                    self.visits += 1
                    if b is cur or id(b) not in self.groups or not _siblings(cur, b):
                        continue
                    merged = self._try_merge_groups(cur, b)
                    if merged is not None:
                        rank[id(merged)] = min(rank.get(id(cur), len(rank)), rank.get(id(b), len(rank)))
                        tiny.pop(id(cur), None)
                        tiny.pop(id(b), None)
                        self._index_sibling(merged, readers, tiny)
                        break
                if merged is None:
                    break
                cur = merged

    def _index_sibling(self, g: _Group, readers: dict, tiny: dict) -> None:
        for v in _external_inputs(g):
            readers.setdefault(v, []).append(g)
        if _tiny(g):
            tiny[id(g)] = g


def _tiny(g: _Group) -> bool:
    return g.space.is_fully_defined() and g.space.num_elements() == 1


def _external_inputs(g: _Group) -> set:
    """The outside values ``g`` reads as data (not shape arguments)."""
    if g.data_reads is None:
        g.data_reads = {v for m in g.nodes for v in data_inputs(m) if v in g.reads}
    return g.data_reads


def _feeds_product(a: _Group, b: _Group) -> bool:
    """Whether group ``a`` computes an operand of a matmul or convolution in group ``b``: the two
    cannot be one kernel, whose template reads its product's operands from memory."""
    if b.kind not in (KernelKind.MATMUL, KernelKind.CONV):
        return False
    made = {n.id for n in a.nodes}
    return any(v.op.id in made for n in b.nodes if lowering(n) in (Lowering.MATMUL, Lowering.CONV)
               for v in data_inputs(n))


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
    """The kernels, each after the kernels producing its inputs."""
    producer = {}
    for k in kernels:
        for n in k.nodes:
            producer[n.id] = k

    def deps(k):   # the last input's producer is visited first (the order the plans were made with)
        return reversed([producer[v.op.id] for v in k.inputs if v.op.id in producer])
    return postorder(kernels, deps)
