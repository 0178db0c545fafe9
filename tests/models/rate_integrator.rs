//! Integrator tests: Elman equivalence at Δt = τ (bitwise), first-order convergence of
//! Euler to the ODE, exactness of the exponential method, the linear pulse response
//! against its closed form, clamps, noise statistics, recording and input validation.
use cortexsim::rate::{
    self, Epoch, Method, OuNoise, RateError, RateNetwork, RatePop, RunOpts, Transfer,
};

fn pop(name: &str, tau_ms: f64, transfer: Transfer, r0: f64) -> RatePop {
    RatePop {
        name: name.into(),
        tau_ms,
        transfer,
        lower_clamp_hz: None,
        r0_hz: r0,
    }
}

/// Deterministic pseudo-random numbers in [-1, 1) (no RNG dependency in the oracle).
fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

#[test]
fn alpha_one_is_an_elman_network_bitwise() {
    let (n, m, steps) = (5usize, 3usize, 40usize);
    let mut s = 42u64;
    let w: Vec<f64> = (0..n * n).map(|_| 0.7 * lcg(&mut s)).collect();
    let u: Vec<f64> = (0..n * m).map(|_| lcg(&mut s)).collect();
    let b: Vec<f64> = (0..n).map(|_| 0.3 * lcg(&mut s)).collect();
    let xs: Vec<Vec<f64>> = (0..steps)
        .map(|_| (0..m).map(|_| lcg(&mut s)).collect())
        .collect();
    let h0: Vec<f64> = (0..n).map(|_| 0.5 * lcg(&mut s)).collect();

    for transfer in [Transfer::Tanh, Transfer::Relu] {
        // Direct Elman: h_t = f(W h_{t-1} + (b + U x_t)).
        let mut h = h0.clone();
        let mut direct = vec![h.clone()];
        for x in &xs {
            let ux: Vec<f64> = (0..n)
                .map(|i| {
                    let mut acc = 0.0;
                    for k in 0..m {
                        acc += u[i * m + k] * x[k];
                    }
                    acc
                })
                .collect();
            let mut next = vec![0.0; n];
            for i in 0..n {
                let mut acc = 0.0;
                for j in 0..n {
                    acc += w[i * n + j] * h[j];
                }
                next[i] = transfer.apply(acc + (b[i] + ux[i]));
            }
            h = next;
            direct.push(h.clone());
        }

        // The same as a rate network with τ = Δt = 1 ms and one epoch per input step.
        let tau = 1.0;
        let mut net = RateNetwork::new(
            (0..n)
                .map(|i| pop(&format!("h{i}"), tau, transfer, h0[i]))
                .collect(),
        );
        net.w = w.clone();
        net.bias = b.clone();
        for (t, x) in xs.iter().enumerate() {
            let amplitude = (0..n)
                .map(|i| {
                    let mut acc = 0.0;
                    for k in 0..m {
                        acc += u[i * m + k] * x[k];
                    }
                    acc
                })
                .collect();
            net.schedules.push(Epoch {
                start_ms: t as f64,
                stop_ms: t as f64 + 1.0,
                amplitude,
            });
        }
        let out = rate::run(&net, &RunOpts::new(1.0, steps as f64)).unwrap();
        assert_eq!(out.t_ms.len(), steps + 1);
        for (t, h) in direct.iter().enumerate() {
            for (i, hi) in h.iter().enumerate() {
                assert_eq!(
                    out.rates[i][t].to_bits(),
                    hi.to_bits(),
                    "{transfer:?} step {t} unit {i}: {} vs {hi}",
                    out.rates[i][t],
                );
            }
        }
    }
}

/// Two coupled tanh units with a constant drive: the ODE reference is RK4 at a tiny step.
fn tanh_net() -> RateNetwork {
    let mut net = RateNetwork::new(vec![
        pop("a", 10.0, Transfer::Tanh, 0.2),
        pop("b", 25.0, Transfer::Tanh, -0.4),
    ]);
    net.w = vec![0.5, -1.2, 0.9, 0.3];
    net.bias = vec![0.3, -0.1];
    net
}

fn rk4_reference(net: &RateNetwork, t_stop: f64, h: f64) -> Vec<f64> {
    let n = net.n();
    let rhs = |a: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|i| {
                let x: f64 = (0..n).map(|j| net.w[i * n + j] * a[j]).sum::<f64>() + net.bias[i];
                (-a[i] + net.pops[i].transfer.apply(x)) / net.pops[i].tau_ms
            })
            .collect()
    };
    let mut a: Vec<f64> = net.pops.iter().map(|p| p.r0_hz).collect();
    let steps = (t_stop / h).round() as usize;
    for _ in 0..steps {
        let k1 = rhs(&a);
        let a2: Vec<f64> = (0..n).map(|i| a[i] + 0.5 * h * k1[i]).collect();
        let k2 = rhs(&a2);
        let a3: Vec<f64> = (0..n).map(|i| a[i] + 0.5 * h * k2[i]).collect();
        let k3 = rhs(&a3);
        let a4: Vec<f64> = (0..n).map(|i| a[i] + h * k3[i]).collect();
        let k4 = rhs(&a4);
        for i in 0..n {
            a[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    a
}

#[test]
fn euler_converges_at_first_order() {
    let net = tanh_net();
    let t_stop = 40.0;
    let exact = rk4_reference(&net, t_stop, 1e-3);
    let err = |dt: f64| {
        let out = rate::run(&net, &RunOpts::new(dt, t_stop)).unwrap();
        (0..2)
            .map(|i| (out.rates[i].last().unwrap() - exact[i]).abs())
            .fold(0.0, f64::max)
    };
    let errs: Vec<f64> = [0.4, 0.2, 0.1, 0.05].iter().map(|&dt| err(dt)).collect();
    for k in 1..errs.len() {
        let ratio = errs[k - 1] / errs[k];
        assert!(
            (1.8..2.2).contains(&ratio),
            "halving dt should halve the error: {errs:?}"
        );
    }
    assert!(errs[3] < 1e-2, "{errs:?}");
}

/// `expm(A)` by scaling and squaring with a Taylor series (test oracle for small systems).
fn expm(a: &[f64; 4]) -> [f64; 4] {
    let norm = a.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let s = (norm.max(1e-300).log2().ceil() as i32 + 2).max(0);
    let scale = 0.5f64.powi(s);
    let b = a.map(|v| v * scale);
    let mul = |x: &[f64; 4], y: &[f64; 4]| {
        [
            x[0] * y[0] + x[1] * y[2],
            x[0] * y[1] + x[1] * y[3],
            x[2] * y[0] + x[3] * y[2],
            x[2] * y[1] + x[3] * y[3],
        ]
    };
    let mut term = [1.0, 0.0, 0.0, 1.0];
    let mut sum = term;
    for k in 1..30 {
        term = mul(&term, &b).map(|v| v / k as f64);
        for i in 0..4 {
            sum[i] += term[i];
        }
    }
    for _ in 0..s {
        sum = mul(&sum, &sum);
    }
    sum
}

/// Closed form of `da/dt = A a + c` over time `t` from `a0` (A invertible).
fn affine_flow(a_mat: &[f64; 4], c: [f64; 2], a0: [f64; 2], t: f64) -> [f64; 2] {
    let det = a_mat[0] * a_mat[3] - a_mat[1] * a_mat[2];
    let inv = [
        a_mat[3] / det,
        -a_mat[1] / det,
        -a_mat[2] / det,
        a_mat[0] / det,
    ];
    let fixed = [
        -(inv[0] * c[0] + inv[1] * c[1]),
        -(inv[2] * c[0] + inv[3] * c[1]),
    ];
    let e = expm(&a_mat.map(|v| v * t));
    let d = [a0[0] - fixed[0], a0[1] - fixed[1]];
    [
        fixed[0] + e[0] * d[0] + e[1] * d[1],
        fixed[1] + e[2] * d[0] + e[3] * d[1],
    ]
}

#[test]
fn linear_pulse_response_matches_closed_form() {
    // E-I pair with oscillatory (complex-eigenvalue) dynamics, pulse into E.
    let (tau_e, tau_i) = (20.0, 10.0);
    let w = [1.5, -2.0, 2.5, -0.5];
    let bias = [0.4, 0.2];
    let (t_on, t_off, amp, t_end) = (50.0, 150.0, 3.0, 400.0);
    let mut net = RateNetwork::new(vec![
        pop("E", tau_e, Transfer::Linear, 0.0),
        pop("I", tau_i, Transfer::Linear, 0.0),
    ]);
    net.w = w.to_vec();
    net.bias = bias.to_vec();
    net.schedules.push(Epoch {
        start_ms: t_on,
        stop_ms: t_off,
        amplitude: vec![amp, 0.0],
    });
    // A = T^{-1}(W - 1), c = T^{-1}(bias + input).
    let a_mat = [
        (w[0] - 1.0) / tau_e,
        w[1] / tau_e,
        w[2] / tau_i,
        (w[3] - 1.0) / tau_i,
    ];
    let c = |on: bool| {
        [
            (bias[0] + if on { amp } else { 0.0 }) / tau_e,
            bias[1] / tau_i,
        ]
    };
    let exact_at = |t: f64| {
        let x0 = [0.0, 0.0];
        if t <= t_on {
            return affine_flow(&a_mat, c(false), x0, t);
        }
        let x1 = affine_flow(&a_mat, c(false), x0, t_on);
        if t <= t_off {
            return affine_flow(&a_mat, c(true), x1, t - t_on);
        }
        let x2 = affine_flow(&a_mat, c(true), x1, t_off - t_on);
        affine_flow(&a_mat, c(false), x2, t - t_off)
    };
    let max_err = |dt: f64| {
        let out = rate::run(&net, &RunOpts::new(dt, t_end)).unwrap();
        let mut e: f64 = 0.0;
        for (k, &t) in out.t_ms.iter().enumerate() {
            let x = exact_at(t);
            e = e
                .max((out.rates[0][k] - x[0]).abs())
                .max((out.rates[1][k] - x[1]).abs());
        }
        e
    };
    let (e1, e2) = (max_err(0.1), max_err(0.05));
    let peak = (0..=400)
        .map(|k| exact_at(k as f64)[0].abs())
        .fold(0.0, f64::max);
    assert!(peak > 1.0, "the pulse must produce a response, peak {peak}");
    eprintln!("linear pulse: max error {e1} at dt 0.1, {e2} at dt 0.05 (peak {peak})");
    assert!(e1 < 1e-2 * peak, "max error {e1} (peak {peak})");
    assert!((1.8..2.2).contains(&(e1 / e2)), "first order: {e1} {e2}");
}

#[test]
fn exponential_method_is_exact_for_uncoupled_linear_units() {
    let mut net = RateNetwork::new(vec![
        pop("x", 7.0, Transfer::Linear, 2.0),
        pop("y", 30.0, Transfer::Linear, -1.0),
    ]);
    net.bias = vec![1.0, 0.5];
    net.schedules.push(Epoch {
        start_ms: 10.0,
        stop_ms: 35.0,
        amplitude: vec![4.0, -2.0],
    });
    let opts = RunOpts {
        method: Method::Exponential,
        ..RunOpts::new(0.5, 80.0)
    };
    let out = rate::run(&net, &opts).unwrap();
    for (i, p) in net.pops.iter().enumerate() {
        let relax = |a0: f64, target: f64, t: f64| target + (a0 - target) * (-t / p.tau_ms).exp();
        let b = net.bias[i];
        let amp = net.schedules[0].amplitude[i];
        for (k, &t) in out.t_ms.iter().enumerate() {
            let a10 = relax(p.r0_hz, b, 10.0);
            let a35 = relax(a10, b + amp, 25.0);
            let want = if t <= 10.0 {
                relax(p.r0_hz, b, t)
            } else if t <= 35.0 {
                relax(a10, b + amp, t - 10.0)
            } else {
                relax(a35, b, t - 35.0)
            };
            assert!((out.rates[i][k] - want).abs() < 1e-12, "{} t={t}", p.name);
        }
    }
}

#[test]
fn lower_clamp_and_threshold_linear_transfer() {
    let mut p = pop(
        "E",
        10.0,
        Transfer::ThresholdLinear {
            gain: 2.0,
            threshold: 1.0,
        },
        5.0,
    );
    p.lower_clamp_hz = Some(3.0);
    let mut net = RateNetwork::new(vec![p]);
    net.bias = vec![0.0]; // f = 0: would decay to 0 without the clamp
    let out = rate::run(&net, &RunOpts::new(0.1, 200.0)).unwrap();
    let r = &out.rates[0];
    assert!(r.iter().all(|&v| v >= 3.0));
    assert_eq!(*r.last().unwrap(), 3.0);
    // Bias 4 -> f = 2 (4 - 1) = 6 Hz fixed point, above the clamp.
    net.bias = vec![4.0];
    let out = rate::run(&net, &RunOpts::new(0.1, 400.0)).unwrap();
    assert!((out.rates[0].last().unwrap() - 6.0).abs() < 1e-9);
    let s = &out.summary()[0];
    assert_eq!(s.name, "E");
    assert!(s.min_hz == 5.0 && (s.max_hz - 6.0).abs() < 1e-9 && s.mean_hz > 5.0 && s.mean_hz < 6.0);
}

#[test]
fn ou_noise_has_requested_variance_and_is_seeded() {
    let sigma = 2.0;
    let mut net = RateNetwork::new(vec![pop("x", 1.0, Transfer::Linear, 0.0)]);
    // τ_pop = 1 ms << τ_noise = 50 ms: the rate follows the noise closely.
    net.noise = Some(OuNoise {
        tau_ms: 50.0,
        sigma: vec![sigma],
    });
    let opts = RunOpts {
        seed: 7,
        record_every: 10,
        ..RunOpts::new(0.1, 200_000.0)
    };
    let out = rate::run(&net, &opts).unwrap();
    let r = &out.rates[0];
    let mean = r.iter().sum::<f64>() / r.len() as f64;
    let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / r.len() as f64;
    // Low-pass filtering by the 1 ms unit shrinks the variance by τn/(τn+τ) = 50/51.
    let want = sigma * sigma * 50.0 / 51.0;
    assert!((var - want).abs() < 0.1 * want, "var {var} want {want}");
    assert!(mean.abs() < 0.2, "mean {mean}");
    let again = rate::run(&net, &opts).unwrap();
    assert_eq!(out, again);
    let other = rate::run(&net, &RunOpts { seed: 8, ..opts }).unwrap();
    assert_ne!(out.rates, other.rates);
}

#[test]
fn recording_interval_and_times() {
    let net = tanh_net();
    let opts = RunOpts {
        record_every: 4,
        ..RunOpts::new(0.25, 10.0)
    };
    let out = rate::run(&net, &opts).unwrap();
    assert_eq!(out.t_ms, (0..=10).map(|k| k as f64).collect::<Vec<_>>());
    let full = rate::run(&net, &RunOpts::new(0.25, 10.0)).unwrap();
    for i in 0..2 {
        for k in 0..=10 {
            assert_eq!(out.rates[i][k], full.rates[i][4 * k]);
        }
    }
}

#[test]
fn invalid_input_is_a_spec_error_with_a_path() {
    let net = tanh_net();
    match rate::run(&net, &RunOpts::new(0.0, 10.0)) {
        Err(RateError::Spec(e)) => assert_eq!(e.path, "simulation.dt"),
        other => panic!("{other:?}"),
    }
    let mut bad = net.clone();
    bad.pops[1].tau_ms = -1.0;
    match rate::run(&bad, &RunOpts::new(0.1, 10.0)) {
        Err(RateError::Spec(e)) => assert_eq!(e.path, "rate_populations[1].tau"),
        other => panic!("{other:?}"),
    }
    let mut unstable = net;
    unstable.pops[0].transfer = Transfer::Linear;
    unstable.w = vec![5.0, 0.0, 0.0, 0.0];
    match rate::run(&unstable, &RunOpts::new(1.0, 1e5)) {
        Err(RateError::Diverged { population, .. }) => assert_eq!(population, "a"),
        other => panic!("{other:?}"),
    }
}
