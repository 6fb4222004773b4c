"""The PyTorch peers of ``benchmarks/peers.py``: eager and ``torch.compile`` share every function."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from benchmarks.peer_common import (ADAM_B1, ADAM_B2, ADAM_EPS, ADAM_LR, LAYER_NORM_EPS,
                                    LECTURE_LR, MLP_LR, MLP_PARAMS, PEER_THREADS, Step, WorkloadInputs,
                                    stateless, workload_inputs)

# ---------------------------------------------------------------------------------------------
# PyTorch (eager and torch.compile share every function)
# ---------------------------------------------------------------------------------------------

def _torch():
    import torch

    torch.set_num_threads(PEER_THREADS)
    return torch


def _torch_device() -> str:
    """"cuda" when torch sees a GPU (then graphc's compiled backend is Triton there too), else "cpu"."""
    return "cuda" if _torch().cuda.is_available() else "cpu"


def _tensor(array, dtype=None):
    """A torch tensor on the peer's device holding ``array`` (shares memory with it on the CPU)."""
    torch = _torch()
    t = torch.from_numpy(array) if isinstance(array, np.ndarray) else torch.tensor(array, dtype=dtype)
    return t.to(device=_torch_device(), dtype=dtype or t.dtype)


def _host(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _synced(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` that returns only when the GPU work it queued is done (a no-op wrapper on the CPU)."""
    if _torch_device() != "cuda":
        return fn
    torch = _torch()

    def run():
        out = fn()
        torch.cuda.synchronize()
        return out
    return run


def _maybe_compile(fn: Callable, compiled: bool) -> Callable:
    if not compiled:
        return fn
    torch = _torch()
    import torch._inductor.config as inductor_config

    # Inductor's pool of compile worker processes keeps the cores busy after compiling and
    # slowed the timed runs that follow by hundreds of times on a 2-core machine: compile in-process.
    inductor_config.compile_threads = 1
    return torch.compile(fn)


def _torchstateless(fn: Callable, args: tuple, compiled: bool, inputs: WorkloadInputs) -> Step:
    torch = _torch()
    fn = _maybe_compile(fn, compiled)

    def run():
        with torch.no_grad():
            return fn(*args)

    return stateless(_synced(run), _host, inputs)


def _torch_gelu(workload, size, compiled) -> Step:
    torch, inp = _torch(), workload_inputs(workload.name, size)
    x = _tensor(inp.feeds["x"])
    return _torchstateless(lambda x: torch.nn.functional.gelu(x, approximate="tanh"), (x,), compiled, inp)


def _torch_softmax(workload, size, compiled) -> Step:
    torch, inp = _torch(), workload_inputs(workload.name, size)
    x = _tensor(inp.feeds["x"])
    return _torchstateless(lambda x: torch.softmax(x, dim=1), (x,), compiled, inp)


def _torch_layer_norm(workload, size, compiled) -> Step:
    torch, inp = _torch(), workload_inputs(workload.name, size)
    x = _tensor(inp.feeds["x"])
    cols = x.shape[1]
    gamma = _tensor(np.linspace(0.5, 1.5, cols, dtype=np.float32))
    beta = _tensor(np.linspace(-0.1, 0.1, cols, dtype=np.float32))

    def layer_norm(x, gamma, beta):
        return torch.nn.functional.layer_norm(x, (cols,), gamma, beta, eps=LAYER_NORM_EPS)

    return _torchstateless(layer_norm, (x, gamma, beta), compiled, inp)


def _torch_sum_sq(workload, size, compiled) -> Step:
    torch, inp = _torch(), workload_inputs(workload.name, size)
    x = _tensor(inp.feeds["x"])
    return _torchstateless(lambda x: torch.sum(x * x), (x,), compiled, inp)


def _torch_lecture_add(workload, size, compiled) -> Step:
    torch, inp = _torch(), workload_inputs(workload.name, size)
    # torch ops take tensors: the fed Python numbers become 0-d float32 tensors once
    a, b = (_tensor(inp.feeds[k], torch.float32) for k in ("a", "b"))
    return _torchstateless(lambda a, b: a + b, (a, b), compiled, inp)


def _torch_train(loss_fn: Callable, params: list, data: tuple, lr: float, compiled: bool,
                 inputs: WorkloadInputs, names: tuple, update: Optional[Callable] = None) -> Step:
    """A training step: ``loss_fn(*params, *data) -> (loss, checked value)``; gradients by autograd,
    parameters updated in place by ``update(params, grads)`` (default: SGD with ``lr``). torch.compile
    compiles the loss (forward and backward) and the update."""
    torch = _torch()
    loss_fn = _maybe_compile(loss_fn, compiled)

    def sgd_update(params, grads):
        torch._foreach_add_(params, grads, alpha=-lr)

    update = _maybe_compile(update or sgd_update, compiled)

    def step():
        loss, checked = loss_fn(*params, *data)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            update(params, list(grads))
        return checked.detach()

    def state():
        return {n: _host(p).copy() for n, p in zip(names, params)}

    return Step(lambda: [_host(step())], _synced(step), state, inputs.rtol, inputs.atol)


def _torch_params(inputs: WorkloadInputs, names: tuple) -> list:
    return [_tensor(np.array(inputs.variables[n], dtype=np.float32)).requires_grad_() for n in names]


def _torch_mlp_sgd(workload, size, compiled) -> Step:
    torch, inp = _torch(), workload_inputs(workload.name, size)
    x = _tensor(inp.feeds["x"])
    labels = _tensor(inp.feeds["labels"].astype(np.int64))  # cross_entropy takes int64 targets

    def loss_fn(w0, b0, w1, b1, w2, b2, x, labels):
        h = torch.relu(torch.addmm(b0, x, w0))
        h = torch.relu(torch.addmm(b1, h, w1))
        loss = torch.nn.functional.cross_entropy(torch.addmm(b2, h, w2), labels)
        return loss, loss

    return _torch_train(loss_fn, _torch_params(inp, MLP_PARAMS), (x, labels), MLP_LR, compiled, inp, MLP_PARAMS)


def _torch_lecture_train(workload, size, compiled) -> Step:
    torch, inp = _torch(), workload_inputs(workload.name, size)
    x, y_true = (_tensor(inp.feeds[k], torch.float32) for k in ("x", "y_true"))

    def loss_fn(w, b, x, y_true):
        y = w * x + b
        return torch.square(y - y_true), y

    return _torch_train(loss_fn, _torch_params(inp, ("w", "b")), (x, y_true), LECTURE_LR, compiled, inp, ("w", "b"))


def _torch_adam(workload, size, compiled) -> Step:
    """TF1's Adam (epsilon outside the bias correction), in place; beta powers are float32 tensors."""
    torch, inp = _torch(), workload_inputs(workload.name, size)
    p, g = _tensor(np.array(inp.variables["p"])), _tensor(inp.feeds["g"])
    m, v = torch.zeros_like(p), torch.zeros_like(p)
    b1_power, b2_power = _tensor(ADAM_B1, torch.float32), _tensor(ADAM_B2, torch.float32)

    def adam(p, m, v, g, b1_power, b2_power):
        lr_t = ADAM_LR * torch.sqrt(1 - b2_power) / (1 - b1_power)
        m.lerp_(g, 1 - ADAM_B1)
        v.mul_(ADAM_B2).addcmul_(g, g, value=1 - ADAM_B2)
        p.addcdiv_(m * lr_t, v.sqrt().add_(ADAM_EPS), value=-1.0)
        b1_power.mul_(ADAM_B1)
        b2_power.mul_(ADAM_B2)

    adam = _maybe_compile(adam, compiled)
    args = (p, m, v, g, b1_power, b2_power)

    def run():
        with torch.no_grad():
            adam(*args)

    def first_run():
        run()
        return [_host(p).copy()]

    return Step(first_run, _synced(run), lambda: {"p": _host(p).copy()}, inp.rtol, inp.atol)


def _tf1_adam_update(lr: float, params: list) -> Callable:
    """TF1's Adam as an in-place ``update(params, grads)``: slots m and v per parameter, beta powers
    as float32 tensors, epsilon outside the bias correction."""
    torch = _torch()
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    powers = [_tensor(ADAM_B1, torch.float32), _tensor(ADAM_B2, torch.float32)]

    def adam(params, grads):
        b1_power, b2_power = powers
        lr_t = lr * torch.sqrt(1 - b2_power) / (1 - b1_power)
        for p, g, mi, vi in zip(params, grads, m, v):
            mi.lerp_(g, 1 - ADAM_B1)
            vi.mul_(ADAM_B2).addcmul_(g, g, value=1 - ADAM_B2)
            p.addcdiv_(mi * lr_t, vi.sqrt().add_(ADAM_EPS), value=-1.0)
        b1_power.mul_(ADAM_B1)
        b2_power.mul_(ADAM_B2)

    return adam


LSTM_PARAMS = ("model/rnn/basic_lstm_cell/kernel", "model/rnn/basic_lstm_cell/bias", "model/head/kernel",
               "model/head/bias")


def _torch_lstm(workload, size, compiled) -> Step:
    """TF1's BasicLSTMCell (gates i, j, f, o; forget bias 1) in a Python loop over the steps, a row's
    state frozen past its length, a dense head on the final ``h``, cross-entropy, SGD."""
    from benchmarks.workloads import LSTM_LR

    torch, inp = _torch(), workload_inputs(workload.name, size)
    x = _tensor(inp.feeds["x"])
    lengths = _tensor(inp.feeds["lengths"].astype(np.int64))
    labels = _tensor(inp.feeds["labels"].astype(np.int64))

    def loss_fn(kernel, bias, head_w, head_b, x, lengths, labels):
        c = h = x.new_zeros(x.shape[0], head_w.shape[0])
        for t in range(x.shape[1]):
            i, j, f, o = torch.addmm(bias, torch.cat([x[:, t], h], 1), kernel).chunk(4, 1)
            new_c = c * torch.sigmoid(f + 1.0) + torch.sigmoid(i) * torch.tanh(j)
            new_h = torch.tanh(new_c) * torch.sigmoid(o)
            alive = (lengths > t)[:, None]
            c, h = torch.where(alive, new_c, c), torch.where(alive, new_h, h)
        loss = torch.nn.functional.cross_entropy(torch.addmm(head_b, h, head_w), labels)
        return loss, loss

    return _torch_train(loss_fn, _torch_params(inp, LSTM_PARAMS), (x, lengths, labels), LSTM_LR, compiled,
                        inp, LSTM_PARAMS)


CNN_PARAMS = ("conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias", "dense/kernel", "dense/bias")
CNN_LR = 0.01


def _torch_cnn_step(workload, size, compiled) -> Step:
    """The CNN in torch's NCHW layout (the input transposed once, outside the step); the weights stay
    in TF's HWIO layout, as graphc has them, and are viewed as OIHW inside the step; the pooled maps
    are flattened in TF's NHWC order for the dense layer."""
    torch, inp = _torch(), workload_inputs(workload.name, size)
    functional = torch.nn.functional
    x = _tensor(np.ascontiguousarray(inp.feeds["x"].transpose(0, 3, 1, 2)))
    labels = _tensor(inp.feeds["labels"].astype(np.int64))

    def conv_relu_pool(x, kernel, bias):
        return functional.max_pool2d(torch.relu(functional.conv2d(x, kernel.permute(3, 2, 0, 1), bias, padding=1)), 2)

    def loss_fn(k0, b0, k1, b1, w, b, x, labels):
        h = conv_relu_pool(conv_relu_pool(x, k0, b0), k1, b1)
        loss = functional.cross_entropy(torch.addmm(b, h.permute(0, 2, 3, 1).reshape(h.shape[0], -1), w), labels)
        return loss, loss

    return _torch_train(loss_fn, _torch_params(inp, CNN_PARAMS), (x, labels), CNN_LR, compiled, inp, CNN_PARAMS)


RNN_PARAMS = ("rnn_cell/w_x", "rnn_cell/w_h", "rnn_cell/b", "readout/kernel", "readout/bias")


def _torch_rnn_unrolled(workload, size, compiled) -> Step:
    """The hand-unrolled tanh RNN, mean squared error, TF1's Adam in place."""
    from benchmarks.workloads import RNN_LR

    torch, inp = _torch(), workload_inputs(workload.name, size)
    x, targets = _tensor(inp.feeds["inputs"]), _tensor(inp.feeds["targets"])
    lengths = _tensor(inp.feeds["lengths"].astype(np.int64))

    def loss_fn(w_x, w_h, b, w_out, b_out, x, lengths, targets):
        h = x.new_zeros(x.shape[0], w_h.shape[0])
        for t in range(x.shape[1]):
            h = torch.where((lengths > t)[:, None], torch.tanh(x[:, t] @ w_x + h @ w_h + b), h)
        loss = torch.mean(torch.square(torch.addmm(b_out, h, w_out) - targets))
        return loss, loss

    params = _torch_params(inp, RNN_PARAMS)
    return _torch_train(loss_fn, params, (x, lengths, targets), RNN_LR, compiled, inp, RNN_PARAMS,
                        update=_tf1_adam_update(RNN_LR, params))
