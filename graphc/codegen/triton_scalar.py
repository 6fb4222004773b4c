"""Block expressions for generated Triton kernels: one printing rule per elementwise op type.

``expression(op_type, args, in_dtypes, out_dtype, attrs)`` turns the argument expressions of one
node (Triton blocks or scalars) into a Triton expression string; ``None`` means "this backend does
not compile that node for these dtypes" (the kernel then runs with numpy on the host, and the
executable says so in ``numpy_kernels``).

Only ``triton.language`` core functions are used (``tl.exp``, ``tl.log``, ``tl.sqrt_rn``, ...), no
libdevice calls: the CPU interpreter (``TRITON_INTERPRET=1``) cannot run those, and every code
path here is tested through it. Functions that core Triton lacks (tanh, log1p, expm1, rint,
floor-mod, NaN-propagating max/min reductions) are the ``@triton.jit`` helpers below; generated
modules import this module as ``S`` and call ``S.tanh(x)``. The hash of this file is part of each
kernel's cache key, so editing a helper invalidates cached kernels.

This module imports triton: import it only after ``TRITON_INTERPRET`` has its final value (the
decorator decides between the compiler and the interpreter).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import triton
import triton.language as tl

from graphc.codegen import kernel_common as kc

INF = tl.constexpr(float("inf"))
NEG_INF = tl.constexpr(float("-inf"))
NAN = tl.constexpr(float("nan"))


HELPERS_HASH = kc.file_hash(__file__)


# ------------------------------------------------------------------------------------------------
# a fixed kernel: movement ops as a gather through an index map (see triton_steps.GatherStep)

@triton.jit
def gather_kernel(src, index, dst, n, BLOCK: tl.constexpr):
    """dst[i] = src[index[i]], or 0 where index[i] is -1."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = i < n
    j = tl.load(index + i, mask=mask, other=0)
    tl.store(dst + i, tl.load(src + j, mask=mask & (j >= 0), other=0), mask=mask)


# ------------------------------------------------------------------------------------------------
# helpers called from generated kernels

@triton.jit
def max_nan(a, b):
    """np.maximum: NaN wins (generated kernels print this inline, see ``max_expr``)."""
    return tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def _mul(a, b):
    return a * b


@triton.jit
def prod_reduce(x, axis: tl.constexpr):
    return tl.reduce(x, axis, _mul)


@triton.jit
def tanh(x, small_below):
    """tanh from exp: (1 - e) / (1 + e) with e = exp(-2|x|) (never overflows), an odd Taylor
    polynomial (to x**13) for |x| < ``small_below`` where that quotient loses digits to
    cancellation (0.4 keeps float32 within 1 ulp-ish, float64 needs 0.1)."""
    a = tl.abs(x)
    e = tl.exp(-2.0 * a)
    big = (1.0 - e) / (1.0 + e)
    big = tl.where(x < 0, -big, big)
    z = x * x
    p = 21844.0 / 6081075.0
    p = p * z - 1382.0 / 155925.0
    p = p * z + 62.0 / 2835.0
    p = p * z - 17.0 / 315.0
    p = p * z + 2.0 / 15.0
    p = p * z - 1.0 / 3.0
    small = x + x * z * p
    return tl.where(a < small_below, small, big)


@triton.jit
def log1p(x):
    """log(1 + x) accurate near 0 (Goldberg): log(u) * x / (u - 1) with u = 1 + x rounded."""
    u = 1.0 + x
    d = u - 1.0
    safe = tl.where(d == 0, 1.0, d)
    r = tl.log(u) * (x / safe)
    r = tl.where(d == 0, x, r)
    return tl.where(u == INF, u, r)


@triton.jit
def expm1(x):
    """exp(x) - 1 accurate near 0 (Kahan): (u - 1) * x / log(u) with u = exp(x)."""
    u = tl.exp(x)
    lu = tl.log(u)
    safe = tl.where(lu == 0, 1.0, lu)
    r = (u - 1.0) * (x / safe)
    r = tl.where(u == 1.0, x, r)
    r = tl.where(u - 1.0 == -1.0, -1.0, r)
    return tl.where(u == INF, u, r)


@triton.jit
def rint(x, big):
    """Round half to even (np.rint); ``big`` is 2**mantissa bits, above which every value is whole."""
    r = tl.floor(x + 0.5)
    half = (r - x) == 0.5
    odd = (r - 2.0 * tl.floor(r * 0.5)) != 0
    r = tl.where(half & odd, r - 1.0, r)
    r = tl.where(r == 0, x * 0.0, r)          # -0.5 < x <= -0.0 rounds to -0.0, as np.rint
    return tl.where(tl.abs(x) < big, r, x)


@triton.jit
def floormod(x, y):
    """numpy's float mod: the result has the sign of y; a zero result takes y's sign."""
    m = x % y
    m = tl.where((m != 0) & ((y < 0) != (m < 0)), m + y, m)
    return tl.where(m == 0, tl.where(y < 0, -0.0, 0.0), m)


@triton.jit
def power(x, y):
    """np.power for floats, computed through float64 exp2/log2 (exact to the result's rounding
    for float32); negative bases need whole exponents (odd ones keep the sign), else NaN."""
    xd = x.to(tl.float64)
    yd = y.to(tl.float64)
    mag = tl.exp2(yd * tl.log2(tl.abs(xd)))
    whole = tl.floor(yd) == yd
    odd = (yd - 2.0 * tl.floor(yd * 0.5)) != 0
    r = tl.where(xd < 0, tl.where(whole, tl.where(odd, -mag, mag), NAN), mag)
    r = tl.where(yd == 0, 1.0, r)
    r = tl.where(xd == 1.0, 1.0, r)
    return r.to(x.dtype)


@triton.jit
def softplus(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)) (np.logaddexp(0, x))."""
    return max_nan(x, 0.0) + log1p(tl.exp(-tl.abs(x)))


# ------------------------------------------------------------------------------------------------
# printing rules

TL_TYPES = {"float32": "tl.float32", "float64": "tl.float64", "int32": "tl.int32", "int64": "tl.int64",
            "bool": "tl.int1"}
COMPILED_DTYPES = frozenset(TL_TYPES)


def tl_type(dtype) -> str:
    """``float32`` -> ``tl.float32``."""
    return TL_TYPES[dtype.name]


def literal(value, dtype) -> str:
    """A constant as Triton source: Python literals are weakly typed, so they adopt the dtype of
    the block they meet (0.5 * x stays float32)."""
    if dtype.name == "bool":
        return "True" if value else "False"
    if dtype.is_floating:
        v = float(value)
        if np.isnan(v):
            return "S.NAN"
        if np.isinf(v):
            return "S.INF" if v > 0 else "S.NEG_INF"
        return repr(v)
    return str(int(value))


_f = kc.template
_float_only = kc.float_only


# NaN-propagating max/min are printed inline (a helper call costs a Python-level patching of
# triton.language per call under the interpreter)
NAN_ALL = "propagate_nan=tl.PropagateNan.ALL"


def max_expr(a: str, b: str, dtype) -> str:
    """np.maximum of two blocks: NaN wins for floats."""
    return f"tl.maximum({a}, {b}, {NAN_ALL})" if dtype.is_floating else f"tl.maximum({a}, {b})"


def min_expr(a: str, b: str, dtype) -> str:
    return f"tl.minimum({a}, {b}, {NAN_ALL})" if dtype.is_floating else f"tl.minimum({a}, {b})"


def _maximum(a, dt, out, attrs):
    return max_expr(a[0], a[1], dt[0])


def _minimum(a, dt, out, attrs):
    return min_expr(a[0], a[1], dt[0])


def _relu(a, dt, out, attrs):
    return max_expr(a[0], literal(0, dt[0]), dt[0])


def _sign(a, dt, out, attrs):
    # nan stays nan, -0.0 gives 0 (np.sign)
    return f"tl.where({a[0]} > 0, 1, tl.where({a[0]} < 0, -1, {a[0]} * 0)).to({tl_type(dt[0])})"


_cast = kc.cast_rule(lambda x, out: f"{x}.to({tl_type(out)})")


def _round(a, dt, out, attrs):
    if not dt[0].is_floating:
        return a[0]
    big = 2.0 ** (23 if dt[0].name == "float32" else 52)
    return f"S.rint({a[0]}, {big!r})"


def _sqrt(x: str, dtype) -> str:
    # tl.sqrt is approximate for float32 on the GPU, tl.sqrt_rn is IEEE (float32 only);
    # float64 sqrt is IEEE either way
    return f"tl.sqrt_rn({x})" if dtype.name == "float32" else f"tl.sqrt({x})"


def _one_over(template: str) -> Callable:
    return _float_only(lambda a, dt, out, attrs: f"(1.0 / {template.format(*a)})")


_RULES: dict = {
    **kc.SHARED_RULES,
    "Abs": _f("tl.abs({0})"),
    "Sign": _sign,
    "Sqrt": _float_only(lambda a, dt, out, attrs: _sqrt(a[0], dt[0])),
    "Rsqrt": _float_only(lambda a, dt, out, attrs: f"(1.0 / {_sqrt(a[0], dt[0])})"),
    "Reciprocal": _one_over("{0}"),
    "Exp": _float_only(_f("tl.exp({0})")),
    "Tanh": _float_only(lambda a, dt, out, attrs: f"S.tanh({a[0]}, {0.4 if dt[0].name == 'float32' else 0.1})"),
    "Sigmoid": _float_only(_f("(1.0 / (1.0 + tl.exp(-{0})))")),
    "Log": _float_only(_f("tl.log({0})")),
    "Log1p": _float_only(_f("S.log1p({0})")),
    "Expm1": _float_only(_f("S.expm1({0})")),
    "Sin": _float_only(_f("tl.sin({0})")),
    "Cos": _float_only(_f("tl.cos({0})")),
    "Floor": _float_only(_f("tl.floor({0})")),
    "Ceil": _float_only(_f("tl.ceil({0})")),
    "Round": _round,
    "Relu": _relu,
    "Elu": _float_only(_f("tl.where({0} > 0, {0}, S.expm1({0}))")),
    "Softplus": _float_only(_f("S.softplus({0})")),
    "LogicalNot": _f("({0} == 0)"),
    # x - x is 0 for finite x and NaN for inf and NaN (no fast-math in Triton: it is not folded)
    "IsNan": _float_only(_f("({0} != {0})")),
    "IsInf": _float_only(_f("((({0}) - ({0}) != ({0}) - ({0})) & ({0} == {0}))")),
    "IsFinite": _float_only(_f("(({0}) - ({0}) == 0)")),
    # integer division, mod and power raise on bad divisors/exponents in numpy: not compiled
    "FloorDiv": _float_only(_f("tl.floor({0} / {1})")),
    "FloorMod": _float_only(_f("S.floormod({0}, {1})")),
    "Pow": _float_only(_f("S.power({0}, {1})")),
    "Maximum": _maximum,
    "Minimum": _minimum,
    "LogicalAnd": _f("({0} & {1})"),
    "LogicalOr": _f("({0} | {1})"),
    "Select": _f("tl.where({0}, {1}, {2})"),
    "Cast": _cast,
}

SUPPORTED_TYPES = frozenset(_RULES)


def power_by_constant(base: str, exponent, dtype) -> Optional[str]:
    """``x ** c`` for a small integer constant ``c`` as multiplications, else None."""
    return kc.power_by_constant(base, exponent, dtype, "1.0")


def expression(op_type: str, args: Sequence[str], in_dtypes: Sequence, out_dtype, attrs: dict) -> Optional[str]:
    """The block expression of one node, or None when this backend does not compile it."""
    return kc.expression(_RULES, op_type, args, in_dtypes, out_dtype, attrs)
