"""Gradient checks through tf.nn.rnn_cell cells and static_rnn (float64), weights included.

The cells' weights come from placeholders through a custom getter, so the check differentiates
w.r.t. them as well as the inputs. Values stay away from clipping kinks.
"""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(21)
BATCH, TIME, DEPTH, UNITS = 2, 3, 2, 3
x = r.uniform(-1.0, 1.0, (BATCH, TIME, DEPTH))
lengths = np.array([3, 1], np.int32)


def _weights_from(feeds):
    """A custom getter that answers get_variable("w/<name>") with feeds[<name>]."""
    def getter(_getter, name, *args, **kwargs):
        return feeds[name[len("w/"):]]
    return getter


def run_cell(cell, weights, lengths_t=None, dynamic=False):
    def build(x_t, *values):
        feeds = dict(zip(weights, values))
        with tf.variable_scope("w", custom_getter=_weights_from(feeds)):
            if dynamic:
                outputs, state = tf.nn.dynamic_rnn(cell(), x_t, dtype=tf.float64, sequence_length=lengths_t)
                outputs = tf.unstack(outputs, axis=1)
            else:
                outputs, state = tf.nn.static_rnn(cell(), tf.unstack(x_t, axis=1), dtype=tf.float64,
                                                  sequence_length=lengths_t)
        flat = [outputs[-1], outputs[0]] + list(tf.nn.rnn_cell.LSTMStateTuple(*state)
                                                 if isinstance(state, tuple) else [state])
        return tf.add_n([tf.reduce_sum(t * np.linspace(-1.0, 1.0, t.shape.num_elements()).reshape(t.shape.as_list()))
                         for t in flat])
    return build


def shapes(**named):
    return list(named), [r.uniform(-0.6, 0.6, s) for s in named.values()]


lstm_names, lstm_values = shapes(**{"rnn/basic_lstm_cell/kernel": (DEPTH + UNITS, 4 * UNITS),
                                    "rnn/basic_lstm_cell/bias": (4 * UNITS,)})
gru_names, gru_values = shapes(**{"rnn/gru_cell/gates/kernel": (DEPTH + UNITS, 2 * UNITS),
                                  "rnn/gru_cell/gates/bias": (2 * UNITS,),
                                  "rnn/gru_cell/candidate/kernel": (DEPTH + UNITS, UNITS),
                                  "rnn/gru_cell/candidate/bias": (UNITS,)})
peep_names, peep_values = shapes(**{"rnn/lstm_cell/kernel": (DEPTH + 2, 4 * UNITS), "rnn/lstm_cell/bias": (4 * UNITS,),
                                    "rnn/lstm_cell/w_f_diag": (UNITS,), "rnn/lstm_cell/w_i_diag": (UNITS,),
                                    "rnn/lstm_cell/w_o_diag": (UNITS,), "rnn/lstm_cell/projection/kernel": (UNITS, 2)})

bi_names, bi_values = shapes(**{"bidirectional_rnn/fw/basic_rnn_cell/kernel": (DEPTH + 2, 2),
                                "bidirectional_rnn/fw/basic_rnn_cell/bias": (2,),
                                "bidirectional_rnn/bw/basic_rnn_cell/kernel": (DEPTH + 2, 2),
                                "bidirectional_rnn/bw/basic_rnn_cell/bias": (2,)})


def bidirectional(a, n, *values, dynamic=False):
    with tf.variable_scope("w", custom_getter=_weights_from(dict(zip(bi_names, values)))):
        cells = tf.nn.rnn_cell.BasicRNNCell(2), tf.nn.rnn_cell.BasicRNNCell(2)
        if dynamic:
            (out_fw, out_bw), (_, state_bw) = tf.nn.bidirectional_dynamic_rnn(*cells, a, dtype=tf.float64,
                                                                               sequence_length=n)
            outputs = tf.concat([out_fw, out_bw], 2)
        else:
            outputs, _, state_bw = tf.nn.static_bidirectional_rnn(*cells, tf.unstack(a, axis=1), dtype=tf.float64,
                                                                   sequence_length=n)
    return tf.reduce_sum(tf.square(tf.stack(outputs) - 0.3)) + tf.reduce_sum(state_bw * [0.5, -1.0])


CASES = [
    GradCase("static_rnn_basic_lstm_sequence_length", {"MatMul", "Select", "Sigmoid", "Tanh", "Split"},
             lambda a, n, *w: run_cell(lambda: tf.nn.rnn_cell.BasicLSTMCell(UNITS), lstm_names, n)(a, *w),
             [x, lengths] + lstm_values, wrt=[0, 2, 3]),
    GradCase("dynamic_rnn_basic_lstm_sequence_length", {"While", "TensorArrayScatter", "TensorArrayStack"},
             lambda a, n, *w: run_cell(lambda: tf.nn.rnn_cell.BasicLSTMCell(UNITS), lstm_names, n, True)(a, *w),
             [x, lengths] + lstm_values, wrt=[0, 2, 3]),
    GradCase("dynamic_rnn_gru_full_length", {"While"},
             run_cell(lambda: tf.nn.rnn_cell.GRUCell(UNITS), gru_names, dynamic=True), [x] + gru_values),
    GradCase("static_rnn_gru", {"MatMul", "Sigmoid", "Tanh", "Split"},
             run_cell(lambda: tf.nn.rnn_cell.GRUCell(UNITS), gru_names), [x] + gru_values),
    GradCase("static_rnn_lstm_peepholes_projection", {"MatMul", "Sigmoid", "Tanh"},
             run_cell(lambda: tf.nn.rnn_cell.LSTMCell(UNITS, use_peepholes=True, num_proj=2, cell_clip=50.0),
                      peep_names), [x] + peep_values),
    GradCase("static_bidirectional_rnn_reverse_sequence", {"ReverseSequence", "MatMul", "Select"},
             lambda a, n, *w: bidirectional(a, n, *w), [x, lengths] + bi_values, wrt=[0, 2, 3, 4, 5]),
    GradCase("bidirectional_dynamic_rnn", {"ReverseSequence", "While"},
             lambda a, n, *w: bidirectional(a, n, *w, dynamic=True), [x, lengths] + bi_values, wrt=[0, 2, 3, 4, 5]),
]
