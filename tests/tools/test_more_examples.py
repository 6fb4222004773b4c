"""The neural-network examples run at reduced size and reach their stated outcomes.

Each example runs in a fresh interpreter with the repository on PYTHONPATH. Seeds are fixed
(numpy and tf.set_random_seed), so the outcomes are deterministic; the thresholds leave a margin
below the values the reduced runs print (given in comments).
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from repo_paths import ROOT as REPO_ROOT

ROOT = str(REPO_ROOT)

NUMBER = r"([-+]?\d+\.\d+)"


def run_example(name: str, *args: str, blocked: tuple = (), tmp_path=None) -> list:
    """Runs examples/<name> with ``args``; returns its stdout lines.

    ``blocked`` names packages made unimportable in the child (a stub package that raises
    ImportError, written under ``tmp_path``), to exercise the examples' optional-package paths.
    """
    env = dict(os.environ)
    paths = [ROOT]
    if blocked:
        stubs = tmp_path / "blocked"
        for package in blocked:
            (stubs / package).mkdir(parents=True)
            (stubs / package / "__init__.py").write_text(f"raise ImportError('{package} is blocked by the test')\n")
        paths.insert(0, str(stubs))
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, f"{name} {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr}"
    return proc.stdout.splitlines()


def final_value(lines: list, label: str) -> float:
    """The number of the last line, which must read ``<label>: <number>``."""
    match = re.fullmatch(re.escape(label) + r": " + NUMBER, lines[-1])
    assert match, f"expected a last line '{label}: <number>', got {lines[-1]!r}"
    return float(match.group(1))


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# ------------------------------------------------------------------------------------------------
# digits_mlp.py

def mlp_epochs(lines: list) -> list:
    """(epoch, dev loss) of each ``epoch N ... dev loss X`` line."""
    pattern = re.compile(r"epoch +(\d+) +train loss " + NUMBER + r" +dev loss " + NUMBER)
    return [(int(m.group(1)), float(m.group(3))) for m in map(pattern.match, lines) if m]


def test_digits_mlp_quick_reaches_accuracy_and_writes_logs(tmp_path):
    pytest.importorskip("sklearn")
    logdir = tmp_path / "logs"
    lines = run_example("digits_mlp.py", "--quick", "--logdir", str(logdir))
    assert final_value(lines, "test accuracy") > 0.90          # prints 0.9611
    assert len(mlp_epochs(lines)) == 10
    if has_module("tensorboardX"):
        for run in ("train", "dev"):
            events = list((logdir / run).glob("events.out.tfevents.*"))
            assert events and events[0].stat().st_size > 0, f"no event file in {logdir / run}"
        assert any(line.startswith("TensorBoard logs:") for line in lines)
    if has_module("tensorboard"):
        from tensorboard.backend.event_processing import event_accumulator

        tags = {}
        for run in ("train", "dev"):
            acc = event_accumulator.EventAccumulator(str(logdir / run),
                                                     size_guidance={"histograms": 0, "scalars": 0})
            acc.Reload()
            tags[run] = acc.Tags()
            for tag in ("loss", "accuracy"):
                assert [e.step for e in acc.Scalars(tag)] == list(range(1, 11)), (run, tag)
        histograms = {"hidden1/kernel/histogram", "hidden1/bias/histogram", "hidden2/kernel/histogram",
                      "logits/kernel/histogram", "hidden1/activations", "hidden2/activations"}
        assert histograms <= set(tags["train"]["histograms"])
        assert tags["train"]["graph"]


def test_digits_mlp_early_stopping_restores_the_best_weights(tmp_path):
    pytest.importorskip("sklearn")
    lines = run_example("digits_mlp.py", "--patience", "2", "--logdir", "")
    epochs = mlp_epochs(lines)
    assert "early stopping: no dev improvement for 2 epochs" in lines
    best_epoch, best_dev = min(epochs, key=lambda e: e[1])
    assert epochs[-1][0] == best_epoch + 2 < 60                 # stopped 2 epochs after the best (26)
    restored = re.fullmatch(r"restored the weights of epoch (\d+): dev loss " + NUMBER, lines[-2])
    assert restored, lines[-2]
    assert int(restored.group(1)) == best_epoch
    assert float(restored.group(2)) == pytest.approx(best_dev, abs=1e-4)
    assert final_value(lines, "test accuracy") > 0.93          # prints 0.9694


def test_digits_mlp_skips_logging_without_tensorboardx(tmp_path):
    pytest.importorskip("sklearn")
    logdir = tmp_path / "logs"
    lines = run_example("digits_mlp.py", "--epochs", "2", "--logdir", str(logdir),
                        blocked=("tensorboardX",), tmp_path=tmp_path)
    assert any(line.startswith("note: tensorboardX is not installed") for line in lines)
    assert not logdir.exists()
    final_value(lines, "test accuracy")


# ------------------------------------------------------------------------------------------------
# digits_cnn.py

def test_digits_cnn_quick_reaches_accuracy():
    pytest.importorskip("sklearn")
    lines = run_example("digits_cnn.py", "--quick")
    assert sum(line.startswith("epoch") for line in lines) == 3
    assert final_value(lines, "test accuracy") > 0.90          # prints 0.9333


# ------------------------------------------------------------------------------------------------
# rnn_sequence.py

def test_rnn_sequence_quick_learns_to_sum_variable_length_sequences():
    lines = run_example("rnn_sequence.py", "--quick")
    assert lines[0] == ("recurrent variables shared by all 10 steps: rnn/basic_lstm_cell/kernel:0, "
                        "rnn/basic_lstm_cell/bias:0")
    baseline = re.fullmatch(r"baseline \(always 0\) mse: " + NUMBER, lines[-2])
    assert baseline and float(baseline.group(1)) > 1.5         # the variance of the sum, 5.5/3
    assert final_value(lines, "test mse") < 0.02               # prints 0.0029


def test_rnn_sequence_hand_unrolled_comparison_learns_too():
    lines = run_example("rnn_sequence.py", "--quick", "--unrolled")
    assert lines[0] == "recurrent variables shared by all 10 steps: rnn_cell/w_x:0, rnn_cell/w_h:0, rnn_cell/b:0"
    assert final_value(lines, "test mse") < 0.05               # prints 0.0128


# ------------------------------------------------------------------------------------------------
# playground.py

def playground_results(lines: list) -> dict:
    """{dataset: (test loss, test accuracy)} from the final lines."""
    pattern = re.compile(r"(\w+): test loss " + NUMBER + r"  test accuracy " + NUMBER)
    return {m.group(1): (float(m.group(2)), float(m.group(3))) for m in map(pattern.fullmatch, lines) if m}


def test_playground_quick_learns_every_dataset(tmp_path):
    outdir = tmp_path / "pngs"
    lines = run_example("playground.py", "--quick", "--outdir", str(outdir))
    results = playground_results(lines)
    assert list(results) == ["circle", "xor", "gaussian", "spiral"]
    assert lines[-4:] == [line for line in lines if playground_results([line])]
    for name in ("circle", "xor", "gaussian"):
        loss, accuracy = results[name]
        assert accuracy >= 0.95 and loss < 0.05, (name, results[name])   # print 1.0 and < 0.002
    assert results["spiral"][0] < 0.5                          # 0.4353; predicting 0 scores 0.5
    per_epoch = [line for line in lines if re.match(r"\w+ +epoch +\d+ +train loss \S+ +test loss \S+$", line)]
    assert [int(line.split()[2]) for line in per_epoch] == [5, 10, 15, 20, 25] * 4     # every 5th epoch
    if has_module("matplotlib"):
        for name in results:
            png = outdir / f"{name}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"


def test_playground_l2_regularization_raises_the_data_loss():
    plain = playground_results(run_example("playground.py", "--quick", "--dataset", "circle", "--outdir", ""))
    regularized = playground_results(run_example("playground.py", "--quick", "--dataset", "circle", "--l2", "0.01",
                                                 "--outdir", ""))
    assert regularized["circle"][1] >= 0.95                   # still separates the classes (1.0)
    assert regularized["circle"][0] > 2 * plain["circle"][0]    # smaller weights, softer outputs: 0.0122 vs 0.0013


def test_playground_skips_pngs_without_matplotlib(tmp_path):
    outdir = tmp_path / "pngs"
    lines = run_example("playground.py", "--dataset", "gaussian", "--epochs", "2", "--outdir", str(outdir),
                        blocked=("matplotlib",), tmp_path=tmp_path)
    assert any(line.startswith("note: matplotlib is not installed") for line in lines)
    assert not outdir.exists()
    assert "gaussian" in playground_results(lines)
