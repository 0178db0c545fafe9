"""Population, PopulationView, Assembly and the Recorder of pyNN.cortexsim."""

import numpy as np

from pyNN import common, errors, recording
from pyNN.parameters import LazyArray, ParameterSpace, simplify
from pyNN.random import NativeRNG, RandomDistribution
from pyNN.standardmodels import StandardCellType

from . import simulator
from .simulator import not_supported


class Recorder(recording.Recorder):
    _simulator = simulator

    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.name != "spikes" and variable.name not in simulator.ANALOG:
            raise not_supported("recording %r (only 'spikes', 'v', 'gsyn_exc' and 'gsyn_inh')"
                                % variable.name)
        if variable.name in simulator.ANALOG and simulator.state.sim is not None:
            raise not_supported("starting to record %r after the first run" % variable.name)
        if variable.name != "spikes" and sampling_interval is not None:
            self.sampling_interval = sampling_interval

    def _segments(self):
        return simulator.state.segments.get(id(self.population), [])

    def _get_spiketimes(self, ids, clear=False):
        st = simulator.state
        first = self.population.first_id
        t0 = float(self._recording_start_time.magnitude) if hasattr(
            self._recording_start_time, "magnitude") else float(self._recording_start_time)
        spk = st.sim.spikes() if st.sim is not None else {}
        all_ids, all_t = [np.zeros(0, int)], [np.zeros(0)]
        for (seg, start, _size) in self._segments():
            if seg in spk:
                t, i = spk[seg]
                all_ids.append(first + start + i.astype(int))
                all_t.append(np.asarray(t, float))
        ids_arr, times = np.concatenate(all_ids), np.concatenate(all_t)
        keep = np.isin(ids_arr, np.asarray([int(i) for i in ids], int)) & (times > t0 + 1e-9)
        return ids_arr[keep], times[keep]

    def _get_all_signals(self, variable, ids, clear=False):
        st = simulator.state
        first = self.population.first_id
        if variable.name not in simulator.ANALOG:
            raise not_supported("recording %r" % variable.name)
        # cortexsim's variable (v_m mV, g_ex/g_in nS) and the factor to PyNN's units
        # (mV, uS: NEST's translation)
        native, scale = simulator.ANALOG[variable.name]
        vm = getattr(st.sim, native)() if st.sim is not None else {}
        t0 = float(getattr(self._recording_start_time, "magnitude", self._recording_start_time))
        cols = []
        times = None
        for i in ids:
            idx = int(i) - first
            for (seg, start, size) in self._segments():
                if start <= idx < start + size:
                    e = vm[seg]
                    local = idx - start
                    # the value at t = 0 (PyNN shows it, as pyNN.nest does): the initial
                    # potential; the conductances start at 0 (non-zero initial values
                    # are refused)
                    first_value = st.v0[seg][local] if native == "v_m" else 0.0
                    col = np.concatenate([[first_value], e[native][:, local]]) * scale
                    times = np.concatenate([[0.0], e["times_ms"]])
                    cols.append(col)
        if not cols:
            return np.zeros((0, 0)), None
        arr = np.vstack(cols).T
        keep = times >= t0 - 1e-9
        return arr[keep], None

    def _local_count(self, variable, filter_ids=None):
        ids = self.filter_recorded(variable, filter_ids)
        id_arr, _t = self._get_spiketimes(ids)
        return {int(i): int(np.sum(id_arr == int(i))) for i in ids}

    def _clear_simulator(self):
        pass

    def _reset(self):
        pass


class Assembly(common.Assembly):
    _simulator = simulator

    def set(self, **parameters):
        """PyNN's ``Assembly.set``, all or nothing: if one population refuses the change
        (after the first run, e.g. a view over part of a population built as one), the
        populations already changed get their values back before the error is raised."""
        undo = []
        try:
            for p in self.populations:
                before = {name: p.get(name, gather=True, simplify=False) for name in parameters}
                p.set(**parameters)
                undo.append((p, before))
        except Exception:
            for p, before in reversed(undo):
                p.set(**before)
            raise


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _get_native_parameters(self, *names):
        return self._slice(self.grandparent._get_native_parameters(*names))

    def _get_parameters(self, *names):
        return self._slice(self.grandparent._get_parameters(*names))

    def _slice(self, ps):
        """The view's neurons of the grandparent's parameter space `ps`."""
        values = {}
        for name in ps.keys():
            v = ps[name]
            v = v.evaluate(simplify=False) if hasattr(v, "evaluate") else v
            values[name] = simplify(np.asarray(v)[self.index_in_grandparent(
                np.arange(self.size))])
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        p = self.grandparent
        idx = self.index_in_grandparent(np.arange(self.size))
        parameter_space.evaluate(simplify=False)
        before = p._saved_parameters(parameter_space.keys())
        for name, value in parameter_space.items():
            p._parameters[name][idx] = value
        p._changed(parameter_space.keys(), before)

    def initialize(self, **initial_values):
        p = self.grandparent
        idx = self.index_in_grandparent(np.arange(self.size))
        for variable, value in initial_values.items():
            p._check_not_built("initialize")
            if isinstance(value, RandomDistribution):
                v = value.next(self.size)
            else:
                v = LazyArray(value, shape=(self.size,), dtype=float).evaluate()
            full = np.array(p.initial_values[variable].evaluate(), float)
            full[idx] = v
            p.initial_values[variable] = LazyArray(full, shape=(p.size,), dtype=float)

    def _set_initial_value_array(self, variable, initial_values):
        pass

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        st = simulator.state
        if st.sim is not None:
            raise not_supported("creating populations after the first run")
        if not isinstance(self.celltype, StandardCellType) or not hasattr(
                self.celltype, "native_model"):
            raise not_supported("the cell type %s" % type(self.celltype).__name__)
        self.first_id = st.id_counter
        self.all_cells = np.array([simulator.ID(i) for i in range(
            st.id_counter, st.id_counter + self.size)], dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), bool)
        ps = self.celltype.native_parameters
        ps.shape = (self.size,)
        ps.evaluate(simplify=False)
        self._parameters = ps.as_dict()
        self._check_spike_times()
        for c in self.all_cells:
            c.parent = self
        st.id_counter += self.size
        st.populations.append(self)

    def _check_spike_times(self):
        if "spike_times" not in self._parameters:
            return
        for seq in np.atleast_1d(self._parameters["spike_times"]):
            t = np.asarray(getattr(seq, "value", seq), float)
            if t.size > 1 and np.any(np.diff(t) < 0):
                raise errors.InvalidParameterValueError(
                    "spike_times must be in increasing order, got %s" % t)

    def _check_not_built(self, what):
        if simulator.state.sim is not None:
            raise not_supported("%s of a neuron population after the first run "
                                "(parameters, spike sources and current sources change between runs)"
                                % what)

    def _set_initial_value_array(self, variable, initial_values):
        if variable != "v" and variable not in ("isyn_exc", "isyn_inh", "gsyn_exc", "gsyn_inh"):
            raise not_supported("the initial value of %r" % variable)
        if variable != "v":
            v = initial_values.evaluate(simplify=False) if hasattr(
                initial_values, "evaluate") else initial_values
            if np.any(np.asarray(v, float) != 0.0):
                raise not_supported("a non-zero initial value of %r" % variable)
        if simulator.state.sim is not None:
            raise not_supported("initialize() after the first run")

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_native_parameters(self, *names):
        return ParameterSpace({n: simplify(self._parameters[n]) for n in names},
                              shape=(self.size,))

    def _get_parameters(self, *names):
        ps = self._get_native_parameters(*self.celltype.get_native_names())
        return self.celltype.reverse_translate(ps)

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        before = self._saved_parameters(parameter_space.keys())
        for name, value in parameter_space.items():
            self._parameters[name] = value
        self._changed(parameter_space.keys(), before)

    def _saved_parameters(self, names):
        """Copies of the native values of `names` (to undo a refused change)."""
        return {n: np.array(self._parameters[n], copy=True) for n in names}

    def _changed(self, names, before):
        """Pass a `set` to the built simulation (after the first run), segment by
        segment: a neuron population's parameters from the next step on (the NEST
        semantics of ``SetStatus``: an absolute V_m stays when E_L changes), a spike
        source's as its stimulus. A refused change leaves the parameters as they were."""
        try:
            self._check_spike_times()
            simulator.state.update_source(self)
        except Exception:
            for n, v in before.items():
                self._parameters[n] = v
            raise

    # -- translation (simulator.State.build) -------------------------------------------
    def _native_values(self, name):
        v = self._parameters[name]
        return v.evaluate() if hasattr(v, "evaluate") else np.asarray(v)

    def _params_at(self, i):
        """The cortexsim `params` of neuron i."""
        model = self.celltype.native_model
        dt = simulator.state.dt
        if model == "spike_source_array":
            seq = self._native_values("spike_times")[i]
            t = np.asarray(getattr(seq, "value", seq), float)
            t = np.round(t / dt) * dt
            return {"spike_times": [float(x) for x in t[t >= dt - 1e-9]]}
        out = {}
        for name in self._parameters:
            out[name] = float(self._native_values(name)[i])
        if model == "spike_source_poisson":
            out["stop"] = min(out["stop"], simulator.T_FAR)
        return out

    def _keys(self):
        """Per neuron, what must agree within one cortexsim population."""
        cols = []
        for name in sorted(self._parameters):
            if name == "spike_times":
                continue
            cols.append(np.asarray(self._native_values(name), float))
        for cs in simulator.state.current_sources:
            m = cs._member_mask(self)
            if m is not None:
                cols.append(m.astype(float))
        return np.vstack(cols).T if cols else np.zeros((self.size, 0))

    def _v_init(self):
        """A number, a cortexsim distribution (dict: a RandomDistribution with
        NativeRNG), or an array per neuron (set with `Simulation.set_potentials`); the
        values are drawn once, at the first run, and kept across resets."""
        if self.celltype.native_model.startswith("spike_source"):
            return None
        if getattr(self, "_v_drawn", None) is not None:
            return self._v_drawn
        la = self.initial_values.get("v")
        if la is None:
            return None
        base = la.base_value
        if (isinstance(base, RandomDistribution) and isinstance(base.rng, NativeRNG)
                and not la.operations):
            p = base.parameters
            if base.name == "uniform":
                return {"distribution": "uniform", "low": float(p["low"]),
                        "high": float(p["high"])}
            if base.name == "normal":
                return {"distribution": "normal", "mean": float(p["mu"]),
                        "std": float(p["sigma"])}
            if base.name == "normal_clipped":
                return {"distribution": "normal", "mean": float(p["mu"]),
                        "std": float(p["sigma"]), "min": float(p["low"]),
                        "max": float(p["high"])}
        v = np.asarray(la.evaluate(simplify=False), float)
        self._v_drawn = float(v[0]) if np.all(v == v[0]) else v
        return self._v_drawn

    def _segment_entries(self, k):
        keys = self._keys()
        if keys.shape[1] and self.size > 1:
            cut = np.nonzero(np.any(keys[1:] != keys[:-1], axis=1))[0] + 1
        else:
            cut = np.zeros(0, int)
        bounds = [0] + [int(c) for c in cut] + [self.size]
        v = self._v_init()
        model = self.celltype.native_model
        for a, b in zip(bounds[:-1], bounds[1:]):
            entry = {"size": b - a, "model": model}
            if model == "spike_source_array":
                entry["params"] = {"spike_times": [self._params_at(i)["spike_times"]
                                                   for i in range(a, b)]}
            else:
                entry["params"] = self._params_at(a)
            if v is not None and not isinstance(v, np.ndarray):
                entry["v_init"] = v
            yield a, b, entry

    def _segment_params(self):
        for (seg, start, size) in simulator.state.segments[id(self)]:
            if self.celltype.native_model == "spike_source_array":
                params = {"spike_times": [self._params_at(i)["spike_times"]
                                          for i in range(start, start + size)]}
            else:
                params = self._params_at(start)
                for i in range(start + 1, start + size):
                    if self._params_at(i) != params:
                        raise not_supported(
                            "setting different parameters on neurons %d and %d of %s "
                            "after the first run: the population was split at the "
                            "first run into runs of neurons with equal parameters "
                            "(neurons %d-%d are one cortexsim population), and each "
                            "run can only change as a whole"
                            % (start, i, self.label, start, start + size - 1))
            yield seg, start, start + size, params
