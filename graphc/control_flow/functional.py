"""``tf.map_fn``, ``tf.scan``, ``tf.foldl``, ``tf.foldr``: TF1's functional ops.

Each is built exactly as TF1 builds it: the elements are unstacked into TensorArrays, a
``tf.while_loop`` (bounded by ``maximum_iterations=n``) reads element ``i`` each iteration and
calls ``fn``, and map_fn/scan write each result into an output TensorArray that is stacked after
the loop. Gradients are the while loop's and the TensorArrays'. ``elems`` (and ``dtype`` /
``initializer``) may be nested structures (tuples, lists, dicts, namedtuples).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc.control_flow import nest
from graphc.control_flow.tensor_array import TensorArray
from graphc.control_flow.while_loop import while_loop
from graphc.graph import get_default_graph
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops.core import constant, convert_to_tensor
from graphc.shape import Dimension, TensorShape


def _structure(example: Any) -> tuple:
    """(flatten, pack) for values laid out like ``example`` (a lone tensor is not a sequence)."""
    if nest.is_sequence(example):
        return nest.flatten, lambda flat: nest.pack_sequence_as(example, flat)
    return (lambda x: [x]), (lambda flat: flat[0])


def _check_callable(fn: Any) -> None:
    if not callable(fn):
        raise TypeError("fn must be callable.")


def _elements(elems: Any, what: str) -> list:
    flat = [convert_to_tensor(e, name="elem") for e in (nest.flatten(elems) if nest.is_sequence(elems) else [elems])]
    if not flat:
        raise ValueError(f"{what}: elems must hold at least one tensor")
    for e in flat:
        if e.shape.ndims is not None and e.shape.ndims < 1:
            raise ValueError(f"Elements in elems must be 1+ dimensional Tensors, not scalars: {e.name} has "
                             f"shape {e.shape}")
    return flat


def _length(elems_flat: list) -> Any:
    """n: the static number of elements if known, else ``tf.shape(elems[0])[0]``."""
    first = elems_flat[0].shape.as_tuple()
    if first is not None and first[0] is not None:
        return first[0]
    return array.shape(elems_flat[0])[0]


def _static_length(elems_flat: list) -> Dimension:
    n = Dimension(None)
    for e in elems_flat:
        dims = e.shape.as_tuple()
        n = n.merge_with(Dimension(None if dims is None else dims[0]))
    return n


def _unstacked(elems_flat: list, n: Any, element_shapes: bool) -> list:
    return [TensorArray(e.dtype, size=n, dynamic_size=False, infer_shape=True,
                        element_shape=e.shape[1:] if element_shapes and e.shape.ndims is not None else None).unstack(e)
            for e in elems_flat]


def _stacked(tas: list, n_static: Dimension) -> list:
    results = [ta.stack() for ta in tas]
    for r in results:
        if r.shape.ndims is not None:
            r.set_shape(TensorShape([n_static]).concatenate(r.shape[1:]))
    return results


def map_fn(fn: Callable, elems: Any, dtype: Any = None, parallel_iterations: Optional[int] = None,
           back_prop: bool = True, swap_memory: bool = False, infer_shape: bool = True,
           name: Optional[str] = None) -> Any:
    """``fn`` applied to each element of ``elems`` (unpacked along their first axis), stacked.

    ``dtype`` gives the structure and dtypes of ``fn``'s result when it differs from ``elems``'.
    """
    _check_callable(fn)
    input_flatten, input_pack = _structure(elems)
    output_flatten, output_pack = (input_flatten, input_pack) if dtype is None else _structure(dtype)
    expected = elems if dtype is None else dtype
    graph = get_default_graph()
    with graph.name_scope(name or "map"):
        elems_flat = _elements(elems, "map_fn")
        if dtype is None:
            dtype = input_pack([e.dtype for e in elems_flat])
        dtype_flat = output_flatten(dtype)
        n = _length(elems_flat)
        elems_ta = _unstacked(elems_flat, n, element_shapes=False)
        accs_ta = [TensorArray(dt, size=n, dynamic_size=False, infer_shape=infer_shape) for dt in dtype_flat]

        def compute(i, tas):
            packed_values = input_pack([ta.read(i) for ta in elems_ta])
            packed_fn_values = fn(packed_values)
            nest.assert_same_structure(expected, packed_fn_values)
            flat_fn_values = output_flatten(packed_fn_values)
            return (i + 1, [ta.write(i, v) for ta, v in zip(tas, flat_fn_values)])

        _, r_a = while_loop(lambda i, _: m.less(i, n), compute, (constant(0, name="Const"), accs_ta),
                            parallel_iterations=parallel_iterations or 10, back_prop=back_prop,
                            swap_memory=swap_memory, maximum_iterations=n)
        return output_pack(_stacked(r_a, _static_length(elems_flat)))


def scan(fn: Callable, elems: Any, initializer: Any = None, parallel_iterations: int = 10, back_prop: bool = True,
         swap_memory: bool = False, infer_shape: bool = True, reverse: bool = False, name: Optional[str] = None) -> Any:
    """The running results ``a = fn(a, x)`` over the elements of ``elems``, stacked.

    Without ``initializer`` the first element (the last with ``reverse``) starts the scan and is its
    first result; ``initializer``'s structure is then the result's.
    """
    _check_callable(fn)
    input_flatten, input_pack = _structure(elems)
    output_flatten, output_pack = (input_flatten, input_pack) if initializer is None else _structure(initializer)
    graph = get_default_graph()
    with graph.name_scope(name or "scan"):
        elems_flat = _elements(elems, "scan")
        n = _length(elems_flat)
        elems_ta = _unstacked(elems_flat, n, element_shapes=True)
        if initializer is None:
            first = m.subtract(n, 1) if reverse else 0
            a_flat = [ta.read(first) for ta in elems_ta]
            i: Any = 1
        else:
            a_flat = [convert_to_tensor(init) for init in output_flatten(initializer)]
            i = 0
        accs_ta = [TensorArray(a.dtype, size=n, dynamic_size=False, infer_shape=infer_shape,
                               element_shape=a.shape if infer_shape else None) for a in a_flat]
        if initializer is None:
            accs_ta = [ta.write(first, a) for ta, a in zip(accs_ta, a_flat)]

        def compute(i, a_flat, tas):
            packed_elems = input_pack([ta.read(i) for ta in elems_ta])
            a_out = fn(output_pack(a_flat), packed_elems)
            nest.assert_same_structure(elems if initializer is None else initializer, a_out)
            flat_a_out = output_flatten(a_out)
            tas = [ta.write(i, v) for ta, v in zip(tas, flat_a_out)]
            return (m.subtract(i, 1) if reverse else m.add(i, 1), flat_a_out, tas)

        if reverse:
            initial_i = convert_to_tensor(m.subtract(m.subtract(n, 1), i))

            def condition(i, _1, _2):
                return m.greater_equal(i, 0)
        else:
            initial_i = constant(i, name="Const")

            def condition(i, _1, _2):
                return m.less(i, n)
        _, _, r_a = while_loop(condition, compute, (initial_i, a_flat, accs_ta),
                               parallel_iterations=parallel_iterations, back_prop=back_prop,
                               swap_memory=swap_memory, maximum_iterations=n)
        return output_pack(_stacked(r_a, _static_length(elems_flat)))


def _fold(fn: Callable, elems: Any, initializer: Any, parallel_iterations: int, back_prop: bool,
          swap_memory: bool, name: str, backwards: bool) -> Any:
    _check_callable(fn)
    elems_flat = _elements(elems, name)
    n = _length(elems_flat)
    input_pack = _structure(elems)[1]
    elems_ta = _unstacked(elems_flat, n, element_shapes=False)

    def read(i: Any) -> Any:
        return input_pack([ta.read(i) for ta in elems_ta])

    if backwards:
        if initializer is None:
            i = convert_to_tensor(m.subtract(n, 1))
            a = read(i)
        else:
            i, a = convert_to_tensor(n), initializer

        def compute(i, a):
            i = m.subtract(i, 1)
            return [i, fn(a, read(i))]

        def condition(i, a):
            return m.greater(i, 0)
    else:
        if initializer is None:
            a, i = read(0), constant(1, name="Const")
        else:
            a, i = initializer, constant(0, name="Const")

        def compute(i, a):
            return [m.add(i, 1), fn(a, read(i))]

        def condition(i, a):
            return m.less(i, n)
    _, r_a = while_loop(condition, compute, [i, a], parallel_iterations=parallel_iterations,
                        back_prop=back_prop, swap_memory=swap_memory, maximum_iterations=n)
    return r_a


def foldl(fn: Callable, elems: Any, initializer: Any = None, parallel_iterations: int = 10, back_prop: bool = True,
          swap_memory: bool = False, name: Optional[str] = None) -> Any:
    """``fn(...fn(fn(initializer, elems[0]), elems[1])..., elems[n-1])`` (elems[0] starts it without
    an initializer)."""
    with get_default_graph().name_scope(name or "foldl"):
        return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, "foldl", backwards=False)


def foldr(fn: Callable, elems: Any, initializer: Any = None, parallel_iterations: int = 10, back_prop: bool = True,
          swap_memory: bool = False, name: Optional[str] = None) -> Any:
    """``fn(...fn(fn(initializer, elems[n-1]), elems[n-2])..., elems[0])`` (elems[n-1] starts it
    without an initializer)."""
    with get_default_graph().name_scope(name or "foldr"):
        return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, "foldr", backwards=True)


__all__ = ["map_fn", "scan", "foldl", "foldr"]
