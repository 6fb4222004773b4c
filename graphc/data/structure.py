"""Nested element structures (tuples, lists, dicts, namedtuples of components) and their specs.

A dataset element is a nest of components; graphc flattens it in TF1's order (dict keys
sorted) to move it as a flat list of numpy arrays, and packs it back for the user. A sparse
component (a ``SparseTensor``, described by a ``SparseSpec``) flattens to its three arrays
(indices, values, dense_shape) and packs back into a SparseTensor (or a ``SparseTensorValue``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops.sparse import SparseTensor, SparseTensorValue
from graphc.shape import TensorShape, as_shape


def is_nest(value: Any) -> bool:
    """Tuples, lists (only where TF1 treats them as structure) and dicts are nests."""
    return isinstance(value, (tuple, dict))


def flatten(structure: Any) -> list:
    """The components of ``structure`` in TF1's order (dict keys sorted); a sparse component
    gives its three parts."""
    if isinstance(structure, _SPARSE):
        return structure.parts() if isinstance(structure, SparseSpec) else \
            [structure.indices, structure.values, structure.dense_shape]
    if isinstance(structure, dict):
        return [c for k in sorted(structure) for c in flatten(structure[k])]
    if isinstance(structure, tuple):
        return [c for item in structure for c in flatten(item)]
    return [structure]


def pack(structure: Any, flat: list) -> Any:
    """``flat`` components rebuilt into the shape of ``structure``."""
    it = iter(flat)
    out = _pack(structure, it)
    rest = list(it)
    if rest:
        raise ValueError(f"{len(rest)} components left over packing into {structure!r}")
    return out


def _pack(structure: Any, it: Any) -> Any:
    if isinstance(structure, _SPARSE):
        return _pack_sparse(structure, next(it), next(it), next(it))
    if isinstance(structure, dict):
        values = {k: _pack(structure[k], it) for k in sorted(structure)}
        return {k: values[k] for k in structure}
    if isinstance(structure, tuple):
        items = [_pack(s, it) for s in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    return next(it)


def _pack_sparse(template: Any, indices: Any, values: Any, dense_shape: Any) -> Any:
    """Three parts as the template's kind of sparse component: specs, tensors or arrays."""
    if isinstance(template, (SparseSpec, SparseTensor)):
        shape = template.shape
    else:   # a SparseTensorValue: its dense shape is known
        shape = TensorShape([int(d) for d in np.asarray(template.dense_shape).reshape(-1)])
    if isinstance(values, Spec):
        return SparseSpec(values.dtype, shape)
    if isinstance(values, Tensor):
        out = SparseTensor(indices, values, dense_shape)
        out._dense_shape_default = shape if shape.ndims is not None else None
        return out
    return SparseTensorValue(indices, values, dense_shape)


def map_leaves(fn: Callable, structure: Any) -> Any:
    """``structure`` with ``fn`` applied to each component, a sparse one whole (not its parts)."""
    if isinstance(structure, _SPARSE):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: map_leaves(fn, v) for k, v in structure.items()}
    if isinstance(structure, tuple):
        items = [map_leaves(fn, v) for v in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    return fn(structure)


def sparse_positions(specs: Any) -> list:
    """The flat position of the first part of each sparse component of ``specs``."""
    out, position = [], 0
    for leaf in _leaves(specs):
        if isinstance(leaf, SparseSpec):
            out.append(position)
        position += len(flatten(leaf))
    return out


def has_sparse(structure: Any) -> bool:
    """Whether a nest of values or specs has a sparse component."""
    return any(isinstance(leaf, _SPARSE) for leaf in _leaves(structure))


def _leaves(structure: Any) -> list:
    if isinstance(structure, _SPARSE):
        return [structure]
    if isinstance(structure, dict):
        return [c for k in sorted(structure) for c in _leaves(structure[k])]
    if isinstance(structure, tuple):
        return [c for item in structure for c in _leaves(item)]
    return [structure]


def map_structure(fn: Callable, structure: Any) -> Any:
    """``structure`` with ``fn`` applied to each component."""
    return pack(structure, [fn(c) for c in flatten(structure)])


def same_structure(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` nest the same way (same dict keys, same tuple lengths)."""
    if isinstance(a, _SPARSE) or isinstance(b, _SPARSE):
        return isinstance(a, _SPARSE) and isinstance(b, _SPARSE)
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b) and all(
            same_structure(a[k], b[k]) for k in a)
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(
            same_structure(x, y) for x, y in zip(a, b))
    return True


def infer_dtype(value: Any) -> dtypes.DType:
    """The dtype TF1 gives a Python or numpy value: numpy arrays keep theirs, Python floats are
    float32, Python ints int32, bytes/str strings."""
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype.kind in "SUO":
            return dtypes.string
        return dtypes.as_dtype(arr.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind in "SUO":
        return dtypes.string
    if arr.dtype.kind == "f":
        return dtypes.float32
    if arr.dtype.kind in "iu":
        return dtypes.int32
    if arr.dtype.kind == "b":
        return dtypes.bool_
    return dtypes.as_dtype(arr.dtype)


def to_array(value: Any, dtype: dtypes.DType) -> np.ndarray:
    """``value`` as a numpy array of ``dtype`` (strings as object arrays of bytes)."""
    if dtype is dtypes.string:
        arr = np.asarray(value, dtype=object)
        flat = [v.encode() if isinstance(v, str) else (bytes(v) if isinstance(v, np.bytes_) else v)
                for v in arr.reshape(-1)]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(arr.shape)
    return np.asarray(value, dtype=dtype.np_type)


class ElementError:
    """An element whose computation failed (a ``map`` function raised): it travels down the
    pipeline in the element's place and is raised by the run that takes it, so the elements after
    it still arrive, as in TF1."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Spec:
    """One component's static description: dtype and (possibly partial) shape."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: Any, shape: Any) -> None:
        self.dtype = dtypes.as_dtype(dtype)
        self.shape = as_shape(shape)

    def __repr__(self) -> str:
        return f"Spec({self.dtype.name}, {self.shape})"


class SparseSpec:
    """A sparse component's static description: its values' dtype and its dense shape."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: Any, shape: Any) -> None:
        self.dtype = dtypes.as_dtype(dtype)
        self.shape = as_shape(shape)

    def parts(self) -> list:
        """Specs of indices ``[N, rank]``, values ``[N]`` and dense_shape ``[rank]``."""
        rank = self.shape.ndims
        return [Spec(dtypes.int64, [None, rank]), Spec(self.dtype, [None]), Spec(dtypes.int64, [rank])]

    def __repr__(self) -> str:
        return f"SparseSpec({self.dtype.name}, {self.shape})"


_SPARSE = (SparseSpec, SparseTensor, SparseTensorValue)


def types_of(specs: Any) -> Any:
    """The ``output_types`` nest of a spec nest."""
    return map_leaves(lambda s: s.dtype, specs)


def shapes_of(specs: Any) -> Any:
    """The ``output_shapes`` nest of a spec nest."""
    return map_leaves(lambda s: s.shape, specs)


def classes_of(specs: Any) -> Any:
    """The ``output_classes`` nest of a spec nest (``tf.Tensor`` or ``tf.SparseTensor``)."""
    return map_leaves(lambda s: SparseTensor if isinstance(s, SparseSpec) else Tensor, specs)


class ElementStructure:
    """TF1's ``output_types``/``output_shapes``/``output_classes`` of an object whose elements are
    described by the spec nest ``self._specs`` (datasets and iterators)."""

    _specs: Any

    @property
    def output_types(self) -> Any:
        """The dtypes of an element's components, nested like the element."""
        return types_of(self._specs)

    @property
    def output_shapes(self) -> Any:
        """The static shapes of an element's components, nested like the element."""
        return shapes_of(self._specs)

    @property
    def output_classes(self) -> Any:
        """The Python class of each component (``tf.Tensor``), nested like the element."""
        return classes_of(self._specs)


def specs_from(types: Any, shapes: Any = None) -> Any:
    """A spec nest from TF1's ``output_types`` and optional ``output_shapes`` nests."""
    if shapes is None:
        return map_structure(lambda t: Spec(t, None), types)
    if not same_structure(types, shapes) and is_nest(types):
        raise TypeError(f"output_shapes {shapes!r} does not match the structure of output_types {types!r}")
    if not is_nest(types):
        return Spec(types, shapes)
    return pack(types, [Spec(t, s) for t, s in zip(flatten(types), flatten_shapes(shapes, types))])


def flatten_shapes(shapes: Any, types: Any) -> list:
    """``shapes`` flattened alongside ``types`` (a shape given as a list is one shape, not a nest)."""
    if isinstance(types, dict):
        return [s for k in sorted(types) for s in flatten_shapes(shapes[k], types[k])]
    if isinstance(types, tuple):
        return [s for t, sh in zip(types, shapes) for s in flatten_shapes(sh, t)]
    return [shapes]


def most_specific_compatible(a: TensorShape, b: TensorShape) -> TensorShape:
    """The most specific shape both ``a`` and ``b`` are instances of (unknown where they differ)."""
    da, db = a.as_tuple(), b.as_tuple()
    if da is None or db is None or len(da) != len(db):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(da, db)])


def check_value(spec: Spec, value: np.ndarray, what: str) -> None:
    """InvalidArgumentError unless ``value``'s shape fits ``spec``'s static shape."""
    from graphc import errors

    dims = spec.shape.as_tuple()
    if dims is not None and (len(dims) != value.ndim or any(d is not None and d != n
                                                          for d, n in zip(dims, value.shape))):
        raise errors.InvalidArgumentError(None, None, f"{what}: expected a value of shape {spec.shape}, "
                                                      f"got one of shape {list(value.shape)}")
