"""Every number examples/README.md and the examples' docstrings promise is what the command prints.

The README states, for each documented command, lines it prints (inline code such as
`test accuracy: 0.9806` after the command); the docstrings' usage lines give 4-decimal results in
their comments. The commands run as written, on the CPU's default backend (Numba). The lecture
programs and every ``--quick`` command run by default; the full-size trainings (10-60 s each on
2 cores) run with GRAPHC_TEST_FULL_EXAMPLES=1.

A training's last digits depend on the machine: a compiled sum's order follows the CPU's vector
width, and after thousands of steps one test sample more or less may be classified right. So the
words of a documented line must be printed exactly, and its numbers within what rounding can
move: an accuracy by ACCURACY_SLACK (a few test samples), a loss or error by LOSS_SLACK
(relative). A different result beyond that (a broken example) still fails.
"""
from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys

import pytest

from graphc import switches

from repo_paths import ROOT

EXAMPLES = ROOT / "examples"
README = (EXAMPLES / "README.md").read_text()
COMMAND = re.compile(r"python examples/[\w.]+\.py(?: --?[\w-]+)*")
OUTPUT = re.compile(r":.*\d\.\d")          # a printed line such as "test mse: 0.0042"
FULL = (switches.TEST_FULL_EXAMPLES.get() or "") not in ("", "0")
NUMBER = re.compile(r"-?\d+\.\d+")
ACCURACY_SLACK = 0.012       # 4 of the digits' 360 test samples; 3 of the playground's 250 points
LOSS_SLACK = 0.10            # relative
LOSS_WORDS = ("mse", "loss", "error")


def readme_claims() -> dict:
    """{command: [lines it prints]} from the README's list (up to its Times section)."""
    text = re.sub(r"\s*\n\s*", " ", README.split("\n## Times")[0])
    claims: dict = {}
    current = None
    for span in re.findall(r"`([^`]+)`", text):
        if COMMAND.fullmatch(span):
            current = span
            claims.setdefault(current, [])
        elif current is not None and OUTPUT.search(span):
            claims[current].append(span)
    return claims


def docstring_claims() -> dict:
    """{command: [4-decimal numbers in its usage line's comment]} from the examples' docstrings."""
    claims: dict = {}
    for path in sorted(EXAMPLES.glob("*.py")):
        usage_lines = re.findall(r"^\s+(python examples/\S+(?: --\w+)*)\s+#(.*)$", path.read_text(), re.M)
        for command, comment in usage_lines:
            kind = next((w for w in LOSS_WORDS if w in comment.lower()), "accuracy")
            claims.setdefault(command, []).extend((kind, n) for n in re.findall(r"\b\d+\.\d{4}\b", comment))
    return claims


def close(documented: float, printed: float, kind: str) -> bool:
    """Whether a printed number is the documented one up to what another machine's rounding moves."""
    if kind == "accuracy":
        return abs(printed - documented) <= ACCURACY_SLACK
    return abs(printed - documented) <= LOSS_SLACK * abs(documented) + 1e-4


def line_matches(expected: str, line: str) -> bool:
    """The same words as ``expected``, and each number close to the documented one of its kind
    (the kind is the last loss word before the number, else an accuracy)."""
    if NUMBER.sub("#", expected).split() != NUMBER.sub("#", line).split():
        return False
    pieces = NUMBER.split(expected)
    for i, (want, got) in enumerate(zip(NUMBER.findall(expected), NUMBER.findall(line))):
        before = "".join(pieces[:i + 1]).lower()
        last_word = max(((before.rfind(w), w) for w in LOSS_WORDS + ("accuracy",)), default=(-1, ""))
        kind = last_word[1] if last_word[0] >= 0 and last_word[1] != "accuracy" else "accuracy"
        if not close(float(want), float(got), kind):
            return False
    return True


def is_heavy(command: str) -> bool:
    return "--quick" not in command and "lecture_" not in command


@functools.lru_cache(maxsize=None)
def run(command: str) -> str:
    """The stdout of ``command`` run from the repository root on the Numba backend."""
    env = dict(os.environ, GRAPHC_BACKEND="numba", PYTHONPATH=str(ROOT))
    args = shlex.split(command)
    proc = subprocess.run([sys.executable] + args[1:], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, f"{command} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def skip_unless_runnable(command: str) -> None:
    if is_heavy(command) and not FULL:
        pytest.skip("a full-size training; set GRAPHC_TEST_FULL_EXAMPLES=1 to run it")
    for module in ("sklearn",) if "digits_" in command else ():
        pytest.importorskip(module)


README_CLAIMS = readme_claims()
DOCSTRING_CLAIMS = docstring_claims()


def test_the_readme_documents_each_example_and_its_quick_run():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    documented = {c.split()[1].split("/")[1] for c in README_CLAIMS}
    assert documented == set(scripts)
    for script in scripts:
        for command in (f"python examples/{script}", f"python examples/{script} --quick"):
            if "lecture_" in script and command.endswith("--quick"):
                continue        # the lecture programs are instant; --quick is accepted (tested below)
            assert README_CLAIMS.get(command), f"the README states no output of {command}"
    assert set(DOCSTRING_CLAIMS) >= {c for c in README_CLAIMS if "lecture_" not in c}


@pytest.mark.parametrize("command", sorted(README_CLAIMS))
def test_readme_numbers_are_what_the_command_prints(command):
    skip_unless_runnable(command)
    lines = run(command).splitlines()
    for expected in README_CLAIMS[command]:
        assert any(line_matches(expected, line) for line in lines), (
            f"{command} does not print {expected!r}; it printed:\n" + "\n".join(lines[-8:]))


@pytest.mark.parametrize("command", sorted(DOCSTRING_CLAIMS))
def test_docstring_numbers_are_what_the_command_prints(command):
    skip_unless_runnable(command)
    out = run(command)
    for kind, number in DOCSTRING_CLAIMS[command]:
        printed = [float(n) for line in out.splitlines() if kind in line.lower() for n in NUMBER.findall(line)]
        assert any(close(float(number), p, kind) for p in printed), (
            f"{command} does not print a {kind} of {number}; it printed:\n{out[-600:]}")


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_takes_help_and_quick(script):
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--help"], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:") and "--quick" in proc.stdout
    options = re.split(r"\n(?=  -)", proc.stdout.split("\noptions:\n")[1])
    for option in options:
        flag = option.split()[0].rstrip(",")
        takes_value = re.match(r"\s+--?[\w-]+ [A-Z_{]", option)
        assert flag == "-h" or len(option.split()) > 1, f"{script}: {flag} has no help text"
        if takes_value:
            assert "default:" in option, f"{script}: {flag} does not say its default"


def test_digits_mlp_prints_the_same_numbers_without_logging():
    # the TensorBoard histograms come from the dev-loss run, so logging adds no draw from dropout's stream
    pytest.importorskip("sklearn")
    (expected,) = README_CLAIMS["python examples/digits_mlp.py --quick"]
    assert run("python examples/digits_mlp.py --quick --logdir=").splitlines()[-1] == expected


@pytest.mark.parametrize("expected,printed,ok", [
    ("test accuracy: 0.9472", "test accuracy: 0.9444", True),        # one test sample apart
    ("test accuracy: 0.9472", "test accuracy: 0.9300", False),
    ("test accuracy: 0.9472", "train accuracy: 0.9472", False),       # the words must match
    ("test mse: 0.0343 (baseline 3.3899)", "test mse: 0.0351 (baseline 3.3899)", True),
    ("test mse: 0.0343", "test mse: 0.0400", False),
    ("spiral: test loss 0.0411  test accuracy 0.9760", "spiral: test loss 0.0412  test accuracy 0.9720", True),
    ("spiral: test loss 0.0411  test accuracy 0.9760", "spiral: test loss 0.0611  test accuracy 0.9760", False),
])
def test_a_documented_line_allows_only_rounding_differences(expected, printed, ok):
    assert line_matches(expected, printed) is ok
