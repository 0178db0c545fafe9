//! Micro-benchmarks of the engine's inner kernels (see benches/README.md).
//!
//! Run: `cargo bench --bench kernels -- --warm-up-time 0.5 --measurement-time 2 --sample-size 20`

use std::hint::black_box;
use std::path::Path;

use cortexsim::engine::partition::{Block, BlockParts, Delays, Targets};
use cortexsim::engine::rng::{Rng, StreamBank, purpose, stream};
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::neuron::{DeltaParams, ExpParams, Kernel, LifCore, NeuronModel, Route, State};
use cortexsim::spec::Network;
use cortexsim::stimulus::PoissonSampler;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};

const N: usize = 10_000;
const DT: f64 = 0.1;

/// A state in the fluctuation-driven regime: potentials spread below threshold.
fn state(kernel: &Kernel, v_lo: f64, v_hi: f64) -> State {
    let mut rng = Rng::seed_from_u64(7);
    let v0 = (0..N)
        .map(|_| v_lo + (v_hi - v_lo) * rng.random::<f64>())
        .collect();
    State::new(kernel, v0)
}

/// One step's input slot: on average a few spikes' worth per neuron.
fn input(channels: usize, w_ex: f64, w_in: f64) -> Vec<f64> {
    let mut rng = Rng::seed_from_u64(11);
    let mut x = vec![0.0; channels * N];
    for (i, v) in x.iter_mut().enumerate() {
        let k = (rng.random::<f64>() * 4.0) as u32;
        *v = k as f64 * if i < N { w_ex } else { w_in };
    }
    x
}

fn bench_neuron_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("neuron_update_10k");
    g.throughput(Throughput::Elements(N as u64));
    // Brunel's iaf_psc_delta (E_L = 0, V_th = 20 mV, tau_m = 20 ms).
    let delta = NeuronModel::IafPscDelta(DeltaParams {
        core: LifCore {
            c_m: 1.0,
            tau_m: 20.0,
            t_ref: 2.0,
            e_l: 0.0,
            v_th: 20.0,
            v_reset: 0.0,
            i_e: 0.0,
        },
        v_min: f64::NEG_INFINITY,
        refractory_input: false,
    });
    // NEST defaults of iaf_psc_exp (E_L = -70, V_th = -55 mV, tau_syn = 2 ms).
    let exp = NeuronModel::IafPscExp(ExpParams::parse(None).expect("defaults"));
    for (name, model, lo, hi, w_ex, w_in) in [
        ("iaf_psc_delta", delta, 0.0, 20.0, 0.1, -0.5),
        ("iaf_psc_exp", exp, 0.0, 15.0, 87.8, -351.2),
    ] {
        let kernel = model.kernel(DT);
        let ch = model.n_ports();
        let base = input(ch, w_ex, w_in);
        let mut st = state(&kernel, lo, hi);
        let mut spikes = Vec::with_capacity(N);
        let mut buf = base.clone();
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                // Restore the input slot (the kernel zeroes it); a memcpy of 80-160 kB.
                buf.copy_from_slice(&base);
                spikes.clear();
                kernel.step(
                    &mut st,
                    black_box(&mut buf),
                    0.0,
                    &mut spikes,
                    &mut Vec::new(),
                );
                black_box(spikes.len())
            })
        });
    }
    g.finish();
}

/// A Brunel-like block: `ns` sources, `N` targets, fixed in-degree `k` onto every target.
fn block(ns: usize, k: usize, hetero: bool) -> Block {
    let mut rng = stream(1, purpose::CONNECT, 0, 0);
    let mut rows: Vec<Vec<(u32, f32, u8)>> = vec![Vec::new(); ns];
    for t in 0..N as u32 {
        for _ in 0..k {
            let s = rng.random_range(0..ns);
            let w = if hetero {
                0.1 * (0.5 + rng.random::<f32>())
            } else {
                0.1
            };
            let d = if hetero {
                rng.random_range(10..=20u8)
            } else {
                15
            };
            rows[s].push((t, w, d));
        }
    }
    let mut indptr = vec![0u32];
    let (mut targets, mut weights, mut delays) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        for &(t, w, d) in r {
            targets.push(t);
            weights.push(w);
            delays.push(d);
        }
        indptr.push(targets.len() as u32);
    }
    Block::new(BlockParts {
        projection: 0,
        src_pop: 0,
        n_post: N,
        indptr,
        // u16 local indices, as the engine stores them for partitions up to 65,536 neurons.
        targets: Targets::U16(targets.iter().map(|&t| t as u16).collect()),
        weights: hetero.then_some(weights),
        weight: 0.1,
        ports: 1,
        route: Route::Port(0),
        delays: if hetero {
            Delays::U8(delays)
        } else {
            Delays::Const(15)
        },
    })
    .expect("a valid block")
}

fn bench_delivery(c: &mut Criterion) {
    let mut g = c.benchmark_group("deliver_csr_ring");
    // Brunel E -> partition: 10k sources, K = 1000 per target => out-degree 1000 per source.
    let (ns, k) = (10_000, 1_000);
    let spikes_per_iter = 100; // ~ one 0.1 ms step of 12.5k neurons at ~80 Hz
    for (name, hetero, prefetch) in [
        ("homogeneous_w_d", false, false),
        ("homogeneous_w_d_prefetch", false, true),
        ("heterogeneous_w_d_u8", true, false),
    ] {
        let b = block(ns, k, hetero);
        let slots = 32usize;
        let mut ring = vec![0.0f64; slots * N];
        // A random permutation of all sources, consumed `spikes_per_iter` at a time, so
        // the CSR rows (40 MB in all) come from memory as in a run, not from cache.
        let mut rng = Rng::seed_from_u64(3);
        let mut perm: Vec<usize> = (0..ns).collect();
        for i in (1..ns).rev() {
            perm.swap(i, rng.random_range(0..=i));
        }
        let chunks: Vec<&[usize]> = perm.chunks(spikes_per_iter).collect();
        // Every source has out-degree ~k; the mean over all chunks is exactly k.
        let events = b.n_synapses() / chunks.len();
        g.throughput(Throughput::Elements(events as u64));
        let mut t = 0u64;
        g.bench_function(BenchmarkId::from_parameter(name), |bch| {
            bch.iter(|| {
                let ch = chunks[(t as usize) % chunks.len()];
                for (i, &s) in ch.iter().enumerate() {
                    // As Partition::deliver: the row 8 spikes ahead is requested now.
                    if prefetch && let Some(&s2) = ch.get(i + 8) {
                        b.prefetch_row(s2);
                    }
                    b.deliver(s, t, &mut ring, (slots - 1) as u64, N, 1);
                }
                t += 1;
                black_box(ring[0])
            })
        });
    }
    g.finish();
}

fn bench_poisson(c: &mut Criterion) {
    let mut g = c.benchmark_group("poisson_sample_10k");
    g.throughput(Throughput::Elements(N as u64));
    for lambda in [2.0, 20.0] {
        let s = PoissonSampler::new(lambda);
        let mut rngs: Vec<Rng> = (0..N as u64)
            .map(|i| stream(1, purpose::POISSON, 0, i))
            .collect();
        let mut row = vec![0.0f64; N];
        // The engine's form: streams side by side, 8 lanes (AVX2 where available).
        let mut bank = StreamBank::new((0..N as u64).map(|i| stream(1, purpose::POISSON, 0, i)));
        g.bench_function(BenchmarkId::new("bank_lambda", lambda), |b| {
            b.iter(|| {
                s.add_row(&mut bank, &mut row, 0.1);
                black_box(row[0])
            })
        });
        g.bench_function(BenchmarkId::new("lambda", lambda), |b| {
            b.iter(|| {
                // Same loop shape as Partition::update's Poisson drive.
                for (x, rng) in row.iter_mut().zip(rngs.iter_mut()) {
                    let k = s.sample(rng);
                    if k > 0 {
                        *x += k as f64 * 0.1;
                    }
                }
                black_box(row[0])
            })
        });
    }
    g.finish();
}

fn bench_build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build_brunel");
    g.sample_size(10);
    // N = 2500 (N_E = 2000, N_I = 500), K = 0.1 N_E: C_E = 200, C_I = 50,
    // external rate C_E * eta * nu_thr = 200 * 20 Hz.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("networks/brunel2000.toml");
    let sets: Vec<String> = [
        "populations.E.size=2000",
        "populations.I.size=500",
        "projections.0.indegree=200",
        "projections.1.indegree=200",
        "projections.2.indegree=50",
        "projections.3.indegree=50",
        "stimuli.0.rate=4000.0",
        "stimuli.1.rate=4000.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let net = Network::load(&path, &sets).expect("brunel2000.toml with overrides");
    let synapses = 2500u64 * 250;
    g.throughput(Throughput::Elements(synapses));
    for threads in [1usize, 2] {
        let opts = BuildOptions {
            threads,
            ..Default::default()
        };
        g.bench_function(BenchmarkId::new("N2500_threads", threads), |b| {
            b.iter_batched(
                || (),
                |_| {
                    let sim = Simulation::build(&net, &opts).expect("build");
                    assert_eq!(sim.synapses, synapses);
                    black_box(sim.synapses)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_neuron_update,
    bench_delivery,
    bench_poisson,
    bench_build
);
criterion_main!(benches);
