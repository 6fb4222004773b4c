"""The JAX peers of ``benchmarks/peers.py``: each timed call is one ``jax.jit`` function on arrays
already on the CPU device, then ``block_until_ready``; training steps are jitted pure update
functions whose state buffers are donated."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from benchmarks.peer_common import (ADAM_B1, ADAM_B2, ADAM_EPS, ADAM_LR, LAYER_NORM_EPS, LECTURE_LR, MLP_LR,
                                    MLP_PARAMS, Step, WorkloadInputs, stateless, workload_inputs)

def _jaxstateless(fn: Callable, args: tuple, inputs: WorkloadInputs) -> Step:
    import jax

    jitted = jax.jit(fn)
    args = tuple(jax.device_put(a) for a in args)
    return stateless(lambda: jitted(*args).block_until_ready(), np.asarray, inputs)


def _jax_gelu(workload, size) -> Step:
    import jax

    inp = workload_inputs(workload.name, size)
    return _jaxstateless(lambda x: jax.nn.gelu(x, approximate=True), (inp.feeds["x"],), inp)


def _jax_softmax(workload, size) -> Step:
    import jax

    inp = workload_inputs(workload.name, size)
    return _jaxstateless(lambda x: jax.nn.softmax(x, axis=1), (inp.feeds["x"],), inp)


def _jax_layer_norm(workload, size) -> Step:
    import jax
    import jax.numpy as jnp

    inp = workload_inputs(workload.name, size)
    x = inp.feeds["x"]
    cols = x.shape[1]
    gamma = np.linspace(0.5, 1.5, cols, dtype=np.float32)
    beta = np.linspace(-0.1, 0.1, cols, dtype=np.float32)

    def layer_norm(x, gamma, beta):
        mean = jnp.mean(x, axis=1, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=1, keepdims=True)
        return (x - mean) * jax.lax.rsqrt(var + LAYER_NORM_EPS) * gamma + beta

    return _jaxstateless(layer_norm, (x, gamma, beta), inp)


def _jax_sum_sq(workload, size) -> Step:
    import jax.numpy as jnp

    inp = workload_inputs(workload.name, size)
    return _jaxstateless(lambda x: jnp.sum(x * x), (inp.feeds["x"],), inp)


def _jax_lecture_add(workload, size) -> Step:
    import jax

    inp = workload_inputs(workload.name, size)
    add = jax.jit(lambda a, b: a + b)
    a, b = inp.feeds["a"], inp.feeds["b"]  # Python numbers, passed on every call like feeds
    return stateless(lambda: add(a, b).block_until_ready(), np.asarray, inp)


def _jax_train(update: Callable, state: Any, data: tuple, inputs: WorkloadInputs, names: tuple,
               checked_entry: Optional[str] = None, nested: bool = False) -> Step:
    """Runs ``update(state, *data) -> (checked value, new state)`` jitted, donating the state buffers.
    ``state`` is the list of trainable variables in ``names`` order, or with ``nested`` a tuple whose
    first entry is that list (optimizer slots after it). With ``checked_entry`` the update returns None
    for the checked value, which is that entry of the new state instead (returning one array twice
    would cost XLA a copy of it on every run)."""
    import jax

    jitted = jax.jit(update, donate_argnums=0)
    cell = [jax.tree_util.tree_map(jax.device_put, state)]
    data = tuple(jax.device_put(d) if isinstance(d, np.ndarray) else d for d in data)

    def run():
        checked, cell[0] = jitted(cell[0], *data)
        return jax.block_until_ready((checked, cell[0]))[0]

    def first_run():
        checked = run()
        return [np.array(cell[0][names.index(checked_entry)] if checked_entry else checked)]

    def current():  # the trainable variables, as graphc names them
        trained = cell[0][0] if nested else cell[0]
        return {n: np.array(s) for n, s in zip(names, trained) if n in inputs.variables}

    return Step(first_run, run, current, inputs.rtol, inputs.atol)


def _jax_mlp_sgd(workload, size) -> Step:
    import jax
    import jax.numpy as jnp

    inp = workload_inputs(workload.name, size)

    def loss_fn(params, x, labels):
        w0, b0, w1, b1, w2, b2 = params
        h = jax.nn.relu(x @ w0 + b0)
        h = jax.nn.relu(h @ w1 + b1)
        log_probs = jax.nn.log_softmax(h @ w2 + b2)
        return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))

    def sgd_step(params, x, labels):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, labels)
        return loss, [p - MLP_LR * g for p, g in zip(params, grads)]

    params = [inp.variables[n] for n in MLP_PARAMS]
    return _jax_train(sgd_step, params, (inp.feeds["x"], inp.feeds["labels"]), inp, MLP_PARAMS)


def _jax_adam(workload, size) -> Step:
    import jax.numpy as jnp

    inp = workload_inputs(workload.name, size)
    p = inp.variables["p"]

    def adam(state, g):
        p, m, v, b1_power, b2_power = state
        lr_t = ADAM_LR * jnp.sqrt(1 - b2_power) / (1 - b1_power)
        m = m + (g - m) * (1 - ADAM_B1)
        v = v + (g * g - v) * (1 - ADAM_B2)
        p = p - m * lr_t / (jnp.sqrt(v) + ADAM_EPS)
        return None, [p, m, v, b1_power * ADAM_B1, b2_power * ADAM_B2]

    state = [p, np.zeros_like(p), np.zeros_like(p), np.float32(ADAM_B1), np.float32(ADAM_B2)]
    return _jax_train(adam, state, (inp.feeds["g"],), inp, ("p", "m", "v", "beta1_power", "beta2_power"),
                      checked_entry="p")


def _jax_lecture_train(workload, size) -> Step:
    import jax

    inp = workload_inputs(workload.name, size)

    def loss_fn(params, x, y_true):
        w, b = params
        y = w * x + b
        return (y - y_true) ** 2, y

    def sgd_step(params, x, y_true):
        (_, y), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y_true)
        return y, [p - LECTURE_LR * g for p, g in zip(params, grads)]

    params = [np.float32(inp.variables[n]) for n in ("w", "b")]
    return _jax_train(sgd_step, params, (inp.feeds["x"], inp.feeds["y_true"]), inp, ("w", "b"))


def _jax_cross_entropy(logits, labels):
    """Mean sparse softmax cross-entropy (TF1's ``sparse_softmax_cross_entropy_with_logits``, averaged)."""
    import jax
    import jax.numpy as jnp

    log_probs = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))


def _jax_sgd(loss_fn: Callable, lr: float) -> Callable:
    """``update(params, *data) -> (loss, params - lr * grad)`` for ``loss_fn(params, *data)``."""
    import jax

    def sgd_step(params, *data):
        loss, grads = jax.value_and_grad(loss_fn)(params, *data)
        return loss, [p - lr * g for p, g in zip(params, grads)]

    return sgd_step


LSTM_PARAMS = ("model/rnn/basic_lstm_cell/kernel", "model/rnn/basic_lstm_cell/bias", "model/head/kernel",
               "model/head/bias")


def _jax_lstm(workload, size) -> Step:
    """A ``lax.scan`` over time of TF1's BasicLSTMCell (gates i, j, f, o; forget bias 1), the state of
    a row frozen past its length, a dense head on the final ``h``, cross-entropy, SGD."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    from benchmarks.workloads import LSTM_LR

    inp = workload_inputs(workload.name, size)

    def loss_fn(params, x, lengths, labels):
        kernel, bias, head_w, head_b = params
        zeros = jnp.zeros((x.shape[0], head_w.shape[0]), x.dtype)

        def cell(carry, step):
            c, h = carry
            x_t, t = step
            i, j, f, o = jnp.split(jnp.concatenate([x_t, h], axis=1) @ kernel + bias, 4, axis=1)
            new_c = c * jax.nn.sigmoid(f + 1.0) + jax.nn.sigmoid(i) * jnp.tanh(j)
            new_h = jnp.tanh(new_c) * jax.nn.sigmoid(o)
            alive = (t < lengths)[:, None]
            return (jnp.where(alive, new_c, c), jnp.where(alive, new_h, h)), None

        (_, h), _ = lax.scan(cell, (zeros, zeros), (jnp.swapaxes(x, 0, 1), jnp.arange(x.shape[1])))
        return _jax_cross_entropy(h @ head_w + head_b, labels)

    params = [inp.variables[n] for n in LSTM_PARAMS]
    data = (inp.feeds["x"], inp.feeds["lengths"], inp.feeds["labels"])
    return _jax_train(_jax_sgd(loss_fn, LSTM_LR), params, data, inp, LSTM_PARAMS)


CNN_PARAMS = ("conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias", "dense/kernel", "dense/bias")
CNN_LR = 0.01


def _jax_cnn_step(workload, size) -> Step:
    """NHWC convolutions with HWIO kernels (TF's layouts, so graphc's weights load as they are),
    "same" padding, ReLU, 2x2 max pooling, a dense layer on the flattened maps, cross-entropy, SGD."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    inp = workload_inputs(workload.name, size)

    def conv_relu_pool(x, kernel, bias):
        y = lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        y = jax.nn.relu(y + bias)
        return lax.reduce_window(y, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def loss_fn(params, x, labels):
        k0, b0, k1, b1, w, b = params
        h = conv_relu_pool(conv_relu_pool(x, k0, b0), k1, b1)
        return _jax_cross_entropy(h.reshape(h.shape[0], -1) @ w + b, labels)

    params = [inp.variables[n] for n in CNN_PARAMS]
    data = (inp.feeds["x"], inp.feeds["labels"].astype(np.int32))   # jax's default integers are 32-bit
    return _jax_train(_jax_sgd(loss_fn, CNN_LR), params, data, inp, CNN_PARAMS)


RNN_PARAMS = ("rnn_cell/w_x", "rnn_cell/w_h", "rnn_cell/b", "readout/kernel", "readout/bias")


def _jax_rnn_unrolled(workload, size) -> Step:
    """The hand-unrolled tanh RNN (a Python loop, traced into one XLA program), mean squared error,
    TF1's Adam (epsilon outside the bias correction, beta powers as state)."""
    import jax
    import jax.numpy as jnp

    from benchmarks.workloads import RNN_LR

    inp = workload_inputs(workload.name, size)

    def loss_fn(params, x, lengths, targets):
        w_x, w_h, b, w_out, b_out = params
        h = jnp.zeros((x.shape[0], w_h.shape[0]), x.dtype)
        for t in range(x.shape[1]):
            h = jnp.where((t < lengths)[:, None], jnp.tanh(x[:, t, :] @ w_x + h @ w_h + b), h)
        return jnp.mean(jnp.square(h @ w_out + b_out - targets))

    def adam_step(state, x, lengths, targets):
        params, m, v, b1_power, b2_power = state
        loss, grads = jax.value_and_grad(loss_fn)(params, x, lengths, targets)
        lr_t = RNN_LR * jnp.sqrt(1 - b2_power) / (1 - b1_power)
        m = [mi + (g - mi) * (1 - ADAM_B1) for mi, g in zip(m, grads)]
        v = [vi + (g * g - vi) * (1 - ADAM_B2) for vi, g in zip(v, grads)]
        params = [p - mi * lr_t / (jnp.sqrt(vi) + ADAM_EPS) for p, mi, vi in zip(params, m, v)]
        return loss, (params, m, v, b1_power * ADAM_B1, b2_power * ADAM_B2)

    params = [inp.variables[n] for n in RNN_PARAMS]
    state = (params, [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params],
             np.float32(ADAM_B1), np.float32(ADAM_B2))
    data = (inp.feeds["inputs"], inp.feeds["lengths"], inp.feeds["targets"])
    return _jax_train(adam_step, state, data, inp, RNN_PARAMS, nested=True)
