"""TF1's error classes. Messages say which node, which shapes, and what to do."""
from __future__ import annotations


class OpError(Exception):
    """Base of the errors raised while running a graph (TF1's ``tf.errors.OpError``)."""

    def __init__(self, node_def=None, op=None, message: str = "") -> None:
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        return self.message


def _make(name: str, doc: str) -> type:
    return type(name, (OpError,), {"__doc__": doc})


CancelledError = _make("CancelledError", "The run was cancelled.")
UnknownError = _make("UnknownError", "An error with no better class.")
InvalidArgumentError = _make("InvalidArgumentError", "An op got a bad argument: a missing feed, a wrong runtime shape.")
DeadlineExceededError = _make("DeadlineExceededError", "A deadline expired.")
NotFoundError = _make("NotFoundError", "A requested entity (file, checkpoint) was not found.")
AlreadyExistsError = _make("AlreadyExistsError", "An entity already exists.")
PermissionDeniedError = _make("PermissionDeniedError", "Permission denied.")
ResourceExhaustedError = _make("ResourceExhaustedError", "Out of memory or another resource.")
FailedPreconditionError = _make("FailedPreconditionError", "The system is not in a state to run the op, e.g. an uninitialized variable.")
AbortedError = _make("AbortedError", "The operation was aborted.")
OutOfRangeError = _make("OutOfRangeError", "An index or iteration went out of range.")
UnimplementedError = _make("UnimplementedError", "The operation is not supported for these arguments.")
InternalError = _make("InternalError", "An invariant of graphc itself broke: please report it.")
UnavailableError = _make("UnavailableError", "A service is unavailable.")
DataLossError = _make("DataLossError", "Data was lost or corrupted.")


def op_context(op) -> str:
    """A one-paragraph description of an op for error messages: name, type, inputs, creation site."""
    ins = ", ".join(f"{t.name} {t.dtype.name}{t.shape}" for t in op.inputs) or "none"
    text = f"node '{op.name}' (op {op.type}) with inputs [{ins}]"
    site = getattr(op, "creation_site", None)
    if site:
        text += f", created at {site}"
    return text
