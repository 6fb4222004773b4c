"""tf.visualize: constants as written, and a one-time hint when Graphviz's dot is missing."""
import warnings

import numpy as np
import pytest

import graphc as tf
from graphc import visualization
from graphc.passes.ir import format_constant


@pytest.mark.parametrize("value, text", [
    (np.float32(0.1), "0.1"),
    (np.float64(0.1), "0.1"),
    (np.float16(0.1), "0.1"),
    (np.float32(1e-8), "1e-08"),
    (np.float32(3), "3.0"),
    (np.int32(-7), "-7"),
    (np.bool_(True), "True"),
    (np.array([0.1, 0.2], np.float32), "[0.1, 0.2]"),
    (np.array([[1, 2], [3, 4]], np.int64), "[[1, 2], [3, 4]]"),
    (np.zeros((3, 5), np.float32), "<15 float32 elements, shape [3, 5]>"),
])
def test_constants_print_as_written(value, text):
    assert format_constant(np.asarray(value)) == text


def test_constants_read_back_to_the_same_value():
    values = np.random.default_rng(0).standard_normal(50).astype(np.float32)
    for v in values:
        assert np.float32(float(format_constant(np.asarray(v)))) == v


def _draw(tmp_path):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = x * 0.1 + 2.5
    return tf.visualize(y, {x: np.ones((1, 2), np.float32)}, str(tmp_path / "g.dot"),
                        session=tf.Session(backend="interpret"))


def test_the_dot_file_shows_constants_as_written(tmp_path, monkeypatch):
    monkeypatch.setattr(visualization.shutil, "which", lambda name: None)
    monkeypatch.setattr(visualization, "_warned_no_dot", ["already"])
    _draw(tmp_path)
    text = (tmp_path / "g.dot").read_text()
    assert "Const 0.1" in text and "Const 2.5" in text
    assert "0.10000000149011612" not in text


def test_missing_graphviz_warns_once_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(visualization.shutil, "which", lambda name: None)
    monkeypatch.setattr(visualization, "_warned_no_dot", [])
    with pytest.warns(UserWarning, match=r"no SVG: Graphviz's `dot` program is not on PATH.*apt-get install graphviz"):
        out = _draw(tmp_path)
    assert out == str(tmp_path / "g.dot") and not (tmp_path / "g.svg").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draw(tmp_path)                    # the second time: silent
