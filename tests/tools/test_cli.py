"""The ``graphc`` command line, and the commands the README documents, run as a user runs them."""
import argparse
import os
import re
import shutil
import subprocess
import sys

import pytest

from graphc import cli

from repo_paths import ROOT

README = (ROOT / "README.md").read_text()

SCRIPT = """\
import sys
import graphc as tf
a = tf.placeholder(tf.float32, name="a")
b = tf.placeholder(tf.float32, name="b")
with tf.Session() as sess:
    print("Result: ", sess.run(a + b, feed_dict={a: 4, b: 5}))
print("argv:", sys.argv[1:])
"""


def graphc_command() -> list:
    """The installed ``graphc`` entry point (the module when the script is not on PATH)."""
    exe = shutil.which("graphc")
    return [exe] if exe else [sys.executable, "-m", "graphc.cli"]


def run_graphc(args, cwd, **env):
    full_env = dict(os.environ, GRAPHC_BACKEND="interpret", **env)
    return subprocess.run(graphc_command() + list(args), cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=300)


def readme_commands(prefix: str) -> list:
    """Inline-code spans of the README that start with ``prefix``."""
    return [c for c in re.findall(r"`([^`\n]+)`", README) if c.startswith(prefix)]


@pytest.mark.parametrize("tokens, own, script_args", [
    (["s.py", "-o", "D"], ["s.py", "-o", "D"], []),
    (["-o", "D", "s.py"], ["-o", "D", "s.py"], []),
    (["--out=D", "s.py", "--quick"], ["--out=D", "s.py"], ["--quick"]),
    (["s.py", "-oD", "x", "--", "-o", "y"], ["s.py", "-oD"], ["x", "-o", "y"]),
    (["-o", "D", "--", "s.py", "--quick"], ["-o", "D", "s.py"], ["--quick"]),
    (["s.py", "--help"], ["s.py"], ["--help"]),
    (["--help"], ["--help"], []),
])
def test_dump_options_go_to_graphc_and_the_rest_to_the_script(tokens, own, script_args):
    assert cli.split_dump_args(tokens) == (own, script_args)


@pytest.mark.parametrize("order", ["script_first", "options_first"])
def test_dump_writes_where_o_says_in_either_order(tmp_path, order):
    (tmp_path / "script.py").write_text(SCRIPT)
    args = ["script.py", "-o", "out", "--", "--quick"]
    if order == "options_first":
        args = ["-o", "out", "script.py", "--quick"]
    res = run_graphc(["dump"] + args, tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Result:  9.0" in res.stdout and "argv: ['--quick']" in res.stdout
    compiles = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith("compile_"))
    assert compiles == ["compile_0000"]
    assert not (tmp_path / "graphc_dump").exists()
    assert "1 compile(s) written to" in res.stderr


def test_the_readme_dump_command_works_as_written(tmp_path):
    commands = readme_commands("graphc dump")
    assert commands, "the README no longer documents graphc dump"
    for command in commands:
        (tmp_path / "script.py").write_text(SCRIPT)
        args = command.split()[1:]
        if "--help" in args:
            res = run_graphc(args, tmp_path)
            assert res.returncode == 0 and res.stdout.startswith("usage: graphc dump"), command
            continue
        assert "script.py" in args and "DIR" in args, command
        res = run_graphc([a.replace("DIR", "dumped") for a in args], tmp_path)
        assert res.returncode == 0, (command, res.stderr)
        plan = tmp_path / "dumped" / "compile_0000"
        assert any(p.name.endswith("kernel_plan.txt") for p in plan.iterdir()), command


def test_the_readme_graphc_dump_environment_variable(tmp_path):
    assert "`GRAPHC_DUMP=DIR`" in README
    (tmp_path / "script.py").write_text(SCRIPT)
    res = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True,
                         env=dict(os.environ, GRAPHC_BACKEND="interpret", GRAPHC_DUMP=str(tmp_path / "d")))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "d" / "compile_0000").is_dir()


def test_the_readme_cache_commands(tmp_path):
    assert "`graphc cache info|clear`" in README
    for action in ("info", "clear"):
        res = run_graphc(["cache", action], tmp_path, GRAPHC_CACHE_DIR=str(tmp_path / "cache"))
        assert res.returncode == 0, res.stderr
    assert "directory: " + str(tmp_path / "cache") in run_graphc(
        ["cache", "info"], tmp_path, GRAPHC_CACHE_DIR=str(tmp_path / "cache")).stdout


def test_the_readme_python_snippet_prints_its_comment(tmp_path):
    snippet = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    expected = re.search(r"# (Result: .*)", snippet).group(1)
    (tmp_path / "snippet.py").write_text(snippet)
    res = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == expected


def test_help_is_plain_text_and_every_option_is_explained():
    parser = cli.build_parser()
    text = parser.format_help()
    assert "``" not in text and "graphc" in text
    subparsers = parser._subparsers._group_actions[0].choices
    assert set(subparsers) == {"info", "bench", "cache", "dump", "switches"}
    for name, sub in subparsers.items():
        assert "``" not in sub.format_help(), name
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (name, action.dest)
            if action.option_strings and action.default is not None and not isinstance(action.default, bool):
                assert "default" in action.help, (name, action.dest)


def test_dump_without_a_script_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["dump", "-o", "x"])
    assert e.value.code == 2
    assert "script" in capsys.readouterr().err


def test_dump_of_a_missing_script_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        cli.main(["dump", str(tmp_path / "nope.py"), "-o", str(tmp_path / "out")])
    assert e.value.code == 2
    assert "no such script" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def expand_alternatives(command: str) -> list:
    """``graphc cache info|clear`` -> the two commands it stands for."""
    head, _, last = command.rpartition(" ")
    return [f"{head} {alt}" for alt in last.split("|")] if "|" in last else [command]


def test_every_graphc_command_the_docs_show_parses():
    docs = README + "\n" + (ROOT / "benchmarks" / "README.md").read_text()
    commands = re.findall(r"(?:`|^|&& )(graphc (?:info|bench|cache|dump)[^`\n]*)", docs, re.M)
    assert any(c.startswith("graphc bench --size gpu") for c in commands)
    parser = cli.build_parser()
    for command in [c for documented in commands for c in expand_alternatives(documented)]:
        tokens = command.split()[1:]
        if tokens[0] == "dump":
            tokens = ["dump"] + cli.split_dump_args(tokens[1:])[0]
        if "--help" not in tokens:
            parser.parse_args(tokens)     # exits (fails the test) on an unknown option or value


def test_switches_lists_every_environment_variable(capsys):
    assert cli.main(["switches"]) == 0
    out = capsys.readouterr().out
    assert "GRAPHC_BACKEND (default 'auto')" in out and "GRAPHC_CACHE_DIR" in out
