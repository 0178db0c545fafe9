//! The rate commands of the binary: `run` on rate/model files, `timescales`, `scan`.
//!
//! Data: `$CORTEXSIM_DATA`, else the repository's `data/`; missing data fails loudly.
use crate::common::{cortexsim, json_of, network};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cortexsim-cli-rate-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn is_png(p: &Path) -> bool {
    std::fs::read(p).is_ok_and(|b| b.len() > 1000 && b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn chaudhuri_baseline_before_the_pulse() {
    // The file's only stimulus is a V1 pulse starting at 100 ms: up to 90 ms every area
    // sits at the baseline the background input is solved for (E 10 Hz, I 35 Hz).
    let net = network("chaudhuri2015.toml");
    let j = json_of(&["run", &net, "--json", "--set", "simulation.t_stop=90"]);
    assert_eq!(j["kind"], "rate");
    let pops = j["populations"].as_object().unwrap();
    assert_eq!(pops.len(), 58);
    for (name, p) in pops {
        let want = if name.ends_with(".E") {
            10.0
        } else {
            assert!(name.ends_with(".I"), "{name}");
            35.0
        };
        for key in ["rate_hz", "min_hz", "max_hz"] {
            let v = f(&p[key]);
            assert!(
                (v - want).abs() <= 1e-3 * want,
                "{name} {key} = {v}, expected {want}"
            );
        }
    }
    assert_eq!(f(&j["t_stop_ms"]), 90.0);
}

#[test]
fn chaudhuri_pulse_csv_plot_and_set() {
    let net = network("chaudhuri2015.toml");
    let csv = tmp("chaudhuri.csv");
    let png = tmp("chaudhuri_traces.png");
    let (csv_s, png_s) = (csv.display().to_string(), png.display().to_string());
    let j = json_of(&[
        "run",
        &net,
        "--json",
        "--set",
        "simulation.t_stop=1000",
        "--out",
        &csv_s,
        "--plot",
        &png_s,
    ]);
    // The 250 ms pulse drives V1 to ~100 Hz; the response decays along the hierarchy.
    let v1 = &j["populations"]["V1.E"];
    assert!(f(&v1["max_hz"]) > 80.0, "{v1}");
    assert!((f(&v1["min_hz"]) - 10.0).abs() < 1e-2, "{v1}");
    let rise_24c = f(&j["populations"]["24c.E"]["max_hz"]) - 10.0;
    assert!(rise_24c > 0.0 && rise_24c < 0.1 * (f(&v1["max_hz"]) - 10.0));
    // CSV: header t_ms + 58 populations, one row per sample (every 5 steps of 0.2 ms).
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), 59);
    assert_eq!(header[0], "t_ms");
    assert_eq!(header[1], "V1.E");
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len() as u64, j["samples"].as_u64().unwrap());
    assert_eq!(rows.len(), 1001);
    assert_eq!(rows[1][0], 1.0);
    let v1_col: Vec<f64> = rows.iter().map(|r| r[1]).collect();
    let max_csv = v1_col.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(max_csv, f(&v1["max_hz"]));
    assert!(is_png(&png), "no PNG at {}", png.display());
    // --set reaches the rate file: without the pulse V1 stays at baseline.
    let j = json_of(&[
        "run",
        &net,
        "--json",
        "--set",
        "simulation.t_stop=1000",
        "--set",
        "stimuli.0.amplitude=0",
    ]);
    let max = f(&j["populations"]["V1.E"]["max_hz"]);
    assert!((max - 10.0).abs() < 1e-2, "{max}");
}

#[test]
fn timescales_rise_with_hierarchy() {
    let net = network("chaudhuri2015.toml");
    let png = tmp("timescales.png");
    let png_s = png.display().to_string();
    let j = json_of(&["timescales", &net, "--json", "--plot", &png_s]);
    let rho = f(&j["spearman_vs_hierarchy"]);
    assert!(rho >= 0.8, "Spearman {rho}");
    let pops = j["populations"].as_object().unwrap();
    assert_eq!(pops.len(), 29);
    let tau = |a: &str| f(&pops[&format!("{a}.E")]["tau_ms"]);
    eprintln!(
        "V1 {:.1} ms, 24c {:.1} ms, Spearman {rho:.3}",
        tau("V1"),
        tau("24c")
    );
    assert!(tau("V1") > 5.0 && tau("V1") < 100.0);
    assert!(tau("24c") > 5.0 * tau("V1"));
    assert!(is_png(&png));
    // No gradient: the correlation with the hierarchy is lost.
    let j0 = json_of(&["timescales", &net, "--json", "--set", "model.eta=0"]);
    let rho0 = f(&j0["spearman_vs_hierarchy"]);
    assert!(rho0 < rho - 0.2, "eta 0: {rho0} vs {rho}");
}

#[test]
fn scan_shows_hysteresis_where_the_model_is_bistable() {
    // r = 100 / (1 + exp(-0.2 (0.6 r + I - 40))) has two stable states for
    // I in (-3.03, 23.03) (saddle-nodes where 0.12 r (1 - r/100) = 1).
    let (lo, hi) = {
        let r = |s: f64| 50.0 + s * (2500.0f64 - 2500.0 / 3.0).sqrt();
        let i = |r: f64| 40.0 + (r / (100.0 - r)).ln() / 0.2 - 0.6 * r;
        (i(r(1.0)), i(r(-1.0)))
    };
    let png = tmp("bifurcation.png");
    let png_s = png.display().to_string();
    let j = json_of(&[
        "scan",
        &network("bistable_local.toml"),
        "--param",
        "rate_populations.E.bias",
        "--from",
        "-10",
        "--to",
        "35",
        "--steps",
        "10",
        "--json",
        "--plot",
        &png_s,
    ]);
    let values: Vec<f64> = j["values"].as_array().unwrap().iter().map(f).collect();
    assert_eq!(values.len(), 10);
    let (up, down) = (j["up"].as_array().unwrap(), j["down"].as_array().unwrap());
    assert_eq!((up.len(), down.len()), (10, 10));
    for (k, &v) in values.iter().enumerate() {
        assert_eq!(f(&up[k]["value"]), v);
        assert_eq!(f(&down[k]["value"]), v);
        let (ru, rd) = (f(&up[k]["rates_hz"]["E"]), f(&down[k]["rates_hz"]["E"]));
        assert!(up[k]["settled"].as_bool().unwrap() && down[k]["settled"].as_bool().unwrap());
        // Upward sweep leaves the low state only past the upper saddle-node, the downward
        // sweep leaves the high state only below the lower one.
        assert_eq!(ru > 50.0, v > hi, "up at {v}: {ru}");
        assert_eq!(rd > 50.0, v > lo, "down at {v}: {rd}");
    }
    let bistable: Vec<f64> = j["bistable_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    let want: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&v| v > lo && v < hi)
        .collect();
    assert_eq!(bistable, want);
    assert!(is_png(&png));
}

#[test]
fn scan_on_the_29_area_model_has_both_branches() {
    let j = json_of(&[
        "scan",
        &network("chaudhuri2015.toml"),
        "--param",
        "model.mu_ee",
        "--from",
        "30",
        "--to",
        "34",
        "--steps",
        "2",
        "--set",
        "simulation.t_stop=3000",
        "--pop",
        "V1.E",
        "--pop",
        "24c.E",
        "--json",
    ]);
    for branch in ["up", "down"] {
        let steps = j[branch].as_array().unwrap();
        assert_eq!(steps.len(), 2);
        for s in steps {
            let r = s["rates_hz"].as_object().unwrap();
            assert_eq!(r.len(), 2);
            // Long after the pulse every area is back near its baseline.
            for (name, v) in r {
                assert!((f(v) - 10.0).abs() < 0.5, "{branch} {name} {v}");
            }
        }
    }
}

#[test]
fn missing_data_directory_is_an_invalid_input() {
    let net = network("chaudhuri2015.toml");
    let missing = "/nonexistent/cortexsim-data";
    let out = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(["run", &net, "--json"])
        .env("CORTEXSIM_DATA", missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(missing), "{err}");
    for cmd in ["run", "timescales"] {
        let out = cortexsim(&[cmd, &net, "--data", missing]);
        assert_eq!(out.status.code(), Some(3), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(missing), "{cmd}: {err}");
    }
    // No data directory at all: the data set compiled into the program, which gives the
    // same traces as the data directory.
    let run_json = |data: Option<std::path::PathBuf>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cortexsim"));
        c.args(["run", &net, "--json", "--t-stop", "200"]);
        match data {
            Some(d) => c.env("CORTEXSIM_DATA", d),
            None => c.env_remove("CORTEXSIM_DATA"),
        };
        let out = c.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["populations"].clone()
    };
    assert_eq!(run_json(None), run_json(Some(crate::common::data_dir())));
}

#[test]
fn rate_only_options_and_bad_scan_arguments() {
    // --plot draws spike rasters of spiking networks (tests/cli/plots_cli.rs); the raster
    // populations are for spiking networks only.
    let out = cortexsim(&[
        "run",
        &network("ei_local.toml"),
        "--plot",
        "x.png",
        "--raster-pops",
        "E",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--raster-pops"));
    assert!(!Path::new("x.png").exists());
    let out = cortexsim(&[
        "scan",
        &network("bistable_local.toml"),
        "--param",
        "rate_populations.E.bias",
        "--from",
        "0",
        "--to",
        "1",
        "--steps",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let out = cortexsim(&[
        "scan",
        &network("bistable_local.toml"),
        "--param",
        "rate_populations.E.tua",
        "--from",
        "0",
        "--to",
        "1",
        "--steps",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tau"));
}

#[test]
fn task_protocol_epoch_table_and_persistent_areas() {
    // Built-in network and protocol by name; the protocol sets the length (5.5 s).
    let j = json_of(&[
        "run",
        "mejias_wang2022",
        "--protocol",
        "wm_visual",
        "--json",
    ]);
    assert_eq!(f(&j["t_stop_ms"]), 5500.0);
    let epochs = j["epochs"].as_array().unwrap();
    let names: Vec<&str> = epochs.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["fixation", "target", "delay"]);
    // Every population in every epoch.
    for e in epochs {
        assert_eq!(e["rate_hz"].as_object().unwrap().len(), 29 * 6);
    }
    assert!(
        f(&epochs[1]["rate_hz"]["V1.A"]) > 30.0,
        "V1 driven by the target"
    );
    let p = &j["persistence"];
    let list: Vec<&str> = p["persistent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        list.contains(&"9/46d.A") && !list.contains(&"V1.A"),
        "{list:?}"
    );
    assert_eq!(p["populations"].as_object().unwrap().len(), 29);
    // The readable table.
    let out = cortexsim(&["run", "mejias_wang2022", "--protocol", "wm_visual"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mean rate per epoch (Hz):"), "{text}");
    assert!(
        text.contains("fixation") && text.contains("1000-1500"),
        "{text}"
    );
    assert!(
        text.contains("persistent (delay 4500-5500 ms minus fixation > 5 Hz)"),
        "{text}"
    );
    // Refusals: a spiking network, a protocol that does not exist.
    let out = cortexsim(&[
        "run",
        "brunel2000",
        "--protocol",
        "wm_visual",
        "--no-output",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rate models only"));
    let out = cortexsim(&["run", "mejias_wang2022", "--protocol", "no/such.toml"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such.toml"));
}

#[test]
fn scan_through_a_task_protocol_reports_where_persistence_appears() {
    let j = json_of(&[
        "scan",
        "mejias_wang2022",
        "--param",
        "model.g",
        "--from",
        "0.40",
        "--to",
        "0.50",
        "--steps",
        "3",
        "--protocol",
        "wm_visual",
        "--json",
    ]);
    assert_eq!(j["param"], "model.g");
    let counts: Vec<u64> = j["persistent_count"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(counts[0], 0, "G = 0.40: no distributed persistent activity");
    assert!(counts[2] >= 18, "G = 0.50: {counts:?}");
    let p = &j["populations"];
    assert_eq!(f(&p["9/46d.A"]["appears"]), 0.5);
    assert!(p["9/46d.A"]["disappears"].is_null());
    assert!(p["V1.A"]["appears"].is_null());
    // A protocol without [persistence] is refused, naming the table.
    let proto = tmp("no_persistence.toml");
    std::fs::write(&proto, "[[epochs]]\nname = \"a\"\nduration = 10.0\n").unwrap();
    let out = cortexsim(&[
        "scan",
        "mejias_wang2022",
        "--param",
        "model.g",
        "--from",
        "0.4",
        "--to",
        "0.5",
        "--steps",
        "2",
        "--protocol",
        &proto.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[persistence]"));
}
