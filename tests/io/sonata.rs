//! O1: SONATA output round trip through HDF5 — layout, attributes, counts equal to the
//! summary, time order — and N1: a run that becomes numerically unstable stops with a
//! clear error, does not create its `--out` file and keeps the partial file, which says
//! it is incomplete.

use crate::common;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cortexsim"))
}

#[test]
fn spikes_rates_and_potentials_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.h5");
    let net = common::manifest().join("networks/brunel2000.toml");
    let o = bin()
        .args([
            "run",
            net.to_str().unwrap(),
            "--t-stop",
            "100",
            "--out",
            out.to_str().unwrap(),
            "--json",
            "--threads",
            "2",
        ])
        .args([
            "--set",
            "populations.E.size=2000",
            "--set",
            "populations.I.size=500",
        ])
        .args([
            "--set",
            "recorders.v_m=[{ population = \"I\", n = 3, interval = 0.5 }]",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = hdf5::File::open(&out).unwrap();
    let status: hdf5::types::VarLenUnicode = f.attr("status").unwrap().read_scalar().unwrap();
    assert_eq!(status.as_str(), "complete");
    let magic: u32 = f.attr("magic").unwrap().read_scalar().unwrap();
    assert_eq!(magic, 0x0A7A);
    let mut total = 0;
    for (pop, size) in [("E", 2000u64), ("I", 500)] {
        let g = f.group(&format!("spikes/{pop}")).unwrap();
        let sorting: cortexsim::io::sonata::Sorting =
            g.attr("sorting").unwrap().read_scalar().unwrap();
        assert_eq!(sorting, cortexsim::io::sonata::Sorting::by_time);
        let ts = g.dataset("timestamps").unwrap();
        let units: hdf5::types::VarLenUnicode = ts.attr("units").unwrap().read_scalar().unwrap();
        assert_eq!(units.as_str(), "ms");
        let t: Vec<f64> = ts.read_raw().unwrap();
        let ids: Vec<u64> = g.dataset("node_ids").unwrap().read_raw().unwrap();
        assert_eq!(t.len(), ids.len());
        assert_eq!(
            t.len() as u64,
            summary["populations"][pop]["spikes"].as_u64().unwrap(),
            "{pop}: file vs summary"
        );
        assert!(
            t.windows(2).all(|w| w[0] <= w[1]),
            "{pop}: not sorted by time"
        );
        assert!(t.iter().all(|&x| x > 0.0 && x <= 100.0 + 1e-9));
        assert!(ids.iter().all(|&i| i < size));
        // Spike times are on the grid (multiples of dt = 0.1 ms).
        assert!(
            t.iter()
                .all(|&x| ((x / 0.1) - (x / 0.1).round()).abs() < 1e-6)
        );
        let rates: Vec<f64> = f
            .dataset(&format!("rates/{pop}"))
            .unwrap()
            .read_raw()
            .unwrap();
        assert_eq!(rates.len(), 100);
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        let r = summary["populations"][pop]["rate_hz"].as_f64().unwrap();
        assert!(
            (mean - r).abs() < 1e-9 * r.max(1.0),
            "{pop}: binned rate {mean} vs summary {r}"
        );
        total += t.len() as u64;
    }
    assert_eq!(total, summary["spikes_written"].as_u64().unwrap());
    let vm = f.dataset("v_m/I/data").unwrap();
    assert_eq!(vm.shape(), vec![200, 3]);
    let times: Vec<f64> = f.dataset("v_m/I/times").unwrap().read_raw().unwrap();
    assert!((times[0] - 0.5).abs() < 1e-12 && (times[199] - 100.0).abs() < 1e-9);
}

#[test]
fn numerical_instability_is_reported_and_the_file_stays_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad.h5");
    let net = dir.path().join("n.toml");
    // Excitatory and inhibitory loops onto a membrane of 1e-300 pF: both synaptic inputs
    // drive V to ±infinity and their sum is NaN. (Weights beyond the f32 range, 1e306
    // before, are refused as input since issue 10.)
    std::fs::write(
        &net,
        r#"
[simulation]
t_stop = 50.0
[[populations]]
name = "A"
size = 100
model = "iaf_psc_exp"
params = { V_th = -69.0, t_ref = 0.0, C_m = 1e-300 }
[[projections]]
source = "A"
target = "A"
rule = "all_to_all"
weight = 1e30
delay = 0.1
[[projections]]
source = "A"
target = "A"
rule = "all_to_all"
weight = -1e30
delay = 0.1
[[stimuli]]
kind = "spike_train"
target = "A"
spike_times = [1.0]
weight = 1e30
"#,
    )
    .unwrap();
    let o = bin()
        .args(["run", net.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "exit code");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("numerical instability") && err.contains("population \"A\""),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    assert!(!out.exists(), "a failed run must not put its file in place");
    let partial = dir.path().join(format!("bad.partial-{}.h5", o_pid(&err)));
    assert!(
        err.contains(&format!(
            "spikes up to the failure are in {}",
            partial.display()
        )),
        "{err}"
    );
    let f = hdf5::File::open(&partial).unwrap();
    let status: hdf5::types::VarLenUnicode = f.attr("status").unwrap().read_scalar().unwrap();
    assert_eq!(status.as_str(), "incomplete");
}

/// The PID in the name of the partial file that a failure message names.
fn o_pid(err: &str) -> String {
    let i = err.find(".partial-").expect("no partial file named") + ".partial-".len();
    err[i..].chars().take_while(char::is_ascii_digit).collect()
}

/// Conductance recorders (`[[recorders.g_ex]]`, `g_in`) are written like `/v_m`: one group
/// per variable, units nS, the samples equal to the engine's (`Simulation::analog_samples`),
/// and read back by `sonata::read`.
#[test]
fn conductances_round_trip() {
    use cortexsim::spec::Analog;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("coba.h5");
    let path = common::manifest().join("networks/vogels_abbott_coba.toml");
    let sets = [
        "simulation.t_stop=50.0",
        "recorders.g_ex=[{ population = \"E\", n = 4, interval = 0.5 }]",
        "recorders.g_in=[{ population = \"I\", n = 2, interval = 0.1 }]",
    ];
    let mut cmd = bin();
    cmd.args([
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f = hdf5::File::open(&out).unwrap();
    for (ds, shape) in [("g_ex/E/data", [100, 4]), ("g_in/I/data", [500, 2])] {
        let d = f.dataset(ds).unwrap();
        assert_eq!(d.shape(), shape.to_vec(), "{ds}");
        let units: hdf5::types::VarLenUnicode = d.attr("units").unwrap().read_scalar().unwrap();
        assert_eq!(units.as_str(), "nS");
    }
    assert!(f.group("v_m").is_err(), "no v_m recorder, no /v_m");
    let back = cortexsim::io::sonata::read(&out).unwrap();
    // The same network run in the engine directly.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut table: toml::Table = text.parse().unwrap();
    let owned: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    cortexsim::spec::overrides::apply_all(&mut table, &owned).unwrap();
    let net = cortexsim::spec::Network::from_table(&table).unwrap();
    let sim = common::run(&net, 1);
    let e = sim.analog_samples(Analog::GEx, 0).unwrap();
    let i = sim.analog_samples(Analog::GIn, 1).unwrap();
    assert_eq!(back.vm, vec![e.clone(), i.clone()]);
    assert!(e.rows.iter().flatten().any(|&g| g > 0.0));
    assert!(i.rows.iter().flatten().all(|&g| g >= 0.0));
}
