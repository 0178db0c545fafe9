"""cortexsim: a sparse spiking-network simulator (exact LIF integration, mean field,
cortex models) for Python.

The same library layers as the ``cortexsim`` command line, called directly:

>>> import cortexsim
>>> net = cortexsim.load("brunel2000", set={"populations.E.size": 8000})
>>> res = net.run(t_stop=200.0, seed=1)
>>> times, ids = res.spikes["E"]        # float64 ms, uint64 node ids (0-based)
>>> res.summary["populations"]["E"]["rate_hz"]

* ``load(name_or_path, set=None, data=None)``: a network file or a built-in network
  (``builtin_networks()``), with overrides as the CLI's ``--set``; a spiking network
  gives a ``Network``, a rate model a ``RateModel``.
* ``Network.from_dict(d)``: the same schema as the files, the same validation.
* ``Network.with_connections(i, sources, targets, weights=None, delays=None)``: the
  network with projection ``i`` connected by an explicit list given in bulk (NumPy
  arrays), as ``rule = "from_list"``.
* ``Network.inspect()``, ``Network.run(...)`` -> ``RunResult`` (``spikes``, ``rates``,
  ``v_m``, ``g_ex``, ``g_in``, ``summary``, ``to_sonata``).
* ``meanfield(net)``, ``compare(net)``: the mean-field state, and a spiking run compared
  with it (the dicts of ``cortexsim meanfield --json`` / ``compare --json``).
* ``load_rate(...)`` -> ``RateModel`` (``run()``, ``timescales()``).
* ``read_sonata(path)``: a SONATA spike file written by ``cortexsim run``.

Errors: ``SpecError`` (a ``ValueError``; ``.key`` is the offending key path),
``BuildError``, ``OutOfMemory`` (a ``MemoryError``), ``SimulationError``,
``Interrupted`` (a ``KeyboardInterrupt``; ``.result`` holds the run up to then).
"""

from . import _native
from ._native import (
    BuildError,
    Interrupted,
    Network,
    OutOfMemory,
    RateModel,
    RunResult,
    SimulationError,
    SpecError,
    builtin_networks,
    compare,
    meanfield,
    read_sonata,
)

__version__ = _native.__version__

__all__ = [
    "BuildError",
    "Interrupted",
    "Network",
    "OutOfMemory",
    "RateModel",
    "RunResult",
    "SimulationError",
    "SpecError",
    "builtin_networks",
    "compare",
    "from_dict",
    "load",
    "load_rate",
    "meanfield",
    "read_sonata",
]


def load(name, set=None, data=None):
    """Load a network file, or a built-in network by name (``"brunel2000"``).

    ``set``: overrides by key path, as the CLI's ``--set``: a dict
    ``{"populations.E.size": 20000}`` or a list of ``"KEY=VALUE"`` strings.
    ``data``: data directory of data-driven models (default ``$CORTEXSIM_DATA``, else
    the data built in). Returns a ``Network`` (spiking) or a ``RateModel``. Invalid input
    raises ``SpecError`` naming the key path (``err.key``)."""
    return _native.load(str(name), set, None if data is None else str(data))


def from_dict(d, set=None, data=None, name=None):
    """A network (or rate model) from a dict with the schema of the network files;
    validated exactly as a file is (``SpecError`` with ``.key`` on invalid input)."""
    if not isinstance(d, dict):
        raise TypeError("from_dict: expected a dict, got %s" % type(d).__name__)
    return _native.from_dict(d, set, None if data is None else str(data), name)


def load_rate(name, set=None, data=None):
    """Load a rate model (a rate file, or a data-driven model such as
    ``chaudhuri2015.toml``); a spiking network is a ``SpecError``."""
    m = load(name, set=set, data=data)
    if not isinstance(m, RateModel):
        err = SpecError("%s: this is a spiking network; load_rate needs a rate model" % m.name)
        err.key = m.name
        err.message = "this is a spiking network; load_rate needs a rate model"
        raise err
    return m
