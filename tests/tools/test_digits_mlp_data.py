"""examples/digits_mlp.py --tf_data: the MLP trained from tf.data pipelines behind a feedable
iterator (train/dev/test switched by string handles) learns, and prints what the feed_dict run prints."""
import os
import re
import subprocess
import sys

import pytest

from repo_paths import ROOT as REPO_ROOT

ROOT = str(REPO_ROOT)


def test_digits_mlp_trains_from_tf_data():
    pytest.importorskip("sklearn")
    env = dict(os.environ, GRAPHC_BACKEND="numba")
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "digits_mlp.py"), "--tf_data",
                          "--epochs", "3", "--logdir", ""], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    epochs = [line for line in lines if line.startswith("epoch")]
    assert len(epochs) == 3
    dev_losses = [float(re.search(r"dev loss (\S+)", line).group(1)) for line in epochs]
    assert dev_losses[2] < dev_losses[0]                  # it learns across epochs, reading fresh batches
    assert lines[-2].startswith("restored the weights of epoch ")
    accuracy = float(re.fullmatch(r"test accuracy: (\S+)", lines[-1]).group(1))
    assert accuracy > 0.8
