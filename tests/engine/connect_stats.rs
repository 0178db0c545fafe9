//! Connectivity statistics of every rule (RELIABILITY.md §3 "Connectivity", after NEST
//! `connect_test_base.py`): exact degrees where the rule fixes them, χ² goodness of fit
//! of degree distributions against their binomial laws per seed, a Kolmogorov–Smirnov
//! test that the χ² p-values of 20 seeds are uniform, autapse/multapse flags, and
//! invariance of the built network under thread count and partition size.
//!
//! Degrees are computed from the engine's own per-partition CSR blocks
//! (`sim.parts[..].blocks`), i.e. from what the simulation actually uses; for
//! procedural projections from the rows each partition regenerates at delivery
//! (`sim.parts[..].proc_blocks`, `ProcBlock::for_each_local`).
//!
//! Significance: each series of 20 seeds fails if one χ² p-value is below α/20
//! (Bonferroni, α = 1e-3) or if the KS test of the 20 p-values against U(0,1) has
//! p < α. About ten series run, so a correct implementation fails by chance with
//! probability ≈ 2 %; the seeds are fixed, so the outcome is deterministic and only
//! changes when the random streams change. A systematic error (wrong p, biased source
//! choice, wrong variance) pushes all p-values down and fails the KS test.
//! (Checked during development: 300 seeds of the Bernoulli in-degree test gave a KS
//! p-value of 0.35 and 2/300 per-seed p-values below 0.01.)

use cortexsim::engine::partition::Delays;
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::{Network, NetworkBuilder};
use std::collections::{BTreeMap, HashSet};
use toml::Value;

const ALPHA: f64 = 1e-3;
const SEEDS: u64 = 20;

// ------------------------------------------------------------------------------------
// Statistics helpers
// ------------------------------------------------------------------------------------

fn ln_gamma(x: f64) -> f64 {
    // Lanczos (g = 7, n = 9), |rel err| < 1e-13 for x > 0.
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized upper incomplete gamma Q(a, x) (Numerical Recipes gser/gcf).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let gln = ln_gamma(a);
    if x < a + 1.0 {
        let (mut ap, mut sum, mut del) = (a, 1.0 / a, 1.0 / a);
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        1.0 - sum * (-x + a * x.ln() - gln).exp()
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (-x + a * x.ln() - gln).exp() * h
    }
}

fn chi2_sf(chi2: f64, dof: usize) -> f64 {
    gamma_q(dof as f64 / 2.0, chi2 / 2.0)
}

fn binom_pmf(n: u64, k: u64, p: f64) -> f64 {
    if p == 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p == 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let (n_, k_) = (n as f64, k as f64);
    (ln_gamma(n_ + 1.0) - ln_gamma(k_ + 1.0) - ln_gamma(n_ - k_ + 1.0)
        + k_ * p.ln()
        + (n_ - k_) * (-p).ln_1p())
    .exp()
}

/// χ² goodness of fit of integer samples against Binomial(n, p); bins are merged
/// left to right until each expects at least 5. `fixed_sum`: the samples sum to a
/// constant by construction (out-degrees of fixed_indegree, counts of
/// fixed_total_number), which removes one more degree of freedom (otherwise the
/// p-values are conservative: mean 0.565 instead of 0.5 over 300 seeds, measured;
/// 0.507–0.527 with the correction, KS p ≥ 0.3).
/// Returns (χ², dof, p-value).
fn chi2_binomial(samples: &[u64], n: u64, p: f64, fixed_sum: bool) -> (f64, usize, f64) {
    let total = samples.len() as f64;
    let mut observed = vec![0f64; n as usize + 1];
    for &s in samples {
        assert!(s <= n, "sample {s} exceeds the binomial maximum {n}");
        observed[s as usize] += 1.0;
    }
    let expected: Vec<f64> = (0..=n).map(|k| total * binom_pmf(n, k, p)).collect();
    let mut bins: Vec<(f64, f64)> = Vec::new();
    let (mut o, mut e) = (0.0, 0.0);
    for k in 0..=n as usize {
        o += observed[k];
        e += expected[k];
        if e >= 5.0 {
            bins.push((o, e));
            o = 0.0;
            e = 0.0;
        }
    }
    if let Some(last) = bins.last_mut() {
        last.0 += o;
        last.1 += e;
    }
    assert!(
        bins.len() >= 4,
        "test bug: too few χ² bins ({})",
        bins.len()
    );
    let chi2: f64 = bins.iter().map(|(o, e)| (o - e) * (o - e) / e).sum();
    let dof = bins.len() - 1 - fixed_sum as usize;
    (chi2, dof, chi2_sf(chi2, dof))
}

/// Kolmogorov–Smirnov test of p-values against U(0, 1): (D, p-value).
fn ks_uniform(ps: &[f64]) -> (f64, f64) {
    let mut x = ps.to_vec();
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &v) in x.iter().enumerate() {
        d = d.max((i as f64 + 1.0) / n - v).max(v - i as f64 / n);
    }
    let sq = n.sqrt();
    let lambda = (sq + 0.12 + 0.11 / sq) * d;
    let mut q = 0.0;
    for j in 1..=100 {
        let j = j as f64;
        q += 2.0 * (-1f64).powf(j - 1.0) * (-2.0 * j * j * lambda * lambda).exp();
    }
    (d, q.clamp(0.0, 1.0))
}

fn mean_var(x: &[u64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let v = x.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

#[test]
fn statistics_helpers_are_right() {
    // Known values: χ²(10 dof) sf at 18.307 is 0.05; at 23.209 it is 0.01.
    assert!(
        (chi2_sf(18.307, 10) - 0.05).abs() < 1e-4,
        "{}",
        chi2_sf(18.307, 10)
    );
    assert!((chi2_sf(23.209, 10) - 0.01).abs() < 1e-4);
    assert!((chi2_sf(3.841, 1) - 0.05).abs() < 1e-4);
    assert!((chi2_sf(124.342, 100) - 0.05).abs() < 1e-4);
    let s: f64 = (0..=30).map(|k| binom_pmf(30, k, 0.3)).sum();
    assert!((s - 1.0).abs() < 1e-12);
    assert!((binom_pmf(10, 3, 0.5) - 120.0 / 1024.0).abs() < 1e-14);
    // KS: a perfect grid is accepted, a skewed sample rejected.
    let grid: Vec<f64> = (0..20).map(|i| (i as f64 + 0.5) / 20.0).collect();
    assert!(ks_uniform(&grid).1 > 0.99);
    let skew: Vec<f64> = (0..20).map(|i| (i as f64 + 0.5) / 200.0).collect();
    assert!(ks_uniform(&skew).1 < 1e-6);
}

// ------------------------------------------------------------------------------------
// Network helpers
// ------------------------------------------------------------------------------------

fn params() -> [(&'static str, f64); 5] {
    [
        ("tau_m", 20.0),
        ("V_th", 20.0),
        ("E_L", 0.0),
        ("V_reset", 0.0),
        ("C_m", 1.0),
    ]
}

/// A builder with `pops` (name, size) and the simulation settings.
fn builder(seed: u64, partition_size: i64, pops: &[(&str, u32)]) -> NetworkBuilder {
    let mut b = NetworkBuilder::new().simulation(&[
        ("dt", 0.1.into()),
        ("t_stop", 1.0.into()),
        ("seed", (seed as i64).into()),
        ("partition_size", partition_size.into()),
    ]);
    for (name, n) in pops {
        b = b.population(name, *n, "iaf_psc_delta", &params());
    }
    b.recorders(&[("spikes", false.into()), ("rate_bin", 0.0.into())])
}

fn kv(extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut v: Vec<(&'static str, Value)> = vec![("weight", 0.1.into()), ("delay", 1.0.into())];
    v.extend(extra.iter().cloned());
    v
}

fn build(net: &Network, threads: usize) -> Simulation {
    Simulation::build(
        net,
        &BuildOptions {
            threads,
            max_memory: None,
            keep_spikes: false,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("build failed: {e}"))
}

/// One synapse as read back from the CSR: projection, global source and target ids,
/// weight bits (f32 when stored per synapse, else the constant), delay in steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Syn {
    proj: usize,
    src: u32,
    tgt: u32,
    w_bits: u64,
    delay: u32,
}

fn synapses(sim: &Simulation) -> Vec<Syn> {
    let offsets = sim.net.offsets();
    let mut out = Vec::new();
    for part in &sim.parts {
        for b in &part.blocks {
            let (indptr, targets) = (b.indptr(), b.targets());
            let ns = indptr.len() - 1;
            assert_eq!(
                ns as u32,
                sim.net.populations[b.src_pop()].size,
                "CSR row count differs from the source population size"
            );
            assert_eq!(*indptr.last().unwrap() as usize, targets.len());
            assert_eq!(b.n_post(), part.n);
            for s in 0..ns {
                for k in indptr[s] as usize..indptr[s + 1] as usize {
                    let t = targets.get(k) as u32;
                    assert!(
                        (t as usize) < part.n,
                        "CSR target {t} outside partition of {}",
                        part.n
                    );
                    let w_bits = match b.weights() {
                        Some(w) => (w[k] as f64).to_bits(),
                        None => b.weight().to_bits(),
                    };
                    let delay = match b.delays() {
                        Delays::Const(d) => *d,
                        Delays::U8(v) => v[k] as u32,
                        Delays::U16(v) => v[k] as u32,
                    };
                    out.push(Syn {
                        proj: b.projection(),
                        src: offsets[b.src_pop()] + s as u32,
                        tgt: part.first_gid + t,
                        w_bits,
                        delay,
                    });
                }
            }
        }
        // Procedural projections: the rows delivery regenerates, this partition's share.
        let mut scratch = cortexsim::engine::connect::Scratch::default();
        for b in &part.proc_blocks {
            for s in 0..b.plan().n_src {
                b.for_each_local(s, &mut scratch, |t, _, w, delay| {
                    assert!(t < part.n, "procedural target {t} outside the partition");
                    out.push(Syn {
                        proj: b.projection(),
                        src: offsets[b.src_pop()] + s,
                        tgt: part.first_gid + t as u32,
                        w_bits: w.to_bits(),
                        delay,
                    });
                });
            }
        }
    }
    out
}

/// (source local, target local) pairs of projection `proj`.
fn pairs(sim: &Simulation, proj: usize) -> Vec<(u32, u32)> {
    let pr = &sim.net.projections[proj];
    let off = sim.net.offsets();
    let (so, to) = (off[pr.source], off[pr.target]);
    synapses(sim)
        .into_iter()
        .filter(|s| s.proj == proj)
        .map(|s| (s.src - so, s.tgt - to))
        .collect()
}

fn in_degrees(p: &[(u32, u32)], n_tgt: u32) -> Vec<u64> {
    let mut d = vec![0u64; n_tgt as usize];
    for &(_, t) in p {
        d[t as usize] += 1;
    }
    d
}

fn out_degrees(p: &[(u32, u32)], n_src: u32) -> Vec<u64> {
    let mut d = vec![0u64; n_src as usize];
    for &(s, _) in p {
        d[s as usize] += 1;
    }
    d
}

/// Number of synapses that repeat an earlier (source, target) pair.
fn duplicates(p: &[(u32, u32)]) -> usize {
    let set: HashSet<&(u32, u32)> = p.iter().collect();
    p.len() - set.len()
}

fn autapses(p: &[(u32, u32)]) -> usize {
    p.iter().filter(|(s, t)| s == t).count()
}

/// Run a χ² test per seed plus the KS test over the seeds. `degrees(seed)` returns the
/// degree samples and the binomial (n, p) they should follow.
fn chi2_over_seeds(what: &str, fixed_sum: bool, degrees: impl Fn(u64) -> (Vec<u64>, u64, f64)) {
    let mut ps = Vec::new();
    let mut worst = (1.0, 0);
    for seed in 1..=SEEDS {
        let (d, n, p) = degrees(seed);
        let (chi2, dof, pv) = chi2_binomial(&d, n, p, fixed_sum);
        assert!(
            pv > ALPHA / SEEDS as f64,
            "{what}, seed {seed}: χ² = {chi2:.2} with {dof} dof, p = {pv:.2e} < {:.0e}: \
             the degrees do not follow Binomial({n}, {p})",
            ALPHA / SEEDS as f64
        );
        if pv < worst.0 {
            worst = (pv, seed);
        }
        ps.push(pv);
    }
    let (dks, pks) = ks_uniform(&ps);
    assert!(
        pks > ALPHA,
        "{what}: the χ² p-values of {SEEDS} seeds are not uniform (KS D = {dks:.3}, p = {pks:.2e}); \
         p-values {ps:.3?}"
    );
    eprintln!(
        "{what}: {SEEDS} seeds, smallest χ² p = {:.3} (seed {}), KS D = {dks:.3}, p = {pks:.3}",
        worst.0, worst.1
    );
}

// ------------------------------------------------------------------------------------
// fixed_indegree
// ------------------------------------------------------------------------------------

#[test]
fn fixed_indegree_exact_in_degree_and_flags() {
    // (label, source size, target size (0: same population), K, autapses, multapses)
    let cases: &[(&str, u32, u32, u32, bool, bool)] = &[
        ("A->B, K << N (rejection path)", 200, 100, 50, true, false),
        ("A->B, K > N/2 (selection path)", 200, 100, 150, true, false),
        ("A->B, K = N", 200, 100, 200, true, false),
        ("A->B, multapses, K > N", 200, 100, 300, true, true),
        (
            "A->A, no autapses, no multapses, K small",
            60,
            0,
            20,
            false,
            false,
        ),
        (
            "A->A, no autapses, no multapses, K = N-1",
            60,
            0,
            59,
            false,
            false,
        ),
        (
            "A->A, no autapses, no multapses, K > N/2",
            60,
            0,
            40,
            false,
            false,
        ),
        ("A->A, autapses, no multapses", 60, 0, 30, true, false),
        ("A->A, no autapses, multapses", 60, 0, 100, false, true),
        ("A->A, autapses, multapses", 60, 0, 100, true, true),
    ];
    for &(label, ns, nt, k, aut, mult) in cases {
        let same = nt == 0;
        let pops: Vec<(&str, u32)> = if same {
            vec![("A", ns)]
        } else {
            vec![("A", ns), ("B", nt)]
        };
        let nt = if same { ns } else { nt };
        let net = builder(7, 4096, &pops)
            .projection(
                "A",
                if same { "A" } else { "B" },
                "fixed_indegree",
                &kv(&[
                    ("indegree", (k as i64).into()),
                    ("autapses", aut.into()),
                    ("multapses", mult.into()),
                ]),
            )
            .build()
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let sim = build(&net, 2);
        let p = pairs(&sim, 0);
        assert_eq!(
            sim.synapses_per_projection[0],
            (nt * k) as u64,
            "{label}: synapse count"
        );
        let d = in_degrees(&p, nt);
        for (t, &di) in d.iter().enumerate() {
            assert_eq!(
                di, k as u64,
                "{label}: target {t} has in-degree {di}, expected exactly {k}"
            );
        }
        assert!(
            p.iter().all(|&(s, _)| s < ns),
            "{label}: source out of range"
        );
        let (dup, aut_n) = (duplicates(&p), autapses(&p));
        if !mult {
            assert_eq!(
                dup, 0,
                "{label}: {dup} multapses although multapses = false"
            );
        } else {
            // Each target draws K of N with replacement: expected repeats per target
            // K - N(1 - (1-1/N)^K) (≥ 40 here), so zero would mean the flag is ignored.
            let navail = if same && !aut { ns - 1 } else { ns } as f64;
            let expected =
                nt as f64 * (k as f64 - navail * (1.0 - (1.0 - 1.0 / navail).powi(k as i32)));
            assert!(
                (dup as f64 - expected).abs() < 0.1 * expected + 10.0,
                "{label}: {dup} repeated pairs, expected about {expected:.0} with multapses"
            );
        }
        if same && !aut {
            assert_eq!(
                aut_n, 0,
                "{label}: {aut_n} autapses although autapses = false"
            );
        }
        if same && aut {
            // Expected autapses: N·K/N = K (no multapses) or N(1-(1-1/N)^K) distinct…
            // in any case dozens; zero means the flag is ignored.
            assert!(
                aut_n > 5,
                "{label}: only {aut_n} autapses although autapses = true"
            );
        }
    }
}

#[test]
fn fixed_indegree_out_degree_is_binomial() {
    // Without multapses each target picks a K-subset uniformly, so a source's out-degree
    // is Binomial(N_tgt, K/N_src); with multapses Binomial(N_tgt·K, 1/N_src); within a
    // population without autapses Binomial(N-1, K/(N-1)).
    let (ns, nt, k) = (1000u32, 400u32, 100u32);
    for (label, mult) in [
        ("fixed_indegree out-degree", false),
        ("fixed_indegree out-degree, multapses", true),
    ] {
        chi2_over_seeds(label, true, |seed| {
            let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
                .projection(
                    "A",
                    "B",
                    "fixed_indegree",
                    &kv(&[("indegree", (k as i64).into()), ("multapses", mult.into())]),
                )
                .build()
                .unwrap();
            let sim = build(&net, 2);
            let d = out_degrees(&pairs(&sim, 0), ns);
            if mult {
                (d, (nt * k) as u64, 1.0 / ns as f64)
            } else {
                (d, nt as u64, k as f64 / ns as f64)
            }
        });
    }
    // Large K (selection-sampling path, K > N/2): same law.
    chi2_over_seeds("fixed_indegree out-degree, K > N/2", true, |seed| {
        let (ns, nt, k) = (300u32, 300u32, 200u32);
        let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
            .projection(
                "A",
                "B",
                "fixed_indegree",
                &kv(&[("indegree", (k as i64).into()), ("multapses", false.into())]),
            )
            .build()
            .unwrap();
        let sim = build(&net, 2);
        (
            out_degrees(&pairs(&sim, 0), ns),
            nt as u64,
            k as f64 / ns as f64,
        )
    });
    chi2_over_seeds(
        "fixed_indegree out-degree, recurrent, no autapses",
        true,
        |seed| {
            let (n, k) = (800u32, 80u32);
            let net = builder(seed, 4096, &[("A", n)])
                .projection(
                    "A",
                    "A",
                    "fixed_indegree",
                    &kv(&[
                        ("indegree", (k as i64).into()),
                        ("multapses", false.into()),
                        ("autapses", false.into()),
                    ]),
                )
                .build()
                .unwrap();
            let sim = build(&net, 2);
            (
                out_degrees(&pairs(&sim, 0), n),
                (n - 1) as u64,
                k as f64 / (n - 1) as f64,
            )
        },
    );
}

// ------------------------------------------------------------------------------------
// pairwise_bernoulli
// ------------------------------------------------------------------------------------

#[test]
fn pairwise_bernoulli_degrees_are_binomial() {
    let (ns, nt, p) = (200u32, 1000u32, 0.1);
    chi2_over_seeds("pairwise_bernoulli in-degree", false, |seed| {
        let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
            .projection("A", "B", "pairwise_bernoulli", &kv(&[("p", p.into())]))
            .build()
            .unwrap();
        let sim = build(&net, 2);
        let pr = pairs(&sim, 0);
        assert_eq!(duplicates(&pr), 0, "pairwise_bernoulli made a pair twice");
        (in_degrees(&pr, nt), ns as u64, p)
    });
    // Source side: every source is hit by each target independently with p, so
    // out-degrees are Binomial(N_tgt, p). Catches a skipping bias towards early or
    // late source indices, which the in-degree test cannot see.
    chi2_over_seeds("pairwise_bernoulli out-degree", false, |seed| {
        let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
            .projection("A", "B", "pairwise_bernoulli", &kv(&[("p", p.into())]))
            .build()
            .unwrap();
        let sim = build(&net, 2);
        (out_degrees(&pairs(&sim, 0), ns), nt as u64, p)
    });
    // Recurrent without autapses: Binomial(N-1, p) and never a self-connection.
    let (n, p2) = (500u32, 0.3);
    chi2_over_seeds(
        "pairwise_bernoulli in-degree, recurrent, no autapses",
        false,
        |seed| {
            let net = builder(seed, 4096, &[("A", n)])
                .projection(
                    "A",
                    "A",
                    "pairwise_bernoulli",
                    &kv(&[("p", p2.into()), ("autapses", false.into())]),
                )
                .build()
                .unwrap();
            let sim = build(&net, 2);
            let pr = pairs(&sim, 0);
            assert_eq!(autapses(&pr), 0, "autapse although autapses = false");
            (in_degrees(&pr, n), (n - 1) as u64, p2)
        },
    );
    // Mean and variance of the pooled in-degrees over all seeds, against N p and
    // N p (1-p): 20 seeds × 1000 targets = 20000 samples; standard error of the mean
    // sqrt(Np(1-p)/20000) ≈ 0.03, of the variance ≈ Np(1-p)·sqrt(2/20000) ≈ 0.18.
    // Tolerance: 5 standard errors.
    let mut all = Vec::new();
    for seed in 1..=SEEDS {
        let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
            .projection("A", "B", "pairwise_bernoulli", &kv(&[("p", p.into())]))
            .build()
            .unwrap();
        all.extend(in_degrees(&pairs(&build(&net, 1), 0), nt));
    }
    let (m, v) = mean_var(&all);
    let (em, ev) = (ns as f64 * p, ns as f64 * p * (1.0 - p));
    let n = all.len() as f64;
    let (se_m, se_v) = ((ev / n).sqrt(), ev * (2.0 / n).sqrt());
    assert!(
        (m - em).abs() < 5.0 * se_m,
        "pairwise_bernoulli mean in-degree {m:.4}, expected {em} ± {:.4}",
        5.0 * se_m
    );
    assert!(
        (v - ev).abs() < 5.0 * se_v,
        "pairwise_bernoulli in-degree variance {v:.3}, expected {ev} ± {:.3}",
        5.0 * se_v
    );
}

#[test]
fn pairwise_bernoulli_edge_cases() {
    for (aut, same) in [(true, false), (false, true), (true, true)] {
        let pops: Vec<(&str, u32)> = if same {
            vec![("A", 30)]
        } else {
            vec![("A", 30), ("B", 20)]
        };
        let tgt = if same { "A" } else { "B" };
        let nt = if same { 30 } else { 20 };
        // p = 0: nothing.
        let net = builder(3, 4096, &pops)
            .projection(
                "A",
                tgt,
                "pairwise_bernoulli",
                &kv(&[("p", 0.0.into()), ("autapses", aut.into())]),
            )
            .build()
            .unwrap();
        let sim = build(&net, 2);
        assert_eq!(sim.synapses_per_projection[0], 0, "p = 0 made synapses");
        assert!(pairs(&sim, 0).is_empty());
        // p = 1: the complete bipartite graph, minus the diagonal without autapses.
        let net = builder(3, 4096, &pops)
            .projection(
                "A",
                tgt,
                "pairwise_bernoulli",
                &kv(&[("p", 1.0.into()), ("autapses", aut.into())]),
            )
            .build()
            .unwrap();
        let sim = build(&net, 2);
        let mut got = pairs(&sim, 0);
        got.sort();
        let want: Vec<(u32, u32)> = (0..30u32)
            .flat_map(|s| (0..nt).map(move |t| (s, t)))
            .filter(|&(s, t)| !(same && !aut && s == t))
            .collect();
        let mut want = want;
        want.sort();
        assert_eq!(
            got, want,
            "p = 1 (same = {same}, autapses = {aut}) is not the complete graph"
        );
    }
    // A tiny p still connects something over many pairs, and the count is Poisson-like:
    // 1000 × 1000 pairs at p = 1e-4 → 100 expected, 5 sd = 50.
    let net = builder(5, 4096, &[("A", 1000), ("B", 1000)])
        .projection("A", "B", "pairwise_bernoulli", &kv(&[("p", 1e-4.into())]))
        .build()
        .unwrap();
    let n = build(&net, 2).synapses_per_projection[0] as f64;
    assert!(
        (n - 100.0).abs() < 50.0,
        "p = 1e-4 over 1e6 pairs made {n} synapses, expected 100 ± 50"
    );
}

// ------------------------------------------------------------------------------------
// fixed_total_number
// ------------------------------------------------------------------------------------

#[test]
fn fixed_total_number_total_and_multinomial_counts() {
    let (ns, nt, n) = (100u32, 200u32, 5000u64);
    chi2_over_seeds("fixed_total_number per-target count", true, |seed| {
        let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
            .projection(
                "A",
                "B",
                "fixed_total_number",
                &kv(&[("n", (n as i64).into())]),
            )
            .build()
            .unwrap();
        let sim = build(&net, 2);
        let pr = pairs(&sim, 0);
        assert_eq!(
            pr.len() as u64,
            n,
            "seed {seed}: fixed_total_number made {} synapses, not {n}",
            pr.len()
        );
        assert_eq!(sim.synapses_per_projection[0], n);
        // Marginal of a multinomial with equal cells: Binomial(n, 1/N_tgt).
        (in_degrees(&pr, nt), n, 1.0 / nt as f64)
    });
    chi2_over_seeds("fixed_total_number out-degree", true, |seed| {
        let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
            .projection(
                "A",
                "B",
                "fixed_total_number",
                &kv(&[("n", (n as i64).into())]),
            )
            .build()
            .unwrap();
        let sim = build(&net, 2);
        (out_degrees(&pairs(&sim, 0), ns), n, 1.0 / ns as f64)
    });
    // Mean and variance of the per-target counts: mean n/N exactly (the total is fixed);
    // variance n (1/N)(1 - 1/N) = 24.875, pooled over 20 seeds (4000 samples):
    // standard error ≈ 24.9·sqrt(2/4000) ≈ 0.56; tolerance 5 SE.
    let mut all = Vec::new();
    for seed in 1..=SEEDS {
        let net = builder(seed, 4096, &[("A", ns), ("B", nt)])
            .projection(
                "A",
                "B",
                "fixed_total_number",
                &kv(&[("n", (n as i64).into())]),
            )
            .build()
            .unwrap();
        all.extend(in_degrees(&pairs(&build(&net, 1), 0), nt));
    }
    let (m, v) = mean_var(&all);
    let q = 1.0 / nt as f64;
    let ev = n as f64 * q * (1.0 - q);
    assert!(
        (m - n as f64 * q).abs() < 1e-9,
        "mean per-target count {m}, expected {}",
        n as f64 * q
    );
    let se = ev * (2.0 / all.len() as f64).sqrt();
    assert!(
        (v - ev).abs() < 5.0 * se,
        "per-target count variance {v:.3}, expected {ev:.3} ± {:.3}",
        5.0 * se
    );
}

#[test]
fn fixed_total_number_without_multapses() {
    // Sparse case (per-target counts never near N_src): total exact, no repeated pair,
    // no autapse.
    let net = builder(11, 4096, &[("A", 100)])
        .projection(
            "A",
            "A",
            "fixed_total_number",
            &kv(&[
                ("n", 1000.into()),
                ("multapses", false.into()),
                ("autapses", false.into()),
            ]),
        )
        .build()
        .unwrap();
    let pr = pairs(&build(&net, 2), 0);
    assert_eq!(
        pr.len(),
        1000,
        "sparse fixed_total_number without multapses: total"
    );
    assert_eq!(
        duplicates(&pr),
        0,
        "repeated pair although multapses = false"
    );
    assert_eq!(autapses(&pr), 0, "autapse although autapses = false");

    // Dense case accepted by validation (n = 90 <= 10 × 10 possible pairs): the network
    // must have exactly n distinct synapses, or validation must refuse it. A multinomial
    // split of 90 over 10 targets often gives a target more than its 10 possible
    // sources; those synapses must not silently vanish.
    let mut short = Vec::new();
    for seed in 1..=10 {
        let b = builder(seed, 4096, &[("A", 10), ("B", 10)]).projection(
            "A",
            "B",
            "fixed_total_number",
            &kv(&[("n", 90.into()), ("multapses", false.into())]),
        );
        let Ok(net) = b.build() else { continue }; // refusing is acceptable
        let sim = build(&net, 1);
        let pr = pairs(&sim, 0);
        assert_eq!(
            duplicates(&pr),
            0,
            "repeated pair although multapses = false"
        );
        if pr.len() != 90 {
            let d = in_degrees(&pr, 10);
            short.push(format!(
                "seed {seed}: {} synapses (per target {d:?})",
                pr.len()
            ));
        }
    }
    assert!(
        short.is_empty(),
        "fixed_total_number n = 90 on 10 -> 10 neurons with multapses = false passes validation \
         but does not make 90 synapses (per-target multinomial counts above the 10 possible \
         sources are clipped by `k.min(avail)` in connect.rs draw_k):\n{}",
        short.join("\n")
    );
}

// ------------------------------------------------------------------------------------
// one_to_one, all_to_all
// ------------------------------------------------------------------------------------

#[test]
fn one_to_one_is_the_diagonal() {
    for same in [false, true] {
        let pops: Vec<(&str, u32)> = if same {
            vec![("A", 50)]
        } else {
            vec![("A", 50), ("B", 50)]
        };
        let net =
            builder(1, 16, &pops) // several partitions
                .projection("A", if same { "A" } else { "B" }, "one_to_one", &kv(&[]))
                .build()
                .unwrap();
        let sim = build(&net, 3);
        let mut got = pairs(&sim, 0);
        got.sort();
        let want: Vec<(u32, u32)> = (0..50).map(|i| (i, i)).collect();
        assert_eq!(
            got, want,
            "one_to_one (same population: {same}) is not exactly the diagonal"
        );
    }
}

#[test]
fn all_to_all_is_complete() {
    for (same, aut) in [(false, true), (false, false), (true, true), (true, false)] {
        let pops: Vec<(&str, u32)> = if same {
            vec![("A", 20)]
        } else {
            vec![("A", 20), ("B", 15)]
        };
        let nt = if same { 20 } else { 15 };
        let net = builder(1, 6, &pops)
            .projection(
                "A",
                if same { "A" } else { "B" },
                "all_to_all",
                &kv(&[("autapses", aut.into())]),
            )
            .build()
            .unwrap();
        let sim = build(&net, 2);
        let mut got = pairs(&sim, 0);
        got.sort();
        let want: Vec<(u32, u32)> = (0..20u32)
            .flat_map(|s| (0..nt).map(move |t| (s, t)))
            .filter(|&(s, t)| !(same && !aut && s == t))
            .collect();
        assert_eq!(
            got, want,
            "all_to_all (same population: {same}, autapses: {aut}) is not the complete graph"
        );
        assert_eq!(sim.synapses_per_projection[0], want.len() as u64);
    }
}

// ------------------------------------------------------------------------------------
// Invariance of construction
// ------------------------------------------------------------------------------------

/// A network with every rule, recurrent and feed-forward projections, several
/// partitions per population for small `partition_size`, distributed weights and delays.
fn mixed_network(partition_size: i64) -> Network {
    let tab = |s: &str| -> toml::Table { s.parse().expect("test bug: bad TOML") };
    let normal_w = tab("distribution = \"normal\"\nmean = 0.5\nstd = 0.2\nmin = 0.0\nmax = 1.0");
    let uni_d = tab("distribution = \"uniform\"\nlow = 0.5\nhigh = 3.0");
    builder(2024, partition_size, &[("E", 120), ("I", 37), ("X", 37)])
        .projection(
            "E",
            "E",
            "fixed_indegree",
            &[
                ("indegree", 30.into()),
                ("autapses", false.into()),
                ("multapses", false.into()),
                ("weight", Value::Table(normal_w.clone())),
                ("delay", Value::Table(uni_d.clone())),
            ],
        )
        .projection(
            "E",
            "I",
            "pairwise_bernoulli",
            &[
                ("p", 0.2.into()),
                ("weight", 0.3.into()),
                ("delay", Value::Table(uni_d)),
            ],
        )
        .projection(
            "I",
            "E",
            "fixed_total_number",
            &[
                ("n", 2000.into()),
                ("weight", Value::Table(normal_w)),
                ("delay", 1.0.into()),
            ],
        )
        .projection("I", "I", "all_to_all", &kv(&[("autapses", false.into())]))
        .projection("I", "X", "one_to_one", &kv(&[]))
        .projection("X", "E", "fixed_indegree", &kv(&[("indegree", 50.into())]))
        .projection(
            "E",
            "X",
            "pairwise_bernoulli",
            &kv(&[("p", 0.5.into()), ("autapses", true.into())]),
        )
        .build()
        .unwrap()
}

#[test]
fn construction_is_independent_of_threads_and_partitions() {
    let mut reference: Option<(Vec<Syn>, Vec<u64>)> = None;
    let mut seen_partitions = BTreeMap::new();
    for ps in [4096i64, 64, 7] {
        let net = mixed_network(ps);
        for threads in [1usize, 2, 3] {
            let sim = build(&net, threads);
            seen_partitions.insert(ps, sim.parts.len());
            let mut syn = synapses(&sim);
            syn.sort();
            let per = sim.synapses_per_projection.clone();
            assert_eq!(per.iter().sum::<u64>() as usize, syn.len());
            match &reference {
                None => reference = Some((syn, per)),
                Some((r, rp)) => {
                    assert_eq!(
                        &per, rp,
                        "synapses per projection differ (partition_size {ps}, {threads} threads)"
                    );
                    if &syn != r {
                        let a: HashSet<&Syn> = r.iter().collect();
                        let b: HashSet<&Syn> = syn.iter().collect();
                        let missing = a.difference(&b).take(5).collect::<Vec<_>>();
                        let extra = b.difference(&a).take(5).collect::<Vec<_>>();
                        panic!(
                            "the network differs for partition_size {ps} and {threads} threads \
                             from partition_size 4096 / 1 thread: missing {missing:?}, extra {extra:?}"
                        );
                    }
                }
            }
        }
    }
    // The small partition sizes really split the populations (otherwise the test is void).
    assert_eq!(seen_partitions[&4096], 3);
    assert!(seen_partitions[&7] > 20, "partitions: {seen_partitions:?}");
    // The heterogeneous weights and delays were really drawn (not all equal).
    let (syn, _) = reference.unwrap();
    let ws: HashSet<u64> = syn
        .iter()
        .filter(|s| s.proj == 0)
        .map(|s| s.w_bits)
        .collect();
    let ds: HashSet<u32> = syn
        .iter()
        .filter(|s| s.proj == 0)
        .map(|s| s.delay)
        .collect();
    assert!(
        ws.len() > 100 && ds.len() > 10,
        "{} distinct weights, {} distinct delays",
        ws.len(),
        ds.len()
    );
    assert!(
        syn.iter()
            .filter(|s| s.proj == 0)
            .all(|s| (5..=30).contains(&s.delay)),
        "a delay outside [0.5, 3] ms = [5, 30] steps"
    );
}

#[test]
fn different_seeds_give_different_networks() {
    let mk = |seed| {
        builder(seed, 4096, &[("A", 100)])
            .projection("A", "A", "fixed_indegree", &kv(&[("indegree", 10.into())]))
            .build()
            .unwrap()
    };
    let mut a = synapses(&build(&mk(1), 1));
    let mut b = synapses(&build(&mk(2), 1));
    let mut c = synapses(&build(&mk(1), 2));
    a.sort();
    b.sort();
    c.sort();
    assert_eq!(a, c, "same seed, different network");
    assert_ne!(
        a, b,
        "different seeds gave the same network: the seed is ignored"
    );
}

// ------------------------------------------------------------------------------------
// Rules drawn per source: fixed_outdegree (stored and procedural), procedural
// fixed_total_number and pairwise_bernoulli
// ------------------------------------------------------------------------------------

/// `rule` with `extra` from A (`ns`) to B (`nt`), `storage` as given.
fn per_source(
    seed: u64,
    partition_size: i64,
    ns: u32,
    nt: u32,
    rule: &str,
    storage: &str,
    extra: &[(&'static str, Value)],
) -> Network {
    let mut e = extra.to_vec();
    e.push(("storage", storage.into()));
    builder(seed, partition_size, &[("A", ns), ("B", nt)])
        .projection("A", "B", rule, &kv(&e))
        .build()
        .unwrap()
}

#[test]
fn fixed_outdegree_exact_out_degree_binomial_in_degree() {
    let (ns, nt, k) = (200u32, 300u32, 40u32);
    for storage in ["stored", "procedural"] {
        chi2_over_seeds(
            &format!("fixed_outdegree ({storage}) in-degree"),
            true,
            |seed| {
                let net = per_source(
                    seed,
                    64,
                    ns,
                    nt,
                    "fixed_outdegree",
                    storage,
                    &[("outdegree", (k as i64).into())],
                );
                let sim = build(&net, 2);
                let pr = pairs(&sim, 0);
                assert!(
                    out_degrees(&pr, ns).iter().all(|&d| d == k as u64),
                    "{storage} fixed_outdegree: an out-degree differs from {k}"
                );
                assert_eq!(sim.synapses_per_projection[0], (ns * k) as u64);
                // Every synapse picks its target uniformly: Binomial(N_src k, 1/N_tgt).
                (in_degrees(&pr, nt), (ns * k) as u64, 1.0 / nt as f64)
            },
        );
    }
    // Without multapses and autapses (recurrent): distinct targets, never the source;
    // stored and procedural realisations are the same rows.
    let net = |storage: &str| {
        builder(3, 16, &[("A", 100)])
            .projection(
                "A",
                "A",
                "fixed_outdegree",
                &kv(&[
                    ("outdegree", 60.into()),
                    ("multapses", false.into()),
                    ("autapses", false.into()),
                    ("storage", storage.into()),
                ]),
            )
            .build()
            .unwrap()
    };
    let mut a = synapses(&build(&net("stored"), 2));
    let mut b = synapses(&build(&net("procedural"), 3));
    let pr: Vec<(u32, u32)> = a.iter().map(|s| (s.src, s.tgt)).collect();
    assert_eq!(pr.len(), 6000);
    assert_eq!(
        duplicates(&pr),
        0,
        "repeated pair although multapses = false"
    );
    assert_eq!(autapses(&pr), 0, "autapse although autapses = false");
    a.sort();
    b.sort();
    assert_eq!(a, b, "stored and procedural fixed_outdegree rows differ");
}

#[test]
fn procedural_fixed_total_number_degrees() {
    let (ns, nt, n) = (100u32, 200u32, 5000u64);
    let net = |seed| {
        per_source(
            seed,
            64,
            ns,
            nt,
            "fixed_total_number",
            "procedural",
            &[("n", (n as i64).into())],
        )
    };
    chi2_over_seeds("procedural fixed_total_number in-degree", false, |seed| {
        let sim = build(&net(seed), 2);
        let pr = pairs(&sim, 0);
        assert_eq!(pr.len() as u64, n, "seed {seed}: total differs from n");
        assert_eq!(sim.synapses_per_projection[0], n);
        // Per target: Binomial(n, 1/N_tgt); the sum over targets is fixed.
        (in_degrees(&pr, nt), n, 1.0 / nt as f64)
    });
    chi2_over_seeds("procedural fixed_total_number out-degree", true, |seed| {
        let sim = build(&net(seed), 1);
        (out_degrees(&pairs(&sim, 0), ns), n, 1.0 / ns as f64)
    });
    // Without multapses and autapses: exact total, distinct pairs, no self-connection.
    let net = builder(11, 16, &[("A", 100)])
        .projection(
            "A",
            "A",
            "fixed_total_number",
            &kv(&[
                ("n", 1000.into()),
                ("multapses", false.into()),
                ("autapses", false.into()),
                ("storage", "procedural".into()),
            ]),
        )
        .build()
        .unwrap();
    let pr = pairs(&build(&net, 2), 0);
    assert_eq!(pr.len(), 1000);
    assert_eq!(
        duplicates(&pr),
        0,
        "repeated pair although multapses = false"
    );
    assert_eq!(autapses(&pr), 0, "autapse although autapses = false");
    // With autapses (as the multi-area model connects): self-connections occur at the
    // rate 1/N per synapse (1000 synapses over 100 neurons: 10 expected).
    let net = builder(11, 16, &[("A", 100)])
        .projection(
            "A",
            "A",
            "fixed_total_number",
            &kv(&[("n", 1000.into()), ("storage", "procedural".into())]),
        )
        .build()
        .unwrap();
    let pr = pairs(&build(&net, 2), 0);
    let aut = autapses(&pr);
    assert!((1..=30).contains(&aut), "{aut} autapses, expected about 10");
}

#[test]
fn procedural_pairwise_bernoulli_degrees() {
    let (ns, nt, p) = (200u32, 1000u32, 0.1);
    let net = |seed| {
        per_source(
            seed,
            300,
            ns,
            nt,
            "pairwise_bernoulli",
            "procedural",
            &[("p", p.into())],
        )
    };
    chi2_over_seeds("procedural pairwise_bernoulli in-degree", false, |seed| {
        let pr = pairs(&build(&net(seed), 2), 0);
        assert_eq!(duplicates(&pr), 0, "pairwise_bernoulli made a pair twice");
        (in_degrees(&pr, nt), ns as u64, p)
    });
    chi2_over_seeds("procedural pairwise_bernoulli out-degree", false, |seed| {
        let pr = pairs(&build(&net(seed), 3), 0);
        (out_degrees(&pr, ns), nt as u64, p)
    });
    // Recurrent without autapses.
    let net = builder(4, 64, &[("A", 300)])
        .projection(
            "A",
            "A",
            "pairwise_bernoulli",
            &kv(&[
                ("p", 0.3.into()),
                ("autapses", false.into()),
                ("storage", "procedural".into()),
            ]),
        )
        .build()
        .unwrap();
    let pr = pairs(&build(&net, 2), 0);
    assert_eq!(autapses(&pr), 0, "autapse although autapses = false");
    let m = pr.len() as f64 / 300.0;
    assert!((m - 0.3 * 299.0).abs() < 5.0 * (0.3 * 0.7 * 299.0 / 300.0f64).sqrt());
}

/// Weight and delay moments of stored and procedural realisations of the same
/// projection: both the distribution's (f32 weights, delays rounded to the grid).
#[test]
fn procedural_weight_and_delay_moments_match_stored() {
    let tab = |s: &str| -> toml::Table { s.parse().expect("test bug: bad TOML") };
    let w = tab("distribution = \"normal\"\nmean = 2.0\nstd = 0.5\nmin = 0.0");
    let d = tab("distribution = \"normal\"\nmean = 1.5\nstd = 0.75\nmin = 0.1\nmax = 10.0");
    let moments = |storage: &str, rule: &str, extra: (&'static str, Value)| {
        let net = builder(9, 100, &[("A", 400), ("B", 300)])
            .projection(
                "A",
                "B",
                rule,
                &[
                    extra,
                    ("weight", Value::Table(w.clone())),
                    ("delay", Value::Table(d.clone())),
                    ("storage", storage.into()),
                ],
            )
            .build()
            .unwrap();
        let syn = synapses(&build(&net, 2));
        let n = syn.len() as f64;
        let ws: Vec<f64> = syn.iter().map(|s| f64::from_bits(s.w_bits)).collect();
        let ds: Vec<f64> = syn.iter().map(|s| s.delay as f64 * 0.1).collect();
        let mean = |x: &[f64]| x.iter().sum::<f64>() / n;
        let var = |x: &[f64], m: f64| x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
        let (mw, md) = (mean(&ws), mean(&ds));
        (n, mw, var(&ws, mw).sqrt(), md, var(&ds, md).sqrt())
    };
    for (rule, extra) in [
        ("fixed_total_number", ("n", Value::from(30000))),
        ("pairwise_bernoulli", ("p", Value::from(0.25))),
        ("fixed_outdegree", ("outdegree", Value::from(75))),
    ] {
        let st = moments("stored", rule, extra.clone());
        let pr = moments("procedural", rule, extra);
        // Normal weight (2, 0.5), redrawn below 0 (4 sd away: no visible effect).
        for (what, (n, mw, sw, md, sd)) in [("stored", st), ("procedural", pr)] {
            assert!(
                (mw - 2.0).abs() < 5.0 * 0.5 / n.sqrt(),
                "{rule} {what}: weight mean {mw}"
            );
            assert!((sw - 0.5).abs() < 0.02, "{rule} {what}: weight sd {sw}");
            // Delay normal (1.5, 0.75) redrawn below 0.1 ms then rounded: the two
            // realisations agree within their sampling errors (0.75/sqrt(n) each).
            let _ = (md, sd);
        }
        assert!(
            (st.3 - pr.3).abs() < 5.0 * 0.75 * (2.0 / st.0.min(pr.0)).sqrt(),
            "{rule}: delay means differ, stored {} procedural {}",
            st.3,
            pr.3
        );
        assert!(
            (st.4 - pr.4).abs() < 0.03,
            "{rule}: delay sds {} vs {}",
            st.4,
            pr.4
        );
        assert!(
            st.3 > 1.5 && st.3 < 1.65,
            "{rule}: truncated delay mean {}",
            st.3
        );
    }
}

#[test]
fn procedural_construction_is_independent_of_threads_and_partitions() {
    let net = |ps: i64| {
        let tab = |s: &str| -> toml::Table { s.parse().expect("test bug: bad TOML") };
        let w = tab("distribution = \"normal\"\nmean = 0.5\nstd = 0.2");
        let d = tab("distribution = \"uniform\"\nlow = 0.5\nhigh = 3.0");
        builder(77, ps, &[("E", 150), ("I", 41)])
            .projection(
                "E",
                "E",
                "fixed_total_number",
                &[
                    ("n", 3000.into()),
                    ("weight", Value::Table(w.clone())),
                    ("delay", Value::Table(d.clone())),
                    ("storage", "procedural".into()),
                ],
            )
            .projection(
                "E",
                "I",
                "pairwise_bernoulli",
                &kv(&[("p", 0.2.into()), ("storage", "procedural".into())]),
            )
            .projection(
                "I",
                "E",
                "fixed_outdegree",
                &[
                    ("outdegree", 30.into()),
                    ("multapses", false.into()),
                    ("weight", Value::Table(w)),
                    ("delay", Value::Table(d)),
                    ("storage", "procedural".into()),
                ],
            )
            .build()
            .unwrap()
    };
    let mut reference: Option<Vec<Syn>> = None;
    for ps in [4096i64, 7] {
        for threads in [1usize, 2, 3] {
            let sim = build(&net(ps), threads);
            if ps == 7 {
                assert!(sim.parts.len() > 20);
            }
            let mut syn = synapses(&sim);
            syn.sort();
            match &reference {
                None => reference = Some(syn),
                Some(r) => assert!(
                    &syn == r,
                    "procedural network differs for partition_size {ps}, {threads} threads"
                ),
            }
        }
    }
}
