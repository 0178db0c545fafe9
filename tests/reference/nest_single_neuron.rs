//! Single-neuron traces and spike steps against NEST 3.10 (reference files made by
//! `scripts/nest_single_neuron.py`, in tests/data/nest/). Tolerance: 1e-9 relative on
//! every membrane-potential sample (relative to max(|V|, 1 mV)), spike steps identical.
//!
//! Includes NEST's `refractory_input = true` (inputs during refractoriness kept, discounted).

use crate::common;
use cortexsim::spec::NetworkBuilder;
use serde_json::Value;
use toml::Value as T;

fn check_case(path: &std::path::Path) -> (usize, f64) {
    let d: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = d["case"].as_str().unwrap();
    let model = d["model"].as_str().unwrap();
    let dt = d["dt"].as_f64().unwrap();
    let t_sim = d["t_sim"].as_f64().unwrap();
    let mut params: Vec<(&str, f64)> = Vec::new();
    let mut v0 = None;
    let mut refr_input = false;
    for (k, v) in d["params_effective"].as_object().unwrap() {
        match k.as_str() {
            "V_m" => v0 = v.as_f64(),
            // Escape-noise parameters of NEST 3.10: inactive with delta = 0 (hard threshold).
            "rho" => {}
            "delta" => assert_eq!(v.as_f64(), Some(0.0), "{case}: NEST escape noise is on"),
            "refractory_input" => refr_input = v.as_bool().unwrap(),
            _ => params.push((
                k.as_str(),
                v.as_f64()
                    .unwrap_or_else(|| panic!("{case}: parameter {k} = {v}")),
            )),
        }
    }
    let inputs = d["inputs"].as_array().unwrap();
    let mut b = NetworkBuilder::new()
        .simulation(&[
            ("dt", dt.into()),
            ("t_stop", t_sim.into()),
            ("grid_policy", "round".into()),
        ])
        .population("n", 1, model, &params)
        .recorders(&[(
            "v_m",
            T::Array(vec![T::Table(toml::toml! { population = "n"
            n = 1 })]),
        )]);
    if let Some(v0) = v0 {
        b = b.v_init("n", v0.into());
    }
    if refr_input {
        b = b.param("n", "refractory_input", true.into());
    }
    if !inputs.is_empty() {
        let times: Vec<T> = inputs
            .iter()
            .map(|i| T::Float(i["time_ms"].as_f64().unwrap()))
            .collect();
        let weights: Vec<T> = inputs
            .iter()
            .map(|i| T::Float(i["weight"].as_f64().unwrap()))
            .collect();
        b = b.stimulus(
            "spike_train",
            "n",
            &[
                ("spike_times", T::Array(times)),
                ("weights", T::Array(weights)),
                ("delay", d["delay_ms"].as_f64().unwrap().into()),
            ],
        );
    }
    let net = b.build().unwrap_or_else(|e| panic!("{case}: {e}"));
    let sim = common::run(&net, 1);
    let vm = sim.vm_samples(0).expect("v_m samples");
    let (times, rows) = (vm.times, vm.rows);
    let nest_v: Vec<f64> = d["v_m"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(rows.len(), nest_v.len(), "{case}: number of samples");
    let mut max_rel: f64 = 0.0;
    for (k, (row, nv)) in rows.iter().zip(&nest_v).enumerate() {
        let rel = (row[0] - nv).abs() / nv.abs().max(1.0);
        assert!(
            rel < 1e-9,
            "{case}: V_m at t = {} ms: cortexsim {} vs NEST {} (rel {rel:e})",
            times[k],
            row[0],
            nv
        );
        max_rel = max_rel.max(rel);
    }
    let ours: Vec<u64> = sim.recording.kept.iter().map(|s| s.0 + 1).collect();
    let nest: Vec<u64> = d["spike_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t.as_f64().unwrap() / dt).round() as u64)
        .collect();
    assert_eq!(ours, nest, "{case}: spike steps (end-of-step stamps)");
    (nest.len(), max_rel)
}

#[test]
fn single_neurons_match_nest() {
    let dir = common::manifest().join("tests/data/nest");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("iaf_") {
            continue;
        }
        let (spikes, rel) = check_case(&p);
        eprintln!("{name}: {spikes} spikes, max rel V_m difference {rel:.2e}");
        n += 1;
    }
    assert!(
        n >= 15,
        "expected at least 15 NEST reference cases in {}, found {n}",
        dir.display()
    );
}
