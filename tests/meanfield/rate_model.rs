//! Rate models derived from the mean field, run by the one rate integrator
//! (SCIENCE.md §1.4 items 2 and 5; `cortexsim::meanfield::rate_model`).
//!
//! * The nonlinear Siegert model of the Brunel 2000 network
//!   (networks/brunel2000.toml) relaxes from 0 Hz to the fixed point of
//!   `MeanFieldNetwork::fixed_points` (1e-6), and small perturbations along the
//!   eigenvectors of `W_eff` decay at the rates `(1 - lambda)/tau`.
//! * A current step moves it monotonically to the fixed point of the network
//!   with the stepped external drive.
//! * The linearised model holds the fixed point, and its tau_eff and H0 come
//!   from the fit of |N(omega)|.
//! * The Siegert transfer takes the variance part of the input.
//! * `cortexsim compare --plot` on a small E-I network writes a PNG and the
//!   JSON carries `rate_model_rate_hz` (equal to the mean-field rate) and
//!   `tau_eff_ms`.

use cortexsim::meanfield::{
    FixedPoint, MeanFieldNetwork, SolverOptions, fit_omegas, linearised_rate_network, mu_step_mv,
    reduce, to_rate_network, transfer_function,
};
use cortexsim::rate::{self, Epoch, Method, RunOpts};
use cortexsim::spec::Network;
use std::path::PathBuf;
use std::process::Command;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn brunel() -> (MeanFieldNetwork, FixedPoint) {
    let net = Network::load(&manifest().join("networks/brunel2000.toml"), &[]).unwrap();
    let mf = reduce(&net).unwrap();
    let fps = mf.fixed_points(&SolverOptions::default());
    assert_eq!(fps.len(), 1, "Brunel AI point is unique");
    let fp = fps.into_iter().next().unwrap();
    assert!(fp.converged);
    (mf, fp)
}

fn opts(dt: f64, t_stop: f64) -> RunOpts {
    RunOpts {
        method: Method::Exponential,
        ..RunOpts::new(dt, t_stop)
    }
}

#[test]
fn siegert_rate_model_relaxes_to_the_mean_field_fixed_point() {
    let (mf, fp) = brunel();
    let net = to_rate_network(&mf, 10.0);
    let run = rate::run(&net, &opts(0.5, 1000.0)).unwrap();
    for (a, r) in run.rates.iter().enumerate() {
        let end = *r.last().unwrap();
        println!(
            "{}: rate model {end:.9} Hz, mean field {:.9} Hz",
            run.pop_names[a], fp.rates_hz[a]
        );
        assert!(
            (end - fp.rates_hz[a]).abs() < 1e-6 * fp.rates_hz[a].max(1.0),
            "{end} vs {}",
            fp.rates_hz[a]
        );
        assert_eq!(r[0], 0.0);
    }
}

/// Eigenvector of a real 2x2 matrix for the real eigenvalue `l`.
fn eigvec2(w: &[Vec<f64>], l: f64) -> [f64; 2] {
    let (a, b) = ([w[0][1], l - w[0][0]], [l - w[1][1], w[1][0]]);
    let v = if a[0].hypot(a[1]) >= b[0].hypot(b[1]) {
        a
    } else {
        b
    };
    let n = v[0].hypot(v[1]);
    [v[0] / n, v[1] / n]
}

#[test]
fn perturbations_decay_at_the_rates_of_the_effective_connectivity() {
    let (mf, fp) = brunel();
    let tau = 10.0;
    let w = mf.effective_connectivity(&fp);
    let lambdas = mf.eigenvalues(&fp);
    assert!(lambdas.iter().all(|l| l.im.abs() < 1e-12 && l.re < 1.0));
    let (dt, t1, t2) = (0.005, 1.0, 4.0);
    for l in &lambdas {
        let v = eigvec2(&w, l.re);
        let eps = 1e-4 * fp.rates_hz[0];
        let mut net = to_rate_network(&mf, tau);
        for (a, p) in net.pops.iter_mut().enumerate() {
            p.r0_hz = fp.rates_hz[a] + eps * v[a];
        }
        let run = rate::run(&net, &opts(dt, t2)).unwrap();
        let dev = |t: f64| {
            let k = (t / dt).round() as usize;
            // projection on v
            (0..2)
                .map(|a| (run.rates[a][k] - fp.rates_hz[a]) * v[a])
                .sum::<f64>()
        };
        let measured = (dev(t1) / dev(t2)).ln() / (t2 - t1);
        let expected = (1.0 - l.re) / tau;
        println!(
            "lambda = {:.6}: decay rate {measured:.6}/ms, (1 - lambda)/tau = {expected:.6}/ms",
            l.re
        );
        assert!(
            (measured - expected).abs() < 0.01 * expected,
            "{measured} vs {expected}"
        );
        // stays on the eigen-direction: the orthogonal component stays small
        let k = (t2 / dt).round() as usize;
        let orth =
            (run.rates[0][k] - fp.rates_hz[0]) * v[1] - (run.rates[1][k] - fp.rates_hz[1]) * v[0];
        assert!(orth.abs() < 0.02 * dev(t2).abs() + 1e-12, "orth {orth}");
    }
}

#[test]
fn step_response_is_monotone_toward_the_new_fixed_point() {
    let (mf, fp) = brunel();
    // default step of `compare`: 5% of the rest-to-threshold distance
    let step_pa: Vec<f64> = mf
        .pops
        .iter()
        .map(|p| 0.05 * p.lif.v_th_mv * p.c_m_pf / p.lif.tau_m_ms)
        .collect();
    let dmu = mu_step_mv(&mf, &step_pa);
    assert!(dmu.iter().all(|d| (d - 1.0).abs() < 1e-12), "{dmu:?}");
    let mut stepped = mf.clone();
    for (m, d) in stepped.ext_mu_mv.iter_mut().zip(&dmu) {
        *m += d;
    }
    let new_fp = stepped.fixed_points(&SolverOptions::default());
    assert_eq!(new_fp.len(), 1);
    let target = &new_fp[0].rates_hz;
    let tau = 20.0;
    let mut net = to_rate_network(&mf, tau);
    for a in 0..2 {
        net.pops[a].r0_hz = fp.rates_hz[a];
    }
    net.schedules.push(Epoch {
        start_ms: 0.0,
        stop_ms: f64::INFINITY,
        amplitude: dmu.clone(),
    });
    let run = rate::run(&net, &opts(0.1, 300.0)).unwrap();
    for (a, r) in run.rates.iter().enumerate() {
        let d: Vec<f64> = r.iter().map(|x| (x - target[a]).abs()).collect();
        assert!(
            d.windows(2).all(|w| w[1] <= w[0] + 1e-12),
            "population {a} not monotone"
        );
        // moves in the direction of the new fixed point from the first step on
        assert!((r[1] - r[0]) * (target[a] - fp.rates_hz[a]) > 0.0);
        assert!((r.last().unwrap() - target[a]).abs() < 1e-6 * target[a]);
        println!(
            "{}: {:.4} Hz -> {:.4} Hz (new fixed point {:.4} Hz); at t = tau: {:.4} Hz",
            run.pop_names[a],
            fp.rates_hz[a],
            r.last().unwrap(),
            target[a],
            r[(tau / 0.1) as usize]
        );
    }
}

#[test]
fn linearised_model_holds_the_fixed_point_with_fitted_time_constants() {
    let (mf, fp) = brunel();
    let lin = linearised_rate_network(&mf, &fp);
    let run = rate::run(&lin.network, &opts(0.1, 200.0)).unwrap();
    for a in 0..2 {
        let f = lin.fits[a].expect("Brunel populations fire");
        assert!(
            run.rates[a]
                .iter()
                .all(|r| (r - fp.rates_hz[a]).abs() < 1e-9 * fp.rates_hz[a])
        );
        // H0 is of the size of |N| on the grid and tau_eff within the band
        let om = fit_omegas();
        let n0 = transfer_function(&mf.pops[a].lif, fp.mu_mv[a], fp.sigma_mv[a], om[0], true)
            .unwrap()
            .norm();
        assert!(
            (f.h0 - n0).abs() < 0.5 * n0,
            "H0 {} vs |N(2 pi 1 Hz)| {n0}",
            f.h0
        );
        assert!(f.tau_ms > 0.5 && f.tau_ms < 500.0, "{f:?}");
        assert_eq!(lin.network.pops[a].tau_ms, f.tau_ms);
        println!(
            "{}: tau_eff = {:.3} ms, H0 = {:.4} Hz/mV (|N(2pi 1Hz)| = {n0:.4}), rel rms residual {:.3}",
            mf.pops[a].name, f.tau_ms, f.h0, f.rel_rms_residual
        );
    }
}

const SMALL_EI: &str = r#"
[simulation]
dt = 0.1
t_stop = 400.0
seed = 3

[[populations]]
name = "E"
size = 400
model = "iaf_psc_delta"
v_init = { distribution = "uniform", low = 0.0, high = 15.0 }
params = { C_m = 250.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 10.0, V_th = 20.0 }

[[populations]]
name = "I"
size = 100
model = "iaf_psc_delta"
v_init = { distribution = "uniform", low = 0.0, high = 15.0 }
params = { C_m = 250.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 10.0, V_th = 20.0 }

[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 40
weight = 0.2
delay = 1.5

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 40
weight = 0.2
delay = 1.5

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = -1.0
delay = 1.5

[[projections]]
source = "I"
target = "I"
rule = "fixed_indegree"
indegree = 10
weight = -1.0
delay = 1.5

[[stimuli]]
kind = "poisson"
target = "E"
rate = 9.5
indegree = 1000
weight = 0.1

[[stimuli]]
kind = "poisson"
target = "I"
rate = 9.5
indegree = 1000
weight = 0.1
"#;

#[test]
fn cli_compare_plot_writes_a_png_and_reports_the_rate_models() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ei.toml");
    std::fs::write(&f, SMALL_EI).unwrap();
    let png = dir.path().join("step.png");
    let out = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "compare",
            f.to_str().unwrap(),
            "--json",
            "--threads",
            "2",
            "--warmup",
            "50",
            "--plot",
            png.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.len() > 1000);
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["step_ms"].as_f64(), Some(225.0));
    for pop in ["E", "I"] {
        let p = &j["populations"][pop];
        let (rm, mf) = (
            p["rate_model_rate_hz"].as_f64().unwrap(),
            p["meanfield_rate_hz"].as_f64().unwrap(),
        );
        assert!(
            mf > 1.0 && (rm - mf).abs() < 1e-6 * mf,
            "{pop}: {rm} vs {mf}"
        );
        assert!(p["tau_eff_ms"].as_f64().unwrap() > 0.0);
        // default step: 0.05 * 20 mV * 250 pF / 20 ms = 12.5 pA (mu + 1 mV)
        assert!((p["step_pa"].as_f64().unwrap() - 12.5).abs() < 1e-12);
        // excitatory step: every model and the spiking network go up
        let before = p["spiking_before_step_hz"].as_f64().unwrap();
        let after = p["spiking_after_step_hz"].as_f64().unwrap();
        assert!(after > before, "{pop}: spiking {before} -> {after}");
        assert!(p["rate_model_after_step_hz"].as_f64().unwrap() > rm);
        assert!(p["linearised_after_step_hz"].as_f64().unwrap() > mf);
    }
}

#[test]
fn siegert_transfer_uses_the_variance_part_and_is_validated() {
    use cortexsim::meanfield::{LifParams, phi};
    use cortexsim::rate::{RateNetwork, RatePop, Transfer, VarianceInput};
    let lif = LifParams {
        tau_m_ms: 20.0,
        t_ref_ms: 2.0,
        v_th_mv: 20.0,
        v_reset_mv: 10.0,
        tau_s_ms: 0.0,
    };
    let mut net = RateNetwork::new(vec![RatePop {
        name: "P".into(),
        tau_ms: 5.0,
        transfer: Transfer::Siegert { lif },
        lower_clamp_hz: None,
        r0_hz: 0.0,
    }]);
    net.bias = vec![18.0];
    // without a variance part: noiseless LIF, subthreshold -> silent
    let run = rate::run(&net, &opts(0.1, 100.0)).unwrap();
    assert_eq!(*run.rates[0].last().unwrap(), 0.0);
    net.variance = Some(VarianceInput {
        w2: vec![0.0],
        bias2: vec![9.0],
    });
    let run = rate::run(&net, &opts(0.1, 200.0)).unwrap();
    let expect = phi(&lif, 18.0, 3.0);
    assert!(expect > 1.0);
    assert!((run.rates[0].last().unwrap() - expect).abs() < 1e-9 * expect);
    // the variance input round-trips through serde and is checked
    let back: RateNetwork = serde_json::from_str(&serde_json::to_string(&net).unwrap()).unwrap();
    assert_eq!(back, net);
    net.variance.as_mut().unwrap().w2 = vec![-1.0];
    assert!(
        net.validate()
            .unwrap_err()
            .to_string()
            .contains("variance.w2")
    );
}
