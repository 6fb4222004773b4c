"""Static shapes: ``TensorShape`` and ``Dimension``, with unknown (``None``) dims and ranks."""
from __future__ import annotations

from typing import Any, Iterable, Optional


class Dimension:
    """One static dimension; ``value`` is an int or None (unknown), as in TF1."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        if isinstance(value, Dimension):
            value = value.value
        if value is not None:
            if int(value) != value or int(value) < 0:
                raise ValueError(f"Dimension {value!r} must be a non-negative integer or None")
            value = int(value)
        self.value = value

    def __int__(self) -> int:
        if self.value is None:
            raise TypeError("Cannot convert an unknown Dimension to an int")
        return self.value

    __index__ = __int__

    def __eq__(self, other: Any) -> Any:
        other = other.value if isinstance(other, Dimension) else other
        if self.value is None or other is None:
            return None
        return self.value == other

    def __ne__(self, other: Any) -> Any:
        eq = self.__eq__(other)
        return None if eq is None else not eq

    def __hash__(self) -> int:
        return hash(self.value)

    def _arith(self, other: Any, fn) -> "Dimension":
        other = other.value if isinstance(other, Dimension) else other
        return Dimension(None if self.value is None or other is None else fn(self.value, other))

    def __add__(self, o): return self._arith(o, lambda a, b: a + b)
    def __mul__(self, o): return self._arith(o, lambda a, b: a * b)
    def __floordiv__(self, o): return self._arith(o, lambda a, b: a // b)
    def __sub__(self, o): return self._arith(o, lambda a, b: a - b)
    __radd__ = __add__
    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Dimension({self.value})"

    def __str__(self) -> str:
        return "?" if self.value is None else str(self.value)


def dim_value(d: Any) -> Optional[int]:
    return d.value if isinstance(d, Dimension) else (None if d is None else int(d))


class TensorShape:
    """A static shape: a list of dims (int or None), or an unknown rank (``dims is None``)."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Any) -> None:
        if isinstance(dims, TensorShape):
            dims = dims._dims
        if dims is None:
            self._dims = None
        elif isinstance(dims, (int, Dimension)) and not isinstance(dims, bool):
            self._dims = (dim_value(dims),)
        else:
            self._dims = tuple(dim_value(d) for d in dims)
            for d in self._dims:
                if d is not None and d < 0:
                    raise ValueError(f"Shape {list(dims)} has a negative dimension")

    # TF1 API -------------------------------------------------------------------------------
    @property
    def dims(self) -> Optional[list]:
        return None if self._dims is None else [Dimension(d) for d in self._dims]

    @property
    def ndims(self) -> Optional[int]:
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self) -> list:
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def as_tuple(self) -> Optional[tuple]:
        """The dims as a tuple of ints/None, or None for an unknown rank (graphc's internal form)."""
        return self._dims

    def is_fully_defined(self) -> bool:
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self) -> Optional[int]:
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_compatible_with(self, other: Any) -> bool:
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other: Any) -> "TensorShape":
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def assert_is_compatible_with(self, other: Any) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of a shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(Dimension(d) for d in self._dims)

    def __getitem__(self, key: Any) -> Any:
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else Dimension(None)
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return Dimension(self._dims[key])

    def __eq__(self, other: Any) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self) -> int:
        return hash(self._dims)

    def __repr__(self) -> str:
        return f"TensorShape({None if self._dims is None else list(self._dims)})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        inner = ", ".join("?" if d is None else str(d) for d in self._dims)
        return f"({inner},)" if len(self._dims) == 1 else f"({inner})"


def as_shape(value: Any) -> TensorShape:
    return value if isinstance(value, TensorShape) else TensorShape(value)


def unknown_shape(ndims: Optional[int] = None) -> TensorShape:
    return TensorShape(None if ndims is None else [None] * ndims)
