"""Every op, defined once per family: math, reduce, array, linalg, nn, random, state, source."""
