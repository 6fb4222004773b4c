"""``tf.summary``: scalar and histogram summaries, merging, and a ``FileWriter`` for TensorBoard.

A summary op evaluates to the serialized TF ``Summary`` protocol buffer, exactly the bytes TF1
returns: a string scalar (``tf.string``, shape ``[]``), so ``sess.run(summary)`` is ``bytes`` and
``tf.Summary.FromString`` reads it. The tag lives in the op's attrs; the kernel encodes the
run-time value (a scalar, or a histogram of the input with TF1's bucket layout) with a small
protobuf encoder, so building and running summaries needs no extra package. ``MergeSummary``
concatenates its inputs: a concatenation of serialized ``Summary`` messages is their merge in the
protobuf wire format.

``FileWriter`` writes TensorBoard event files through the optional ``tensorboardX`` package
(``pip install graphc[tensorboard]``), imported only when a writer is created. ``add_summary``
accepts what ``sess.run`` returns for a summary, raw serialized bytes, or a ``Summary`` message.
"""
from __future__ import annotations

import contextlib
import re
import struct
import sys
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.framework import graph_def
from graphc.graph import Graph, GraphKeys, Tensor, get_default_graph
from graphc.ops import image_codecs
from graphc.ops.core import OpDef, apply, convert_to_tensor, register
from graphc.shape import TensorShape

SUMMARY_DTYPE = dtypes.string   # a scalar holding the serialized Summary
_DBL_MAX = sys.float_info.max


# ------------------------------------------------------------------------------------------------
# protobuf wire format (only what Summary needs)

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _len_field(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _double_field(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", value)


def _packed_doubles(field: int, values: np.ndarray) -> bytes:
    return _len_field(field, np.asarray(values, dtype="<f8").tobytes())


def _summary_value(tag: str, payload: bytes) -> bytes:
    """One serialized ``Summary`` holding a single ``Summary.Value`` (tag = field 1)."""
    return _len_field(1, _len_field(1, tag.encode("utf-8")) + payload)


def encode_scalar(tag: str, value: float) -> bytes:
    """Serialized ``Summary`` with ``simple_value`` (field 2, float32)."""
    return _summary_value(tag, _key(2, 5) + struct.pack("<f", value))


def encode_histogram(tag: str, values: np.ndarray) -> bytes:
    """Serialized ``Summary`` with a ``HistogramProto`` (field 5) of ``values``."""
    h = histogram_proto_fields(values)
    body = b"".join(_double_field(i, h[name]) for i, name in enumerate(_HISTO_SCALARS, start=1))
    body += _packed_doubles(6, h["bucket_limit"]) + _packed_doubles(7, h["bucket"])
    return _summary_value(tag, _len_field(5, body))


# ------------------------------------------------------------------------------------------------
# histograms with TF1's default buckets

_HISTO_SCALARS = ("min", "max", "num", "sum", "sum_squares")


def _default_bucket_limits() -> np.ndarray:
    """TF1's layout: limits growing by 10% from 1e-12 to 1e20, mirrored for negatives, 0 between."""
    positive = []
    v = 1e-12
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    positive.append(_DBL_MAX)
    return np.array([-p for p in reversed(positive)] + [0.0] + positive)


_BUCKET_LIMITS = _default_bucket_limits()


def histogram_proto_fields(values: np.ndarray) -> dict:
    """min/max/num/sum/sum_squares and the (bucket_limit, bucket) lists of a HistogramProto.

    Bucket i counts values in [limit[i-1], limit[i]); runs of empty buckets are collapsed
    into one (keeping the run's last limit), as TF1 writes them.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    index = np.minimum(np.searchsorted(_BUCKET_LIMITS, x, side="right"), len(_BUCKET_LIMITS) - 1)
    counts = np.bincount(index, minlength=len(_BUCKET_LIMITS)).astype(np.float64)
    keep = (counts > 0) | np.append(counts[1:] > 0, True)
    with np.errstate(over="ignore"):   # huge finite values: the sums overflow to inf, as in TF1
        total, squares = float(x.sum()), float(np.dot(x, x))
    return {"min": float(x.min()) if x.size else _DBL_MAX, "max": float(x.max()) if x.size else -_DBL_MAX,
            "num": float(x.size), "sum": total, "sum_squares": squares,
            "bucket_limit": _BUCKET_LIMITS[keep], "bucket": counts[keep]}


# ------------------------------------------------------------------------------------------------
# ops

def _as_summary_tensor(data: bytes) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = data
    return out


def _scalar_numpy(value: np.ndarray, tag: str) -> np.ndarray:
    if value.ndim != 0:
        raise ValueError(f"tags and values are not the same shape: [] != {list(value.shape)} (tag '{tag}'); "
                         "tf.summary.scalar needs a scalar (reduce the tensor first, e.g. tf.reduce_mean)")
    return _as_summary_tensor(encode_scalar(tag, float(value)))


def _histogram_numpy(values: np.ndarray, tag: str) -> np.ndarray:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"Nan in summary histogram for: {tag} (the values contain NaN or Inf)")
    return _as_summary_tensor(encode_histogram(tag, values))


def _merge_numpy(*summaries: np.ndarray) -> np.ndarray:
    return _as_summary_tensor(b"".join(summary_bytes(s) for s in summaries))


def _numeric_input_infer(rank: Optional[int]):
    def infer(inputs, attrs):
        t = inputs[0]
        if not (t.dtype.is_floating or t.dtype.is_integer):
            raise TypeError(f"the summary '{attrs['tag']}' needs a real number tensor, but {t.name} has dtype "
                            f"{t.dtype.name}; use tf.cast")
        if rank is not None and t.shape.rank is not None and t.shape.rank != rank:
            raise ValueError(f"tf.summary.scalar needs a scalar but {t.name} has shape {t.shape} (tag "
                             f"'{attrs['tag']}'); reduce it first, e.g. tf.reduce_mean")
        return [(SUMMARY_DTYPE, TensorShape([]))]
    return infer


def _merge_infer(inputs, attrs):
    if not inputs:
        raise ValueError("tf.summary.merge needs at least one summary")
    for t in inputs:
        if t.dtype is not SUMMARY_DTYPE or t.shape.rank not in (None, 0):
            raise TypeError(f"tf.summary.merge got {t.name} ({t.dtype.name}{t.shape}), which is not a "
                            "summary; pass tensors made by tf.summary.scalar/histogram/image/merge")
    return [(SUMMARY_DTYPE, TensorShape([]))]


def _to_uint8_image(image: np.ndarray) -> np.ndarray:
    """TF1's ImageSummary normalization of one float image: non-negative images scale so the maximum is
    255; otherwise 0 goes to 128 and the largest magnitude to 127 away; non-finite pixels are red."""
    if image.dtype == np.uint8:
        return image
    values = image.astype(np.float32)
    finite = np.isfinite(values).all(axis=-1, keepdims=True)
    present = values[np.broadcast_to(finite, values.shape)]
    low, high = (float(present.min()), float(present.max())) if present.size else (0.0, 0.0)
    if low < 0:
        top = max(abs(low), abs(high))
        scale, offset = (0.0 if top < 1e-6 else 127.0 / top), 128.0
    else:
        scale, offset = (0.0 if high < 1e-6 else 255.0 / high), 0.0
    pixels = (np.where(finite, values, 0.0) * np.float32(scale) + np.float32(offset)).astype(np.uint8)
    bad = np.array([255, 0, 0, 255][:values.shape[-1]] if values.shape[-1] != 1 else [255], np.uint8)
    return np.where(finite, pixels, bad)


def _image_numpy(images: np.ndarray, tag: str, max_images: int) -> np.ndarray:
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(f"Tensor must be 4-D with last dim 1, 3, or 4, not {list(images.shape)} (tag '{tag}')")
    payload = b""
    for i in range(min(images.shape[0], max_images)):
        pixels = _to_uint8_image(images[i])
        h, w, c = pixels.shape
        encoded = image_codecs.encode_png_bytes(pixels)
        image = (_key(1, 0) + _varint(h) + _key(2, 0) + _varint(w) + _key(3, 0) + _varint(c)
                 + _len_field(4, encoded))
        payload += _summary_value(f"{tag}/image/{i}" if max_images > 1 else f"{tag}/image", _len_field(4, image))
    return _as_summary_tensor(payload)


def _image_infer(inputs, attrs):
    t = inputs[0]
    if t.dtype not in (dtypes.uint8, dtypes.float16, dtypes.float32, dtypes.float64):
        raise TypeError(f"tf.summary.image '{attrs['tag']}' needs uint8 or float images, got {t.name} of dtype "
                        f"{t.dtype.name}")
    dims = t.shape.as_tuple()
    if dims is not None and (len(dims) != 4 or dims[-1] not in (1, 3, 4, None)):
        raise ValueError(f"tf.summary.image '{attrs['tag']}': Tensor must be 4-D with last dim 1, 3, or 4, "
                         f"not {t.shape} ({t.name})")
    return [(SUMMARY_DTYPE, TensorShape([]))]


register(OpDef("ImageSummary", "opaque", infer=_image_infer, numpy=_image_numpy, differentiable=False,
               pure=False))
register(OpDef("ScalarSummary", "opaque", infer=_numeric_input_infer(0), numpy=_scalar_numpy,
               differentiable=False, pure=False))
register(OpDef("HistogramSummary", "opaque", infer=_numeric_input_infer(None), numpy=_histogram_numpy,
               differentiable=False, pure=False))
register(OpDef("MergeSummary", "opaque", infer=_merge_infer, numpy=_merge_numpy, differentiable=False,
               pure=False))

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w.]")


def _summary_op(op_type: str, name: str, value: Any, collections: Any, family: Optional[str],
                attrs: Optional[dict] = None) -> Tensor:
    t = convert_to_tensor(value)
    graph = t.graph
    clean = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
    with graph.as_default(), (graph.name_scope(family) if family else contextlib.nullcontext()):
        full_name = graph.unique_name(clean, mark_as_used=False)
        tag = f"{family}/{full_name}" if family else full_name
        summary = apply(op_type, [t], {"tag": tag, **(attrs or {})}, full_name + "/")
    for key in (collections if collections is not None else [GraphKeys.SUMMARIES]):
        graph.add_to_collection(key, summary)
    return summary


def scalar(name: str, tensor: Any, collections: Any = None, family: Optional[str] = None) -> Tensor:
    """A summary of one scalar, tagged with ``name`` under the current name scope (and ``family``)."""
    return _summary_op("ScalarSummary", name, tensor, collections, family)


def histogram(name: str, values: Any, collections: Any = None, family: Optional[str] = None) -> Tensor:
    """A histogram summary of ``values`` (any shape) with TF1's bucket layout; NaN/Inf fail at run time."""
    return _summary_op("HistogramSummary", name, values, collections, family)


def image(name: str, tensor: Any, max_outputs: int = 3, collections: Any = None,
          family: Optional[str] = None) -> Tensor:
    """PNG images for TensorBoard from the first ``max_outputs`` of [batch, h, w, 1|3|4] ``tensor`` (uint8 as
    is; floats normalized per image as TF1's); tags ``name/image/<i>`` (``name/image`` when max_outputs is 1)."""
    if not isinstance(max_outputs, int) or max_outputs < 1:
        raise ValueError(f"tf.summary.image: max_outputs must be a positive int, got {max_outputs!r}")
    return _summary_op("ImageSummary", name, tensor, collections, family, {"max_images": max_outputs})


def merge(inputs: Any, collections: Any = None, name: Optional[str] = None) -> Tensor:
    """One summary holding all the values of ``inputs`` (op ``Merge/MergeSummary``, as TF1)."""
    inputs = [convert_to_tensor(x) for x in inputs]
    graph = inputs[0].graph if inputs else get_default_graph()
    with graph.as_default(), graph.name_scope(name or "Merge"):
        merged = apply("MergeSummary", inputs, {}, "MergeSummary")
    for key in collections or []:
        graph.add_to_collection(key, merged)
    return merged


def merge_all(key: str = GraphKeys.SUMMARIES, scope: Optional[str] = None, name: Optional[str] = None) -> Optional[Tensor]:
    """Merges every summary in collection ``key`` of the default graph; None if there are none."""
    summaries = get_default_graph().get_collection(key, scope)
    return merge(summaries, name=name) if summaries else None


# ------------------------------------------------------------------------------------------------
# FileWriter (tensorboardX, optional)

def _tensorboardx() -> Any:
    try:
        import tensorboardX.writer  # noqa: F401
        from tensorboardX.proto import event_pb2, graph_pb2, summary_pb2  # noqa: F401
    except ImportError as e:
        raise ImportError("tf.summary.FileWriter writes TensorBoard event files with the optional package "
                          "tensorboardX, which is not installed: pip install 'graphc[tensorboard]' "
                          f"(or pip install tensorboardX). ({e})") from e
    return sys.modules["tensorboardX"]


def summary_bytes(summary: Any) -> bytes:
    """The serialized ``Summary`` in ``summary``: a summary op's run value, bytes, or a message."""
    if isinstance(summary, np.ndarray) and summary.shape == () and summary.dtype == object:
        summary = summary[()]
    if isinstance(summary, (bytes, bytearray, memoryview)):
        return bytes(summary)
    if hasattr(summary, "SerializeToString"):
        return summary.SerializeToString()
    raise TypeError(f"add_summary expects the value of a summary op (sess.run(merged)), serialized Summary "
                    f"bytes or a Summary protobuf, got {type(summary).__name__}")


class FileWriter:
    """Writes summaries and graphs to a TensorBoard event file in ``logdir`` (TF1 ``tf.summary.FileWriter``)."""

    def __init__(self, logdir: str, graph: Optional[Graph] = None, max_queue: int = 10, flush_secs: int = 120,
                 graph_def: Any = None, filename_suffix: Optional[str] = None, session: Any = None) -> None:
        tbx = _tensorboardx()
        self._pb = sys.modules["tensorboardX.proto.event_pb2"], sys.modules["tensorboardX.proto.summary_pb2"]
        self._writer = tbx.writer.FileWriter(str(logdir), max_queue, flush_secs, filename_suffix or "")
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self) -> str:
        return self._writer.get_logdir()

    def add_summary(self, summary: Any, global_step: Optional[int] = None) -> None:
        """Adds a summary (the value of a summary op, serialized bytes or a Summary message) at ``global_step``."""
        event_pb2, summary_pb2 = self._pb
        proto = summary_pb2.Summary.FromString(summary_bytes(summary))
        self._writer.add_event(event_pb2.Event(summary=proto), None if global_step is None else int(global_step))

    def add_graph(self, graph: Optional[Graph], global_step: Optional[int] = None, graph_def: Any = None) -> None:
        """Writes ``graph`` (or a ready GraphDef message) for TensorBoard's graph tab."""
        event_pb2, _ = self._pb
        graph_def = graph_def if graph_def is not None else as_graph_def(graph)
        self._writer.add_event(event_pb2.Event(graph_def=graph_def.SerializeToString()),
                               None if global_step is None else int(global_step))

    def add_event(self, event: Any) -> None:
        """Adds a ready ``Event`` protobuf."""
        self._writer.add_event(event)

    def flush(self) -> None:
        """Writes pending events to disk."""
        self._writer.flush()

    def close(self) -> None:
        """Flushes and closes the event file; ``reopen`` starts a new one."""
        self._writer.close()

    def reopen(self) -> None:
        self._writer.reopen()

    def __enter__(self) -> "FileWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def as_graph_def(graph: Optional[Graph] = None) -> Any:
    """``graph`` (default graph) as the ``GraphDef`` TensorBoard's graph tab shows: TensorFlow's op names,
    attrs and inputs, with each node's ``_output_shapes`` (attrs no GraphDef can hold are left out)."""
    return graph_def.as_graph_def(graph, add_shapes=True, strict=False)


__all__ = ["scalar", "histogram", "image", "merge", "merge_all", "FileWriter", "as_graph_def", "summary_bytes",
           "SUMMARY_DTYPE"]
