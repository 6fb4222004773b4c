"""The paths tests share, the same from every subdirectory of tests/ (pytest.ini puts tests/ on sys.path)."""
from pathlib import Path

TESTS = Path(__file__).resolve().parent     # tests/
ROOT = TESTS.parent                         # the repository
DATA = TESTS / "data"                       # files recorded from TensorFlow, and the scripts that wrote them
