"""Elementwise math: unary and binary ops with NumPy/TF broadcasting, comparisons, logic, cast.

The op tables below are the single definition of each op: numpy kernel, allowed dtypes and
gradient rule. Gradients are written with graphc ops, so they are graphs themselves (and can be
differentiated again).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops.core import OpDef, _graph_of, apply, broadcast_shape, convert_n, convert_to_tensor, register
from graphc.shape import TensorShape

# dtype classes an op accepts
FLOAT = "float"
NUMERIC = "numeric"
BOOL = "bool"
ANY = "any"
_ALLOWED = {
    FLOAT: lambda d: d.is_floating,
    NUMERIC: lambda d: d.is_floating or d.is_integer,
    BOOL: lambda d: d.is_bool,
    ANY: lambda d: True,
}


def _check_dtype(op_type: str, allowed: str, t: Tensor) -> None:
    if not _ALLOWED[allowed](t.dtype):
        raise TypeError(f"Value passed to {op_type} ({t.name}) has dtype {t.dtype.name}, which is not "
                        f"allowed: {op_type} needs a {allowed} tensor. Use tf.cast first.")


def _unary_infer(op_type: str, allowed: str, out_dtype: Optional[dtypes.DType]) -> Callable:
    def infer(inputs, attrs):
        _check_dtype(op_type, allowed, inputs[0])
        return [(out_dtype or inputs[0].dtype, inputs[0].shape)]
    return infer


def _nary_infer(op_type: str, allowed: str, out_dtype: Optional[dtypes.DType]) -> Callable:
    def infer(inputs, attrs):
        first = inputs[0]
        for t in inputs:
            _check_dtype(op_type, allowed, t)
            if t.dtype is not first.dtype:
                raise TypeError(f"{op_type} needs operands of one dtype, but {first.name} is "
                                f"{first.dtype.name} {first.shape} and {t.name} is {t.dtype.name} {t.shape}")
        shape = first.shape
        for t in inputs[1:]:
            shape = broadcast_shape(shape, t.shape, first.name, t.name)
        return [(out_dtype or first.dtype, shape)]
    return infer


def _define(op_type: str, arity: int, numpy_fn: Callable, grad: Optional[Callable], allowed: str,
            out_dtype: Optional[dtypes.DType] = None) -> None:
    infer = (_unary_infer if arity == 1 else _nary_infer)(op_type, allowed, out_dtype)
    register(OpDef(op_type, "elementwise", infer=infer, numpy=numpy_fn, grad=grad,
                   differentiable=grad is not None, **_FACTS.get(op_type, {})))


# The compiler's facts about the table ops below (OpDef's docstring says what each means):
# weight and cost price libm calls and polynomials; ufunc names numpy's function for the op.
_FACTS: dict = {
    "Abs": dict(nonnegative=True),
    "Square": dict(nonnegative=True),
    "Relu": dict(nonnegative=True),
    "Sqrt": dict(weight=2, cost=1, nonnegative=True, ufunc="sqrt"),
    "Rsqrt": dict(weight=2, cost=1),
    "Exp": dict(weight=8, cost=4, nonnegative=True),
    "Log": dict(weight=2, cost=4, ufunc="log"),
    "Log1p": dict(weight=2, cost=4, ufunc="log1p"),
    "Expm1": dict(weight=2, cost=4, ufunc="expm1"),
    "Sin": dict(weight=2, cost=4, ufunc="sin"),
    "Cos": dict(weight=2, cost=4, ufunc="cos"),
    "Tanh": dict(weight=8, cost=4),
    "Sigmoid": dict(weight=8, cost=4, nonnegative=True),
    "Elu": dict(weight=4, cost=4),
    "Softplus": dict(weight=4, cost=8, nonnegative=True),
    "Floor": dict(ufunc="floor"),
    "Ceil": dict(ufunc="ceil"),
    "RealDiv": dict(cost=1),
    "FloorMod": dict(weight=4, cost=2),
    "Pow": dict(weight=2, cost=8, ufunc="power"),
    "IsNan": dict(ufunc="isnan"),
    "IsInf": dict(ufunc="isinf"),
    "IsFinite": dict(ufunc="isfinite"),
}


def _zeros_grad(op, g):
    return [array_zeros_like(op.inputs[0])]


def array_zeros_like(x: Tensor) -> Tensor:
    return array.broadcast_to(convert_to_tensor(0, dtype=x.dtype), array.shape(x))


def _x(op, i=0):
    return op.inputs[i]


def _y(op):
    return op.outputs[0]


def _sigmoid_np(x):
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-x))).astype(x.dtype, copy=False)


def _check_int_divisor(x, y) -> None:
    if np.asarray(x).dtype.kind in "iu" and np.any(np.asarray(y) == 0):
        raise ValueError("Integer division by zero: the divisor has a zero element.")


def _floordiv_np(x, y):
    """TF's FloorDiv: floor(x / y) for floats (not numpy's fmod-based floor_divide)."""
    _check_int_divisor(x, y)
    if np.asarray(x).dtype.kind == "f":
        return np.floor(np.true_divide(x, y))
    return np.floor_divide(x, y)


def _floormod_np(x, y):
    """TF's FloorMod: the result has the sign of y (Python's %)."""
    _check_int_divisor(x, y)
    return np.mod(x, y)


def _int_pow(x, y):
    if np.issubdtype(np.asarray(y).dtype, np.integer) and np.any(np.asarray(y) < 0):
        raise ValueError("Integers to negative integer powers are not allowed.")
    return np.power(x, y)


# ------------------------------------------------------------------------------------------------
# unary ops: (type, numpy, gradient in terms of the op and its output gradient g, dtypes)
_UNARY = [
    ("Neg", np.negative, lambda op, g: [-g], NUMERIC),
    ("Abs", np.abs, lambda op, g: [g * sign(_x(op))], NUMERIC),
    ("Sign", np.sign, _zeros_grad, NUMERIC),
    ("Square", np.square, lambda op, g: [g * (2 * _x(op))], NUMERIC),
    ("Sqrt", np.sqrt, lambda op, g: [g * 0.5 / _y(op)], FLOAT),
    ("Rsqrt", lambda x: (1 / np.sqrt(x)).astype(x.dtype, copy=False),
     lambda op, g: [g * -0.5 * _y(op) * _y(op) * _y(op)], FLOAT),
    ("Exp", np.exp, lambda op, g: [g * _y(op)], FLOAT),
    ("Log", np.log, lambda op, g: [g / _x(op)], FLOAT),
    ("Log1p", np.log1p, lambda op, g: [g / (1 + _x(op))], FLOAT),
    ("Expm1", np.expm1, lambda op, g: [g * exp(_x(op))], FLOAT),
    ("Sin", np.sin, lambda op, g: [g * cos(_x(op))], FLOAT),
    ("Cos", np.cos, lambda op, g: [-g * sin(_x(op))], FLOAT),
    ("Tanh", np.tanh, lambda op, g: [g * (1 - _y(op) * _y(op))], FLOAT),
    ("Sigmoid", _sigmoid_np, lambda op, g: [g * _y(op) * (1 - _y(op))], FLOAT),
    ("Reciprocal", lambda x: (1 / x).astype(x.dtype, copy=False), lambda op, g: [-g * _y(op) * _y(op)], FLOAT),
    ("Floor", np.floor, None, FLOAT),
    ("Ceil", np.ceil, None, FLOAT),
    ("Round", np.round, None, NUMERIC),
    ("Relu", lambda x: np.maximum(x, x.dtype.type(0)),
     lambda op, g: [where(greater(_y(op), 0), g, array_zeros_like(g))], NUMERIC),
    ("Elu", lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False),
     lambda op, g: [where(greater(_x(op), 0), g, g * (_y(op) + 1))], FLOAT),
    ("Softplus", lambda x: np.logaddexp(x.dtype.type(0), x),
     lambda op, g: [g * sigmoid(_x(op))], FLOAT),
    ("LogicalNot", np.logical_not, None, BOOL),
]
for _t, _f, _g, _allowed in _UNARY:
    _define(_t, 1, _f, _g, _allowed)


def _maximum_grad(op, g):
    x, y = op.inputs
    mask = greater_equal(x, y)
    zeros = array_zeros_like(g)
    return [array.unbroadcast(where(mask, g, zeros), x), array.unbroadcast(where(mask, zeros, g), y)]


def _minimum_grad(op, g):
    x, y = op.inputs
    mask = less_equal(x, y)
    zeros = array_zeros_like(g)
    return [array.unbroadcast(where(mask, g, zeros), x), array.unbroadcast(where(mask, zeros, g), y)]


def _pow_grad(op, g):
    x, y = op.inputs
    z = op.outputs[0]
    gx = g * y * pow(x, y - 1)
    safe_log = where(greater(x, 0), log(where(greater(x, 0), x, array_zeros_like(x) + 1)), array_zeros_like(x))
    gy = g * z * safe_log
    return [array.unbroadcast(gx, x), array.unbroadcast(gy, y)]


def _binary(fx: Callable, fy: Callable) -> Callable:
    """A gradient rule from per-input expressions; results are summed back to each input's shape."""
    def grad(op, g):
        x, y = op.inputs
        return [array.unbroadcast(fx(g, x, y, op.outputs[0]), x), array.unbroadcast(fy(g, x, y, op.outputs[0]), y)]
    return grad


_BINARY = [
    ("Add", np.add, _binary(lambda g, x, y, z: g, lambda g, x, y, z: g), NUMERIC),
    ("Sub", np.subtract, _binary(lambda g, x, y, z: g, lambda g, x, y, z: -g), NUMERIC),
    ("Mul", np.multiply, _binary(lambda g, x, y, z: g * y, lambda g, x, y, z: g * x), NUMERIC),
    ("RealDiv", np.true_divide, _binary(lambda g, x, y, z: g / y, lambda g, x, y, z: g * (-x / y / y)), FLOAT),
    ("FloorDiv", _floordiv_np, None, NUMERIC),
    ("FloorMod", _floormod_np, _binary(lambda g, x, y, z: g, lambda g, x, y, z: -g * floordiv(x, y)), NUMERIC),
    ("Pow", _int_pow, _pow_grad, NUMERIC),
    ("Maximum", np.maximum, _maximum_grad, NUMERIC),
    ("Minimum", np.minimum, _minimum_grad, NUMERIC),
]
for _t, _f, _g, _allowed in _BINARY:
    _define(_t, 2, _f, _g, _allowed)

_COMPARISONS = [
    ("Equal", np.equal, ANY), ("NotEqual", np.not_equal, ANY), ("Less", np.less, NUMERIC),
    ("LessEqual", np.less_equal, NUMERIC), ("Greater", np.greater, NUMERIC),
    ("GreaterEqual", np.greater_equal, NUMERIC), ("LogicalAnd", np.logical_and, BOOL),
    ("LogicalOr", np.logical_or, BOOL),
]
for _t, _f, _allowed in _COMPARISONS:
    _define(_t, 2, _f, None, _allowed, out_dtype=dtypes.bool_)
for _t, _f in (("IsNan", np.isnan), ("IsInf", np.isinf), ("IsFinite", np.isfinite)):
    _define(_t, 1, _f, None, FLOAT, out_dtype=dtypes.bool_)


def _addn_grad(op, g):
    return [g for _ in op.inputs]


def _addn_infer(inputs, attrs):
    """AddN does not broadcast (as TF1): all shapes must agree; partial shapes are merged."""
    first = inputs[0]
    shape = first.shape
    for t in inputs:
        _check_dtype("AddN", NUMERIC, t)
        if t.dtype is not first.dtype:
            raise TypeError(f"AddN needs inputs of one dtype, but {first.name} is {first.dtype.name} "
                            f"and {t.name} is {t.dtype.name}. Use tf.cast to convert one.")
        if not shape.is_compatible_with(t.shape):
            raise ValueError(f"add_n needs inputs of one shape (it does not broadcast), but {first.name} "
                             f"has shape {first.shape} and {t.name} has shape {t.shape}. Use tf.add to broadcast.")
        shape = shape.merge_with(t.shape)
    return [(first.dtype, shape)]


def _addn_np(*xs):
    out = xs[0].copy()
    for x in xs[1:]:
        out += x
    return out


register(OpDef("AddN", "elementwise", infer=_addn_infer, numpy=_addn_np, grad=_addn_grad))


# Select (where): cond, x, y -> broadcast of the three
def _select_infer(inputs, attrs):
    c, x, y = inputs
    if not c.dtype.is_bool:
        raise TypeError(f"where: condition {c.name} must be bool, got {c.dtype.name}")
    if x.dtype is not y.dtype:
        raise TypeError(f"where: {x.name} is {x.dtype.name} {x.shape} but {y.name} is {y.dtype.name} {y.shape}")
    shape = broadcast_shape(broadcast_shape(c.shape, x.shape, c.name, x.name), y.shape, "the condition and x", y.name)
    return [(x.dtype, shape)]


def _select_grad(op, g):
    c, x, y = op.inputs
    zeros = array_zeros_like(g)
    return [None, array.unbroadcast(where(c, g, zeros), x), array.unbroadcast(where(c, zeros, g), y)]


register(OpDef("Select", "elementwise", infer=_select_infer, numpy=np.where, grad=_select_grad))


# Cast
def _cast_infer(inputs, attrs):
    return [(attrs["dtype"], inputs[0].shape)]


def _cast_grad(op, g):
    src = op.inputs[0].dtype
    if src.is_floating and op.outputs[0].dtype.is_floating:
        return [cast(g, src)]
    return [None]


register(OpDef("Cast", "elementwise", infer=_cast_infer, grad=_cast_grad,
               numpy=lambda x, dtype: np.asarray(x).astype(dtype.np_type)))


# ------------------------------------------------------------------------------------------------
# public API

@contextlib.contextmanager
def _op_scope(values: list, name: str) -> Iterator[str]:
    """The name scope of a composite op, opened in the graph of its operands (as TF1 does)."""
    graph = _graph_of(values)
    with graph.as_default(), graph.name_scope(name) as scope:
        yield scope


def _unary_fn(op_type: str, doc: str) -> Callable:
    def fn(x: Any, name: Optional[str] = None) -> Tensor:
        return apply(op_type, [x], name=name or op_type)
    fn.__doc__ = doc
    return fn


negative = _unary_fn("Neg", "Elementwise -x.")
abs = _unary_fn("Abs", "Elementwise |x|.")
sign = _unary_fn("Sign", "Elementwise sign: -1, 0 or 1 (0 for -0.0, nan for nan).")
square = _unary_fn("Square", "Elementwise x*x.")
sqrt = _unary_fn("Sqrt", "Elementwise square root (nan for x < 0).")
rsqrt = _unary_fn("Rsqrt", "Elementwise 1/sqrt(x).")
exp = _unary_fn("Exp", "Elementwise e**x.")
log = _unary_fn("Log", "Elementwise natural logarithm.")
log1p = _unary_fn("Log1p", "Elementwise log(1 + x), accurate for small x.")
expm1 = _unary_fn("Expm1", "Elementwise exp(x) - 1, accurate for small x.")
sin = _unary_fn("Sin", "Elementwise sine.")
cos = _unary_fn("Cos", "Elementwise cosine.")
tanh = _unary_fn("Tanh", "Elementwise hyperbolic tangent.")
sigmoid = _unary_fn("Sigmoid", "Elementwise 1 / (1 + exp(-x)).")
reciprocal = _unary_fn("Reciprocal", "Elementwise 1/x.")
floor = _unary_fn("Floor", "Elementwise floor.")
ceil = _unary_fn("Ceil", "Elementwise ceiling.")
logical_not = _unary_fn("LogicalNot", "Elementwise not of a bool tensor.")
is_nan = _unary_fn("IsNan", "Elementwise x is NaN (bool).")
is_inf = _unary_fn("IsInf", "Elementwise x is +inf or -inf (bool).")
is_finite = _unary_fn("IsFinite", "Elementwise x is neither NaN nor infinite (bool).")
relu = _unary_fn("Relu", "Elementwise max(x, 0).")
elu = _unary_fn("Elu", "Elementwise x if x > 0 else exp(x) - 1.")
softplus = _unary_fn("Softplus", "Elementwise log(exp(x) + 1), computed stably.")


def round(x: Any, name: Optional[str] = None) -> Tensor:
    """Elementwise rounding, half to even (as TF1); integer tensors are returned unchanged."""
    x = convert_to_tensor(x)
    if x.dtype.is_integer:
        return x
    return apply("Round", [x], name=name or "Round")


def _in_graph_of(values: list):
    """Makes the operands' graph the default, so Python operands become constants there (as TF1)."""
    return _graph_of(values).as_default()


def _binary_fn(op_type: str, default_name: str, doc: str) -> Callable:
    def fn(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
        with _in_graph_of([x, y]):
            return apply(op_type, convert_n([x, y]), name=name or default_name)
    fn.__doc__ = doc
    return fn


add = _binary_fn("Add", "Add", "x + y with broadcasting.")
subtract = _binary_fn("Sub", "Sub", "x - y with broadcasting.")
multiply = _binary_fn("Mul", "Mul", "x * y with broadcasting.")
floordiv = _binary_fn("FloorDiv", "floordiv", "floor(x / y) with broadcasting.")
floor_div = _binary_fn("FloorDiv", "FloorDiv", "floor(x / y) with broadcasting (default name FloorDiv).")
mod = _binary_fn("FloorMod", "FloorMod", "x mod y with the sign of y (Python's %).")
floormod = mod
pow = _binary_fn("Pow", "Pow", "x ** y with broadcasting.")
realdiv = _binary_fn("RealDiv", "RealDiv", "x / y for float tensors (no integer conversion).")
maximum = _binary_fn("Maximum", "Maximum", "Elementwise max (nan propagates); ties send the gradient to x (as TF1).")
minimum = _binary_fn("Minimum", "Minimum", "Elementwise min (nan propagates); ties send the gradient to x (as TF1).")
equal = _binary_fn("Equal", "Equal", "Elementwise x == y (bool).")
not_equal = _binary_fn("NotEqual", "NotEqual", "Elementwise x != y (bool).")
less = _binary_fn("Less", "Less", "Elementwise x < y (bool).")
less_equal = _binary_fn("LessEqual", "LessEqual", "Elementwise x <= y (bool).")
greater = _binary_fn("Greater", "Greater", "Elementwise x > y (bool).")
greater_equal = _binary_fn("GreaterEqual", "GreaterEqual", "Elementwise x >= y (bool).")
logical_and = _binary_fn("LogicalAnd", "LogicalAnd", "Elementwise and of bool tensors.")
logical_or = _binary_fn("LogicalOr", "LogicalOr", "Elementwise or of bool tensors.")


def logical_xor(x: Any, y: Any, name: str = "LogicalXor") -> Tensor:
    """Elementwise exclusive or of bool tensors: (x or y) and not (x and y), as TF1 builds it."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


def squared_difference(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """Elementwise (x - y)**2 with broadcasting."""
    with _op_scope([x, y], name or "SquaredDifference") as scope:
        return square(subtract(x, y), name=scope)


# integer true division gives floats, as TF1 does (int32/int64 -> float64)
_TRUEDIV_FLOAT = {"int32": dtypes.float64, "int64": dtypes.float64}


def truediv(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """x / y; integer operands are converted to float64 first (TF1 semantics)."""
    with _in_graph_of([x, y]):
        x, y = convert_n([x, y])
    target = _TRUEDIV_FLOAT.get(x.dtype.name)
    if target is None:
        return apply("RealDiv", [x, y], name=name or "truediv")
    with _op_scope([x, y], name or "truediv") as scope:
        x, y = cast(x, target), cast(y, target)
        return apply("RealDiv", [x, y], name=scope)


divide = truediv


def div(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """TF1's deprecated ``tf.div``: floor division for integers, true division for floats."""
    with _in_graph_of([x, y]):
        x, y = convert_n([x, y])
    op_type = "FloorDiv" if x.dtype.is_integer else "RealDiv"
    return apply(op_type, [x, y], name=name or "div")


def cast(x: Any, dtype: Any, name: Optional[str] = None) -> Tensor:
    """Converts ``x`` to ``dtype`` (floats to ints truncate toward zero, nonzero to True, as TF1)."""
    x = convert_to_tensor(x)
    dt = dtypes.as_dtype(dtype)
    if x.dtype is dt:
        return x
    return apply("Cast", [x], {"dtype": dt}, name or "Cast")


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """Casts ``x`` to float32."""
    return cast(x, dtypes.float32, name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    """Casts ``x`` to float64."""
    return cast(x, dtypes.float64, name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    """Casts ``x`` to int32 (floats truncate toward zero)."""
    return cast(x, dtypes.int32, name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    """Casts ``x`` to int64 (floats truncate toward zero)."""
    return cast(x, dtypes.int64, name)


def _rows_condition(c: Tensor, x: Tensor) -> Tensor:
    """A rank-1 condition for a rank-k x, reshaped to [n, 1, ..., 1] so that it selects rows."""
    xr = x.shape.ndims
    if xr is None:
        raise ValueError(f"where: the condition {c.name} has rank 1 but the rank of {x.name} is unknown, "
                         "so graphc cannot tell whether it selects rows or elements. Give x a static rank "
                         "(x.set_shape or a placeholder shape).")
    rows, n = x.shape.as_tuple()[0], c.shape.as_tuple()[0]
    if rows is not None and n is not None and rows != n:
        raise ValueError(f"where: the rank-1 condition {c.name} has {n} elements but {x.name} has {rows} "
                         f"rows (shape {x.shape}); a rank-1 condition selects rows, so they must agree.")
    return array.reshape(c, [-1] + [1] * (xr - 1))


# Where (one argument): the coordinates of the true (nonzero) elements, one int64 row each, in
# row-major order; how many is known only when it runs, so the first dim is unknown statically
def _where_infer(inputs, attrs):
    c = inputs[0]
    if c.dtype is dtypes.string:
        raise TypeError(f"where: condition {c.name} must be bool or numeric, got {c.dtype.name}")
    return [(dtypes.int64, TensorShape([None, c.shape.ndims]))]


register(OpDef("Where", "opaque", infer=_where_infer, differentiable=False,
               numpy=lambda c: np.argwhere(np.asarray(c)).astype(np.int64)))


def where(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None) -> Tensor:
    """Elementwise ``x if condition else y``; a rank-1 condition selects rows (TF1 ``tf.where``).

    Shapes broadcast (TF1 needs x and y of one shape, so every TF1 program builds the same way).
    With ``condition`` alone: the int64 coordinates ``[num_true, rank]`` of its true elements.
    """
    if x is None and y is None:
        with _in_graph_of([condition]):
            return apply("Where", [convert_to_tensor(condition, name="condition")], name=name or "Where")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None: tf.where(condition) gives the "
                         "indices of the true elements, tf.where(condition, x, y) selects elementwise.")
    with _in_graph_of([condition, x, y]):
        c = convert_to_tensor(condition)
        x, y = convert_n([x, y])
    if c.shape.ndims != 1 or x.shape.ndims == 1:
        return apply("Select", [c, x, y], name=name or "Select")
    with _op_scope([c, x, y], name or "Select") as scope:
        return apply("Select", [_rows_condition(c, x), x, y], name=scope)


def add_n(inputs: Any, name: Optional[str] = None) -> Tensor:
    """Sums a list of tensors of one shape and dtype (no broadcasting, as TF1)."""
    inputs = list(inputs)
    with _in_graph_of(inputs):
        inputs = convert_n(inputs)
    if not inputs:
        raise ValueError("add_n needs at least one input tensor (got an empty list)")
    if len(inputs) == 1:
        return inputs[0]
    return apply("AddN", inputs, name=name or "AddN")


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: Optional[str] = None) -> Tensor:
    """max(min(t, clip_value_max), clip_value_min), as TF1 builds it; the result keeps t's shape."""
    with _op_scope([t, clip_value_min, clip_value_max], name or "clip_by_value") as scope:
        t = convert_to_tensor(t)
        upper = minimum(t, clip_value_max)
        out = maximum(upper, clip_value_min, name=scope)
    if not t.shape.is_compatible_with(out.shape):
        raise ValueError(f"clip_by_value: clipping {t.name} of shape {t.shape} would change its shape to "
                         f"{out.shape}; the clip values must broadcast to t's shape, not beyond it.")
    return out


__all__ = [
    "negative", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "log", "log1p", "expm1", "sin", "cos",
    "tanh", "sigmoid", "reciprocal", "floor", "ceil", "round", "logical_not", "is_nan", "is_inf", "is_finite", "add", "subtract",
    "multiply", "floordiv", "floor_div", "mod", "floormod", "pow", "realdiv", "maximum", "minimum", "equal",
    "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
    "logical_xor", "squared_difference", "truediv", "divide", "div", "cast", "to_float", "to_double",
    "to_int32", "to_int64", "where", "add_n", "clip_by_value",
]
