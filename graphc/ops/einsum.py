"""``tf.einsum``: sums of products over labelled dimensions, one ``Einsum`` op.

The equation is normalized while the graph is built: ``...`` becomes labels of its own (the ranks
must be known), an implicit output (no ``->``) becomes the labels used once, in alphabetical order
after the ellipsis' labels (numpy's and TF's rule). The numpy kernel is ``np.einsum``; the gradient
of each operand is another einsum of the output gradient with the other operands, broadcast over
the labels only that operand has; a label repeated in one operand (a diagonal, ``'ii->i'``) gets
its gradient on that diagonal and zero off it.
"""
from __future__ import annotations

import string
from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops.join_split import stack
from graphc.ops.core import OpDef, _graph_of, apply, convert_n, register
from graphc.shape import TensorShape

_ELLIPSIS_LABELS = string.ascii_uppercase[::-1]    # labels the ellipsis' dims get (from Z down)


def _parse(equation: str, ranks: list) -> tuple:
    """(operand labels, output labels) with the ellipsis expanded and the output made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operands but {len(ranks)} were "
                         "given")
    used = set(eq) - set(",->.")
    if any(c not in string.ascii_letters for c in used):
        raise ValueError(f"einsum: equation {equation!r} may use only letters, ',', '->' and '...'")
    pool = [c for c in _ELLIPSIS_LABELS if c not in used]
    widths = []
    for term, rank in zip(terms, ranks):
        explicit = len(term.replace("...", ""))
        if "..." not in term:
            widths.append(0)
            if rank is not None and rank != explicit:
                raise ValueError(f"einsum: operand {term!r} of {equation!r} has {explicit} labels but rank {rank}")
            continue
        if rank is None:
            raise ValueError(f"einsum: an operand with '...' in {equation!r} needs a known rank")
        widths.append(rank - explicit)
    n_ell = max(widths)
    ell = "".join(pool[:n_ell][::-1])
    terms = [t.replace("...", ell[n_ell - w:]) if "..." in t else t for t, w in zip(terms, widths)]
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = {c: "".join(terms).count(c) for c in set("".join(terms))}
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    if len(set(out)) != len(out) or any(c not in "".join(terms) for c in out):
        raise ValueError(f"einsum: the output of {equation!r} must name each label once, and only labels of "
                         "the operands")
    return terms, out


def _infer(inputs, attrs):
    terms, out = attrs["terms"], attrs["output"]
    dtype = inputs[0].dtype
    sizes: dict = {}
    for t, term in zip(inputs, terms):
        if t.dtype is not dtype:
            raise TypeError(f"einsum: operands must share one dtype, got {inputs[0].name} {dtype.name} and "
                            f"{t.name} {t.dtype.name}")
        dims = t.shape.as_tuple() or (None,) * len(term)
        for label, d in zip(term, dims):
            known = sizes.get(label)
            if d is not None and known is not None and d != known:
                raise ValueError(f"einsum {attrs['equation']!r}: label {label!r} has size {known} in one operand and "
                                 f"{d} in {t.name} {t.shape}")
            sizes[label] = d if d is not None else known
    return [(dtype, TensorShape([sizes.get(c) for c in out]))]


def _numpy(*operands, equation, terms, output):
    return np.asarray(np.einsum(",".join(terms) + "->" + output, *operands))


def _grad(op, g):
    return [_operand_grad(op, g, i) for i in range(len(op.inputs))]


def _operand_grad(op, g, i: int) -> Tensor:
    """The gradient of operand ``i``: an einsum of ``g`` with the other operands over the operand's
    distinct labels, broadcast over the labels only it has, then spread back onto the diagonals of
    the labels it repeats (zero off them)."""
    terms, out = op.attrs["terms"], op.attrs["output"]
    x, term = op.inputs[i], terms[i]
    distinct = "".join(dict.fromkeys(term))
    others = [t for j, t in enumerate(terms) if j != i]
    elsewhere = set(out).union(*others)
    kept = "".join(c for c in distinct if c in elsewhere)
    partial = einsum(",".join([out] + others) + "->" + kept, g, *[t for j, t in enumerate(op.inputs) if j != i])
    first = [term.index(c) for c in distinct]
    if kept != distinct:                         # labels only this operand had were summed: broadcast back
        shape = [-1 if c in kept else 1 for c in distinct]
        partial = array.broadcast_to(array.reshape(partial, _with_sizes(partial, kept, shape)),
                                     _dims(x, first))
    if distinct == term:
        return partial
    return _spread_on_diagonals(partial, distinct, term, x, set("".join(terms) + out))


def _dims(x: Tensor, positions: list) -> Any:
    """The sizes of ``x`` at ``positions`` (a shape vector)."""
    full = array.shape(x)
    return full if positions == list(range(x.shape.ndims or 0)) else stack([full[p] for p in positions])


def _spread_on_diagonals(partial: Tensor, distinct: str, term: str, x: Tensor, used: set) -> Tensor:
    """``partial`` (labels ``distinct``) as a tensor of ``term``'s layout that is zero wherever a
    repeated label's indices differ: each repeat gets a fresh label tied to the first by an identity."""
    fresh = iter(c for c in string.ascii_letters if c not in used)
    spread, eyes, seen = "", [], set()
    for pos, c in enumerate(term):
        if c not in seen:
            seen.add(c)
            spread += c
            continue
        f = next(fresh)
        spread += f
        eyes.append((c + f, _identity(array.shape(x)[pos], x.dtype)))
    return einsum(",".join([distinct] + [labels for labels, _ in eyes]) + "->" + spread,
                  partial, *[eye for _, eye in eyes])


def _identity(n: Tensor, dtype: Any) -> Tensor:
    """An ``n`` x ``n`` identity matrix of ``dtype`` (``n`` may be known only at run time)."""
    index = array.range(n)
    return m.cast(m.equal(array.reshape(index, [-1, 1]), array.reshape(index, [1, -1])), dtype)


def _with_sizes(t: Tensor, kept: str, shape: list) -> Any:
    """``shape`` (1 for a summed label, -1 for a kept one) with the kept labels' sizes filled in."""
    if shape.count(-1) <= 1:
        return shape
    sizes = array.shape(t)
    out: list = []
    k = 0
    for d in shape:
        out.append(sizes[k] if d == -1 else 1)
        k += d == -1
    return stack(out)


register(OpDef("Einsum", "opaque", infer=_infer, numpy=_numpy, grad=_grad))


def einsum(equation: str, *inputs: Any, name: Optional[str] = None, **kwargs: Any) -> Tensor:
    """Sums of products of ``inputs`` over the labels of ``equation`` (TF1 ``tf.einsum``), e.g.
    ``'ij,jk->ik'`` (matmul), ``'bij,bjk->bik'``, ``'...i,i->...'``, ``'ii->i'``, ``'ij->'``."""
    if kwargs:
        raise TypeError(f"einsum() got unexpected keyword arguments: {sorted(kwargs)}")
    if not inputs:
        raise ValueError("einsum needs at least one operand")
    with _graph_of(list(inputs)).as_default():
        tensors = convert_n(list(inputs))
        terms, out = _parse(equation, [t.shape.ndims for t in tensors])
        attrs = {"equation": equation, "terms": tuple(terms), "output": out}
        return apply("Einsum", tensors, attrs, name or "Einsum")


__all__ = ["einsum"]
