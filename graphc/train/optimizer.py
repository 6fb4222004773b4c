"""``tf.train.Optimizer``: the TF1 base class (compute_gradients / apply_gradients / minimize, slots).

Each subclass describes one update rule as ordinary graph ops (elementwise math and assigns), so
updates are pruned, fused and compiled like any other part of the graph. Inside one run a read of
a variable sees its value at the start of the run unless it depends on an assign to it; update
rules therefore use the *output* of a slot's assign wherever TF1's formula needs the new value.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from graphc import dtypes
from graphc.graph import GraphKeys, Graph, Operation, Tensor, get_default_graph
from graphc.ops import math as m
from graphc.ops import source, state
from graphc.ops.core import constant, convert_to_tensor
from graphc.gradients import gradients
from graphc.variables import Variable, trainable_variables

_INIT_NAMES = {0.0: "zeros", 1.0: "ones"}   # TF1's names for slot initial values
_FLOAT_DTYPES = (dtypes.float16, dtypes.float32, dtypes.float64)


def _constrained(update: Operation, var: Any) -> Operation:
    """TF1's update of a variable with a ``constraint``: after the optimizer's update, the variable
    is assigned ``constraint(var)`` (which reads the updated value)."""
    constraint = getattr(var, "constraint", None)
    if constraint is None:
        return update
    with update.graph.control_dependencies([update]):
        return state.assign(var, constraint(var)).op


def variable_tensor(var: Any) -> Tensor:
    """The ``VariableV2`` output behind a Variable (or the tensor itself)."""
    t = var._graph_tensor() if hasattr(var, "_graph_tensor") else var
    if not isinstance(t, Tensor) or t.op.type != state.STATE_READ:
        raise TypeError(f"Expected a tf.Variable to optimize, got {var!r}")
    return t


def _var_key(var: Any) -> Operation:
    return variable_tensor(var).op


def _check_float(what: str, t: Any) -> None:
    if t.dtype not in _FLOAT_DTYPES:
        names = ", ".join(d.name for d in _FLOAT_DTYPES)
        raise ValueError(f"Invalid type {t.dtype.name} for {what} {t.name}, expected one of: {names}. "
                         "Only floating-point losses and variables can be optimized.")


class Optimizer:
    """Base class of the TF1 optimizers.

    Subclasses define ``_hyperparameters()`` (name -> value: float, tensor or callable),
    optionally ``_create_slots(var_list)``, ``_apply_dense(grad, var) -> Operation`` and
    ``_finish(update_ops, name) -> Operation``.
    """

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking: bool, name: str) -> None:
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict = {}        # slot name -> {variable op: slot Variable}
        self._non_slots: dict = {}    # (graph, name) -> Variable
        self._hyper: dict = {}        # hyperparameter name -> tensor (set by _prepare)

    def get_name(self) -> str:
        return self._name

    # the public TF1 API ------------------------------------------------------------------------
    def minimize(self, loss: Any, global_step: Any = None, var_list: Optional[Sequence[Any]] = None,
                 gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                 colocate_gradients_with_ops: bool = False, name: Optional[str] = None,
                 grad_loss: Any = None) -> Operation:
        """Adds ops that compute the gradients of ``loss`` and apply them; returns the train op."""
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients, aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            names = [repr(v) for _, v in grads_and_vars]
            raise ValueError("No gradients provided for any variable, check your graph for ops that do not "
                             f"support gradients, between variables {names} and loss {loss!r}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss: Any, var_list: Optional[Sequence[Any]] = None,
                          gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                          colocate_gradients_with_ops: bool = False, grad_loss: Any = None) -> list:
        """``[(gradient or None, variable)]`` of ``loss`` for ``var_list`` (default: trainable variables)."""
        if callable(loss):
            raise TypeError("compute_gradients needs the loss tensor; a callable loss is for eager mode.")
        if gate_gradients not in (self.GATE_NONE, self.GATE_OP, self.GATE_GRAPH):
            raise ValueError(f"gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                             f"Optimizer.GATE_GRAPH. Not {gate_gradients}")
        loss_t = convert_to_tensor(loss)
        _check_float("loss", loss_t)
        var_list = list(trainable_variables() if var_list is None else var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            variable_tensor(v)
        grads = gradients(loss_t, var_list, grad_ys=None if grad_loss is None else [grad_loss],
                          gate_gradients=gate_gradients == self.GATE_OP,
                          aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == self.GATE_GRAPH:
            grads = source.tuple(grads)
        pairs = list(zip(grads, var_list))
        for g, v in pairs:
            if g is not None:
                _check_float("variable", variable_tensor(v))
        return pairs

    def apply_gradients(self, grads_and_vars: Any, global_step: Any = None, name: Optional[str] = None) -> Operation:
        """Adds the update ops for ``grads_and_vars``; increments ``global_step`` after all of them."""
        pairs = self._checked_pairs(grads_and_vars)
        var_list = [v for g, v in pairs if g is not None]
        if not var_list:
            raise ValueError(f"No gradients provided for any variable: {[repr(v) for _, v in pairs]}.")
        graph = variable_tensor(var_list[0]).graph
        with graph.as_default():
            with graph.control_dependencies(None), graph.name_scope(None):
                self._create_slots(var_list)
            with graph.name_scope(name or self._name) as scope:
                self._prepare()
                update_ops = []
                for g, v in pairs:
                    if g is None:
                        continue
                    with graph.name_scope("update_" + _var_key(v).name):
                        update_ops.append(_constrained(self._apply_dense(g, v), v))
                if global_step is None:
                    train_op = self._finish(update_ops, scope)
                else:
                    with graph.control_dependencies([self._finish(update_ops, "update")]):
                        train_op = state.assign_add(global_step, 1, name=scope).op
        train_ops = graph.get_collection_ref(GraphKeys.TRAIN_OP)
        if train_op not in train_ops:
            train_ops.append(train_op)
        return train_op

    def get_slot(self, var: Any, name: str) -> Optional[Variable]:
        """The slot variable ``name`` (e.g. "m", "momentum") created for ``var``, or None."""
        return self._slots.get(name, {}).get(_var_key(var))

    def get_slot_names(self) -> list:
        return sorted(self._slots)

    def variables(self) -> list:
        """This optimizer's variables (slots and e.g. Adam's beta powers) in the default graph, by name."""
        graph = get_default_graph()
        found = [v for (g, _), v in self._non_slots.items() if g is graph]
        for per_var in self._slots.values():
            found.extend(v for v in per_var.values() if v.graph is graph)
        return sorted(found, key=lambda v: v.name)

    # helpers for subclasses ----------------------------------------------------------------------
    def _hyperparameters(self) -> dict:
        """Hyperparameter name -> float, tensor or callable (converted once per apply_gradients)."""
        return {}

    def _prepare(self) -> None:
        self._hyper = {}
        for key, value in self._hyperparameters().items():
            value = value() if callable(value) else value
            self._hyper[key] = convert_to_tensor(value, name=key)

    def _get_hyper(self, key: str, var: Any) -> Tensor:
        """Hyperparameter ``key`` as a tensor of ``var``'s dtype."""
        return m.cast(self._hyper[key], variable_tensor(var).dtype)

    def _create_slots(self, var_list: list) -> None:
        """Creates the slot variables of each variable (none for plain gradient descent)."""

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        raise TypeError(f"{type(self).__name__} does not define an update rule (_apply_dense)")

    def _finish(self, update_ops: list, name: str) -> Operation:
        return source.group(*update_ops, name=name)

    def _zeros_slot(self, var: Any, slot_name: str) -> Variable:
        return self._slot_with_value(var, slot_name, 0.0)

    def _slot_with_value(self, var: Any, slot_name: str, value: Any) -> Variable:
        """Gets or creates slot ``slot_name`` of ``var``: ``<var>/<optimizer name>``, filled with ``value``."""
        per_var = self._slots.setdefault(slot_name, {})
        key = _var_key(var)
        if key not in per_var:
            per_var[key] = _new_slot(variable_tensor(var), self._name, value)
        return per_var[key]

    def _non_slot(self, name: str, initial_value: Any, graph: Graph) -> Variable:
        """Gets or creates a variable shared by all variables of this optimizer (e.g. beta1_power)."""
        key = (graph, name)
        if key not in self._non_slots:
            self._non_slots[key] = Variable(initial_value, trainable=False, name=name)
        return self._non_slots[key]

    def _get_slot(self, var: Any, slot_name: str) -> Variable:
        return self._slots[slot_name][_var_key(var)]

    @staticmethod
    def _checked_pairs(grads_and_vars: Any) -> list:
        pairs = []
        try:
            items = list(grads_and_vars)
        except TypeError:
            raise TypeError("grads_and_vars must be a list of (gradient, variable) pairs, "
                            f"got {grads_and_vars!r}") from None
        if not items:
            raise ValueError("No variables provided.")
        seen: dict = {}
        for item in items:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(f"grads_and_vars must contain (gradient, variable) pairs, got {item!r}")
            g, v = item
            key = _var_key(v)
            if key in seen:
                raise ValueError(f"Variable {key.name} appears twice in grads_and_vars; two updates of one "
                                 "variable in one step would race. Sum its gradients into one pair first.")
            seen[key] = True
            if g is not None:
                try:
                    g = convert_to_tensor(g)
                except (TypeError, ValueError):
                    raise TypeError(f"Gradient must be convertible to a Tensor or None: {g!r}") from None
            pairs.append((g, v))
        return pairs


def _new_slot(var: Tensor, optimizer_name: str, value: Any) -> Variable:
    """A non-trainable variable named ``<var>/<optimizer_name>`` with ``var``'s shape and dtype."""
    if not var.shape.is_fully_defined():
        raise ValueError(f"Cannot create an optimizer slot for variable {var.op.name} of partially known "
                         f"shape {var.shape}; give the variable a fully defined shape.")
    shape = var.shape.as_list()

    def initial_value() -> Tensor:
        return constant(value, dtype=var.dtype, shape=shape, name=_INIT_NAMES.get(value, "Const"))

    return Variable(initial_value, trainable=False, name=f"{var.op.name}/{optimizer_name}", dtype=var.dtype)


__all__ = ["Optimizer"]
