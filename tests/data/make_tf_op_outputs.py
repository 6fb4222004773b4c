"""Writes graphc/framework/tf_op_outputs.py: the output args of the TensorFlow ops graphc writes or reads,
as TensorFlow 2.21's op registry defines them (a FunctionDef names a node's outputs ``node:arg:index``).

Run with a Python that has real TensorFlow, from the repository root:

    /tmp/tfenv/bin/python tests/data/make_tf_op_outputs.py
"""
import os
import re
import textwrap

from tensorflow.python.framework import op_def_registry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAMEWORK = os.path.join(ROOT, "graphc", "framework")
# TF's control flow and TensorArray ops, and rows whose names are built from parts
EXTRA = ("If", "StatelessIf", "While", "StatelessWhile", "Switch", "Merge", "Enter", "Exit", "NextIteration",
         "LoopCond", "TensorArrayV3", "TensorArrayWriteV3", "TensorArrayReadV3", "TensorArrayGatherV3",
         "TensorArrayScatterV3", "TensorArraySizeV3", "TensorArrayCloseV3", "TensorArrayConcatV3",
         "TensorArraySplitV3", "SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd",
         "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd")


def main() -> None:
    names = set(EXTRA)
    for fname in os.listdir(FRAMEWORK):
        if fname.endswith(".py") and fname != "tf_op_outputs.py":
            names.update(re.findall(r'"([A-Z][A-Za-z0-9]*)"', open(os.path.join(FRAMEWORK, fname)).read()))
    table = {}
    for name in sorted(names):
        op = op_def_registry.get(name)
        if op is None:
            continue
        table[name] = tuple((a.name, a.number_attr, a.type_list_attr) for a in op.output_arg)
    body = ", ".join(f"{k!r}: {v!r}" for k, v in table.items())
    text = ('"""The output args of TensorFlow\'s ops: op type -> ((name, number_attr, type_list_attr), ...), as\n'
            "TensorFlow 2.21's op registry defines them. Written by tests/data/make_tf_op_outputs.py; do not edit.\n"
            'A FunctionDef refers to output ``k`` of list arg ``name`` of node ``n`` as ``n:name:k``."""\n\n'
            "OUTPUT_ARGS = {\n" + textwrap.fill(body, 118, initial_indent="    ", subsequent_indent="    ",
                                                break_long_words=False, break_on_hyphens=False) + "\n}\n")
    with open(os.path.join(FRAMEWORK, "tf_op_outputs.py"), "w") as f:
        f.write(text)
    print(len(table), "ops")


if __name__ == "__main__":
    main()
