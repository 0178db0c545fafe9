//! The multi-area model generator (`schmidt2018_mam`). Its data set (CC BY-NC-SA 4.0) is
//! not shipped: the tests that read it are `#[ignore]`d and read `$CORTEXSIM_DATA`
//! (`.ci/run` runs them from `../shared/data`, like the NNMT fixtures):
//! `CORTEXSIM_DATA=/abs/path/to/shared/data cargo test --release --test models -- --ignored schmidt2018::mam_`.

use crate::common;
use cortexsim::engine::{BuildOptions, Simulation, memory};
use cortexsim::models::{self, Origin};
use cortexsim::spec::{Dist, Network, Rule, Storage};
use std::path::PathBuf;

/// `$CORTEXSIM_DATA`, which must hold `schmidt2018-mam/` (the ignored tests need it).
fn data() -> PathBuf {
    let d = std::env::var_os("CORTEXSIM_DATA")
        .map(PathBuf::from)
        .expect("set CORTEXSIM_DATA to a directory holding schmidt2018-mam/");
    assert!(
        d.join("schmidt2018-mam/connections.csv").is_file(),
        "schmidt2018-mam not found in {}",
        d.display()
    );
    d
}

fn load(sets: &[&str]) -> Network {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let origin = Origin::resolve(&common::manifest().join("networks/schmidt2018_mam.toml"));
    models::load::load(&origin, &sets, Some(&data()))
        .and_then(|l| l.into_spiking(&origin, "test"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn total_synapses(net: &Network) -> u64 {
    net.projections
        .iter()
        .map(|p| match p.rule {
            Rule::FixedTotalNumber { n } => n,
            _ => panic!("not fixed_total_number"),
        })
        .sum()
}

/// Without the data set the error names the key and says where the data come from.
#[test]
fn missing_data_set_is_a_clear_error() {
    let empty = std::env::temp_dir().join(format!("cortexsim_no_mam_{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let origin = Origin::resolve(&common::manifest().join("networks/schmidt2018_mam.toml"));
    let err = models::load::load(&origin, &[], Some(&empty)).unwrap_err();
    let _ = std::fs::remove_dir_all(&empty);
    assert_eq!(err.path, "model.data");
    assert!(err.msg.contains("schmidt2018-mam"), "{err}");
}

/// The shipped file at 1 %: NEST's 1 % numbers (41,292 neurons, round(K N) synapses),
/// every projection procedural; at full scale with `truncate`, exactly the numbers NEST
/// creates (4,129,924 neurons, 24,126,516,728 synapses), and the memory estimate of
/// the whole model is made without building anything.
#[test]
#[ignore]
fn mam_counts_and_full_scale_estimate() {
    let net = load(&[]);
    assert_eq!(net.populations.len(), 254);
    assert_eq!(net.n_neurons(), 41_292);
    assert_eq!(total_synapses(&net), 241_220_571);
    assert!(
        net.projections
            .iter()
            .all(|p| p.storage == Storage::Procedural)
    );
    assert!(net.projections.iter().all(|p| p.autapses && p.multapses));
    let full = load(&["simulation.scale=1.0", "model.rounding=\"truncate\""]);
    assert_eq!(full.n_neurons(), 4_129_924);
    assert_eq!(total_synapses(&full), 24_126_516_728);
    let e = memory::estimate(&full);
    assert_eq!(e.n_synapses, 24_126_516_728);
    assert_eq!(e.synapses, 0, "procedural synapses cost nothing");
    assert!(e.stored_equivalent > 100 << 30, "{}", e.stored_equivalent);
    // The whole model fits in 20 GiB: event lists for the spikes in flight, no rings
    // sized by the largest delay (62.9 ms) × 4.1 million neurons.
    assert!(e.total <= 20 << 30, "{}", e.detail());
    assert_eq!(e.ring_buffers, 0, "every population has per-synapse delays");
    eprintln!("full scale: estimate {}", e.detail());
}

/// Weights and delays follow the data set's rules; the metastable state changes only
/// the cortico-cortical weights, and gives the data set's own metastable columns.
#[test]
#[ignore]
fn mam_weights_delays_and_states() {
    let data =
        cortexsim::models::schmidt2018::MamData::load(&data().join("schmidt2018-mam")).unwrap();
    let ground = load(&[]);
    let meta = load(&["model.state=\"metastable\""]);
    let chi = load(&["model.chi=1.9", "model.chi_i=2.0"]);
    assert_eq!(meta, chi, "state = metastable is chi = 1.9, chi_i = 2");
    let names: Vec<String> = data
        .populations
        .iter()
        .map(cortexsim::models::schmidt2018::pop_name)
        .collect();
    let mut checked = 0;
    for c in &data.connections {
        let (s, t) = (
            ground.pop_index(&names[c.source]).unwrap(),
            ground.pop_index(&names[c.target]).unwrap(),
        );
        let Some(i) = ground
            .projections
            .iter()
            .position(|p| p.source == s && p.target == t)
        else {
            continue; // no synapse at this scale
        };
        let (g, m) = (&ground.projections[i], &meta.projections[i]);
        let Dist::Normal {
            mean,
            std,
            min,
            max,
        } = g.weight
        else {
            panic!("weight not normal")
        };
        assert_eq!((mean, std), (c.w_mean, c.w_sd));
        if c.w_sign > 0.0 {
            assert_eq!((min, max), (0.0, f64::INFINITY));
        } else {
            assert_eq!((min, max), (f64::NEG_INFINITY, 0.0));
        }
        let Dist::Normal {
            mean: mm, std: ms, ..
        } = m.weight
        else {
            panic!("weight not normal")
        };
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        assert!(
            rel(mm, c.w_mean_metastable) && rel(ms, c.w_sd_metastable),
            "{c:?}"
        );
        if !c.cortico_cortical {
            assert_eq!((mm, ms), (mean, std));
        }
        let Dist::Normal {
            mean: dm,
            std: ds,
            min: dmin,
            ..
        } = g.delay
        else {
            panic!("delay not normal")
        };
        assert_eq!((dm, ds, dmin), (c.delay_mean, c.delay_sd, 0.1));
        checked += 1;
    }
    assert!(checked > 7900, "{checked} projections checked");
}

/// A small scale runs, and its spikes do not depend on the thread count.
#[test]
#[ignore]
fn mam_small_scale_runs_and_is_thread_invariant() {
    let net = load(&["simulation.scale=0.002", "simulation.t_stop=60.0"]);
    let mut runs = Vec::new();
    for threads in [1, 2] {
        let mut sim = Simulation::build(
            &net,
            &BuildOptions {
                threads,
                keep_spikes: true,
                ..Default::default()
            },
        )
        .unwrap();
        sim.run().unwrap();
        runs.push(sim.recording.kept.clone());
    }
    assert!(runs[0].len() > 100, "{} spikes", runs[0].len());
    assert!(runs[0] == runs[1], "spikes differ between 1 and 2 threads");
}

/// Item 4 of the issue: the mean-field module on the whole model (4.13·10⁶ neurons,
/// 254 populations; only the connectivity's first and second moments are used, nothing
/// per synapse is built) against the data set's own Siegert fixed point of the ground
/// state (`rates_reference.csv`, computed by the data set's producer with independent
/// code). Measured: correlation 1.0000, largest difference 0.033 Hz, median relative
/// difference 0.2 % over the 254 populations.
#[test]
#[ignore]
fn mam_meanfield_full_scale_matches_reference() {
    use cortexsim::meanfield::stationary;
    let net = load(&["simulation.scale=1.0", "model.rounding=\"truncate\""]);
    let r = stationary(&net).unwrap_or_else(|e| panic!("{e}"));
    let p = r.primary();
    let ours: std::collections::HashMap<&str, f64> = r
        .names()
        .into_iter()
        .zip(p.fixed_point.rates_hz.iter().copied())
        .collect();
    let text = std::fs::read_to_string(data().join("schmidt2018-mam/rates_reference.csv")).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1).filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(',').collect();
        let name = format!("{}_{}", f[1], f[2]);
        let reference: f64 = f[3].parse().unwrap();
        let x = *ours
            .get(name.as_str())
            .unwrap_or_else(|| panic!("no population {name}"));
        assert!(
            (x - reference).abs() <= 0.1,
            "{name}: mean field {x:.4} Hz vs reference {reference:.4} Hz"
        );
        a.push(x);
        b.push(reference);
    }
    assert_eq!(a.len(), 254);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(&a), mean(&b));
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    let corr = cov / (va * vb).sqrt();
    assert!(corr > 0.9995, "correlation {corr}");
    assert!((ma - mb).abs() < 0.05, "mean rate {ma:.3} vs {mb:.3} Hz");
}

/// The NEST reference at reduced scale (`benches/results/mam_vs_nest_s0.002.json`, made by
/// `scripts/nest_schmidt2018.py`: the same model built in PyNEST 3.10 from the same data
/// files, several seeds). Per population: NEST's mean rate, its SD over the seeds and
/// its mean spike count per run.
struct NestReference {
    scale: f64,
    t_sim: f64,
    warmup: f64,
    seeds: Vec<u64>,
    runs: f64,
    mean: Vec<f64>,
    sd: Vec<f64>,
    spikes: Vec<f64>,
}

fn nest_reference(names: &[String]) -> NestReference {
    let path = common::manifest().join("benches/results/mam_vs_nest_s0.002.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let nest = &j["summary"]["nest"];
    let per_pop = |key: &str| -> Vec<f64> {
        names
            .iter()
            .map(|n| {
                nest[key][n]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{key}: no {n}"))
            })
            .collect()
    };
    NestReference {
        scale: j["scale"].as_f64().unwrap(),
        t_sim: j["t_sim_ms"].as_f64().unwrap(),
        warmup: j["warmup_ms"].as_f64().unwrap(),
        seeds: j["seeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect(),
        runs: nest["runs"].as_f64().unwrap(),
        mean: per_pop("rate_mean_hz"),
        sd: per_pop("rate_sd_hz"),
        spikes: per_pop("spikes_mean"),
    }
}

/// Rates over seeds of one simulator: per population mean, SD (ddof 1) and mean count.
struct SeedStats {
    runs: f64,
    mean: Vec<f64>,
    sd: Vec<f64>,
    spikes: Vec<f64>,
}

fn seed_stats(counts: &[Vec<u64>], sizes: &[u32], t_sim: f64) -> SeedStats {
    let runs = counts.len() as f64;
    let mut s = SeedStats {
        runs,
        mean: vec![],
        sd: vec![],
        spikes: vec![],
    };
    for (p, &n) in sizes.iter().enumerate() {
        let rates: Vec<f64> = counts
            .iter()
            .map(|c| c[p] as f64 / (n as f64 * t_sim * 1e-3))
            .collect();
        let m = rates.iter().sum::<f64>() / runs;
        let v = rates.iter().map(|r| (r - m).powi(2)).sum::<f64>() / (runs - 1.0);
        s.mean.push(m);
        s.sd.push(v.sqrt());
        s.spikes
            .push(counts.iter().map(|c| c[p] as f64).sum::<f64>() / runs);
    }
    s
}

/// `x ≥ lo` (false for NaN).
fn at_least(x: f64, lo: f64) -> bool {
    x >= lo
}

/// `|z| ≤ limit` (false for NaN).
fn within(z: f64, limit: f64) -> bool {
    z.abs() <= limit
}

/// The criterion of `scripts/nest_schmidt2018.py` (`compare`): for every population with
/// at least 10 NEST spikes per run, z = Δmean / √(SE_c² + SE_n²) with each SD over seeds
/// floored at the Poisson SD of one run's rate at (mean count + 1); ≥ 95 % of them have
/// |z| ≤ 3; the N-weighted mean rate of every area has |z| ≤ 3.5 (32 areas tested at
/// once); the N-weighted mean rate of the whole network has |z| ≤ 3; the mean z of the
/// tested populations (a systematic bias) is within ±3/√tested; the correlation of the
/// population means is ≥ 0.95. Returns the failures (empty: passed) and a summary.
fn criterion(
    c: &SeedStats,
    n: &NestReference,
    sizes: &[u32],
    areas: &[String],
    t_sim: f64,
) -> (Vec<String>, String) {
    let se2 = |sd: f64, spikes: f64, runs: f64, size: u32| {
        let floor = (spikes + 1.0).sqrt() / (size as f64 * t_sim * 1e-3);
        sd.max(floor).powi(2) / runs
    };
    let k = sizes.len();
    let se2c: Vec<f64> = (0..k)
        .map(|p| se2(c.sd[p], c.spikes[p], c.runs, sizes[p]))
        .collect();
    let se2n: Vec<f64> = (0..k)
        .map(|p| se2(n.sd[p], n.spikes[p], n.runs, sizes[p]))
        .collect();
    let (mut tested, mut passed, mut zsum) = (0, 0, 0.0);
    for p in 0..k {
        if n.spikes[p] >= 10.0 {
            tested += 1;
            let z = (c.mean[p] - n.mean[p]) / (se2c[p] + se2n[p]).sqrt();
            passed += usize::from(within(z, 3.0));
            zsum += z;
        }
    }
    let bias = zsum / (tested as f64).sqrt();
    let ntot: f64 = sizes.iter().map(|&s| s as f64).sum();
    let net = |m: &[f64]| (0..k).map(|p| m[p] * sizes[p] as f64).sum::<f64>() / ntot;
    let net_var: f64 = (0..k)
        .map(|p| (se2c[p] + se2n[p]) * (sizes[p] as f64).powi(2))
        .sum::<f64>()
        / (ntot * ntot);
    let z_net = (net(&c.mean) - net(&n.mean)) / net_var.sqrt();
    let mut fails = Vec::new();
    let frac = passed as f64 / tested as f64;
    if !at_least(frac, 0.95) {
        fails.push(format!(
            "{passed} of {tested} populations within 3 SE ({:.1} %)",
            100.0 * frac
        ));
    }
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let (mc, mn) = (mean(&c.mean), mean(&n.mean));
    let cov: f64 = (0..k).map(|p| (c.mean[p] - mc) * (n.mean[p] - mn)).sum();
    let vc: f64 = c.mean.iter().map(|x| (x - mc).powi(2)).sum();
    let vn: f64 = n.mean.iter().map(|x| (x - mn).powi(2)).sum();
    let corr = cov / (vc * vn).sqrt();
    if !at_least(corr, 0.95) {
        fails.push(format!("correlation {corr:.4}"));
    }
    if !within(z_net, 3.0) {
        fails.push(format!(
            "network mean rate {:.4} vs NEST {:.4} Hz, z = {z_net:.2}",
            net(&c.mean),
            net(&n.mean)
        ));
    }
    if !within(bias, 3.0) {
        fails.push(format!("mean z of the populations × √{tested} = {bias:.2}"));
    }
    let mut seen: Vec<&String> = Vec::new();
    let mut max_area_z = 0.0f64;
    for a in areas {
        if seen.contains(&a) {
            continue;
        }
        seen.push(a);
        let idx: Vec<usize> = (0..k).filter(|&p| &areas[p] == a).collect();
        let ntot: f64 = idx.iter().map(|&p| sizes[p] as f64).sum();
        let wm = |m: &[f64]| idx.iter().map(|&p| m[p] * sizes[p] as f64).sum::<f64>() / ntot;
        let wv = |v: &[f64]| {
            idx.iter()
                .map(|&p| v[p] * (sizes[p] as f64).powi(2))
                .sum::<f64>()
                / (ntot * ntot)
        };
        let z = (wm(&c.mean) - wm(&n.mean)) / (wv(&se2c) + wv(&se2n)).sqrt();
        max_area_z = max_area_z.max(z.abs());
        if !within(z, 3.5) {
            fails.push(format!(
                "area {a}: {:.3} vs NEST {:.3} Hz, z = {z:.2}",
                wm(&c.mean),
                wm(&n.mean)
            ));
        }
    }
    let summary = format!(
        "{passed}/{tested} populations within 3 SE, correlation {corr:.4}, max |z| over areas {max_area_z:.2}, network z {z_net:.2}, bias z {bias:.2}"
    );
    (fails, summary)
}

/// Reduced-scale rates match NEST's per population within the seed spread: cortexsim
/// runs the reference's scale, seeds, warm-up and duration (6 × 2.5 s at s = 0.002,
/// about 2 minutes on 2 cores) and passes `criterion` against the NEST reference. The
/// criterion is first shown to reject the reference against itself with every NEST
/// rate 10 % higher. `CORTEXSIM_MAM_SET="model.rate_ext=10.3"` (keys separated by
/// spaces) perturbs cortexsim's model to check that a wrong model fails;
/// `CORTEXSIM_MAM_SEEDS=k` runs only the first k seeds (a quicker check).
#[test]
#[ignore]
fn mam_reduced_scale_rates_match_nest() {
    let probe = load(&["simulation.scale=0.002"]);
    let names: Vec<String> = probe.populations.iter().map(|p| p.name.clone()).collect();
    let sizes: Vec<u32> = probe.populations.iter().map(|p| p.size).collect();
    let areas: Vec<String> = names
        .iter()
        .map(|n| n.rsplit_once('_').unwrap().0.to_string())
        .collect();
    let r = nest_reference(&names);
    assert_eq!(r.scale, 0.002);
    // The criterion can fail: NEST against NEST with every rate 10 % higher.
    let shifted = SeedStats {
        runs: r.runs,
        mean: r.mean.iter().map(|m| m * 1.1).collect(),
        sd: r.sd.clone(),
        spikes: r.spikes.iter().map(|s| s * 1.1).collect(),
    };
    let (fails, summary) = criterion(&shifted, &r, &sizes, &areas, r.t_sim);
    assert!(!fails.is_empty(), "a 10 % shift passes: {summary}");
    eprintln!("NEST vs NEST + 10 %: {summary}");

    let extra = std::env::var("CORTEXSIM_MAM_SET").unwrap_or_default();
    let dt = 0.1;
    let warm = (r.warmup / dt).round() as u64;
    let steps = ((r.warmup + r.t_sim) / dt).round() as u64;
    let mut counts = Vec::new();
    let n_seeds = std::env::var("CORTEXSIM_MAM_SEEDS")
        .ok()
        .map_or(r.seeds.len(), |s| {
            s.parse().expect("CORTEXSIM_MAM_SEEDS: a count")
        });
    assert!(
        n_seeds >= 2,
        "CORTEXSIM_MAM_SEEDS: at least 2 (an SD over seeds)"
    );
    for &seed in r.seeds.iter().take(n_seeds) {
        let mut sets = vec![
            format!("simulation.scale={}", r.scale),
            format!("simulation.t_stop={}", r.warmup + r.t_sim),
            format!("simulation.seed={seed}"),
        ];
        sets.extend(extra.split_whitespace().map(String::from));
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let net = load(&sets);
        assert_eq!(net.simulation.steps, steps);
        let mut sim = Simulation::build(
            &net,
            &BuildOptions {
                threads: 2,
                ..Default::default()
            },
        )
        .unwrap();
        sim.run_for(warm, |_| {}).unwrap();
        let before = sim.recording.pop_spikes.clone();
        sim.run().unwrap();
        let after: Vec<u64> = sim
            .recording
            .pop_spikes
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect();
        counts.push(after);
    }
    let c = seed_stats(&counts, &sizes, r.t_sim);
    let (fails, summary) = criterion(&c, &r, &sizes, &areas, r.t_sim);
    let total = |m: &[f64]| {
        m.iter()
            .zip(&sizes)
            .map(|(r, &n)| r * n as f64)
            .sum::<f64>()
            / sizes.iter().map(|&n| n as f64).sum::<f64>()
    };
    eprintln!(
        "cortexsim vs NEST at s = {} ({} + {} seeds{}): {summary}; mean rate {:.3} vs {:.3} Hz",
        r.scale,
        counts.len(),
        r.runs,
        if extra.is_empty() {
            String::new()
        } else {
            format!(", {extra}")
        },
        total(&c.mean),
        total(&r.mean)
    );
    assert!(fails.is_empty(), "{summary}\n{}", fails.join("\n"));
}
