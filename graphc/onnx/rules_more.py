"""ONNX rules for random ops, strings and the remaining inference ops, and ``NO_ONNX``: the op
types graphc writes no ONNX for, each with the reason.
"""
from __future__ import annotations

MORE_RULES: dict = {}
NO_ONNX: dict = {}

__all__ = ["MORE_RULES", "NO_ONNX"]
