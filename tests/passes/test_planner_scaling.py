"""The fusion planner does near-linear work, eager runs never plan kernels unless a dump asks, and
planned kernels always form a DAG (random graphs)."""
import numpy as np
import pytest

import graphc as tf
from graphc.passes import fusion, ir, pipeline
from graphc.passes.ir import FEED, READ_VARIABLE
from graphc.passes.run_plan import RunPlan


def _mlp_step(layers: int):
    x = tf.placeholder(tf.float32, (8, 16))
    h = x
    for i in range(layers):
        h = tf.layers.dense(h, 16, activation=tf.nn.tanh if i % 2 else tf.nn.relu, name=f"d{i}")
    loss = tf.reduce_mean(tf.square(h))
    return x, loss, tf.train.AdamOptimizer(0.01).minimize(loss)


def _planned(layers: int):
    """(IR node count, planner) for an Adam step of a ``layers``-deep MLP."""
    with tf.Graph().as_default():
        x, loss, step = _mlp_step(layers)
        prog = ir.build(RunPlan([loss], [step], [x]), [(8, 16)])
    pipeline.optimize(prog)
    planner = fusion._Planner(prog)
    planner.plan()
    return len(prog.nodes), planner


def test_planning_work_grows_linearly_with_the_graph():
    small_nodes, small = _planned(10)
    nodes, large = _planned(100)
    assert nodes > 3000
    # the quadratic planner visited ~45 nodes per node at 100 layers, ~80 at 200
    assert large.visits <= 15 * nodes
    assert large.visits / nodes <= 1.5 * small.visits / small_nodes


def test_eager_runs_do_not_plan_kernels(monkeypatch):
    def refuse(prog):
        raise AssertionError("the eager backend ran the fusion planner")
    monkeypatch.setattr(fusion, "plan", refuse)
    monkeypatch.delenv("GRAPHC_DUMP", raising=False)
    x, loss, step = _mlp_step(3)
    with tf.Session(backend="eager") as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step, {x: np.ones((8, 16), np.float32)})


def test_a_dump_reports_planner_failures_instead_of_hiding_them(monkeypatch, tmp_path):
    def broken(prog):
        raise AttributeError("planner bug")
    monkeypatch.setattr(fusion, "plan", broken)
    monkeypatch.setenv("GRAPHC_DUMP", str(tmp_path))
    x = tf.placeholder(tf.float32, (2,))
    with pytest.raises(AttributeError, match="planner bug"):
        tf.Session(backend="eager").run(x * 2.0, {x: np.ones(2, np.float32)})


def _random_graph(rs: np.random.RandomState, n_ops: int):
    a = tf.placeholder(tf.float32, (4, 4), name="a")
    b = tf.placeholder(tf.float32, (4, 4), name="b")
    pool = [a, b]
    for _ in range(n_ops):
        kind = rs.randint(6)
        x, y = pool[rs.randint(len(pool))], pool[rs.randint(len(pool))]
        if kind == 0:
            t = tf.matmul(x, y)
        elif kind == 1:
            t = x - tf.reduce_sum(y, axis=1, keepdims=True)
        elif kind == 2:
            t = tf.transpose(x) * y
        else:
            t = [tf.tanh, tf.exp, lambda v: v * 0.5][kind - 3](x) + y
        pool.append(t)
    fetches = [pool[i] for i in rs.choice(len(pool), 3, replace=False)]
    return [a, b], fetches


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_plan_into_kernels_in_dependency_order(seed):
    rs = np.random.RandomState(seed)
    feeds, fetches = _random_graph(rs, 30)
    kplan, _ = pipeline.compile_plan(RunPlan(fetches, [], feeds), [(4, 4), (4, 4)])
    done = set()
    seen_nodes = []
    for k in kplan.kernels:
        mine = {n.id for n in k.nodes}
        for n in k.nodes:
            for v in n.inputs:
                assert v.op.id in mine or v.op.id in done or v.op.type in ("Const", FEED, READ_VARIABLE), \
                    f"kernel {k.index} reads {v!r} before it is computed"
        done |= mine
        seen_nodes.extend(mine)
    assert len(seen_nodes) == len(set(seen_nodes))   # every op computed once


def _transcendental_chain(terms: int):
    rs = np.random.RandomState(terms)
    x = tf.placeholder(tf.float32, (None,))
    y = x
    for _ in range(terms):
        y = [tf.tanh, tf.exp, tf.sigmoid][rs.randint(3)](y * 0.5 + 0.25)
    return x, y


def test_long_fused_chains_are_split_into_kernels_of_bounded_size():
    x, y = _transcendental_chain(200)
    kplan, _ = pipeline.compile_plan(RunPlan([y], [], [x]), [(1000,)])
    weights = [sum(fusion.op_weight(n) for n in k.nodes) for k in kplan.launched]
    assert max(weights) <= fusion.MAX_KERNEL_WEIGHT
    assert len(weights) <= 2 * (200 * 10) // fusion.MAX_KERNEL_WEIGHT + 1   # full kernels, not crumbs
    assert any("split to bound compile time" in why for _, why in kplan.why_not)


def test_numba_kernel_sources_stay_small_on_long_chains():
    x, y = _transcendental_chain(120)
    exe = tf.Session(backend="numba").compile(y, {x: np.ones(8, np.float32)})
    calls = [k.source.count("S.tanh32(") + k.source.count("S.exp32(") + k.source.count("S.sigmoid32(")
             for k in exe.kernels]
    # each call is written once per function holding the loop: the serial rows loop (kernel_span,
    # which kernel and kernel_rows call) and the prange variant: 120 per loop function
    loops = {k.source.count("\ndef kernel_span(") + k.source.count("\ndef kernel_par(") for k in exe.kernels}
    assert loops == {2}, loops
    assert sum(calls) == 120 * 2 and max(calls) <= 2 * fusion.MAX_KERNEL_WEIGHT // 8
