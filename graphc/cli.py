"""The ``graphc`` command line."""
from __future__ import annotations

import argparse
import platform
import sys
from typing import Optional, Sequence


def _info(args: argparse.Namespace) -> int:
    import numpy

    import graphc
    from graphc.runtime.session import _BACKENDS

    print(f"graphc {graphc.__version__} (python {platform.python_version()}, numpy {numpy.__version__})")
    print(f"backends: {', '.join(_BACKENDS)}")
    from graphc.ops.core import OPS

    print(f"registered ops: {len(OPS)}")
    return 0


def _dump(args: argparse.Namespace) -> int:
    """Runs a TF1-style script with GRAPHC_DUMP set: every compile writes its passes and plans."""
    import os
    import runpy

    out = os.path.abspath(args.out)
    os.environ["GRAPHC_DUMP"] = out
    sys.argv = [args.script] + list(args.script_args)
    runpy.run_path(args.script, run_name="__main__")
    compiles = sorted(d for d in os.listdir(out) if d.startswith("compile_")) if os.path.isdir(out) else []
    print(f"graphc dump: {len(compiles)} compile(s) written to {out}", file=sys.stderr)
    return 0


def _cache(args: argparse.Namespace) -> int:
    from graphc.runtime import cache

    if args.action == "clear":
        print(f"removed {cache.clear()} files from {cache.cache_dir()}")
        return 0
    info = cache.info()
    print(f"directory: {info['directory']}\ngenerated modules: {info['modules']}\n"
          f"compiled-code files: {info['compiled_files']}\nsize: {info['bytes'] / 1e6:.1f} MB")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="graphc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, backends and the number of registered ops").set_defaults(fn=_info)
    from graphc import benchcli

    bench = sub.add_parser("bench", help="run the benchmark suite: eager vs compiled, side by side")
    benchcli.add_arguments(bench)
    bench.set_defaults(fn=benchcli.run)
    cache = sub.add_parser("cache", help="show or clear the on-disk code cache ($GRAPHC_CACHE_DIR)")
    cache.add_argument("action", choices=("info", "clear"))
    cache.set_defaults(fn=_cache)
    dump = sub.add_parser("dump", help="run a script, writing the IR after each pass, the kernel plan "
                                       "and the memory plan of every compile to a directory")
    dump.add_argument("script")
    dump.add_argument("script_args", nargs=argparse.REMAINDER)
    dump.add_argument("-o", "--out", default="graphc_dump")
    dump.set_defaults(fn=_dump)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
