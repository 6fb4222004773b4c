"""The Triton backend keeps a session's variables in device memory: only feeds go up and fetches
come down, new values are written in place where that is safe, and arrays already on the device
are fed without a host round trip.

No GPU here: ``SimulatedDeviceArrays`` stands in for device memory (host memory behind handles
that numpy cannot read, so every crossing goes through the counted ``from_host``/``to_host``),
and ``TorchArrays("cpu")`` runs the torch layer's own code under Triton's interpreter.
"""
import os

os.environ.setdefault("TRITON_INTERPRET", "1")   # conftest sets it too; TRITON_INTERPRET=0 skips this file

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backend_util import require_triton_interpreter, run_compared  # noqa: E402

require_triton_interpreter()

import graphc as tf  # noqa: E402
from graphc.codegen import triton_memory as tm  # noqa: E402
from graphc.runtime import stats  # noqa: E402

RS = np.random.RandomState(7)


@pytest.fixture
def simulated(monkeypatch):
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "simulated")


def transfers() -> dict:
    return dict(tm.TRANSFERS)


def delta(before: dict) -> dict:
    return {k: tm.TRANSFERS[k] - v for k, v in before.items()}


def sgd_model(optimizer):
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    w = tf.Variable(RS.randn(5, 2).astype(np.float32) * 0.3, name="w")
    b = tf.Variable(np.zeros(2, np.float32), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    train = optimizer.minimize(loss)
    return x, y, w, b, loss, train


@pytest.mark.parametrize("optimizer", [lambda: tf.train.GradientDescentOptimizer(0.1),
                                       lambda: tf.train.AdamOptimizer(0.05)], ids=["sgd", "adam"])
def test_training_matches_eager_and_variables_never_leave_the_device(simulated, optimizer):
    RS.seed(7)
    rs = np.random.RandomState(1)
    x, y, w, b, loss, step = sgd_model(optimizer())
    sess = tf.Session(backend="triton")
    sess.run(tf.global_variables_initializer())
    state = sess._state.values
    assert state and all(isinstance(v, tm.DeviceBuffer) for v in state.values())
    losses = []
    for i in range(4):
        xv, yv = rs.randn(6, 5).astype(np.float32), rs.randn(6, 2).astype(np.float32)
        before = transfers()
        losses.append(sess.run([loss, step], {x: xv, y: yv})[0])
        moved = delta(before)
        if i == 0:
            continue        # the first run builds the executable, which uploads its constants once
        # two feeds up, one loss down: no variable (weights, Adam slots, beta powers) crosses
        assert moved["uploads"] == 2 and moved["upload_bytes"] == xv.nbytes + yv.nbytes, (i, moved)
        assert moved["downloads"] == 1 and moved["download_bytes"] == 4, (i, moved)
        assert all(isinstance(v, tm.DeviceBuffer) for v in state.values())
        if i == 1:
            arrays = dict(state)
        elif i > 1:      # every variable (weights, slots, beta powers) is updated in its own array
            assert all(state[var] is arrays[var] for var in arrays)
    # the same steps in lockstep with the eager reference: losses and every variable within bound
    want, got = tf.Session(backend="eager"), tf.Session(backend="triton")
    run_compared(want, got, [tf.global_variables_initializer()], None, "init")
    rs = np.random.RandomState(1)
    for i in range(4):
        xv, yv = rs.randn(6, 5).astype(np.float32), rs.randn(6, 2).astype(np.float32)
        loss_value = run_compared(want, got, [loss, step], {x: xv, y: yv}, f"step {i}")[0]
        assert loss_value == losses[i]            # deterministic: the measured run gave the same bits


def test_updates_are_written_in_place_once_the_shapes_have_run(simulated):
    v = tf.Variable(np.arange(6, dtype=np.float32))
    g = tf.placeholder(tf.float32, [6])
    step = tf.assign_sub(v, 0.5 * g)
    sess = tf.Session(backend="triton")
    sess.run(v.initializer)
    exe = sess.compile(step.op, {g: np.ones(6, np.float32)})
    assert exe.inplace_variables == [v.op.name]
    first = sess._state.values[v.op]
    sess.run(step.op, {g: np.ones(6, np.float32)})
    second = sess._state.values[v.op]
    assert second is not first            # the first run of these shapes writes a fresh array
    before = transfers()
    sess.run(step.op, {g: np.ones(6, np.float32)})
    assert sess._state.values[v.op] is second    # then the variable's own array is updated in place
    assert delta(before)["device_copies"] == 0
    np.testing.assert_array_equal(sess.run(v), np.arange(6, dtype=np.float32) - 1.0)


def test_a_kernel_that_can_fail_on_data_turns_in_place_off_and_a_failed_run_changes_nothing():
    v = tf.Variable(np.arange(4, dtype=np.float32))
    idx = tf.placeholder(tf.int32, [2])
    new = tf.assign_add(v, tf.ones([4]))
    picked = tf.gather(new * 2.0, idx)           # an opaque numpy step after the update: may fail on data
    sess = tf.Session(backend="triton")
    sess.run(v.initializer)
    exe = sess.compile(picked, {idx: np.array([0, 1], np.int32)})
    assert exe.inplace_variables == [] and "could fail (on data" in exe.inplace_note
    sess.run(picked, {idx: np.array([0, 1], np.int32)})
    kept = sess.run(v).copy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(picked, {idx: np.array([0, 9], np.int32)})
    np.testing.assert_array_equal(sess.run(v), kept)


def test_shapes_known_only_at_run_time_turn_in_place_off(simulated):
    """A fed value sets a shape after the update (tf.range(n)): the same executable can fail there
    on a later run, so the update must not be written in place."""
    v = tf.Variable(np.zeros(4, np.float32))
    n = tf.placeholder(tf.int32, [])
    z = tf.cast(tf.range(n), tf.float32) * tf.reduce_sum(tf.assign_add(v, tf.ones([4]))) + tf.ones([4])
    sess = tf.Session(backend="triton")
    sess.run(v.initializer)
    assert sess.compile(z, {n: 4}).inplace_variables == []
    for _ in range(2):
        sess.run(z, {n: 4})
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not fit the iteration space"):
        sess.run(z, {n: 3})
    np.testing.assert_array_equal(sess.run(v), [2.0] * 4)


def _layers() -> list:
    torch_ok = __import__("importlib").util.find_spec("torch") is not None
    return ["host", "simulated"] + (["torch"] if torch_ok else [])


@pytest.mark.parametrize("layer", _layers())
def test_a_variable_never_shares_memory_with_a_feed_or_a_fetch(monkeypatch, layer):
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", layer)
    v = tf.Variable(np.zeros(3, np.float32))
    step = tf.assign_add(v, tf.ones([3]))
    sess = tf.Session(backend="triton")
    mine = np.array([1.0, 2.0, 3.0], np.float32)
    v.load(mine, sess)
    fetched = sess.run(v)
    for _ in range(3):                           # in place from the second run on
        sess.run(step.op)
    np.testing.assert_array_equal(mine, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(fetched, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(sess.run(v), [4.0, 5.0, 6.0])


def test_arrays_on_the_device_are_fed_without_an_upload(simulated):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.reduce_sum(x * 2.0, axis=1)
    sess = tf.Session(backend="triton")
    host = np.arange(6, dtype=np.float64).reshape(2, 3)
    resident = sess._device.from_host(host)      # float64 on the device: cast there, not on the host
    sess.run(y, {x: host})                       # builds the executable (its constant goes up once)
    before = transfers()
    np.testing.assert_allclose(sess.run(y, {x: resident}), [6.0, 24.0])
    assert delta(before)["uploads"] == 0 and delta(before)["downloads"] == 1
    with pytest.raises(ValueError, match="Cannot feed value of shape \\(3,\\) for Tensor 'x:0'"):
        sess.run(y, {x: sess._device.from_host(np.zeros(3, np.float32))})


class DLPackOnly:
    """An array known to graphc only through the DLPack protocol (as a CuPy or JAX array is)."""

    def __init__(self, tensor) -> None:
        self.tensor = tensor

    def __dlpack__(self, *args, **kwargs):
        return self.tensor.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.tensor.__dlpack_device__()


def test_torch_and_dlpack_feeds_stay_on_their_device(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "torch")   # torch CPU tensors stand in for CUDA ones
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.Variable(np.eye(4, dtype=np.float32) * 2.0)
    y = tf.nn.relu(tf.matmul(x, w) - 1.0)
    sess = tf.Session(backend="triton")
    sess.run(w.initializer)
    data = torch.arange(8, dtype=torch.float32).reshape(2, 4)
    want = np.maximum(data.numpy() * 2.0 - 1.0, 0.0)
    sess.run(y, {x: data.numpy()})               # builds the executable (its constants go up once)
    for fed in (data, DLPackOnly(data), data.double()):
        before = transfers()
        got = sess.run(y, {x: fed})
        assert isinstance(got, np.ndarray) and got.dtype == np.float32
        np.testing.assert_allclose(got, want)
        assert delta(before)["uploads"] == 0, type(fed)
    assert isinstance(sess._state.values[w.op], torch.Tensor)
    np.testing.assert_array_equal(data.numpy(), np.arange(8, dtype=np.float32).reshape(2, 4))


def test_closing_a_session_frees_its_device_arrays(simulated):
    v = tf.Variable(np.ones(4, np.float32))
    sess = tf.Session(backend="triton")
    sess.run(v.initializer)
    assert sess._state.values
    sess.close()
    assert not sess._state.values
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(v)


def test_stats_report_device_transfers(simulated):
    x = tf.placeholder(tf.float32, [4])
    y = x + 1.0
    sess = tf.Session(backend="triton")
    sess.run(y, {x: np.zeros(4, np.float32)})
    before = stats()
    sess.run(y, {x: np.zeros(4, np.float32)})
    after = stats()
    assert after["device_uploads"] - before["device_uploads"] == 1
    assert after["device_download_bytes"] - before["device_download_bytes"] == 16


def test_unknown_array_layer_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "cupy")
    with pytest.raises(ValueError, match="GRAPHC_TRITON_ARRAYS='cupy' is not one of host, simulated, torch"):
        tf.Session(backend="triton")


def test_a_callable_can_leave_its_fetches_on_the_device(simulated):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    v = tf.Variable(np.ones(3, np.float32))
    y = tf.nn.softmax(x * v)
    sess = tf.Session(backend="triton")
    sess.run(v.initializer)
    assert isinstance(sess.device, tm.SimulatedDeviceArrays)
    run = sess.make_callable([y, v], [x], device_fetches=True)
    resident = sess.device.from_host(np.arange(6, dtype=np.float32).reshape(2, 3))
    run(resident)
    before = transfers()
    got_y, got_v = run(resident)
    assert delta(before)["uploads"] == 0 and delta(before)["downloads"] == 0
    assert isinstance(got_y, tm.DeviceBuffer) and isinstance(got_v, tm.DeviceBuffer)
    assert got_v is not sess._state.values[v.op]          # the caller gets its own copy of a variable
    want = sess.run(y, {x: np.arange(6, dtype=np.float32).reshape(2, 3)})
    np.testing.assert_allclose(sess.device.to_host(got_y), want, rtol=1e-6)
    assert tf.Session(backend="eager").device is None


def test_transposes_slices_and_tiles_run_on_the_device(simulated):
    x = tf.placeholder(tf.float32, [4, 6], name="x")
    t = tf.transpose(x)
    y = [t * 2.0, x[1:, ::2] + 1.0, tf.tile(x[:2], [2, 1]) - 1.0]
    grad = tf.gradients(tf.reduce_sum(tf.square(x[::2, 1:4])), x)[0]     # StridedSliceGrad
    sess = tf.Session(backend="triton")
    xv = np.arange(24, dtype=np.float32).reshape(4, 6)
    exe = sess.compile(y + [grad], {x: xv})
    assert exe.numpy_kernels == []
    sess.run(y + [grad], {x: xv})
    before = transfers()
    got = sess.run(y + [grad], {x: xv})
    assert delta(before)["uploads"] == 1 and delta(before)["downloads"] == 4   # the feed up, fetches down
    want = tf.Session(backend="eager").run(y + [grad], {x: xv})
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_a_feed_read_only_on_the_host_is_never_uploaded(simulated):
    labels = tf.placeholder(tf.int32, [None], name="labels")
    logits = tf.placeholder(tf.float32, [None, 3], name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    sess = tf.Session(backend="triton")
    feed = {labels: np.array([0, 2], np.int32), logits: np.ones((2, 3), np.float32)}
    exe = sess.compile(loss, feed)
    assert any("SparseLabelsOneHot" in types for _, types, _ in exe.numpy_kernels)
    sess.run(loss, feed)
    before = transfers()
    np.testing.assert_allclose(sess.run(loss, feed), np.log(3.0), rtol=1e-6)
    moved = delta(before)
    # logits go up; the labels feed the host step as they are (no upload, no download); the
    # step's one-hot goes up; the loss comes down
    assert moved["uploads"] == 2 and moved["upload_bytes"] == 24 + 24, moved
    assert moved["downloads"] == 1, moved
