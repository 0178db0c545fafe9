//! 29-area models (Chaudhuri 2015, Joglekar 2018 rate): data loading, generator weights
//! against the published formulas, baseline fixed point, timescale hierarchy and the
//! weak/strong GBA attenuation, all from the shipped network files.
//!
//! Data: `$CORTEXSIM_DATA`, else the repository's `data/`; missing data fails loudly.
use crate::common::data_dir;
use cortexsim::models::{self, RateNetworkFile, large_scale, markov::MacaqueData};
use cortexsim::rate::{self, analysis};
use std::path::Path;

fn data() -> MacaqueData {
    MacaqueData::load(&data_dir().join("markov2014-29areas")).unwrap()
}

fn load(file: &str) -> RateNetworkFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("networks")
        .join(file);
    models::load_rate_path(&path, Some(&data_dir()))
        .unwrap()
        .expect("a rate file")
}

#[test]
fn markov_data_loads_with_expected_shape() {
    let d = data();
    assert_eq!(d.n(), 29);
    assert_eq!(d.areas[0], "V1");
    assert_eq!(d.areas[28], "24c");
    assert_eq!(d.hier_norm[0], 0.0);
    assert_eq!(d.hier_norm[28], 1.0);
    for i in 0..29 {
        assert_eq!(d.fln(i, i), 0.0);
        let row: f64 = (0..29).map(|j| d.fln(i, j)).sum();
        assert!(
            (0.15..0.97).contains(&row),
            "{} FLN row sum {row}",
            d.areas[i]
        );
    }
    let nnz = d.fln.iter().filter(|&&v| v > 0.0).count();
    assert_eq!(nnz, 536);
    let max_d = d.distance_mm.iter().fold(0.0f64, |m, &v| m.max(v));
    assert!((max_d - 58.2).abs() < 1e-9);
}

#[test]
fn generator_weights_follow_the_chaudhuri_equations() {
    let d = data();
    let p = large_scale::LargeScaleParams::chaudhuri2015();
    let net = large_scale::build(&d, &p);
    assert_eq!(net.n(), 58);
    let idx = |name: &str| net.index_of(name).unwrap();
    for (tgt, src) in [("V4", "V1"), ("24c", "8m"), ("V1", "V2"), ("TEpd", "TEO")] {
        let (ti, si) = (d.area_index(tgt).unwrap(), d.area_index(src).unwrap());
        let scale = 1.0 + 0.68 * d.hier_norm[ti];
        let fln = d.fln(ti, si);
        assert!(fln > 0.0, "{tgt}<-{src} should be connected");
        let ee = net.weight(idx(&format!("{tgt}.E")), idx(&format!("{src}.E")));
        let ie = net.weight(idx(&format!("{tgt}.I")), idx(&format!("{src}.E")));
        assert!((ee - 0.066 * 33.7 * scale * fln).abs() < 1e-14);
        assert!((ie - 0.351 * 25.3 * scale * fln).abs() < 1e-14);
        // No long-range inhibition.
        assert_eq!(
            net.weight(idx(&format!("{tgt}.E")), idx(&format!("{src}.I"))),
            0.0
        );
    }
    let h = d.hier_norm[d.area_index("8m").unwrap()];
    let (e, i) = (idx("8m.E"), idx("8m.I"));
    assert!((net.weight(e, e) - 0.066 * 24.3 * (1.0 + 0.68 * h)).abs() < 1e-14);
    assert!((net.weight(e, i) + 0.066 * 19.7).abs() < 1e-14);
    assert!((net.weight(i, e) - 0.351 * 12.2 * (1.0 + 0.68 * h)).abs() < 1e-14);
    assert!((net.weight(i, i) + 0.351 * 12.5).abs() < 1e-14);
    // Strong GBA changes exactly w_EI and mu_EE.
    let s = large_scale::build(
        &d,
        &large_scale::LargeScaleParams::joglekar2018(large_scale::Gba::Strong),
    );
    assert!((s.weight(e, i) + 0.066 * 25.2).abs() < 1e-14);
    let (v4, v1) = (idx("V4.E"), idx("V1.E"));
    let ratio = s.weight(v4, v1) / net.weight(v4, v1);
    assert!((ratio - 51.5 / 33.7).abs() < 1e-12);
    assert_eq!(s.pops[e].lower_clamp_hz, Some(10.0));
    assert_eq!(s.pops[i].lower_clamp_hz, Some(35.0));
    assert_eq!(net.pops[e].lower_clamp_hz, None);
}

#[test]
fn baseline_is_a_fixed_point() {
    let mut f = load("chaudhuri2015.toml");
    f.net.schedules.clear();
    let out = rate::run(&f.net, &rate::RunOpts::new(0.2, 2000.0)).unwrap();
    for (name, r) in out.pop_names.iter().zip(&out.rates) {
        let want = if name.ends_with(".E") { 10.0 } else { 35.0 };
        for &v in r {
            assert!((v - want).abs() < 1e-9, "{name}: {v}");
        }
    }
}

#[test]
fn pulse_drives_v1_and_decays_along_the_hierarchy() {
    let f = load("chaudhuri2015.toml");
    let out = rate::run(&f.net, &f.sim.run_opts()).unwrap();
    let peak = |a: &str| analysis::peak_above_baseline(&out, &format!("{a}.E"), 0.0).unwrap();
    let v1 = peak("V1");
    eprintln!(
        "Chaudhuri pulse: V1 peak {:.1} Hz above baseline, 24c {:.4}",
        v1,
        peak("24c")
    );
    assert!(
        (70.0..120.0).contains(&(v1 + 10.0)),
        "V1 should be driven near 100 Hz: {v1}"
    );
    // Early visual areas respond more than prefrontal ones; every area responds.
    assert!(peak("V2") > peak("V4") && peak("V4") > peak("8m") && peak("24c") > 0.0);
    // Slow decay in the prefrontal core: 24c is still elevated 1 s after the pulse while
    // V1 is back at baseline.
    let at = |a: &str, t: f64| {
        let k = out.t_ms.iter().position(|&x| x >= t).unwrap();
        out.series(&format!("{a}.E")).unwrap()[k] - 10.0
    };
    assert!(at("V1", 1350.0).abs() < 0.01 * v1);
    assert!(
        at("24c", 1350.0) > 0.3 * peak("24c"),
        "24c {}",
        at("24c", 1350.0)
    );
}

fn e_pops(f: &RateNetworkFile) -> Vec<String> {
    f.hierarchy
        .as_ref()
        .unwrap()
        .iter()
        .map(|(a, _)| large_scale::e_pop(a))
        .collect()
}

#[test]
fn timescales_rise_along_the_hierarchy() {
    let f = load("chaudhuri2015.toml");
    let names = e_pops(&f);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let opts = analysis::ImpulseOpts {
        t_max_ms: 12_000.0,
        ..Default::default()
    };
    let ts = analysis::impulse_timescales(&f.net, "V1.E", &refs, &opts).unwrap();
    let hier: Vec<f64> = f.hierarchy.as_ref().unwrap().iter().map(|x| x.1).collect();
    let tau: Vec<f64> = ts.iter().map(|x| x.1).collect();
    assert!(tau.iter().all(|t| t.is_finite() && *t > 0.0), "{ts:?}");
    let rho = analysis::spearman(&hier, &tau);
    let get = |a: &str| ts.iter().find(|x| x.0 == format!("{a}.E")).unwrap().1;
    eprintln!(
        "timescales (ms): V1 {:.1}, 8m {:.1}, TEpd {:.1}, 24c {:.1}; Spearman vs hierarchy {rho:.3}",
        get("V1"),
        get("8m"),
        get("TEpd"),
        get("24c")
    );
    eprintln!("{ts:?}");
    assert!(rho >= 0.8, "Spearman {rho}");
    // V1 fast (tens of ms), prefrontal/cingulate slow (hundreds of ms or more).
    assert!(get("V1") < 100.0 && get("24c") > 5.0 * get("V1"));
    // The published exceptions: 8m (low h) slower than TEpd (high h).
    let h = |a: &str| {
        hier[f
            .hierarchy
            .as_ref()
            .unwrap()
            .iter()
            .position(|x| x.0 == a)
            .unwrap()]
    };
    assert!(h("8m") < h("TEpd") && get("8m") > get("TEpd"));
}

#[test]
fn no_gradient_collapses_the_timescale_range() {
    let d = data();
    let names: Vec<String> = d.areas.iter().map(|a| large_scale::e_pop(a)).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let opts = analysis::ImpulseOpts {
        t_max_ms: 12_000.0,
        ..Default::default()
    };
    let range = |eta: f64| {
        let p = large_scale::LargeScaleParams {
            eta,
            ..large_scale::LargeScaleParams::chaudhuri2015()
        };
        let ts = analysis::impulse_timescales(&large_scale::build(&d, &p), "V1.E", &refs, &opts)
            .unwrap();
        let t: Vec<f64> = ts.iter().map(|x| x.1).collect();
        let (lo, hi) = t
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
        (hi / lo, analysis::spearman(&d.hier_norm, &t))
    };
    let (with, rho_with) = range(0.68);
    let (without, rho_without) = range(0.0);
    eprintln!(
        "timescale max/min: eta 0.68 -> {with:.1} (rho {rho_with:.2}), eta 0 -> {without:.1} (rho {rho_without:.2})"
    );
    assert!(with > 3.0 * without, "{with} vs {without}");
}

#[test]
fn weak_gba_attenuates_far_more_than_strong() {
    let mut att = Vec::new();
    for file in [
        "joglekar2018_rate_weak.toml",
        "joglekar2018_rate_strong.toml",
    ] {
        let f = load(file);
        let out = rate::run(&f.net, &f.sim.run_opts()).unwrap();
        let t0 = f.net.schedules[0].start_ms;
        let v1 = analysis::peak_above_baseline(&out, "V1.E", t0).unwrap();
        let a = analysis::attenuation(&out, "V1.E", "24c.E", t0).unwrap();
        eprintln!(
            "{file}: V1 peak {:.1} Hz above baseline, attenuation V1 -> 24c {a:.1}",
            v1
        );
        // Both amplitudes drive V1 to ~100 Hz.
        assert!((80.0..120.0).contains(&v1), "{file}: V1 peak {v1}");
        // Clamped at baseline: nothing ever drops below it.
        for (name, r) in out.pop_names.iter().zip(&out.rates) {
            let floor = if name.ends_with(".E") { 10.0 } else { 35.0 };
            assert!(r.iter().all(|&v| v >= floor), "{name}");
        }
        att.push(a);
    }
    assert!(att[0] > 10_000.0, "weak GBA attenuation {}", att[0]);
    assert!(
        (30.0..300.0).contains(&att[1]),
        "strong GBA attenuation {}",
        att[1]
    );
}
