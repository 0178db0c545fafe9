//! Mean-field network solver: Brunel 2000 (NEST variant) fixed point,
//! bistability, derivative and self-consistency checks, and the rate
//! (saddle-node) instability boundary.

use cortexsim::meanfield::*;

/// Brunel 2000, NEST variant (`pynest/examples/brunel_delta_nest.py`): N_E =
/// 10000, N_I = 2500, K_E = 1000, K_I = 250, J = 0.1 mV, g = 5, eta = 2,
/// tau_m = 20 ms, theta = 20 mV, V_reset = 0, t_ref = 2 ms; external Poisson
/// K_ext = 1000 at nu_ext = eta nu_thr, nu_thr = theta/(J K_E tau_m).
fn brunel(g: f64, eta: f64) -> MeanFieldNetwork {
    let lif = LifParams {
        tau_m_ms: 20.0,
        t_ref_ms: 2.0,
        v_th_mv: 20.0,
        v_reset_mv: 0.0,
        tau_s_ms: 0.0,
    };
    let (j, k_e, k_i, k_ext, tau_s) = (0.1, 1000.0, 250.0, 1000.0, 0.02);
    let nu_thr = lif.v_th_mv / (j * k_e * tau_s);
    let nu_ext = eta * nu_thr;
    let e = MfInput {
        k: k_e,
        j_mv: j,
        j2_mv2: j * j,
        delay_ms: 1.5,
    };
    let i = MfInput {
        k: k_i,
        j_mv: -g * j,
        j2_mv2: g * g * j * j,
        delay_ms: 1.5,
    };
    let pop = |name: &str| MfPopulation {
        name: name.into(),
        lif,
        c_m_pf: 250.0,
    };
    MeanFieldNetwork {
        pops: vec![pop("E"), pop("I")],
        recurrent: vec![vec![e, i], vec![e, i]],
        ext_mu_mv: vec![tau_s * k_ext * j * nu_ext; 2],
        ext_sigma2_mv2: vec![tau_s * k_ext * j * j * nu_ext; 2],
    }
}

/// One excitatory population with strong recurrence: a low-rate state and a
/// near-saturated state coexist, separated by an unstable one.
fn bistable(ext_mu_mv: f64) -> MeanFieldNetwork {
    let lif = LifParams {
        tau_m_ms: 20.0,
        t_ref_ms: 2.0,
        v_th_mv: 20.0,
        v_reset_mv: 10.0,
        tau_s_ms: 0.0,
    };
    MeanFieldNetwork {
        pops: vec![MfPopulation {
            name: "E".into(),
            lif,
            c_m_pf: 250.0,
        }],
        recurrent: vec![vec![MfInput {
            k: 400.0,
            j_mv: 0.2,
            j2_mv2: 0.04,
            delay_ms: 1.0,
        }]],
        ext_mu_mv: vec![ext_mu_mv],
        ext_sigma2_mv2: vec![16.0],
    }
}

fn from(rates: &[f64]) -> SolverOptions {
    SolverOptions {
        initial_rates_hz: rates.to_vec(),
        newton_from_initial: false,
        ..SolverOptions::default()
    }
}

fn assert_self_consistent(net: &MeanFieldNetwork, fp: &FixedPoint) {
    assert!(fp.converged, "not converged: {fp:?}");
    for (a, pop) in net.pops.iter().enumerate() {
        let r = phi(&pop.lif, fp.mu_mv[a], fp.sigma_mv[a]);
        let nu = fp.rates_hz[a];
        assert!(
            (r - nu).abs() <= 1e-9 * nu.max(1e-300),
            "pop {a}: Phi = {r} vs nu = {nu}"
        );
    }
}

#[test]
fn brunel_nest_variant_has_a_unique_stable_fixed_point() {
    let net = brunel(5.0, 2.0);
    net.validate().unwrap();
    let fps = net.fixed_points(&SolverOptions::default());
    assert_eq!(fps.len(), 1, "expected a unique fixed point, got {fps:#?}");
    let fp = &fps[0];
    assert_self_consistent(&net, fp);
    let (nu_e, nu_i) = (fp.rates_hz[0], fp.rates_hz[1]);
    assert!(
        (nu_e - nu_i).abs() <= 1e-12 * nu_e,
        "E and I see identical input: {nu_e} vs {nu_i}"
    );
    assert!(
        nu_e > 10.0 && nu_e < 100.0,
        "rate {nu_e} Hz is not 'a few tens of Hz'"
    );
    let st = net.stability(fp);
    assert!(st.stable && st.max_real_part < 1.0, "{st:?}");
    println!(
        "Brunel NEST variant (g=5, eta=2): nu = {nu_e:.12} Hz, mu = {:.6} mV, sigma = {:.6} mV, CV = {:?}, eigenvalues {:?}",
        fp.mu_mv[0], fp.sigma_mv[0], fp.cv_isi[0], st.eigenvalues
    );
    // JSON output round trip of the result types
    let json = serde_json::to_string(&(fp, &st)).unwrap();
    assert!(json.contains("rates_hz") && json.contains("eigenvalues"));
}

#[test]
fn brunel_fixed_point_matches_scalar_reduction() {
    // Independent of mu_sigma / the vector solver: Brunel's homogeneous formulas
    // (SCIENCE.md §1.1) mu = C_E J tau (nu_ext + nu (1 - g gamma)),
    // sigma^2 = C_E J^2 tau (nu_ext + nu (1 + g^2 gamma)), solved by bisection.
    let (g, eta, gamma, c_e, j, tau) = (5.0, 2.0, 0.25, 1000.0, 0.1, 0.02);
    let lif = LifParams {
        tau_m_ms: 20.0,
        t_ref_ms: 2.0,
        v_th_mv: 20.0,
        v_reset_mv: 0.0,
        tau_s_ms: 0.0,
    };
    let nu_ext = eta * 20.0 / (c_e * j * tau);
    let f = |nu: f64| {
        let mu = c_e * j * tau * (nu_ext + nu * (1.0 - g * gamma));
        let s = (c_e * j * j * tau * (nu_ext + nu * (1.0 + g * g * gamma))).sqrt();
        siegert(&lif, mu, s) - nu
    };
    let (mut lo, mut hi) = (0.0, 500.0);
    assert!(f(lo) > 0.0 && f(hi) < 0.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    let fp = &brunel(g, eta).fixed_points(&SolverOptions::default())[0];
    assert!(
        (fp.rates_hz[0] - lo).abs() <= 1e-9 * lo,
        "solver {} vs bisection {lo}",
        fp.rates_hz[0]
    );
}

#[test]
fn bistable_network_has_two_stable_states_reached_from_different_initial_conditions() {
    let net = bistable(10.0);
    let low = net.fixed_points(&from(&[0.0]));
    let high = net.fixed_points(&from(&[400.0]));
    assert_eq!(low.len(), 1);
    assert_eq!(high.len(), 1);
    let (low, high) = (&low[0], &high[0]);
    assert_self_consistent(&net, low);
    assert_self_consistent(&net, high);
    assert!(low.rates_hz[0] < 1.0, "low state {:?}", low.rates_hz);
    assert!(high.rates_hz[0] > 100.0, "high state {:?}", high.rates_hz);
    assert!(net.stability(low).stable && net.stability(high).stable);
    // the full search also finds the unstable state between them
    let all = net.fixed_points(&SolverOptions::default());
    assert_eq!(all.len(), 3, "{all:#?}");
    let mid = &all[1];
    assert_self_consistent(&net, mid);
    assert!(low.rates_hz[0] < mid.rates_hz[0] && mid.rates_hz[0] < high.rates_hz[0]);
    let st = net.stability(mid);
    assert!(
        !st.stable && st.eigenvalues[0].re > 1.0 && st.eigenvalues[0].im == 0.0,
        "{st:?}"
    );
    assert!((all[0].rates_hz[0] - low.rates_hz[0]).abs() < 1e-9 * low.rates_hz[0]);
    assert!((all[2].rates_hz[0] - high.rates_hz[0]).abs() < 1e-9 * high.rates_hz[0]);
}

#[test]
fn rate_instability_boundary_is_where_the_eigenvalue_reaches_one() {
    // Raise the external drive until the low state disappears (saddle-node with
    // the unstable state). Bisection on "relaxation from 0 Hz stays below 50 Hz";
    // at the boundary the low state's eigenvalue of W_eff must approach 1 and
    // the unstable state must merge with it.
    let low_exists = |mu: f64| {
        let fps = bistable(mu).fixed_points(&from(&[0.0]));
        fps.iter().any(|f| f.converged && f.rates_hz[0] < 50.0)
    };
    let (mut a, mut b) = (10.0, 20.0);
    assert!(low_exists(a) && !low_exists(b));
    for _ in 0..40 {
        let m = 0.5 * (a + b);
        if low_exists(m) { a = m } else { b = m }
    }
    let net = bistable(a);
    let all = net.fixed_points(&SolverOptions::default());
    let lows: Vec<&FixedPoint> = all.iter().filter(|f| f.rates_hz[0] < 50.0).collect();
    assert!(!lows.is_empty());
    let lam = net.stability(lows[0]).max_real_part;
    assert!(
        lam < 1.0 && lam > 0.98,
        "eigenvalue at the fold {lam} (drive {a} mV)"
    );
    if lows.len() == 2 {
        let lam_mid = net.stability(lows[1]).max_real_part;
        assert!(lam_mid > 1.0 && lam_mid < 1.02, "{lam_mid}");
        assert!((lows[1].rates_hz[0] - lows[0].rates_hz[0]).abs() < 0.05 * lows[1].rates_hz[0]);
    }
    // far from the boundary the margin is large
    let lam_far = bistable(10.0)
        .stability(&bistable(10.0).fixed_points(&from(&[0.0]))[0])
        .max_real_part;
    assert!(lam_far < 0.5, "{lam_far}");
    println!(
        "fold at ext_mu = {a:.9} mV, low-state eigenvalue {lam:.6}, {} low states",
        lows.len()
    );
}

#[test]
fn phi_derivatives_match_finite_differences() {
    // 4th-order central differences, relative tolerance 1e-6, across regimes,
    // delta and exponential synapses.
    for tau_s in [0.0, 0.5, 2.0] {
        let p = LifParams {
            tau_m_ms: 10.0,
            t_ref_ms: 2.0,
            v_th_mv: 20.0,
            v_reset_mv: 10.0,
            tau_s_ms: tau_s,
        };
        for (mu, sigma) in [
            (5.0, 3.0),
            (15.0, 2.0),
            (18.0, 8.0),
            (25.0, 1.0),
            (40.0, 5.0),
            (12.0, 20.0),
            (0.0, 30.0),
        ] {
            let (dmu, dsig) = dphi(&p, mu, sigma);
            let h = 1e-3 * sigma;
            let d4 = |f: &dyn Fn(f64) -> f64, x: f64| {
                (8.0 * (f(x + h) - f(x - h)) - (f(x + 2.0 * h) - f(x - 2.0 * h))) / (12.0 * h)
            };
            let fd_mu = d4(&|m| phi(&p, m, sigma), mu);
            let fd_sig = d4(&|s| phi(&p, mu, s), sigma);
            let scale = phi(&p, mu, sigma) / sigma; // natural size of either derivative
            assert!(
                (dmu - fd_mu).abs() <= 1e-6 * fd_mu.abs().max(1e-3 * scale),
                "tau_s {tau_s} mu {mu} sigma {sigma}: dPhi/dmu {dmu} vs {fd_mu}"
            );
            assert!(
                (dsig - fd_sig).abs() <= 1e-6 * fd_sig.abs().max(1e-3 * scale),
                "tau_s {tau_s} mu {mu} sigma {sigma}: dPhi/dsigma {dsig} vs {fd_sig}"
            );
            assert_eq!(dphi_dmu(&p, mu, sigma), dmu);
            assert_eq!(dphi_dsigma(&p, mu, sigma), dsig);
        }
    }
}

#[test]
fn effective_connectivity_matches_finite_difference_jacobian() {
    for net in [brunel(5.0, 2.0), brunel(4.5, 0.9), bistable(10.0)] {
        for fp in net.fixed_points(&SolverOptions::default()) {
            let w = net.effective_connectivity(&fp);
            let n = net.len();
            for b in 0..n {
                let h = 1e-4 * fp.rates_hz[b].max(1e-2);
                let mut up = fp.rates_hz.clone();
                let mut dn = fp.rates_hz.clone();
                up[b] += h;
                dn[b] -= h;
                let (fu, fd) = (net.transfer(&up), net.transfer(&dn));
                for a in 0..n {
                    let num = (fu[a] - fd[a]) / (2.0 * h);
                    let sc = w[a].iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
                    assert!(
                        (w[a][b] - num).abs() <= 1e-6 * sc,
                        "W[{a}][{b}] = {} vs {num} at {:?}",
                        w[a][b],
                        fp.rates_hz
                    );
                }
            }
        }
    }
}

#[test]
fn mu_sigma_follow_the_diffusion_formulas() {
    let net = brunel(5.0, 2.0);
    let (mu, sigma) = net.mu_sigma(&[3.0, 7.0]);
    // mu = 40 + 0.02 (1000*0.1*3 - 250*0.5*7); sigma^2 = 4 + 0.02 (1000*0.01*3 + 250*0.25*7)
    let mu_want = 40.0 + 0.02 * (300.0 - 875.0);
    let s2_want = 4.0 + 0.02 * (30.0 + 437.5);
    for a in 0..2 {
        assert!((mu[a] - mu_want).abs() < 1e-12 && (sigma[a] * sigma[a] - s2_want).abs() < 1e-12);
    }
    let mut bad = net.clone();
    bad.recurrent[1].pop();
    assert!(bad.validate().unwrap_err().contains("recurrent[1]"));
}
