"""Every op registered as differentiable has a numerical gradient check in tests/gradcases/."""
import pytest

from gradcases import all_cases
from gradcheck import run_case
from graphc.ops.core import OPS

CASES = all_cases()
# ops whose gradient rule only raises LookupError, because TF1 defines no gradient for them
NO_GRADIENT_IN_TF1 = {"ResizeArea"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradient_matches_central_differences(case):
    run_case(case)


def test_every_differentiable_op_has_a_gradient_check():
    covered = set().union(*(c.op_types for c in CASES)) if CASES else set()
    needed = {t for t, od in OPS.items()
              if od.differentiable and od.grad is not None and od.kind not in ("source", "state", "random")
              and t not in NO_GRADIENT_IN_TF1}
    missing = sorted(needed - covered)
    assert not missing, f"ops with a gradient rule but no gradient check in tests/gradcases/: {missing}"


def test_case_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
