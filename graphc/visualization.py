"""``graphc.visualize``: the graph as Graphviz DOT, each kernel drawn as a cluster (what fused)."""
from __future__ import annotations

import shutil
import subprocess
import warnings
from typing import Any, Optional

from graphc.graph import get_default_session
from graphc.passes.ir import format_constant
from graphc.runtime.session import Session

GRAPHVIZ_HINT = ("Install Graphviz for the SVG (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
                 "graphviz; conda: conda install graphviz), or open the DOT file in any Graphviz viewer.")
_warned_no_dot: list = []


def _label(node) -> str:
    if node.type in ("Feed", "ReadVariable"):
        return f"{node.type}\\n{node.name}"
    if node.type == "Const":
        return f"Const {format_constant(node.attrs['value'], max_elements=4)}"
    return f"{node.type}\\n{node.name}"


def to_dot(executable: Any) -> str:
    """DOT text for a compiled executable's kernel plan (``Session.compile(...)``)."""
    kplan = executable.kernel_plan
    prog = kplan.program
    in_kernel = {n.id: k for k in kplan.kernels for n in k.nodes}
    lines = ["digraph graphc {", "  rankdir=TB;", '  node [shape=box, fontsize=10, fontname="Helvetica"];']
    for k in kplan.kernels:
        style = "dashed" if not k.launches else "rounded,filled"
        lines.append(f"  subgraph cluster_{k.index} {{")
        lines.append(f'    label="kernel {k.index}: {k.kind}"; style="{style}"; fillcolor="#eef4ff";')
        for n in k.nodes:
            lines.append(f'    n{n.id} [label="{_label(n)}"];')
        lines.append("  }")
    for n in prog.nodes:
        if n.id not in in_kernel:
            shape = "ellipse" if n.type != "Const" else "plaintext"
            lines.append(f'  n{n.id} [label="{_label(n)}", shape={shape}];')
    for n in prog.nodes:
        for v in n.inputs:
            lines.append(f"  n{v.op.id} -> n{n.id};")
    for i, v in enumerate(prog.fetches):
        lines.append(f'  fetch{i} [label="fetch {i}", shape=oval, color=darkgreen];')
        lines.append(f"  n{v.op.id} -> fetch{i};")
    for j, (var, v) in enumerate(prog.updates.items()):
        lines.append(f'  update{j} [label="update {var.name}", shape=oval, color=darkred];')
        lines.append(f"  n{v.op.id} -> update{j};")
    lines.append("}")
    return "\n".join(lines)


def visualize(fetches: Any, feed_dict: Optional[dict] = None, path: str = "graph.dot",
              session: Any = None) -> str:
    """Writes the kernel plan of ``session.run(fetches, feed_dict)`` as DOT to ``path``.

    When Graphviz's ``dot`` program is installed, an SVG is written next to it too
    (``path`` with ``.svg``); without it a warning (once per process) says how to get it.
    Returns the path of the richest file written.
    """
    sess = session or get_default_session() or Session(backend="interpret")
    exe = sess.compile(fetches, feed_dict)
    if not hasattr(exe, "kernel_plan"):
        raise TypeError(f"The {sess.backend!r} backend has no kernel plan to draw")
    text = to_dot(exe)
    with open(path, "w") as f:
        f.write(text)
    dot = shutil.which("dot")
    if dot:
        svg = path.rsplit(".", 1)[0] + ".svg"
        subprocess.run([dot, "-Tsvg", path, "-o", svg], check=True)
        return svg
    if not _warned_no_dot:
        _warned_no_dot.append(path)
        warnings.warn(f"tf.visualize wrote {path} but no SVG: Graphviz's `dot` program is not on PATH. "
                      + GRAPHVIZ_HINT, stacklevel=2)
    return path
