"""What every peer of ``benchmarks/peers.py`` shares: the workloads' constants, the inputs read from
graphc's own workload (so sizes and data are identical by construction) and the timed step a peer
builds."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from benchmarks import workloads

PEER_THREADS = 2

# Hyper-parameters and constants of the workloads in benchmarks/workloads.py.
GELU_C, GELU_K = 0.7978845608, 0.044715
LAYER_NORM_EPS = 1e-5
MLP_LR = 0.01
ADAM_LR, ADAM_B1, ADAM_B2, ADAM_EPS = 1e-3, 0.9, 0.999, 1e-8
LECTURE_LR = 0.1
MLP_PARAMS = ("w0", "b0", "w1", "b1", "w2", "b2")


@dataclasses.dataclass
class WorkloadInputs:
    feeds: dict                     # placeholder name -> fed value (numpy array or Python number)
    variables: dict                 # trainable variable name -> initial value
    rtol: float
    atol: float


@dataclasses.dataclass
class Step:
    first_run: Callable[[], list]   # the first run; returns its checked values as numpy arrays
    run: Callable[[], Any]          # one steady-state run (returns when the work is done)
    state: Callable[[], dict] = dict
    rtol: float = 1e-4
    atol: float = 1e-5


def workload_inputs(workload_name: str, size: str) -> WorkloadInputs:
    """The fed values and initial trainable-variable values of graphc's workload at ``size``."""
    import graphc as tf

    workload = workload_named(workload_name)
    graph = tf.Graph()
    with graph.as_default():
        built = workload.build(size)
        feeds = {base_name(k.name): v for k, v in built.feed_dict.items()}
        variables = tf.trainable_variables()
        initial = {}
        if variables:
            sess = tf.Session(graph=graph, backend="eager")
            sess.run(tf.global_variables_initializer())
            initial = {base_name(v.name): np.array(x) for v, x in zip(variables, sess.run(variables))}
    return WorkloadInputs(feeds, initial, built.rtol, built.atol)


def base_name(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def workload_named(name: str) -> workloads.Workload:
    for w in workloads.WORKLOADS:
        if w.name == name:
            return w
    raise ValueError(f"unknown workload {name!r}; choose one of {', '.join(w.name for w in workloads.WORKLOADS)}")


def stateless(run: Callable[[], Any], to_numpy: Callable[[Any], np.ndarray], inputs: WorkloadInputs) -> Step:
    return Step(lambda: [to_numpy(run())], run, rtol=inputs.rtol, atol=inputs.atol)
