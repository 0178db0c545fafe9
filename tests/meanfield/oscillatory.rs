//! Oscillatory (delay) instability of the mean-field theory against Brunel
//! (2000) and against the spiking simulation of the same files
//! (SCIENCE.md §1.4 item 6, §2).
//!
//! * Point B (SI fast; g = 6, eta = 4, V_r = 10 mV, D = 1.5 ms,
//!   networks/brunel2000_si_fast.toml): the stationary state (55.8 Hz) must be
//!   oscillatory-unstable with a frequency in the fast range
//!   `1/(4D) < f < 1/D` (167–667 Hz), and the spiking population rate must show
//!   a clear spectral peak above 100 Hz (peak > 10x the median power over
//!   20–500 Hz).
//! * Point C (AI; g = 5, eta = 2, same file with overrides): stable, and its
//!   spiking spectral peak (peak / median) at most half that of point B.
//!
//! * Frequency (`si_fast_frequency_matches_the_spiking_peak`): with the mean
//!   *and* variance channels (Brunel 2000; default options) the theory
//!   predicts 190.2 Hz (growth 51/s) vs the spiking peak at 170 Hz (scale 0.2;
//!   ~180 Hz at full size, Brunel 2000 Fig. 8B): +12%, within the ±25% target.
//!   The mean channel alone (NNMT) gives 261.6 Hz (+54%) and must be worse.
//!
//! **Known discrepancy** (measured, asserted by the `#[ignore]`d test
//! `known_discrepancy_ai_flatness`, which fails today): the AI spiking
//! spectrum is not flat: peak/median over 20–500 Hz is 10.6 (scale 0.2, peak
//! 100 Hz) and 13.4 (full size, 130 Hz), vs 27 / 63 for point B; the absolute
//! criterion `< 4x median` (chi^2 fluctuation bound for ~7 Welch segments)
//! fails. With the variance channel the mean field predicts a damped mode at
//! 124 Hz decaying at 135/s (quality ~2.9; mean channel alone: 245 Hz,
//! 318/s) — a resonance near the observed peak, so a flat spectrum is not what
//! the theory expects either.
//!
//! Sizes are scaled by 0.2 (`simulation.scale`, in-degrees kept, so the
//! mean-field state is unchanged) and t_stop = 600 ms to keep the test short.
use cortexsim::analysis::{peak, power_spectrum};
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::meanfield::{
    OscillationOptions, SolverOptions, linear_stability, linear_stability_with, reduce,
};
use cortexsim::spec::Network;
use std::path::Path;

const FILE: &str = "networks/brunel2000_si_fast.toml";
const WARMUP_MS: f64 = 100.0;
const T_STOP_MS: f64 = 600.0;

fn load(extra: &[&str]) -> Network {
    let mut sets: Vec<String> = vec![
        "simulation.scale=0.2".into(),
        format!("simulation.t_stop={T_STOP_MS}"),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    Network::load(Path::new(FILE), &sets).unwrap()
}

/// AI point C of Brunel 2000: g = 5 (weight -0.5 mV), eta = 2 (20000 Hz).
const AI: [&str; 4] = [
    "projections.2.weight=-0.5",
    "projections.3.weight=-0.5",
    "stimuli.0.rate=20000",
    "stimuli.1.rate=20000",
];

/// Welch spectrum of the total population rate after the warm-up.
fn spiking_spectrum(net: &Network) -> (Vec<f64>, Vec<f64>) {
    let mut sim = Simulation::build(
        net,
        &BuildOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    sim.run().unwrap();
    let rec = &sim.recording;
    let bin_ms = rec.bin_steps as f64 * net.simulation.dt;
    let b0 = (WARMUP_MS / bin_ms).round() as usize;
    let nb = rec.rate_bins[0].len();
    let x: Vec<f64> = (b0..nb)
        .map(|b| rec.rate_bins.iter().map(|r| r[b] as f64).sum())
        .collect();
    power_spectrum(&x, 1000.0 / bin_ms, 200)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

#[test]
fn si_fast_point_b_is_oscillatory_unstable_in_the_fast_range() {
    let net = load(&[]);
    let mf = reduce(&net).unwrap();
    assert_eq!(mf.recurrent[0][1].delay_ms, 1.5);
    let fp = &mf.fixed_points(&SolverOptions::default())[0];
    let ls = linear_stability(&mf, fp);
    let f_mf = ls.frequency_hz.unwrap();
    eprintln!(
        "SI fast: rates {:?} Hz, least stable root {f_mf:.1} Hz, growth {:.1}/s, Nyquist {}",
        fp.rates_hz,
        ls.growth_rate_per_s.unwrap(),
        ls.nyquist_unstable_roots
    );
    assert!(!ls.stable);
    assert!(ls.growth_rate_per_s.unwrap() > 0.0);
    // one unstable complex pair, counted twice by the argument principle
    assert!(ls.nyquist_complete);
    assert_eq!(ls.nyquist_unstable_roots, 2);
    assert_eq!(ls.roots.iter().filter(|r| r.unstable).count(), 1);
    assert!(f_mf > 1.0 / (4.0 * 1.5e-3) && f_mf < 1.0 / 1.5e-3, "{f_mf}");

    let (f, p) = spiking_spectrum(&net);
    let k = peak(&f, &p, 20.0).unwrap();
    let band: Vec<f64> = (0..f.len())
        .filter(|&i| f[i] >= 20.0 && f[i] <= 500.0)
        .map(|i| p[i])
        .collect();
    let ratio = p[k] / median(&band);
    eprintln!(
        "SI fast spiking: spectral peak {} Hz, peak/median {ratio:.1}",
        f[k]
    );
    assert!(ratio > 10.0, "no clear spectral peak: {ratio}");
    assert!(
        f[k] > 100.0,
        "spiking peak {} Hz not in the fast range",
        f[k]
    );
}

/// Peak frequency and peak / median power over 20–500 Hz of the spiking run.
fn peak_ratio(net: &Network) -> (f64, f64) {
    let (f, p) = spiking_spectrum(net);
    let band: Vec<usize> = (0..f.len())
        .filter(|&i| f[i] >= 20.0 && f[i] <= 500.0)
        .collect();
    let pv: Vec<f64> = band.iter().map(|&i| p[i]).collect();
    let k = *band
        .iter()
        .max_by(|&&a, &&b| p[a].total_cmp(&p[b]))
        .unwrap();
    (f[k], p[k] / median(&pv))
}

/// Frequency of the SI-fast oscillation: linear theory with the mean and
/// variance channels (default options) vs the spectral peak of the spiking
/// run, within +-25%; the mean channel alone (NNMT) overestimates it by more.
#[test]
fn si_fast_frequency_matches_the_spiking_peak() {
    let net = load(&[]);
    let mf = reduce(&net).unwrap();
    let fp = &mf.fixed_points(&SolverOptions::default())[0];
    let f_mf = linear_stability(&mf, fp).frequency_hz.unwrap();
    let f_nnmt = linear_stability_with(&mf, fp, &OscillationOptions::nnmt())
        .frequency_hz
        .unwrap();
    let (fk, rk) = peak_ratio(&net);
    eprintln!(
        "SI fast: mean field {f_mf:.1} Hz (mean channel only: {f_nnmt:.1} Hz), spiking peak {fk} Hz ({rk:.1}x median)"
    );
    assert!(
        (f_mf - fk).abs() <= 0.25 * fk,
        "mean-field {f_mf} Hz vs spiking peak {fk} Hz"
    );
    assert!(
        (f_nnmt - fk).abs() > (f_mf - fk).abs(),
        "mean channel only {f_nnmt} Hz"
    );
}

#[test]
#[ignore = "known discrepancy (module docs): AI spectrum peak/median ~11-13, not < 4"]
fn known_discrepancy_ai_flatness() {
    let (fa, ra) = peak_ratio(&load(&AI));
    eprintln!("AI peak {fa} Hz at {ra:.1}x median");
    assert!(ra < 4.0, "AI spectrum peak at {fa} Hz: {ra:.2}x median");
}

#[test]
fn ai_point_c_is_stable_with_a_weaker_spectral_peak() {
    let net = load(&AI);
    let mf = reduce(&net).unwrap();
    let fp = &mf.fixed_points(&SolverOptions::default())[0];
    let ls = linear_stability(&mf, fp);
    eprintln!(
        "AI: rates {:?} Hz, least stable root {:.1} Hz, growth {:.1}/s",
        fp.rates_hz,
        ls.frequency_hz.unwrap(),
        ls.growth_rate_per_s.unwrap()
    );
    assert!(ls.stable);
    assert!(ls.nyquist_complete);
    assert_eq!(ls.nyquist_unstable_roots, 0);
    assert!(ls.growth_rate_per_s.unwrap() < 0.0);

    let (fa, ra) = peak_ratio(&net);
    let (fb, rb) = peak_ratio(&load(&[]));
    eprintln!("AI spiking: peak {fa} Hz at {ra:.1}x median; SI fast: {fb} Hz at {rb:.1}x");
    assert!(
        ra < 0.5 * rb,
        "AI peak/median {ra:.1} not below half of SI fast's {rb:.1}"
    );
}
