"""``tf.while_loop``: a ``While`` region op (condition and body built once as subgraphs)."""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import dtypes
from graphc.control_flow import nest
from graphc.control_flow.region_ops import build_while
from graphc.graph import Tensor
from graphc.ops import math as m
from graphc.ops.core import _graph_tensor_or_none, constant, convert_to_tensor
from graphc.shape import TensorShape, as_shape


def _less_or_equal(shape: TensorShape, invariant: TensorShape) -> bool:
    """Whether ``shape`` is at least as specific as ``invariant`` (TF1's _ShapeLessThanOrEqual)."""
    inv = invariant.as_tuple()
    if inv is None:
        return True
    dims = shape.as_tuple()
    if dims is None or len(dims) != len(inv):
        return False
    return all(b is None or a == b for a, b in zip(dims, inv))


def _flat_invariants(loop_vars: Any, shape_invariants: Any) -> list:
    """One TensorShape per flat loop tensor: the given invariants, else each tensor's own shape. A
    composite (a TensorArray) gives its own (``_flat_shape_invariants``, else its tensors' shapes)."""
    if shape_invariants is None:
        return [s for leaf in _leaves(loop_vars) for s in _own(leaf)]
    return _paired(loop_vars, shape_invariants)


def _leaves(x: Any) -> list:
    if nest.is_composite(x) or not nest.is_sequence(x):
        return [x]
    return [leaf for child in nest._children(x) for leaf in _leaves(child)]


def _own(leaf: Any) -> list:
    if nest.is_composite(leaf):
        if hasattr(leaf, "_flat_shape_invariants"):
            return list(leaf._flat_shape_invariants())
        return [t.shape for t in leaf._flat_tensors()]
    return [leaf.shape]


def _paired(var: Any, inv: Any) -> list:
    if nest.is_composite(var):
        return _own(var)
    if not nest.is_sequence(var):
        return [as_shape(inv)]
    same_keys = not isinstance(var, dict) or isinstance(inv, dict) and set(var) == set(inv)
    if not nest.is_sequence(inv) or not same_keys or len(nest._children(var)) != len(nest._children(inv)):
        raise ValueError(f"The two structures don't have the same nested structure: loop_vars {var!r} and "
                         f"shape_invariants {inv!r}. Give one shape invariant (a tf.TensorShape) per loop variable.")
    return [s for v, i in zip(nest._children(var), nest._children(inv)) for s in _paired(v, i)]


def _check_body(inputs: list, outputs: list) -> None:
    for x, y in zip(inputs, outputs):
        if x.dtype is not y.dtype:
            raise TypeError(f"Loop variable {x.name} enters the loop with type {x.dtype.name}, but has type "
                            f"{y.dtype.name} after one iteration ({y.name}). A loop variable keeps its dtype; "
                            "tf.cast the body's result.")


def while_loop(cond: Callable, body: Callable, loop_vars: Any, shape_invariants: Any = None,
               parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
               name: Optional[str] = None, maximum_iterations: Any = None,
               return_same_structure: bool = False) -> Any:
    """Repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (TF1 ``tf.while_loop``).

    ``loop_vars`` is a (nested) tuple/list/dict/namedtuple of tensors and composites. A loop var
    whose shape changes needs a less specific ``shape_invariants`` entry. ``maximum_iterations``
    bounds the iterations; ``back_prop=False`` gives no gradient; ``parallel_iterations`` and
    ``swap_memory`` are accepted. A one-element ``loop_vars`` list gives back its element unless
    ``return_same_structure``.
    """
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations is None or not isinstance(parallel_iterations, int) or parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    if not isinstance(loop_vars, (list, tuple, dict)) and not nest.is_composite(loop_vars):
        loop_vars = [loop_vars]          # a lone tensor: one loop var
    if not nest.flatten(loop_vars) or (isinstance(loop_vars, (list, tuple)) and not loop_vars):
        raise ValueError("'loop_vars' must be provided.")
    try_to_pack = (isinstance(loop_vars, (list, tuple)) and not nest._is_namedtuple(loop_vars)
                   and len(loop_vars) == 1 and not return_same_structure)
    if shape_invariants is not None and try_to_pack and not isinstance(shape_invariants, (list, tuple)):
        shape_invariants = [shape_invariants]
    if maximum_iterations is not None:
        limit = convert_to_tensor(maximum_iterations, name="maximum_iterations")
        if limit.shape.ndims != 0:
            raise ValueError(f"'maximum_iterations' must be a scalar. Received shape: {limit.shape}")
        return _bounded(cond, body, loop_vars, shape_invariants, limit, try_to_pack,
                        dict(parallel_iterations=parallel_iterations, back_prop=back_prop, name=name))
    return _loop(cond, body, loop_vars, shape_invariants, try_to_pack, parallel_iterations, back_prop, name)


def _bounded(cond, body, loop_vars, shape_invariants, limit: Tensor, try_to_pack: bool, options: dict) -> Any:
    """TF1's rewrite: an iteration counter joins the loop vars and bounds the condition."""
    counter = constant(0, dtype=limit.dtype, name="iteration_counter")
    if shape_invariants is not None:
        shape_invariants = (TensorShape([]), shape_invariants[0] if try_to_pack else shape_invariants)
    if try_to_pack:
        vars_, c, b = (counter, loop_vars[0]), (lambda i, lv: m.logical_and(m.less(i, limit), cond(lv))), \
            (lambda i, lv: (m.add(i, 1), body(lv)))
    else:
        vars_, c, b = (counter, loop_vars), (lambda i, lv: m.logical_and(m.less(i, limit), _call(cond, lv))), \
            (lambda i, lv: (m.add(i, 1), _call(body, lv)))
    result = _loop(c, b, vars_, shape_invariants, False, options["parallel_iterations"], options["back_prop"],
                   options["name"])
    return result[1]


def _call(fn: Callable, lv: Any) -> Any:
    return fn(*lv) if isinstance(lv, (list, tuple)) and not nest._is_namedtuple(lv) else fn(lv)


def _loop(cond, body, loop_vars, shape_invariants, try_to_pack: bool, parallel_iterations: int, back_prop: bool,
          name: Optional[str]) -> Any:
    loop_vars = nest.map_structure(_as_loop_tensor, loop_vars)
    flat = nest.flatten(loop_vars)
    invariants = _flat_invariants(loop_vars, shape_invariants)
    for t, inv in zip(flat, invariants):
        if not _less_or_equal(t.shape, inv):
            raise ValueError(f"The shape invariant specified for {t.name} is not compatible with the initial shape "
                             f"of the loop variable. It enters the loop with shape {t.shape}, but the specified "
                             f"shape invariant is {inv}.")
    body_structure: list = []

    def cond_fn(tensors: list) -> Tensor:
        packed = nest.pack_sequence_as(loop_vars, tensors)
        pred = _call(cond, packed)
        pred = convert_to_tensor(pred)
        if pred.dtype is not dtypes.bool_:
            raise TypeError(f"Input 'input' of 'LoopCond' Op has type {pred.dtype.name} that does not match "
                            f"expected type of bool: the loop condition must return a scalar bool ({pred.name}).")
        return pred

    def body_fn(tensors: list) -> list:
        packed = nest.pack_sequence_as(loop_vars, tensors)
        result = _call(body, packed)
        if not nest.is_sequence(result):
            result = [result]
        expected = list(packed) if isinstance(packed, (list, tuple)) and not nest._is_namedtuple(packed) else packed
        got = list(result) if isinstance(result, (list, tuple)) and not nest._is_namedtuple(result) else result
        nest.assert_same_structure(expected, got, check_types=False)
        body_structure.append(result)
        out = [convert_to_tensor(v) for v in nest.flatten(result)]
        for x, y, inv in zip(flat, out, invariants):
            if not _less_or_equal(y.shape, inv):
                raise ValueError(f"Input tensor '{x.name}' enters the loop with shape {x.shape}, but has shape "
                                 f"{y.shape} after one iteration. To allow the shape to vary across iterations, "
                                 "use the `shape_invariants` argument of tf.while_loop to specify a less-specific "
                                 "shape.")
        return out

    op = build_while(cond_fn, body_fn, flat, invariants, name=name or "while", back_prop=back_prop,
                     parallel_iterations=parallel_iterations, check=_check_body)
    exits = op.outputs[:len(flat)]
    packed = nest.pack_sequence_as(loop_vars, exits)
    if try_to_pack:
        return packed[0]
    return packed


def _as_loop_tensor(v: Any) -> Any:
    if nest.is_composite(v):
        return v
    t = _graph_tensor_or_none(v)
    return t if t is not None else convert_to_tensor(v)


__all__ = ["while_loop"]
