"""Reductions (being written)."""
__all__ = []
