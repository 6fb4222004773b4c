"""Every GRAPHC_* environment switch is declared once, in graphc/switches.py, and read only there."""
from __future__ import annotations

import os
import re

from graphc import switches

from repo_paths import ROOT

PACKAGE = ROOT / "graphc"
NAME = re.compile(r"\bGRAPHC_[A-Z0-9_]+\b")
DIRECT_READ = re.compile(r"(environ(\.get)?\s*[\(\[]|getenv\s*\()\s*[\"']GRAPHC_")


def _sources() -> list:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "switches.py"]


def test_every_name_graphc_mentions_is_declared():
    declared = {s.name for s in switches.ALL}
    for path in _sources() + [ROOT / "README.md"]:
        unknown = set(NAME.findall(path.read_text())) - declared
        assert not unknown, f"{path.relative_to(ROOT)} names {sorted(unknown)}: declare them in graphc/switches.py"


def test_no_module_reads_a_switch_behind_its_back():
    for path in _sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not DIRECT_READ.search(line), (
                f"{path.relative_to(ROOT)}:{number} reads the environment directly; use graphc.switches")


def test_every_switch_graphc_declares_is_read_somewhere():
    # benchmarks/ counts: `graphc bench` runs it (its tf1 peer reads GRAPHC_TENSORFLOW_PYTHON)
    text = "\n".join(p.read_text() for p in _sources() + sorted((ROOT / "benchmarks").glob("*.py")))
    for attr, value in vars(switches).items():
        if isinstance(value, switches.Switch) and not value.tests_only:
            assert f"switches.{attr}" in text or f"_switches.{attr}" in text, f"{value.name} is declared but unused"


def test_get_reads_the_environment_at_each_call(monkeypatch):
    monkeypatch.delenv("GRAPHC_BACKEND", raising=False)
    assert switches.BACKEND.get() == "auto"
    monkeypatch.setenv("GRAPHC_BACKEND", "eager")
    assert switches.BACKEND.get() == "eager"
    assert os.environ["GRAPHC_BACKEND"] == "eager"


def test_the_table_lists_every_switch_and_the_readme_links_it():
    table = switches.describe()
    assert all(s.name in table and s.meaning in table for s in switches.ALL)
    assert "graphc/switches.py" in (ROOT / "README.md").read_text()
