"""pyNN.cortexsim: a PyNN script gives the spikes of the same network written directly
for cortexsim (NEST units and names), runs continue, reset repeats, spike sources change
between runs, and what cannot be expressed is refused by name. Skipped without PyNN."""

import numpy as np
import pytest

pytest.importorskip("pyNN.standardmodels")  # PyNN itself, not only our alias module
pytest.importorskip("neo")

import cortexsim  # noqa: E402


def pynn_script(sim, t_stop):
    sim.setup(timestep=0.1, seed=11)
    src = sim.Population(30, sim.SpikeSourcePoisson(rate=80.0), label="src")
    arr = sim.Population(2, sim.SpikeSourceArray(spike_times=[3.0, 7.5, 40.0]))
    E = sim.Population(20, sim.IF_curr_exp(i_offset=0.6, tau_refrac=2.0, tau_m=10.0))
    I = sim.Population(8, sim.IF_cond_exp(tau_m=15.0, i_offset=0.1))
    E.initialize(v=-60.0)
    w = sim.StaticSynapse
    sim.Projection(src, E, sim.AllToAllConnector(), w(weight=0.1, delay=1.0))
    sim.Projection(E, I, sim.AllToAllConnector(), w(weight=0.004, delay=0.5))
    sim.Projection(I, E[0:8], sim.OneToOneConnector(), w(weight=-0.5, delay=1.5),
                   receptor_type="inhibitory")
    sim.Projection(arr, I, sim.AllToAllConnector(), w(weight=0.02, delay=0.1))
    for p in (src, arr, E, I):
        p.record("spikes")
    E.record("v")
    sim.run(t_stop / 2)
    sim.run(t_stop / 2)
    return [p.get_data().segments[0] for p in (src, arr, E, I)]


def direct(t_stop):
    cur = {"C_m": 1000.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -65.0, "V_reset": -65.0,
           "V_th": -50.0, "tau_syn_ex": 5.0, "tau_syn_in": 5.0, "I_e": 600.0}
    cond = {"C_m": 1000.0, "g_L": 1000.0 / 15.0, "t_ref": 0.1, "E_L": -65.0,
            "V_reset": -65.0, "V_th": -50.0, "tau_syn_ex": 5.0, "tau_syn_in": 5.0,
            "I_e": 100.0, "E_ex": 0.0, "E_in": -70.0}
    d = {
        "simulation": {"dt": 0.1, "t_stop": t_stop, "seed": 11},
        "populations": [
            {"name": "src", "size": 30, "model": "spike_source_poisson",
             "params": {"rate": 80.0, "start": 0.0}},
            {"name": "arr", "size": 2, "model": "spike_source_array",
             "params": {"spike_times": [3.0, 7.5, 40.0]}},
            {"name": "E", "size": 20, "model": "iaf_psc_exp", "params": cur, "v_init": -60.0},
            {"name": "I", "size": 8, "model": "iaf_cond_exp", "params": cond, "v_init": -65.0},
        ],
        "projections": [
            {"source": "src", "target": "E", "rule": "all_to_all", "weight": 100.0, "delay": 1.0},
            {"source": "E", "target": "I", "rule": "all_to_all", "weight": 4.0, "delay": 0.5},
            {"source": "arr", "target": "I", "rule": "all_to_all", "weight": 20.0, "delay": 0.1},
        ],
        "recorders": {"spikes": True, "rate_bin": 0.0,
                      "v_m": [{"population": "E", "n": 20, "interval": 0.1}]},
    }
    # I -> E[0:8] one to one, inhibitory: a connection list
    d["projections"].append({"source": "I", "target": "E", "rule": "from_list",
                             "connections": [[k, k, -500.0, 1.5] for k in range(8)]})
    return cortexsim.from_dict(d).run(threads=1)


def test_pynn_script_gives_the_spikes_of_the_direct_network():
    import cortexsim.pynn as sim
    t_stop = 100.0
    segs = pynn_script(sim, t_stop)
    res = direct(t_stop)
    for seg, name in zip(segs, ["src", "arr", "E", "I"]):
        t, ids = res.spikes[name]
        got = sorted((float(s.annotations.get("source_index", k)), float(x))
                     for k, s in enumerate(seg.spiketrains) for x in s.magnitude)
        want = sorted(zip(ids.astype(float), t))
        assert len(want) > 0 or name == "I"
        assert got == want, name
    v = segs[2].analogsignals[0].magnitude
    assert v.shape == (int(t_stop / 0.1) + 1, 20)
    assert np.allclose(v[0], -60.0)
    assert np.array_equal(v[1:], res.v_m["E"]["v_m"])
    sim.end()


def test_reset_repeats_and_rates_change_between_runs():
    import cortexsim.pynn as sim
    sim.setup(timestep=0.1, seed=3)
    src = sim.Population(10, sim.SpikeSourcePoisson(rate=100.0))
    src.record("spikes")
    sim.run(50.0)
    first = src.get_data().segments[0]
    n_first = sum(len(s) for s in first.spiketrains)
    assert n_first > 0
    sim.reset()
    sim.run(50.0)
    again = src.get_data().segments[1]
    assert [list(s.magnitude) for s in again.spiketrains] == \
        [list(s.magnitude) for s in first.spiketrains]
    src.set(rate=0.0)
    sim.run(50.0)
    seg = src.get_data().segments[1]
    assert sum(int((s.magnitude > 50.0 + 1e-9).sum()) for s in seg.spiketrains) == 0
    assert sim.get_current_time() == pytest.approx(100.0)
    sim.end()


def test_what_cortexsim_cannot_express_is_refused_by_name():
    import cortexsim.pynn as sim
    sim.setup(timestep=0.1)
    a = sim.Population(2, sim.IF_cond_exp())
    with pytest.raises(NotImplementedError, match="TsodyksMarkramSynapse"):
        sim.Projection(a, a, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse())
    with pytest.raises(NotImplementedError, match="non-zero initial value of 'gsyn_exc'"):
        a.initialize(gsyn_exc=0.01)
    sim.run(1.0)
    with pytest.raises(NotImplementedError, match="neurons 0 and 1 of .*split"):
        a[0:1].set(tau_m=5.0)
    assert a.get("tau_m") == pytest.approx(20.0)  # the refused change is undone
    with pytest.raises(NotImplementedError, match="'gsyn_inh' after the first run"):
        a.record("gsyn_inh")
    sim.end()


def test_pyNN_cortexsim_alias():
    pyNN_cortexsim = pytest.importorskip("pyNN.cortexsim")
    import cortexsim.pynn
    assert pyNN_cortexsim.Population is cortexsim.pynn.Population


def test_initial_values_from_pynn_random_numbers_are_kept_across_resets():
    import cortexsim.pynn as sim
    from pyNN.random import NumpyRNG, RandomDistribution
    sim.setup(timestep=0.1)
    p = sim.Population(50, sim.IF_curr_exp())
    p.initialize(v=RandomDistribution("uniform", low=-70.0, high=-55.0, rng=NumpyRNG(seed=5)))
    want = RandomDistribution("uniform", low=-70.0, high=-55.0, rng=NumpyRNG(seed=5)).next(50)
    p.record("v")
    sim.run(1.0)
    sim.reset()
    sim.run(1.0)
    for seg in p.get_data().segments:
        v = seg.analogsignals[0].magnitude
        assert np.allclose(v[0], want)
        assert np.allclose(v[1], sim.simulator.state.sim.v_m()["p0s0"]["v_m"][0])
    # one cortexsim population, not one per neuron
    assert len(sim.simulator.state.segments[id(p)]) == 1
    sim.end()


def small_network(sim, simtime):
    """PyNN 0.13's examples/small_network.py (its network and recorders, shorter)."""
    from pyNN.parameters import Sequence
    from pyNN.random import NumpyRNG, RandomDistribution as rnd
    n, w, dt, syn_delay, input_rate = 20, 0.002, 0.1, 1.0, 50.0
    cell_params = {"tau_m": 20.0, "tau_syn_E": 2.0, "tau_syn_I": 4.0, "e_rev_E": 0.0,
                   "e_rev_I": -70.0, "tau_refrac": 2.0, "v_rest": -60.0, "v_reset": -70.0,
                   "v_thresh": -50.0, "cm": 0.5}
    sim.setup(timestep=dt, max_delay=syn_delay)
    cells = sim.Population(n, sim.IF_cond_alpha(**cell_params),
                           initial_values={"v": rnd("uniform", (-60.0, -50.0),
                                                    NumpyRNG(seed=945645645))},
                           label="cells")
    number = int(2 * simtime * input_rate / 1000.0)
    rs = np.random.RandomState(26278342)
    # on the grid: cortexsim (and pyNN.nest's on-grid models) round them anyway
    times = [Sequence(np.round(np.add.accumulate(
        dt + rs.exponential(1000.0 / input_rate, size=number)) / dt) * dt) for _ in range(n)]
    spike_source = sim.Population(n, sim.SpikeSourceArray(spike_times=times))
    spike_source.record("spikes")
    cells.record("spikes")
    cells[0:2].record(("v", "gsyn_exc"))
    cells[1:3].record("gsyn_inh", sampling_interval=0.1)
    conns = sim.Projection(spike_source, cells, sim.FixedProbabilityConnector(0.5),
                           sim.StaticSynapse(weight=w, delay=syn_delay))
    sim.run(simtime)
    return cells, conns, times


def test_small_network_records_gsyn_as_the_direct_api():
    import cortexsim.pynn as sim
    import quantities as pq
    simtime = 200.0
    cells, conns, times = small_network(sim, simtime)
    seg = cells.get_data().segments[0]
    v0 = np.asarray(cells.initial_values["v"].evaluate(simplify=False), float)
    src, tgt, wt, dl = (np.asarray(c) for c in zip(*conns.get(["weight", "delay"],
                                                            format="list")))
    sim.end()
    ge = seg.filter(name="gsyn_exc")[0]
    gi = seg.filter(name="gsyn_inh")[0]
    assert ge.units == pq.uS and ge.shape == (int(simtime / 0.1) + 1, 2)
    assert list(ge.array_annotations["channel_index"]) == [0, 1]
    assert gi.shape == (int(simtime / 0.1) + 1, 2)
    assert list(gi.array_annotations["channel_index"]) == [1, 2]
    assert float(ge.sampling_period.rescale(pq.ms)) == pytest.approx(0.1)
    assert ge.magnitude.max() > 0.0 and np.all(gi.magnitude == 0.0)  # no inhibitory input
    # the same network written for cortexsim directly (NEST's units: nS, pF)
    cond = {"C_m": 500.0, "g_L": 25.0, "t_ref": 2.0, "E_L": -60.0, "V_reset": -70.0,
            "V_th": -50.0, "tau_syn_ex": 2.0, "tau_syn_in": 4.0, "E_ex": 0.0, "E_in": -70.0,
            "I_e": 0.0}
    d = {
        "simulation": {"dt": 0.1, "t_stop": simtime},
        "populations": [
            {"name": "src", "size": 20, "model": "spike_source_array",
             "params": {"spike_times": [[float(x) for x in t.value if x <= simtime + 1.0]
                                        for t in times]}},
            {"name": "cells", "size": 20, "model": "iaf_cond_alpha", "params": cond},
        ],
        "projections": [{"source": "src", "target": "cells", "rule": "from_list",
                         "connections": [], "weight": 1.0, "delay": 0.1}],
        "recorders": {"spikes": True, "rate_bin": 0.0,
                      "g_ex": [{"population": "cells", "n": 2, "interval": 0.1}],
                      "g_in": [{"population": "cells", "n": 3, "interval": 0.1}]},
    }
    net = cortexsim.from_dict(d).with_connections(
        0, src.astype(np.uint64), tgt.astype(np.uint64), wt * 1000.0, dl)
    s = net.build(threads=1)
    s.set_potentials("cells", v0)
    s.run(simtime)
    direct = s.g_ex()["cells"]
    assert direct["g_ex"].dtype == np.float64 and direct["g_ex"].shape == (2000, 2)
    assert np.array_equal(direct["times_ms"], np.arange(1, 2001) * 0.1)
    assert np.array_equal(ge.magnitude[0], [0.0, 0.0])
    assert np.array_equal(ge.magnitude[1:], direct["g_ex"] * 1e-3)
    assert np.array_equal(gi.magnitude[1:], s.g_in()["cells"]["g_in"][:, 1:3] * 1e-3)
    # and through a whole run: RunResult.g_ex, the same numbers
    res = net.run(t_stop=simtime, threads=1)
    assert "cells" in res.g_ex and res.g_in["cells"]["g_in"].shape == (2000, 3)


def test_gsyn_recording_is_refused_for_current_based_cells():
    import cortexsim.pynn as sim
    from pyNN import errors
    sim.setup(timestep=0.1)
    a = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.RecordingError):
        a.record("gsyn_exc")
    sim.end()
    bad = {"simulation": {"t_stop": 1.0},
           "populations": [{"name": "P", "size": 1, "model": "iaf_psc_exp"}],
           "recorders": {"g_in": [{"population": "P", "interval": 0.1}]}}
    with pytest.raises(cortexsim.SpecError) as e:
        cortexsim.from_dict(bad)
    assert e.value.key == "recorders.g_in[0].population"
    assert "iaf_psc_exp" in str(e.value) and "no g_in" in str(e.value)


def test_set_between_runs_changes_neuron_parameters():
    # IF_curr_exp at rest, no input: i_offset 0.2 nA from 50 ms, tau_m 10 ms from 100 ms;
    # the closed-form membrane trajectory (NEST's SetStatus semantics).
    import cortexsim.pynn as sim
    sim.setup(timestep=0.1)
    p = sim.Population(4, sim.IF_curr_exp(tau_m=20.0, cm=1.0, v_rest=-65.0,
                                          i_offset=[0.0, 0.0, 0.1, 0.1]))
    p.initialize(v=-65.0)
    p.record("v")
    sim.run(50.0)
    p.set(i_offset=0.2)
    sim.run(50.0)
    p[0:2].set(tau_m=10.0)  # the first of two cortexsim populations, whole
    p[2:4].set(tau_m=10.0)
    sim.run(50.0)
    v = p.get_data().segments[0].analogsignals[0]
    t = np.asarray(v.times.magnitude)
    v = np.asarray(v.magnitude)
    assert len(t) == 1501
    # neurons 2, 3 had 0.1 nA from the start: v(50) = -65 + 2 (1 - e^-2.5)
    v50 = -65.0 + np.array([0.0, 0.0, 2.0, 2.0]) * -np.expm1(-50.0 / 20.0)
    want = np.empty_like(v)
    a = t <= 50.0 + 1e-9
    want[a] = -65.0 + np.outer(-np.expm1(-t[a] / 20.0), [0.0, 0.0, 2.0, 2.0])
    b = (t > 50.0 + 1e-9) & (t <= 100.0 + 1e-9)
    want[b] = -61.0 + (v50 + 61.0) * np.exp(-(t[b, None] - 50.0) / 20.0)
    v100 = -61.0 + (v50 + 61.0) * np.exp(-50.0 / 20.0)
    c = t > 100.0 + 1e-9
    want[c] = -63.0 + (v100 + 63.0) * np.exp(-(t[c, None] - 100.0) / 10.0)
    assert np.max(np.abs(v - want)) < 1e-9
    assert len(sim.simulator.state.segments[id(p)]) == 2
    sim.end()


def test_assembly_set_between_runs():
    import cortexsim.pynn as sim
    sim.setup(timestep=0.1)
    a = sim.Population(2, sim.IF_curr_exp(v_rest=-65.0))
    b = sim.Population(3, sim.IF_cond_exp(v_rest=-65.0))
    asm = a + b
    asm.initialize(v=-65.0)
    sim.run(10.0)
    asm.set(i_offset=0.1)  # nA: 100 pA through R = tau_m / cm = 20 MOhm, from 10 ms
    sim.run(10.0)
    want = -65.0 + 2.0 * -np.expm1(-10.0 / 20.0)
    st = sim.simulator.state.sim
    for seg in ("p0s0", "p1s0"):
        assert np.allclose(st.potentials(seg), want, atol=1e-9)
    with pytest.raises(NotImplementedError, match="neurons 0 and 1 of"):
        asm[1:3].set(tau_m=12.0)
    assert a.get("tau_m") == pytest.approx(20.0) and b.get("tau_m") == pytest.approx(20.0)
    # all or nothing: `a` takes the change, the view over part of `b` refuses it, and `a`
    # gets its value back (in PyNN and in the built simulation)
    with pytest.raises(NotImplementedError):
        (a + b[0:1]).set(tau_m=12.0)
    assert a.get("tau_m") == pytest.approx(20.0) and b.get("tau_m") == pytest.approx(20.0)
    v_before = st.potentials("p0s0").copy()
    sim.run(10.0)
    want2 = -63.0 + (want + 63.0) * np.exp(-10.0 / 20.0)  # tau_m still 20 ms
    assert np.allclose(st.potentials("p0s0"), want2, atol=1e-9), (v_before, want2)
    sim.end()
