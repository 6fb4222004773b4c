"""Reverse-mode automatic differentiation that builds ordinary graph nodes (TF1 ``tf.gradients``).

Gradient graphs are graphs like any other: they are pruned, fused and compiled the same way, and
can be differentiated again. Each op's rule lives beside the op (``OpDef.grad``).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import errors
from graphc.graph import Operation, Tensor, registered_gradient
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops.core import OPS, _graph_of, constant, convert_to_tensor
from graphc.traversal import postorder


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _tensor(x: Any, what: str) -> Tensor:
    if hasattr(x, "_graph_tensor"):
        return x._graph_tensor()
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"gradients: each of {what} must be a Tensor or Variable, got {x!r}")


def _reachable_forward(xs: list) -> set:
    consumers: dict = {}
    graph = xs[0].graph
    for op in graph.get_operations():
        for t in op.inputs:
            consumers.setdefault(t, []).append(op)
    seen: set = set()
    stack = [op for x in xs for op in consumers.get(x, [])]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        for t in op.outputs:
            stack.extend(consumers.get(t, []))
    return seen


def _backward_order(ys: list, relevant: set, x_set: set) -> list:
    """Relevant ops reachable backwards from ``ys``, each after all of its relevant consumers."""
    # (in the order of ys, not of a set: the gradient graph, and the code compiled for it, is then
    # the same in every process)
    roots = [op for op in dict.fromkeys(y.op for y in ys) if op in relevant]

    def deps(op):   # the last input's producer is visited first (the order gradients were summed in)
        return reversed([t.op for t in op.inputs if t.op in relevant])
    return list(reversed(postorder(roots, deps, key=lambda op: op)))  # consumers before producers


def gradients(ys: Any, xs: Any, grad_ys: Any = None, name: str = "gradients", colocate_gradients_with_ops: bool = False,
              gate_gradients: bool = False, aggregation_method: Any = None, stop_gradients: Any = None,
              unconnected_gradients: str = "none") -> list:
    """Symbolic d(sum of ys)/d(x) for each x in ``xs`` (TF1 ``tf.gradients``).

    ``grad_ys`` weights each y (default ones). Contributions along several paths are summed;
    broadcast gradients are summed back to each input's shape. An x that ``ys`` do not depend on
    (or an integer x) gets None, or zeros with ``unconnected_gradients="zero"``.
    """
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}")
    ys = [_tensor(y, "ys") for y in _as_list(ys)]
    xs = [_tensor(x, "xs") for x in _as_list(xs)]
    graph = _graph_of(ys + xs)
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    else:
        grad_ys = _as_list(grad_ys)
        if len(grad_ys) != len(ys):
            raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    stop = {_tensor(s, "stop_gradients") for s in _as_list(stop_gradients or [])}
    x_set = set(xs)

    with graph.as_default(), graph.name_scope(name):
        grads: dict = {}  # tensor -> list of gradient contributions
        for i, (y, gy) in enumerate(zip(ys, grad_ys)):
            if gy is None:
                if not y.dtype.is_floating:
                    continue
                # TF1's names: gradients/Shape, gradients/grad_ys_0, gradients/Fill
                gy = array.fill(array.shape(y), constant(1, dtype=y.dtype, name=f"grad_ys_{i}"))
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype)
                if not gy.shape.is_compatible_with(y.shape):
                    raise ValueError(f"grad_ys for {y.name} has shape {gy.shape}, but {y.name} has shape {y.shape}")
            grads.setdefault(y, []).append(gy)

        forward = _reachable_forward(xs)
        relevant = {op for op in forward} | {x.op for x in xs}
        for op in _backward_order(ys, relevant, x_set):
            out_grads = [_aggregate(grads.get(t)) for t in op.outputs]
            for t, g in zip(op.outputs, out_grads):
                if g is not None:
                    grads[t] = [g]
            if all(g is None for g in out_grads) or op.type == "StopGradient":
                continue
            if any(t in stop for t in op.outputs) or not op.inputs:
                continue
            if all(t in x_set and t.op not in forward for t in op.outputs):
                continue  # an x that nothing between xs and ys produces: stop here
            rule = _gradient_rule(op)
            if rule is None:
                continue
            # TF1 nests the op's own scopes: gradients/hidden1/MatMul_grad/...
            with graph.name_scope(f"{op.name}_grad"):
                in_grads = rule(op, *out_grads)
            in_grads = list(in_grads)
            if len(in_grads) != len(op.inputs):
                raise errors.InternalError(None, op, f"Gradient rule of {op.type} returned {len(in_grads)} "
                                           f"gradients for {len(op.inputs)} inputs")
            for i, (t, g) in enumerate(zip(op.inputs, in_grads)):
                if g is None or not t.dtype.is_floating:
                    continue
                g = convert_to_tensor(g)
                _check_grad(op, i, t, g)
                grads.setdefault(t, []).append(g)

        result = []
        for x in xs:
            g = _aggregate(grads.get(x)) if x.dtype.is_floating else None
            if g is None and unconnected_gradients == "zero":
                g = m.array_zeros_like(x)
            result.append(g)
    return result


def _gradient_rule(op: Operation) -> Optional[Callable]:
    """The op's gradient function: one registered for it through ``gradient_override_map``, else its
    OpDef's rule; None for an op without a gradient."""
    if op._gradient_override is not None:
        return registered_gradient(op._gradient_override, op)
    od = OPS[op.type]
    return od.grad if od.differentiable else None


def _aggregate(contributions: Optional[list]) -> Optional[Tensor]:
    if not contributions:
        return None
    if len(contributions) == 1:
        return contributions[0]
    return m.add_n(contributions)


def _check_grad(op: Operation, i: int, t: Tensor, g: Tensor) -> None:
    if g.dtype is not t.dtype:
        raise errors.InternalError(None, op, (
            f"Gradient rule of {op.type} ({op.name}) gave input {i} a gradient of dtype {g.dtype.name}, "
            f"but the input {t.name} is {t.dtype.name}"))
    if not g.shape.is_compatible_with(t.shape):
        raise errors.InternalError(None, op, (
            f"Gradient rule of {op.type} ({op.name}) gave input {i} a gradient of shape {g.shape}, "
            f"but the input {t.name} has shape {t.shape}"))


__all__ = ["gradients"]
