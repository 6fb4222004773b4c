"""The compile driver and the backend registry (graphc/codegen/driver.py)."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import driver
from graphc.passes import pipeline
from graphc.passes.run_plan import RunPlan
from graphc.runtime.session import SessionState


@pytest.fixture
def pipeline_calls(monkeypatch):
    """Counts the runs of the pass pipeline."""
    calls = []
    real = pipeline.compile_plan

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "compile_plan", counted)
    return calls


def _plan():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    return RunPlan([tf.nn.softmax(x * 2.0)], [], [x])


@pytest.mark.parametrize("backend", [b for b in driver.available_backends() if b not in ("auto", "eager")])
def test_the_pipeline_runs_once_per_compile(backend, pipeline_calls):
    exe = driver.compile_run(backend, _plan(), [(2, 3)])
    assert len(pipeline_calls) == 1
    assert exe.kernel_plan is exe.kernel_plan and exe.peak_bytes >= 0 and exe.kernels
    assert len(pipeline_calls) == 1
    out, _ = exe.run([np.ones((2, 3), np.float32)], SessionState())
    np.testing.assert_allclose(out[0], np.full((2, 3), 1 / 3, np.float32), rtol=1e-6)


def test_eager_plans_only_when_asked(pipeline_calls):
    exe = driver.compile_run("eager", _plan(), [(2, 3)])
    assert pipeline_calls == []
    assert exe.kernels
    assert len(pipeline_calls) == 1
    exe.peak_bytes
    assert len(pipeline_calls) == 1


_JOBS = []


def compile(job):
    """This module as a registered backend ("recorder"): keeps the job, compiles with interpret."""
    _JOBS.append(job)
    return driver.BACKENDS["interpret"].compile(job)


def test_a_backend_gets_one_job_with_the_plans_and_compiles_subplans_through_it(monkeypatch):
    monkeypatch.setitem(driver.BACKENDS, "recorder", driver.Backend("recorder", __name__))
    _JOBS.clear()
    device = object()
    plan = _plan()
    exe = driver.compile_run("recorder", plan, [(2, 3)], device)
    (job,) = _JOBS
    assert job.plan is plan and job.feed_shapes == [(2, 3)] and job.device is device
    assert exe.kernel_plan is job.kernel_plan and exe.memory_plan is job.memory_plan
    y = tf.placeholder(tf.float32, [4], name="y")
    sub = job.compile_subplan(RunPlan([y + 1.0], [], [y]), [(4,)])
    assert len(_JOBS) == 2 and _JOBS[1].backend is job.backend and _JOBS[1].device is device
    assert sub.run([np.zeros(4, np.float32)], SessionState())[0][0].tolist() == [1.0] * 4


def test_registry_names_and_unknown_backends():
    assert driver.available_backends()[0] == "auto"
    assert set(driver.available_backends()) <= set(driver.names())
    assert {"numba", "eager", "interpret", "triton"} <= set(driver.names())
    assert driver.resolve("auto").name in driver.available_backends()
    assert not driver.BACKENDS["eager"].shape_specialized
    with pytest.raises(ValueError, match="Unknown backend 'nope'"):
        tf.Session(backend="nope")
