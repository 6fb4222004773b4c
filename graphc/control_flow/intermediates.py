"""A while loop's gradient reads the forward body's intermediates instead of recomputing them.

The gradient body first copies the forward body onto iteration ``j``'s recorded loop vars and
differentiates the copy (``region_ops._while_grad``): the gradient ops then read copied forward
values (an LSTM's gate activations, the matmul's input). Each forward tensor a gradient op reads
that way becomes an output of the forward loop, its value in every iteration (``Recording.saved``,
filled while the loop records), and the gradient ops are copied once more reading row ``j`` of
that stack instead. The copied forward ops then feed nothing the gradient body runs, so the backward
pass runs no forward op again (TF1 stacks its forward values the same way).

Left recomputed: values a gradient reads only for their shape (``SHAPE_READS``: a TensorArray
buffer's shape), loop-invariant ones (no loop var among their inputs: same every iteration), the
outputs of nested regions, and everything when a copy would have to repeat a random or region op.
"""
from __future__ import annotations

from typing import Sequence

from graphc.control_flow.clone import clone
from graphc.control_flow.func_graph import ops_needed as ancestors
from graphc.graph import Operation, Tensor, get_default_graph
from graphc.ops import gather
from graphc.ops.core import OPS, OpKind, constant
from graphc.shape import TensorShape

# (op type, input index) pairs that read only their input's shape, never its values
SHAPE_READS = {("TensorArrayClearRows", 0), ("TensorArrayTakeRows", 0), ("Shape", 0), ("Size", 0), ("Rank", 0)}
_NOT_COPIED = (OpKind.REGION, OpKind.RANDOM)


def stacked(shape: TensorShape) -> TensorShape:
    """The shape of a stack of values of ``shape``, one per iteration."""
    dims = shape.as_tuple()
    return TensorShape(None) if dims is None else TensorShape((None,) + tuple(dims))


def _varying(body, n: int) -> set:
    """The ops of ``body`` whose values can change between iterations (they read a loop var)."""
    found: set = set(ph.op for ph in body.inputs[:n])
    for o in body.get_operations():          # creation order is a topological order
        if OPS.get(o.type) is not None and OPS[o.type].kind is OpKind.RANDOM \
                or any(t.op in found for t in o.inputs):
            found.add(o)
    return found


def _boundary(body, n: int, copy_of: dict, live: list) -> tuple:
    """The forward tensors whose copies a live op other than a copied forward op reads by value, and
    the ``Shape`` ops reading the copy of a forward tensor of static shape (op, tensor)."""
    copied_ops = {c.op for c in copy_of}
    varying = _varying(body, n)
    found: list = []
    shapes: list = []
    for o in live:
        if o in copied_ops:
            continue
        for k, u in enumerate(o.inputs):
            t = copy_of.get(u)
            if t is None or t.op not in varying or OPS[t.op.type].kind is OpKind.REGION:
                continue
            if o.type == "Shape":
                if t.shape.is_fully_defined():
                    shapes.append((o, t))       # a constant
            elif (o.type, k) not in SHAPE_READS and t not in found:
                found.append(t)
    return found, shapes


def _affected(live: list, replace: dict) -> set:
    """The live ops that read a replaced tensor, directly or through other ops."""
    hit: set = set()
    for o in live:
        if any(u in replace or u.op in hit for u in o.inputs):
            hit.add(o)
    return hit


def _substitute(outs: list, replace: dict) -> list:
    """``outs`` rebuilt in the current graph with the tensors in ``replace`` replaced: the live ops
    that read them (directly or not) are copied; the rest are kept."""
    live = sorted(ancestors(outs), key=lambda o: o._id)
    affected = _affected(live, replace)
    mapping = dict(replace)
    mapping.update((t, t) for o in live if o not in affected for t in o.outputs if t not in replace)
    graph = get_default_graph()
    copies = clone(graph, mapping, outs)
    return [copies[o] for o in outs]


def read_recorded(op: Operation, body, copied: dict, base: dict, outs: list, j: Tensor) -> list:
    """``outs`` (the gradient body's outputs) rebuilt to read the forward values of loop ``op``'s
    iteration ``j`` from its saved stacks instead of the copies of forward ops in ``copied`` (the
    map ``clone`` returned; ``base``: the map it was given). Appends the loop's new saved outputs.
    A ``Shape`` of a copy whose static shape is known becomes a constant; one whose shape is known
    only at run time is left reading the copy (a compiled body folds it with the feed shapes)."""
    n = op.attrs["num_vars"]
    copy_of = {c: t for t, c in copied.items() if t not in base and c is not t}
    live = sorted(ancestors(outs), key=lambda o: o._id)      # ids grow with creation: topological
    boundary, shape_reads = _boundary(body, n, copy_of, live)
    if not boundary and not shape_reads:
        return outs
    valued = set(boundary)
    replace_set = {c for c, t in copy_of.items() if t in valued} | {o.outputs[0] for o, _ in shape_reads}
    if any(OPS[o.type].kind in _NOT_COPIED for o in _affected(live, replace_set)):
        return outs
    record = op.attrs["record"]
    first = 2 * n + 1 + len(body.kept)
    for t in boundary:
        if t not in record.saved:
            record.saved.append(t)
            op.outputs.append(Tensor(op, len(op.outputs), t.dtype, stacked(t.shape)))
    graph = get_default_graph()
    stacks = [graph.capture(op.outputs[first + record.saved.index(t)]) for t in boundary]
    rows = dict(zip(boundary, gather.gather_rows(stacks, j)))        # one step for every saved row
    replace = {c: rows[t] for c, t in copy_of.items() if t in rows}
    for o, t in shape_reads:
        replace[o.outputs[0]] = constant(t.shape.as_list(), dtype=o.attrs["out_type"])
    return _substitute(outs, replace)


def shape_reads_from_final(op: Operation, xs: Sequence[Tensor], outs: list) -> list:
    """``outs`` with the recorded loop vars ``xs`` that the gradient reads only for their shape (a
    TensorArray buffer the body only writes) replaced by the loop's final value of that var (same
    shape: a recorded loop var keeps its shape), so no iteration gathers a row of its history."""
    live = ancestors(outs)
    graph = get_default_graph()
    replace = {}
    for i, x in enumerate(xs):
        reads = [(c.type, k) for c in x.consumers() if c in live for k, t in enumerate(c.inputs) if t is x]
        if reads and all(r in SHAPE_READS for r in reads):
            replace[x] = graph.capture(op.outputs[i])
    if not replace or any(OPS[o.type].kind in _NOT_COPIED for o in _affected(sorted(live, key=lambda o: o._id),
                                                                                replace)):
        return outs
    return _substitute(outs, replace)
