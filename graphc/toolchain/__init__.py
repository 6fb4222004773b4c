"""The toolchain store, below the compiler: the on-disk code cache (generated modules, numba's
compiled code, the njit host kernels), its trust checks, and the compile requests a session makes
(what is being compiled, for the notice and the dumps). Imports only the core and the standard
library, so passes, codegen and runtime can all use it.
"""
