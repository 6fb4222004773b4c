"""TFRecord files in TensorFlow's exact format, both ways, and the file datasets.

The fixtures in tests/data/tfrecord/ were written by TensorFlow 2.21.0 (make_fixture.py there);
error messages are TF's, recorded from the same version.
"""
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

import graphc as tf
from graphc.io.crc32c import crc32c, masked_crc32c

from repo_paths import DATA

HERE = str(DATA / "tfrecord")
EXPECTED = json.loads(Path(HERE, "expected.json").read_text())
RECORDS = [bytes.fromhex(h) for h in EXPECTED["records_hex"]]
FILES = [("examples.tfrecord", ""), ("examples.tfrecord.gz", "GZIP"), ("examples.tfrecord.zlib", "ZLIB")]


def test_crc32c_check_values():
    assert crc32c(b"123456789") == 0xE3069283          # the CRC-32C check value (RFC 3720)
    assert crc32c(b"") == 0
    assert crc32c(bytes(32)) == 0x8A9136AA               # RFC 3720 B.4: 32 bytes of zeros
    # the first record's length field and its masked CRC, as TensorFlow wrote them
    raw = Path(HERE, "examples.tfrecord").read_bytes()
    assert struct.unpack("<I", raw[8:12])[0] == masked_crc32c(raw[:8])


@pytest.mark.parametrize("name,kind", FILES)
def test_reads_tensorflow_files(name, kind):
    path = os.path.join(HERE, name)
    assert list(tf.python_io.tf_record_iterator(path, tf.python_io.TFRecordOptions(kind))) == RECORDS
    assert list(tf.io.tf_record_iterator(path, kind or None)) == RECORDS


@pytest.mark.parametrize("name,kind", FILES)
def test_writes_tensorflows_bytes(tmp_path, name, kind):
    out = str(tmp_path / name)
    with tf.python_io.TFRecordWriter(out, tf.python_io.TFRecordOptions(kind)) as writer:
        for r in RECORDS:
            writer.write(r)
    assert Path(out).read_bytes() == Path(HERE, name).read_bytes()


def test_enum_options_and_flush(tmp_path):
    out = str(tmp_path / "x.gz")
    w = tf.io.TFRecordWriter(out, tf.io.TFRecordOptions(tf.io.TFRecordCompressionType.GZIP))
    w.write(b"a")
    w.flush()
    w.write("b")
    w.close()
    w.close()
    assert list(tf.io.tf_record_iterator(out, "GZIP")) == [b"a", b"b"]
    with pytest.raises(ValueError, match="Unsupported compression type"):
        tf.io.TFRecordOptions("LZ4")


def test_corrupted_and_truncated_files_are_data_loss(tmp_path):
    raw = Path(HERE, "examples.tfrecord").read_bytes()
    bad = tmp_path / "bad.tfrecord"
    bad.write_bytes(raw[:-3] + b"xyz")
    with pytest.raises(tf.errors.DataLossError, match="^corrupted record at 177$"):
        list(tf.python_io.tf_record_iterator(str(bad)))
    truncated = tmp_path / "truncated.tfrecord"
    truncated.write_bytes(raw[:-10])
    with pytest.raises(tf.errors.DataLossError, match="^truncated record at 165$"):
        list(tf.python_io.tf_record_iterator(str(truncated)))
    with pytest.raises(tf.errors.NotFoundError, match="No such file"):
        list(tf.python_io.tf_record_iterator(str(tmp_path / "absent")))


def test_tfrecord_dataset_reads_every_compression():
    paths = tf.placeholder(tf.string, [None])
    kind = tf.placeholder(tf.string, [])
    ds = tf.data.TFRecordDataset(paths, compression_type=kind)
    assert ds.output_types is tf.string and ds.output_shapes.as_list() == []
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        for name, k in FILES:
            sess.run(it.initializer, {paths: [os.path.join(HERE, name)] * 2, kind: k})
            got = []
            with pytest.raises(tf.errors.OutOfRangeError):
                while True:
                    got.append(sess.run(nxt))
            assert got == RECORDS * 2


def test_tfrecord_dataset_stops_at_a_corrupted_record(tmp_path):
    raw = Path(HERE, "examples.tfrecord").read_bytes()
    bad = tmp_path / "bad.tfrecord"
    bad.write_bytes(raw[:-3] + b"xyz")
    nxt = tf.data.TFRecordDataset(str(bad)).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt), sess.run(nxt)] == RECORDS[:2]     # as TF 2.21: two records, then the error
        with pytest.raises(tf.errors.DataLossError, match="corrupted record at 177"):
            sess.run(nxt)


def test_text_line_dataset():
    # TF 2.21 on the same file: [b'first line', b'second', b'', b'last without newline']
    nxt = tf.data.TextLineDataset(os.path.join(HERE, "lines.txt")).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        got = []
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                got.append(sess.run(nxt))
    assert got == [b"first line", b"second", b"", b"last without newline"]


def test_text_line_dataset_gzip(tmp_path):
    import gzip

    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(b"x\ny\n"))
    ds = tf.data.TextLineDataset(str(path), compression_type="GZIP").map(lambda s: tf.identity(s))
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt), sess.run(nxt)] == [b"x", b"y"]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_round_trip_through_a_pipeline(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    payloads = [np.arange(i, dtype=np.float32).tobytes() for i in range(5)]
    with tf.io.TFRecordWriter(path) as w:
        for p in payloads:
            w.write(p)
    nxt = tf.data.TFRecordDataset([path]).skip(1).take(3).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt) for _ in range(3)] == payloads[1:4]


def test_num_parallel_reads_interleaves_files_like_tf(tmp_path):
    # TF 2.21, files a (3 records), b (1), c (2): None -> a0 a1 a2 b0 c0 c1;
    # num_parallel_reads=2 -> a0 b0 a1 a2 c0 c1; num_parallel_reads=3 -> a0 b0 c0 a1 c1 a2
    paths = []
    for name, n in (("a", 3), ("b", 1), ("c", 2)):
        path = str(tmp_path / f"{name}.tfrecord")
        with tf.io.TFRecordWriter(path) as w:
            for i in range(n):
                w.write(f"{name}{i}")
        paths.append(path)
    expected = {None: "a0 a1 a2 b0 c0 c1", 2: "a0 b0 a1 a2 c0 c1", 3: "a0 b0 c0 a1 c1 a2"}
    for reads, order in expected.items():
        nxt = tf.data.TFRecordDataset(paths, num_parallel_reads=reads).make_one_shot_iterator().get_next()
        got = []
        with tf.Session() as sess, pytest.raises(tf.errors.OutOfRangeError):
            while True:
                got.append(sess.run(nxt).decode())
        assert " ".join(got) == order
