"""The compiler's facts about ops live in OpDef (graphc/ops/core.py) and agree with each other."""
import pytest

import graphc  # noqa: F401  (registers every op)
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
