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
