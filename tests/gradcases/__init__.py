"""Gradient-check tables, one module per op family; each defines CASES: list[GradCase]."""
import importlib
import pkgutil


def all_cases() -> list:
    """The GradCases of every table in this package."""
    cases = []
    for mod in pkgutil.iter_modules(__path__):
        cases.extend(importlib.import_module(f"{__name__}.{mod.name}").CASES)
    return cases
