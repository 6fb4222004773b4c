"""``tf.flags`` / ``tf.app.flags``: command-line flags with absl's semantics (absl-py, as TF1 uses).

The ``DEFINE_*`` functions are absl's, also accepting TF1's older keyword names
(``flag_name``, ``default_value``, ``docstring``). ``FLAGS`` is absl's global ``FlagValues`` seen
through TF1's wrapper: reading a flag before anything parsed the command line parses ``sys.argv``
first, so scripts that never call ``tf.app.run`` still see their flags.
"""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable

from absl import flags as _absl
from absl.flags import (  # noqa: F401  (re-exported: tf.flags is absl.flags plus the wrappers below)
    CantOpenFlagFileError, DuplicateFlagError, Error, Flag, FlagValues, IllegalFlagValueError,
    UnparsedFlagAccessError, UnrecognizedFlagError, ValidationError, declare_key_flag, mark_flag_as_required,
    mark_flags_as_mutual_exclusive, mark_flags_as_required, multi_flags_validator, register_multi_flags_validator,
    register_validator, validator)

_RENAMED = {"flag_name": "name", "default_value": "default", "docstring": "help"}

# absl credits a flag to the module that called DEFINE_*; this wrapper must not be that module, or
# --help would list no flags of the program's own
_absl.disclaim_key_flags()


def _accept_tf1_names(define: Callable) -> Callable:
    """``define`` also taking TF1's keyword names for (name, default, help)."""
    @functools.wraps(define)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for old, new in _RENAMED.items():
            if old in kwargs:
                kwargs[new] = kwargs.pop(old)
        if kwargs.get("flag_values") is FLAGS:
            kwargs["flag_values"] = _absl.FLAGS
        return define(*args, **kwargs)
    return wrapper


DEFINE = _accept_tf1_names(_absl.DEFINE)
DEFINE_flag = _accept_tf1_names(_absl.DEFINE_flag)
DEFINE_string = _accept_tf1_names(_absl.DEFINE_string)
DEFINE_integer = _accept_tf1_names(_absl.DEFINE_integer)
DEFINE_float = _accept_tf1_names(_absl.DEFINE_float)
DEFINE_boolean = _accept_tf1_names(_absl.DEFINE_boolean)
DEFINE_bool = DEFINE_boolean
DEFINE_list = _accept_tf1_names(_absl.DEFINE_list)
DEFINE_spaceseplist = _accept_tf1_names(_absl.DEFINE_spaceseplist)
DEFINE_enum = _accept_tf1_names(_absl.DEFINE_enum)
DEFINE_multi_string = _accept_tf1_names(_absl.DEFINE_multi_string)
DEFINE_multi_integer = _accept_tf1_names(_absl.DEFINE_multi_integer)
DEFINE_multi_float = _accept_tf1_names(_absl.DEFINE_multi_float)
DEFINE_multi_enum = _accept_tf1_names(_absl.DEFINE_multi_enum)
DEFINE_alias = _accept_tf1_names(_absl.DEFINE_alias)


class _ParsingFlagValues:
    """absl's ``FlagValues`` that parses ``sys.argv`` when a flag is read before any parse (TF1's FLAGS)."""

    def __init__(self, wrapped: FlagValues) -> None:
        self.__dict__["_wrapped"] = wrapped

    def __getattr__(self, name: str) -> Any:
        wrapped = self.__dict__["_wrapped"]
        try:      # FlagValues' own methods and state: no parse (FLAGS.is_parsed() must not parse)
            return object.__getattribute__(wrapped, name)
        except AttributeError:
            pass
        if not wrapped.is_parsed():
            wrapped(sys.argv)
        return getattr(wrapped, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__dict__["_wrapped"], name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.__dict__["_wrapped"], name)

    def __dir__(self) -> list:
        return dir(self.__dict__["_wrapped"])

    def __getitem__(self, name: str) -> Flag:
        return self.__dict__["_wrapped"][name]

    def __setitem__(self, name: str, flag: Flag) -> None:
        self.__dict__["_wrapped"][name] = flag

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__["_wrapped"]

    def __len__(self) -> int:
        return len(self.__dict__["_wrapped"])

    def __iter__(self) -> Any:
        return iter(self.__dict__["_wrapped"])

    def __str__(self) -> str:
        return str(self.__dict__["_wrapped"])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["_wrapped"](*args, **kwargs)


FLAGS = _ParsingFlagValues(_absl.FLAGS)
