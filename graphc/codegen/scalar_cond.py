"""A loop condition made of scalar comparisons, evaluated with Python's operators.

Every iteration of a loop the host drives (``regions.py``) runs its condition: ``i < n``, or
dynamic_rnn's ``(time < steps) & (i < maximum_iterations)``. As a sub-executable that costs 10-15 us
of Python (feed checks, the cache lookup, the driver, handing the result out) for a few
comparisons. ``evaluator(cond)`` returns, once per condition graph, a function of the loop's
arguments that computes the same bool from their scalars with Python's comparison and logical
operators, or None when the condition is anything else (arithmetic, tensors, effects, random
ops): then the loop runs the compiled condition as before.

Comparisons of numpy scalars turned into Python ints, floats and bools give numpy's answers (a
float32 is exactly a Python float; NaN compares false), so the evaluator and every backend agree.
"""
from __future__ import annotations

import operator
import weakref
from typing import Callable, Optional, Sequence

import numpy as np

from graphc.control_flow.func_graph import ops_needed

_BINARY = {
    "Less": operator.lt, "LessEqual": operator.le, "Greater": operator.gt, "GreaterEqual": operator.ge,
    "Equal": operator.eq, "NotEqual": operator.ne,
    "LogicalAnd": lambda a, b: a and b, "LogicalOr": lambda a, b: a or b,
}
_UNARY = {"LogicalNot": operator.not_, "Identity": lambda a: a}

_NONE = object()
_evaluators: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def evaluator(cond) -> Optional[Callable[[Sequence], Optional[bool]]]:
    """``test(args)`` for loop condition ``cond`` (a FuncGraph fed ``args``): its bool, or None when
    an argument it reads is not a numpy scalar (a device array: run the compiled condition); None
    when the condition is not scalar comparisons alone."""
    found = _evaluators.get(cond, None)
    if found is None:
        found = _build(cond)
        _evaluators[cond] = _NONE if found is None else found
    return None if found is _NONE else found


def _build(cond) -> Optional[Callable]:
    out = cond.outputs[0] if len(cond.outputs) == 1 else None
    if out is None or out.shape.ndims != 0:
        return None
    needed = ops_needed([out])
    slots = {id(ph): k for k, ph in enumerate(cond.inputs)}
    reads, consts, steps = [], {}, []     # (register, arg index); {register: constant}; (fn, register, inputs)
    register = {}                         # id(tensor) -> its register
    for op in [o for o in cond.get_operations() if o in needed]:     # (built in topological order)
        if op.control_inputs or len(op.outputs) != 1 or op.outputs[0].shape.ndims != 0:
            return None
        t = op.outputs[0]
        register[id(t)] = len(register)
        if op.type == "Placeholder":
            if id(t) not in slots:
                return None
            reads.append((register[id(t)], slots[id(t)]))
        elif op.type == "Const":
            consts[register[id(t)]] = np.asarray(op.attrs["value"]).item()
        elif op.type in _BINARY and len(op.inputs) == 2:
            steps.append((_BINARY[op.type], register[id(t)], [register[id(x)] for x in op.inputs]))
        elif op.type in _UNARY and len(op.inputs) == 1:
            steps.append((_UNARY[op.type], register[id(t)], [register[id(op.inputs[0])]]))
        else:
            return None
    result = register[id(out)]
    template = [consts.get(r) for r in range(len(register))]    # the constants in place, once

    def test(args: Sequence) -> Optional[bool]:
        values = template.copy()
        for r, k in reads:
            a = args[k]
            if a.__class__ is not np.ndarray or a.ndim != 0:
                return None
            values[r] = a.item()
        for fn, r, ins in steps:
            values[r] = fn(*[values[i] for i in ins])
        return bool(values[result])
    return test
