"""``tf.train.MonitoredSession`` and friends: a Session that initializes or restores the model, runs
hooks around every ``run``, and ends a training loop on a hook's stop request or an OutOfRangeError
(TF1's ``training/monitored_session.py``, one process: a chief and no recovery from lost workers).

It creates Sessions, so it sits above the runtime; ``graphc/__init__.py`` adds TRAIN_NAMES to ``tf.train``.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Optional

from graphc import errors
from graphc.graph import GraphKeys, add_to_collection, get_collection, get_default_graph
from graphc.ops.source import group
from graphc.queue_runner import Coordinator, start_queue_runners
from graphc.runtime.session import Session
from graphc.summary import merge_all
from graphc.train.basic_session_run_hooks import (CheckpointSaverHook, StepCounterHook,
                                                  SummarySaverHook)
from graphc.train.checkpoint_state import get_checkpoint_state
from graphc.train.saver import Saver
from graphc.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunValues
from graphc.variables import global_variables_initializer, local_variables_initializer

_SAVERS = "savers"
_SUMMARY_OP = "summary_op"
_LOCAL_INIT_OP = "local_init_op"
USE_DEFAULT = object()


def _get_or_default(key: str, default: Callable[[], Any]) -> Any:
    """The single op in collection ``key``, or ``default()`` added to it."""
    found = get_collection(key)
    if len(found) > 1:
        raise RuntimeError(f"More than one item in collection {key}. Please indicate which one to use by "
                           f"passing it to the constructor.")
    if found:
        return found[0]
    op = default()
    if op is not None:
        add_to_collection(key, op)
    return op


class Scaffold:
    """The ops that make a model ready: ``init_op`` (default: initialize the global variables),
    ``local_init_op`` (the local ones), ``summary_op`` (``merge_all``) and the ``saver``; ``finalize``
    fills in the defaults and freezes the graph."""

    def __init__(self, init_op: Any = None, init_feed_dict: Any = None, init_fn: Optional[Callable] = None,
                 ready_op: Any = None, ready_for_local_init_op: Any = None, local_init_op: Any = None,
                 summary_op: Any = None, saver: Optional[Saver] = None, copy_from_scaffold: Any = None) -> None:
        if copy_from_scaffold is not None:
            init_op = init_op or copy_from_scaffold.init_op
            init_feed_dict = init_feed_dict or copy_from_scaffold.init_feed_dict
            init_fn = init_fn or copy_from_scaffold._user_init_fn
            ready_op = ready_op or copy_from_scaffold.ready_op
            ready_for_local_init_op = ready_for_local_init_op or copy_from_scaffold.ready_for_local_init_op
            local_init_op = local_init_op or copy_from_scaffold.local_init_op
            summary_op = summary_op or copy_from_scaffold.summary_op
            saver = saver or copy_from_scaffold.saver
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._init_op, self._init_feed_dict = init_op, init_feed_dict
        self._ready_op, self._ready_for_local_init_op = ready_op, ready_for_local_init_op
        self._local_init_op, self._summary_op, self._saver = local_init_op, summary_op, saver

    def finalize(self) -> "Scaffold":
        """Creates the missing ops and finalizes the default graph."""
        if self._init_op is None:
            self._init_op = _get_or_default(GraphKeys.INIT_OP, lambda: group(global_variables_initializer()))
        if self._local_init_op is None:
            self._local_init_op = _get_or_default(_LOCAL_INIT_OP, lambda: group(local_variables_initializer()))
        if self._summary_op is None:
            self._summary_op = _get_or_default(_SUMMARY_OP, merge_all)
        if self._saver is None:
            self._saver = _get_or_default(_SAVERS, lambda: Saver(sharded=True, allow_empty=True))
        get_default_graph().finalize()
        return self

    init_op = property(lambda self: self._init_op, doc="The op that initializes the model when no checkpoint is restored.")
    init_feed_dict = property(lambda self: self._init_feed_dict, doc="The feeds of ``init_op``.")
    init_fn = property(lambda self: self._init_fn, doc="Called as ``init_fn(session)`` after ``init_op``.")
    ready_op = property(lambda self: self._ready_op, doc="As given (graphc does not check readiness).")
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op, doc="As given.")
    local_init_op = property(lambda self: self._local_init_op, doc="Run after every init or restore.")
    summary_op = property(lambda self: self._summary_op, doc="The summaries SummarySaverHook writes.")
    saver = property(lambda self: self._saver, doc="The Saver for checkpoints.")


class ChiefSessionCreator:
    """Makes a Session and readies its model: restores the latest checkpoint in ``checkpoint_dir``
    (or ``checkpoint_filename_with_path``) if there is one, else runs the scaffold's init op and
    ``init_fn``; then runs the local init op."""

    def __init__(self, scaffold: Optional[Scaffold] = None, master: str = "", config: Any = None,
                 checkpoint_dir: Optional[str] = None, checkpoint_filename_with_path: Optional[str] = None) -> None:
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_path = checkpoint_filename_with_path
        self._scaffold = scaffold or Scaffold()
        self._config = config

    def create_session(self) -> Session:
        """A new, ready Session on the default graph."""
        self._scaffold.finalize()
        sess = Session(config=self._config)
        state = get_checkpoint_state(self._checkpoint_dir) if self._checkpoint_dir else None
        if self._checkpoint_path:
            self._scaffold.saver.restore(sess, self._checkpoint_path)
        elif state is not None and state.model_checkpoint_path:
            self._scaffold.saver.restore(sess, state.model_checkpoint_path)
            # the Saver's max_to_keep then counts the checkpoints already there, as in TF1
            self._scaffold.saver.recover_last_checkpoints(list(state.all_model_checkpoint_paths))
        else:
            if self._scaffold.init_op is not None:
                sess.run(self._scaffold.init_op, feed_dict=self._scaffold.init_feed_dict)
            if self._scaffold.init_fn:
                self._scaffold.init_fn(sess)
        if self._scaffold.local_init_op is not None:
            sess.run(self._scaffold.local_init_op)
        return sess


class StepContext:
    """What ``run_step_fn`` hands its function: the raw session, a run with hooks, and a stop request."""

    def __init__(self, session: Any, run_with_hooks_fn: Callable[..., Any]) -> None:
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn

    @property
    def session(self) -> Any:
        """The underlying Session (its runs call no hooks)."""
        return self._session

    def run_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        """``MonitoredSession.run``: the hooks' ``before_run``/``after_run`` around it."""
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self) -> None:
        """Ends the loop: raises StopIteration, which the ``with`` block swallows."""
        raise StopIteration("step_fn has requested the iterations to stop.")


def _refuse_overlap(feeds: dict, more: dict, message: str) -> None:
    overlap = [t for t in more if any(t is f for f in feeds)]
    if overlap:
        raise RuntimeError(f"{message} Conflict(s): {overlap}")


class _MonitoredSessionBase:
    def __init__(self, session_creator: Any, hooks: Any, stop_grace_period_secs: float) -> None:
        self._graph = get_default_graph()
        self._graph_was_finalized = self._graph.finalized
        self._hooks = list(hooks or [])
        self._grace = stop_grace_period_secs
        for hook in self._hooks:
            hook.begin()
        self._tf_sess: Optional[Session] = session_creator.create_session()
        self._coord = Coordinator()
        start_queue_runners(self._tf_sess, self._coord)
        for hook in self._hooks:
            hook.after_create_session(self._tf_sess, self._coord)
        self._should_stop = False

    @property
    def graph(self) -> Any:
        """The graph the session runs."""
        return self._graph

    def _hook_feeds(self, context: SessionRunContext, fetch_dict: dict, user_feeds: Any) -> Any:
        hook_feeds: dict = {}
        for i, hook in enumerate(self._hooks):
            request = hook.before_run(context)
            if request is None:
                continue
            if request.fetches is not None:
                fetch_dict[i] = request.fetches
            if request.feed_dict:
                _refuse_overlap(hook_feeds, request.feed_dict, "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
        if not hook_feeds:
            return user_feeds
        if not user_feeds:
            return hook_feeds
        _refuse_overlap(user_feeds, hook_feeds, "Same tensor is fed by a SessionRunHook and user.")
        hook_feeds.update(user_feeds)
        return hook_feeds

    def run(self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None) -> Any:
        """Runs ``fetches`` with every hook's ``before_run``/``after_run`` around it."""
        if self._tf_sess is None:
            raise RuntimeError("Session is already closed.")
        if self._should_stop:
            raise RuntimeError("Run called even after should_stop requested.")
        context = SessionRunContext(SessionRunArgs(fetches, feed_dict), self._tf_sess)
        fetch_dict: dict = {"caller": fetches}
        feeds = self._hook_feeds(context, fetch_dict, feed_dict)
        try:
            outputs = self._tf_sess.run(fetch_dict, feed_dict=feeds, options=options, run_metadata=run_metadata)
        except Exception:  # a queue runner's failure is the better explanation of a closed queue
            self._coord.raise_requested_exception()
            raise
        for i, hook in enumerate(self._hooks):
            hook.after_run(context, SessionRunValues(outputs.get(i), options, run_metadata))
        self._should_stop = self._should_stop or context.stop_requested
        return outputs["caller"]

    def run_step_fn(self, step_fn: Callable[[Any], Any]) -> Any:
        """Calls ``step_fn(step_context)``: ``step_context.session`` is the raw Session,
        ``step_context.run_with_hooks(...)`` runs with the hooks, ``step_context.request_stop()`` ends the loop."""
        params = [p for p in inspect.signature(step_fn).parameters]
        if params != ["step_context"]:
            raise ValueError("`step_fn` may either have one `step_context` argument, or `self` and `step_context` "
                             f"arguments if it's an instance method. Got {tuple(params)} instead.")
        try:
            return step_fn(StepContext(self._tf_sess, self.run))
        except StopIteration:
            self._should_stop = True
            raise

    def should_stop(self) -> bool:
        """True once a hook requested a stop, the coordinator stopped, or the session closed."""
        return self._tf_sess is None or self._should_stop or self._coord.should_stop()

    def close(self) -> None:
        """Calls every hook's ``end`` and closes the session."""
        self._close(None)

    def _close(self, exception_type: Any) -> None:
        if self._tf_sess is None:
            raise RuntimeError("Session is already closed.")
        try:
            if exception_type is None:
                for hook in self._hooks:
                    hook.end(self._tf_sess)
        finally:
            try:
                self._coord.request_stop()
                self._coord.join(stop_grace_period_secs=self._grace, ignore_live_threads=True)
            finally:
                self._tf_sess.close()
                self._tf_sess = None
                if not self._graph_was_finalized:
                    self._graph._unsafe_unfinalize()

    def __enter__(self) -> "_MonitoredSessionBase":
        return self

    def __exit__(self, exception_type: Any, exception_value: Any, traceback: Any) -> bool:
        # the end of the input ends the loop, as in TF1: hooks' end runs and the error is swallowed
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close(exception_type)
        return exception_type is None


class MonitoredSession(_MonitoredSessionBase):
    """A session for training loops: ``session_creator`` (default ChiefSessionCreator) readies it,
    ``hooks`` run around each ``run``, ``should_stop()`` ends the loop."""

    def __init__(self, session_creator: Any = None, hooks: Any = None, stop_grace_period_secs: float = 120) -> None:
        super().__init__(session_creator or ChiefSessionCreator(), hooks, stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSessionBase):
    """A MonitoredSession made from a scaffold and a checkpoint directory; ``raw_session()`` is its Session."""

    def __init__(self, hooks: Any = None, scaffold: Optional[Scaffold] = None, master: str = "", config: Any = None,
                 checkpoint_dir: Optional[str] = None, stop_grace_period_secs: float = 120,
                 checkpoint_filename_with_path: Optional[str] = None) -> None:
        creator = ChiefSessionCreator(scaffold=scaffold, master=master, config=config, checkpoint_dir=checkpoint_dir,
                                      checkpoint_filename_with_path=checkpoint_filename_with_path)
        super().__init__(creator, hooks, stop_grace_period_secs)

    def raw_session(self) -> Optional[Session]:
        """The underlying Session (running it calls no hooks)."""
        return self._tf_sess


def _pick(steps: Any, secs: Any, default_steps: Any, default_secs: Any) -> tuple:
    if steps is USE_DEFAULT and secs is USE_DEFAULT:
        return default_steps, default_secs
    return (None if steps is USE_DEFAULT else steps), (None if secs is USE_DEFAULT else secs)


def MonitoredTrainingSession(master: str = "", is_chief: bool = True, checkpoint_dir: Optional[str] = None,  # noqa: N802
                             scaffold: Optional[Scaffold] = None, hooks: Any = None, chief_only_hooks: Any = None,
                             save_checkpoint_secs: Any = USE_DEFAULT, save_summaries_steps: Any = USE_DEFAULT,
                             save_summaries_secs: Any = USE_DEFAULT, config: Any = None,
                             stop_grace_period_secs: float = 120, log_step_count_steps: int = 100,
                             max_wait_secs: float = 7200, save_checkpoint_steps: Any = USE_DEFAULT,
                             summary_dir: Optional[str] = None, save_graph_def: bool = True) -> MonitoredSession:
    """A MonitoredSession with TF1's standard hooks: with ``checkpoint_dir`` it restores the latest
    checkpoint there and saves one every ``save_checkpoint_secs`` (600) or ``save_checkpoint_steps``;
    summaries every ``save_summaries_steps`` (100) and steps/sec every ``log_step_count_steps`` go to
    ``summary_dir`` (default ``checkpoint_dir``)."""
    if not is_chief:
        raise ValueError("graphc runs one process per graph, with no chief to wait for: is_chief=False (a worker "
                         "of a parameter-server cluster) is not supported; data-parallel programs run every rank "
                         "as a chief (see graphc.distribute).")
    summary_steps, summary_secs = _pick(save_summaries_steps, save_summaries_secs, 100, None)
    checkpoint_steps, checkpoint_secs = _pick(save_checkpoint_steps, save_checkpoint_secs, None, 600)
    scaffold = scaffold or Scaffold()
    all_hooks = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir, config=config)
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(StepCounterHook(output_dir=summary_dir, every_n_steps=log_step_count_steps))
        if (summary_steps and summary_steps > 0) or (summary_secs and summary_secs > 0):
            all_hooks.append(SummarySaverHook(scaffold=scaffold, save_steps=summary_steps, save_secs=summary_secs,
                                              output_dir=summary_dir))
    if checkpoint_dir and ((checkpoint_secs and checkpoint_secs > 0) or (checkpoint_steps and checkpoint_steps > 0)):
        all_hooks.append(CheckpointSaverHook(checkpoint_dir, save_steps=checkpoint_steps, save_secs=checkpoint_secs,
                                             scaffold=scaffold))
    all_hooks.extend(hooks or [])
    return MonitoredSession(session_creator=creator, hooks=all_hooks, stop_grace_period_secs=stop_grace_period_secs)


TRAIN_NAMES = ("ChiefSessionCreator", "MonitoredSession", "MonitoredTrainingSession", "Scaffold",
               "SingularMonitoredSession")

__all__ = list(TRAIN_NAMES)
