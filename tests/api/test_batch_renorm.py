"""tf.layers.batch_normalization with renorm / renorm_clipping / renorm_momentum and virtual_batch_size
(graphc/layers/normalization.py) against TF 2.21 compat.v1 + tf-keras: tests/data/batch_renorm/tf1.json,
recorded by make_tf1.py there from the cases in batch_renorm_cases.py (forward in training, gradients,
three training steps with UPDATE_OPS, the moving/renorm statistics, inference after)."""
import json
import sys

import numpy as np
import pytest

import graphc as tf
import repo_paths
from graphc.runtime.session import available_backends

sys.path.insert(0, str(repo_paths.DATA / "batch_renorm"))
import batch_renorm_cases as cases  # noqa: E402

TF1 = json.loads((repo_paths.DATA / "batch_renorm" / "tf1.json").read_text())
BACKENDS = [b for b in available_backends() if b not in ("auto", "interpret")]


def close(got, want, what):
    want = np.asarray(want, np.float64)
    scale = max(1.0, float(np.abs(want).max()))      # the losses grow the weights: errors scale with them
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=2e-5, atol=2e-6 * scale, err_msg=what)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_renorm_and_virtual_batches_match_tf1(name, backend, monkeypatch):
    monkeypatch.setenv("GRAPHC_BACKEND", backend)
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "simulated")
    got, want = cases.run(tf, name), TF1[name]
    assert got["vars"] == want["vars"]
    for key in ("y_train", "y_infer", "y_train_after"):
        close(got[key], want[key], f"{name}: {key}")
    for i, (g, w) in enumerate(zip(got["grads"], want["grads"], strict=True)):
        close(g, w, f"{name}: gradient {i}")
    assert sorted(got["after"]) == sorted(want["after"])
    for var, w in want["after"].items():
        close(got["after"][var], w, f"{name}: {var} after training")


def test_renorm_and_virtual_batch_arguments_are_checked():
    x4 = tf.zeros([4, 2, 2, 3])
    with pytest.raises(ValueError, match="fused=True"):
        tf.layers.batch_normalization(x4, renorm=True, fused=True)
    with pytest.raises(ValueError, match="fused=True"):
        tf.layers.batch_normalization(x4, virtual_batch_size=2, fused=True)
    with pytest.raises(ValueError, match="renorm_clipping"):
        tf.layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0, "max": 1.0})
    with pytest.raises(ValueError, match="virtual_batch_size must be a positive integer"):
        tf.layers.BatchNormalization(virtual_batch_size=0)
    with pytest.raises(ValueError, match="axis cannot include 0"):
        tf.layers.batch_normalization(tf.zeros([4, 3]), axis=0, virtual_batch_size=2)
    with pytest.raises(ValueError, match="adjustment"):
        tf.layers.BatchNormalization(adjustment=lambda shape: (1.0, 0.0))


def test_renorm_corrections_carry_no_gradient_and_updates_need_update_ops():
    x = tf.placeholder(tf.float32, [8, 3])
    layer = tf.layers.BatchNormalization(renorm=True, renorm_momentum=0.5)
    y = layer.apply(x, training=True)
    assert {"renorm_r", "renorm_d"} <= {op.name.split("/")[-1] for op in tf.get_default_graph().get_operations()
                                          if op.type == "StopGradient"}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(y, {x: cases.X})                    # the forward pass alone updates nothing (TF1)
        np.testing.assert_array_equal(sess.run(layer.renorm_mean), np.zeros(3, np.float32))
        sess.run(tf.get_collection(tf.GraphKeys.UPDATE_OPS), {x: cases.X})
        np.testing.assert_allclose(sess.run(layer.renorm_mean), cases.X.mean(0) * 0.5, rtol=1e-6)
