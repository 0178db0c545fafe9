"""Run PyNN's own system scenarios (test/system/scenarios of PyNN's source archive)
against pyNN.cortexsim, without editing PyNN's files: every scenario that PyNN runs on
NEST is also run with ``sim = pyNN.cortexsim``; the scenarios that need what cortexsim
cannot express are skipped, each with its reason (``SKIPPED`` below).

    pip download --no-deps --no-binary :all: PyNN==0.13.0 && tar xzf pynn-0.13.0.tar.gz
    python run.py pynn-0.13.0/test [pytest options]

Exit status: pytest's (0: every selected scenario passed)."""

import os
import sys

import pytest

#: scenario (test function name) -> why pyNN.cortexsim does not run it
SKIPPED = {
    "test_EIF_cond_alpha_isfa_ista": "no adaptive exponential (AdEx) cell type",
    "test_scenario4": "no adaptive exponential (AdEx) cell type",
    "test_record_vm_and_gsyn_from_assembly": "no adaptive exponential (AdEx) cell type",
    "test_HH_cond_exp": "no Hodgkin-Huxley cell type",
    "test_SpikeSourceGamma": "no gamma-process spike source",
    "test_SpikeSourcePoissonRefractory": "no Poisson source with dead time",
    "test_composed_neuron_model_homogeneous_receptors": "no composed (PointNeuron) cell types",
    "test_issue652": "no plasticity (STDP)",
    "test_scenario3": "no plasticity (STDP)",
    "test_all_to_all_tsodyksmarkram": "no short-term plasticity (Tsodyks-Markram)",
    "test_set_synaptic_parameters_fully_connected": "no Tsodyks-Markram synapse",
    "test_set_synaptic_parameters_partially_connected": "no Tsodyks-Markram synapse",
    "test_set_synaptic_parameters_multiply_connected": "no Tsodyks-Markram synapse",
    "test_issue505": "no Tsodyks-Markram synapse",
    "test_fixed_number_pre_with_replacement_heterogeneous_parameters": "no Tsodyks-Markram synapse",
    "test_fixed_number_post_with_replacement_heterogeneous_parameters": "no Tsodyks-Markram synapse",
    "test_simple_stochastic_synapse": "no stochastic synapses",
    "test_issue445": "current sources are not recorded (ACSource.record)",
    "test_issue497": "current sources are not recorded (ACSource.record)",
    "test_issue631": "current sources are not recorded (DCSource.record)",
    "test_issue_465_474_630": "current sources are not recorded",
    "test_issue259": "spike times on the time grid only (no off_grid spike precision)",
}


class CortexsimScenarios:
    """Adds ``cortexsim`` wherever a scenario names ``nest``; keeps only those runs."""

    def __init__(self, test_dir):
        sys.path.insert(0, test_dir)
        import system.scenarios.fixtures as fx  # the module pytest will import

        orig = fx.run_with_simulators

        def run_with_simulators(*names):
            return orig(*(names + ("cortexsim",) if "nest" in names else ()))

        fx.run_with_simulators = run_with_simulators

    def pytest_collection_modifyitems(self, config, items):
        keep = []
        for item in items:
            if "[cortexsim" not in item.nodeid:
                continue
            name = item.originalname or item.name.split("[")[0]
            if name in SKIPPED:
                item.add_marker(pytest.mark.skip(reason="pyNN.cortexsim: " + SKIPPED[name]))
            keep.append(item)
        items[:] = keep


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    test_dir = os.path.abspath(argv[0])
    scen = os.path.join(test_dir, "system", "scenarios")
    return pytest.main([scen, "-q", "-rs", "-p", "no:cacheprovider"] + argv[1:],
                       plugins=[CortexsimScenarios(test_dir)])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
