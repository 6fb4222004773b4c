"""graphc: a graph compiler with TensorFlow 1.x's programming model. ``import graphc as tf``."""
from __future__ import annotations

from graphc.version import __version__  # noqa: F401

import logging as _logging

from graphc import switches as _switches

if _switches.DEBUG.get():
    # GRAPHC_DEBUG=1: log every compile (executables and kernels) and why it happened
    _handler = _logging.StreamHandler()
    _handler.setFormatter(_logging.Formatter("[graphc] %(name)s: %(message)s"))
    _logging.getLogger("graphc").addHandler(_handler)
    _logging.getLogger("graphc").setLevel(_logging.INFO)

from graphc import dtypes, errors, initializers
from graphc.dtypes import (DType, as_dtype, bool_ as bool, float16, float32, float64, double, int8, int16,  # noqa: A004
                           int32, int64, string, uint8, uint16)
from graphc.graph import (Graph, GraphKeys, Operation, Tensor, add_to_collection, add_to_collections,
                          control_dependencies, get_collection, get_collection_ref, get_default_graph,
                          get_default_session,
                          name_scope, RegisterGradient, reset_default_graph, set_random_seed)
from graphc.shape import Dimension, TensorShape
from graphc.ops.core import constant, convert_to_tensor
from graphc.ops import overloads as _overloads  # noqa: F401  (installs Tensor operators)
from graphc.ops.source import *  # noqa: F401,F403
from graphc.ops.math import *  # noqa: F401,F403
from graphc.ops.array import *  # noqa: F401,F403
from graphc.ops.join_split import *  # noqa: F401,F403
from graphc.ops.tile_pad import *  # noqa: F401,F403
from graphc.ops.gather import *  # noqa: F401,F403
from graphc.ops.reduce import *  # noqa: F401,F403
from graphc.ops.linalg import *  # noqa: F401,F403
from graphc.ops.selection import *  # noqa: F401,F403
from graphc.ops.scatter import *  # noqa: F401,F403
from graphc.ops.cumulative import *  # noqa: F401,F403
from graphc.ops.einsum import *  # noqa: F401,F403
from graphc.ops.segment import *  # noqa: F401,F403
from graphc.ops.sampling import *  # noqa: F401,F403
from graphc.ops.py_func import *  # noqa: F401,F403
from graphc.ops.reverse import *  # noqa: F401,F403
from graphc.ops.logging_ops import *  # noqa: F401,F403
from graphc.ops.random import *  # noqa: F401,F403
from graphc.ops.state import *  # noqa: F401,F403
from graphc.ops.sparse import *  # noqa: F401,F403
from graphc.ops.ragged import *  # noqa: F401,F403
from graphc.ops.sequence import *  # noqa: F401,F403
from graphc.variables import *  # noqa: F401,F403
from graphc.variable_scope import *  # noqa: F401,F403
from graphc.initializers import (constant_initializer, glorot_normal_initializer, glorot_uniform_initializer,
                                 ones_initializer, orthogonal_initializer, random_normal_initializer,
                                 random_uniform_initializer,
                                 truncated_normal_initializer, variance_scaling_initializer, zeros_initializer)
from graphc.gradients import gradients
from graphc.control_flow import case, cond, nest, while_loop  # noqa: E402
from graphc.control_flow.tensor_array import TensorArray
from graphc.control_flow.functional import foldl, foldr, map_fn, scan
from graphc.clip_ops import clip_by_average_norm, clip_by_global_norm, clip_by_norm, global_norm, norm
from graphc.runtime.session import InteractiveSession, Session
from graphc.config import ConfigProto, GPUOptions, GraphOptions, OptimizerOptions, RunMetadata, RunOptions
from graphc.device_spec import DeviceSpec
from graphc.graph import device
from graphc import app, flags, gfile  # noqa: E402
from graphc import tf_logging as logging  # noqa: E402  (tf.logging)
from graphc.tf_logging import get_logger
from graphc import image, layers, losses, metrics, nn, ragged, sparse, summary, testing, train  # noqa: E402
from graphc import data, io, python_io  # noqa: E402
from graphc import rnn as _rnn  # noqa: E402

# tf.nn's recurrent names build on variable scopes and tf.layers-style cells (a layer above
# graphc.nn), so the tf.nn namespace receives them here, as tf.train receives its names below
for _name in _rnn.NN_NAMES:
    setattr(nn, _name, getattr(_rnn, _name))
from graphc import queue_runner as _queue_runner  # noqa: E402

# tf.train's queue-runner names live with the input pipelines (they build on graphc.data, a layer
# above graphc.train), so the tf.train namespace receives them here, at the top of the package.
for _name in _queue_runner.TRAIN_NAMES:
    setattr(train, _name, getattr(_queue_runner, _name))
train.__all__ += list(_queue_runner.TRAIN_NAMES)
from graphc import monitored_session as _monitored_session  # noqa: E402

# MonitoredTrainingSession and its kin create Sessions (the runtime layer, above tf.train): the same route
for _name in _monitored_session.TRAIN_NAMES:
    setattr(train, _name, getattr(_monitored_session, _name))
train.__all__ += list(_monitored_session.TRAIN_NAMES)
from graphc.io import (FixedLenFeature, FixedLenSequenceFeature, VarLenFeature, parse_example,  # noqa: E402
                       parse_single_example)
from graphc.io import decode_csv, decode_raw, parse_single_sequence_example, read_file  # noqa: E402
from graphc import strings  # noqa: E402
from graphc.queues import FIFOQueue, QueueBase, RandomShuffleQueue  # noqa: E402
from graphc.io.readers import ReaderBase, TextLineReader, TFRecordReader, WholeFileReader  # noqa: E402
from graphc.strings import (as_string, regex_replace, string_join, string_split, string_to_number,  # noqa: E402
                            substr)
from graphc.visualization import visualize
from graphc import onnx  # noqa: E402  (graphc.onnx.export; the onnx package is imported when it runs)
from graphc.framework import graph_util  # noqa: E402  (tf.graph_util)
from graphc.framework import graph_def as _graph_def  # noqa: E402
from graphc.framework.graph_def import import_graph_def  # noqa: E402
from graphc.framework.protos import AttrValue, GraphDef, MetaGraphDef, NodeDef  # noqa: E402

# Graph.as_graph_def writes TensorFlow's protobufs, a layer above graphc.graph, so the method is
# attached here, where the tf namespace is assembled from every layer
Graph.as_graph_def = _graph_def.graph_method

newaxis = None
AUTO_REUSE = AUTO_REUSE  # noqa: F405,PLW0127 (re-exported from variable_scope)


def __getattr__(name: str):
    """``tf.Summary`` and ``tf.Event``: TF1's protobuf classes, from the optional tensorboardX."""
    if name in ("Summary", "Event"):
        from graphc.summary import _tensorboardx

        _tensorboardx()
        from tensorboardX.proto import event_pb2, summary_pb2

        return summary_pb2.Summary if name == "Summary" else event_pb2.Event
    raise AttributeError(f"module 'graphc' has no attribute {name!r}")
