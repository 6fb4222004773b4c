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


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="graphc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, backends and the number of registered ops").set_defaults(fn=_info)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
