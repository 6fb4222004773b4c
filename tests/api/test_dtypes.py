"""graphc.dtypes: TF1's dtype spellings, properties and comparisons (expected values from TF 1.x)."""
import numpy as np
import pytest

import graphc as tf
from graphc import dtypes

SPELLINGS = [
    (tf.float32, tf.float32), ("float", tf.float32), ("float32", tf.float32), (np.float32, tf.float32),
    (np.dtype("float32"), tf.float32), (float, tf.float32),
    ("double", tf.float64), ("float64", tf.float64), (np.float64, tf.float64), (tf.double, tf.float64),
    ("half", tf.float16), ("float16", tf.float16), (np.float16, tf.float16),
    ("int32", tf.int32), (np.int32, tf.int32), ("int64", tf.int64), (np.int64, tf.int64),
    ("bool", tf.bool), (np.bool_, tf.bool), (bool, tf.bool),
    (1, tf.float32), (2, tf.float64), (3, tf.int32), (9, tf.int64), (10, tf.bool), (19, tf.float16),
]


@pytest.mark.parametrize("spelling,expected", SPELLINGS, ids=[repr(s) for s, _ in SPELLINGS])
def test_as_dtype_accepts_tf1_spellings(spelling, expected):
    assert tf.as_dtype(spelling) is expected


@pytest.mark.parametrize("bad", [None, "floa", "strin", complex, np.complex64, 1000, object])
def test_as_dtype_rejects_unknown_types(bad):
    with pytest.raises(TypeError):
        tf.as_dtype(bad)


def test_as_dtype_none_is_not_float64():
    with pytest.raises(TypeError, match="None"):
        tf.as_dtype(None)
    assert not (tf.float64 == None)  # noqa: E711 (the comparison itself is under test)


PROPERTIES = [
    # dtype, name, is_floating, is_integer, is_bool, numpy type, size, enum
    (tf.float32, "float32", True, False, False, np.float32, 4, 1),
    (tf.float64, "float64", True, False, False, np.float64, 8, 2),
    (tf.int32, "int32", False, True, False, np.int32, 4, 3),
    (tf.int64, "int64", False, True, False, np.int64, 8, 9),
    (tf.bool, "bool", False, False, True, np.bool_, 1, 10),
    (tf.float16, "float16", True, False, False, np.float16, 2, 19),
]


@pytest.mark.parametrize("dt,name,is_floating,is_integer,is_bool,np_type,size,enum", PROPERTIES,
                         ids=[p[1] for p in PROPERTIES])
def test_dtype_properties(dt, name, is_floating, is_integer, is_bool, np_type, size, enum):
    assert dt.name == name
    assert dt.is_floating is is_floating
    assert dt.is_integer is is_integer
    assert dt.is_bool is is_bool
    assert dt.as_numpy_dtype is np_type
    assert dt.size == size
    assert dt.as_datatype_enum == enum
    assert dt.is_unsigned is False
    assert dt.base_dtype is dt
    assert dt.real_dtype is dt
    assert repr(dt) == f"tf.{name}"
    assert str(dt) == f"<dtype: '{name}'>"


def test_equality_with_numpy_types_and_names():
    assert tf.float32 == np.float32
    assert tf.float32 == np.dtype("float32")
    assert tf.float32 == "float32"
    assert tf.float32 == "float"
    assert tf.float64 == tf.double
    assert tf.float32 != np.float64
    assert tf.float32 != tf.int32
    assert tf.float32 != "floa"
    assert not (tf.float32 == np.dtype("float64"))
    assert tf.float32 != object()


def test_hash_is_consistent_with_equality_between_dtypes():
    assert hash(tf.float32) == hash(tf.as_dtype("float"))
    assert {tf.float32: "x"}[tf.as_dtype(np.float32)] == "x"


def test_is_compatible_with():
    assert tf.float32.is_compatible_with(tf.float32)
    assert tf.float32.is_compatible_with(np.float32)
    assert not tf.float32.is_compatible_with(tf.float64)
    assert not tf.float32.is_compatible_with("nonsense")


def test_min_max_match_numpy_limits():
    assert tf.float32.min == np.finfo(np.float32).min
    assert tf.float32.max == np.finfo(np.float32).max
    assert isinstance(tf.float32.max, np.float32)
    assert tf.int32.min == -2147483648 and tf.int32.max == 2147483647
    assert type(tf.int32.max) is int
    assert tf.int64.max == 2**63 - 1
    with pytest.raises(TypeError, match="bool"):
        tf.bool.min


def test_infer_dtype_of_python_and_numpy_values():
    assert dtypes.infer_dtype(1.5) is tf.float32
    assert dtypes.infer_dtype(3) is tf.int32
    assert dtypes.infer_dtype(2**40) is tf.int64
    assert dtypes.infer_dtype(True) is tf.bool
    assert dtypes.infer_dtype([1, 2.5]) is tf.float32
    assert dtypes.infer_dtype([[1, 2], [3, 4]]) is tf.int32
    assert dtypes.infer_dtype(np.float64(1.0)) is tf.float64
    assert dtypes.infer_dtype(np.array([1, 2], np.int64)) is tf.int64
    assert dtypes.infer_dtype([]) is tf.float32


def test_infer_dtype_errors():
    with pytest.raises(ValueError, match="None"):
        dtypes.infer_dtype(None)
    with pytest.raises(TypeError, match="unsupported"):
        dtypes.infer_dtype(1j)
    assert dtypes.infer_dtype("abc") is dtypes.string        # TF1: str and bytes are tf.string
    assert dtypes.infer_dtype([b"a", b"bc"]) is dtypes.string
    with pytest.raises(ValueError):
        dtypes.infer_dtype([[1, 2], [3]])


def test_placeholder_accepts_every_spelling():
    for spelling, expected in SPELLINGS[:12]:
        assert tf.placeholder(spelling).dtype is expected


def test_string_constants_hold_utf8_bytes():
    # TF1: tf.constant("a") is a tf.string scalar holding b"a"; str is encoded as UTF-8
    c = tf.constant(["x", b"y", "\u00e9"])
    assert c.dtype is tf.string
    a = tf.placeholder(tf.string, [None])
    with tf.Session() as sess:
        assert sess.run(c).tolist() == [b"x", b"y", b"\xc3\xa9"]
        assert sess.run(tf.equal(a, "a"), {a: [b"a", b"b"]}).tolist() == [True, False]
    with pytest.raises(TypeError, match="Expected string"):
        tf.constant(1.0, dtype=tf.string)


def test_small_integer_dtypes():
    # TF1's uint8/uint16/int8/int16, with TF's DataType enum values
    assert [tf.as_dtype(n) for n in (4, 17, 6, 5)] == [tf.uint8, tf.uint16, tf.int8, tf.int16]
    assert tf.as_dtype(np.uint8) is tf.uint8 and tf.uint8.is_integer and tf.uint8.is_unsigned
    assert tf.int8.min == -128 and tf.uint16.max == 65535
    assert tf.constant(np.arange(3, dtype=np.int16)).dtype is tf.int16
