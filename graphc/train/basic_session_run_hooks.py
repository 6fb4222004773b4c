"""TF1's standard hooks: stop at a step, save checkpoints and summaries, log tensors, fail on NaN loss,
count steps per second (``training/basic_session_run_hooks.py``)."""
from __future__ import annotations

import itertools
import os
import time
from typing import Any, Callable, Optional

import numpy as np

from graphc import summary as _summary
from graphc import tf_logging as logging
from graphc.graph import get_default_graph
from graphc.train.saver import Saver
from graphc.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues
from graphc.train.training_util import get_global_step


class SecondOrStepTimer:
    """Triggers every ``every_secs`` seconds or every ``every_steps`` steps (exactly one of them)."""

    def __init__(self, every_secs: Optional[float] = None, every_steps: Optional[int] = None) -> None:
        if (every_secs is None) == (every_steps is None):
            raise ValueError("Either every_secs or every_steps should be provided." if every_secs is None
                             else "Can not provide both every_secs and every_steps.")
        self._every_secs = every_secs
        self._every_steps = every_steps
        self.reset()

    def reset(self) -> None:
        """Forgets the last trigger: the next step triggers."""
        self._last_time: Optional[float] = None
        self._last_step: Optional[int] = None

    def should_trigger_for_step(self, step: int) -> bool:
        """True for the first step, then once the time or step interval has passed since the last trigger."""
        if self._last_step is None:
            return True
        if self._last_step == step:
            return False
        if self._every_secs is not None and self._last_time is not None:
            return time.time() >= self._last_time + self._every_secs
        return self._every_steps is not None and step >= self._last_step + self._every_steps

    def update_last_triggered_step(self, step: int) -> tuple:
        """Records a trigger at ``step``; returns (seconds, steps) since the previous one, or (None, None)."""
        now = time.time()
        elapsed = (None, None) if self._last_time is None or self._last_step is None else (
            now - self._last_time, step - self._last_step)
        self._last_time, self._last_step = now, step
        return elapsed

    def last_triggered_step(self) -> Optional[int]:
        """The step of the last trigger, or None."""
        return self._last_step


def _global_step_or_raise(hook_name: str) -> Any:
    step = get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook_name}.")
    return step


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches ``last_step`` (or ``num_steps`` past its value at start)."""

    def __init__(self, num_steps: Optional[int] = None, last_step: Optional[int] = None) -> None:
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        if num_steps is not None and num_steps < 0:
            raise ValueError("num_steps must be non-negative.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self) -> None:
        self._global_step_tensor = _global_step_or_raise("StopAtStepHook")

    def after_create_session(self, session: Any, coord: Any) -> None:
        if self._num_steps is not None:
            self._last_step = int(session.run(self._global_step_tensor)) + self._num_steps

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        # results is the step read before the train op ran; read it again to see that op's increment
        if int(run_values.results) + 1 >= self._last_step:
            if int(run_context.session.run(self._global_step_tensor)) >= self._last_step:
                run_context.request_stop()


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint when the session starts, every ``save_secs`` or ``save_steps``, and at the end."""

    def __init__(self, checkpoint_dir: str, save_secs: Optional[float] = None, save_steps: Optional[int] = None,
                 saver: Optional[Saver] = None, checkpoint_basename: str = "model.ckpt", scaffold: Any = None) -> None:
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._checkpoint_dir = checkpoint_dir
        self._save_path = os.path.join(checkpoint_dir, checkpoint_basename)
        self._saver = saver
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        self._global_step_tensor = _global_step_or_raise("CheckpointSaverHook")

    def _get_saver(self) -> Saver:
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        savers = get_default_graph().get_collection("savers")
        if len(savers) != 1:
            raise RuntimeError(f"There should be exactly one saver in the 'savers' collection (found "
                               f"{len(savers)}): pass saver= or scaffold= to CheckpointSaverHook.")
        return savers[0]

    def _save(self, session: Any, step: int) -> None:
        logging.info("Saving checkpoints for %d into %s.", step, self._save_path)
        self._get_saver().save(session, self._save_path, global_step=step)

    def after_create_session(self, session: Any, coord: Any) -> None:
        # TF1's hook creates the directory here (writing graph.pbtxt into it), so a new one works
        os.makedirs(self._checkpoint_dir, exist_ok=True)
        step = int(session.run(self._global_step_tensor))
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if self._timer.should_trigger_for_step(int(run_values.results) + 1):
            step = int(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                self._save(run_context.session, step)

    def end(self, session: Any) -> None:
        step = int(session.run(self._global_step_tensor))
        if step != self._timer.last_triggered_step():
            self._save(session, step)


_WRITER_IDS = itertools.count()


class _LazyWriter:
    """A FileWriter for ``logdir`` made on first use, so a run with nothing to write needs no tensorboardX."""

    def __init__(self, logdir: Optional[str], writer: Any = None) -> None:
        self._logdir = logdir
        self._writer = writer
        self._owned = writer is None

    def add_summary(self, summary: Any, step: int) -> None:
        if self._writer is None:
            if self._logdir is None:  # tensorboardX was missing: warned once, summaries dropped
                return
            try:
                # tensorboardX names event files by the second: two hooks (or two sessions) writing to one
                # directory within a second would share a name, and the later file would replace the earlier
                self._writer = _summary.FileWriter(self._logdir, filename_suffix=f".{os.getpid()}.{next(_WRITER_IDS)}")
            except ImportError as e:
                logging.warning("Summaries are not written to %s: %s", self._logdir, e)
                self._logdir = None
                return
        self._writer.add_summary(summary, step)

    def finish(self) -> None:
        """Flushes a writer given by the caller; closes one made here (tensorboardX's flush leaves queued
        events unwritten, its close writes them)."""
        if self._writer is None:
            return
        if self._owned:
            self._writer.close()
            self._writer = None
        else:
            self._writer.flush()


class SummarySaverHook(SessionRunHook):
    """Runs the summary ops every ``save_steps`` steps or ``save_secs`` seconds and writes their values
    to ``output_dir`` (or ``summary_writer``) at the global step."""

    def __init__(self, save_steps: Optional[int] = None, save_secs: Optional[float] = None,
                 output_dir: Optional[str] = None, summary_writer: Any = None, scaffold: Any = None,
                 summary_op: Any = None) -> None:
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        if output_dir is None and summary_writer is None:
            raise ValueError("output_dir or summary_writer must be provided.")
        self._summary_op = summary_op
        self._scaffold = scaffold
        self._writer = _LazyWriter(output_dir, summary_writer)
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        self._next_step: Optional[int] = None
        self._global_step_tensor = _global_step_or_raise("SummarySaver")

    def _summaries(self) -> list:
        op = self._scaffold.summary_op if self._scaffold is not None else self._summary_op
        if op is None:
            return []
        return list(op) if isinstance(op, (list, tuple)) else [op]

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        self._request_summary = self._next_step is None or self._timer.should_trigger_for_step(self._next_step)
        requests: dict = {"global_step": self._global_step_tensor}
        if self._request_summary and self._summaries():
            requests["summary"] = self._summaries()
        return SessionRunArgs(requests)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        step = int(run_values.results["global_step"]) + 1
        if self._next_step is None or self._request_summary:
            step = int(run_context.session.run(self._global_step_tensor))
        if self._request_summary:
            self._timer.update_last_triggered_step(step)
            for value in run_values.results.get("summary", []):
                self._writer.add_summary(value, step)
        self._next_step = step + 1

    def end(self, session: Any) -> None:
        self._writer.finish()


class StepCounterHook(SessionRunHook):
    """Logs ``global_step/sec`` every ``every_n_steps`` steps (or ``every_n_secs``) and, when an
    ``output_dir`` or ``summary_writer`` is given, writes it as a scalar summary."""

    def __init__(self, every_n_steps: Optional[int] = 100, every_n_secs: Optional[float] = None,
                 output_dir: Optional[str] = None, summary_writer: Any = None) -> None:
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._writer = _LazyWriter(output_dir, summary_writer) if output_dir or summary_writer else None

    def begin(self) -> None:
        self._global_step_tensor = _global_step_or_raise("StepCounterHook")

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        step = int(run_values.results) + 1
        if self._timer.should_trigger_for_step(step):
            secs, steps = self._timer.update_last_triggered_step(step)
            if secs is not None and secs > 0:
                rate = steps / secs
                logging.info("global_step/sec: %g", rate)
                if self._writer is not None:
                    self._writer.add_summary(_summary.encode_scalar("global_step/sec", rate), step)

    def end(self, session: Any) -> None:
        if self._writer is not None:
            self._writer.finish()


class LoggingTensorHook(SessionRunHook):
    """Logs the values of ``tensors`` (a list of tensors or names, or a dict of tag -> tensor) every
    ``every_n_iter`` runs or ``every_n_secs`` seconds, and/or at the end (``at_end``)."""

    def __init__(self, tensors: Any, every_n_iter: Optional[int] = None, every_n_secs: Optional[float] = None,
                 at_end: bool = False, formatter: Optional[Callable[[dict], str]] = None) -> None:
        only_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError("either at_end and/or exactly one of every_n_iter and every_n_secs must be provided.")
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if isinstance(tensors, dict):
            self._tag_order = sorted(tensors)
        else:
            self._tag_order = list(tensors)
            tensors = {item: item for item in tensors}
        self._tensors = tensors
        self._timer = None if only_at_end else SecondOrStepTimer(every_secs=every_n_secs, every_steps=every_n_iter)
        self._log_at_end = at_end
        self._formatter = formatter

    def begin(self) -> None:
        if self._timer is not None:
            self._timer.reset()
        self._iter_count = 0
        graph = get_default_graph()
        self._current = {tag: graph.as_graph_element(t) if isinstance(t, str) else t
                         for tag, t in self._tensors.items()}

    def before_run(self, run_context: SessionRunContext) -> Optional[SessionRunArgs]:
        self._should_trigger = self._timer is not None and self._timer.should_trigger_for_step(self._iter_count)
        return SessionRunArgs(self._current) if self._should_trigger else None

    def _log(self, values: dict) -> None:
        old = np.get_printoptions()
        np.set_printoptions(suppress=True)
        try:
            secs = self._timer.update_last_triggered_step(self._iter_count)[0] if self._timer else None
            if self._formatter is not None:
                logging.info(self._formatter(values))
            else:
                stats = ", ".join(f"{tag} = {values[tag]}" for tag in self._tag_order)
                if secs is not None:
                    logging.info("%s (%.3f sec)", stats, secs)
                else:
                    logging.info("%s", stats)
        finally:
            np.set_printoptions(**old)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if self._should_trigger:
            self._log(run_values.results)
        self._iter_count += 1

    def end(self, session: Any) -> None:
        if self._log_at_end:
            self._log(session.run(self._current))


class NanLossDuringTrainingError(RuntimeError):
    """Raised by NanTensorHook when the loss is NaN."""

    def __str__(self) -> str:
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Raises NanLossDuringTrainingError (or, without ``fail_on_nan_loss``, requests a stop) when
    ``loss_tensor`` is NaN."""

    def __init__(self, loss_tensor: Any, fail_on_nan_loss: bool = True) -> None:
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if np.isnan(run_values.results):
            message = "Model diverged with loss = NaN."
            if self._fail_on_nan_loss:
                logging.error(message)
                raise NanLossDuringTrainingError
            logging.warning(message)
            run_context.request_stop()


__all__ = ["CheckpointSaverHook", "LoggingTensorHook", "NanLossDuringTrainingError", "NanTensorHook",
           "SecondOrStepTimer", "StepCounterHook", "StopAtStepHook", "SummarySaverHook"]
