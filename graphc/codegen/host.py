"""Running one IR node with its numpy kernel on the host: shared by every backend's driver.

Opaque kernels (and anything a backend's printer cannot compile) go through here, so random
ops draw from the same seeded streams (bit-identical results across backends) and failures
carry the node's name and the input shapes.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc import errors
from graphc.codegen import driver, regions
from graphc.ops.core import OPS, OpKind
from graphc.ops.random import make_rng


def _eager_body(plan) -> Any:
    return driver.compile_run("eager", plan)


def call_numpy(node, args: list, state) -> list:
    """The outputs of IR ``node`` computed by its op's numpy kernel, as arrays."""
    od = OPS[node.type]
    if od.kind is OpKind.REGION:   # a cond or loop: its bodies run through eager sub-executables
        return run_kernel(node, args, lambda: regions.run(node, args, state, _eager_body))
    kwargs = node.attrs
    if od.kind is OpKind.RANDOM:
        kwargs = dict(node.attrs, rng=make_rng(node.attrs["seed"], node.attrs["seed2"],
                                               state.next_count(node.origin)))
    return run_kernel(node, args, lambda: od.numpy(*args, **kwargs))


def run_kernel(node, args: list, compute: Callable[[], Any]) -> list:
    """``compute()``'s outputs for ``node`` as a list of arrays; a bad input becomes an
    InvalidArgumentError naming the node and the input shapes."""
    try:
        with np.errstate(all="ignore"):
            out = compute()
    except errors.OpError:
        raise
    except MemoryError as e:
        shapes = ", ".join(str(np.shape(a)) for a in args)
        raise errors.ResourceExhaustedError(None, node.origin, (
            f"OOM when computing node '{node.name}' (op {node.type}) with input shapes [{shapes}]: {e}")) from None
    except (ValueError, TypeError, IndexError, ArithmeticError) as e:
        shapes = ", ".join(str(np.shape(a)) for a in args)
        raise errors.InvalidArgumentError(None, node.origin, (
            f"node '{node.name}' (op {node.type}) failed at run time with input shapes [{shapes}]: {e}")) from None
    outs = out if isinstance(out, tuple) else (out,)
    return [np.asarray(o) for o in outs]
