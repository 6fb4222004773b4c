"""The region ops ``If`` and ``While``: OpDefs, builders from Python functions, and gradients.

``If``: inputs ``[pred, *captures]`` (with attr ``replay``, then the recorded draws of each branch's
kept values, which the branches then take instead of drawing); attrs ``then_branch``/``else_branch`` (FuncGraphs taking one
placeholder per capture); outputs: the branch outputs, then the kept random draws of the then
branch and of the else branch (zeros for the branch not taken).

``While``: inputs ``[*loop_vars, *captures]`` (with ``replay``, then one stack per kept value of the
body: its draw in each iteration); attrs ``cond``/``body`` (FuncGraphs with that input
layout), ``num_vars``, ``back_prop``, ``parallel_iterations``, ``record``; outputs: the final loop
vars, the iteration count (int32), one stack per loop var of its value entering each iteration,
one stack per kept random draw of the body, then one stack per intermediate its gradient reads
(``record.saved``, appended when the gradient is built). Stacks are filled only while ``record.on``.

cond's gradient recomputes the taken branch; while's reads the saved intermediates
(``intermediates.py``): see ARCHITECTURE.md, "Control flow".
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

from graphc import dtypes
from graphc.control_flow.clone import Recording, clone
from graphc.control_flow.func_graph import FuncGraph, outer_control_dependencies, seal
from graphc.control_flow.hoist import hoist_matmul_sums
from graphc.control_flow.intermediates import (SHAPE_READS, ancestors, read_recorded, shape_reads_from_final,
                                                 stacked)
from graphc.gradients import gradients
from graphc.graph import Operation, Tensor, get_default_graph
from graphc.ops import array, gather, tensor_array
from graphc.ops import math as m
from graphc.ops.core import OpDef, OpKind, convert_to_tensor, make_op, register
from graphc.shape import TensorShape


def common_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    """The most specific shape both ``a`` and ``b`` have (TF1's shape of a cond output)."""
    da, db = a.as_tuple(), b.as_tuple()
    if da is None or db is None or len(da) != len(db):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(da, db)])


def _if_infer(inputs, attrs) -> list:
    pred = inputs[0]
    if pred.dtype is not dtypes.bool_ or pred.shape.ndims not in (None, 0):
        raise TypeError(f"the predicate {pred.name} must be a scalar bool tensor, got {pred.dtype.name} {pred.shape}")
    then, other = attrs["then_branch"], attrs["else_branch"]
    outs = [(a.dtype, common_shape(a.shape, b.shape)) for a, b in zip(then.outputs, other.outputs)]
    return outs + [(t.dtype, t.shape) for t in then.kept + other.kept]


def _while_infer(inputs, attrs) -> list:
    n, body = attrs["num_vars"], attrs["body"]
    loop = [(ph.dtype, ph.shape) for ph in body.inputs[:n]]
    return (loop + [(dtypes.int32, TensorShape([]))] + [(dt, stacked(sh)) for dt, sh in loop]
            + [(t.dtype, stacked(t.shape)) for t in body.kept]
            + [(t.dtype, stacked(t.shape)) for t in attrs["record"].saved])


# ------------------------------------------------------------------------------------------------
# building

def new_body(name: str, dtypes_shapes: Sequence[tuple]) -> tuple:
    """A FuncGraph of the default graph with one input per (dtype, shape), and those inputs."""
    body = FuncGraph(name, get_default_graph())
    return body, [body.add_input(dt, sh) for dt, sh in dtypes_shapes]


def _outputs(body: FuncGraph, values: Sequence) -> list:
    with body.as_default():
        return [body.capture(convert_to_tensor(v)) for v in values]   # an outer tensor: its placeholder


def build_if(pred: Tensor, then_fn: Callable[[], list], else_fn: Callable[[], list],
             name: Optional[str] = None, check: Optional[Callable] = None) -> Operation:
    """An If op running ``then_fn``'s or ``else_fn``'s graph (each returns a flat list of values).

    ``check(then_outputs, else_outputs)`` may raise for mismatched branches before the op exists.
    """
    graph = get_default_graph()
    with graph.name_scope(name or "cond") as scope:
        branches = []
        for fn, label in ((then_fn, "then"), (else_fn, "else")):
            body, _ = new_body(f"{scope}{label}", [])
            with body.as_default():
                body.outputs = _outputs(body, fn())
            branches.append(body)
        then, other = branches
        if check is not None:
            check(then.outputs, other.outputs)
        captures = seal(branches)
        with outer_control_dependencies(graph, branches):
            return make_op("If", [pred] + captures, {"then_branch": then, "else_branch": other},
                           name=scope)


def build_while(cond_fn: Callable[[list], Tensor], body_fn: Callable[[list], list], loop_vars: Sequence[Tensor],
                invariants: Sequence[TensorShape], name: Optional[str] = None, back_prop: bool = True,
                parallel_iterations: int = 10, check: Optional[Callable] = None) -> Operation:
    """A While op over flat ``loop_vars``; ``cond_fn``/``body_fn`` take the list of loop-var tensors.

    ``check(body_inputs, body_outputs)`` may raise for a loop var whose dtype or shape changes.
    """
    graph = get_default_graph()
    specs = [(v.dtype, inv) for v, inv in zip(loop_vars, invariants)]
    with graph.name_scope(name or "while") as scope:
        cond, c_in = new_body(f"{scope}cond", specs)
        with cond.as_default():
            cond.outputs = _outputs(cond, [cond_fn(list(c_in))])
        p = cond.outputs[0]
        if p.dtype is not dtypes.bool_ or p.shape.ndims not in (None, 0):
            raise ValueError(f"The loop condition of {scope[:-1]} must return a scalar bool tensor, got "
                             f"{p.dtype.name} of shape {p.shape}.")
        body, b_in = new_body(f"{scope}body", specs)
        cond.loop = body.loop = True
        with body.as_default():
            body.outputs = _outputs(body, body_fn(list(b_in)))
        if check is not None:
            check(b_in, body.outputs)
        captures = seal([cond, body])
        attrs = {"cond": cond, "body": body, "num_vars": len(loop_vars), "back_prop": bool(back_prop),
                 "parallel_iterations": int(parallel_iterations), "record": Recording()}
        with outer_control_dependencies(graph, [cond, body]):
            return make_op("While", list(loop_vars) + captures, attrs, name=scope)


# ------------------------------------------------------------------------------------------------
# gradients

def _zeros_for(dys: Sequence, outputs: Sequence[Tensor]) -> list:
    return [dy if dy is not None else array.zeros_like(t) for dy, t in zip(dys, outputs)]


def record_nested(bodies: Sequence[FuncGraph]) -> None:
    """Turns on recording in every loop inside ``bodies`` (at any depth): a gradient through them
    replays their random draws, which each loop then keeps per iteration."""
    for body in bodies:
        for op in body.get_operations():
            if op.type == "While":
                op.attrs["record"].on = True
                record_nested([op.attrs["cond"], op.attrs["body"]])
            elif op.type == "If":
                record_nested([op.attrs["then_branch"], op.attrs["else_branch"]])


def _if_grad(op: Operation, *dys) -> list:
    then, other = op.attrs["then_branch"], op.attrs["else_branch"]
    p, pred, caps = len(then.outputs), op.inputs[0], list(op.inputs[1:1 + len(then.inputs)])
    kept_then = op.outputs[p:p + len(then.kept)]
    kept_else = op.outputs[p + len(then.kept):]
    wanted = [i for i in range(p) if op.outputs[i].dtype.is_floating and dys[i] is not None]
    floats = [i for i, c in enumerate(caps) if c.dtype.is_floating]
    if not wanted or not floats:
        return [None] * len(op.inputs)
    record_nested([then, other])
    dys = [dys[i] for i in wanted]

    def branch_grad(branch: FuncGraph, kept: Sequence[Tensor]) -> Callable[[], list]:
        def fn() -> list:
            graph = get_default_graph()
            inner = [graph.capture(c) for c in caps]
            mapping = dict(zip(branch.inputs, inner))
            mapping.update(zip(branch.kept, kept))
            ys = [branch.outputs[i] for i in wanted]
            copied = clone(branch, mapping, ys)
            grads = gradients([copied[y] for y in ys], [inner[i] for i in floats], grad_ys=list(dys),
                              unconnected_gradients="zero")
            return grads
        return fn
    grad_op = build_if(pred, branch_grad(then, kept_then), branch_grad(other, kept_else), name="cond_grad")
    result: list = [None] * len(op.inputs)
    for k, i in enumerate(floats):
        result[1 + i] = grad_op.outputs[k]
    return result


def _reads_value(x: Tensor, live: set) -> bool:
    """Whether an op in ``live`` reads the values of ``x`` (a recorded loop var inside a gradient
    body), not just its shape: the forward loop then records that loop var in every iteration. The
    body's recomputed forward ops that no gradient needs (a TensorArray write) are not in ``live``."""
    return any((c.type, k) not in SHAPE_READS
               for c in x.consumers() if c in live for k, t in enumerate(c.inputs) if t is x)


def _accumulate(total: Tensor, g: Tensor) -> Tensor:
    """``total + g`` for a captured tensor's running gradient sum; a TensorArray read's gradient
    adds its rows into the sum (which the loop driver then updates in place, see regions.py)."""
    rows_added = tensor_array.accumulated(total, g)
    return rows_added if rows_added is not None else m.add(total, g)


def _while_grad(op: Operation, *dys) -> list:
    n, body = op.attrs["num_vars"], op.attrs["body"]
    if not op.attrs["back_prop"]:
        return [None] * len(op.inputs)
    loop_in, caps = list(op.inputs[:n]), list(op.inputs[n:len(body.inputs)])
    fv = [i for i in range(n) if loop_in[i].dtype.is_floating]
    fc = [i for i, c in enumerate(caps) if c.dtype.is_floating]
    if not fv and not fc:
        return [None] * len(op.inputs)
    op.attrs["record"].on = True
    record_nested([body])
    count = op.outputs[n]
    histories = op.outputs[n + 1:2 * n + 1]
    first_saved = 2 * n + 1 + len(body.kept)
    kept_histories = op.outputs[2 * n + 1:first_saved]
    g0 = _zeros_for([dys[i] for i in fv], [op.outputs[i] for i in fv])
    history_grads = [dys[n + 1 + i] for i in fv]   # the stacks' own gradients (second order: the
    # gradient loop reads the stacks, so differentiating it gives them gradients)
    saved_grads = [(t, dy) for t, dy in zip(op.attrs["record"].saved, dys[first_saved:]) if dy is not None]
    acc0 = [array.zeros_like(caps[i]) for i in fc]

    def grad_cond(vs: list) -> Tensor:
        return m.greater_equal(vs[0], 0)

    def grad_body(vs: list) -> list:
        j, gs, accs = vs[0], vs[1:1 + len(fv)], vs[1 + len(fv):]
        graph = get_default_graph()
        xs = [gather.gather(graph.capture(h), j) for h in histories]
        inner_caps = [graph.capture(c) for c in caps]
        mapping = dict(zip(body.inputs[:n], xs))
        mapping.update(zip(body.inputs[n:], inner_caps))
        mapping.update((k, gather.gather(graph.capture(h), j)) for k, h in zip(body.kept, kept_histories))
        ys = [body.outputs[i] for i in fv] + [t for t, _ in saved_grads]
        copied = clone(body, mapping, ys)
        grad_ys = list(gs) + [gather.gather(graph.capture(dy), j) for _, dy in saved_grads]
        grads = gradients([copied[y] for y in ys], [xs[i] for i in fv] + [inner_caps[i] for i in fc],
                          grad_ys=grad_ys, unconnected_gradients="zero")
        new_accs = [_accumulate(a, g) for a, g in zip(accs, grads[len(fv):])]
        new_gs = [g if dh is None else m.add(g, gather.gather(graph.capture(dh), j))
                  for g, dh in zip(grads[:len(fv)], history_grads)]
        outs = read_recorded(op, body, copied, mapping, [m.subtract(j, 1)] + new_gs + new_accs, j)
        outs = shape_reads_from_final(op, xs, outs)
        live = ancestors(outs)
        op.attrs["record"].values.update(i for i, x in enumerate(xs) if _reads_value(x, live))
        return outs

    start = [m.subtract(count, 1)] + g0 + acc0
    invariants = [t.shape for t in start]
    grad_op = build_while(grad_cond, grad_body, start, invariants, name="while_grad")
    sums = hoist_matmul_sums(grad_op, [1 + len(fv) + k for k in range(len(fc))])   # (hoist.py)
    result: list = [None] * len(op.inputs)
    for k, i in enumerate(fv):
        result[i] = grad_op.outputs[1 + k]
    for k, i in enumerate(fc):
        result[n + i] = sums.get(1 + len(fv) + k, grad_op.outputs[1 + len(fv) + k])
    return result


register(OpDef("If", OpKind.REGION, infer=_if_infer, numpy=None, grad=_if_grad, pure=False))
register(OpDef("While", OpKind.REGION, infer=_while_infer, numpy=None, grad=_while_grad, pure=False))
