//! `cortexsim bench`: the benchmarking protocol users expect. For every thread count
//! and seed the network runs in a fresh child process (`cortexsim run --no-output
//! --json --warmup W`), so peak memory is measured per run; the warm-up is simulated but
//! neither timed nor counted; recording to file is off. Reported per thread count (mean
//! and sd over seeds): build time, simulation time, real-time factor, synaptic events
//! per second, peak RSS, bytes per synapse, and the parallel efficiency relative to the
//! smallest thread count.

use super::{Failure, NetArgs};
use clap::Args;
use serde_json::{Value as Json, json};
use std::process::Command;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Thread counts, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// Number of seeds (runs per thread count).
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Timed biological time per run, ms.
    #[arg(long = "t-sim", default_value_t = 1000.0)]
    pub t_sim: f64,
    /// Warm-up simulated before timing, ms.
    #[arg(long, default_value_t = 100.0)]
    pub warmup: f64,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let sd = if xs.len() > 1 {
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, sd)
}

pub fn cmd_bench(a: BenchArgs) -> Result<(), Failure> {
    // Validate once here so errors come before any run.
    let net = a.net.load()?;
    if a.threads.is_empty() || a.threads.contains(&0) {
        return Err(Failure::invalid(
            "--threads: give thread counts >= 1, e.g. 1,2,4",
        ));
    }
    for &t in &a.threads {
        super::check_threads(Some(t))?;
    }
    if a.seeds == 0 {
        return Err(Failure::invalid("--seeds: must be at least 1"));
    }
    if !(a.t_sim > 0.0 && a.warmup >= 0.0) {
        return Err(Failure::invalid("--t-sim must be > 0 and --warmup >= 0 ms"));
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::runtime(format!("cannot find own executable: {e}")))?;
    let base_seed = net.simulation.seed;
    let mut rows = Vec::new();
    for &t in &a.threads {
        let mut runs = Vec::new();
        for s in 0..a.seeds {
            let mut cmd = Command::new(&exe);
            cmd.arg("run").arg(&a.net.network).args([
                "--no-output",
                "--json",
                "--threads",
                &t.to_string(),
            ]);
            cmd.args([
                "--warmup",
                &a.warmup.to_string(),
                "--t-stop",
                &(a.warmup + a.t_sim).to_string(),
            ]);
            cmd.args(["--seed", &base_seed.wrapping_add(s).to_string()]);
            for kv in &a.net.set {
                cmd.args(["--set", kv]);
            }
            let out = cmd
                .output()
                .map_err(|e| Failure::runtime(format!("cannot start a benchmark run: {e}")))?;
            if !out.status.success() {
                return Err(Failure {
                    code: out.status.code().unwrap_or(4),
                    msg: format!(
                        "benchmark run failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                });
            }
            let j: Json = serde_json::from_slice(&out.stdout)
                .map_err(|e| Failure::runtime(format!("benchmark run output: {e}")))?;
            if !a.json {
                eprintln!(
                    "threads {t} seed {}: simulate {:.3} s, {:.3e} events/s",
                    base_seed.wrapping_add(s),
                    j["timings_s"]["simulate"].as_f64().unwrap_or(f64::NAN),
                    j["synaptic_events_per_s"].as_f64().unwrap_or(f64::NAN)
                );
            }
            runs.push(j);
        }
        let col = |f: &dyn Fn(&Json) -> f64| mean_sd(&runs.iter().map(f).collect::<Vec<_>>());
        let build = col(&|j| j["timings_s"]["build"].as_f64().unwrap_or(f64::NAN));
        let simulate = col(&|j| j["timings_s"]["simulate"].as_f64().unwrap_or(f64::NAN));
        let rtf = col(&|j| j["real_time_factor"].as_f64().unwrap_or(f64::NAN));
        let ev = col(&|j| j["synaptic_events_per_s"].as_f64().unwrap_or(f64::NAN));
        let rss = col(&|j| j["memory_bytes"]["peak_rss"].as_f64().unwrap_or(f64::NAN));
        let synapses = runs[0]["synapses"].as_f64().unwrap_or(0.0);
        let rates: serde_json::Map<String, Json> = runs[0]["populations"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, _)| {
                        (
                            k.clone(),
                            json!(
                                mean_sd(
                                    &runs
                                        .iter()
                                        .map(|r| r["populations"][k]["rate_hz"]
                                            .as_f64()
                                            .unwrap_or(f64::NAN))
                                        .collect::<Vec<_>>()
                                )
                                .0
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        rows.push(json!({
            "threads": t,
            "build_s": build.0, "build_s_sd": build.1,
            "simulate_s": simulate.0, "simulate_s_sd": simulate.1,
            "real_time_factor": rtf.0,
            "synaptic_events_per_s": ev.0, "synaptic_events_per_s_sd": ev.1,
            "peak_rss_bytes": rss.0,
            "bytes_per_synapse_rss": if synapses > 0.0 { rss.0 / synapses } else { 0.0 },
            "bytes_per_synapse_csr": runs[0]["bytes_per_synapse"],
            "row_index_bytes": runs[0]["row_index_bytes"],
            "synapses": synapses,
            "rates_hz": rates,
        }));
    }
    let (t0, ev0) = (
        rows[0]["threads"].as_f64().unwrap(),
        rows[0]["synaptic_events_per_s"].as_f64().unwrap(),
    );
    for r in &mut rows {
        let t = r["threads"].as_f64().unwrap();
        r["parallel_efficiency"] =
            json!(r["synaptic_events_per_s"].as_f64().unwrap() / (ev0 * t / t0));
    }
    let lay = cortexsim::engine::layout(&net);
    let (pmin, pmax) = lay
        .iter()
        .fold((u32::MAX, 0), |(a, b), l| (a.min(l.size), b.max(l.size)));
    let report = json!({
        "network": a.net.origin().display(),
        "partitions": lay.len(), "partition_neurons": [pmin, pmax],
        "seeds": a.seeds, "t_sim_ms": a.t_sim, "warmup_ms": a.warmup,
        "machine": {"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)},
        "results": rows,
    });
    if a.json {
        println!("{report}");
        return Ok(());
    }
    println!(
        "{} — {} seeds × {} ms after {} ms warm-up, recording off; {} partitions of {}–{} neurons",
        a.net.origin().display(),
        a.seeds,
        a.t_sim,
        a.warmup,
        lay.len(),
        pmin,
        pmax
    );
    println!(
        "{:>7} {:>9} {:>12} {:>8} {:>16} {:>10} {:>8} {:>10}",
        "threads", "build s", "simulate s", "RTF", "events/s", "peak RSS", "B/syn", "efficiency"
    );
    for r in report["results"].as_array().unwrap() {
        let g = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "{:>7} {:>9.3} {:>7.3}±{:<4.3} {:>8.3} {:>10.3e}±{:<5.0e} {:>7.0} MB {:>8.2} {:>9.0}%",
            r["threads"].as_u64().unwrap_or(0),
            g("build_s"),
            g("simulate_s"),
            g("simulate_s_sd"),
            g("real_time_factor"),
            g("synaptic_events_per_s"),
            g("synaptic_events_per_s_sd"),
            g("peak_rss_bytes") / 1e6,
            g("bytes_per_synapse_rss"),
            100.0 * g("parallel_efficiency")
        );
    }
    Ok(())
}
