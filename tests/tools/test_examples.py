"""The lecture examples run unmodified (``import graphc as tf``) and print TF1's output."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from repo_paths import ROOT as REPO_ROOT

ROOT = str(REPO_ROOT)

# what TF1 prints for examples/lecture_training.py (checked with TensorFlow 2.21's compat.v1):
# the prediction y = w*x + b of each epoch, fetched together with the train op
LECTURE_TRAINING_VALUES = ["0.9", "8.54", "13.124001", "15.874401", "17.52464", "18.514786", "19.108871",
                           "19.46532", "19.679192", "19.807514"]


def run_example(name: str) -> list:
    """Runs examples/<name> in a fresh interpreter; returns its stdout lines."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr}"
    return proc.stdout.splitlines()


def test_lecture_minimal_prints_result():
    assert run_example("lecture_minimal.py") == ["Result:  9.0"]


def test_lecture_training_prints_tf1_values():
    lines = run_example("lecture_training.py")
    assert lines == LECTURE_TRAINING_VALUES + ["Result:  19.807514"]


@pytest.mark.parametrize("name", ["lecture_minimal.py", "lecture_training.py"])
def test_examples_use_graphc_as_tf(name):
    with open(os.path.join(ROOT, "examples", name)) as f:
        assert f.readline().strip() == "import graphc as tf"
