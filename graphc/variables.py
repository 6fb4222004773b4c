"""``tf.Variable``: a named, session-held value with an initializer, usable wherever a tensor is."""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.graph import GraphKeys, Operation, Tensor, get_default_graph, session_for_eval
from graphc.ops import source, state
from graphc.ops.core import convert_to_tensor
from graphc.ops.overloads import install
from graphc.shape import TensorShape


class Variable:
    """A variable (TF1 ``tf.Variable``): ``VariableV2`` op + ``initializer`` (an Assign op)."""

    def __init__(self, initial_value: Any = None, trainable: bool = True, collections: Any = None,
                 validate_shape: bool = True, caching_device: Any = None, name: Optional[str] = None,
                 variable_def: Any = None, dtype: Any = None, expected_shape: Any = None,
                 import_scope: Any = None, constraint: Any = None, use_resource: Any = None,
                 shape: Any = None) -> None:
        if variable_def is not None:
            self._init_from_proto(variable_def, import_scope)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if constraint is not None and not callable(constraint):
            raise ValueError(f"The `constraint` argument must be a callable, got {constraint!r} "
                             f"(variable {name or 'Variable'}).")
        self._constraint = constraint
        graph = get_default_graph()._outermost()   # TF1's init_scope: never inside a loop or branch body
        with graph.as_default(), graph.control_dependencies(None), graph.name_scope(name or "Variable") as scope:
            if callable(initial_value):
                with graph.name_scope("Initializer"):
                    initial_value = initial_value()
            init_t = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            var_shape = TensorShape(shape) if shape is not None else init_t.shape
            if validate_shape and not var_shape.is_fully_defined():
                raise ValueError(f"initial_value of variable {scope[:-1]} must have a fully defined shape "
                                 f"(got {var_shape}) unless validate_shape=False.")
            if not validate_shape and shape is None:
                var_shape = TensorShape(None)
            self._op = graph.create_op(state.STATE_READ, (), {"variable": self, "dtype": init_t.dtype,
                                                               "shape": var_shape},
                                       [(init_t.dtype, var_shape)], scope)
            self._ref = self._op.outputs[0]
            self._initial_value = init_t
            with graph.name_scope(scope):
                self._initializer_op = state.assign(self._ref, init_t, validate_shape=validate_shape,
                                                    name="Assign").op
        self._trainable = trainable
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        collections = list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        graph.add_to_collections(collections, self)

    def _init_from_proto(self, variable_def: Any, import_scope: Optional[str]) -> None:
        """The Variable of ops already in the default graph, named by a ``VariableDef`` (a meta graph's),
        under ``import_scope``. It joins no collection: the meta graph's collections say which."""
        graph = get_default_graph()
        prefix = f"{import_scope}/" if import_scope else ""
        self._constraint = None
        self._ref = graph.as_graph_element(prefix + variable_def.variable_name, allow_operation=False)
        if self._ref.op.type != state.STATE_READ:
            raise ValueError(f"VariableDef names {self._ref.name}, a {self._ref.op.type} op, not a variable")
        self._op = self._ref.op
        self._op.attrs["variable"] = self
        self._initializer_op = graph.as_graph_element(prefix + variable_def.initializer_name, allow_tensor=False)
        # older meta graphs name no initial value: the value the initializer assigns is that
        self._initial_value = (graph.as_graph_element(prefix + variable_def.initial_value_name, allow_operation=False)
                               if variable_def.initial_value_name else self._initializer_op.inputs[-1])
        self._trainable = bool(variable_def.trainable)

    # graph element protocol -----------------------------------------------------------------
    def _graph_tensor(self) -> Tensor:
        return self._ref

    def _as_graph_element(self) -> Tensor:
        return self._ref

    # properties -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def graph(self):
        return self._op.graph

    @property
    def dtype(self) -> dtypes.DType:
        return self._ref.dtype

    @property
    def shape(self) -> TensorShape:
        return self._ref.shape

    def get_shape(self) -> TensorShape:
        return self._ref.shape

    @property
    def initializer(self) -> Operation:
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    @property
    def constraint(self) -> Any:
        """The callable optimizers apply after each update (``var.assign(constraint(var))``), or None."""
        return self._constraint

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def device(self) -> str:
        return ""

    # reading and writing --------------------------------------------------------------------
    def value(self) -> Tensor:
        """The variable's value as a tensor (a read at the start of the run)."""
        return self._ref

    def read_value(self) -> Tensor:
        """A new read of the variable; inside ``control_dependencies`` it sees earlier assigns."""
        return source.identity(self._ref, name="read")

    def initialized_value(self) -> Tensor:
        with self.graph.control_dependencies(None), self.graph.control_dependencies([self._initializer_op]):
            return source.identity(self._ref)

    def assign(self, value: Any, use_locking: Any = None, name: Optional[str] = None, read_value: bool = True):
        t = state.assign(self._ref, value, name=name)
        return t if read_value else t.op

    def assign_add(self, delta: Any, use_locking: Any = None, name: Optional[str] = None, read_value: bool = True):
        t = state.assign_add(self._ref, delta, name=name)
        return t if read_value else t.op

    def assign_sub(self, delta: Any, use_locking: Any = None, name: Optional[str] = None, read_value: bool = True):
        t = state.assign_sub(self._ref, delta, name=name)
        return t if read_value else t.op

    def eval(self, session: Any = None) -> Any:
        return self._ref.eval(session=session)

    def load(self, value: Any, session: Any = None) -> None:
        """Writes ``value`` into the variable in ``session`` (TF1 ``Variable.load``)."""
        sess = session_for_eval(session, self.graph)
        sess.run(self._initializer_op, feed_dict={self._initial_value: value})

    def set_shape(self, shape: Any) -> None:
        self._ref.set_shape(shape)

    def __repr__(self) -> str:
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}_ref>"

    def __bool__(self) -> bool:
        raise TypeError(f"Using a tf.Variable ({self.name}) as a Python bool is not allowed.")

    def __iter__(self):
        raise TypeError(f"'Variable' object is not iterable ({self.name}); index it (v[i]) or "
                        "iterate over sess.run(v) instead.")

    __array_priority__ = 100
    __array_ufunc__ = None


install(Variable)
RefVariable = Variable


def global_variables(scope: Optional[str] = None) -> list:
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope: Optional[str] = None) -> list:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: Optional[str] = None) -> list:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list: Any, name: str = "init") -> Operation:
    """One op that runs the initializers of ``var_list``."""
    var_list = list(var_list)
    if not var_list:
        return source.no_op(name=name)
    return source.group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    """Initializes every global variable of the default graph."""
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer() -> Operation:
    return variables_initializer(local_variables(), name="init")


initialize_all_variables = global_variables_initializer


__all__ = ["Variable", "global_variables", "trainable_variables", "local_variables",
           "variables_initializer", "global_variables_initializer", "local_variables_initializer",
           "initialize_all_variables"]
