"""pyNN.cortexsim: the PyNN API (0.13) on cortexsim.

    import pyNN.cortexsim as sim      # or: import cortexsim.pynn as sim
    sim.setup(timestep=0.1)
    ...

A script's populations, projections, current sources and recorders are collected and
built as one cortexsim network at the first ``run`` (``simulator`` module docs); runs
then continue, ``reset`` returns to t = 0, and neuron parameters (``set``: from the
next step on, as NEST's ``SetStatus``; ``reset`` keeps them), spike sources
(``SpikeSourcePoisson`` rates and windows, ``SpikeSourceArray`` times) and current
sources (``DCSource``, ``StepCurrentSource``) can change between runs. What cortexsim
cannot express raises
``NotImplementedError`` naming the feature: plasticity and other dynamic synapses,
recording anything but ``spikes``, ``v``, ``gsyn_exc`` and ``gsyn_inh`` (the last two:
cortexsim's ``g_ex``/``g_in`` recorders, nS, shown in uS as pyNN.nest does), changing
connections after the first run, a ``set`` after it that gives different values to
neurons the first run built as one cortexsim population (a population is split into
runs of neurons with equal parameters), creating objects after it, multicompartment
models, several MPI processes.

Cell types: IF_curr_exp, IF_curr_alpha, IF_curr_delta, IF_cond_exp, IF_cond_alpha,
SpikeSourcePoisson, SpikeSourceArray (NEST's parameter translations). Connectors: all of
PyNN's (they run in Python and are handed over as connection lists). Synapses:
StaticSynapse with receptor_type "excitatory" or "inhibitory". Units are PyNN's (nA, uS,
mV, ms, nF); cortexsim's are NEST's (pA, nS, mV, ms, pF).
"""

try:
    from pyNN import errors, random, space  # noqa: F401
except ImportError as e:  # the wheel's pyNN/cortexsim.py without PyNN itself
    raise ImportError("pyNN.cortexsim needs PyNN 0.13: pip install 'cortexsim[pynn]' "
                      "(%s)" % e) from e
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN import common
from pyNN.connectors import *  # noqa: F401,F403
from pyNN.connectors import FixedProbabilityConnector
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NativeRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F401,F403
from pyNN.recording import get_io
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from . import simulator
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .projections import Projection
from .standardmodels import (  # noqa: F401
    ACSource, DCSource, IF_cond_alpha, IF_cond_exp, IF_curr_alpha, IF_curr_delta,
    IF_curr_exp, NoisyCurrentSource, SpikeSourceArray, SpikeSourcePoisson, StaticSynapse,
    StepCurrentSource, STDPMechanism, TsodyksMarkramSynapse,
)

Projection._static_synapse_class = StaticSynapse

#: NEST's names of the same models (cortexsim uses NEST's parameter names).
native_names = {
    "iaf_psc_exp": IF_curr_exp, "iaf_psc_alpha": IF_curr_alpha,
    "iaf_psc_delta": IF_curr_delta, "iaf_cond_exp": IF_cond_exp,
    "iaf_cond_alpha": IF_cond_alpha, "poisson_generator": SpikeSourcePoisson,
    "spike_generator": SpikeSourceArray,
}


def list_standard_models():
    """The StandardCellType classes this backend provides."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)]


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new network. Keywords of other backends are ignored; cortexsim's own:
    ``threads`` (worker threads; results do not depend on it), ``seed`` (or
    ``rng_seed``: the seed of cortexsim's random streams)."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, **extra_params)
    st = simulator.state
    st.clear()
    st.dt = timestep
    st.min_delay = timestep if min_delay == "auto" else min_delay
    st.min_delay_auto = min_delay == "auto"
    st.max_delay = max_delay
    st.threads = int(extra_params.get("threads", 1))
    st.seed = int(extra_params.get("seed", extra_params.get("rng_seed", 1)))
    return rank()


def end(compatible_output=True):
    """Write the data requested with ``record(..., to_file=...)`` and clean up."""
    for (population, variables, filename) in simulator.state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    simulator.state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, \
    num_processes, rank = common.build_state_queries(simulator)

create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)
