"""pyproject's extras bring what the README and the examples say they bring."""
import ast
import re
import sys
import tomllib

from repo_paths import ROOT

EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
CORE = {"graphc", "numpy"}
DISTRIBUTION = {"sklearn": "scikit-learn"}     # import name -> the package pip installs


def requirement_names(extra):
    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in EXTRAS[extra]}


def third_party_imports(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in CORE}


def test_the_tensorboard_extra_brings_the_viewer_and_the_writer():
    assert {"tensorboard", "tensorboardx"} <= requirement_names("tensorboard")


def test_the_onnx_extra_brings_the_writer_and_the_runtime_and_ci_installs_them():
    assert {"onnx", "onnxruntime"} <= requirement_names("onnx") <= requirement_names("test")


def test_the_examples_extra_brings_every_package_an_example_imports():
    needed = set()
    for path in sorted((ROOT / "examples").glob("*.py")):
        needed |= third_party_imports(path)
    assert needed >= {"sklearn", "matplotlib", "tensorboardX"}    # the scan finds the optional imports
    missing = {DISTRIBUTION.get(n, n).lower() for n in needed} - requirement_names("examples")
    assert not missing, f"examples import {sorted(missing)}, which the examples extra does not install"


def test_the_examples_readme_install_command_names_existing_extras():
    readme = (ROOT / "examples" / "README.md").read_text()
    for command in re.findall(r'pip install -e "\.\[([^\]]+)\]"', readme):
        assert set(command.split(",")) <= set(EXTRAS), command
