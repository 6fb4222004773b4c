"""The ordered pass pipeline: RunPlan -> IR -> optimized IR -> kernel plan -> memory plan.

``GRAPHC_DUMP=DIR`` (or ``dump_dir=``) writes the IR after each pass, the kernel plan and the
memory plan as text files, numbered in pipeline order, one ``DIR/compile_NNNN/`` per compile;
``DIR/index.txt`` says which ``sess.run`` (fetches, feeds and their shapes) made each and why.
"""
from __future__ import annotations

import os
from typing import Callable, Optional, Sequence

from graphc import switches
from graphc.passes import (cse, dead_loop_vars, fold, fusion, inline_regions, ir, join_sums, memory, remat, simplify,
                           split_wide)
from graphc.toolchain import compile_notice

MAX_ROUNDS = 4


def prune(prog: ir.Program) -> bool:
    """Dead-code elimination: keep only what fetches and variable updates need."""
    before = len(prog.nodes)
    prog.toposort()
    return len(prog.nodes) != before


PASSES: Sequence[tuple] = (
    ("fold", fold.run),
    ("inline_regions", inline_regions.run),
    ("simplify", simplify.run),
    ("join_sums", join_sums.run),
    ("cse", cse.run),
    ("prune", prune),
    ("dead_loop_vars", dead_loop_vars.run),
    ("forward_unchanged_loop_vars", dead_loop_vars.forward_unchanged),
    ("split_wide", split_wide.run),
)


class Dumper:
    """Writes numbered text files into a dump directory (no-op without one)."""

    def __init__(self, directory: Optional[str]) -> None:
        self.directory = directory
        self.count = 0
        if directory:
            os.makedirs(directory, exist_ok=True)

    def __call__(self, name: str, text: Callable[[], str]) -> None:
        if not self.directory:
            return
        path = os.path.join(self.directory, f"{self.count:02d}_{name}.txt")
        self.count += 1
        with open(path, "w") as f:
            f.write(text() + "\n")


def optimize(prog: ir.Program, dump: Optional[Dumper] = None) -> ir.Program:
    """Runs the passes until nothing changes (at most MAX_ROUNDS rounds)."""
    dump = dump or Dumper(None)
    prune(prog)
    dump("ir_initial", prog.dump)
    for _ in range(MAX_ROUNDS):
        changed = False
        for name, run in PASSES:
            if run(prog):
                changed = True
                dump(f"ir_after_{name}", prog.dump)
        if not changed:
            break
    return prog


def _dump_dir(explicit: Optional[str]) -> Optional[str]:
    """``explicit`` as is; else a fresh numbered subdirectory of ``$GRAPHC_DUMP`` per compile."""
    if explicit is not None:
        return explicit
    root = switches.DUMP.get()
    if not root:
        return None
    os.makedirs(root, exist_ok=True)
    n = len([d for d in os.listdir(root) if d.startswith("compile_")])
    while True:
        path = os.path.join(root, f"compile_{n:04d}")
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            n += 1


def compile_plan(plan, feed_shapes=None, dump_dir: Optional[str] = None, no_overwrite: tuple = ()):
    """RunPlan -> (KernelPlan, MemoryPlan), dumping each stage when asked; ``no_overwrite``: see
    ``memory.plan``."""
    dump = Dumper(_dump_dir(dump_dir))
    prog = ir.build(plan, feed_shapes)
    optimize(prog, dump)
    if remat.run(prog):
        dump("ir_after_remat", prog.dump)
    kplan = fusion.plan(prog)
    compile_notice.note_kernels(len(kplan.launched))
    kplan.dump_dir = dump.directory
    dump("kernel_plan", lambda: kplan.describe() + "\n\nnot fused:\n" +
         "\n".join(f"  {n}: {why}" for n, why in kplan.why_not))
    mplan = memory.plan(kplan, no_overwrite)
    dump("memory_plan", mplan.describe)
    if dump.directory and dump_dir is None:
        _write_index_entry(dump.directory, plan, feed_shapes, len(kplan.launched))
    return kplan, mplan


def _write_index_entry(directory: str, plan, feed_shapes: Optional[Sequence[tuple]], kernels: int) -> None:
    """Appends to ``$GRAPHC_DUMP/index.txt`` which ``sess.run`` made ``compile_NNNN/`` and why."""
    request = compile_notice.current()
    fetches = request.fetches if request else [t.name for t in plan.fetches] + [o.name for o in plan.targets]
    lines = [f"{os.path.basename(directory)}: sess.run([{', '.join(fetches)}])"
             f"{f' on {request.backend}' if request else ''}, {kernels} kernel{'s' * (kernels != 1)}"]
    if plan.feeds:
        shapes = feed_shapes or [None] * len(plan.feeds)
        lines.append("    feeds: " + ", ".join(
            f"{t.name} {t.dtype.name}{list(s) if s is not None else t.shape}" for t, s in zip(plan.feeds, shapes)))
    if request:
        lines.append(f"    why: {request.reason}")
    with open(os.path.join(os.path.dirname(directory), "index.txt"), "a") as f:
        f.write("\n".join(lines) + "\n")
