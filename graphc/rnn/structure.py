"""Nested structures of RNN states and sizes: tuples, lists, namedtuples (``LSTMStateTuple``), dicts.

``flatten`` lists the leaves depth first (dict values in sorted key order, as TF1's ``nest``);
``pack_sequence_as`` rebuilds a structure from such a list; ``map_structure`` applies a function
leaf by leaf over structures of the same shape.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator


def is_nested(value: Any) -> bool:
    """Whether ``value`` is a tuple, list or dict (a structure, not a leaf)."""
    return isinstance(value, (tuple, list, dict))


def _children(value: Any) -> list:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    return list(value)


def flatten(value: Any) -> list:
    """The leaves of ``value`` in order; a leaf flattens to ``[leaf]``."""
    if not is_nested(value):
        return [value]
    return [leaf for child in _children(value) for leaf in flatten(child)]


def _rebuild(structure: Any, children: list) -> Any:
    if isinstance(structure, dict):
        return type(structure)(zip(sorted(structure), children))
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):   # a namedtuple
        return type(structure)(*children)
    return type(structure)(children)


def pack_sequence_as(structure: Any, flat: list) -> Any:
    """``structure`` with its leaves replaced, in order, by the elements of ``flat``."""
    leaves = iter(flat)
    packed = _pack(structure, leaves)
    if next(leaves, _END) is not _END or len(flatten(structure)) != len(flat):
        raise ValueError(f"Could not pack sequence: the structure has {len(flatten(structure))} leaves but "
                         f"{len(flat)} values were given")
    return packed


_END = object()


def _pack(structure: Any, leaves: Iterator) -> Any:
    if not is_nested(structure):
        value = next(leaves, _END)
        if value is _END:
            raise ValueError("Could not pack sequence: too few values for the structure")
        return value
    return _rebuild(structure, [_pack(child, leaves) for child in _children(structure)])


def assert_same_structure(a: Any, b: Any) -> None:
    """ValueError unless ``a`` and ``b`` nest the same way (same kinds and lengths)."""
    if is_nested(a) != is_nested(b):
        raise ValueError(f"The two structures don't have the same nested structure: {a!r} and {b!r}")
    if not is_nested(a):
        return
    if type(a) is not type(b) and not (isinstance(a, list) and isinstance(b, list)):
        raise TypeError(f"The two structures don't have the same sequence type: {type(a).__name__} and "
                        f"{type(b).__name__} ({a!r} and {b!r})")
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb) or (isinstance(a, dict) and sorted(a) != sorted(b)):
        raise ValueError(f"The two structures don't have the same number of elements: {a!r} and {b!r}")
    for x, y in zip(ca, cb):
        assert_same_structure(x, y)


def map_structure(fn: Callable, *structures: Any) -> Any:
    """``fn`` applied to corresponding leaves of ``structures``, packed as the first one."""
    for s in structures[1:]:
        assert_same_structure(structures[0], s)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [fn(*leaves) for leaves in zip(*flats)])
