"""The state of the cortexsim PyNN backend, and the translation of what a PyNN script
created into one cortexsim network.

PyNN builds a network object by object; cortexsim builds a whole network at once. The
backend therefore collects populations, projections (their connections, as PyNN's
connectors produce them), current sources and recorders, and builds one
``cortexsim.Network`` (``from_dict`` plus bulk connection lists, ``rule = "from_list"``)
at the first ``run``; the built ``cortexsim.Simulation`` then continues over further
``run`` calls, ``reset`` returns it to t = 0, and changes of neuron parameters,
spike sources and current sources between runs reach it through
``Simulation.update``.

A PyNN population whose neurons differ in a parameter, an initial value given as an
array, or which current sources reach them, becomes several cortexsim populations
("segments"): contiguous runs of neurons that agree. Everything is mapped back to PyNN
ids when read.
"""

import numpy as np

from pyNN import common

import cortexsim

name = "cortexsim"

#: "Never": the stop of a stimulus or source that PyNN leaves open (ms).
T_FAR = 1.0e9


class ID(int, common.IDMixin):
    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


#: PyNN's recordable variables besides spikes: cortexsim's recorder (NEST's multimeter
#: name) and the factor from its unit to PyNN's (mV -> mV, nS -> uS).
ANALOG = {"v": ("v_m", 1.0), "gsyn_exc": ("g_ex", 1e-3), "gsyn_inh": ("g_in", 1e-3)}


def not_supported(feature):
    return NotImplementedError("pyNN.cortexsim does not support %s" % feature)


class State(common.control.BaseState):
    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = "auto"
        self.min_delay_auto = False
        self.max_delay = 10.0
        self.threads = 1
        self.seed = 1
        self.record_sample_times = False
        self.segment_counter = -1
        self.clear()

    # -- time -------------------------------------------------------------------------
    @property
    def t(self):
        return self.sim.t if self.sim is not None else 0.0

    @t.setter
    def t(self, value):
        if value != 0:
            raise ValueError("the time of pyNN.cortexsim is set by run() and reset()")

    # -- life cycle -------------------------------------------------------------------
    def clear(self):
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.sim = None
        self.net = None
        self.segments = {}  # id(Population) -> [(name, start, size)]
        self.stimulus_of = {}  # id(current source) -> [stimulus index]
        self.v0 = {}  # segment name -> potentials at t = 0
        self.reset()

    def reset(self):
        if self.sim is not None:
            self.sim.reset()
        self.running = False
        self.t_start = 0
        self.segment_counter += 1

    def run(self, simtime):
        if self.sim is None:
            self.build(simtime)
        if self.sim.t == 0.0:
            self._set_initial_potentials()
            self._capture_initial()
        steps = round(simtime / self.dt)
        self.sim.run(steps * self.dt)
        self.running = True

    def run_until(self, tstop):
        self.run(max(0.0, tstop - self.t))

    def _set_initial_potentials(self):
        """Initial potentials given per neuron (arrays, PyNN's own random numbers)."""
        for p in self.populations:
            v = p._v_init()
            if isinstance(v, np.ndarray):
                for (seg, start, size) in self.segments[id(p)]:
                    self.sim.set_potentials(seg, v[start:start + size])

    def _capture_initial(self):
        """The potentials at t = 0 (the first sample PyNN shows for ``v``)."""
        for segs in self.segments.values():
            for (seg, _start, _size) in segs:
                if seg in self.recorded_v:
                    self.v0[seg] = np.array(self.sim.potentials(seg))

    # -- translation ------------------------------------------------------------------
    def build(self, first_run):
        """The whole network as one cortexsim network, built (module docs)."""
        dt = self.dt
        t_stop = max(dt, round(first_run / dt) * dt)
        pops, stimuli = [], []
        analog = {native: [] for (native, _scale) in ANALOG.values()}
        self.recorded_v = set()
        for k, p in enumerate(self.populations):
            segs = []
            for (start, stop, entry) in p._segment_entries(k):
                entry["name"] = "p%ds%d" % (k, len(segs))
                segs.append((entry["name"], start, stop - start))
                pops.append(entry)
            self.segments[id(p)] = segs
            rec = p.recorder.recorded
            for name, (native, _scale) in ANALOG.items():
                ids = [int(i) - p.first_id for var, ids in rec.items() if var.name == name
                       for i in ids]
                if not ids:
                    continue
                last = max(ids)
                for (seg, start, size) in segs:
                    if start <= last:
                        n = min(size, last - start + 1)
                        analog[native].append({"population": seg, "n": int(n),
                                               "interval": float(p.recorder.sampling_interval)})
                        if name == "v":
                            self.recorded_v.add(seg)
        # current sources: one stimulus per (source, segment) it reaches
        for cs in self.current_sources:
            idx = []
            for p in self.populations:
                member = cs._member_mask(p)
                if member is None:
                    continue
                for (seg, start, size) in self.segments[id(p)]:
                    if member[start:start + size].all():
                        idx.append(len(stimuli))
                        stimuli.append(dict(cs._stimulus(), target=seg))
            self.stimulus_of[id(cs)] = idx
        table = [(seg, p.first_id + start, size, p.celltype)
                 for p in self.populations for (seg, start, size) in self.segments[id(p)]]
        projections, lists = [], []
        for pr in self.projections:
            for (src, tgt, conn) in pr._segment_lists(table):
                lists.append((len(projections), conn))
                projections.append({"source": src, "target": tgt, "rule": "from_list",
                                    "connections": [], "weight": 1.0, "delay": dt})
        d = {
            "simulation": {"dt": dt, "t_stop": t_stop, "seed": int(self.seed),
                           "threads": int(self.threads)},
            "populations": pops,
            "projections": projections,
            "stimuli": stimuli,
            "recorders": dict({"spikes": True, "rate_bin": 0.0}, **analog),
        }
        net = cortexsim.from_dict(d, name="pyNN script")
        for (i, (s, t, w, dl)) in lists:
            net = net.with_connections(i, s, t, w, dl)
        self.net = net
        self.sim = net.build(threads=int(self.threads))
        if self.min_delay_auto:
            delays = [float(np.min(c[3])) for (_i, c) in lists if len(c[3])]
            self.min_delay = min(delays) if delays else dt

    def update_source(self, population):
        """A population's parameters changed (``set``): pass them to the built
        simulation, segment by segment (each segment must stay uniform)."""
        if self.sim is None:
            return
        sets = {}
        for (seg, start, stop, entry) in population._segment_params():
            sets["populations.%s.params" % seg] = entry
        self.sim.update(sets)

    def update_current_source(self, cs):
        if self.sim is None:
            return
        sets = {}
        for i in self.stimulus_of.get(id(cs), []):
            for key, value in cs._stimulus().items():
                sets["stimuli.%d.%s" % (i, key)] = value
        self.sim.update(sets)


state = State()
