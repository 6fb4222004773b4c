"""Peer frameworks for ``graphc bench --compare-peers``: the bench workloads in numexpr, JAX, PyTorch
(eager and ``torch.compile``) and TensorFlow 1 (``tensorflow.compat.v1`` graph + Session).

The inputs and the timed step every peer shares are in ``benchmarks/peer_common.py``; the JAX
peers in ``benchmarks/peer_jax.py``, the PyTorch peers in ``benchmarks/peer_torch.py``. Every peer is optional: its package is imported only when that peer runs, and a peer whose
package does not import is simply left out of ``available_peers()``.

Inputs are the graphc workload's own: ``workload_inputs`` builds the graphc graph of
``benchmarks/workloads.py`` for the size preset and reads its fed values and the initial values
of its trainable variables, so sizes and ``RandomState(0)`` data are identical by construction.
The TF1 peer goes one step further and runs the workload's builder itself with ``tf`` bound to
``tensorflow.compat.v1`` (graphc programs are TF1 programs).

What one timed call does, per peer (steady state, timed by ``harness.time_runs`` like graphc):

* numexpr: ``numexpr.evaluate`` over numpy arrays; small per-row vectors (row max/sum/mean) go
  through numpy. Only the elementwise/reduction workloads and the Adam update (in place, ``out=``).
* jax: one ``jax.jit`` function on arrays already on the CPU device, then ``block_until_ready``;
  training steps are jitted pure update functions whose state buffers are donated (the LSTM step
  a ``lax.scan`` over time, the unrolled RNN a Python loop traced into one program).
* torch / torch.compile: the same functions, plain or wrapped in ``torch.compile``, on tensors
  that share the numpy inputs (on a CUDA GPU when torch sees one: inputs copied there once,
  each timed call ends with ``torch.cuda.synchronize``); ``torch.no_grad`` where no gradient is needed; training steps take
  gradients with ``torch.autograd.grad`` and update in place (recurrent steps: a Python loop over
  time, which ``torch.compile`` unrolls). Library ops are used where torch has one for the same
  math (tanh-GELU, softmax, layer norm, cross-entropy, conv2d and max pooling).
* tf1: ``Session.make_callable`` with the feeds as numpy arrays / Python numbers, like the harness.

Threads: torch, numexpr and TF1 use ``PEER_THREADS``; JAX uses XLA's default (all cores).

Checked values follow the graphc workload's ``check`` (default: its fetches) of the first run:
the loss / ``y`` before the update for the training steps; for Adam, ``p`` after the step (what
TensorFlow returns for the workload's ``check=p`` fetched with the update).
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import pickle
import subprocess
import sys
import tempfile
import time
from typing import Any, Optional

import numpy as np

from benchmarks import harness, workloads
from benchmarks.peer_common import (ADAM_B1, ADAM_B2, ADAM_EPS, ADAM_LR, GELU_C, GELU_K, LAYER_NORM_EPS,  # noqa: F401
                                    LECTURE_LR, MLP_LR, MLP_PARAMS, PEER_THREADS, Step, WorkloadInputs,
                                    base_name, stateless, workload_inputs, workload_named)
from benchmarks.peer_jax import (_jax_adam, _jax_cnn_step, _jax_gelu, _jax_layer_norm, _jax_lecture_add,
                                 _jax_lecture_train, _jax_lstm, _jax_mlp_sgd, _jax_rnn_unrolled, _jax_softmax,
                                 _jax_sum_sq)
from benchmarks.peer_torch import (_torch_adam, _torch_cnn_step, _torch_gelu, _torch_layer_norm,
                                   _torch_lecture_add, _torch_lecture_train, _torch_lstm, _torch_mlp_sgd,
                                   _torch_rnn_unrolled, _torch_softmax, _torch_sum_sq)
from graphc import switches

PEERS = ("numexpr", "jax", "torch", "torch.compile", "tf1")

# The module each peer needs (the tf1 peer needs TensorFlow's compat.v1 API).
_PEER_MODULES = {"numexpr": "numexpr", "jax": "jax", "torch": "torch", "torch.compile": "torch",
                 "tf1": "tensorflow"}

class PeerUnavailable(ImportError):
    """The peer's package does not import here."""


@dataclasses.dataclass
class PeerResult:
    peer: str
    workload: str
    size: str
    first_run_s: float              # the first call, including tracing/compiling
    steady: harness.Timing          # median, p10, p90 and reps of later calls
    values: list                    # the first run's checked values as numpy arrays, laid out like graphc's
    state: dict                     # stateful workloads: trainable variables after the first run
    rtol: float                     # the workload's tolerances for comparing with graphc
    atol: float

    @property
    def median(self) -> float:
        return self.steady.median

    @property
    def p10(self) -> float:
        return self.steady.p10

    @property
    def p90(self) -> float:
        return self.steady.p90

    def compare(self, reference: list) -> tuple:
        """(match, max abs error) of ``values`` against graphc's eager values of the same workload."""
        return compare_values(self.values, reference, self.rtol, self.atol)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        del d["values"], d["state"]
        return d




def _import_failure(module: str) -> Optional[str]:
    if module == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no C++ info logs in the bench output
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")   # tf.nn.rnn_cell / tf.layers need tf-keras (TF >= 2.16)
    try:
        importlib.import_module(module)
    except Exception as e:  # noqa: BLE001 - any failure to import (missing, broken install) means unavailable
        return f"{type(e).__name__}: {e}"
    return None


def peer_python(peer: str) -> Optional[str]:
    """The interpreter that runs ``peer`` (None: this one). TF1 runs in the Python that
    GRAPHC_TENSORFLOW_PYTHON names when TensorFlow does not import in this one."""
    if peer == "tf1" and _import_failure("tensorflow") is not None:
        return switches.TENSORFLOW_PYTHON.get() or None
    return None


def unavailable_peers() -> dict:
    """Peers whose package does not import here (or in their ``peer_python``), with the reason."""
    reasons = {}
    for peer in PEERS:
        failure = _import_failure(_PEER_MODULES[peer])
        python = peer_python(peer) if failure is not None else None
        if python is not None:
            check = subprocess.run([python, "-c", f"import {_PEER_MODULES[peer]}"], capture_output=True, text=True)
            failure = None if check.returncode == 0 else f"{python}: {check.stderr.strip()[-300:]}"
        if failure is not None:
            reasons[peer] = failure
    return reasons


def available_peers() -> list:
    """Peers whose packages import here, in ``PEERS`` order."""
    missing = unavailable_peers()
    return [p for p in PEERS if p not in missing]


def implemented_workloads(peer: str) -> list:
    """Names of the workloads ``peer`` has an implementation of, in bench order."""
    _check_peer_name(peer)
    return [w.name for w in workloads.WORKLOADS if (peer, w.name) in _IMPLEMENTATIONS]


def time_peer(peer: str, workload_name: str, size: str, min_time: float = 0.25) -> Optional[PeerResult]:
    """Runs ``workload_name`` at ``size`` on ``peer`` and times it; None when the peer has no
    implementation of that workload. Raises PeerUnavailable when the peer's package does not import."""
    _check_peer_name(peer)
    workload = workload_named(workload_name)
    if size not in workloads.SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(workloads.SIZES)}")
    factory = _IMPLEMENTATIONS.get((peer, workload_name))
    if factory is None:
        return None
    failure = _import_failure(_PEER_MODULES[peer])
    if failure is not None:
        raise PeerUnavailable(f"peer {peer!r} needs the {_PEER_MODULES[peer]!r} package, which does not "
                              f"import here ({failure}); install it or leave {peer!r} out")
    step = factory(workload, size)
    t0 = time.perf_counter()
    values = step.first_run()
    first_run = time.perf_counter() - t0
    state = step.state()
    steady = harness.time_runs(step.run, min_time=min_time)
    return PeerResult(peer, workload_name, size, first_run, steady, values, state, step.rtol, step.atol)


def time_peer_isolated(peer: str, workload_names: list, size: str, min_time: float = 0.25,
                       python: Optional[str] = None) -> dict:
    """``time_peer`` for each workload, run in a fresh Python process (``python``, default
    ``peer_python(peer)`` or this one):
    {workload name: PeerResult, None (no implementation) or PeerError (it raised there)}. Thread pools of one framework left spinning in a process
    (Numba's, XLA's, OpenMP's) slowed the next framework's runs there up to 15x on a 2-core machine;
    a process per peer keeps graphc's and every peer's numbers clean. Raises PeerUnavailable when
    the peer's package does not import in that process."""
    _check_peer_name(peer)
    for name in workload_names:
        workload_named(name)
    if size not in workloads.SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(workloads.SIZES)}")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    with tempfile.TemporaryDirectory(prefix="graphc-peer-") as tmp:
        out = os.path.join(tmp, "results.pickle")
        cmd = [python or peer_python(peer) or sys.executable, "-m", "benchmarks.peers", peer, size, repr(min_time), out, *workload_names]
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"peer {peer!r} failed in its own process (exit code {proc.returncode}); "
                               f"its last output:\n{proc.stderr[-3000:]}")
        with open(out, "rb") as f:
            outcome = pickle.load(f)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@dataclasses.dataclass
class PeerError:
    """A workload that raised in its peer's process: the other workloads of that process still run."""
    workload: str
    message: str                    # "ExceptionClass: message"


def _subprocess_main(argv: list) -> int:
    """``python -m benchmarks.peers PEER SIZE MIN_TIME OUT WORKLOAD...``: pickles to OUT the
    {workload: PeerResult, None, or PeerError when it raised} of ``time_peer``, or the
    PeerUnavailable it raised."""
    peer, size, min_time, out, *names = argv
    outcome: Any = {}
    try:
        for name in names:
            try:
                outcome[name] = time_peer(peer, name, size, float(min_time))
            except PeerUnavailable:
                raise
            except Exception as e:  # noqa: BLE001 - any failure of one workload is reported in its row
                outcome[name] = PeerError(name, f"{type(e).__name__}: {e}")
    except PeerUnavailable as e:
        outcome = e
    with open(out, "wb") as f:
        pickle.dump(outcome, f)
    return 0


def compare_values(values: list, reference: list, rtol: float, atol: float) -> tuple:
    """(match, max abs error) of two lists of arrays: shapes and dtypes must agree, values within
    ``np.allclose(rtol, atol)``."""
    if len(values) != len(reference):
        return False, float("inf")
    match, err = True, 0.0
    for got, want in zip(values, reference):
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape or got.dtype != want.dtype:
            return False, float("inf")
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        err = max(err, float(diff.max()) if diff.size else 0.0)
        match = match and bool(np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True))
    return match, err


def _check_peer_name(peer: str) -> None:
    if peer not in PEERS:
        raise ValueError(f"unknown peer {peer!r}; choose one of {', '.join(PEERS)}")


# ---------------------------------------------------------------------------------------------
# numexpr
# ---------------------------------------------------------------------------------------------

def _numexpr():
    import numexpr

    numexpr.set_num_threads(PEER_THREADS)
    return numexpr


_F32 = np.float32


def _numexpr_gelu(workload, size) -> Step:
    ne, inp = _numexpr(), workload_inputs(workload.name, size)
    # float32 constants: numexpr evaluates Python float literals in float64
    env = {"x": inp.feeds["x"], "half": _F32(0.5), "one": _F32(1), "c": _F32(GELU_C), "k": _F32(GELU_K)}
    return stateless(lambda: ne.evaluate("half*x*(one+tanh(c*(x+k*x*x*x)))", local_dict=env), np.asarray, inp)


def _numexpr_softmax(workload, size) -> Step:
    ne, inp = _numexpr(), workload_inputs(workload.name, size)
    x = inp.feeds["x"]

    def softmax():
        row_max = ne.evaluate("max(x, axis=1)", local_dict={"x": x})[:, None]
        e = ne.evaluate("exp(x - m)", local_dict={"x": x, "m": row_max})
        total = ne.evaluate("sum(e, axis=1)", local_dict={"e": e})[:, None]
        return ne.evaluate("e / s", local_dict={"e": e, "s": total})

    return stateless(softmax, np.asarray, inp)


def _numexpr_layer_norm(workload, size) -> Step:
    ne, inp = _numexpr(), workload_inputs(workload.name, size)
    x = inp.feeds["x"]
    cols = x.shape[1]
    gamma = np.linspace(0.5, 1.5, cols, dtype=np.float32)
    beta = np.linspace(-0.1, 0.1, cols, dtype=np.float32)
    inv_cols = _F32(1.0 / cols)

    def layer_norm():
        mean = ne.evaluate("sum(x, axis=1)", local_dict={"x": x})[:, None] * inv_cols
        d = ne.evaluate("x - mean", local_dict={"x": x, "mean": mean})
        var = ne.evaluate("sum(d*d, axis=1)", local_dict={"d": d})[:, None] * inv_cols
        inv_std = (var + _F32(LAYER_NORM_EPS)) ** _F32(-0.5)
        return ne.evaluate("d * r * gamma + beta", local_dict={"d": d, "r": inv_std, "gamma": gamma, "beta": beta})

    return stateless(layer_norm, np.asarray, inp)


def _numexpr_sum_sq(workload, size) -> Step:
    ne, inp = _numexpr(), workload_inputs(workload.name, size)
    # numexpr sums float32 one element after the other in float32: 3% off for 2^24 squares of
    # randn. Multiplying by a float64 one makes it accumulate in float64 (blockwise, no extra pass).
    env = {"x": inp.feeds["x"], "one": np.float64(1.0)}
    return stateless(lambda: ne.evaluate("sum(x*x*one)", local_dict=env).astype(np.float32), np.asarray, inp)


def _numexpr_adam(workload, size) -> Step:
    ne, inp = _numexpr(), workload_inputs(workload.name, size)
    p, g = inp.variables["p"].copy(), inp.feeds["g"]
    m, v = np.zeros_like(p), np.zeros_like(p)
    powers = {"b1": _F32(ADAM_B1), "b2": _F32(ADAM_B2)}
    consts = {"c1": _F32(1 - ADAM_B1), "c2": _F32(1 - ADAM_B2), "eps": _F32(ADAM_EPS)}

    def adam():
        lr_t = _F32(ADAM_LR) * np.sqrt(_F32(1) - powers["b2"]) / (_F32(1) - powers["b1"])
        ne.evaluate("m + (g - m) * c1", local_dict={"m": m, "g": g, **consts}, out=m)
        ne.evaluate("v + (g*g - v) * c2", local_dict={"v": v, "g": g, **consts}, out=v)
        ne.evaluate("p - m * lr_t / (sqrt(v) + eps)", local_dict={"p": p, "m": m, "v": v, "lr_t": lr_t, **consts},
                    out=p)
        powers["b1"] *= _F32(ADAM_B1)
        powers["b2"] *= _F32(ADAM_B2)

    def first_run():
        adam()
        return [p.copy()]

    return Step(first_run, adam, lambda: {"p": p.copy()}, inp.rtol, inp.atol)


# ---------------------------------------------------------------------------------------------
# TensorFlow 1 (tensorflow.compat.v1): the workload's own builder, run by TensorFlow
# ---------------------------------------------------------------------------------------------

def _tf1():
    import tensorflow.compat.v1 as tf1

    tf1.disable_v2_behavior()
    return tf1


def build_with(tf_module: Any, workload: workloads.Workload, size: str) -> workloads.Built:
    """Calls ``workload.build(size)`` with its module's ``tf`` bound to ``tf_module`` (e.g.
    ``tensorflow.compat.v1``) for the call: graphc's workloads are TF1 programs, so TF1 runs the very
    same code, helpers the builder calls (such as the data workloads' model) included."""
    module = sys.modules[workload.build.__module__]
    saved = module.tf
    module.tf = tf_module
    try:
        return workload.build(size)
    finally:
        module.tf = saved


def _tf1_workload(workload, size) -> Step:
    tf1 = _tf1()
    graph = tf1.Graph()
    with graph.as_default():
        built = build_with(tf1, workload, size)
        check = built.check if built.check is not None else built.fetches
        variables = tf1.trainable_variables()
        init = tf1.global_variables_initializer() if tf1.global_variables() else None
    config = tf1.ConfigProto(intra_op_parallelism_threads=PEER_THREADS, inter_op_parallelism_threads=PEER_THREADS)
    sess = tf1.Session(graph=graph, config=config)
    if init is not None:
        sess.run(init)
        # graphc's initial values (its random initializers draw other numbers than TensorFlow's)
        initial = workload_inputs(workload.name, size).variables
        for v in variables:
            if base_name(v.name) in initial:
                v.load(initial[base_name(v.name)], sess)
    call = sess.make_callable(built.fetches, list(built.feed_dict))
    args = list(built.feed_dict.values())

    def first_run():
        return harness._values(sess.run([built.fetches, check], built.feed_dict)[1])

    def state():
        return {base_name(v.name): np.array(x) for v, x in zip(variables, sess.run(variables))}

    return Step(first_run, lambda: call(*args), state, built.rtol, built.atol)


def _implementations() -> dict:
    table: dict = {}
    for name, fn in [("gelu", _numexpr_gelu), ("softmax", _numexpr_softmax), ("layer_norm", _numexpr_layer_norm),
                     ("sum_sq", _numexpr_sum_sq), ("adam", _numexpr_adam)]:
        table["numexpr", name] = fn
    for name, fn in [("gelu", _jax_gelu), ("softmax", _jax_softmax), ("layer_norm", _jax_layer_norm),
                     ("sum_sq", _jax_sum_sq), ("mlp_sgd", _jax_mlp_sgd), ("adam", _jax_adam),
                     ("lecture_add", _jax_lecture_add), ("lecture_train", _jax_lecture_train),
                     ("lstm", _jax_lstm), ("cnn_step", _jax_cnn_step), ("rnn_unrolled", _jax_rnn_unrolled)]:
        table["jax", name] = fn
    for name, fn in [("gelu", _torch_gelu), ("softmax", _torch_softmax), ("layer_norm", _torch_layer_norm),
                     ("sum_sq", _torch_sum_sq), ("mlp_sgd", _torch_mlp_sgd), ("adam", _torch_adam),
                     ("lecture_add", _torch_lecture_add), ("lecture_train", _torch_lecture_train),
                     ("lstm", _torch_lstm), ("cnn_step", _torch_cnn_step), ("rnn_unrolled", _torch_rnn_unrolled)]:
        table["torch", name] = lambda w, s, fn=fn: fn(w, s, compiled=False)
        table["torch.compile", name] = lambda w, s, fn=fn: fn(w, s, compiled=True)
    for w in workloads.WORKLOADS:
        table["tf1", w.name] = _tf1_workload
    return table


# (peer, workload name) -> factory(workload, size) -> Step
_IMPLEMENTATIONS = _implementations()


if __name__ == "__main__":
    # Run through the importable module, so pickled results are benchmarks.peers classes.
    from benchmarks import peers as _peers

    sys.exit(_peers._subprocess_main(sys.argv[1:]))
