"""benchmarks/peers.py: every available peer runs every workload it implements at the ``small``
size on the workload's own inputs and gives the numpy reference's numbers; missing packages
make a peer unavailable instead of failing."""
import sys

import numpy as np
import pytest

from benchmarks import peers, workloads

PEER_MODULES = {"numexpr": "numexpr", "jax": "jax", "torch": "torch", "torch.compile": "torch", "tf1": "tensorflow"}


def _rng():
    return np.random.RandomState(0)


# ---- numpy references at the "small" size, with inputs drawn as benchmarks/workloads.py draws them

def _gelu():
    x = _rng().randn(1 << 16).astype(np.float32).astype(np.float64)
    return [0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))], {}


def _softmax():
    x = _rng().randn(256, 128).astype(np.float32).astype(np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return [e / e.sum(axis=1, keepdims=True)], {}


def _layer_norm():
    x = _rng().randn(256, 128).astype(np.float32).astype(np.float64)
    gamma, beta = np.linspace(0.5, 1.5, 128), np.linspace(-0.1, 0.1, 128)
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    return [(x - mean) / np.sqrt(var + 1e-5) * gamma + beta], {}


def _sum_sq():
    x = _rng().randn(1 << 18).astype(np.float32).astype(np.float64)
    return [np.array(np.sum(x * x))], {}


def _mlp_sgd():
    rs = _rng()
    sizes = [784, 64, 64, 10]
    weights = [(rs.randn(a, b) * np.sqrt(2.0 / a)).astype(np.float32).astype(np.float64)
               for a, b in zip(sizes, sizes[1:])]
    biases = [np.zeros(b) for b in sizes[1:]]
    x = rs.rand(32, 784).astype(np.float32).astype(np.float64)
    labels = rs.randint(0, 10, 32)
    z0 = x @ weights[0] + biases[0]
    h0 = np.maximum(z0, 0)
    z1 = h0 @ weights[1] + biases[1]
    h1 = np.maximum(z1, 0)
    logits = h1 @ weights[2] + biases[2]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(32), labels]))
    d_logits = (probs - np.eye(10)[labels]) / 32
    d_z1 = (d_logits @ weights[2].T) * (z1 > 0)
    d_z0 = (d_z1 @ weights[1].T) * (z0 > 0)
    grads = {"w2": h1.T @ d_logits, "b2": d_logits.sum(0), "w1": h0.T @ d_z1, "b1": d_z1.sum(0),
             "w0": x.T @ d_z0, "b0": d_z0.sum(0)}
    initial = {"w0": weights[0], "w1": weights[1], "w2": weights[2], "b0": biases[0], "b1": biases[1], "b2": biases[2]}
    return [np.array(loss)], {k: initial[k] - 0.01 * grads[k] for k in initial}


def _adam():
    rs = _rng()
    p = rs.randn(1 << 17).astype(np.float32).astype(np.float64)
    g = rs.randn(1 << 17).astype(np.float32).astype(np.float64)
    lr_t = 1e-3 * np.sqrt(1 - 0.999) / (1 - 0.9)
    m, v = 0.1 * g, 0.001 * g * g
    updated = p - lr_t * m / (np.sqrt(v) + 1e-8)
    return [updated], {"p": updated}


def _lecture_add():
    return [np.array(9.0)], {}


def _lecture_train():
    y = 0.2 * 1.0 + 0.7
    d_y = 2 * (y - 20.0)
    return [np.array(y)], {"w": np.array(0.2 - 0.1 * d_y * 1.0), "b": np.array(0.7 - 0.1 * d_y)}


def _lstm():
    # the first loss, recorded from TF 2.21 compat.v1 (the tf1 peer running the workload's builder
    # with graphc's initial values); the updated LSTM weights are not referenced
    return [np.array(2.3129196)], None


def _cnn_step():
    # the first loss, recorded from TF 2.21 compat.v1 (the tf1 peer, graphc's initial values)
    return [np.array(2.3145995)], None


def _rnn_unrolled():
    # the first loss, recorded from TF 2.21 compat.v1 (the tf1 peer, graphc's initial values)
    return [np.array(0.97680604)], None


REFERENCES = {"lstm": _lstm, "cnn_step": _cnn_step, "rnn_unrolled": _rnn_unrolled, "gelu": _gelu, "softmax": _softmax, "layer_norm": _layer_norm, "sum_sq": _sum_sq,
              "mlp_sgd": _mlp_sgd, "adam": _adam, "lecture_add": _lecture_add, "lecture_train": _lecture_train}
TOLERANCES = {"sum_sq": (1e-4, 0.0), "mlp_sgd": (1e-4, 1e-5), "lstm": (1e-4, 1e-5), "cnn_step": (1e-4, 1e-5),
              "rnn_unrolled": (1e-4, 1e-5)}   # (rtol, atol); default below

PAIRS = [(p, w.name) for p in peers.PEERS for w in workloads.WORKLOADS if (p, w.name) in peers._IMPLEMENTATIONS]


@pytest.mark.parametrize("peer,workload", PAIRS, ids=[f"{p}-{w}" for p, w in PAIRS])
def test_peer_matches_numpy_reference(peer, workload):
    pytest.importorskip(PEER_MODULES[peer])
    result = peers.time_peer(peer, workload, "small", min_time=0.0)
    want_values, want_state = REFERENCES[workload]()
    rtol, atol = TOLERANCES.get(workload, (1e-5, 1e-6))
    assert (result.peer, result.workload, result.size) == (peer, workload, "small")
    assert want_state is None or sorted(result.state) == sorted(want_state)
    assert len(result.values) == len(want_values)
    for got, want in zip(result.values, want_values):
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    for name, want in (want_state or {}).items():
        got = np.asarray(result.state[name])
        assert got.dtype == np.float32 and got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=name)
    assert 0 < result.p10 <= result.median <= result.p90
    assert result.steady.reps >= 5 and result.first_run_s > 0


def _graphc_eager_step(workload: str) -> tuple:
    """graphc's eager first run of ``workload`` at ``small``: (checked values, trainable variables after it)."""
    import graphc

    built_workload = peers.workload_named(workload)
    graph = graphc.Graph()
    with graph.as_default():
        built = built_workload.build("small")
        sess = graphc.Session(graph=graph, backend="eager")
        sess.run(graphc.global_variables_initializer())
        values = sess.run([built.fetches, built.check], built.feed_dict)[1]
        variables = graphc.trainable_variables()
        state = {peers.base_name(v.name): x for v, x in zip(variables, sess.run(variables))}
    return [np.asarray(values)], state


TRAINING_PAIRS = [(p, w) for p, w in PAIRS if w in ("lstm", "cnn_step", "rnn_unrolled") and p != "tf1"]


@pytest.mark.parametrize("peer,workload", TRAINING_PAIRS, ids=[f"{p}-{w}" for p, w in TRAINING_PAIRS])
def test_training_peer_takes_graphc_eagers_step(peer, workload):
    """The first loss equals graphc's eager loss, and the variables after that step graphc's too
    (so the peer's gradients and update are graphc's: SGD, or TF1's Adam for rnn_unrolled)."""
    pytest.importorskip(PEER_MODULES[peer])
    result = peers.time_peer(peer, workload, "small", min_time=0.0)
    want_values, want_state = _graphc_eager_step(workload)
    assert result.compare(want_values)[0], (result.values, want_values)
    assert sorted(result.state) == sorted(want_state)
    for name, want in want_state.items():
        np.testing.assert_allclose(result.state[name], want, rtol=1e-4, atol=1e-5, err_msg=name)


def test_peer_values_compare_with_graphc_eager_values():
    pytest.importorskip("torch")
    from benchmarks import harness

    graphc_workload = peers.workload_named("softmax")
    _, reference = harness.run_workload(graphc_workload, "small", "eager", None, 0.0)
    result = peers.time_peer("torch", "softmax", "small", min_time=0.0)
    match, err = result.compare(reference)
    assert match and err < 1e-6
    shifted = [reference[0] + np.float32(1e-2)]
    assert result.compare(shifted) == (False, pytest.approx(1e-2, rel=1e-3))


def test_peer_inputs_are_the_graphc_workloads_inputs():
    inputs = peers.workload_inputs("mlp_sgd", "small")
    rs = _rng()
    np.testing.assert_array_equal(inputs.variables["w0"], (rs.randn(784, 64) * np.sqrt(2.0 / 784)).astype(np.float32))
    assert sorted(inputs.variables) == sorted(peers.MLP_PARAMS)
    assert sorted(inputs.feeds) == ["labels", "x"] and inputs.feeds["x"].shape == (32, 784)
    assert (inputs.rtol, inputs.atol) == (1e-3, 1e-5)


def test_missing_package_leaves_its_peers_out(monkeypatch):
    monkeypatch.setitem(sys.modules, "numexpr", None)   # `import numexpr` now raises ImportError
    monkeypatch.setitem(sys.modules, "torch", None)
    available = peers.available_peers()
    assert "numexpr" not in available and "torch" not in available and "torch.compile" not in available
    assert set(available) <= set(peers.PEERS)
    reasons = peers.unavailable_peers()
    assert "numexpr" in reasons["numexpr"] and "torch.compile" in reasons
    with pytest.raises(peers.PeerUnavailable, match="numexpr"):
        peers.time_peer("numexpr", "gelu", "small")


def test_installed_packages_make_their_peers_available():
    pytest.importorskip("numexpr")
    assert "numexpr" in peers.available_peers()


def test_peer_without_that_workload_gives_none():
    assert peers.time_peer("numexpr", "mlp_sgd", "small") is None
    assert peers.implemented_workloads("numexpr") == ["gelu", "softmax", "layer_norm", "sum_sq", "adam"]
    assert peers.implemented_workloads("tf1") == [w.name for w in workloads.WORKLOADS]


@pytest.mark.parametrize("args,word", [(("mxnet", "gelu", "small"), "unknown peer"),
                                       (("jax", "conv", "small"), "unknown workload"),
                                       (("jax", "gelu", "huge"), "unknown size")])
def test_bad_names_are_rejected(args, word):
    with pytest.raises(ValueError, match=word):
        peers.time_peer(*args)


def test_compare_values_requires_equal_shapes_and_dtypes():
    a = [np.ones(3, np.float32)]
    assert peers.compare_values(a, [np.ones(3, np.float64)], 1e-5, 0.0) == (False, float("inf"))
    assert peers.compare_values(a, [np.ones(4, np.float32)], 1e-5, 0.0) == (False, float("inf"))
    assert peers.compare_values(a, [], 1e-5, 0.0) == (False, float("inf"))
    assert peers.compare_values(a, [np.ones(3, np.float32)], 1e-5, 0.0) == (True, 0.0)


def test_isolated_run_gives_the_same_results_from_a_fresh_process():
    pytest.importorskip("numexpr")
    results = peers.time_peer_isolated("numexpr", ["gelu", "mlp_sgd"], "small", min_time=0.0)
    assert results["mlp_sgd"] is None
    gelu = results["gelu"]
    assert isinstance(gelu, peers.PeerResult) and gelu.steady.reps >= 5
    np.testing.assert_allclose(gelu.values[0], _gelu()[0][0], rtol=1e-5, atol=1e-6)


def test_isolated_run_reports_a_missing_package_as_unavailable():
    missing = [p for p, m in PEER_MODULES.items() if peers._import_failure(m) is not None]
    if not missing:
        pytest.skip("every peer's package is installed here")
    with pytest.raises(peers.PeerUnavailable, match=missing[0]):
        peers.time_peer_isolated(missing[0], ["gelu"], "small", min_time=0.0)


def test_isolated_run_rejects_bad_names_before_starting_a_process():
    with pytest.raises(ValueError, match="unknown workload"):
        peers.time_peer_isolated("numexpr", ["gelu", "conv"], "small")


def test_a_workload_that_raises_in_the_peer_process_fails_only_its_row(monkeypatch, tmp_path):
    def broken(workload, size):
        raise RuntimeError("no kernel for this")

    monkeypatch.setitem(peers._IMPLEMENTATIONS, ("jax", "gelu"), broken)
    monkeypatch.setattr(peers, "_import_failure", lambda module: None)
    out = tmp_path / "out.pickle"
    assert peers._subprocess_main(["jax", "small", "0.0", str(out), "gelu", "data_feed"]) == 0
    import pickle
    outcome = pickle.loads(out.read_bytes())
    assert outcome == {"gelu": peers.PeerError("gelu", "RuntimeError: no kernel for this"), "data_feed": None}


def test_bench_prints_a_failed_peer_row_and_its_reason(monkeypatch, capsys):
    import argparse

    from graphc import benchcli

    monkeypatch.setattr(peers, "available_peers", lambda: ["jax"])
    monkeypatch.setattr(peers, "unavailable_peers", dict)
    monkeypatch.setattr(peers, "time_peer_isolated",
                        lambda peer, names, size, min_time, python=None: {"gelu": peers.PeerError("gelu", "ValueError: bad")})
    rows = benchcli._compare_peers(argparse.Namespace(size="small", min_time=0.0), [peers.workload_named("gelu")],
                                   {"gelu": []})
    out = capsys.readouterr().out
    assert "failed" in out.splitlines()[2] and "peer jax failed on gelu: ValueError: bad" in out
    assert rows == [{"peer": "jax", "workload": "gelu", "error": "ValueError: bad"}]


def test_build_with_runs_the_workload_builder_against_another_tf_module():
    import graphc

    placeholders, used = [], []

    class RecordingTF:
        """graphc, noting every placeholder the builder makes and every other name it uses through it."""

        def __getattr__(self, name):
            used.append(name)
            return getattr(graphc, name)

        def placeholder(self, dtype, shape=None, name=None):
            placeholders.append(name)
            return graphc.placeholder(dtype, shape, name=name)

    built = peers.build_with(RecordingTF(), peers.workload_named("mlp_sgd"), "small")
    assert placeholders == ["x", "labels"]
    assert sorted(k.name for k in built.feed_dict) == ["labels:0", "x:0"]
    # the helpers a builder calls see the other module too (data_feed's model is built by a helper)
    placeholders.clear()
    used.clear()
    with graphc.Graph().as_default():
        built = peers.build_with(RecordingTF(), peers.workload_named("data_feed"), "small")
        assert placeholders == ["images", "labels"] and len(built.fetches) == 2
    assert {"layers", "train"} <= set(used)   # _data_mlp's tf.layers.dense, tf.train.AdamOptimizer
    assert workloads.tf is graphc   # and afterwards the workloads are graphc's again


def test_rnn_unrolled_workload_matches_eager_on_every_compiled_backend(capsys):
    """The new workload through ``graphc bench``: numba's (and Triton's, interpreted) first loss equals eager's."""
    from graphc import cli
    from graphc.runtime.session import available_backends

    backends = [b for b in ("numba", "triton") if b in available_backends()]
    args = [a for b in backends for a in ("--backend", b)]
    assert cli.main(["bench", "--size", "small", "--min-time", "0.01", "-k", "rnn_unrolled", *args]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("rnn_unrolled")]
    assert [r[1] for r in rows] == backends and all(r[-1] == "ok" for r in rows)


def test_rnn_unrolled_workload_gives_tensorflows_first_loss_and_the_tf1_peer_runs_it():
    from tensorflow_python import tensorflow_python

    values, _ = _graphc_eager_step("rnn_unrolled")
    np.testing.assert_allclose(values[0], _rnn_unrolled()[0][0], rtol=1e-5)   # TF 2.21's loss
    result = peers.time_peer_isolated("tf1", ["rnn_unrolled"], "small", 0.0, python=tensorflow_python())
    assert result["rnn_unrolled"].compare(values)[0]


def test_lstm_workload_gives_tensorflows_first_loss_and_the_tf1_peer_runs_it():
    from benchmarks import harness
    from tensorflow_python import tensorflow_python

    _, values = harness.run_workload(peers.workload_named("lstm"), "small", "eager", None, 0.0)
    np.testing.assert_allclose(values[0], _lstm()[0][0], rtol=1e-5)   # TF 2.21's loss (see _lstm)
    result = peers.time_peer_isolated("tf1", ["lstm"], "small", 0.0, python=tensorflow_python())["lstm"]
    assert result.compare(values)[0]
