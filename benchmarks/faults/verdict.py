"""Outcomes of a fault case and the checks that decide them.

A case function returns normally when graphc behaved as TF1 documents, and raises one of the
``Verdict`` exceptions below otherwise. The expected behaviour is always written in the case
(TF1's result or error class), never read back from graphc.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

CORRECT = "correct"
WRONG = "wrong"
CRASH = "crash"
HANG = "hang"
DATA_LOST = "data lost"
SECURITY = "security"
OUTCOMES = (CORRECT, WRONG, CRASH, HANG, DATA_LOST, SECURITY)


class Verdict(Exception):
    """A case did not behave as TF1 would; ``outcome`` says how."""

    outcome = WRONG


class Wrong(Verdict):
    """A silently wrong result, or the wrong error class (a raw Python exception included)."""

    outcome = WRONG


class Crash(Verdict):
    """A (child) process died."""

    outcome = CRASH


class Hang(Verdict):
    """A (child) process or step ran past its time cap."""

    outcome = HANG


class DataLost(Verdict):
    """Variables, a checkpoint or cache entries were corrupted or lost."""

    outcome = DATA_LOST


class Security(Verdict):
    """Foreign code was executed, or files were left with unsafe permissions."""

    outcome = SECURITY


ErrorSpec = Union[type[BaseException], tuple[type[BaseException], ...]]


def _names(types: ErrorSpec) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return "/".join(t.__name__ for t in types)


def expect_raises(fn: Callable[[], Any], types: ErrorSpec, match: str | None = None) -> BaseException:
    """Calls ``fn``; it must raise one of ``types`` with a non-empty message (matching ``match``,
    a case-insensitive regex, when given). Anything else is ``Wrong``."""
    try:
        result = fn()
    except Verdict:
        raise
    except types as e:
        text = str(e)
        if not text.strip():
            raise Wrong(f"{type(e).__name__} with an empty message")
        if match and not re.search(match, text, re.IGNORECASE | re.DOTALL):
            raise Wrong(f"{type(e).__name__} whose message does not say /{match}/: {text[:160]!r}")
        return e
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        raise Wrong(f"raised {type(e).__name__}: {str(e)[:160]!r} where TF1 raises {_names(types)}") from None
    raise Wrong(f"no error (returned {_short(result)}) where TF1 raises {_names(types)}")


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) < 80 else text[:77] + "..."


def expect_equal(got: Any, want: Any, what: str = "result") -> None:
    """Exact equality of arrays (shape, values; NaNs equal) or plain values."""
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        g, w = np.asarray(got), np.asarray(want)
        if g.shape != w.shape:
            raise Wrong(f"{what} has shape {g.shape}, TF1 gives {w.shape}")
        if not np.array_equal(g, w, equal_nan=g.dtype.kind in "fc" and w.dtype.kind in "fc"):
            raise Wrong(f"{what} is {_short(g.tolist())}, TF1 gives {_short(w.tolist())}")
        return
    if got != want:
        raise Wrong(f"{what} is {_short(got)}, TF1 gives {_short(want)}")


def expect_close(got: Any, want: Any, rtol: float = 1e-5, atol: float = 1e-6, what: str = "result") -> None:
    """Float comparison (shape exact, NaN/Inf positions exact)."""
    g, w = np.asarray(got), np.asarray(want)
    if g.shape != w.shape:
        raise Wrong(f"{what} has shape {g.shape}, TF1 gives {w.shape}")
    if not np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
        raise Wrong(f"{what} is {_short(g.tolist())}, TF1 gives {_short(w.tolist())}")


def expect_dtype(got: Any, dtype: Any, what: str = "result") -> None:
    """The numpy dtype of a fetched value."""
    if np.asarray(got).dtype != np.dtype(dtype):
        raise Wrong(f"{what} has dtype {np.asarray(got).dtype}, TF1 gives {np.dtype(dtype)}")


def expect_all(values: Sequence[Any], wants: Sequence[Any], what: str = "result") -> None:
    """``expect_close`` element by element over two sequences of the same length."""
    if len(values) != len(wants):
        raise Wrong(f"{what}: {len(values)} values, TF1 gives {len(wants)}")
    for i, (g, w) in enumerate(zip(values, wants)):
        expect_close(g, w, what=f"{what}[{i}]")


def is_error_spec(want: Any) -> bool:
    """Whether ``want`` names exception classes (a class or a tuple of them) rather than a value."""
    items = want if isinstance(want, tuple) else (want,)
    return bool(items) and all(isinstance(t, type) and issubclass(t, BaseException) for t in items)
