"""Pass pipeline: each pass on small before/after programs, the fusion targets, the memory plan."""
import os

import numpy as np
import pytest

import graphc as tf
from graphc.codegen import driver, numba_cpu, numba_steps
from graphc.passes import cse, fold, ir, join_sums, pipeline, remat, simplify
from graphc.passes.run_plan import RunPlan
from graphc.runtime.session import available_backends

from backend_util import run_compared

BACKENDS = [b for b in available_backends() if b != "auto"]


def program(fetches, feeds=(), feed_shapes=None):
    return ir.build(RunPlan(list(fetches), [], list(feeds)), feed_shapes)


def kernel_plan(fetches, feeds=(), feed_shapes=None):
    plan = RunPlan(list(fetches), [], list(feeds))
    return pipeline.compile_plan(plan, feed_shapes)


def types(prog):
    return [n.type for n in prog.nodes]


# ------------------------------------------------------------------------------------------------
# individual passes

def test_fold_computes_constant_subexpressions():
    x = tf.placeholder(tf.float32, [3])
    y = (tf.constant(2.0) * 3.0) * x
    prog = program([y], [x])
    assert fold.run(prog)
    consts = [n for n in prog.nodes if n.type == "Const"]
    assert [float(c.attrs["value"]) for c in consts] == [6.0]
    assert types(prog).count("Mul") == 1


def test_fold_does_not_materialize_huge_constants():
    y = tf.zeros([1000, 1000]) + 1.0
    prog = program([y])
    fold.run(prog)
    assert all(n.attrs["value"].size <= fold.MAX_FOLD_ELEMENTS for n in prog.nodes if n.type == "Const")


def test_fold_leaves_random_ops_alone():
    y = tf.random_normal([3], seed=1) * 2.0
    prog = program([y])
    fold.run(prog)
    assert "RandomStandardNormal" in types(prog)


def test_simplify_identities():
    x = tf.placeholder(tf.float32, [4])
    y = ((x * 1.0) + 0.0) - 0.0
    z = -(-x)  # noqa: B002 - a double negation, for simplify to remove
    prog = program([y, z], [x])
    assert simplify.run(prog)
    assert prog.fetches[0].op.type == "Feed"
    assert prog.fetches[1].op.type == "Feed"


def test_simplify_keeps_broadcasting_identities():
    x = tf.placeholder(tf.float32, [4])
    y = x + tf.zeros([3, 4])      # changes the shape: must stay
    prog = program([y], [x])
    simplify.run(prog)
    assert prog.fetches[0].shape.as_list() == [3, 4]
    assert prog.fetches[0].op.type != "Feed"


def test_simplify_multiplication_by_zero_only_for_integers():
    xf = tf.placeholder(tf.float32, [2])
    xi = tf.placeholder(tf.int32, [2])
    prog = program([xf * 0.0, xi * 0, xf - xf, xi - xi], [xf, xi])
    simplify.run(prog)
    kinds = [v.op.type for v in prog.fetches]
    assert kinds[0] == "Mul"          # nan * 0 is nan: not simplified
    assert kinds[1] == "Const"
    assert kinds[2] == "Sub"          # inf - inf is nan
    assert kinds[3] == "Const"


def test_simplify_exp_log_only_when_exact():
    x = tf.placeholder(tf.float32, [2])
    prog = program([tf.exp(tf.log(x)), tf.exp(tf.log(tf.exp(x)))], [x])
    simplify.run(prog)
    assert prog.fetches[0].op.type == "Exp"        # x may be negative: log gives nan
    assert prog.fetches[1].op.type == "Exp"        # exp(log(exp(x))) -> exp(x)
    assert prog.fetches[1].op.inputs[0].op.type == "Feed"


def test_simplify_reshape_of_reshape():
    x = tf.placeholder(tf.float32, [2, 6])
    y = tf.reshape(tf.reshape(x, [3, 4]), [4, 3])
    prog = program([y], [x])
    simplify.run(prog)
    prog.toposort()
    assert types(prog).count("Reshape") == 1


def test_cse_merges_equal_subexpressions():
    x = tf.placeholder(tf.float32, [3])
    a = tf.exp(x) + 1.0
    b = tf.exp(x) + 1.0
    prog = program([a * b], [x])
    assert cse.run(prog)
    assert types(prog).count("Exp") == 1 and types(prog).count("Add") == 1


def test_one_element_broadcasts_are_copied_into_each_consumer():
    x = tf.placeholder(tf.float32, [64, 80])             # larger than fold materializes
    y = tf.placeholder(tf.float32, [64, 80])
    a = tf.where(x > 0.0, x, tf.zeros_like(x))           # CSE makes the zeros one node
    b = tf.where(y > 1.0, tf.reduce_sum(y, axis=1, keepdims=True) * y, tf.zeros_like(y))
    c = tf.reduce_sum(tf.zeros_like(y), axis=0) + tf.reduce_max(x, axis=0)
    prog = program([a, b * 2.0, c, tf.zeros_like(x)], [x, y])
    pipeline.optimize(prog)
    assert types(prog).count("BroadcastTo") == 1 and "Fill" not in types(prog)   # zeros_like: Fill -> BroadcastTo
    # the wheres read the scalar zero itself (simplify); the reduction reads the broadcast
    assert [n.type for n in prog.nodes if n.type == "Select" and any(v.op.type == "BroadcastTo" for v in n.inputs)] == []
    assert remat.run(prog)
    assert types(prog).count("BroadcastTo") == 2          # one per consumer; the fetch keeps the original
    assert not remat.run(prog)
    kplan, _ = kernel_plan([a, b * 2.0], [x, y], [(64, 80), (64, 80)])
    shapes = [tuple(v.shape.as_tuple()) for k in kplan.launched for v in k.outputs]
    assert len(kplan.launched) == 2 and shapes.count((64, 80)) == 2   # no kernel hands the zeros to another
    xv, yv = np.random.RandomState(0).randn(2, 64, 80).astype(np.float32)
    # the row sums nearly cancel: compiled and numpy summation orders differ in the last digits
    run_compared(tf.Session(backend="eager"), tf.Session(backend="numba"), [a, b * 2.0], {x: xv, y: yv})


def test_cse_keeps_random_ops_apart():
    a = tf.random_uniform([2], seed=1)
    b = tf.random_uniform([2], seed=1)
    prog = program([a + b])
    cse.run(prog)
    assert types(prog).count("RandomUniform") == 2


def test_prune_drops_dead_nodes():
    x = tf.placeholder(tf.float32, [3])
    unused = tf.exp(x)  # noqa: F841
    prog = program([x * 2.0], [x])
    assert "Exp" not in types(prog)


def test_passes_never_mutate_the_user_graph():
    x = tf.placeholder(tf.float32, [3])
    y = (x * 1.0) + tf.exp(tf.log(x))
    before = [(op.type, tuple(t.name for t in op.inputs)) for op in tf.get_default_graph().get_operations()]
    kernel_plan([y], [x])
    after = [(op.type, tuple(t.name for t in op.inputs)) for op in tf.get_default_graph().get_operations()]
    assert before == after


def test_dump_writes_each_stage(tmp_path):
    x = tf.placeholder(tf.float32, [3])
    pipeline.compile_plan(RunPlan([(2.0 * 3.0) * x + 0.0], [], [x]), None, dump_dir=str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0].startswith("00_ir_initial")
    assert any("kernel_plan" in n for n in names) and any("memory_plan" in n for n in names)
    assert "Mul" in (tmp_path / next(n for n in names if "kernel_plan" in n)).read_text()


# ------------------------------------------------------------------------------------------------
# fusion targets (backend-neutral kernel counts)

def launched(fetches, feeds=(), feed_shapes=None):
    kp, mp = kernel_plan(fetches, feeds, feed_shapes)
    return kp.launched, mp


def test_gelu_chain_is_one_kernel():
    x = tf.placeholder(tf.float32, [None])
    y = 0.5 * x * (1 + tf.tanh(0.79788456 * (x + 0.044715 * x ** 3)))
    ks, _ = launched([y], [x], [(1000,)])
    assert len(ks) == 1 and ks[0].kind == "pointwise"


def test_sum_of_squares_is_one_reduction_kernel():
    x = tf.placeholder(tf.float32, [None])
    ks, _ = launched([tf.reduce_sum(x * x)], [x], [(100,)])
    assert [k.kind for k in ks] == ["reduction"]
    assert ks[0].op_types == ["Mul", "Sum"]


def _rows():
    return tf.placeholder(tf.float32, [None, 16])


def test_row_softmax_is_one_kernel():
    x = _rows()
    m = tf.reduce_max(x, axis=-1, keepdims=True)
    e = tf.exp(x - m)
    y = e / tf.reduce_sum(e, axis=-1, keepdims=True)
    ks, _ = launched([y], [x], [(4, 16)])
    assert len(ks) == 1 and ks[0].reduce_axes == (1,)


def test_row_log_softmax_is_one_kernel():
    x = _rows()
    m = tf.reduce_max(x, axis=-1, keepdims=True)
    y = x - m - tf.log(tf.reduce_sum(tf.exp(x - m), axis=-1, keepdims=True))
    ks, _ = launched([y], [x], [(4, 16)])
    assert len(ks) == 1


def test_layer_norm_is_one_kernel():
    x = _rows()
    gamma = tf.placeholder(tf.float32, [16])
    beta = tf.placeholder(tf.float32, [16])
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    d = x - mean
    var = tf.reduce_mean(d * d, axis=-1, keepdims=True)
    y = d * tf.rsqrt(var + 1e-5) * gamma + beta
    ks, _ = launched([y], [x, gamma, beta], [(4, 16), (16,), (16,)])
    assert len(ks) == 1


def test_folded_constant_then_one_kernel():
    x = tf.placeholder(tf.float32, [None])
    kp, _ = kernel_plan([(2.0 * 3.0) * x + 0.0], [x], [(10,)])
    assert len(kp.launched) == 1
    consts = [n.attrs["value"] for n in kp.program.nodes if n.type == "Const"]
    assert [float(c) for c in consts] == [6.0]


def test_elementwise_chain_allocates_no_intermediates():
    x = tf.placeholder(tf.float32, [None])
    y = x
    for _ in range(5):
        y = tf.sin(y) * 1.5 + 0.25   # 10 elementwise ops
    ks, mp = launched([y], [x], [(64,)])
    assert len(ks) == 1
    assert len(mp.buffers) == 1          # only the fetched result
    assert mp.buffers[0].values == [kp_out for kp_out in ks[0].outputs]


def test_matmul_with_bias_and_relu_epilogue():
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 4])
    b = tf.placeholder(tf.float32, [4])
    y = tf.nn.relu(tf.matmul(x, w) + b)
    ks, _ = launched([y], [x, w, b], [(2, 8), (8, 4), (4,)])
    assert [k.kind for k in ks] == ["matmul"]
    assert ks[0].op_types == ["MatMul", "Add", "Relu"]


def test_a_matmul_kernel_never_computes_its_own_operand():
    """A pointwise op that reads a matmul's product and the kernel computing its operand (the
    unrolled RNN's gradient: the masked dh, its product with W, and an epilogue reading both), or a
    sibling of the product sharing an input, joins the matmul without that kernel: a kernel's
    template reads its operands from memory, and one that computes them would fall back to numpy."""
    x = tf.placeholder(tf.float32, [None, 8])
    y = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 8])
    a = x * y
    through_both = tf.matmul(a, w) + a
    sibling = tf.matmul(tf.tanh(x), w) + x
    ks, _ = launched([through_both, sibling], [x, y, w], [(4, 8), (4, 8), (8, 8)])
    for k in ks:
        made = {v for n in k.nodes for v in n.outputs}
        for n in k.nodes:
            if n.type == "MatMul":
                assert k.kind == "matmul" and not made & set(n.inputs), k.op_types
    xv, yv, wv = (np.random.RandomState(i).rand(*s).astype(np.float32) for i, s in enumerate([(4, 8), (4, 8), (8, 8)]))
    feed = {x: xv, y: yv, w: wv}
    got = tf.Session(backend="numba").run([through_both, sibling], feed)
    np.testing.assert_allclose(got[0], (xv * yv) @ wv + xv * yv, rtol=1e-5)
    np.testing.assert_allclose(got[1], np.tanh(xv) @ wv + xv, rtol=1e-5, atol=1e-6)


def test_fusion_never_duplicates_work():
    x = tf.placeholder(tf.float32, [None, 8])
    e = tf.exp(x)
    y1 = tf.reduce_sum(e, axis=0)
    y2 = e * 2.0
    kp, _ = kernel_plan([y1, y2], [x], [(3, 8)])
    counts = [t for k in kp.kernels for t in k.op_types]
    assert counts.count("Exp") == 1


def test_a_buffer_lives_as_long_as_the_views_of_its_value():
    """tensordot's gradient reads a reshape of the forward transpose after two more kernels: the
    transpose's buffer must not be handed to their outputs in between."""
    a = tf.placeholder(tf.float64, [2, 3, 4])
    b = tf.placeholder(tf.float64, [4, 3, 5])
    y = tf.tensordot(a, b, [[2, 1], [0, 1]])
    grads = tf.gradients(y, [a, b])
    kplan, mplan = kernel_plan([y] + grads, [a, b], [(2, 3, 4), (4, 3, 5)])
    transposed = next(k.outputs[0] for k in kplan.kernels if k.op_types == ["Transpose"])
    buffer = mplan.storage[transposed].ref
    assert mplan.buffers[buffer].values == [transposed]


def test_memory_plan_reuses_dead_buffers():
    x = tf.placeholder(tf.float32, [8, 8])
    w = tf.placeholder(tf.float32, [8, 8])
    h = tf.matmul(x, w)
    h = tf.matmul(h, w)
    h = tf.matmul(h, w)
    _, mp = launched([h], [x, w], [(8, 8), (8, 8)])
    assert len(mp.buffers) <= 2
    assert mp.peak_bytes == 2 * 8 * 8 * 4


@pytest.mark.parametrize("rows,overwrites", [(64, True), (128, False), (1024, True)])
def test_a_backend_may_keep_mid_size_outputs_off_their_inputs_buffers(rows, overwrites):
    """numba_cpu.NO_OVERWRITE = (2**14, 2**17): a pointwise kernel of 128 x 128 = 2**14 output
    elements writes a new buffer, not its dying input's; 64 x 128 and 1024 x 128 still overwrite."""
    x = tf.placeholder(tf.float32, [rows // 2, 128])
    joined = tf.concat([x, x * 2.0], 0)          # an opaque kernel's buffer, read only by the tanh
    y = tf.tanh(joined) + 1.0
    plan = RunPlan([y], [], [x])
    kplan, default = pipeline.compile_plan(plan, [(rows // 2, 128)])
    _, numba = pipeline.compile_plan(plan, [(rows // 2, 128)], no_overwrite=numba_cpu.NO_OVERWRITE)
    assert [what for _, what in default.inplace if "overwrites" in what]
    assert bool([what for _, what in numba.inplace if "overwrites" in what]) is overwrites
    assert numba_cpu.NO_OVERWRITE == (numba_steps.INPLACE_PRANGE_MIN, 2 ** 17)
    job = driver.CompileJob(driver.BACKENDS["numba"], plan, ((rows // 2, 128),))     # what numba compiles
    assert bool([w for _, w in job.memory_plan.inplace if "overwrites" in w]) is overwrites


def test_variable_update_in_place():
    v = tf.Variable(np.zeros(5, np.float32))
    g = tf.placeholder(tf.float32, [5])
    step = tf.assign_sub(v, 0.1 * g)
    plan = RunPlan([], [step.op], [g])
    kp, mp = pipeline.compile_plan(plan, [(5,)])
    assert len(kp.launched) == 1
    assert any("in place" in what for _, what in mp.inplace)


def test_lecture_sgd_step_is_at_most_two_kernels():
    x = tf.placeholder(tf.float32, name="x")
    y_true = tf.placeholder(tf.float32, name="y_true")
    w = tf.Variable(0.2, name="w")
    b = tf.Variable(0.7, name="b")
    y = w * x + b
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(tf.square(y - y_true))
    kp, _ = pipeline.compile_plan(RunPlan([y], [train_op], [x, y_true]), [(), ()])
    assert len(kp.launched) <= 2


def test_adam_is_one_kernel_per_variable_plus_one():
    p = tf.Variable(np.zeros((4, 3), np.float32))
    q = tf.Variable(np.zeros(5, np.float32))
    g1 = tf.placeholder(tf.float32, [4, 3])
    g2 = tf.placeholder(tf.float32, [5])
    step = tf.train.AdamOptimizer(0.01).apply_gradients([(g1, p), (g2, q)])
    kp, mp = pipeline.compile_plan(RunPlan([], [step], [g1, g2]), [(4, 3), (5,)])
    assert len(kp.launched) == 2 + 1
    per_var = [k for k in kp.launched if k.space.as_list() in ([4, 3], [5])]
    assert len(per_var) == 2
    written_in_place = {what.split()[0] for _, what in mp.inplace}
    assert {p.op.name, q.op.name, f"{p.op.name}/Adam", f"{p.op.name}/Adam_1"} <= written_in_place


def test_softmax_cross_entropy_loss_is_at_most_two_kernels():
    logits = tf.placeholder(tf.float32, [None, 10])
    labels = tf.placeholder(tf.float32, [None, 10])
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
    kp, _ = pipeline.compile_plan(RunPlan([loss], [], [logits, labels]), [(8, 10), (8, 10)])
    assert len(kp.launched) <= 2


def test_session_compile_returns_the_run_cache_entry(tmp_path):
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.nn.softmax(x)
    sess = tf.Session(backend="interpret")
    feed = {x: np.zeros((3, 4), np.float32)}
    exe = sess.compile(y, feed)
    assert [k.kind for k in exe.kernels] == ["reduction"]
    assert exe.kernels[0].op_types == ["Max", "Sub", "Exp", "Sum", "RealDiv"]
    assert exe.peak_bytes == 3 * 4 * 4     # only the result: row max and sum never leave the kernel
    sess.run(y, feed)
    assert sess.compile(y, feed) is exe


def test_visualize_draws_kernels_as_clusters(tmp_path):
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.nn.relu(tf.matmul(x, tf.ones([4, 2])) + 1.0)
    sess = tf.Session(backend="interpret")
    out = tf.visualize(y, {x: np.ones((2, 4))}, str(tmp_path / "g.dot"), session=sess)
    text = (tmp_path / "g.dot").read_text()
    assert out.endswith((".dot", ".svg"))
    assert "subgraph cluster_0" in text and "matmul" in text and "Relu" in text


def test_kernels_stay_a_dag_when_siblings_merge():
    # each candidate group is convex, but merging b*b with the gradient's AddN group would make
    # the kernels need each other's outputs
    a = tf.placeholder(tf.float64, [2, 3])
    b = tf.placeholder(tf.float64, [3])
    y = tf.where(a > 0.0, a * b, b * b)
    grads = tf.gradients(y, [a, b])
    kp, _ = kernel_plan([y] + grads, [a, b], [(2, 3), (3,)])
    produced = {}
    for k in kp.kernels:
        for v in k.inputs:
            owner = produced.get(v.op.id)
            assert owner is None or owner < k.index, f"kernel {k.index} reads {v} from later kernel {owner}"
        for n in k.nodes:
            produced[n.id] = k.index


def test_graphc_dump_writes_passes_plans_and_generated_code(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_DUMP", str(tmp_path))
    x = tf.placeholder(tf.float32, [None])
    y = tf.tanh(x * 2.0) + 1.0
    tf.Session(backend="numba").run(y, {x: np.ones(4)})
    (compile_dir,) = [p for p in tmp_path.iterdir() if p.name.startswith("compile_")]
    names = sorted(p.name for p in compile_dir.iterdir())
    assert names[0].startswith("00_ir_initial") and "output_code.py" in names
    code = (compile_dir / "output_code.py").read_text()
    assert "@numba.njit" in code and "Tanh" in code


def test_graphc_dump_cli_runs_a_script(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "prog.py"
    script.write_text("import graphc as tf\nx = tf.placeholder(tf.float32)\n"
                      "print(tf.Session().run(x * 3.0, {x: 2.0}))\n")
    env = {k: v for k, v in os.environ.items() if k != "GRAPHC_BACKEND"}   # the default backend
    out = subprocess.run([sys.executable, "-m", "graphc.cli", "dump", "-o", str(tmp_path / "d"), str(script)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "6.0"
    (compile_dir,) = [p for p in (tmp_path / "d").iterdir() if p.name.startswith("compile_")]
    assert "@numba.njit" in (compile_dir / "output_code.py").read_text()


def test_conv2d_takes_its_bias_and_activation_epilogue():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    w = tf.placeholder(tf.float32, [3, 3, 3, 4])
    b = tf.placeholder(tf.float32, [4])
    y = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), b))
    ks, _ = launched([y], [x, w, b], [(2, 8, 8, 3), (3, 3, 3, 4), (4,)])
    assert [k.kind for k in ks] == ["conv"]
    assert ks[0].op_types[0] == "Conv2D" and "Relu" in ks[0].op_types


THIN = [((5, 1, 4), "outer product"), ((1, 6, 4), "one row"), ((5, 6, 1), "one column"), ((1, 1, 1), "scalar")]


@pytest.mark.parametrize("dims,_what", THIN)
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_a_product_with_a_dimension_of_one_becomes_elementwise_work(dims, _what, transpose_a, transpose_b):
    m, k, n = dims
    rs = np.random.RandomState(m * 100 + k * 10 + n)
    a_value = rs.randn(*((k, m) if transpose_a else (m, k)))
    b_value = rs.randn(*((n, k) if transpose_b else (k, n)))
    want = (a_value.T if transpose_a else a_value) @ (b_value.T if transpose_b else b_value)
    # a's first dim unknown (a batch): an outer product needs only K static; a one-row or
    # one-column product needs its matrix operand's size (THIN_SUM_MAX)
    unknown_first_dim = [False] + ([True] if not transpose_a and k == 1 else [])
    for batch_unknown in unknown_first_dim:
        with tf.Graph().as_default():
            a_shape = [None, a_value.shape[1]] if batch_unknown else list(a_value.shape)
            a = tf.placeholder(tf.float64, a_shape)
            b = tf.placeholder(tf.float64, b_value.shape)
            y = tf.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
            prog = program([y], [a, b])
            simplify.run(prog)
            assert "MatMul" not in types(prog)
            for backend in BACKENDS:
                with tf.Session(backend=backend) as sess:
                    got = sess.run(y, {a: a_value, b: b_value})
                assert got.shape == want.shape
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_product_without_a_dimension_of_one_or_a_big_matrix_vector_product_stays_a_product():
    a = tf.placeholder(tf.float32, [2, 3])
    big = tf.placeholder(tf.float32, [None, 3])           # its row count unknown: maybe big
    wide = tf.placeholder(tf.float32, [1, 512])
    products = [tf.matmul(a, tf.ones([3, 2])), tf.matmul(big, tf.ones([3, 1])),
                tf.matmul(wide, tf.ones([512, 512 + 1]))]     # 512 x 513 > THIN_SUM_MAX
    prog = program(products, [a, big, wide])
    simplify.run(prog)
    assert [v.op.type for v in prog.fetches] == ["MatMul"] * 3


def test_sibling_sums_added_together_become_one_reduction():
    xs = [tf.placeholder(tf.float64, [None, 3]) for _ in range(3)]
    shared = tf.reduce_sum(xs[0] * 2.0, axis=0)
    y = tf.add_n([tf.reduce_sum(x * x, axis=0) for x in xs])
    z = tf.add_n([shared, tf.reduce_sum(xs[1], axis=0)]) + shared     # a term read twice stays
    w = tf.reduce_sum(xs[0], axis=0) + tf.reduce_sum(xs[1], axis=1)     # other axes: not joined
    prog = program([y, z, w], xs)
    assert join_sums.run(prog)
    y_op = prog.fetches[0].op
    assert y_op.type == "Sum" and y_op.inputs[0].op.type == "AddN" and types(prog).count("Sum") == 5
    rs = np.random.RandomState(5)
    values = [rs.randn(4, 3) for _ in xs]
    for backend in BACKENDS:
        with tf.Session(backend=backend) as sess:
            got = sess.run([y, z], dict(zip(xs, values)))
        np.testing.assert_allclose(got[0], sum((v * v).sum(axis=0) for v in values), rtol=1e-12)
        np.testing.assert_allclose(got[1], 4 * values[0].sum(axis=0) + values[1].sum(axis=0), rtol=1e-12)
