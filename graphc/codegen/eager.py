"""The reference executor: runs a RunPlan op by op with numpy. float32 stays float32.

This is the spec that compiled backends are checked against, and the "eager mode" that
``graphc bench`` compares with.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from graphc import errors
from graphc.codegen import regions
from graphc.codegen.regions import fits
from graphc.ops import tensor_array
from graphc.ops.core import OPS, OpKind
from graphc.ops.random import make_rng
from graphc.ops.state import ASSIGN_UPDATES, STATE_READ
from graphc.codegen import driver
from graphc.codegen.driver import CompileJob
from graphc.passes.fusion import KernelPlan
from graphc.passes.run_plan import RunPlan, shape_mismatch, update_shape_mismatch


# assigns that add a delta: TF1 requires the delta's shape to be the variable's, never broadcasts it
_DELTA_UPDATES = frozenset(t for t in ASSIGN_UPDATES if t != "Assign")


class EagerExecutable:
    """A RunPlan interpreted with one numpy call per op."""

    backend = "eager"

    def __init__(self, plan: RunPlan, job: Optional[CompileJob] = None) -> None:
        self.plan = plan
        self._job = job      # the driver's job: its plans are computed only if someone asks
        self._steps = []
        # ops that read a variable whose value has another shape than its static one (TF1 takes
        # the run-time shape there), or read such an op: their static shapes do not bind them
        unbound = _downstream_of(plan.read_shapes, plan.ops)
        for op in plan.ops:
            if op.type == STATE_READ:
                continue
            od = OPS.get(op.type)
            if od is None:
                raise errors.UnimplementedError(None, op, f"No kernel registered for op type {op.type} ({op.name})")
            if od.numpy is None and od.kind is not OpKind.REGION:
                raise errors.InternalError(None, op, f"Op {op.name} ({op.type}) has no numpy kernel")
            sources = []
            for i, t in enumerate(op.inputs):
                if op.type == "Assign" and i == 0:  # overwrites: the old value is not read
                    sources.append(("none", None))
                elif (op, i) in plan.read_source:
                    src = plan.read_source[(op, i)]
                    sources.append(("var", t.op) if src is None else ("val", src.outputs[0]))
                else:
                    sources.append(("val", t))
            self._steps.append((op, od, sources, op not in unbound))

    def _plans(self) -> CompileJob:
        if self._job is None:
            self._job = CompileJob(driver.BACKENDS["eager"], self.plan)
        return self._job

    @property
    def kernel_plan(self) -> KernelPlan:
        """The kernel plan a compiled backend would launch for this run (computed on first use)."""
        return self._plans().kernel_plan

    @property
    def kernels(self) -> list:
        return self.kernel_plan.launched

    @property
    def peak_bytes(self) -> int:
        return self._plans().memory_plan.peak_bytes

    def run(self, feed_values: Sequence[np.ndarray], state: Any) -> tuple:
        """Returns (fetch values, {variable op: new value}); never touches ``state.values``."""
        plan = self.plan
        values: dict = dict(zip(plan.feeds, feed_values))
        fed = set(plan.feeds)
        foreign = {id(v) for v in feed_values if not tensor_array.donated(v)}   # a donated feed is ours
        updates: dict = {}

        def read_var(var_op, reader):
            try:
                v = state.values[var_op]
            except KeyError:
                raise errors.FailedPreconditionError(None, reader, (
                    f"Attempting to use uninitialized value {var_op.name} (read by '{reader.name}'). "
                    f"Run its initializer first: sess.run(tf.global_variables_initializer()) or "
                    f"sess.run({var_op.name}.initializer).")) from None
            foreign.add(id(v))
            return v

        with np.errstate(all="ignore"):
            for op, od, sources, bound in self._steps:
                args = [values[src] if kind == "val" else (read_var(src, op) if kind == "var" else None)
                        for kind, src in sources]
                kwargs = op.attrs
                if op.type in _DELTA_UPDATES and np.shape(args[1]) != np.shape(args[0]):
                    raise update_shape_mismatch(op, np.shape(args[0]), np.shape(args[1]))
                if od.kind is OpKind.RANDOM:
                    kwargs = dict(op.attrs, rng=make_rng(op.attrs["seed"], op.attrs["seed2"], state.next_count(op)))
                if od.session_state:
                    kwargs = dict(kwargs, op_state=state.op_state(op))
                try:
                    out = regions.run(op, args, state, compile_plan) if od.kind is OpKind.REGION \
                        else od.numpy(*args, **kwargs)
                except errors.OpError:
                    raise
                except MemoryError as e:
                    shapes = ", ".join(f"{t.name}: {np.shape(a)}" for t, a in zip(op.inputs, args))
                    raise errors.ResourceExhaustedError(None, op, (
                        f"OOM when computing {errors.op_context(op)} with input shapes [{shapes}]: {e}")) from None
                except (ValueError, TypeError, IndexError, ArithmeticError) as e:
                    shapes = ", ".join(f"{t.name}: {np.shape(a)}" for t, a in zip(op.inputs, args))
                    raise errors.InvalidArgumentError(None, op, (
                        f"{errors.op_context(op)} failed at run time with input shapes [{shapes}]: {e}")) from None
                if op.type in ASSIGN_UPDATES:
                    _check_assign(op, np.asarray(out), plan.read_shapes)
                outs = [_check_output(op, t, v, bound) for t, v in zip(op.outputs, out if isinstance(out, tuple) else (out,))]
                for t, v in zip(op.outputs, outs):
                    if t not in fed:  # a fed output keeps the fed value even if its op runs
                        values[t] = v
                if op.type in ASSIGN_UPDATES:
                    updates[op.inputs[0].op] = _check_assign(op, outs[0], plan.read_shapes)
                if op.type == "Const":
                    foreign.add(id(values[op.outputs[0]]))

        results = []
        for t in plan.fetches:
            if t in values:
                v = values[t]
            else:
                v = read_var(t.op, t.op)
            results.append(v.copy() if id(v) in foreign or v.base is not None else v)
        for var, v in updates.items():
            if id(v) in foreign or v.base is not None or not v.flags.writeable:
                updates[var] = np.array(v, copy=True)
        return results, updates


def _downstream_of(variables: dict, ops: list) -> set:
    """The ops of ``ops`` (in execution order) that read one of ``variables``, directly or through others."""
    if not variables:
        return set()
    out: set = set()
    for op in ops:
        if any(t.op in variables or t.op in out for t in op.inputs):
            out.add(op)
    return out


def _check_output(op, t, v, bound: bool = True) -> np.ndarray:
    v = np.asarray(v)
    if v.dtype != t.dtype.np_type:
        raise errors.InternalError(None, op, (
            f"{errors.op_context(op)} produced {v.dtype} but its declared dtype is {t.dtype.name}: "
            "a bug in this op's kernel, please report it."))
    if bound and not fits(t.shape, v.shape):
        raise errors.InvalidArgumentError(None, op, (
            f"{errors.op_context(op)} produced shape {v.shape}, incompatible with its static shape "
            f"{t.shape}. A fed value probably has a shape the graph was not built for."))
    return v


def _check_assign(op, value: np.ndarray, read_shapes: dict) -> np.ndarray:
    """``value`` if assign ``op`` may store it: of its variable's shape (the value's at the run's start
    where ``read_shapes`` has it, as TF1's kernel compares), unless it does not ``validate_shape``."""
    var = op.inputs[0].op
    if op.attrs.get("validate_shape", True) and var.outputs[0].shape.is_fully_defined():
        expected = read_shapes[var] if var in read_shapes else tuple(var.outputs[0].shape.as_list())
        if value.shape != expected:
            raise shape_mismatch(op, expected, value.shape)
    return value


def compile(job: CompileJob) -> EagerExecutable:
    """The backend entry point (see ``codegen/driver.py``): the plans are not computed here."""
    return EagerExecutable(job.plan, job)


def compile_plan(plan: RunPlan) -> EagerExecutable:
    """An eager executable of ``plan`` without a compile job: the sub-executable factory of region
    bodies (``codegen/regions.py``) and of the float64 reference (``reference_bounds.py``)."""
    return EagerExecutable(plan)
