"""The RNN cases recorded from TensorFlow (record_tf.py) and replayed by graphc (tests/rnn/test_rnn.py).

Each case builds one graph with the same code in both libraries: ``build(v1, case, values)`` takes
``tf.compat.v1`` or ``graphc`` as ``v1``. It returns the placeholders, the variables, the tensors
to compare (outputs, final states) and a scalar loss whose gradients w.r.t. the inputs and every
variable are compared too. Weights are loaded from fixed values (not either library's random
init), so both compute the same numbers.
"""
import numpy as np

BATCH, TIME, DEPTH = 3, 4, 2
LENGTHS = [4, 1, 3]


def _cell(v1, spec):
    """A cell from a spec: ("BasicLSTMCell", {kwargs}) or ("MultiRNNCell", [specs], {kwargs}) or a wrapper."""
    kind = spec[0]
    cells = v1.nn.rnn_cell
    if kind == "MultiRNNCell":
        return cells.MultiRNNCell([_cell(v1, s) for s in spec[1]], **spec[2])
    if kind in ("DropoutWrapper", "ResidualWrapper"):
        return getattr(cells, kind)(_cell(v1, spec[1]), **spec[2])
    kwargs = dict(spec[1])
    if kwargs.get("activation") == "relu":
        kwargs["activation"] = v1.nn.relu
    return getattr(cells, kind)(**kwargs)


# cell specs: name -> spec
CELLS = {
    "basic_rnn": ("BasicRNNCell", {"num_units": 3}),
    "basic_rnn_relu": ("BasicRNNCell", {"num_units": 3, "activation": "relu"}),
    "gru": ("GRUCell", {"num_units": 3}),
    "basic_lstm": ("BasicLSTMCell", {"num_units": 3, "forget_bias": 0.5}),
    "basic_lstm_concat": ("BasicLSTMCell", {"num_units": 3, "state_is_tuple": False}),
    "lstm": ("LSTMCell", {"num_units": 3}),
    "lstm_peep_proj_clip": ("LSTMCell", {"num_units": 3, "use_peepholes": True, "num_proj": 2, "cell_clip": 0.6,
                                         "proj_clip": 0.25, "forget_bias": 0.0}),
    "lstm_concat_proj": ("LSTMCell", {"num_units": 3, "num_proj": 2, "state_is_tuple": False}),
    "multi": ("MultiRNNCell", [("BasicLSTMCell", {"num_units": 3}), ("GRUCell", {"num_units": 2})], {}),
    "multi_concat": ("MultiRNNCell", [("BasicRNNCell", {"num_units": 3}), ("BasicRNNCell", {"num_units": 2})],
                     {"state_is_tuple": False}),
    "residual": ("ResidualWrapper", ("BasicRNNCell", {"num_units": DEPTH}), {}),
    "dropout_keep_all": ("DropoutWrapper", ("BasicLSTMCell", {"num_units": 3}),
                         {"input_keep_prob": 1.0, "output_keep_prob": 1.0, "state_keep_prob": 1.0}),
}

# case name -> (rnn function, cell name(s), options)
CASES = {}
for _name in CELLS:
    CASES[f"static_{_name}"] = ("static_rnn", _name, {"sequence_length": True})
    CASES[f"dynamic_{_name}"] = ("dynamic_rnn", _name, {"sequence_length": True})
CASES.update({
    "static_basic_lstm_full_length": ("static_rnn", "basic_lstm", {}),
    "static_gru_initial_state": ("static_rnn", "gru", {"initial_state": True, "sequence_length": True}),
    "static_bidirectional_lstm": ("static_bidirectional_rnn", ("basic_lstm", "gru"), {"sequence_length": True}),
    "static_bidirectional_full_length": ("static_bidirectional_rnn", ("gru", "basic_rnn"), {}),
    "dynamic_basic_lstm_full_length": ("dynamic_rnn", "basic_lstm", {}),
    "dynamic_basic_lstm_time_major": ("dynamic_rnn", "basic_lstm", {"time_major": True, "sequence_length": True}),
    "dynamic_lstm_time_major_full_length": ("dynamic_rnn", "lstm_peep_proj_clip", {"time_major": True}),
    "dynamic_basic_lstm_initial_state": ("dynamic_rnn", "basic_lstm", {"initial_state": True,
                                                                      "sequence_length": True}),
    "dynamic_multi_initial_state_time_major": ("dynamic_rnn", "multi", {"initial_state": True, "time_major": True,
                                                                       "sequence_length": True}),
    "dynamic_gru_zero_length": ("dynamic_rnn", "gru", {"sequence_length": [0, 4, 2]}),
    # every row shorter than the inputs: the loop stops after 2 steps, later outputs are zeros
    "dynamic_lstm_all_rows_short": ("dynamic_rnn", "lstm_peep_proj_clip", {"sequence_length": [2, 1, 2]}),
    "bidirectional_dynamic_all_rows_short": ("bidirectional_dynamic_rnn", ("gru", "basic_lstm"),
                                             {"sequence_length": [1, 2, 0]}),
    "bidirectional_dynamic": ("bidirectional_dynamic_rnn", ("basic_lstm", "gru"), {"sequence_length": True}),
    "bidirectional_dynamic_time_major": ("bidirectional_dynamic_rnn", ("gru", "lstm"),
                                         {"sequence_length": True, "time_major": True}),
    "bidirectional_dynamic_full_length": ("bidirectional_dynamic_rnn", ("basic_rnn", "basic_rnn"), {}),
})


def inputs_for(case_name):
    """The case's fixed inputs, initial-state seed values and loss weights (numpy, float32)."""
    seed = sum(map(ord, case_name))
    rng = np.random.RandomState(seed)
    fn, _, options = CASES[case_name]
    shape = (TIME, BATCH, DEPTH) if options.get("time_major") else (BATCH, TIME, DEPTH)
    lengths = options.get("sequence_length")
    lengths = LENGTHS if lengths is True else lengths
    return rng, rng.uniform(-1.0, 1.0, shape).astype(np.float32), (None if lengths is None
                                                                  else np.array(lengths, np.int32))


def _flat(v1, structure):
    """Every tensor of a nested result, in order (tuples, lists, namedtuples)."""
    if isinstance(structure, (list, tuple)):
        return [t for s in structure for t in _flat(v1, s)]
    return [structure]


def _initial_state(v1, cell, rng):
    """A non-zero initial state shaped like the cell's: constants from ``rng``."""
    zero = cell.zero_state(BATCH, v1.float32)

    def fill(s):
        if isinstance(s, (list, tuple)):
            parts = [fill(x) for x in s]
            return type(s)(*parts) if hasattr(s, "_fields") else type(s)(parts)
        shape = s.shape.as_list()
        return v1.constant(rng.uniform(-0.8, 0.8, shape).astype(np.float32))
    return fill(zero)


def build(v1, case_name):
    """Builds the case in the default graph: (feeds dict placeholder -> value, fetches, loss)."""
    fn, cell_names, options = CASES[case_name]
    rng, x_value, lengths = inputs_for(case_name)
    x = v1.placeholder(v1.float32, x_value.shape, name="x")
    feeds = {x: x_value}
    seq = None
    if lengths is not None:
        seq = v1.placeholder(v1.int32, [BATCH], name="sequence_length")
        feeds[seq] = lengths
    time_major = options.get("time_major", False)
    if fn in ("static_rnn", "dynamic_rnn"):
        cell = _cell(v1, CELLS[cell_names])
        init = _initial_state(v1, cell, rng) if options.get("initial_state") else None
        if fn == "static_rnn":
            outputs, state = v1.nn.static_rnn(cell, v1.unstack(x, axis=1), initial_state=init, dtype=v1.float32,
                                              sequence_length=seq)
            outputs = v1.stack(outputs, axis=1)
        else:
            outputs, state = v1.nn.dynamic_rnn(cell, x, sequence_length=seq, initial_state=init, dtype=v1.float32,
                                               time_major=time_major)
        results = [outputs] + _flat(v1, state)
    else:
        fw, bw = (_cell(v1, CELLS[n]) for n in cell_names)
        if fn == "static_bidirectional_rnn":
            outputs, state_fw, state_bw = v1.nn.static_bidirectional_rnn(fw, bw, v1.unstack(x, axis=1),
                                                                         dtype=v1.float32, sequence_length=seq)
            results = [v1.stack(outputs, axis=1)] + _flat(v1, state_fw) + _flat(v1, state_bw)
        else:
            (out_fw, out_bw), (state_fw, state_bw) = v1.nn.bidirectional_dynamic_rnn(
                fw, bw, x, sequence_length=seq, dtype=v1.float32, time_major=time_major)
            results = [out_fw, out_bw] + _flat(v1, state_fw) + _flat(v1, state_bw)
    loss = 0.0
    for t in results:
        weights = rng.uniform(-1.0, 1.0, t.shape.as_list()).astype(np.float32)
        loss = loss + v1.reduce_sum(t * weights)
    return feeds, x, results, loss


def weight_values(variables, seed=1234):
    """Fixed values for the case's variables, in the order given (uniform in [-0.6, 0.6])."""
    rng = np.random.RandomState(seed)
    return [rng.uniform(-0.6, 0.6, v.shape.as_list()).astype(np.float32) for v in variables]


# a variable-length batch trained a few steps: BasicLSTMCell(5) over [batch 4, time 6, depth 3],
# readout of the last valid output, Adam(0.05), 5 steps
TRAIN = {"batch": 4, "time": 6, "depth": 3, "units": 5, "lengths": [6, 2, 4, 1], "steps": 5, "learning_rate": 0.05}


def build_training(v1, fn):
    """The training graph with static_rnn or dynamic_rnn: (x, y, lengths, loss, train_op)."""
    p = TRAIN
    x = v1.placeholder(v1.float32, [p["batch"], p["time"], p["depth"]], name="x")
    y = v1.placeholder(v1.float32, [p["batch"], 1], name="y")
    lengths = v1.placeholder(v1.int32, [p["batch"]], name="lengths")
    cell = v1.nn.rnn_cell.BasicLSTMCell(p["units"])
    if fn == "static_rnn":
        outputs, state = v1.nn.static_rnn(cell, v1.unstack(x, axis=1), dtype=v1.float32, sequence_length=lengths)
    else:
        outputs, state = v1.nn.dynamic_rnn(cell, x, dtype=v1.float32, sequence_length=lengths)
    w = v1.get_variable("readout/w", [p["units"], 1])
    b = v1.get_variable("readout/b", [1], initializer=v1.zeros_initializer())
    prediction = v1.matmul(state.h, w) + b
    loss = v1.reduce_mean(v1.square(prediction - y))
    train_op = v1.train.AdamOptimizer(p["learning_rate"]).minimize(loss)
    return x, y, lengths, loss, train_op


def training_data():
    rng = np.random.RandomState(7)
    p = TRAIN
    x = rng.uniform(-1.0, 1.0, (p["batch"], p["time"], p["depth"])).astype(np.float32)
    lengths = np.array(p["lengths"], np.int32)
    mask = np.arange(p["time"])[None, :] < lengths[:, None]
    y = (x[..., 0] * mask).sum(axis=1, keepdims=True).astype(np.float32)
    return x, y, lengths


def user_cell_class(v1):
    """A user's RNNCell subclass (TF1 style: get_variable inside call): h' = tanh(x W + h U)."""
    class MinimalRNNCell(v1.nn.rnn_cell.RNNCell):
        def __init__(self, units):
            super().__init__()
            self._units = units

        @property
        def state_size(self):
            return self._units

        @property
        def output_size(self):
            return self._units

        def call(self, inputs, state):
            w = v1.get_variable("w", [inputs.shape[1], self._units])
            u = v1.get_variable("u", [self._units, self._units])
            h = v1.tanh(v1.matmul(inputs, w) + v1.matmul(state, u))
            return h, h
    return MinimalRNNCell


def _naming_two_rnns_default_scope(v1):
    x = v1.placeholder(v1.float32, [2, 3, 4])
    v1.nn.static_rnn(v1.nn.rnn_cell.BasicLSTMCell(3), v1.unstack(x, axis=1), dtype=v1.float32)
    v1.nn.static_rnn(v1.nn.rnn_cell.BasicLSTMCell(3), v1.unstack(x, axis=1), dtype=v1.float32)


def _naming_cells_called_directly(v1):
    x = v1.placeholder(v1.float32, [2, 4])
    a, b = v1.nn.rnn_cell.BasicLSTMCell(3), v1.nn.rnn_cell.BasicLSTMCell(3)
    state = a.zero_state(2, v1.float32)
    a(x, state)
    a(x, state)                      # the same cell again: same weights
    b(x, state)
    v1.nn.rnn_cell.GRUCell(2)(x, v1.zeros([2, 2]), scope="given_scope")
    with v1.variable_scope("outer"):
        v1.nn.rnn_cell.BasicRNNCell(2, name="named")(x, v1.zeros([2, 2]))


def _naming_user_cell_and_multi(v1):
    x = v1.placeholder(v1.float32, [2, 3, 4])
    v1.nn.static_rnn(user_cell_class(v1)(3), v1.unstack(x, axis=1), dtype=v1.float32, scope="user")
    cells = [v1.nn.rnn_cell.BasicLSTMCell(3), v1.nn.rnn_cell.LSTMCell(2, use_peepholes=True, num_proj=2)]
    v1.nn.static_rnn(v1.nn.rnn_cell.MultiRNNCell(cells), v1.unstack(x, axis=1), dtype=v1.float32)
    drop = v1.nn.rnn_cell.DropoutWrapper(v1.nn.rnn_cell.GRUCell(2), output_keep_prob=0.5, seed=3)
    v1.nn.static_bidirectional_rnn(drop, v1.nn.rnn_cell.BasicRNNCell(2), v1.unstack(x, axis=1), dtype=v1.float32)


# naming scenario -> builder; record_tf.py stores the variables each creates (or the error it raises)
NAMING = {
    "two_rnns_default_scope": _naming_two_rnns_default_scope,
    "cells_called_directly": _naming_cells_called_directly,
    "user_cell_and_multi": _naming_user_cell_and_multi,
}
