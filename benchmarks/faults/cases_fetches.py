"""Fetches: missing or foreign ones, duplicates, nested structures, ops vs tensors, names.

TF1 (session.py, _FetchMapper): lists stay lists, tuples and namedtuples keep their type, dicts
keep their keys; an Operation fetches None; strings name tensors ("y:0") or operations ("y");
None, numbers, arrays and sets are TypeError; a name or tensor that is not in the session's
graph is ValueError; a scalar comes back as a numpy scalar.
"""
from __future__ import annotations

import collections
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Case, Context
from .util import f32, run
from .verdict import Wrong, expect_close, expect_equal, expect_raises

CASES: list[Case] = []
Pair = collections.namedtuple("Pair", "first second")


def _graph() -> tuple:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.multiply(x, 2.0, name="y")
    z = tf.add(y, 1.0, name="z")
    return tf, x, y, z


FEED = f32(1, 2)
Y, Z = f32(2, 4), f32(3, 5)


def _error(make: Callable[[Any, Any, Any], Any], types: Any, ctx: Context) -> None:
    tf, x, y, z = _graph()
    fetch = make(tf, y, z)
    expect_raises(lambda: run(ctx, fetch, {x: FEED}), types)


_ERRORS = [
    ("none", lambda tf, y, z: None, TypeError),
    ("none_in_list", lambda tf, y, z: [y, None], TypeError),
    ("int", lambda tf, y, z: 3, TypeError),
    ("float", lambda tf, y, z: 1.5, TypeError),
    ("numpy_array", lambda tf, y, z: np.ones(2), TypeError),
    ("set", lambda tf, y, z: {y}, TypeError),
    ("lambda", lambda tf, y, z: (lambda: y), TypeError),
    ("missing_tensor_name", lambda tf, y, z: "nope:0", ValueError),
    ("missing_op_name", lambda tf, y, z: "nope", ValueError),
    ("bad_output_index", lambda tf, y, z: "y:3", ValueError),
    ("malformed_name", lambda tf, y, z: "y:zero", ValueError),
    ("empty_name", lambda tf, y, z: "", ValueError),
    ("missing_name_in_dict", lambda tf, y, z: {"a": y, "b": "nope:0"}, ValueError),
]
for _n, _m, _t in _ERRORS:
    CASES.append(Case(f"fetches/invalid/{_n}", "fetches", functools.partial(_error, _m, _t), quick=_n == "none"))


def _other_graph(kind: str, ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    with tf.Graph().as_default():
        w = tf.constant(1.0) + 2.0
        v = tf.Variable(1.0)
    fetch = {"tensor": w, "op": w.op, "variable": v, "in_list": [x, w]}[kind]
    expect_raises(lambda: run(ctx, fetch, {x: FEED}), ValueError)


for _k in ("tensor", "op", "variable", "in_list"):
    CASES.append(Case(f"fetches/other_graph/{_k}", "fetches", functools.partial(_other_graph, _k)))


def _check_structure(got: Any, want: Any, where: str = "fetch") -> None:
    if type(got) is not type(want) and not (isinstance(want, np.ndarray) or want is None):
        raise Wrong(f"{where} is a {type(got).__name__}, TF1 returns a {type(want).__name__}")
    if want is None:
        if got is not None:
            raise Wrong(f"{where} is {got!r}, TF1 returns None for an operation")
    elif isinstance(want, dict):
        if list(got) != list(want):
            raise Wrong(f"{where} has keys {list(got)}, TF1 {list(want)}")
        for k in want:
            _check_structure(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        if len(got) != len(want):
            raise Wrong(f"{where} has {len(got)} items, TF1 {len(want)}")
        for i, (g, w) in enumerate(zip(got, want)):
            _check_structure(g, w, f"{where}[{i}]")
    else:
        expect_close(got, want, what=where)


def _structure(make: Callable[[Any, Any, Any, Any], Any], want: Any, ctx: Context) -> None:
    tf, x, y, z = _graph()
    _check_structure(run(ctx, make(tf, x, y, z), {x: FEED}), want)


_STRUCTURES = [
    ("tensor", lambda tf, x, y, z: y, Y),
    ("list", lambda tf, x, y, z: [y, z], [Y, Z]),
    ("tuple", lambda tf, x, y, z: (y, z), (Y, Z)),
    ("namedtuple", lambda tf, x, y, z: Pair(y, z), Pair(Y, Z)),
    ("dict", lambda tf, x, y, z: {"b": z, "a": y}, {"b": Z, "a": Y}),
    ("ordered_dict", lambda tf, x, y, z: collections.OrderedDict([("z", z), ("y", y)]),
     collections.OrderedDict([("z", Z), ("y", Y)])),
    ("dict_int_keys", lambda tf, x, y, z: {1: y, 2: [z]}, {1: Y, 2: [Z]}),
    ("nested", lambda tf, x, y, z: {"a": [y, (z, {"c": y})], "b": Pair(z, [y])},
     {"a": [Y, (Z, {"c": Y})], "b": Pair(Z, [Y])}),
    ("duplicates", lambda tf, x, y, z: [y, y, z, y], [Y, Y, Z, Y]),
    ("duplicates_nested", lambda tf, x, y, z: [y, [y, (y,)]], [Y, [Y, (Y,)]]),
    ("empty_list", lambda tf, x, y, z: [], []),
    ("empty_dict", lambda tf, x, y, z: {}, {}),
    ("empty_nested", lambda tf, x, y, z: [[], {}, ()], [[], {}, ()]),
    ("operation", lambda tf, x, y, z: y.op, None),
    ("op_and_tensor", lambda tf, x, y, z: [z.op, y, z], [None, Y, Z]),
    ("group", lambda tf, x, y, z: tf.group(y, z), None),
    ("no_op", lambda tf, x, y, z: tf.no_op(), None),
    ("tensor_name", lambda tf, x, y, z: "y:0", Y),
    ("tensor_name_bytes", lambda tf, x, y, z: b"z:0", Z),
    ("op_name", lambda tf, x, y, z: "y", None),
    ("names_in_dict", lambda tf, x, y, z: {"t": "z:0", "o": "z"}, {"t": Z, "o": None}),
    ("fed_placeholder", lambda tf, x, y, z: x, FEED),
    ("same_tensor_by_name_and_object", lambda tf, x, y, z: [y, "y:0"], [Y, Y]),
]
for _n, _m, _w in _STRUCTURES:
    CASES.append(Case(f"fetches/structure/{_n}", "fetches", functools.partial(_structure, _m, _w),
                      quick=_n == "nested"))


def _unfed_placeholder(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2], name="lonely")
    expect_raises(lambda: run(ctx, x), tf.errors.InvalidArgumentError, "lonely")


def _scalar_type(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [])
    got = run(ctx, x * 2.0, {x: 1.5})
    if not isinstance(got, np.float32):
        raise Wrong(f"a float32 scalar fetch is a {type(got).__name__}, TF1 returns numpy.float32")
    expect_close(got, 3.0)


def _dtypes(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.int64, [2])
    got = run(ctx, [x + 1, tf.equal(x, 1), tf.cast(x, tf.float64), tf.shape(x)], {x: [1, 2]})
    for g, dt in zip(got, (np.int64, np.bool_, np.float64, np.int32)):
        if g.dtype != dt:
            raise Wrong(f"fetched dtype {g.dtype}, TF1 {np.dtype(dt)}")


def _variable_fetch(ctx: Context) -> None:
    import graphc as tf

    v = tf.Variable(f32(1, 2), name="vv")
    with tf.Session(backend=ctx.backend) as sess:
        _check_structure(sess.run([v.initializer]), [None])
        got = sess.run([v, "vv:0", "vv"])
    _check_structure(got, [f32(1, 2), f32(1, 2), None])


def _multi_output(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [4])
    a, b = tf.split(x, 2)
    got = run(ctx, [b, a, b.op.name + ":1"], {x: f32(1, 2, 3, 4)})
    _check_structure(got, [f32(3, 4), f32(1, 2), f32(3, 4)])


def _fetch_returns_fresh_arrays(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    y = x + 1.0
    with tf.Session(backend=ctx.backend) as sess:
        a = sess.run(y, {x: f32(1, 2)})
        b = sess.run(y, {x: f32(5, 6)})
    expect_close(a, f32(2, 3), what="the first fetch after a second run")
    expect_equal(np.shares_memory(a, b), False, "two runs' fetches share memory")


def _thousand_fetches(ctx: Context) -> None:
    import graphc as tf

    x = tf.placeholder(tf.float32, [2])
    outs = [x * float(i) + 1.0 for i in range(1000)]
    got = run(ctx, {"all": outs, "again": outs[::100]}, {x: f32(1, 2)})
    for i, g in enumerate(got["all"]):
        expect_close(g, f32(1, 2) * i + 1, what=f"fetch {i}")
    for i, g in zip(range(0, 1000, 100), got["again"]):
        expect_close(g, f32(1, 2) * i + 1, what=f"repeated fetch {i}")


for _n, _f in [("thousand_fetches", _thousand_fetches), ("unfed_placeholder", _unfed_placeholder), ("scalar_is_numpy_scalar", _scalar_type),
               ("dtypes", _dtypes), ("variable_and_initializer", _variable_fetch),
               ("multi_output_op", _multi_output), ("fresh_arrays_per_run", _fetch_returns_fresh_arrays)]:
    CASES.append(Case(f"fetches/misc/{_n}", "fetches", _f))
