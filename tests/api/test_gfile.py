"""tf.gfile on local files: results and error classes/messages as TensorFlow 2.21.0's tf.compat.v1.gfile
gave them for the same sequence of calls (recorded in a scratch virtualenv)."""
import os

import pytest

import graphc as tf

g = tf.gfile


@pytest.fixture
def d(tmp_path):
    return str(tmp_path)


def write(path, text="hello\nworld\n"):
    with g.GFile(path, "w") as f:
        f.write(text)


def test_read_write_text_and_binary(d):
    p = os.path.join(d, "a.txt")
    assert not g.Exists(p)
    write(p)
    assert g.Exists(p)
    assert g.GFile(p).read() == "hello\nworld\n"
    assert g.GFile(p, "rb").read() == b"hello\nworld\n"
    assert g.GFile(p).read(3) == "hel"
    assert g.GFile(p).readlines() == ["hello\n", "world\n"]
    assert list(g.GFile(p)) == ["hello\n", "world\n"]
    assert g.GFile(p).size() == 12
    f = g.GFile(p)
    f.seek(6)
    assert (f.tell(), f.read()) == (6, "world\n")
    with g.GFile(p, "a") as f:
        f.write("more")
    assert g.Open(p).read() == "hello\nworld\nmore"
    assert g.FastGFile(p, "rb").read() == b"hello\nworld\nmore"
    f = g.GFile(p, "w")           # TF 2.21.0: bytes and str mix in one file
    f.write(b"bytes")
    f.write("str")
    f.close()
    assert g.GFile(p, "rb").read() == b"bytesstr"
    f = g.GFile(p)
    assert (f.readline(), f.readline()) == ("bytesstr", "")
    assert (g.GFile(p, "r").name, g.GFile(p, "r").mode) == (p, "r")


def test_missing_file_fails_on_first_read_with_not_found(d):
    p = os.path.join(d, "missing.txt")
    f = g.GFile(p)                 # TF opens lazily: constructing succeeds
    with pytest.raises(tf.errors.NotFoundError, match=f"^{p}; No such file or directory$"):
        f.read()
    with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
        g.GFile(os.path.join(d, "nodir", "f"), "w").write("a")
    with pytest.raises(tf.errors.FailedPreconditionError, match=f"^{d}; Is a directory$"):
        g.GFile(d).read()


def test_reading_a_file_opened_for_writing_is_permission_denied(d):
    p = os.path.join(d, "a")
    write(p, "abc")
    # TF 2.21.0's errors and messages
    with pytest.raises(tf.errors.PermissionDeniedError, match="^File isn't open for writing$"):
        g.GFile(p, "r").write("x")
    with pytest.raises(tf.errors.PermissionDeniedError, match="^File isn't open for reading$"):
        g.GFile(p, "w").read()
    with pytest.raises(tf.errors.PermissionDeniedError, match="^File isn't open for reading$"):
        g.GFile(p, "a").read()
    assert g.GFile(p).read() == "abc"      # nothing above opened (and truncated) the file
    f = g.GFile(p)
    f.read()
    f.close()
    assert f.read() == "abc"               # TF 2.21.0: a read after close starts again


def test_bad_mode_is_invalid_argument(d):
    with pytest.raises(tf.errors.InvalidArgumentError, match="mode is not 'r' or 'w' or 'a' or 'r\\+'"):
        g.GFile(os.path.join(d, "a"), "z")


def test_stat_and_is_directory(d):
    p = os.path.join(d, "a.txt")
    write(p, "x" * 17)
    st = g.Stat(p)
    assert (st.length, st.is_directory, type(st.mtime_nsec)) == (17, False, int)
    assert g.Stat(d).is_directory
    with pytest.raises(tf.errors.NotFoundError, match="a.txtx; No such file or directory"):
        g.Stat(p + "x")
    assert (g.IsDirectory(d), g.IsDirectory(p), g.IsDirectory(p + "x")) == (True, False, False)


def test_directories(d):
    p = os.path.join(d, "a.txt")
    write(p)
    g.MkDir(os.path.join(d, "sub"))
    g.MkDir(os.path.join(d, "sub"))        # TF 2.21.0: an existing directory is fine
    with pytest.raises(tf.errors.NotFoundError, match="no/parent; No such file or directory"):
        g.MkDir(os.path.join(d, "no", "parent"))
    g.MakeDirs(os.path.join(d, "x", "y", "z"))
    g.MakeDirs(os.path.join(d, "x", "y", "z"))
    with pytest.raises(tf.errors.FailedPreconditionError, match="a.txt is not a directory"):
        g.MakeDirs(p)
    assert sorted(g.ListDirectory(d)) == ["a.txt", "sub", "x"]
    with pytest.raises(tf.errors.NotFoundError, match="Could not find directory"):
        g.ListDirectory(os.path.join(d, "nope"))
    with pytest.raises(tf.errors.NotFoundError, match="Could not find directory"):
        g.ListDirectory(p)
    assert sorted(g.Glob(os.path.join(d, "*"))) == [p, os.path.join(d, "sub"), os.path.join(d, "x")]
    assert g.Glob(os.path.join(d, "*.zzz")) == []


def test_copy_rename_remove(d):
    a, b, c = (os.path.join(d, n) for n in ("a.txt", "b.txt", "c.txt"))
    write(a)
    g.Copy(a, b)
    assert g.GFile(b).read() == "hello\nworld\n"
    with pytest.raises(tf.errors.AlreadyExistsError, match="file already exists"):
        g.Copy(a, b)
    g.Copy(a, b, overwrite=True)
    with pytest.raises(tf.errors.NotFoundError, match="a.txtq; No such file or directory"):
        g.Copy(a + "q", c)
    g.Rename(b, c)
    assert not g.Exists(b) and g.Exists(c)
    g.Copy(a, b)
    with pytest.raises(tf.errors.AlreadyExistsError, match="file already exists"):
        g.Rename(b, c)
    g.Rename(b, c, overwrite=True)
    with pytest.raises(tf.errors.NotFoundError, match="q.txt; No such file or directory"):
        g.Rename(os.path.join(d, "q.txt"), os.path.join(d, "r.txt"))
    g.Remove(c)
    with pytest.raises(tf.errors.NotFoundError, match="c.txt; No such file or directory"):
        g.Remove(c)
    g.MkDir(os.path.join(d, "sub"))
    with pytest.raises(tf.errors.FailedPreconditionError, match="sub; Is a directory"):
        g.Remove(os.path.join(d, "sub"))


def test_walk_and_delete_recursively(d):
    write(os.path.join(d, "a.txt"))
    g.MkDir(os.path.join(d, "sub"))
    g.MakeDirs(os.path.join(d, "x", "y", "z"))
    write(os.path.join(d, "x", "y", "f1"), "1")
    walked = {r[len(d):]: (sorted(s), sorted(f)) for r, s, f in g.Walk(d)}
    # TF 2.21.0
    assert walked == {"": (["sub", "x"], ["a.txt"]), "/x": (["y"], []), "/x/y": (["z"], ["f1"]),
                      "/x/y/z": ([], []), "/sub": ([], [])}
    top_down = [r[len(d):] for r, _, _ in g.Walk(d)]
    assert top_down[0] == "" and top_down.index("/x") < top_down.index("/x/y") < top_down.index("/x/y/z")
    bottom_up = [r[len(d):] for r, _, _ in g.Walk(d, in_order=False)]
    assert bottom_up[-1] == "" and bottom_up.index("/x/y/z") < bottom_up.index("/x/y") < bottom_up.index("/x")
    assert list(g.Walk(os.path.join(d, "nope"))) == []
    g.DeleteRecursively(os.path.join(d, "x"))
    assert not g.Exists(os.path.join(d, "x"))
    with pytest.raises(tf.errors.NotFoundError, match="x not found"):
        g.DeleteRecursively(os.path.join(d, "x"))
    g.DeleteRecursively(os.path.join(d, "a.txt"))      # TF 2.21.0: a file is deleted too
    assert not g.Exists(os.path.join(d, "a.txt"))
