"""PyNN's standard cell types, electrodes and synapses on cortexsim: NEST's parameter
translations (cortexsim uses NEST's names and units: pF, pA, nS, mV, ms)."""

import numpy as np

from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import build_translations, cells, electrodes, synapses

from . import simulator


class IF_curr_alpha(cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = build_translations(
        ("v_rest", "E_L"), ("v_reset", "V_reset"), ("cm", "C_m", 1000.0),
        ("tau_m", "tau_m"), ("tau_refrac", "t_ref"), ("tau_syn_E", "tau_syn_ex"),
        ("tau_syn_I", "tau_syn_in"), ("v_thresh", "V_th"), ("i_offset", "I_e", 1000.0),
    )
    native_model = "iaf_psc_alpha"


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = IF_curr_alpha.translations
    native_model = "iaf_psc_exp"


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = build_translations(
        ("v_rest", "E_L"), ("v_reset", "V_reset"), ("cm", "C_m", 1000.0),
        ("tau_m", "tau_m"), ("tau_refrac", "t_ref"), ("v_thresh", "V_th"),
        ("i_offset", "I_e", 1000.0),
    )
    native_model = "iaf_psc_delta"
    receptor_scale = 1e-3  # weights in mV: undo the nA -> pA scaling


class IF_cond_alpha(cells.IF_cond_alpha):
    __doc__ = cells.IF_cond_alpha.__doc__
    translations = build_translations(
        ("v_rest", "E_L"), ("v_reset", "V_reset"), ("cm", "C_m", 1000.0),
        ("tau_m", "g_L", "cm/tau_m*1000.0", "C_m/g_L"), ("tau_refrac", "t_ref"),
        ("tau_syn_E", "tau_syn_ex"), ("tau_syn_I", "tau_syn_in"), ("v_thresh", "V_th"),
        ("i_offset", "I_e", 1000.0), ("e_rev_E", "E_ex"), ("e_rev_I", "E_in"),
    )
    native_model = "iaf_cond_alpha"


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = IF_cond_alpha.translations
    native_model = "iaf_cond_exp"


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = build_translations(
        ("rate", "rate"), ("start", "start"),
        ("duration", "stop", "start+duration", "stop-start"),
    )
    native_model = "spike_source_poisson"


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = build_translations(("spike_times", "spike_times"))
    native_model = "spike_source_array"


# -- electrodes ---------------------------------------------------------------------------

class _CurrentSource(object):
    """A current source: the neurons it reaches are fixed at the first run; its
    amplitudes and times may change between runs."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_targets", [])  # (population, index array)
        super().__init__(**parameters)
        ps = self.translate(self.parameter_space)
        ps.shape = (1,)
        ps.evaluate(simplify=True)
        object.__setattr__(self, "_native", self._normalize(dict(ps.items())))
        simulator.state.current_sources.append(self)

    def _normalize(self, native):
        """Sequences as arrays (so that PyNN can index them)."""
        return {k: np.asarray(getattr(v, "value", v)) if hasattr(v, "value") else v
                for k, v in native.items()}

    def inject_into(self, cells):
        if simulator.state.sim is not None:
            raise simulator.not_supported("injecting a current source after the first run")
        if hasattr(cells, "parent"):  # PopulationView
            self._targets.append((cells.grandparent, np.asarray(cells.index_in_grandparent(
                np.arange(cells.size)))))
        elif hasattr(cells, "populations"):  # Assembly
            for p in cells.populations:
                self.inject_into(p)
        elif hasattr(cells, "all_cells"):
            self._targets.append((cells, np.arange(cells.size)))
        else:  # a list of IDs
            for c in cells:
                self._targets.append((c.parent, np.array([c.parent.id_to_index(c)])))

    def _member_mask(self, population):
        mask = None
        for (p, idx) in self._targets:
            if p is population:
                if mask is None:
                    mask = np.zeros(p.size, bool)
                mask[idx] = True
        return mask

    def set_native_parameters(self, parameters):
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        new = dict(self._native)
        new.update(parameters.items())
        self._native.update(self._normalize(new))
        simulator.state.update_current_source(self)

    def get_native_parameters(self):
        return ParameterSpace(dict(self._native))

    def _get_data(self):
        raise simulator.not_supported("recording the current of a current source")

    def _get(self, name):
        v = self._native[name]
        if hasattr(v, "value"):  # Sequence
            v = v.value
        return v


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude", 1000.0), ("start", "start"), ("stop", "stop"))

    def _stimulus(self):
        return {"kind": "dc", "amplitude": float(self._get("amplitude")),
                "start": float(self._get("start")),
                "stop": float(min(self._get("stop"), simulator.T_FAR))}


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(
        ("amplitudes", "amplitudes", 1000.0), ("times", "times"))

    def _normalize(self, native):
        """Times checked (>= 0, increasing), put on the time grid; of the amplitudes
        that then share a step the last one is kept (as PyNN's NEST backend)."""
        native = _CurrentSource._normalize(self, native)
        t = np.asarray(native["times"], float).ravel()
        a = np.asarray(native["amplitudes"], float).ravel()
        if t.size != a.size:
            raise ValueError("StepCurrentSource: %d times for %d amplitudes" % (t.size, a.size))
        if t.size and np.min(t) < 0:
            raise ValueError("Step current cannot accept negative timestamps.")
        if t.size > 1 and np.min(np.diff(t)) <= 0:
            raise ValueError("Step current timestamps should be monotonically increasing.")
        dt = simulator.state.dt
        t = np.rint(t / dt) * dt
        keep = np.append(t[1:] != t[:-1], True) if t.size else np.zeros(0, bool)
        native["times"], native["amplitudes"] = t[keep], a[keep]
        return native

    def _stimulus(self):
        times = [float(t) for t in np.asarray(self._get("times"), float)]
        amps = [float(a) for a in np.asarray(self._get("amplitudes"), float)]
        return {"kind": "step", "amplitude_times": times, "amplitude_values": amps,
                "start": 0.0, "stop": simulator.T_FAR}


class ACSource(_CurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude", 1000.0), ("start", "start"), ("stop", "stop"),
        ("frequency", "frequency"), ("offset", "offset", 1000.0), ("phase", "phase"))

    def _stimulus(self):
        return {"kind": "ac", "amplitude": float(self._get("amplitude")),
                "offset": float(self._get("offset")),
                "frequency": float(self._get("frequency")),
                "phase": float(self._get("phase")),
                "start": float(self._get("start")),
                "stop": float(min(self._get("stop"), simulator.T_FAR))}


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(
        ("mean", "mean", 1000.0), ("start", "start"), ("stop", "stop"),
        ("stdev", "std", 1000.0), ("dt", "dt"))

    def _stimulus(self):
        return {"kind": "noise_current", "mean": float(self._get("mean")),
                "std": float(self._get("std")), "dt": float(self._get("dt")),
                "start": float(self._get("start")),
                "stop": float(min(self._get("stop"), simulator.T_FAR))}


# -- synapses ------------------------------------------------------------------------------

class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight", 1000.0), ("delay", "delay"))

    def _get_minimum_delay(self):
        d = simulator.state.min_delay
        if d == "auto":
            d = simulator.state.dt
        return d


def _refuse(kind):
    class Refused(object):
        def __init__(self, *args, **kwargs):
            raise simulator.not_supported("%s (plasticity and other dynamic synapses)" % kind)
    Refused.__name__ = kind
    return Refused


TsodyksMarkramSynapse = _refuse("TsodyksMarkramSynapse")
STDPMechanism = _refuse("STDPMechanism")
