//! `cortexsim run --plot` on spiking networks (spike raster) and `cortexsim pulse-compare`
//! (spiking vs rate pulse response): PNGs, JSON keys, exit codes. Small networks
//! (400 neurons per area). The PNGs are left in `CARGO_TARGET_TMPDIR` for inspection.
//!
//! Data: `$CORTEXSIM_DATA`, else the repository's `data/`; missing data fails loudly.
#![cfg(feature = "plots")]

use crate::common::{cortexsim, json_of, network};
use std::path::{Path, PathBuf};

fn out_path(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// Checks the PNG signature and the IHDR chunk; returns (width, height, bytes).
fn png_info(path: &Path) -> (u32, u32, usize) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(b.len() > 33, "{}: too short", path.display());
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(&b[12..16], b"IHDR", "{}: no IHDR chunk", path.display());
    let be = |k: usize| u32::from_be_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]);
    (be(16), be(20), b.len())
}

const SMALL: &str = "model.n_per_area=400";

#[test]
fn run_plot_draws_a_raster_of_the_default_areas() {
    let png = out_path("raster_joglekar_weak_400.png");
    let j = json_of(&[
        "run",
        &network("joglekar2018_spiking_weak.toml"),
        "--set",
        SMALL,
        "--t-stop",
        "500",
        "--threads",
        "2",
        "--no-output",
        "--json",
        "--plot",
        png.to_str().unwrap(),
    ]);
    let (w, h, bytes) = png_info(&png);
    // 8 bands of 90 px over a 340 px rate panel.
    assert!(w >= 1000 && h >= 8 * 90 + 340, "{w}x{h}");
    // A raster of ~1600 drawn neurons over 500 ms is far from a blank image.
    assert!(bytes > 50_000, "{bytes} bytes");
    assert_eq!(j["plot"], png.to_str().unwrap());
    let pops: Vec<&str> = j["raster_populations"]
        .as_array()
        .expect("raster_populations")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        pops,
        [
            "V1_E", "V2_E", "V4_E", "TEO_E", "7A_E", "46d_E", "9_46d_E", "24c_E"
        ]
    );
}

#[test]
fn run_plot_raster_pops_are_stacked_by_hierarchy() {
    let png = out_path("raster_joglekar_pops.png");
    let j = json_of(&[
        "run",
        &network("joglekar2018_spiking_weak.toml"),
        "--set",
        SMALL,
        "--set",
        "model.pulse=false",
        "--t-stop",
        "200",
        "--threads",
        "2",
        "--no-output",
        "--json",
        "--plot",
        png.to_str().unwrap(),
        "--raster-pops",
        "24c_E,V4_I,V1_E",
    ]);
    let (w, h, bytes) = png_info(&png);
    assert!(
        w >= 1000 && h >= 360 + 340 && bytes > 20_000,
        "{w}x{h}, {bytes} B"
    );
    assert_eq!(
        j["raster_populations"],
        serde_json::json!(["V1_E", "V4_I", "24c_E"])
    );
}

#[test]
fn run_plot_without_hierarchy_takes_the_network_order() {
    let png = out_path("raster_brunel_small.png");
    let j = json_of(&[
        "run",
        &network("brunel2000.toml"),
        "--set",
        "populations.E.size=2000",
        "--set",
        "populations.I.size=500",
        "--t-stop",
        "100",
        "--threads",
        "2",
        "--no-output",
        "--json",
        "--plot",
        png.to_str().unwrap(),
    ]);
    let (w, h, bytes) = png_info(&png);
    assert!(
        w >= 1000 && h >= 700 && bytes > 20_000,
        "{w}x{h}, {bytes} B"
    );
    assert_eq!(j["raster_populations"], serde_json::json!(["E", "I"]));
}

#[test]
fn unknown_raster_population_is_refused_before_the_run() {
    let png = out_path("raster_unknown.png");
    let out = cortexsim(&[
        "run",
        &network("joglekar2018_spiking_weak.toml"),
        "--set",
        SMALL,
        "--no-output",
        "--plot",
        png.to_str().unwrap(),
        "--raster-pops",
        "V1_E,V99_E",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("V99_E"), "{err}");
    assert!(!png.exists());
    // --raster-pops needs --plot (usage error).
    let out = cortexsim(&[
        "run",
        &network("joglekar2018_spiking_weak.toml"),
        "--raster-pops",
        "V1_E",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn pulse_compare_weak_gba_reduced_size() {
    let png = out_path("pulse_compare_weak_400.png");
    let j = json_of(&[
        "pulse-compare",
        &network("joglekar2018_spiking_weak.toml"),
        &network("joglekar2018_rate_weak.toml"),
        "--set",
        SMALL,
        "--threads",
        "2",
        "--json",
        "--plot",
        png.to_str().unwrap(),
    ]);
    let (w, h, bytes) = png_info(&png);
    // Two columns, 29 rows of 42 px.
    assert!(w >= 1200 && h >= 29 * 42, "{w}x{h}");
    assert!(bytes > 100_000, "{bytes} bytes");
    for k in [
        "spiking",
        "rate",
        "baseline_ms",
        "areas",
        "peak_change_hz",
        "per_area",
        "attenuation",
        "plot",
    ] {
        assert!(j.get(k).is_some(), "no `{k}` in {j}");
    }
    let areas: Vec<&str> = j["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(areas.len(), 29);
    assert_eq!((areas[0], areas[1], areas[28]), ("V1", "V2", "24c"));
    assert_eq!(j["spiking"]["pulse"]["start_ms"], 300.0);
    assert_eq!(j["rate"]["pulse"]["start_ms"], 500.0);
    let peak = |model: &str, a: &str| j["peak_change_hz"][model][a].as_f64().unwrap();
    for a in &areas {
        let p = &j["per_area"][*a]["spiking"];
        for k in [
            "baseline_hz",
            "peak_change_hz",
            "t_peak_ms",
            "pre_pulse_max_abs_change_hz",
            "above_noise",
            "mean_change_during_pulse_hz",
        ] {
            assert!(p.get(k).is_some(), "{a}: no `{k}`");
        }
        assert_eq!(p["peak_change_hz"].as_f64().unwrap(), peak("spiking", a));
    }
    // The pulse drives V1 strongly in both models and V2 clearly (measured at 400/area with
    // alpha = 4: spiking V1 +31.6, V2 +17.2, V4 +7.4, 24c +0.3 Hz; rate V1 +100, V2 +19 Hz),
    // and attenuates up the hierarchy.
    for m in ["spiking", "rate"] {
        assert!(peak(m, "V1") > 15.0, "{m}: V1 {}", peak(m, "V1"));
        assert!(peak(m, "V2") > 3.0, "{m}: V2 {}", peak(m, "V2"));
        assert!(peak(m, "V1") > 1.5 * peak(m, "V2"), "{m}");
        assert!(
            peak(m, "V2") > peak(m, "V4") && peak(m, "V4") > peak(m, "24c"),
            "{m}"
        );
    }
    assert!(
        j["per_area"]["V2"]["spiking"]["above_noise"]
            .as_bool()
            .unwrap()
    );
    let att = &j["attenuation"];
    assert_eq!(
        (att["from"].as_str(), att["to"].as_str()),
        (Some("V1"), Some("24c"))
    );
    let a_sp = att["spiking"]
        .as_f64()
        .expect("24c rises (at least by noise)");
    let a_rt = att["rate"].as_f64().unwrap();
    assert!(
        att["spiking_mean_during_pulse"].is_number() || att["spiking_mean_during_pulse"].is_null()
    );
    assert!(att["rate_mean_during_pulse"].as_f64().unwrap() > 1.0);
    assert!((a_sp - peak("spiking", "V1") / peak("spiking", "24c")).abs() < 1e-9 * a_sp);
    assert!(a_rt > 100.0 && a_sp > 10.0, "spiking {a_sp}, rate {a_rt}");
}

#[test]
fn pulse_compare_needs_a_pulse_in_both_models() {
    let out = cortexsim(&[
        "pulse-compare",
        &network("joglekar2018_spiking_weak.toml"),
        &network("joglekar2018_rate_weak.toml"),
        "--set",
        SMALL,
        "--set",
        "model.pulse=false",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pulse"));
    // Swapped files: the first must be a spiking network.
    let out = cortexsim(&[
        "pulse-compare",
        &network("joglekar2018_rate_weak.toml"),
        &network("joglekar2018_rate_weak.toml"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

#[test]
fn phase_plane_and_trials_draw_their_figures() {
    let png = out_path("phase_plane_wong_wang2006.png");
    let j = json_of(&[
        "phase-plane",
        &network("wong_wang2006.toml"),
        "--json",
        "--plot",
        png.to_str().unwrap(),
    ]);
    let (w, h, bytes) = png_info(&png);
    assert!(w >= 800 && h >= 700, "{w}x{h}");
    assert!(bytes > 30_000, "{bytes} bytes");
    assert_eq!(j["plot"], png.to_str().unwrap());
    assert_eq!(j["fixed_points"].as_array().unwrap().len(), 5);
    let png = out_path("trials_wong_wang2006.png");
    let j = json_of(&[
        "trials",
        &network("wong_wang2006.toml"),
        "--coherence",
        "0,12.8,51.2",
        "--trials",
        "20",
        "--json",
        "--plot",
        png.to_str().unwrap(),
    ]);
    let (w, h, bytes) = png_info(&png);
    assert!(w >= 1400 && h >= 500, "{w}x{h}");
    assert!(bytes > 30_000, "{bytes} bytes");
    assert_eq!(j["plot"], png.to_str().unwrap());
    assert_eq!(j["coherence"].as_array().unwrap().len(), 3);
}

/// `run --protocol P --plot-delay FILE`: the delay activity per area as bars (here the
/// 29-area Mejias–Wang model, which brings no experimental map: no `validation`);
/// without a protocol it is a usage error.
#[test]
fn run_plot_delay_draws_the_persistence_bars() {
    let png = out_path("delay_mejias_wang2022.png");
    let j = json_of(&[
        "run",
        &network("mejias_wang2022.toml"),
        "--protocol",
        "wm_visual",
        "--json",
        "--plot-delay",
        png.to_str().unwrap(),
    ]);
    let (w, h, bytes) = png_info(&png);
    assert!(w >= 900 && h >= 500, "{w}x{h}");
    assert!(bytes > 20_000, "{bytes} bytes");
    assert_eq!(j["plot_delay"], png.to_str().unwrap());
    assert!(j["validation"].is_null());
    let out = cortexsim(&[
        "run",
        &network("mejias_wang2022.toml"),
        "--plot-delay",
        png.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--protocol"));
}
