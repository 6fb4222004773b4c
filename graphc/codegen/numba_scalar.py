"""Scalar expressions for generated Numba kernels: one printing rule per elementwise op type.

``expression(op_type, args, in_dtypes, out_dtype, attrs)`` turns the argument expressions of one
node into a Python expression string; ``None`` means "this backend cannot compile that node for
these dtypes" (the caller then runs the kernel with numpy and says so).

float32 transcendental functions use the vectorizable helpers below (``exp32``, ``tanh32``,
``sigmoid32``): LLVM from pip has no vector math library, so ``np.exp`` in a loop is a scalar libm
call that stops vectorization. They compute in float32 only (float64 halves the vector width and
its division is several times slower, worst on AVX2). Their maximum error against the correctly
rounded result, measured over every 64th float32 bit pattern of both signs, and tested over every
4099th pattern plus nan/+-inf/+-0/denormals (``tests/codegen/test_float32_math.py``):

| helper | max error (normal results) | elsewhere |
|---|---|---|
| ``exp32`` | 0.92 ulp | overflow -> inf, denormal results within 2 smallest denormals |
| ``tanh32`` | 2.4 ulp (below 0.5; at most 1.5 ulp above) | +-0, denormals and nan returned as is |
| ``sigmoid32`` | 2.5 ulp | results under 1.2e-38 may flush to 0 |

``log``, ``log1p``, ``sqrt`` and the rest are not approximated: they call numpy's (libm's) scalar
functions, which LLVM does not vectorize. float64 math calls numpy's scalar functions.

Generated modules import this module as ``S`` and call helpers as ``S.exp32(x)``; its source
hash is part of every kernel's cache key, so editing a helper invalidates cached kernels.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

import graphc.ops.math  # noqa: F401  (registers the ops whose OpDef names a numpy function)
from graphc.codegen import kernel_common as kc
from graphc.ops.core import OPS
from graphc.toolchain import numba_startup

numba_startup.install()      # before the first compile: numba's start-up without scipy.linalg

FASTMATH = {"contract", "nsz", "reassoc"}   # keeps NaN/Inf semantics: no nnan/ninf, and no arcp (x/sqrt(0) must stay inf)


HELPERS_HASH = kc.file_hash(__file__)


# ------------------------------------------------------------------------------------------------
# bit casts (for building 2**n without a libm call)

@intrinsic
def _i32_as_f32(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@intrinsic
def _f32_as_i32(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


# Unchecked element access by flat offset. Numba's `a[i]` with a signed index adds a "negative
# index wraps around" select; when LLVM cannot prove the offset non-negative (row offsets built
# from runtime strides) that select turns vector loads into gathers and stops vectorization.

@intrinsic
def load(typingctx, arr, offset):
    """``arr[offset]`` for a C-contiguous array of any rank (flat offset) known to be in range."""
    if not isinstance(arr, types.Array) or not isinstance(offset, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        arrty, offty = signature.args
        ary = context.make_array(arrty)(context, builder, args[0])
        index = context.cast(builder, args[1], offty, types.intp)
        return context.unpack_value(builder, arrty.dtype, builder.gep(ary.data, [index]))
    return arr.dtype(arr, offset), codegen


@intrinsic
def store(typingctx, arr, offset, value):
    """``arr[offset] = value`` for a C-contiguous array of any rank (flat offset) known to be in range."""
    if not isinstance(arr, types.Array) or not isinstance(offset, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        arrty, offty, valty = signature.args
        ary = context.make_array(arrty)(context, builder, args[0])
        index = context.cast(builder, args[1], offty, types.intp)
        val = context.cast(builder, args[2], valty, arrty.dtype)
        context.pack_value(builder, arrty.dtype, val, builder.gep(ary.data, [index]))
        return context.get_dummy_value()
    return types.none(arr, offset, value), codegen


@intrinsic
def fetch_add(typingctx, counters, index):
    """Atomically adds 1 to ``counters[index]`` (an int64 array) and returns its previous value: how
    the threads running one kernel claim its chunks of rows and count the finished ones
    (``numba_threads``)."""
    if not isinstance(counters, types.Array) or counters.dtype != types.int64 or \
            not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i = context.cast(builder, args[1], signature.args[1], types.intp)
        one = ir.Constant(ir.IntType(64), 1)
        return builder.atomic_rmw("add", builder.gep(ary.data, [i]), one, "acq_rel")
    return types.int64(counters, index), codegen


def _nan_propagating(llvm_name: str):
    """An intrinsic for LLVM's NaN-propagating float max/min: numpy's semantics, and LLVM can
    vectorize it, also as a reduction (a compare-and-select with a NaN test it cannot)."""
    @intrinsic
    def fn(typingctx, a, b):
        if not isinstance(a, types.Float) or a != b:
            return None

        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(args[0].type, [args[0].type, args[0].type])
            width = "f32" if signature.args[0] == types.float32 else "f64"
            callee = cgutils.get_or_insert_function(builder.module, fnty, f"{llvm_name}.{width}")
            return builder.call(callee, args)
        return a(a, b), codegen
    return fn


@intrinsic
def fmuladd32(typingctx, a, b, c):
    """a*b + c in float32 as LLVM's ``fmuladd`` (one fused multiply-add where the target has FMA):
    an intrinsic call, so fastmath's reassociation cannot merge it with its neighbours."""
    if not all(v == types.float32 for v in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        callee = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f32, [f32] * 3), "llvm.fmuladd.f32")
        return builder.call(callee, args)
    return types.float32(a, b, c), codegen


fmaximum = _nan_propagating("llvm.maximum")
fminimum = _nan_propagating("llvm.minimum")

# Helpers are compiled once per process (and signature) and reach each kernel through LLVM's
# inliner, which still vectorizes the kernel's loop; numba's IR-level inlining (inline="always")
# typed them again at every call site (the LSTM step's cold first run: 9.6-9.7 -> 8.5-8.7 s; the
# MLP's, one call site a kernel, unchanged). Not disk-cached: LLVM inlines a helper into a kernel
# from the helper's IR, compiled in this process. No `reassoc`: their round-to-integer steps keep
# IEEE order in every kernel (the flags pointwise kernels use).
_helper = numba.njit(error_model="numpy", fastmath=FASTMATH - {"reassoc"})


@_helper
def _reduce_ln2(x, t):
    """x - t*ln2 for an integer-valued float32 ``t`` (|t| <= 150), to about an ulp of the result:
    ln2 in two float32 parts (the first has 16 significant bits, so t*LN2_HI is exact), each
    step a fused multiply-add that fastmath cannot reassociate."""
    r = fmuladd32(-t, np.float32(0.693145751953125), x)
    return fmuladd32(-t, np.float32(1.428606765330187e-06), r)


@_helper
def exp32(x):
    """e**x in float32: at most 1 ulp from the correctly rounded result on normal results
    (measured over every 64th float32 bit pattern: 0.92 ulp); inf/0/nan as numpy; denormal
    results within 2 units of the smallest denormal.

    x = n*ln2 + r with |r| <= ln2/2 (``_reduce_ln2``), e**r by its degree-7 Taylor polynomial
    (truncation 5e-9 relative). 2**n is applied in two halves, one through the exponent bits, so
    results near the overflow and denormal ends stay right.
    """
    lo = np.float32(-104.0)
    hi = np.float32(88.75)
    xc = lo if x < lo else x
    xc = hi if xc > hi else xc
    t = np.floor(xc * np.float32(1.4426950408889634) + np.float32(0.5))
    t = t if t == t else np.float32(0.0)
    r = _reduce_ln2(xc, t)
    p = np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + np.float32(1.0)
    p = p * r + np.float32(1.0)
    n = np.int32(t)
    n1 = n >> 1
    n2 = n - n1
    q = _i32_as_f32(_f32_as_i32(p) + (n1 << 23))
    res = q * _i32_as_f32((n2 + 127) << 23)
    return res if x == x else x


@_helper
def tanh32(x):
    """tanh in float32 as E / (E + 2) with E = expm1(2|x|), sign restored: at most 2.4 ulp from the
    correctly rounded result (measured over every 64th float32 bit pattern), all in float32.

    expm1(y) = 2**n * expm1(r) + (2**n - 1) with y = n*ln2 + r (``_reduce_ln2``) and expm1(r) =
    r + r*r*P(r), P the Taylor polynomial to r**7: no cancellation anywhere, so small x keep
    their relative accuracy. One division, no branches, no float64: vectorizes at full float32
    width (the earlier rational tanh in float64 cost two float64 divisions per element).
    |x| >= 9.02 gives +-1 (tanh rounds to 1 there), |x| < 4e-4 gives x (x**3/3 is under half
    an ulp), nan stays nan, -0 stays -0.
    """
    a = -x if x < 0 else x
    a = a if a <= np.float32(9.02) else np.float32(9.02)     # nan too (x itself is returned for nan)
    y = a + a
    n = np.int32(y * np.float32(1.4426950408889634) + np.float32(0.5))   # y >= 0: truncation rounds
    t = np.float32(n)
    r = _reduce_ln2(y, t)
    p = np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    em = fmuladd32(r * r, p, r)
    two_n = _i32_as_f32((n + 127) << 23)
    e = fmuladd32(two_n, em, two_n - np.float32(1.0))
    res = e / (e + np.float32(2.0))
    res = -res if x < 0 else res
    return x if a < np.float32(0.0004) or x != x else res


@_helper
def sigmoid32(x):
    """1 / (1 + exp(-x)) in float32 (numpy's formula in graphc's eager kernel)."""
    return np.float32(1.0) / (np.float32(1.0) + exp32(-x))


@_helper
def floormod(x, y):
    """numpy's float mod: the result has the sign of y; a zero result copies y's sign."""
    m = np.fmod(x, y)
    if m != 0:
        if (y < 0) != (m < 0):
            m = m + y
    else:
        m = np.copysign(m * 0, y)
    return m


# ------------------------------------------------------------------------------------------------
# printing rules

def np_type_name(dtype) -> str:
    """``float32`` -> ``np.float32`` (the constructor that keeps a value in that dtype)."""
    return {"bool": "np.bool_"}.get(dtype.name, f"np.{dtype.name}")


def literal(value, dtype) -> str:
    """A constant of ``dtype`` as source text (float32 stays float32)."""
    if dtype.name == "bool":
        return "True" if value else "False"
    if dtype.is_floating:
        v = float(value)
        text = repr(v) if np.isfinite(v) else ("np.inf" if v > 0 else "-np.inf") if not np.isnan(v) else "np.nan"
        return f"{np_type_name(dtype)}({text})"
    return f"{np_type_name(dtype)}({int(value)})"


_f = kc.template
_float_only = kc.float_only


def _by_width(f32: str, f64: str) -> Callable:
    """A float32 vectorizable helper, numpy's scalar function for float64."""
    def rule(a, dt, out, attrs):
        if not dt[0].is_floating:
            return None
        return (f32 if dt[0].name == "float32" else f64).format(*a)
    return rule


def _one(dtype) -> str:
    return literal(1, dtype)


def _maximum(a, dt, out, attrs):   # NaN propagates as in np.maximum
    if dt[0].is_floating:
        return f"S.fmaximum({a[0]}, {a[1]})"
    return f"({a[0]} if {a[0]} >= {a[1]} else {a[1]})"


def _minimum(a, dt, out, attrs):
    if dt[0].is_floating:
        return f"S.fminimum({a[0]}, {a[1]})"
    return f"({a[0]} if {a[0]} <= {a[1]} else {a[1]})"


def _relu(a, dt, out, attrs):
    zero = literal(0, dt[0])
    if dt[0].is_floating:
        return f"S.fmaximum({a[0]}, {zero})"
    return f"({a[0]} if {a[0]} >= {zero} else {zero})"


def _sign(a, dt, out, attrs):
    one, zero = _one(dt[0]), literal(0, dt[0])
    return f"({one} if {a[0]} > {zero} else (-{one} if {a[0]} < {zero} else {a[0]}))"


_cast = kc.cast_rule(lambda x, out: f"{np_type_name(out)}({x})")


def _elu(a, dt, out, attrs):
    zero = literal(0, dt[0])
    return f"({a[0]} if {a[0]} > {zero} else np.expm1({a[0]}))"


def _softplus(a, dt, out, attrs):   # np.logaddexp(0, x), computed stably
    zero = literal(0, dt[0])
    return (f"(({a[0]} if {a[0]} > {zero} else {zero}) + "
            f"np.log1p(np.exp(-({a[0]} if {a[0]} >= {zero} else -{a[0]}))))")


def _round(a, dt, out, attrs):
    return f"np.rint({a[0]})" if dt[0].is_floating else a[0]


def _numpy_function(name: str) -> Callable:
    """``np.<name>(x, ...)`` for float operands (other dtypes run with numpy)."""
    return _float_only(lambda a, dt, out, attrs: f"np.{name}({', '.join(a)})")


# an op whose OpDef names its numpy function (OpDef.ufunc) needs no rule of its own here
_FROM_UFUNC: dict = {t: _numpy_function(od.ufunc) for t, od in OPS.items() if od.ufunc is not None}

_RULES: dict = {
    **kc.SHARED_RULES,
    **_FROM_UFUNC,
    "Abs": _f("abs({0})"),
    "Sign": _sign,
    "Rsqrt": _float_only(lambda a, dt, out, at: f"({_one(dt[0])} / np.sqrt({a[0]}))"),
    "Reciprocal": _float_only(lambda a, dt, out, at: f"({_one(dt[0])} / {a[0]})"),
    "Exp": _by_width("S.exp32({0})", "np.exp({0})"),
    "Tanh": _by_width("S.tanh32({0})", "np.tanh({0})"),
    "Sigmoid": _by_width("S.sigmoid32({0})", "(1.0 / (1.0 + np.exp(-{0})))"),
    "Round": _round,
    "Relu": _relu,
    "Elu": _float_only(_elu),
    "Softplus": _float_only(_softplus),
    "LogicalNot": _f("(not {0})"),
    # integer division and mod raise on bad divisors in numpy: not compiled (nor is integer Pow)
    "FloorDiv": _float_only(_f("np.floor({0} / {1})")),
    "FloorMod": _float_only(_f("S.floormod({0}, {1})")),
    "Maximum": _maximum,
    "Minimum": _minimum,
    "LogicalAnd": _f("({0} and {1})"),
    "LogicalOr": _f("({0} or {1})"),
    "Select": _f("({1} if {0} else {2})"),
    "Cast": _cast,
}

SUPPORTED_TYPES = frozenset(_RULES)


def power_by_constant(base: str, exponent, dtype) -> Optional[str]:
    """``x ** c`` for a small integer constant ``c`` as multiplications (vectorizable), else None."""
    return kc.power_by_constant(base, exponent, dtype, _one(dtype)) if dtype.is_floating else None


def expression(op_type: str, args: Sequence[str], in_dtypes: Sequence, out_dtype, attrs: dict) -> Optional[str]:
    """The scalar expression of one node, or None when this backend does not compile it."""
    return kc.expression(_RULES, op_type, args, in_dtypes, out_dtype, attrs)
