"""graphc's benchmark suite: workloads (``workloads.py``) and the harness behind ``graphc bench``."""
