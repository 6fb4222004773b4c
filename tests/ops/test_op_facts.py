"""The compiler's facts about ops live in OpDef (graphc/ops/core.py) and agree with each other."""
import numpy as np
import pytest

import graphc  # noqa: F401  (registers every op)
from graphc import dtypes
from graphc.ops.core import OPS, Lowering, OpDef, OpKind


def test_a_misspelt_kind_fails_when_the_op_is_defined():
    with pytest.raises(ValueError):
        OpDef("Typo", "elementwse", infer=lambda i, a: [], numpy=None)


def test_shape_queries_are_sources_planned_on_the_host():
    for t in ("Shape", "Size", "Rank"):
        assert OPS[t].kind is OpKind.SOURCE and OPS[t].lowering is Lowering.HOST


@pytest.mark.parametrize("op_type", sorted(OPS))
def test_facts_agree_with_the_kind(op_type):
    od = OPS[op_type]
    assert isinstance(od.kind, OpKind) and isinstance(od.lowering, Lowering)
    if od.lowering is Lowering.REDUCTION:
        assert od.kind is OpKind.REDUCTION
    if od.lowering is Lowering.VIEW or od.gather:
        assert od.kind is OpKind.MOVEMENT
    if od.kind in (OpKind.ELEMENTWISE, OpKind.MATMUL):
        assert od.lowering.value == od.kind.value   # the default lowering, never overridden
    assert all(isinstance(i, int) and i >= 0 for i in od.meta_inputs)
    assert od.weight >= 1 and od.cost >= 0


# Elementwise ops that a compiled backend leaves to a numpy step on purpose: op type -> why.
# Every other elementwise op needs a printer rule in each backend (the planner fuses them all, so
# an op without one would silently run as a numpy step between kernels).
EXEMPT: dict = {"numba": {}, "triton": {}}


def _rules(backend: str) -> dict:
    if backend == "numba":
        from graphc.codegen import numba_scalar
        return numba_scalar._RULES
    pytest.importorskip("triton")
    from graphc.codegen import triton_scalar
    return triton_scalar._RULES


@pytest.mark.parametrize("backend", sorted(EXEMPT))
def test_every_elementwise_op_has_a_compiled_rule_or_a_reasoned_exemption(backend):
    rules, exempt = set(_rules(backend)), EXEMPT[backend]
    elementwise = {t for t, od in OPS.items() if od.lowering is Lowering.ELEMENTWISE}
    missing = sorted(elementwise - rules - set(exempt))
    assert not missing, (f"elementwise ops without a {backend} rule: {missing}; write one (or name the "
                         f"op's numpy function in OpDef.ufunc), or exempt it in EXEMPT with the reason")
    assert not sorted(rules - elementwise), "rules for ops that are not elementwise (renamed or removed?)"
    assert all(reason.strip() for reason in exempt.values())
    assert not sorted(set(exempt) & rules), "an exempt op has a rule: drop the exemption"


def test_an_op_that_names_its_numpy_function_gets_the_numba_rule():
    from graphc.codegen import numba_scalar
    for t, od in OPS.items():
        if od.ufunc is not None:
            args = [f"x{i}" for i in range(getattr(np, od.ufunc).nin)]
            got = numba_scalar.expression(t, args, [dtypes.float32] * len(args), dtypes.float32, {})
            assert got == f"np.{od.ufunc}({', '.join(args)})", t
            assert numba_scalar.expression(t, args, [dtypes.int32] * len(args), dtypes.int32, {}) is None
