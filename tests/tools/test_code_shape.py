"""The code's shape, checked on every test run: the import layers (import-linter, configured in
pyproject.toml), lint errors (ruff) and types of the public API and the plan objects (mypy,
ratcheted against tests/mypy_baseline.txt). The tools come with the ``test`` extra."""
from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from repo_paths import ROOT, TESTS

BASELINE = TESTS / "mypy_baseline.txt"
# "graphc/graph.py:34: error: Incompatible types ...  [assignment]" -> path, message
MYPY_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+(?::\d+)?: error: (?P<message>.*)$")


def _run(argv: list, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _tool(name: str) -> str:
    """A console script of this Python's environment (beside the interpreter), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]'"
    return found


def test_layers_import_only_downward():
    result = _run([_tool("lint-imports"), "--no-cache"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing():
    result = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "graphc", "tests", "benchmarks", "examples"])
    assert result.returncode == 0, result.stdout + result.stderr


def mypy_errors() -> collections.Counter:
    """mypy's errors on the files pyproject.toml names, as "path: message" (no line numbers, so
    that edits elsewhere in a file do not move the baseline)."""
    result = _run([sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
                  timeout=300)
    assert result.returncode in (0, 1), result.stdout + result.stderr   # 2: mypy itself failed
    errors = collections.Counter()
    for line in result.stdout.splitlines():
        match = MYPY_ERROR.match(line)
        if match:
            errors[f"{match['path'].replace(os.sep, '/')}: {match['message']}"] += 1
    return errors


def test_mypy_errors_only_go_down():
    got = mypy_errors()
    baseline = collections.Counter(line for line in BASELINE.read_text().splitlines()
                                   if line.strip() and not line.startswith("#"))
    new = got - baseline
    fixed = baseline - got
    assert not new, "new mypy errors (fix them):\n" + "\n".join(sorted(new.elements()))
    assert not fixed, (f"mypy errors fixed: remove them from {BASELINE.name}:\n"
                       + "\n".join(sorted(fixed.elements())))


if __name__ == "__main__":   # python tests/tools/test_code_shape.py > tests/mypy_baseline.txt rewrites the baseline
    print("# mypy errors accepted today; tests/tools/test_code_shape.py fails on any other. Only remove lines.")
    print("\n".join(sorted(mypy_errors().elements())))


def test_architecture_names_only_files_that_exist():
    """ARCHITECTURE.md's recipes name exact files; a move or rename must update them."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    named = set(re.findall(r"`((?:graphc|tests)/[\w/.<>-]+)`", text))
    assert len(named) > 20
    missing = [p for p in sorted(named) if "<" not in p and not (ROOT / p).exists()]
    assert not missing, f"ARCHITECTURE.md names files that do not exist: {missing}"
    readme = (ROOT / "README.md").read_text()
    assert "(ARCHITECTURE.md)" in readme and "../shared" not in readme
