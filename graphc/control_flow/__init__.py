"""Control flow as region ops: ``tf.cond``, ``tf.case``, ``tf.while_loop`` (see ARCHITECTURE.md); ``tf.TensorArray``
and the functional ops built on while_loop (``tf.map_fn``, ``tf.scan``, ``tf.foldl``, ``tf.foldr``)."""
from graphc.control_flow import nest
from graphc.control_flow.cond import case, cond
from graphc.control_flow.func_graph import FuncGraph
from graphc.control_flow.while_loop import while_loop

__all__ = ["cond", "case", "while_loop", "nest", "FuncGraph"]
