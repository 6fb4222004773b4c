"""The Python interpreter that can import TensorFlow, for tests that hand graphc's files to TensorFlow."""
import importlib.util
import shutil
import sys

import pytest

from graphc import switches


def tensorflow_python() -> str:
    """This interpreter when TensorFlow imports here, else the one GRAPHC_TENSORFLOW_PYTHON names;
    skips the calling test when there is neither."""
    if importlib.util.find_spec("tensorflow") is not None:
        return sys.executable
    python = switches.TENSORFLOW_PYTHON.get()
    if python and shutil.which(python):
        return python
    pytest.skip("TensorFlow is not importable here and GRAPHC_TENSORFLOW_PYTHON names no interpreter with it")
