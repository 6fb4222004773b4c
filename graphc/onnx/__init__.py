"""ONNX export: ``graphc.onnx.export(sess, inputs, outputs, path, opset=17)`` writes the inference part
of a graph (with the session's variable values) as an ONNX model that onnxruntime runs.

Needs the optional extra: ``pip install 'graphc[onnx]'`` (onnx and onnxruntime); ``onnx`` is imported
only when ``export`` runs.
"""
from graphc.onnx.emitter import UnsupportedOpError
from graphc.onnx.export import DEFAULT_OPSET, MIN_OPSET, export

__all__ = ["export", "UnsupportedOpError", "DEFAULT_OPSET", "MIN_OPSET"]
