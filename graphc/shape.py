"""Static shapes: ``TensorShape`` and ``Dimension``, with unknown (``None``) dims and ranks."""
from __future__ import annotations

from typing import Any, Callable, Optional


class Dimension:
    """One static dimension; ``value`` is an int or None (unknown), as in TF1."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        if isinstance(value, Dimension):
            value = value.value
        if value is not None:
            try:
                as_int = int(value)
            except (TypeError, ValueError):
                raise TypeError(f"Dimension value must be an integer or None, got {value!r}") from None
            if as_int != value:
                raise TypeError(f"Dimension value must be an integer or None, got {value!r}")
            if as_int < 0:
                raise ValueError(f"Dimension {as_int} must be >= 0")
            value = as_int
        self.value = value

    def __int__(self) -> int:
        if self.value is None:
            raise TypeError("Cannot convert an unknown Dimension to an int")
        return self.value

    __index__ = __int__

    # compatibility (TF1 API) ----------------------------------------------------------------
    def is_compatible_with(self, other: Any) -> bool:
        other = as_dimension(other)
        return self.value is None or other.value is None or self.value == other.value

    def assert_is_compatible_with(self, other: Any) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {as_dimension(other)} are not compatible")

    def merge_with(self, other: Any) -> "Dimension":
        other = as_dimension(other)
        self.assert_is_compatible_with(other)
        return Dimension(self.value if self.value is not None else other.value)

    # comparisons return None when either side is unknown, as in TF1 -------------------------
    def _compare(self, other: Any, fn: Callable[[int, int], bool]) -> Optional[bool]:
        other = as_dimension(other)
        if self.value is None or other.value is None:
            return None
        return fn(self.value, other.value)

    def __eq__(self, other: Any) -> Any:
        try:
            return self._compare(other, lambda a, b: a == b)
        except (TypeError, ValueError):
            return NotImplemented

    def __ne__(self, other: Any) -> Any:
        try:
            return self._compare(other, lambda a, b: a != b)
        except (TypeError, ValueError):
            return NotImplemented

    def __lt__(self, other: Any) -> Optional[bool]:
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other: Any) -> Optional[bool]:
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other: Any) -> Optional[bool]:
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other: Any) -> Optional[bool]:
        return self._compare(other, lambda a, b: a >= b)

    def __hash__(self) -> int:
        return hash(self.value)

    # arithmetic: unknown in, unknown out ----------------------------------------------------
    def _arith(self, other: Any, fn: Callable[[int, int], int]) -> "Dimension":
        other = as_dimension(other)
        if self.value is None or other.value is None:
            return Dimension(None)
        return Dimension(fn(self.value, other.value))

    def __add__(self, o: Any) -> "Dimension":
        return self._arith(o, lambda a, b: a + b)

    def __sub__(self, o: Any) -> "Dimension":
        return self._arith(o, lambda a, b: a - b)

    def __mul__(self, o: Any) -> "Dimension":
        return self._arith(o, lambda a, b: a * b)

    def __floordiv__(self, o: Any) -> "Dimension":
        return self._arith(o, lambda a, b: a // b)

    def __mod__(self, o: Any) -> "Dimension":
        return self._arith(o, lambda a, b: a % b)

    def __radd__(self, o: Any) -> "Dimension":
        return as_dimension(o) + self

    def __rsub__(self, o: Any) -> "Dimension":
        return as_dimension(o) - self

    def __rmul__(self, o: Any) -> "Dimension":
        return as_dimension(o) * self

    def __rfloordiv__(self, o: Any) -> "Dimension":
        return as_dimension(o) // self

    def __repr__(self) -> str:
        return f"Dimension({self.value})"

    def __str__(self) -> str:
        return "?" if self.value is None else str(self.value)


def as_dimension(value: Any) -> Dimension:
    return value if isinstance(value, Dimension) else Dimension(value)


def dimension_value(d: Any) -> Optional[int]:
    """The int (or None) of a Dimension or plain value (TF1 ``tf.compat.dimension_value``)."""
    return d.value if isinstance(d, Dimension) else (None if d is None else int(d))


dim_value = dimension_value


class TensorShape:
    """A static shape: a list of dims (int or None), or an unknown rank (``dims is None``)."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Any) -> None:
        if isinstance(dims, TensorShape):
            dims = dims._dims
        if dims is None:
            self._dims = None
        elif isinstance(dims, (int, Dimension)) and not isinstance(dims, bool):
            self._dims = (Dimension(dims).value,)
        else:
            try:
                items = list(dims)
            except TypeError:
                raise TypeError(f"Cannot make a TensorShape from {dims!r}: expected a list of "
                                "ints/None, an int, or None") from None
            self._dims = tuple(Dimension(d).value for d in items)

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

    def assert_is_fully_defined(self) -> None:
        if not self.is_fully_defined():
            raise ValueError(f"Shape {self} is not fully defined")

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

    def assert_is_compatible_with(self, other: Any) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are incompatible")

    def merge_with(self, other: Any) -> "TensorShape":
        """The most specific shape compatible with both; ValueError if they conflict."""
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def most_specific_compatible_shape(self, other: Any) -> "TensorShape":
        """The most specific shape that both ``self`` and ``other`` are compatible with."""
        other = as_shape(other)
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return TensorShape(None)
        return TensorShape([a if a == b else None for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other: Any) -> "TensorShape":
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def assert_has_rank(self, rank: int) -> None:
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def with_rank(self, rank: int) -> "TensorShape":
        try:
            return self.merge_with(unknown_shape(rank))
        except ValueError:
            raise ValueError(f"Shape {self} must have rank {rank}") from None

    def with_rank_at_least(self, rank: int) -> "TensorShape":
        if self._dims is not None and len(self._dims) < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def with_rank_at_most(self, rank: int) -> "TensorShape":
        if self._dims is not None and len(self._dims) > rank:
            raise ValueError(f"Shape {self} must have rank at most {rank}")
        return self

    # Python protocol -------------------------------------------------------------------------
    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __bool__(self) -> bool:  # TF1: true when the rank is known (even for a scalar)
        return self._dims is not None

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

    def __add__(self, other: Any) -> "TensorShape":
        return self.concatenate(other)

    def __radd__(self, other: Any) -> "TensorShape":
        return as_shape(other).concatenate(self)

    def __eq__(self, other: Any) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other: Any) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self._dims)

    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape([{', '.join(repr(Dimension(d)) for d in self._dims)}])"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        inner = ", ".join("?" if d is None else str(d) for d in self._dims)
        return f"({inner},)" if len(self._dims) == 1 else f"({inner})"


def as_shape(value: Any) -> TensorShape:
    return value if isinstance(value, TensorShape) else TensorShape(value)


def unknown_shape(ndims: Optional[int] = None, rank: Optional[int] = None) -> TensorShape:
    ndims = rank if ndims is None else ndims
    return TensorShape(None if ndims is None else [None] * ndims)
