"""The float32 math of generated Numba kernels against numpy over the whole float32 range.

``exp32``, ``tanh32`` and ``sigmoid32`` (``graphc/codegen/numba_scalar.py``) are vectorizable
approximations; ``log`` calls libm's scalar function. Each is run through a compiled kernel on
every 4099th float32 bit pattern of both signs (about a million values: every binade, denormals
included, and both ends of each function's range), plus nan, +-inf, +-0 and the smallest
denormals, and compared with numpy's float64 function rounded to float32. The bounds are the
maximum errors the module docstring documents.
"""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import driver
from graphc.passes.run_plan import RunPlan
from graphc.runtime.session import SessionState

SMALLEST_DENORMAL = float(np.finfo(np.float32).smallest_subnormal)
TINY = float(np.finfo(np.float32).tiny)
BIG = float(np.finfo(np.float32).max)


def _every_float32(step: int = 4099) -> np.ndarray:
    """Every ``step``-th finite float32 bit pattern, both signs, and the special values."""
    positive = np.arange(0, 0x7F800000, step, dtype=np.uint32).view(np.float32)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, SMALLEST_DENORMAL, -SMALLEST_DENORMAL,
                        1e-40, -1e-40, TINY, -TINY, BIG, -BIG], np.float32)
    return np.concatenate([positive, -positive, special])


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


# (op, numpy reference in float64, helper the kernel must call, max ulps on normal results,
#  max absolute error on denormal results)
CASES = [
    ("exp", np.exp, "S.exp32(", 1.0, 2 * SMALLEST_DENORMAL),
    ("tanh", np.tanh, "S.tanh32(", 2.5, 0.0),
    # sigmoid's division may flush results below the smallest normal to zero
    ("sigmoid", _sigmoid, "S.sigmoid32(", 3.0, TINY),
    ("log", np.log, "np.log(", 1.0, 0.0),
]


def _compiled(op_name: str, x: np.ndarray) -> tuple:
    """(the kernel's result on ``x``, the kernel's source)."""
    ph = tf.placeholder(tf.float32, [None])
    op = {"exp": tf.exp, "tanh": tf.tanh, "sigmoid": tf.sigmoid, "log": tf.log}[op_name]
    exe = driver.compile_run("numba", RunPlan([op(ph)], [], [ph]), [x.shape])
    return exe.run([x], SessionState())[0][0], exe.kernels[0].source


def _ulp_errors(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of the float32 spacing at ``want`` (float64)."""
    spacing = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


@pytest.mark.parametrize("name, reference, helper, max_ulps, denormal_error", CASES, ids=[c[0] for c in CASES])
def test_float32_math_over_every_binade(name, reference, helper, max_ulps, denormal_error):
    x = _every_float32()
    got, source = _compiled(name, x)
    assert helper in source
    assert got.dtype == np.float32
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}: nan where numpy has none")
    finite = ~np.isnan(want)
    over = finite & (np.abs(want) > BIG)
    np.testing.assert_array_equal(got[over], np.sign(want[over]) * np.inf)
    infinite_in = finite & np.isinf(want)
    np.testing.assert_array_equal(got[infinite_in], want[infinite_in])
    normal = finite & ~over & (np.abs(want) >= TINY)
    errors = _ulp_errors(got[normal], want[normal])
    worst = int(np.argmax(errors))
    assert errors[worst] <= max_ulps, (f"{name}({x[normal][worst]!r}) = {got[normal][worst]!r}, numpy "
                                       f"{want[normal][worst]!r}: {errors[worst]:.2f} ulp")
    small = finite & (np.abs(want) < TINY)
    assert np.max(np.abs(got[small] - want[small]), initial=0.0) <= denormal_error
    zeros = x == 0
    if name in ("tanh",):     # odd functions keep the sign of zero and return denormals as is
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(x[zeros]))
        tiny_in = np.abs(x) < TINY
        np.testing.assert_array_equal(got[tiny_in], x[tiny_in])


def test_tanh_is_odd_and_bounded():
    x = _every_float32(65537)
    x = x[~np.isnan(x)]
    got, _ = _compiled("tanh", x)
    assert np.all(np.abs(got) <= 1.0)
    pos = x > 0
    np.testing.assert_array_equal(-got[pos], _compiled("tanh", -x[pos])[0])
