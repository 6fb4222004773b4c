"""``tf.logging``: TF1's logging functions on Python's ``logging``, through the "graphc" logger.

graphc's own loggers ("graphc.runtime", "graphc.compile", ...) are children of it, so
``tf.logging.set_verbosity(tf.logging.DEBUG)`` shows graphc's messages the way TF1's shows its
own. As in TF1, the first use attaches a stderr handler (format ``INFO:graphc:message``) unless
the application has configured logging itself (the root logger or "graphc" has a handler).
"""
from __future__ import annotations

import logging as _logging
import sys
import threading
from typing import Any

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARN
ERROR = _logging.ERROR
FATAL = _logging.FATAL

_LOGGER_NAME = "graphc"
_setup_lock = threading.Lock()
_handler_installed = False
_counts: dict = {}
_counts_lock = threading.Lock()


def get_logger() -> _logging.Logger:
    """The logger behind ``tf.logging`` (``tf.get_logger()``), with a stderr handler on first use."""
    global _handler_installed
    logger = _logging.getLogger(_LOGGER_NAME)
    if not _handler_installed:
        with _setup_lock:
            if not _handler_installed:
                if not logger.handlers and not _logging.getLogger().handlers:
                    handler = _logging.StreamHandler(sys.stderr)
                    handler.setFormatter(_logging.Formatter(_logging.BASIC_FORMAT))
                    logger.addHandler(handler)
                _handler_installed = True
    return logger


def set_verbosity(v: int) -> None:
    """Logs at level ``v`` and above (``tf.logging.INFO`` ...)."""
    get_logger().setLevel(v)


def get_verbosity() -> int:
    """The effective level (WARN unless set: Python's default)."""
    return get_logger().getEffectiveLevel()


def log(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs ``msg % args`` at ``level``."""
    get_logger().log(level, msg, *args, stacklevel=2, **kwargs)


def debug(msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs at DEBUG."""
    get_logger().debug(msg, *args, stacklevel=2, **kwargs)


def info(msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs at INFO."""
    get_logger().info(msg, *args, stacklevel=2, **kwargs)


def warning(msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs at WARN."""
    get_logger().warning(msg, *args, stacklevel=2, **kwargs)


warn = warning


def error(msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs at ERROR."""
    get_logger().error(msg, *args, stacklevel=2, **kwargs)


def fatal(msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs at FATAL (the program goes on, as with TF1's ``tf.logging.fatal``)."""
    get_logger().critical(msg, *args, stacklevel=2, **kwargs)


def vlog(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs at the numeric ``level`` (TF1 passes it to Python's logging as is)."""
    get_logger().log(level, msg, *args, stacklevel=2, **kwargs)


def log_if(level: int, msg: Any, condition: bool, *args: Any) -> None:
    """Logs ``msg`` at ``level`` only when ``condition`` holds."""
    if condition:
        get_logger().log(level, msg, *args, stacklevel=2)


def _call_count() -> int:
    """How many times the log_every_n/log_first_n call at the caller's caller's line has run, before this one."""
    frame = sys._getframe(2)
    key = (frame.f_code.co_filename, frame.f_lineno)
    with _counts_lock:
        count = _counts.get(key, 0)
        _counts[key] = count + 1
    return count


def log_every_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Logs on the 1st, (n+1)th, (2n+1)th ... call from the same source line."""
    count = _call_count()
    if count % max(int(n), 1) == 0:
        get_logger().log(level, msg, *args, stacklevel=2)


def log_first_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Logs on the first ``n`` calls from the same source line only."""
    if _call_count() < n:
        get_logger().log(level, msg, *args, stacklevel=2)


def flush() -> None:
    """Flushes the handlers of the tf.logging logger."""
    for handler in get_logger().handlers:
        handler.flush()


__all__ = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "get_logger", "set_verbosity", "get_verbosity", "log",
           "debug", "info", "warning", "warn", "error", "fatal", "vlog", "log_if", "log_every_n", "log_first_n",
           "flush"]
