"""TF1's error classes. Messages say which node, which shapes, and what to do."""
from __future__ import annotations


# TF1's canonical error codes (``tf.errors.INVALID_ARGUMENT`` ...)
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """Base of the errors raised while running a graph (TF1's ``tf.errors.OpError``).

    ``op`` is the graphc Operation that failed (or None), ``message`` the explanation.
    """

    def __init__(self, node_def=None, op=None, message: str = "", error_code: int = UNKNOWN) -> None:
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message
        self.error_code = error_code

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # pickles without the graph (ops hold their whole graph)
        return _rebuild, (type(self), None, None, self.message, self.error_code)


def _rebuild(cls, node_def, op, message, error_code):
    err = cls.__new__(cls)
    OpError.__init__(err, node_def, op, message, error_code)
    return err


_CODE_TO_CLASS: dict = {}


def _make(name: str, code: int, doc: str) -> type:
    """An OpError subclass with TF1's constructor ``(node_def, op, message)`` and fixed code."""
    def __init__(self, node_def=None, op=None, message: str = "", *args) -> None:
        OpError.__init__(self, node_def, op, message, code)

    cls = type(name, (OpError,), {"__doc__": doc, "__init__": __init__, "__module__": __name__})
    _CODE_TO_CLASS[code] = cls
    return cls


CancelledError = _make("CancelledError", CANCELLED, "The run was cancelled.")
UnknownError = _make("UnknownError", UNKNOWN, "An error with no better class.")
InvalidArgumentError = _make("InvalidArgumentError", INVALID_ARGUMENT,
                             "An op got a bad argument: a missing feed, a wrong runtime shape.")
DeadlineExceededError = _make("DeadlineExceededError", DEADLINE_EXCEEDED, "A deadline expired.")
NotFoundError = _make("NotFoundError", NOT_FOUND, "A requested entity (file, checkpoint) was not found.")
AlreadyExistsError = _make("AlreadyExistsError", ALREADY_EXISTS, "An entity already exists.")
PermissionDeniedError = _make("PermissionDeniedError", PERMISSION_DENIED, "Permission denied.")
ResourceExhaustedError = _make("ResourceExhaustedError", RESOURCE_EXHAUSTED, "Out of memory or another resource.")
FailedPreconditionError = _make("FailedPreconditionError", FAILED_PRECONDITION,
                                "The system is not in a state to run the op, e.g. an uninitialized variable.")
AbortedError = _make("AbortedError", ABORTED, "The operation was aborted.")
OutOfRangeError = _make("OutOfRangeError", OUT_OF_RANGE, "An index or iteration went out of range.")
UnimplementedError = _make("UnimplementedError", UNIMPLEMENTED, "The operation is not supported for these arguments.")
InternalError = _make("InternalError", INTERNAL, "An invariant of graphc itself broke: please report it.")
UnavailableError = _make("UnavailableError", UNAVAILABLE, "A service is unavailable.")
DataLossError = _make("DataLossError", DATA_LOSS, "Data was lost or corrupted.")
UnauthenticatedError = _make("UnauthenticatedError", UNAUTHENTICATED, "The request lacks valid credentials.")


def exception_type_from_error_code(error_code: int) -> type:
    """The OpError subclass for a TF1 error code."""
    if error_code not in _CODE_TO_CLASS:
        raise KeyError(f"Unknown error code {error_code}; valid codes are {sorted(_CODE_TO_CLASS)}")
    return _CODE_TO_CLASS[error_code]


def error_code_from_exception_type(cls: type) -> int:
    """The TF1 error code of an OpError subclass."""
    for code, c in _CODE_TO_CLASS.items():
        if c is cls:
            return code
    raise KeyError(f"{cls!r} is not one of the OpError classes of tf.errors")


def op_context(op) -> str:
    """A one-paragraph description of an op for error messages: name, type, inputs, creation site."""
    ins = ", ".join(f"{t.name} {t.dtype.name}{t.shape}" for t in op.inputs) or "none"
    text = f"node '{op.name}' (op {op.type}) with inputs [{ins}]"
    site = getattr(op, "creation_site", None)
    if site:
        text += f", created at {site}"
    return text
