"""The V2 checkpoint files at the byte level: the table layout, checksums, and what corrupted,
truncated or missing files do (TF1's error classes, and a restore that changes nothing)."""
import io
import os
import shutil
import struct

import numpy as np
import pytest

import graphc as tf
from graphc.train import sstable

from repo_paths import DATA as TEST_DATA

DATA = str(TEST_DATA / "tf_checkpoints")
SHARD = ".data-00000-of-00001"
MAGIC_LE = bytes.fromhex("57fb808b247547db")      # 0xdb4775248b80fb57, little-endian


def _copy_basic(tmp_path):
    for name in ("model.ckpt.index", "model.ckpt" + SHARD):
        shutil.copy(os.path.join(DATA, "basic", name), tmp_path / name)
    return str(tmp_path / "model.ckpt")


def _flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_crc32c_and_tensorflows_mask():
    assert sstable.crc32c(b"123456789") == 0xE3069283            # the CRC-32C check value
    # TensorFlow's entry for the 0-size tensor of the basic fixture stores d8 ea 82 a2: mask(crc32c(""))
    assert sstable.masked_crc32c(b"") == 0xA282EAD8


def test_tensorflows_recorded_index_layout():
    """Landmarks of the index TensorFlow wrote for the basic fixture, read with struct alone."""
    with open(os.path.join(DATA, "basic", "model.ckpt.index"), "rb") as f:
        data = f.read()
    assert len(data) == 254 and data[-8:] == MAGIC_LE
    footer = data[-48:]
    assert footer[:6] == bytes([0xAD, 0x01, 0x08, 0xBA, 0x01, 0x0F])  # metaindex (173, 8), index (186, 15)
    assert footer[6:40] == bytes(34)
    assert data[173:181] == struct.pack("<II", 0, 1)                     # empty block: one restart at 0
    assert data[:6] == bytes([0, 0, 6]) + b"\x08\x01\x1a"               # key "" first: the header


def test_separators_follow_leveldb():
    assert sstable.shortest_separator(b"abcd", b"abzz") == b"abd"
    assert sstable.shortest_separator(b"abc", b"abd") == b"abc"           # c+1 is not below d
    assert sstable.shortest_separator(b"ab", b"abc") == b"ab"             # a prefix stays
    assert sstable.short_successor(b"scope/inner/f64") == b"t"
    assert sstable.short_successor(b"\xff\xffa") == b"\xff\xffb"


def test_a_table_of_many_blocks_round_trips():
    entries = [(f"var_{i:06d}/kernel".encode(), bytes([i % 251]) * (i % 40)) for i in range(20000)]
    buf = io.BytesIO()
    writer = sstable.TableWriter(buf)
    for key, value in entries:
        writer.add(key, value)
    writer.finish()
    data = buf.getvalue()
    assert len(data) > 2 * sstable.BLOCK_SIZE           # several data blocks, so several index entries
    assert sstable.read_table(data) == entries
    unordered = sstable.TableWriter(io.BytesIO())
    unordered.add(b"b", b"")
    with pytest.raises(ValueError, match="strictly increasing"):
        unordered.add(b"a", b"")


def test_every_checksummed_byte_of_the_index_is_guarded(tmp_path):
    prefix = _copy_basic(tmp_path)
    index = prefix + ".index"
    size = os.path.getsize(index)
    padding = range(size - 42, size - 8)      # the footer's zero padding carries no information
    for offset in range(size):
        if offset in padding:
            continue
        shutil.copy(os.path.join(DATA, "basic", "model.ckpt.index"), index)
        _flip(index, offset)
        with pytest.raises(tf.errors.DataLossError, match="model.ckpt.index"):
            tf.train.NewCheckpointReader(prefix)


@pytest.mark.parametrize("keep", [0, 10, 47, 48, 127, 253])
def test_a_truncated_index_is_data_loss(tmp_path, keep):
    prefix = _copy_basic(tmp_path)
    with open(prefix + ".index", "r+b") as f:
        f.truncate(keep)
    with pytest.raises(tf.errors.DataLossError, match="truncated or corrupted"):
        tf.train.NewCheckpointReader(prefix)


def _saved(tmp_path):
    """A graphc checkpoint of w (float32 2x3) and b (int32 3), and a session whose values differ."""
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
    b = tf.Variable(np.array([7, 8, 9], np.int32), name="b")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    saver = tf.train.Saver()
    prefix = saver.save(sess, str(tmp_path / "m"))
    sess.run([w.assign(np.full((2, 3), -1, np.float32)), b.assign([0, 0, 0])])
    return saver, sess, prefix, (w, b)


def _unchanged(sess, w, b):
    np.testing.assert_array_equal(sess.run(w), np.full((2, 3), -1, np.float32))
    np.testing.assert_array_equal(sess.run(b), [0, 0, 0])


def test_a_flipped_data_byte_fails_the_restore_and_changes_nothing(tmp_path):
    saver, sess, prefix, (w, b) = _saved(tmp_path)
    _flip(prefix + SHARD, 13)                         # inside w (bytes 12..35; b is first: 0..11)
    with pytest.raises(tf.errors.DataLossError, match=r"Checksum does not match for tensor w in .*m\.data"):
        saver.restore(sess, prefix)
    _unchanged(sess, w, b)


def test_a_missing_or_truncated_data_shard_fails_the_restore_and_changes_nothing(tmp_path):
    saver, sess, prefix, (w, b) = _saved(tmp_path)
    with open(prefix + SHARD, "r+b") as f:
        f.truncate(30)
    with pytest.raises(tf.errors.DataLossError, match="truncated: tensor w"):
        saver.restore(sess, prefix)
    _unchanged(sess, w, b)
    os.remove(prefix + SHARD)
    with pytest.raises(tf.errors.NotFoundError, match=r"m\.data-00000-of-00001 of checkpoint .* is missing"):
        saver.restore(sess, prefix)
    _unchanged(sess, w, b)


def test_graphc_checkpoint_bytes_read_back_by_hand(tmp_path):
    prefix = _saved(tmp_path)[2]
    with open(prefix + SHARD, "rb") as f:                # b then w: names in sorted order, no padding
        assert f.read() == np.array([7, 8, 9], "<i4").tobytes() + np.arange(6, dtype="<f4").tobytes()
    with open(prefix + ".index", "rb") as f:
        index = f.read()
    assert index[-8:] == MAGIC_LE
    # entry "b" (shares 0 bytes, 1 new, value 15 bytes): dtype 3 (int32), shape [3], size 12 at
    # offset 0 (proto3 leaves zeros out), then the masked CRC32C
    assert b"\x00\x01\x0fb\x08\x03\x12\x04\x12\x02\x08\x03\x28\x0c\x35" in index
    # entry "w" after "b" (nothing shared, value 21 bytes): dtype 1, shape [2, 3], offset 12, size 24
    assert b"\x00\x01\x15w\x08\x01\x12\x08\x12\x02\x08\x02\x12\x02\x08\x03\x20\x0c\x28\x18\x35" in index
