"""``tf.app``: ``tf.app.run`` parses the command line into ``tf.app.flags.FLAGS`` and calls ``main``.

As TF1's: absl's ``app.run`` with a parser that leaves flags nobody defined in ``main``'s argv
(``main(argv)`` gets the program name and those, and ``--help`` prints the flags and exits);
``main``'s return value is the exit status.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, NoReturn, Optional

from absl import app as _absl_app
from absl import flags as _absl_flags

from graphc import flags  # noqa: F401  (tf.app.flags)


def _parse_known_flags(argv: list) -> list:
    return _absl_flags.FLAGS(argv, known_only=True)


def run(main: Optional[Callable[[list], Any]] = None, argv: Optional[list] = None) -> NoReturn:
    """Parses ``argv`` (default ``sys.argv``) into FLAGS, then exits with ``main(remaining argv)``.

    ``main`` defaults to the ``main`` function of the ``__main__`` module.
    """
    main = main or sys.modules["__main__"].main
    _absl_app.run(main, argv=argv, flags_parser=_parse_known_flags)
