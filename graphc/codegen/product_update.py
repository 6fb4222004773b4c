"""Matmul kernels that only add a scaled product to a tensor run as one GEMM (``ops/blas_gemm.py``).

SGD's weight update is such a kernel: ``w - lr * (x.T @ g)`` fuses into [MatMul, Mul, Sub], whose
generated loop reads the product back from a scratch buffer together with ``w`` and writes the new
``w``: one more pass over three weight-sized arrays (0.4 ms for a 784x512 weight on a 2-core Zen 4,
nearly a third of its product's time). ``c + alpha * (a @ b)`` is exactly what GEMM computes with
``beta = 1``, so a kernel of one of the forms

    [MatMul, Sub(c, P)]   [MatMul, Add(c, P) or Add(P, c)]
    [MatMul, Mul(s, P) or Mul(P, s), Sub(c, ·) or Add(c, ·) or Add(·, c)]

(``P`` the product, ``s`` a scalar, ``c`` an input of the product's static 2-D shape or a row of
it: a bias, broadcast over the rows, the last node the kernel's one output) writes ``c`` into its
output (nothing to copy when the output is ``c``'s own array, a variable updated in place) and
lets GEMM accumulate the product into it. The kernel itself is then never called, nor compiled. A
run whose operands BLAS cannot read as they are (another dtype, a strided view, an output sharing
memory with an operand) takes the kernel as before.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from graphc.ops import blas_gemm

# the product's elements from which the GEMM form is used: below it the kernel, which the
# generated driver may inline, costs less than a ctypes call
MIN_ELEMENTS = 2 ** 14

_SIGNS = {"Add": 1.0, "Sub": -1.0}


class ProductUpdate:
    """How one kernel's output is ``base + sign * scale * product``."""

    __slots__ = ("base", "scale", "sign", "output", "transpose_a", "transpose_b", "shape", "base_shape")

    def __init__(self, base, scale, sign: float, output, attrs: dict, shape: tuple, base_shape: tuple) -> None:
        self.base = base              # the tensor the product is added to
        self.scale = scale            # a scalar tensor multiplying the product, or None
        self.sign = sign
        self.output = output
        self.transpose_a = attrs["transpose_a"]
        self.transpose_b = attrs["transpose_b"]
        self.shape = shape
        self.base_shape = base_shape   # the product's shape, or a row of it (broadcast when copied)

    def run(self, step, ctx) -> bool:
        """Computes the step's output with one GEMM; False (nothing written) when it cannot."""
        env = ctx.env
        a, b = env[step.mm_values[0]], env[step.mm_values[1]]
        base = env[self.base]
        if base.shape != self.base_shape or base.dtype != a.dtype or a.ndim != 2 or b.ndim != 2:
            return False
        if self.transpose_a:
            a = a.T
        if self.transpose_b:
            b = b.T
        alpha = self.sign
        if self.scale is not None:
            scale = env[self.scale]
            if np.ndim(scale) != 0:
                return False
            alpha *= float(scale)
        out = ctx.alloc(self.output, self.shape)
        if np.may_share_memory(out, a) or np.may_share_memory(out, b):
            return False
        if out is not base:
            np.copyto(out, base)
        if not blas_gemm.accumulate(out, a, b, alpha):
            return False
        env[self.output] = out
        return True


def find(kernel, gen) -> Optional[ProductUpdate]:
    """The kernel's ``ProductUpdate`` form, or None (see the module docstring)."""
    mm = gen.matmul
    if mm is None or mm.type != "MatMul" or not blas_gemm.available() or mm.outputs[0] in kernel.outputs:
        return None
    nodes = kernel.nodes
    if len(nodes) not in (2, 3) or nodes[0] is not mm or len(kernel.outputs) != 1:
        return None
    last = nodes[-1]
    if last.type not in _SIGNS or last.outputs[0] is not kernel.outputs[0]:
        return None
    product = mm.outputs[0]
    shape = product.shape.as_tuple()
    if shape is None or len(shape) != 2 or None in shape or shape[0] * shape[1] < MIN_ELEMENTS:
        return None
    if np.dtype(product.dtype.np_type) not in (np.float32, np.float64):
        return None
    scale = None
    added = product
    if len(nodes) == 3:
        mul = nodes[1]
        if mul.type != "Mul" or product not in mul.inputs:
            return None
        scale = mul.inputs[1] if mul.inputs[0] is product else mul.inputs[0]
        if scale is product or scale.shape.as_tuple() != () or scale.dtype != product.dtype:
            return None
        added = mul.outputs[0]
    x, y = last.inputs
    if y is added and x is not added:
        base = x
    elif x is added and last.type == "Add" and y is not added:
        base = y
    else:
        return None
    base_shape = base.shape.as_tuple()
    if (base_shape not in (shape, (shape[1],), (1, shape[1])) or base.dtype != product.dtype
            or any(base in n.outputs for n in nodes)):
        return None
    return ProductUpdate(base, scale, _SIGNS[last.type], last.outputs[0], mm.attrs, shape, base_shape)
