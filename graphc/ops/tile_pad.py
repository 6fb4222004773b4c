"""Tiling and padding: tile (Tile, its adjoint TileGrad) and pad in its CONSTANT (Pad) and
REFLECT/SYMMETRIC (MirrorPad, its adjoint MirrorPadGrad) modes."""
from __future__ import annotations

import builtins
from typing import Any, Optional

import numpy as np

from graphc.graph import Tensor
from graphc.ops import array, core
from graphc.ops.core import OpDef, apply, as_shape_tensor, constant_value, register, shape_value
from graphc.ops.op_args import check_int, check_one_dtype, check_scalar
from graphc.shape import TensorShape


# ------------------------------------------------------------------------------------------------
# tile

def _check_multiples(x: Tensor, multiples: Tensor) -> Optional[list]:
    check_int("tile multiples", multiples)
    mults = shape_value(multiples)
    rank = x.shape.ndims
    if mults is not None and rank is not None and len(mults) != rank:
        raise ValueError(f"tile multiples must have one entry per dimension of {x.name} with shape "
                         f"{x.shape}, got {multiples.name} with {len(mults)} entries")
    if mults is not None and any(k is not None and k < 0 for k in mults):
        raise ValueError(f"tile multiples must be >= 0, got {mults}")
    return mults


def _tile_infer(inputs, attrs):
    x, multiples = inputs
    mults = _check_multiples(x, multiples)
    dims = x.shape.as_tuple()
    if dims is None:
        return [(x.dtype, TensorShape(None if mults is None else [None] * len(mults)))]
    mults = mults if mults is not None else [None] * len(dims)
    return [(x.dtype, TensorShape([None if d is None or k is None else d * k for d, k in zip(dims, mults)]))]


def _tile_numpy(x, multiples):
    if len(multiples) != x.ndim:   # np.tile would prepend dimensions instead
        raise ValueError(f"Expected multiples argument to be a vector of length {x.ndim} but got length "
                         f"{len(multiples)}")
    if np.any(multiples < 0):
        raise ValueError(f"tile multiples must be >= 0, got {multiples}")
    return np.tile(x, tuple(int(k) for k in multiples)) if x.ndim else x.copy()


def _tile_grad(op, g):
    x, multiples = op.inputs
    return [apply("TileGrad", [g, multiples, array.shape(x)], name="TileGrad"), None]


def _tile_grad_infer(inputs, attrs):
    g, multiples, x_shape = inputs
    dims = shape_value(x_shape)
    if dims is not None:
        return [(g.dtype, TensorShape(dims))]
    return [(g.dtype, TensorShape(None))]


def _tile_grad_numpy(g, multiples, x_shape):
    """Sums the ``multiples[i]`` copies of each dim of ``g`` back into one (the adjoint of Tile)."""
    x_shape = tuple(int(d) for d in x_shape)
    if g.size == 0 or 0 in x_shape:
        return np.zeros(x_shape, dtype=g.dtype)
    interleaved = []
    for k, d in zip(multiples, x_shape):
        interleaved += [int(k), d]
    copies = tuple(builtins.range(0, 2 * len(x_shape), 2))
    return np.sum(np.reshape(g, interleaved), axis=copies, dtype=g.dtype).reshape(x_shape)


register(OpDef("Tile", "movement", infer=_tile_infer, numpy=_tile_numpy, grad=_tile_grad, meta_inputs={1},
               gather=True))
register(OpDef("TileGrad", "reduction", infer=_tile_grad_infer, numpy=_tile_grad_numpy,
               grad=lambda op, g: [tile(g, op.inputs[1]), None, None], meta_inputs={1, 2}))


def tile(input: Any, multiples: Any, name: str = "Tile") -> Tensor:
    """``tf.tile``: repeats ``input`` ``multiples[i]`` times along dim i."""
    return apply("Tile", [input, as_shape_tensor(multiples, name="multiples")], name=name)


__all__ = ["tile"]


# ------------------------------------------------------------------------------------------------
# pad: CONSTANT (Pad), REFLECT and SYMMETRIC (MirrorPad)

def _static_paddings(paddings: Any) -> tuple:
    t = core._graph_tensor_or_none(paddings)
    if t is not None:
        value = constant_value(t)
        if value is None:
            raise TypeError(f"pad needs paddings known while building the graph; {t.name} is computed at "
                            "run time. Pass a list like [[1, 1], [2, 2]].")
    else:
        value = np.asarray(paddings)
    if value.ndim != 2 or value.shape[1] != 2 or value.dtype.kind not in "iu" and value.size:
        raise ValueError(f"paddings must be an int matrix of shape [rank, 2], got {paddings!r}")
    pads = tuple((int(b), int(a)) for b, a in value)
    if any(p < 0 for pair in pads for p in pair):
        raise ValueError(f"Paddings must be non-negative, got {[list(p) for p in pads]}")
    return pads


def _padded_shape(x: Tensor, pads: tuple, limit=None) -> TensorShape:
    """The static shape of ``x`` padded by ``pads``; ``limit(dim)`` bounds each padding (mirror modes)."""
    dims = x.shape.as_tuple()
    if dims is None:
        return TensorShape([None] * len(pads))
    if len(dims) != len(pads):
        raise ValueError(f"pad needs one [before, after] pair per dimension of {x.name} with shape "
                         f"{x.shape}, got {len(pads)} pairs")
    out = []
    for d, (b, a) in zip(dims, pads):
        if limit is not None and d is not None and max(b, a) > limit(d):
            raise ValueError(f"paddings {[list(p) for p in pads]} are too large for {x.name} with shape "
                             f"{x.shape}: at most {limit(d)} in a dimension of size {d}")
        out.append(None if d is None else d + b + a)
    return TensorShape(out)


def _pad_infer(inputs, attrs):
    x, value = inputs
    check_one_dtype("pad", [x, value])
    check_scalar("pad's constant_values", value)
    return [(x.dtype, _padded_shape(x, attrs["paddings"]))]


def _unpad_spec(pads: tuple) -> tuple:
    return tuple(("slice", b, -a if a else None, None) for b, a in pads)


register(OpDef("Pad", "movement", infer=_pad_infer,
               numpy=lambda x, value, paddings: np.pad(x, paddings, constant_values=value),
               # TF1 gives constant_values no gradient
               grad=lambda op, g: [array.strided_slice_spec(g, _unpad_spec(op.attrs["paddings"])), None]))

_MIRROR_LIMITS = {"REFLECT": lambda d: d - 1, "SYMMETRIC": lambda d: d}


def _mirror_pad_infer(inputs, attrs):
    x = inputs[0]
    return [(x.dtype, _padded_shape(x, attrs["paddings"], _MIRROR_LIMITS[attrs["mode"]]))]


def _mirror_pad_grad_infer(inputs, attrs):
    g = inputs[0]
    dims = g.shape.as_tuple()
    if dims is None:
        return [(g.dtype, TensorShape([None] * len(attrs["paddings"])))]
    return [(g.dtype, TensorShape([None if d is None else d - b - a for d, (b, a) in zip(dims, attrs["paddings"])]))]


def _mirror_pad_grad_numpy(g, paddings, mode):
    """Adds each mirrored element of ``g`` back onto the element it copies, one dim at a time."""
    for axis, (b, a) in enumerate(paddings):
        n = g.shape[axis] - b - a
        source_index = np.pad(np.arange(n), (b, a), mode=mode.lower())
        moved = np.moveaxis(g, axis, 0)
        summed = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
        np.add.at(summed, source_index, moved)
        g = np.moveaxis(summed, 0, axis)
    return g


register(OpDef("MirrorPad", "movement", infer=_mirror_pad_infer,
               numpy=lambda x, paddings, mode: np.pad(x, paddings, mode=mode.lower()),
               grad=lambda op, g: [apply("MirrorPadGrad", [g], dict(op.attrs), "MirrorPadGrad")]))
register(OpDef("MirrorPadGrad", "movement", infer=_mirror_pad_grad_infer, numpy=_mirror_pad_grad_numpy,
               grad=lambda op, g: [apply("MirrorPad", [g], dict(op.attrs), "MirrorPad")]))


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: Optional[str] = None,
        constant_values: Any = 0) -> Tensor:
    """``tf.pad``: adds ``paddings[i] = [before, after]`` elements around dim i.

    CONSTANT fills with ``constant_values``; REFLECT mirrors without the edge, SYMMETRIC with it.
    """
    mode_key = str(mode).upper()
    pads = _static_paddings(paddings)
    if mode_key == "CONSTANT":
        x, value = core.convert_n([tensor, constant_values])
        default = "Pad" if _is_zero(constant_values) else "PadV2"
        return apply("Pad", [x, value], {"paddings": pads}, name or default)
    if mode_key in _MIRROR_LIMITS:
        return apply("MirrorPad", [tensor], {"paddings": pads, "mode": mode_key}, name or "MirrorPad")
    raise ValueError(f'pad mode must be one of "CONSTANT", "REFLECT" or "SYMMETRIC", got {mode!r}')


def _is_zero(value: Any) -> bool:
    return core._graph_tensor_or_none(value) is None and np.all(np.asarray(value) == 0)


__all__ += ["pad"]
