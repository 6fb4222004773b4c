"""tf.errors: TF1's classes and codes, and the messages graphc's runtime errors carry."""
import pickle

import numpy as np
import pytest

import graphc as tf

TF1_ERRORS = {
    "CancelledError": 1, "UnknownError": 2, "InvalidArgumentError": 3, "DeadlineExceededError": 4,
    "NotFoundError": 5, "AlreadyExistsError": 6, "PermissionDeniedError": 7, "ResourceExhaustedError": 8,
    "FailedPreconditionError": 9, "AbortedError": 10, "OutOfRangeError": 11, "UnimplementedError": 12,
    "InternalError": 13, "UnavailableError": 14, "DataLossError": 15, "UnauthenticatedError": 16,
}
TF1_CODES = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
    "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
    "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}


@pytest.mark.parametrize("name, code", sorted(TF1_ERRORS.items()))
def test_error_classes(name, code):
    cls = getattr(tf.errors, name)
    assert issubclass(cls, tf.errors.OpError)
    assert issubclass(tf.errors.OpError, Exception)
    err = cls(None, None, "what happened")
    assert err.message == "what happened" and str(err) == "what happened"
    assert err.node_def is None and err.op is None
    assert err.error_code == code
    assert tf.errors.exception_type_from_error_code(code) is cls
    assert tf.errors.error_code_from_exception_type(cls) == code
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and again.message == "what happened"


def test_error_codes():
    for name, code in TF1_CODES.items():
        assert getattr(tf.errors, name) == code


def test_op_error_base_can_be_caught():
    v = tf.Variable(1.0)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.OpError) as info:
            sess.run(v)
    assert isinstance(info.value, tf.errors.FailedPreconditionError)
    assert info.value.op is v.op


def test_unfed_placeholder_message():
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    y = tf.multiply(p, 2.0, name="y")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y)
    msg = str(info.value)
    assert "You must feed a value for placeholder tensor 'p'" in msg
    assert "float32" in msg and "[?,3]" in msg
    assert "y:0" in msg  # the fetch that needs it
    assert info.value.op is p.op


def test_unfed_placeholder_of_unknown_shape_and_via_control_dependency():
    p = tf.placeholder(tf.int32, name="q")
    with tf.control_dependencies([p]):
        z = tf.constant(1.0, name="z") * 1.0
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="placeholder tensor 'q' with dtype int32 and "
                                                                 "shape unknown"):
            sess.run(z)
        assert sess.run(z, {p: 3}) == 1.0


def test_wrong_shape_feed_names_both_shapes():
    p = tf.placeholder(tf.float32, [2, 3], name="p")
    with tf.Session() as sess:
        with pytest.raises(ValueError) as info:
            sess.run(p, {p: np.zeros((3, 2))})
    assert "(3, 2)" in str(info.value) and "(2, 3)" in str(info.value) and "p:0" in str(info.value)


def test_uninitialized_variable_message():
    v = tf.Variable([1.0], name="weights")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="Attempting to use uninitialized value weights.*initializer"):
            sess.run(v * 2.0)


def test_runtime_shape_mismatch_names_node_and_shapes():
    q1 = tf.placeholder(tf.float32, [None], name="q1")
    q2 = tf.placeholder(tf.float32, [None], name="q2")
    s = tf.add(q1, q2, name="s12")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(s, {q1: [1, 2], q2: [1, 2, 3]})
    msg = str(info.value)
    assert "s12" in msg and "(2,)" in msg and "(3,)" in msg
    assert info.value.op is s.op
    assert "test_errors.py" in msg  # where the failing node was built


def test_build_time_shape_error_is_value_error():
    a = tf.placeholder(tf.float32, [2, 3])
    b = tf.placeholder(tf.float32, [4, 3])
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 3\)"):
        tf.add(a, b)
