"""Python operators on Tensors and Variables (``a + b``, ``x[1:, None]``, ``a @ b``, ...).

One table maps each dunder method to the graphc function and the TF1 node name it gives.
"""
from __future__ import annotations

from graphc.graph import Tensor
from graphc.ops import array, linalg
from graphc.ops import math as m


def _binary(fn, name, reverse=False):
    if reverse:
        return lambda self, other: fn(other, self, name=name)
    return lambda self, other: fn(self, other, name=name)


_BINARY = {
    "add": (m.add, "add"),
    "sub": (m.subtract, "sub"),
    "mul": (m.multiply, "mul"),
    "truediv": (m.truediv, "truediv"),
    "floordiv": (m.floordiv, "floordiv"),
    "mod": (m.mod, "mod"),
    "pow": (m.pow, "pow"),
    "matmul": (linalg.matmul, "matmul"),
    "and": (m.logical_and, "and"),
    "or": (m.logical_or, "or"),
    "xor": (m.logical_xor, "xor"),
}
_COMPARE = {"lt": (m.less, "Less"), "le": (m.less_equal, "LessEqual"),
            "gt": (m.greater, "Greater"), "ge": (m.greater_equal, "GreaterEqual")}
_UNARY = {"neg": (m.negative, "Neg"), "abs": (m.abs, "Abs"), "invert": (m.logical_not, "LogicalNot")}


def install(cls: type) -> None:
    """Adds the operator methods to ``cls`` (Tensor, Variable)."""
    for key, (fn, name) in _BINARY.items():
        setattr(cls, f"__{key}__", _binary(fn, name))
        setattr(cls, f"__r{key}__", _binary(fn, name, reverse=True))
    for key, (fn, name) in _COMPARE.items():
        setattr(cls, f"__{key}__", _binary(fn, name))
    for key, (fn, name) in _UNARY.items():
        setattr(cls, f"__{key}__", (lambda f, n: lambda self: f(self, name=n))(fn, name))
    cls.__getitem__ = lambda self, key: array.getitem(self, key)


install(Tensor)
