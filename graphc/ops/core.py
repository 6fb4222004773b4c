"""The op registry and the machinery every op module uses.

Every primitive op is described once, by an ``OpDef``: its kind, its shape/dtype inference, its
numpy kernel (the eager reference and constant folding), its gradient rule written with graphc
ops, and the facts the compiler's passes and backends ask about it (how it is lowered, which
inputs are shapes, costs). Public functions (``tf.add``, ...) are thin constructors over ``make_op``.
Compositions (softmax, layer norm, ...) stay compositions of primitives.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Any, Callable, Optional, Sequence, TypeVar

import numpy as np

from graphc import dtypes
from graphc.graph import Graph, Operation, Tensor, get_default_graph
from graphc.shape import Dimension, TensorShape, as_shape

T = TypeVar("T")


class OpKind(str, enum.Enum):
    """What an op computes, as the passes see it (folding, CSE, reference bounds, autodiff).

    A ``str`` enum, so a kind prints and compares as its name; ``OpDef`` refuses any other string.
    How the fusion planner lowers an op is a separate fact, ``OpDef.lowering``.
    """

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    SOURCE = "source"             # a value from outside the graph's inputs: constant, placeholder, shape query
    ELEMENTWISE = "elementwise"
    REDUCTION = "reduction"
    MOVEMENT = "movement"         # copies elements to new positions (reshape, transpose, slice, tile, ...)
    MATMUL = "matmul"
    OPAQUE = "opaque"
    STATE = "state"               # reads or writes a variable
    RANDOM = "random"             # draws from a per-op random stream (never folded, deduplicated or fused)
    CONTROL = "control"
    REGION = "region"             # owns body graphs (tf.cond, tf.while_loop): run by codegen/regions.py


class Lowering(enum.Enum):
    """How the fusion planner (``graphc/passes/fusion.py``) lowers an op's node.

    The values are the planner's category names; a VIEW, HOST, MATMUL, CONV or OPAQUE node that
    forms a kernel by itself gets a kernel of that kind.
    """

    LEAF = "leaf"                 # constants, feeds and variable reads: no kernel
    VIEW = "view"                 # a reshape of a materialized buffer (no launch, no copy)
    HOST = "host"                 # a shape query computed on the host (no launch)
    ELEMENTWISE = "elementwise"   # fuses into pointwise kernels and reduction prologues/epilogues
    REDUCTION = "reduction"       # fuses over its ``axis`` attr (a tuple) with ``keepdims``, when static
    MATMUL = "matmul"             # a matrix product with an elementwise epilogue
    CONV = "conv"                 # a library op with an elementwise epilogue over its output
    OPAQUE = "opaque"             # a kernel of its own (numpy step where a backend has no template)


# the lowering an op gets unless its OpDef says otherwise
_DEFAULT_LOWERING = {OpKind.ELEMENTWISE: Lowering.ELEMENTWISE, OpKind.MATMUL: Lowering.MATMUL}


@dataclasses.dataclass(frozen=True)
class OpDef:
    """Everything graphc knows about one primitive op type, the one place passes and backends ask.

    ``infer(inputs, attrs)`` returns ``[(dtype, shape), ...]`` per output and raises
    ValueError/TypeError for graphs that can never run. ``numpy(*arrays, **attrs)`` returns an
    array (or a tuple for several outputs). ``grad(op, *output_grads)`` returns one gradient
    tensor (or None) per input. ``differentiable=False`` ops (comparisons, integer results) get
    no gradient; a test checks that every other op has a gradient rule and a gradient check.

    Facts for the compiler (all optional):

    - ``lowering``: how the fusion planner lowers it (default: from ``kind``, see ``Lowering``).
    - ``meta_inputs``: positions of inputs that are shapes read on the host, not data a kernel
      streams over (``data_inputs`` leaves them out).
    - ``weight``: how much the op adds to a fused kernel's expression, in simple ops (the planner
      bounds a kernel's total to bound its compile time).
    - ``cost``: work per element beyond a simple arithmetic op (a libm call or polynomial), which
      the Numba backend weighs against its threshold for running a loop in parallel.
    - ``gather``: a movement op with one data input whose result is a gather through an index map
      its numpy kernel computes (the Triton backend runs it on the device that way).
    - ``nonnegative``: every result is >= 0 or NaN (``simplify`` uses it for log(x) rewrites).
    - ``ufunc``: the name in ``numpy`` of a function that computes the op on float operands with
      its semantics (``np.<ufunc>(x, ...)``); the Numba printer's rule for the op is then that
      call (float operands only), unless ``numba_scalar._RULES`` writes one of its own.
    - ``session_state``: the numpy kernel also takes ``op_state``, a dict the session keeps for this
      op from one run to the next (a learned sampler's counts); every executor passes it.
    """

    type: str
    kind: OpKind
    infer: Callable[[Sequence[Tensor], dict], list]
    numpy: Optional[Callable[..., Any]]
    grad: Optional[Callable[..., list]] = None
    differentiable: bool = True
    # pure ops may be evaluated at build time when all inputs are small constants
    pure: bool = True
    lowering: Optional[Lowering] = None
    meta_inputs: frozenset = frozenset()
    weight: int = 1
    cost: int = 0
    gather: bool = False
    nonnegative: bool = False
    ufunc: Optional[str] = None
    session_state: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", OpKind(self.kind))   # ValueError for a misspelt kind
        if self.lowering is None:
            object.__setattr__(self, "lowering", _DEFAULT_LOWERING.get(self.kind, Lowering.OPAQUE))
        assert isinstance(self.lowering, Lowering), self.lowering
        object.__setattr__(self, "meta_inputs", frozenset(self.meta_inputs))

    def data_inputs(self, inputs: Sequence[T]) -> list:
        """The inputs whose elements the op reads: all but the meta inputs; none for a random op
        (its inputs only size and parametrize the stream it draws)."""
        if self.kind is OpKind.RANDOM:
            return []
        return [v for i, v in enumerate(inputs) if i not in self.meta_inputs]


OPS: dict = {}


def register(opdef: OpDef) -> OpDef:
    if opdef.type in OPS:
        raise ValueError(f"Op type {opdef.type} is registered twice")
    OPS[opdef.type] = opdef
    return opdef


def opdef(op_type: str) -> OpDef:
    return OPS[op_type]


# ------------------------------------------------------------------------------------------------
# graph membership and conversion

def _graph_of(values: Sequence[Any]) -> Graph:
    """The one graph that all Tensor-like ``values`` belong to (default graph if none)."""
    default = get_default_graph()
    graph = None
    first = None
    for v in values:
        t = _graph_tensor_or_none(v)
        if t is None:
            continue
        g = default if default._can_capture(t.graph) else t.graph   # a body captures outer tensors
        if graph is None:
            graph, first = g, t
        elif g is not graph:
            raise ValueError(f"Tensor {t.name} must be from the same graph as Tensor {first.name}: "
                             "tensors of two graphs cannot be used together. Build both in one "
                             "graph (check your `with graph.as_default():` blocks).")
    return graph if graph is not None else default


def _graph_tensor_or_none(v: Any) -> Optional[Tensor]:
    if isinstance(v, Tensor):
        return v
    if hasattr(v, "_graph_tensor"):
        return v._graph_tensor()
    return None


def _check_convertible(arr: np.ndarray, dtype: dtypes.DType, value: Any) -> np.ndarray:
    try:
        out = np.asarray(arr).astype(dtype.np_type)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype.name}: {e}") from None
    src = np.asarray(arr)
    if src.dtype.kind == "f" and dtype.is_integer and not np.array_equal(out, src):
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type '{type(value).__name__}' instead: "
                        "a non-integer value cannot become an integer tensor.")
    if src.dtype.kind in "fiu" and dtype.is_bool:
        raise TypeError(f"Expected bool, got {value!r} of type '{type(value).__name__}' instead.")
    return out


def _utf8_bytes(arr: np.ndarray) -> np.ndarray:
    """A string array as an object array of bytes (str encoded as UTF-8), tf.string's layout."""
    out = np.empty(arr.shape, dtype=object)
    for index, v in np.ndenumerate(arr):
        v = v.item() if isinstance(v, np.generic) else v
        if not isinstance(v, (str, bytes)):
            raise TypeError(f"Expected string, got {v!r} of type '{type(v).__name__}' instead.")
        out[index] = v.encode() if isinstance(v, str) else v
    return out


def static_dims_to_ints(value: Any) -> Any:
    """``value`` with each known ``Dimension`` as its int and each ``TensorShape`` as a list of ints.

    TF1 converts these wherever a tensor is expected (``depth=x.shape[1]``, ``[-1, x.shape[1]]``,
    ``tf.zeros(x.shape[1:])``); lists and tuples are converted element by element, anything else
    is returned as is. An unknown dimension has no value to convert: a ValueError says so.
    """
    if isinstance(value, Dimension):
        if value.value is None:
            raise ValueError("Cannot convert an unknown Dimension to a Tensor: ?. Its size is only "
                             "known at run time; use tf.shape(x)[i] instead of x.shape[i].")
        return value.value
    if isinstance(value, TensorShape):
        if not value.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape to a Tensor: {value}. Use "
                             "tf.shape(x) for a shape only known at run time.")
        return value.as_list()
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, Dimension) and v.value is None for v in value):
            shown = ", ".join("?" if isinstance(v, Dimension) and v.value is None else str(v) for v in value)
            raise ValueError(f"Cannot convert [{shown}] to a Tensor: it holds an unknown Dimension, whose "
                             "size is only known at run time; use tf.shape(x)[i] for it.")
        if any(isinstance(v, (Dimension, TensorShape, list, tuple)) for v in value):
            return type(value)(static_dims_to_ints(v) for v in value)
    return value


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const",
             verify_shape: bool = False) -> Tensor:
    """``tf.constant``: a tensor holding ``value`` (broadcast to ``shape`` when given)."""
    if isinstance(value, Tensor) or hasattr(value, "_graph_tensor"):
        raise TypeError(f"tf.constant expects a Python or numpy value, got the tensor {value!r}")
    value = static_dims_to_ints(value)
    if value is None:
        raise ValueError("None values not supported.")
    try:
        src = np.asarray(value)
    except ValueError as e:
        raise ValueError(f"Cannot convert {value!r} to a tensor: {e}") from None
    if src.dtype.kind == "S" and not isinstance(value, np.ndarray):
        src = np.array(value, dtype=object)   # numpy's fixed-width bytes would drop trailing NUL bytes
    dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.infer_dtype(value)
    if dt is dtypes.string:
        if src.dtype.kind not in "SUO":
            raise TypeError(f"Expected string, got {value!r} of type '{type(value).__name__}' instead.")
        src = _utf8_bytes(src)
    elif src.dtype == object:
        raise ValueError(f"Cannot convert {value!r} to a tensor: ragged or non-numeric elements")
    arr = _check_convertible(src, dt, value)
    if shape is not None:
        shape = tuple(int(d) for d in as_shape(shape).as_list())
        if arr.shape != shape:
            if verify_shape:
                raise TypeError(f"Expected Tensor's shape: {shape}, got {arr.shape}.")
            n = int(np.prod(shape))
            if arr.size == 1:
                arr = np.broadcast_to(arr.reshape(()), shape)
            elif arr.size == n:
                arr = arr.reshape(shape)
            elif 1 < arr.size < n:  # TF1 repeats the last value to fill the shape
                flat = arr.reshape(-1)
                arr = np.concatenate([flat, np.repeat(flat[-1:], n - flat.size)]).reshape(shape)
            else:
                raise ValueError(f"Too many elements provided. Takes at most {n}, but got {arr.size}.")
    arr = np.array(arr, copy=True)
    arr.flags.writeable = False
    graph = get_default_graph()
    op = graph.create_op("Const", (), {"value": arr, "dtype": dt}, [(dt, arr.shape)], name)
    return op.outputs[0]


def convert_to_tensor(value: Any, dtype: Any = None, name: Optional[str] = None,
                      preferred_dtype: Any = None) -> Tensor:
    """Tensors pass through (dtype checked); Variables give their value; other values become constants."""
    t = _graph_tensor_or_none(value)
    if t is not None:
        if dtype is not None and dtypes.as_dtype(dtype) is not t.dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for "
                             f"Tensor {t.name} with dtype {t.dtype.name}; use tf.cast to convert it.")
        return t
    if isinstance(value, Operation):
        raise TypeError(f"Can not convert the Operation {value.name} to a Tensor: fetch or use one of its outputs.")
    if isinstance(value, (list, tuple)) and value and any(_holds_tensor(v) for v in value):
        # TF1 packs a list holding tensors (``tf.string_split([s])``, ``[t, 2.0]``) into one tensor
        parts = convert_n([convert_to_tensor(v, dtype=dtype) if _holds_tensor(v) else v for v in value])
        if dtype is not None:
            parts = [convert_to_tensor(t, dtype=dtype) for t in parts]
        return make_op("Pack", parts, {"axis": 0}, name or "packed").outputs[0]
    if dtype is None and preferred_dtype is not None:
        try:
            return constant(value, dtype=preferred_dtype, name=name or "Const")
        except TypeError:
            pass
    return constant(value, dtype=dtype, name=name or "Const")


def _holds_tensor(value: Any) -> bool:
    """Whether ``value`` is a tensor or a (nested) list/tuple holding one."""
    if _graph_tensor_or_none(value) is not None:
        return True
    return isinstance(value, (list, tuple)) and any(_holds_tensor(v) for v in value)


def convert_n(values: Sequence[Any], names: Sequence[str] = ()) -> list:
    """Converts several operands together: Python values adopt the dtype of the tensor operands.

    All tensor operands must share one dtype; the message names each operand, its dtype and shape.
    """
    tensors = [(_graph_tensor_or_none(v)) for v in values]
    known = [t for t in tensors if t is not None]
    _graph_of(known)
    if known:
        first = known[0]
        for t in known[1:]:
            if t.dtype is not first.dtype:
                raise TypeError(
                    f"Operands must have the same dtype, but {first.name} is {first.dtype.name} "
                    f"{first.shape} and {t.name} is {t.dtype.name} {t.shape}. Use tf.cast to convert one.")
        dt = first.dtype
        return [t if t is not None else convert_to_tensor(v, dtype=dt) for v, t in zip(values, tensors)]
    converted = [convert_to_tensor(v) for v in values]
    # several Python values together: the widest wins (1 and 2.5 -> float32)
    if len({t.dtype for t in converted}) > 1:
        dt = dtypes.float32 if any(t.dtype.is_floating for t in converted) else converted[0].dtype
        converted = [convert_to_tensor(v, dtype=dt) for v in values]
    return converted


# ------------------------------------------------------------------------------------------------
# building ops

def make_op(op_type: str, inputs: Sequence[Any], attrs: Optional[dict] = None,
            name: Optional[str] = None) -> Operation:
    """Creates an op of a registered type: converts inputs, infers outputs, names it."""
    od = OPS[op_type]
    attrs = attrs or {}
    tensors = [convert_to_tensor(x) for x in inputs]
    graph = _graph_of(tensors)
    try:
        specs = od.infer(tensors, attrs)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{op_type} ({name or op_type}): {e}") from None
    if graph is not get_default_graph() and tensors:
        with graph.as_default():
            return graph.create_op(op_type, tuple(tensors), attrs, specs, name or op_type)
    return graph.create_op(op_type, tuple(tensors), attrs, specs, name or op_type)


def apply(op_type: str, inputs: Sequence[Any], attrs: Optional[dict] = None,
          name: Optional[str] = None) -> Any:
    """``make_op`` returning the single output tensor (or the list of outputs)."""
    op = make_op(op_type, inputs, attrs, name)
    return op.outputs[0] if len(op.outputs) == 1 else list(op.outputs)


# ------------------------------------------------------------------------------------------------
# shape helpers shared by inference rules

def broadcast_shape(a: TensorShape, b: TensorShape, a_name: str = "x", b_name: str = "y") -> TensorShape:
    """NumPy/TF broadcasting of two static shapes; a known mismatch raises ValueError naming both."""
    da, db = a.as_tuple(), b.as_tuple()
    if da is None or db is None:
        return TensorShape(None)
    n = max(len(da), len(db))
    da = (1,) * (n - len(da)) + da
    db = (1,) * (n - len(db)) + db
    out = []
    for x, y in zip(da, db):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)
        elif y is None or x == y:
            out.append(x)
        else:
            raise ValueError(f"Dimensions must be equal (or 1 to broadcast), but {a_name} has shape "
                             f"{a} and {b_name} has shape {b}")
    return TensorShape(out)


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1) or (rank == 0 and axis not in (0, -1)):
        raise ValueError(f"{what} {axis} is out of range for a tensor of rank {rank} "
                         f"(valid: [{-rank}, {rank}))")
    return axis % rank if rank else 0


def constant_value(t: Tensor) -> Optional[np.ndarray]:
    """The value of ``t`` if it can be known while building the graph (small pure subgraphs)."""
    op = t.op
    if op.type == "Const":
        return op.attrs["value"]
    if op.type == "Shape":
        shape = op.inputs[0].shape
        if shape.is_fully_defined():
            return np.array(shape.as_list(), dtype=t.dtype.np_type)
        return None
    od = OPS.get(op.type)
    if od is None or not od.pure or od.kind in (OpKind.SOURCE, OpKind.STATE, OpKind.RANDOM) or od.numpy is None:
        return None
    size = t.shape.num_elements()
    if size is None or size > 1024 or not op.inputs:
        return None
    args = []
    for x in op.inputs:
        v = constant_value(x)
        if v is None:
            return None
        args.append(v)
    out = od.numpy(*args, **op.attrs)
    out = out[t.value_index] if isinstance(out, tuple) else out
    return np.asarray(out)


def shape_value(t: Tensor) -> Optional[list]:
    """A 1-D int tensor used as a shape, as a list of ints/None (partially known), or None."""
    v = constant_value(t)
    if v is not None:
        return [int(d) for d in np.reshape(v, (-1,))]
    if t.op.type == "Shape":
        dims = t.op.inputs[0].shape.as_tuple()
        return None if dims is None else list(dims)
    if t.op.type == "Pack" and all(x.shape.ndims == 0 for x in t.op.inputs):
        vals = [constant_value(x) for x in t.op.inputs]
        return [None if v is None else int(v) for v in vals]
    dims = t.shape.as_tuple()
    if dims is not None and len(dims) == 1 and dims[0] is not None:
        return [None] * dims[0]
    return None


def as_shape_tensor(shape: Any, name: str = "shape") -> Tensor:
    """A shape given as a list/tuple/TensorShape/ndarray or as an int tensor, as an int32 tensor."""
    shape = static_dims_to_ints(shape)
    t = _graph_tensor_or_none(shape)
    if t is not None:
        if not t.dtype.is_integer:
            raise TypeError(f"A shape tensor must be int32 or int64, got {t.name} of dtype {t.dtype.name}")
        return t
    if isinstance(shape, (list, tuple)) and any(_graph_tensor_or_none(d) is not None for d in shape):
        from graphc.ops import join_split  # a list that mixes ints and scalar tensors

        return join_split.stack([convert_to_tensor(d, dtype=dtypes.int32) for d in shape], name=name)
    arr = np.asarray(shape)
    if arr.ndim > 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"A shape must be a list of ints, got {shape!r}")
    return constant(arr.astype(np.int32).reshape(-1), dtype=dtypes.int32, name=name)
