# `import pyNN.cortexsim` (PyNN's usual name for a backend): cortexsim's PyNN backend,
# shipped in the cortexsim wheel beside PyNN's own modules (as PyNN aliases
# SpiNNaker's backend in pyNN/spiNNaker.py).
from cortexsim.pynn import *  # noqa: F401,F403
from cortexsim.pynn import simulator, setup, end, run, run_until, reset  # noqa: F401
