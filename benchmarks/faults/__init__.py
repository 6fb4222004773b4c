"""graphc's fault and bad-input suite (issue 12): cases by category, run and classified by
``benchmarks/fault_suite.py``. Each module ``cases_*.py`` holds a ``CASES`` table.

Adding a case: write ``fn(ctx)`` that builds a graph, runs it on ``ctx.backend`` and checks the
outcome TF1 documents with the helpers in ``verdict.py`` (``expect_raises(fn, ErrorClass)``,
``expect_close(got, want)``; raise ``DataLost`` / ``Security`` for those findings), then append
``Case(name, category, fn)`` to its module's table. Never derive the expectation from graphc's
own output. Cases that kill processes or install signal handlers set ``alone=True``; slow ones
a ``timeout``.
"""
from __future__ import annotations

import importlib

from .case import CATEGORIES, Case

_MODULES = ("cases_feeds", "cases_fetches", "cases_graph", "cases_variables", "cases_ops", "cases_cache",
            "cases_saver", "cases_signals", "cases_threads", "cases_sessions")


def all_cases() -> list[Case]:
    """Every case, in category order; names are unique."""
    cases: list[Case] = []
    for mod in _MODULES:
        cases.extend(importlib.import_module(f"{__name__}.{mod}").CASES)
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate case names: {sorted(dup)}")
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(cases, key=lambda c: order[c.category])


__all__ = ["CATEGORIES", "Case", "all_cases"]
