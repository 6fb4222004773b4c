"""``tf.nn.rnn_cell``: the cells and wrappers under TF1's names."""
from __future__ import annotations

from graphc.rnn.cells import (BasicLSTMCell, BasicRNNCell, GRUCell, LayerRNNCell, LSTMCell,  # noqa: F401
                              LSTMStateTuple, MultiRNNCell, RNNCell)
from graphc.rnn.wrappers import DeviceWrapper, DropoutWrapper, ResidualWrapper  # noqa: F401

__all__ = ["RNNCell", "LayerRNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell", "MultiRNNCell",
           "LSTMStateTuple", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper"]
