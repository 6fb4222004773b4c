"""``tf.train``: TF1 optimizers, the global step, learning-rate schedules and checkpoints (Saver, readers)."""
from graphc.train.optimizer import Optimizer
from graphc.train.gradient_descent import GradientDescentOptimizer
from graphc.train.momentum import MomentumOptimizer
from graphc.train.adagrad import AdagradOptimizer
from graphc.train.adadelta import AdadeltaOptimizer
from graphc.train.adam import AdamOptimizer
from graphc.train.rmsprop import RMSPropOptimizer
from graphc.train.training_util import (assert_global_step, create_global_step, get_global_step,
                                        get_or_create_global_step, global_step)
from graphc.train.learning_rate_decay import (cosine_decay, exponential_decay, inverse_time_decay, natural_exp_decay,
                                              piecewise_constant, polynomial_decay)
from graphc.train.moving_averages import ExponentialMovingAverage
from graphc.train.saver import Saver
from graphc.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues
from graphc.train.basic_session_run_hooks import (CheckpointSaverHook, LoggingTensorHook, NanLossDuringTrainingError,
                                                  NanTensorHook, SecondOrStepTimer, StepCounterHook, StopAtStepHook,
                                                  SummarySaverHook)
from graphc.train.checkpoint_protos import CheckpointState
from graphc.train.checkpoint_state import get_checkpoint_state, update_checkpoint_state
from graphc.train.checkpoint_reader import (CheckpointReader, NewCheckpointReader, checkpoint_exists,
                                            latest_checkpoint, list_variables, load_checkpoint, load_variable)
from graphc.train.init_from_checkpoint import init_from_checkpoint
from graphc.framework.graph_def import write_graph
from graphc.train.meta_graph import export_meta_graph
from graphc.train.meta_graph_import import import_meta_graph

__all__ = ["Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdagradOptimizer", "AdadeltaOptimizer",
           "AdamOptimizer", "RMSPropOptimizer", "assert_global_step", "create_global_step", "get_global_step",
           "get_or_create_global_step", "global_step", "exponential_decay", "inverse_time_decay",
           "piecewise_constant", "polynomial_decay", "natural_exp_decay", "cosine_decay", "ExponentialMovingAverage", "Saver",
           "SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues", "CheckpointSaverHook",
           "LoggingTensorHook", "NanLossDuringTrainingError", "NanTensorHook", "SecondOrStepTimer", "StepCounterHook",
           "StopAtStepHook", "SummarySaverHook", "CheckpointState", "CheckpointReader", "NewCheckpointReader",
           "checkpoint_exists", "get_checkpoint_state", "latest_checkpoint", "list_variables", "load_checkpoint",
           "load_variable", "update_checkpoint_state", "init_from_checkpoint", "write_graph",
           "export_meta_graph", "import_meta_graph"]

# tf.train.Example and its parts (protobuf messages; see graphc/example_proto.py)
from graphc.example_proto import (BytesList, Example, Feature, FeatureList, FeatureLists, Features,  # noqa: E402
                                  FloatList, Int64List, SequenceExample)

__all__ += ["BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features", "FloatList",
            "Int64List", "SequenceExample"]

# the queue-runner names (Coordinator, start_queue_runners, batch, ...) and the monitored sessions
# (MonitoredTrainingSession, Scaffold, ...) are added by graphc/__init__.py: graphc/queue_runner.py builds on
# graphc.data and graphc/monitored_session.py creates Sessions, both layers above tf.train
