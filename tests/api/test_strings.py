"""tf.strings and TF1's top-level string ops: values and messages recorded from TensorFlow 2.21.0."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_string_ops_match_tensorflow(backend):
    fetches = {
        "to_float": tf.string_to_number(tf.constant(["1.5", "-2", "3e2"])),
        "to_int64": tf.strings.to_number(["7", "-3"], tf.int64),
        "floats": tf.as_string([1.5, -2.25, 1e10]),
        "ints": tf.as_string([3, -4]),
        "bools": tf.as_string([True, False]),
        "precision": tf.as_string([1.23456], precision=2),
        "width": tf.as_string([7], width=4, fill="0"),
        "join": tf.strings.join([["a", "b"], "x"], separator="-"),
        "join2": tf.string_join(["p", "q"]),
        "substr": tf.substr(["hello", "abc"], 1, 3),
        "substr_end": tf.strings.substr("hello", 3, 10),
        "regex": tf.regex_replace(["aa bb", "a1a2"], "a(\\d)?", "<\\1>"),
        "regex_once": tf.strings.regex_replace("aaa", "a", "b", replace_global=False),
        "length": tf.strings.length(["abc", ""]),
        "strip": tf.strings.strip([" a b "]),
        "lower": tf.strings.lower(["AbC"]),
        "upper": tf.strings.upper(["AbC"]),
    }
    with tf.Session(backend=backend) as sess:
        out = sess.run(fetches)
    assert out["to_float"].dtype == np.float32 and out["to_float"].tolist() == [1.5, -2.0, 300.0]
    assert out["to_int64"].dtype == np.int64 and out["to_int64"].tolist() == [7, -3]
    assert out["floats"].tolist() == [b"1.500000", b"-2.250000", b"10000000000.000000"]
    assert out["ints"].tolist() == [b"3", b"-4"] and out["bools"].tolist() == [b"true", b"false"]
    assert out["precision"].tolist() == [b"1.23"] and out["width"].tolist() == [b"0007"]
    assert out["join"].tolist() == [b"a-x", b"b-x"] and out["join2"] == b"pq"
    assert out["substr"].tolist() == [b"ell", b"bc"] and out["substr_end"] == b"lo"
    assert out["regex"].tolist() == [b"<><> bb", b"<1><2>"] and out["regex_once"] == b"baa"
    assert out["length"].tolist() == [3, 0] and out["strip"].tolist() == [b"a b"]
    assert out["lower"].tolist() == [b"abc"] and out["upper"].tolist() == [b"ABC"]


def test_string_split_is_tf1s_sparse_layout():
    with tf.Session() as sess:
        sp = sess.run(tf.string_split(["a b  c", "", "d"]))
        raw = sess.run(tf.string_split(["a,b,,c"], delimiter=",", skip_empty=False))
    assert sp.indices.tolist() == [[0, 0], [0, 1], [0, 2], [2, 0]]
    assert sp.values.tolist() == [b"a", b"b", b"c", b"d"] and sp.dense_shape.tolist() == [3, 3]
    assert raw.indices.tolist() == [[0, 0], [0, 1], [0, 2], [0, 3]]
    assert raw.values.tolist() == [b"a", b"b", b"", b"c"] and raw.dense_shape.tolist() == [1, 4]


@pytest.mark.parametrize("build,message", [
    (lambda: tf.string_to_number(["abc"]), "StringToNumberOp could not correctly convert string: abc"),
    (lambda: tf.strings.to_number(["1.5"], tf.int32), "StringToNumberOp could not correctly convert string: 1.5"),
    (lambda: tf.substr(["abc"], 5, 1), "pos 5 out of range for string b'abc' at index 0"),
])
def test_string_op_errors(build, message):
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(build())
    assert str(info.value) == message


def test_string_ops_in_a_pipeline():
    ds = tf.data.Dataset.from_tensor_slices(["3 apples", "10 pears"]).map(
        lambda line: tf.string_to_number(tf.regex_replace(line, " .*", "")))
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt), sess.run(nxt)] == [3.0, 10.0]


def test_string_constants_keep_trailing_nul_bytes():
    # a serialized proto may end in b"\x00"; numpy's fixed-width bytes arrays would drop it
    with tf.Session() as sess:
        got = sess.run([tf.constant([b"a\x00", b"b"]), tf.constant(b"\x00\x00"), tf.strings.length([b"x\x00\x00"])])
    assert got[0].tolist() == [b"a\x00", b"b"] and got[1] == b"\x00\x00" and got[2].tolist() == [3]
