"""Elementwise math: unary and binary ops with NumPy/TF broadcasting, comparisons, logic, cast.

The op tables below are the single definition of each op: numpy kernel, allowed dtypes and
gradient rule. Gradients are written with graphc ops, so they are graphs themselves (and can be
differentiated again).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops.core import OpDef, apply, broadcast_shape, convert_n, convert_to_tensor, register

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
                   differentiable=grad is not None))


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
    ("Expm1", np.expm1, lambda op, g: [g * (_y(op) + 1)], FLOAT),
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
    ("RealDiv", np.true_divide, _binary(lambda g, x, y, z: g / y, lambda g, x, y, z: -g * x / y / y), FLOAT),
    ("FloorDiv", np.floor_divide, None, NUMERIC),
    ("FloorMod", np.mod, _binary(lambda g, x, y, z: g, lambda g, x, y, z: -g * floor(x / y)), NUMERIC),
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


def _addn_grad(op, g):
    return [g for _ in op.inputs]


_define("AddN", 2, lambda *xs: np.sum(np.broadcast_arrays(*xs), axis=0, dtype=xs[0].dtype), _addn_grad, NUMERIC)


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

def _unary_fn(op_type: str, doc: str) -> Callable:
    def fn(x: Any, name: Optional[str] = None) -> Tensor:
        return apply(op_type, [x], name=name or op_type)
    fn.__doc__ = doc
    return fn


negative = _unary_fn("Neg", "Elementwise -x.")
abs = _unary_fn("Abs", "Elementwise |x|.")
sign = _unary_fn("Sign", "Elementwise sign: -1, 0 or 1.")
square = _unary_fn("Square", "Elementwise x*x.")
sqrt = _unary_fn("Sqrt", "Elementwise square root.")
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
round = _unary_fn("Round", "Elementwise rounding, half to even (as TF1).")
logical_not = _unary_fn("LogicalNot", "Elementwise not of a bool tensor.")
relu = _unary_fn("Relu", "Elementwise max(x, 0).")
elu = _unary_fn("Elu", "Elementwise x if x > 0 else exp(x) - 1.")
softplus = _unary_fn("Softplus", "Elementwise log(exp(x) + 1), computed stably.")


def _binary_fn(op_type: str, default_name: str, doc: str) -> Callable:
    def fn(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
        return apply(op_type, convert_n([x, y]), name=name or default_name)
    fn.__doc__ = doc
    return fn


add = _binary_fn("Add", "Add", "x + y with broadcasting.")
subtract = _binary_fn("Sub", "Sub", "x - y with broadcasting.")
multiply = _binary_fn("Mul", "Mul", "x * y with broadcasting.")
floordiv = _binary_fn("FloorDiv", "floordiv", "floor(x / y) with broadcasting.")
floor_div = floordiv
mod = _binary_fn("FloorMod", "FloorMod", "x mod y with the sign of y (Python's %).")
floormod = mod
pow = _binary_fn("Pow", "Pow", "x ** y with broadcasting.")
maximum = _binary_fn("Maximum", "Maximum", "Elementwise max; ties send the gradient to x (as TF1).")
minimum = _binary_fn("Minimum", "Minimum", "Elementwise min; ties send the gradient to x (as TF1).")
equal = _binary_fn("Equal", "Equal", "Elementwise x == y (bool).")
not_equal = _binary_fn("NotEqual", "NotEqual", "Elementwise x != y (bool).")
less = _binary_fn("Less", "Less", "Elementwise x < y (bool).")
less_equal = _binary_fn("LessEqual", "LessEqual", "Elementwise x <= y (bool).")
greater = _binary_fn("Greater", "Greater", "Elementwise x > y (bool).")
greater_equal = _binary_fn("GreaterEqual", "GreaterEqual", "Elementwise x >= y (bool).")
logical_and = _binary_fn("LogicalAnd", "LogicalAnd", "Elementwise and of bool tensors.")
logical_or = _binary_fn("LogicalOr", "LogicalOr", "Elementwise or of bool tensors.")

# integer true division gives floats, as TF1 does (int32/int64 -> float64)
_TRUEDIV_FLOAT = {"int32": dtypes.float64, "int64": dtypes.float64}


def truediv(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """x / y; integer operands are converted to float64 first (TF1 semantics)."""
    x, y = convert_n([x, y])
    target = _TRUEDIV_FLOAT.get(x.dtype.name)
    if target is not None:
        x, y = cast(x, target), cast(y, target)
    return apply("RealDiv", [x, y], name=name or "truediv")


divide = truediv


def cast(x: Any, dtype: Any, name: Optional[str] = None) -> Tensor:
    """Converts ``x`` to ``dtype`` (floats to ints truncate toward zero, as TF1)."""
    x = convert_to_tensor(x)
    dt = dtypes.as_dtype(dtype)
    if x.dtype is dt:
        return x
    return apply("Cast", [x], {"dtype": dt}, name or "Cast")


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    return cast(x, dtypes.float32, name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    return cast(x, dtypes.float64, name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    return cast(x, dtypes.int32, name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    return cast(x, dtypes.int64, name)


def where(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None) -> Tensor:
    """Elementwise ``x if condition else y``; a rank-1 condition selects rows (TF1 ``tf.where``)."""
    if x is None or y is None:
        raise TypeError("graphc supports the three-argument form tf.where(condition, x, y); the "
                        "one-argument form (indices of true elements) has a data-dependent shape.")
    c = convert_to_tensor(condition)
    x, y = convert_n([x, y])
    xr, cr = x.shape.ndims, c.shape.ndims
    if cr == 1 and xr is not None and xr > 1:
        c = array.reshape(c, [-1] + [1] * (xr - 1))
    return apply("Select", [c, x, y], name=name or "Select")


def add_n(inputs: Any, name: Optional[str] = None) -> Tensor:
    """Sums a list of tensors of one shape and dtype."""
    inputs = convert_n(list(inputs))
    if not inputs:
        raise ValueError("add_n needs at least one input tensor")
    if len(inputs) == 1:
        return inputs[0]
    first = inputs[0]
    for t in inputs[1:]:
        if not t.shape.is_compatible_with(first.shape):
            raise ValueError(f"add_n: all inputs must have one shape, but {first.name} has shape "
                             f"{first.shape} and {t.name} has shape {t.shape}")
    return apply("AddN", inputs, name=name or "AddN")


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: Optional[str] = None) -> Tensor:
    """min(max(t, clip_value_min), clip_value_max)."""
    t = convert_to_tensor(t)
    return minimum(maximum(t, clip_value_min), clip_value_max, name=name or "clip_by_value")


__all__ = [
    "negative", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "log", "log1p", "expm1", "sin", "cos",
    "tanh", "sigmoid", "reciprocal", "floor", "ceil", "round", "logical_not", "add", "subtract",
    "multiply", "floordiv", "floor_div", "mod", "floormod", "pow", "maximum", "minimum", "equal",
    "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
    "truediv", "divide", "cast", "to_float", "to_double", "to_int32", "to_int64", "where", "add_n",
    "clip_by_value",
]
