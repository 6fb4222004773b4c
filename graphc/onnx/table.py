"""The ONNX exporter's op table: ``RULES`` (op type -> rule, joined from the rule families) and
``NO_ONNX`` (op type -> why graphc writes no ONNX for it, said in the error naming the op).

Every op type graphc registers is in one of the two (``tests/onnx/test_onnx_coverage.py``); the
README's "Export to ONNX" section lists both.
"""
from __future__ import annotations

from graphc.onnx.rules import BASIC_RULES
from graphc.onnx.rules_control import CONTROL_RULES
from graphc.onnx.rules_more import MORE_RULES, NO_ONNX
from graphc.onnx.rules_nn import NN_RULES

RULES: dict = {**BASIC_RULES, **NN_RULES, **CONTROL_RULES, **MORE_RULES}

__all__ = ["RULES", "NO_ONNX"]
