"""Nested structures of tensors: flatten, pack_sequence_as, map_structure, assert_same_structure.

A structure is a tuple, list, dict (flattened in sorted key order, as TF1), namedtuple, or a
*composite*: any object with ``_flat_tensors() -> list`` and ``_with_flat_tensors(tensors)`` (a
TensorArray, say), optionally ``_flat_shape_invariants()``. Anything else, None included, is a leaf.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence


def is_composite(x: Any) -> bool:
    return hasattr(x, "_flat_tensors") and hasattr(x, "_with_flat_tensors")


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_sequence(x: Any) -> bool:
    """Whether ``x`` has children (a container or composite), not a leaf."""
    return isinstance(x, (list, tuple, dict)) or is_composite(x)


def _children(x: Any) -> list:
    if isinstance(x, dict):
        return [x[k] for k in _sorted_keys(x)]
    if is_composite(x):
        return list(x._flat_tensors())
    return list(x)


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        raise TypeError(f"nest only supports dicts with sortable keys, got keys {list(d)}") from None


def flatten(structure: Any) -> list:
    """The leaves of ``structure``, depth first."""
    if not is_sequence(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child)]


def _rebuild(like: Any, children: list) -> Any:
    if isinstance(like, dict):
        keyed = dict(zip(_sorted_keys(like), children))
        return type(like)((k, keyed[k]) for k in like)
    if is_composite(like):
        return like._with_flat_tensors(children)
    if _is_namedtuple(like):
        return type(like)(*children)
    if isinstance(like, tuple):
        return tuple(children)
    return list(children)


def pack_sequence_as(structure: Any, flat_sequence: Sequence) -> Any:
    """``flat_sequence`` arranged like ``structure`` (which must have as many leaves)."""
    flat_sequence = list(flat_sequence)
    n = len(flatten(structure))
    if len(flat_sequence) != n:
        raise ValueError(f"Could not pack sequence. Structure had {n} elements, but flat_sequence had "
                         f"{len(flat_sequence)} elements. Structure: {structure!r}, flat_sequence: {flat_sequence!r}.")
    pos = [0]

    def build(s: Any) -> Any:
        if not is_sequence(s):
            pos[0] += 1
            return flat_sequence[pos[0] - 1]
        return _rebuild(s, [build(c) for c in _children(s)])
    return build(structure)


def _kind(x: Any) -> Any:
    if _is_namedtuple(x) or is_composite(x):
        return type(x)
    if isinstance(x, dict):
        return dict
    if isinstance(x, (list, tuple)):
        return (list, tuple)  # TF1's assert_same_structure(check_types=False) level: sequences alike
    return None


def assert_same_structure(nest1: Any, nest2: Any, check_types: bool = True) -> None:
    """ValueError if the two structures nest differently, TypeError if their container types differ."""
    def walk(a: Any, b: Any) -> None:
        sa, sb = is_sequence(a), is_sequence(b)
        if sa != sb:
            raise ValueError(f"The two structures don't have the same nested structure.\n\nFirst structure: "
                             f"{nest1!r}\n\nSecond structure: {nest2!r}\n\nMore specifically: Substructure "
                             f"{a if sa else b!r} is a sequence, while substructure {b if sa else a!r} is not")
        if not sa:
            return
        if check_types and (type(a) is not type(b)) and not (isinstance(a, dict) and isinstance(b, dict)):
            raise TypeError(f"The two structures don't have the same sequence type. Input structure has type "
                            f"{type(a)!r}, while shallow structure has type {type(b)!r}.")
        if isinstance(a, dict) and isinstance(b, dict) and set(a) != set(b):
            raise ValueError(f"The two dictionaries don't have the same set of keys. First structure has keys "
                             f"{sorted(a)}, while second structure has keys {sorted(b)}.")
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb):
            raise ValueError(f"The two structures don't have the same number of elements.\n\nFirst structure "
                             f"({len(flatten(nest1))} elements): {nest1!r}\n\nSecond structure "
                             f"({len(flatten(nest2))} elements): {nest2!r}")
        for x, y in zip(ca, cb):
            walk(x, y)
    walk(nest1, nest2)


def map_structure(func: Callable, *structures: Any, check_types: bool = True) -> Any:
    """``func`` applied leaf by leaf across ``structures`` (all of the first one's structure)."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    for other in structures[1:]:
        assert_same_structure(structures[0], other, check_types=check_types)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [func(*leaves) for leaves in zip(*flats)])


__all__ = ["flatten", "pack_sequence_as", "map_structure", "assert_same_structure", "is_sequence"]
