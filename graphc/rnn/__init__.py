"""Recurrent networks (TF1's ``tf.nn.rnn_cell`` and the ``tf.nn`` functions that run cells over time).

``cells.py``: ``RNNCell`` and TF1's cells; ``wrappers.py``: dropout, residual and device wrappers;
``static.py``: ``static_rnn``/``static_bidirectional_rnn`` (a Python loop over a list of steps);
``dynamic.py``: ``dynamic_rnn``/``bidirectional_dynamic_rnn`` (a ``tf.while_loop`` over ``TensorArray``s).
Nested states (``LSTMStateTuple``, tuples of layers' states) go through ``graphc.control_flow.nest``.
"""
from __future__ import annotations

from graphc.rnn import rnn_cell
from graphc.rnn.dynamic import bidirectional_dynamic_rnn, dynamic_rnn
from graphc.rnn.static import static_bidirectional_rnn, static_rnn

# the names graphc/__init__.py adds to tf.nn
NN_NAMES = ("rnn_cell", "static_rnn", "static_bidirectional_rnn", "dynamic_rnn", "bidirectional_dynamic_rnn")

__all__ = ["rnn_cell", "static_rnn", "static_bidirectional_rnn", "dynamic_rnn", "bidirectional_dynamic_rnn",
           "NN_NAMES"]
