"""The graphc command line: info, bench, cache and dump."""
from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import List, Optional, Sequence, Tuple

from graphc import switches

DESCRIPTION = "graphc: a graph compiler with TensorFlow 1.x's programming model."

DUMP_DESCRIPTION = """\
Runs a TF1-style Python script with GRAPHC_DUMP=OUT: every compile writes the IR after each
pass, the kernel plan (with the reasons fusions were declined), the memory plan and the
generated code into OUT/compile_NNNN/, and OUT/index.txt says which sess.run made each one.

graphc's options may come before or after the script: these are the same
  graphc dump script.py -o DIR
  graphc dump -o DIR script.py
Other arguments after the script go to the script; put them after -- when the script takes an
option graphc also knows:  graphc dump script.py -o DIR -- --quick -o script_output
"""

_DUMP_VALUE_OPTIONS = ("-o", "--out")


def _info(args: argparse.Namespace) -> int:
    import numpy

    import graphc
    from graphc.codegen import driver

    print(f"graphc {graphc.__version__} (python {platform.python_version()}, numpy {numpy.__version__})")
    print(f"backends: {', '.join(driver.names())}")
    from graphc.ops.core import OPS

    print(f"registered ops: {len(OPS)}")
    return 0


def split_dump_args(tokens: Sequence[str]) -> Tuple[List[str], List[str]]:
    """Splits ``graphc dump``'s arguments into (graphc's own, the script's).

    graphc's own are its options wherever they appear before a ``--``, plus the script path (the
    first non-option argument); the script gets everything else after its path, in order, and
    everything after ``--``.
    """
    own: List[str] = []
    script_args: List[str] = []
    have_script = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":
            if not have_script and i + 1 < len(tokens):
                own.append(tokens[i + 1])    # `graphc dump -o D -- script.py args`
                have_script = True
                i += 1
            script_args.extend(tokens[i + 1:])
            break
        if tok in _DUMP_VALUE_OPTIONS:
            own.extend(tokens[i:i + 2])
            i += 2
            continue
        if tok.startswith("--out=") or (tok.startswith("-o") and len(tok) > 2):
            own.append(tok)
        elif have_script:
            script_args.append(tok)
        else:
            own.append(tok)            # the script path, -h, or an unknown option argparse reports
            have_script = not tok.startswith("-")
        i += 1
    return own, script_args


def _dump(args: argparse.Namespace) -> int:
    """Runs a TF1-style script with GRAPHC_DUMP set: every compile writes its passes and plans."""
    import runpy

    out = os.path.abspath(args.out)
    os.environ[switches.DUMP.name] = out
    sys.argv = [args.script] + list(args.script_args)
    try:
        runpy.run_path(args.script, run_name="__main__")
    finally:
        compiles = sorted(d for d in os.listdir(out) if d.startswith("compile_")) if os.path.isdir(out) else []
        print(f"graphc dump: {len(compiles)} compile(s) written to {out}", file=sys.stderr)
    return 0


def _cache(args: argparse.Namespace) -> int:
    from graphc.toolchain import cache

    if args.action == "clear":
        print(cache.clear())      # what was removed, and what was kept (files that are not graphc's)
        return 0
    info = cache.info()
    print(f"directory: {info['directory']}\ngenerated modules: {info['modules']}\n"
          f"compiled-code files: {info['compiled_files']}\nsize: {info['bytes'] / 1e6:.1f} MB")
    return 0


def _switches(args: argparse.Namespace) -> int:
    print(switches.describe())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``graphc`` argument parser (``dump``'s script arguments are split off before it)."""
    parser = argparse.ArgumentParser(prog="graphc", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("info", help="versions, backends and the number of registered ops",
                   description="Prints graphc's version, the backends and the number of registered ops."
                   ).set_defaults(fn=_info)
    from graphc import benchcli

    bench = sub.add_parser("bench", help="run the benchmark suite: eager vs compiled, side by side",
                           description="Runs the benchmark workloads in eager mode and with each compiled "
                                       "backend, checks that the results match, prints a table.")
    benchcli.add_arguments(bench)
    bench.set_defaults(fn=benchcli.run)
    cache = sub.add_parser("cache", help="show or clear the on-disk code cache ($GRAPHC_CACHE_DIR)",
                           description="Shows or clears the on-disk code cache ($GRAPHC_CACHE_DIR, "
                                       "default ~/.cache/graphc).")
    cache.add_argument("action", choices=("info", "clear"),
                       help="info: the directory, its file counts and size; clear: delete the cached code")
    cache.set_defaults(fn=_cache)
    sub.add_parser("switches", help="list every GRAPHC_* environment variable, its default and meaning",
                   description="Lists every GRAPHC_* environment variable graphc reads (graphc/switches.py)."
                   ).set_defaults(fn=_switches)
    dump = sub.add_parser("dump", help="run a script, writing the IR after each pass, the kernel plan "
                                       "and the memory plan of every compile to a directory",
                          description=DUMP_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
                          usage="graphc dump [-h] [-o OUT] script [script arguments ...] [-- script arguments]")
    dump.add_argument("script", help="the Python script to run (as `python script`)")
    dump.add_argument("-o", "--out", default="graphc_dump", metavar="OUT",
                      help="directory the dumps go to, created if missing (default: ./%(default)s)")
    dump.set_defaults(fn=_dump, script_args=[])
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``graphc`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    script_args: List[str] = []
    if argv and argv[0] == "dump":
        own, script_args = split_dump_args(argv[1:])
        argv = ["dump"] + own
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "dump":
        args.script_args = script_args
        if not os.path.isfile(args.script):
            parser.error(f"dump: no such script: {args.script}")
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
