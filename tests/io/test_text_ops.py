"""tf.io.decode_csv and tf.io.read_file: values and error messages recorded from TensorFlow 2.21.0."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

LINES = ["1.5,2,abc,7", ',,"q,""x",8', "3,4,z,9"]


def columns(records):
    return tf.io.decode_csv(records, record_defaults=[[0.0], [0], [""], tf.constant([], tf.int64)])


@pytest.mark.parametrize("backend", [b for b in available_backends() if b != "auto"])
def test_decode_csv_matches_tensorflow(backend):
    s = tf.placeholder(tf.string, [None])
    cols = columns(s)
    assert [c.dtype for c in cols] == [tf.float32, tf.int32, tf.string, tf.int64]
    assert all(c.shape.as_list() == [None] for c in cols)
    with tf.Session(backend=backend) as sess:
        a, b, c, d = sess.run(cols, {s: LINES})
    assert a.dtype == np.float32 and a.tolist() == [1.5, 0.0, 3.0]
    assert b.dtype == np.int32 and b.tolist() == [2, 0, 4]
    assert c.tolist() == [b"abc", b'q,"x', b"z"]
    assert d.dtype == np.int64 and d.tolist() == [7, 8, 9]


@pytest.mark.parametrize("line,message", [
    ("1,2,3", "Expect 4 fields but have 3 in record 0"),
    ("1,2,a,", "Field 3 is required but missing in record 0!"),
    ("x,2,a,1", "Field 0 in record 0 is not a valid float: x"),
    ("1,2.5,a,1", "Field 1 in record 0 is not a valid int32: 2.5"),
])
def test_decode_csv_errors(line, message):
    s = tf.placeholder(tf.string, [None])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(columns(s), {s: [line]})
    assert str(info.value).endswith(message)


def test_decode_csv_delimiter_na_value_and_select_cols():
    s = tf.placeholder(tf.string, [None])
    cols = tf.io.decode_csv(s, [[0.0], [""]], field_delim=";", na_value="NA", select_cols=[0, 2])
    with tf.Session() as sess:
        a, b = sess.run(cols, {s: ["1;x;y", "NA;x;z"]})
    assert a.tolist() == [1.0, 0.0] and b.tolist() == [b"y", b"z"]
    with pytest.raises(ValueError, match="select_cols"):
        tf.io.decode_csv(s, [[0.0]], select_cols=[1, 0])


def test_csv_file_through_a_pipeline(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,label\n0.5,1\n1.5,0\n2.5,1\n")
    ds = (tf.data.TextLineDataset(str(path)).skip(1)
          .map(lambda line: tuple(tf.io.decode_csv(line, [[0.0], [0]]))).batch(2))
    x, label = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert sess.run([x, label])[0].tolist() == [0.5, 1.5]
        assert sess.run(label).tolist() == [1]


def test_read_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"first\r\nsecond\x00")
    name = tf.placeholder(tf.string, [])
    contents = tf.io.read_file(name)
    assert contents.shape.as_list() == []
    with tf.Session() as sess:
        assert sess.run(contents, {name: str(path)}) == b"first\r\nsecond\x00"
        with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
            sess.run(contents, {name: str(tmp_path / "absent")})


@pytest.mark.parametrize("backend", [b for b in available_backends() if b != "auto"])
def test_decode_raw_and_the_small_integer_types(backend):
    # TF 2.21: uint8 [[1, 2, 255], [97, 98, 99]]; big-endian int16 of b"\x01\x02" is 258;
    # uint8 250 + 10 wraps to 4
    s = tf.placeholder(tf.string, [None])
    as_bytes = tf.decode_raw(s, tf.uint8)
    assert as_bytes.dtype is tf.uint8 and as_bytes.shape.as_list() == [None, None]
    scaled = tf.cast(as_bytes, tf.float32) / 255.0
    wrapped = tf.cast(tf.constant([250], tf.uint8) + tf.constant([10], tf.uint8), tf.int32)
    with tf.Session(backend=backend) as sess:
        got, norm, wrap = sess.run([as_bytes, scaled, wrapped], {s: [b"\x01\x02\xff", b"abc"]})
        assert got.dtype == np.uint8 and got.tolist() == [[1, 2, 255], [97, 98, 99]]
        np.testing.assert_allclose(norm, got / np.float32(255.0), rtol=1e-6)
        assert wrap.tolist() == [4]
        assert sess.run(tf.decode_raw(s, tf.int16, little_endian=False), {s: [bytes([1, 2])]}).tolist() == [[258]]
        floats = np.array([1.5, -2], np.float32).tobytes()
        assert sess.run(tf.decode_raw(s, tf.float32), {s: [floats]}).tolist() == [[1.5, -2.0]]


@pytest.mark.parametrize("data,out_type,message", [
    ([b"ab", b"abc"], "uint8",
     "DecodeRaw requires input strings to all be the same size, but element 1 has size 2 != 3"),
    ([b"abc"], "int16", "Input to DecodeRaw has length 3 that is not a multiple of 2, the size of int16"),
])
def test_decode_raw_errors(data, out_type, message):
    s = tf.placeholder(tf.string, [None])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(tf.decode_raw(s, tf.as_dtype(out_type)), {s: data})
    assert str(info.value) == message
