//! Bare delivery loop: an upper bound for cortexsim's spike delivery.
//!
//! Same data layout as the engine (target-owned, source-major CSR per partition, the
//! engine's partition layout, u16 local targets (partitions ≤ 65,536 neurons), constant weight per source population, f64 ring
//! buffer of 16 slots, slices of `min_delay` steps, one rayon parallel region per
//! slice) but nothing else: no neuron model, no Poisson drive, no recording. Spikes are
//! Bernoulli draws at the given rates (pre-generated, outside the timed loop); the
//! "update" only reads and zeroes the slot.
//!
//! cargo run --release --example bare_loop -- --n-e 10000 --n-i 2500 --k-e 1000 \
//!     --k-i 250 --rate-e 30 --rate-i 30 --t-sim 1000 --threads 2
//! Prints one JSON line.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::time::Instant;

struct Part {
    n: usize,
    indptr: Vec<u32>,
    targets: Vec<u16>,
    ring: Vec<f64>,
    acc: f64,
}

/// As the engine (`engine::partition`): spikes looked ahead; the same prefetch helpers.
const PREFETCH_DISTANCE: usize = 8;
use cortexsim::engine::partition::{prefetch_ptr as prefetch, prefetch_span};

fn arg(args: &[String], name: &str, default: f64) -> f64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect(name))
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_e = arg(&args, "--n-e", 10000.0) as usize;
    let n_i = arg(&args, "--n-i", 2500.0) as usize;
    let k_e = arg(&args, "--k-e", 1000.0) as usize;
    let k_i = arg(&args, "--k-i", 250.0) as usize;
    let rate_e = arg(&args, "--rate-e", 30.0);
    let rate_i = arg(&args, "--rate-i", 30.0);
    let t_sim = arg(&args, "--t-sim", 1000.0);
    let threads = arg(&args, "--threads", 2.0) as usize;
    let dt = 0.1;
    let delay = 15u64; // 1.5 ms
    let min_delay = delay as usize;
    let slots = 16u64;
    let mask = slots - 1;
    let part_size = match arg(&args, "--part-size", 0.0) as u32 {
        0 => None,
        s => Some(s),
    };
    let n = n_e + n_i;
    let steps = (t_sim / dt).round() as u64;
    let (w_e, w_i) = (0.1f64, -0.5f64);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let t_build = Instant::now();
    // The engine's partition layout (`--part-size N` as `simulation.partition_size`).
    let bounds: Vec<(usize, usize)> =
        cortexsim::engine::layout_sizes(&[n_e as u32, n_i as u32], part_size)
            .into_iter()
            .map(|l| {
                (
                    if l.pop == 0 { 0 } else { n_e } + l.offset as usize,
                    l.size as usize,
                )
            })
            .collect();
    let mut parts: Vec<Part> = pool.install(|| {
        bounds
            .par_iter()
            .map(|&(first, m)| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(first as u64);
                let mut src = Vec::with_capacity(m * (k_e + k_i));
                for t in 0..m as u32 {
                    for _ in 0..k_e {
                        src.push((rng.random_range(0..n_e) as u32, t));
                    }
                    for _ in 0..k_i {
                        src.push(((n_e + rng.random_range(0..n_i)) as u32, t));
                    }
                }
                src.sort_unstable();
                let mut indptr = vec![0u32; n + 1];
                for &(s, _) in &src {
                    indptr[s as usize + 1] += 1;
                }
                for s in 0..n {
                    indptr[s + 1] += indptr[s];
                }
                assert!(
                    m <= 1 << 16,
                    "partitions above 65,536 neurons: give a smaller --part-size"
                );
                let targets = src.iter().map(|&(_, t)| t as u16).collect();
                Part {
                    n: m,
                    indptr,
                    targets,
                    ring: vec![0.0; slots as usize * m],
                    acc: 0.0,
                }
            })
            .collect()
    });
    // Pre-generated spikes: all steps concatenated, sorted global ids within a step.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    let (p_e, p_i) = (rate_e * dt * 1e-3, rate_i * dt * 1e-3);
    let mut flat: Vec<u32> = Vec::new();
    let mut step_off: Vec<usize> = Vec::with_capacity(steps as usize + 1);
    let mut n_sp = [0u64; 2];
    step_off.push(0);
    for _ in 0..steps {
        for s in 0..n {
            let p = if s < n_e { p_e } else { p_i };
            if rng.random::<f64>() < p {
                flat.push(s as u32);
                n_sp[(s >= n_e) as usize] += 1;
            }
        }
        step_off.push(flat.len());
    }
    let build_s = t_build.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let mut t = 0u64;
    while t < steps {
        let len = (min_delay as u64).min(steps - t);
        // Spikes of the previous slice.
        let prev_t0 = t.saturating_sub(min_delay as u64);
        let (lo, hi) = (step_off[prev_t0 as usize], step_off[t as usize]);
        let (flat, step_off) = (&flat, &step_off);
        pool.install(|| {
            parts.par_iter_mut().for_each(|p| {
                let m = p.n;
                // The engine's prefetching: row pointers 2·D spikes ahead, rows D ahead.
                let pf_ptr = |i: usize| {
                    if i < hi {
                        prefetch(p.indptr[flat[i] as usize..].as_ptr() as *const u8);
                    }
                };
                let pf_row = |i: usize| {
                    if i < hi {
                        let s = flat[i] as usize;
                        let (a, e) = (p.indptr[s] as usize, p.indptr[s + 1] as usize);
                        prefetch_span(&p.targets[a..e]);
                    }
                };
                (lo..lo + 2 * PREFETCH_DISTANCE).for_each(pf_ptr);
                (lo..lo + PREFETCH_DISTANCE).for_each(pf_row);
                if hi > lo {
                    for st in prev_t0..t {
                        let base = (((st + delay) & mask) as usize) * m;
                        let row = &mut p.ring[base..base + m];
                        #[allow(clippy::needless_range_loop)] // i also indexes the look-ahead
                        for i in step_off[st as usize]..step_off[st as usize + 1] {
                            pf_ptr(i + 2 * PREFETCH_DISTANCE);
                            pf_row(i + PREFETCH_DISTANCE);
                            let s = flat[i] as usize;
                            let w = if s < n_e { w_e } else { w_i };
                            let (a, e) = (p.indptr[s] as usize, p.indptr[s + 1] as usize);
                            for &tg in &p.targets[a..e] {
                                row[tg as usize] += w;
                            }
                        }
                    }
                }
                for o in 0..len {
                    let base = (((t + o) & mask) as usize) * m;
                    let mut acc = 0.0;
                    for x in &mut p.ring[base..base + m] {
                        acc += *x;
                        *x = 0.0;
                    }
                    p.acc += acc;
                }
            })
        });
        t += len;
    }
    let sim_s = t0.elapsed().as_secs_f64();
    let checksum: f64 = parts.iter().map(|p| p.acc).sum();
    // Events: spikes times mean out-degree (as cortexsim's summary counts them).
    let out_e = (k_e * n) as f64 / n_e as f64;
    let out_i = (k_i * n) as f64 / n_i as f64;
    let events = n_sp[0] as f64 * out_e + n_sp[1] as f64 * out_i;
    println!(
        "{{\"threads\": {threads}, \"neurons\": {n}, \"synapses\": {}, \"spikes_e\": {}, \"spikes_i\": {}, \"build_s\": {build_s:.4}, \"simulate_s\": {sim_s:.4}, \"synaptic_events_per_s\": {:.1}, \"checksum\": {checksum:.3}}}",
        n * (k_e + k_i),
        n_sp[0],
        n_sp[1],
        events / sim_s
    );
}
