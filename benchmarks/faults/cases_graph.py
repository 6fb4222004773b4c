"""Graph misuse: ops across graphs, finalized graphs, names TF1 rejects (backslashes, spaces,
quotes, code), names TF1 accepts that look like code, control-dependency cycles, Python
protocols on tensors, static shape and dtype errors at construction.

TF1: inputs from two graphs are ValueError; a finalized graph is RuntimeError; op names must
match ``^[A-Za-z0-9.][A-Za-z0-9_.\\-/>]*$`` (ValueError otherwise); ``get_tensor_by_name`` of a
missing name is KeyError; a tensor as a Python bool is TypeError; mismatched static shapes are
ValueError and mismatched dtypes TypeError when the op is built; a cycle is InvalidArgumentError
when run.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Case, Context
from .util import f32, run
from .verdict import Security, Wrong, expect_close, expect_equal, expect_raises

CASES: list[Case] = []


def _case(name: str, fn: Any, **kw: Any) -> None:
    CASES.append(Case(f"graph/{name}", "graph", fn, **kw))


# ------------------------------------------------------------------------------------------------
# ops across graphs

def _cross(build: Callable[[Any, Any, Any], Any], ctx: Context) -> None:
    import graphc as tf

    a = tf.constant(f32(1, 2), name="a")
    with tf.Graph().as_default():
        b = tf.constant(f32(3, 4), name="b")
    expect_raises(lambda: build(tf, a, b), ValueError, "graph")


_CROSS = [
    ("add", lambda tf, a, b: tf.add(a, b)),
    ("operator", lambda tf, a, b: a * b),
    ("matmul", lambda tf, a, b: tf.matmul(tf.reshape(a, [1, 2]), tf.reshape(b, [2, 1]))),
    ("concat", lambda tf, a, b: tf.concat([a, b], 0)),
    ("add_n", lambda tf, a, b: tf.add_n([a, a, b])),
    ("stack", lambda tf, a, b: tf.stack([a, b])),
    ("group", lambda tf, a, b: tf.group(a.op, b.op)),
    ("control_dependencies", lambda tf, a, b: _in_control(tf, b, lambda: tf.identity(a))),
    ("gradients", lambda tf, a, b: tf.gradients(tf.reduce_sum(a), [b])),
    ("assign", lambda tf, a, b: tf.assign(tf.Variable(f32(0, 0)), b)),
    ("where", lambda tf, a, b: tf.where(tf.greater(a, 0.0), a, b)),
]


def _in_control(tf: Any, dep: Any, build: Callable[[], Any]) -> Any:
    with tf.control_dependencies([dep]):
        return build()


for _n, _b in _CROSS:
    _case(f"cross_graph/{_n}", functools.partial(_cross, _b), quick=_n == "add")


def _session_of_other_graph(ctx: Context) -> None:
    import graphc as tf

    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
    y = tf.constant(2.0) * 3.0
    with tf.Session(backend=ctx.backend, graph=g) as sess:
        expect_raises(lambda: sess.run(y), ValueError, "graph")


def _tensor_after_reset(ctx: Context) -> None:
    import graphc as tf

    old = tf.constant(1.0)
    tf.reset_default_graph()
    expect_raises(lambda: old + tf.constant(2.0), ValueError, "graph")


_case("cross_graph/session_of_other_graph", _session_of_other_graph)
_case("cross_graph/tensor_after_reset", _tensor_after_reset)


# ------------------------------------------------------------------------------------------------
# finalized graphs: building is RuntimeError, running what exists still works

def _finalized(build: Callable[[Any, Any], Any], ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    y = x * 2.0
    tf.get_default_graph().finalize()
    expect_raises(lambda: build(tf, x), RuntimeError, "finalized")
    expect_close(run(ctx, y, {x: f32(1, 2)}), f32(2, 4))


_FINAL = [
    ("constant", lambda tf, x: tf.constant(1.0)),
    ("operator", lambda tf, x: x + 1.0),
    ("placeholder", lambda tf, x: tf.placeholder(tf.float32)),
    ("variable", lambda tf, x: tf.Variable(1.0)),
    ("initializer", lambda tf, x: tf.global_variables_initializer()),
    ("gradients", lambda tf, x: tf.gradients(tf.reduce_sum(x), x)),
]
for _n, _b in _FINAL:
    _case(f"finalized/{_n}", functools.partial(_finalized, _b), quick=_n == "operator")


# ------------------------------------------------------------------------------------------------
# names: TF1's regex rejects these (ValueError), whatever graphc would do with them

def _marker(ctx: Context) -> str:
    return os.path.join(ctx.scratch, "PWNED")


def _bad_names(ctx: Context) -> dict:
    m = _marker(ctx)
    return {
        "backslash": "a\\b",
        "trailing_backslash": "ab\\",
        "space": "a b",
        "newline": "a\nb",
        "tab": "a\tb",
        "leading_underscore": "_hidden",
        "leading_dash": "-x",
        "leading_slash": "/x",
        "colon": "x:0",
        "quote": "x'y",
        "double_quote": 'x"y',
        "semicolon": "x;y",
        "parenthesis": "f(x)",
        "hash": "x#y",
        "braces": "x{0}",
        "percent": "x%s",
        "unicode": "caf\u00e9",
        "nul": "x\x00y",
        "empty_after_scope": "a//b" if False else "a b/c",
        "python_injection": f"x'+__import__('os').system('touch {m}')+'",
        "newline_injection": f"x\nimport os; os.system('touch {m}')\n#",
        "format_injection": "{__import__('os').system('touch " + m + "')}",
        "c_comment_injection": f"x*/ __import__('os').system('touch {m}') /*",
        "triton_injection": f"x\n    __import__('os').system('touch {m}')",
    }


def _bad_name(key: str, where: str, ctx: Context) -> None:
    import graphc as tf

    name = _bad_names(ctx)[key]
    x = tf.placeholder(tf.float32, [2], name="x")
    try:
        if where == "op":
            expect_raises(lambda: tf.identity(x * 2.0, name=name), ValueError, "name")
        elif where == "scope":
            def build() -> Any:
                with tf.name_scope(name):
                    return tf.identity(x * 2.0, name="inner")
            expect_raises(build, ValueError, "name")
        else:
            expect_raises(lambda: tf.Variable(1.0, name=name), ValueError, "name")
    except Wrong:
        # accepted: it must at least never reach generated code
        try:
            g = tf.get_default_graph()
            ops = [op for op in g.get_operations() if op.type in ("Identity", "VariableV2", "Variable")]
            run(ctx, [o.outputs[0] for o in ops if o.type == "Identity"], {x: f32(1, 2)})
        except Exception:
            pass
        if os.path.exists(_marker(ctx)):
            raise Security(f"the name {name!r} executed code")
        raise


_SCOPE_OK = {"leading_underscore", "leading_dash"}     # TF1's scope regex allows these first characters
for _k in ("backslash", "trailing_backslash", "space", "newline", "tab", "leading_underscore", "leading_dash",
           "colon", "quote", "double_quote", "semicolon", "parenthesis", "hash", "braces", "percent", "unicode",
           "nul", "python_injection", "newline_injection", "format_injection", "c_comment_injection",
           "triton_injection"):
    _case(f"names/op_{_k}", functools.partial(_bad_name, _k, "op"), quick=_k == "python_injection")
for _k in ("backslash", "space", "quote", "python_injection", "newline_injection"):
    _case(f"names/scope_{_k}", functools.partial(_bad_name, _k, "scope"))
for _k in ("backslash", "space", "python_injection"):
    _case(f"names/variable_{_k}", functools.partial(_bad_name, _k, "variable"))


_GOOD_NAMES = ["import", "os", "sys", "np", "None", "True", "lambda", "def", "return", "print", "exec", "eval",
               "x>y", "a/b/c", "1abc", "..", ".", "x-y", "a.b", "out", "buf", "i", "n", "tid", "tl", "program_id",
               "a" * 3000, "A" + "_" * 200, "x/" * 50 + "y"]


def _good_name(name: str, ctx: Context) -> None:
    """Names TF1 accepts, several spelled like identifiers in generated code: results unchanged."""
    import graphc as tf

    x = tf.placeholder(tf.float32, [None], name=name)
    y = tf.identity(tf.tanh(x) * 2.0 + 1.0, name=name)
    z = tf.reduce_sum(tf.exp(y), name=name)
    v = tf.Variable(f32(0, 0), name=name)
    step = tf.assign_add(v, y)
    xs = f32(0.5, -1.0)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(v.initializer)
        got_y, got_z, _ = sess.run([y, z, step], {x: xs})
        got_v = sess.run(v)
    want_y = np.tanh(xs) * 2 + 1
    expect_close(got_y, want_y)
    expect_close(got_z, np.exp(want_y).sum())
    expect_close(got_v, want_y)
    if not x.name.startswith(name[:50]):
        raise Wrong(f"placeholder named {name[:40]!r} became {x.name[:40]!r}")


for _i, _n in enumerate(_GOOD_NAMES):
    _label = _n if len(_n) < 20 and _n.isidentifier() else f"valid_{_i}"
    _case(f"names/accepted_{_label}", functools.partial(_good_name, _n), quick=_n == "import")


def _duplicate_names(ctx: Context) -> None:
    import graphc as tf

    a = tf.constant(1.0, name="c")
    b = tf.constant(2.0, name="c")
    expect_equal([a.op.name, b.op.name], ["c", "c_1"], "uniquified names")
    expect_close(run(ctx, a + b), 3.0)


_case("names/duplicates_uniquified", _duplicate_names)


# ------------------------------------------------------------------------------------------------
# cycles through control dependencies (TF1: op._add_control_input; run is InvalidArgumentError)

def _add_control(op: Any, dep: Any) -> None:
    if hasattr(op, "_add_control_input"):
        op._add_control_input(dep)
    else:       # graphc ops are immutable through the public API; reach in like TF1's private call
        op._control_inputs = tuple(op._control_inputs) + (dep,)


def _cycle(kind: str, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    a = x * 2.0
    b = a + 1.0
    c = tf.tanh(b)
    if kind == "self":
        _add_control(b.op, b.op)
    elif kind == "two":
        _add_control(a.op, b.op)
    else:
        _add_control(a.op, c.op)
    expect_raises(lambda: run(ctx, c, {x: f32(1, 2)}), (tf.errors.InvalidArgumentError, ValueError), "cycle")


for _k in ("self", "two", "three"):
    _case(f"cycle/{_k}", functools.partial(_cycle, _k), timeout=30, quick=_k == "two")


# ------------------------------------------------------------------------------------------------
# Python protocols on tensors, lookups

def _py(fn: Callable[[Any, Any], Any], types: Any, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [None, 2], name="x")
    expect_raises(lambda: fn(tf, x), types)


_PROTOCOL = [
    ("bool", lambda tf, x: bool(x), TypeError),
    ("if", lambda tf, x: 1 if x > 0 else 0, TypeError),
    ("iter_unknown_dim", lambda tf, x: list(x), TypeError),
    ("eval_without_session", lambda tf, x: x.eval(), ValueError),
    ("get_tensor_missing", lambda tf, x: tf.get_default_graph().get_tensor_by_name("nope:0"), KeyError),
    ("get_operation_missing", lambda tf, x: tf.get_default_graph().get_operation_by_name("nope"), KeyError),
    ("get_tensor_by_op_name", lambda tf, x: tf.get_default_graph().get_tensor_by_name("x"), ValueError),
    ("as_graph_element_int", lambda tf, x: tf.get_default_graph().as_graph_element(3), TypeError),
    ("control_dependencies_int", lambda tf, x: tf.control_dependencies([3]).__enter__(), TypeError),
    ("reset_inside_graph", lambda tf, x: _reset_nested(tf), AssertionError),
    ("placeholder_bad_dtype", lambda tf, x: tf.placeholder("floatt"), TypeError),
    ("placeholder_negative_dim", lambda tf, x: tf.placeholder(tf.float32, [-2]), ValueError),
    ("add_dtype_mismatch", lambda tf, x: tf.add(x, tf.constant(1, tf.int32)), TypeError),
    ("matmul_dtype_mismatch", lambda tf, x: tf.matmul(x, tf.ones([2, 2], tf.float64)), TypeError),
    ("matmul_static_shape", lambda tf, x: tf.matmul(x, tf.ones([3, 2])), ValueError),
    ("add_static_shape", lambda tf, x: tf.ones([2]) + tf.ones([3]), ValueError),
    ("reshape_static_size", lambda tf, x: tf.reshape(tf.ones([6]), [4]), ValueError),
    ("concat_rank_mismatch", lambda tf, x: tf.concat([tf.ones([2]), tf.ones([2, 2])], 0), ValueError),
    ("reduce_axis_out_of_range", lambda tf, x: tf.reduce_sum(x, axis=5), ValueError),
    ("transpose_bad_perm", lambda tf, x: tf.transpose(x, [0, 0]), ValueError),
    ("squeeze_non_one", lambda tf, x: tf.squeeze(x, [1]), ValueError),
    ("variable_without_value", lambda tf, x: tf.Variable(), ValueError),
    ("get_variable_twice", lambda tf, x: [tf.get_variable("gv", [1]), tf.get_variable("gv", [1])], ValueError),
    ("get_variable_reuse_missing", lambda tf, x: _reuse_missing(tf), ValueError),
]


def _reset_nested(tf: Any) -> None:
    with tf.Graph().as_default():
        tf.reset_default_graph()


def _reuse_missing(tf: Any) -> Any:
    with tf.variable_scope("scope", reuse=True):
        return tf.get_variable("never_made", [1])


for _n, _f, _t in _PROTOCOL:
    _case(f"misuse/{_n}", functools.partial(_py, _f, _t))


def _tensor_equality(ctx: Context) -> None:
    import graphc as tf

    a = tf.constant(1.0)
    b = tf.constant(1.0)
    if (a == b) is not False or (a == a) is not True or len({a, b, a}) != 2:
        raise Wrong("Tensor == / hash are not object identity (TF1 graph mode)")


_case("misuse/tensor_equality_is_identity", _tensor_equality)
