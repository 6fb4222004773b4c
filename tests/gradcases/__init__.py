"""Gradient-check tables, one module per op family; each defines CASES: list[GradCase]."""
