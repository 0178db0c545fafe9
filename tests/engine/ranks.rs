//! Several processes (issue 13): the network split over R processes — here threads
//! standing in for MPI ranks ([`ThreadComm`]), each with its own worker threads —
//! gives the single process's spikes and final potentials bit for bit (I10). The MPI
//! build runs the same comparison under `mpirun` (`scripts/test_mpi.sh`).

use crate::invariance::{brunel_small, hetero};
use cortexsim::engine::exchange::{Comm, ThreadComm, rank_blocks};
use cortexsim::engine::{BuildOptions, SimError, Simulation};
use cortexsim::spec::Network;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Per rank: kept spikes, local potentials, synapse count, exchanged bytes, stopped early.
type RankResult = (Vec<(u64, u32)>, Vec<f64>, u64, u64, bool);

/// Run `net` on `ranks` thread-ranks of `threads` threads each; `stop_on` sets the stop
/// flag of one rank before the run.
fn run_ranks(
    net: &Network,
    ranks: usize,
    threads: usize,
    stop_on: Option<usize>,
) -> Vec<Result<RankResult, SimError>> {
    let comms = ThreadComm::group(ranks);
    std::thread::scope(|s| {
        let handles: Vec<_> = comms
            .into_iter()
            .map(|c| {
                s.spawn(move || {
                    let rank = c.rank();
                    let comm: Arc<dyn Comm> = Arc::new(c);
                    let mut sim = Simulation::build(
                        net,
                        &BuildOptions {
                            threads,
                            keep_spikes: true,
                            comm: Some(comm),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                    let stop = AtomicBool::new(stop_on == Some(rank));
                    let steps = net.simulation.steps;
                    let stopped = sim.run_for_until(steps, |_| {}, &stop)?;
                    Ok((
                        sim.recording.kept.clone(),
                        sim.v_m(),
                        sim.synapses,
                        sim.exchange_stats().bytes_received,
                        stopped,
                    ))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn single(net: &Network) -> (Vec<(u64, u32)>, Vec<f64>, u64) {
    let mut sim = Simulation::build(
        net,
        &BuildOptions {
            threads: 2,
            keep_spikes: true,
            ..Default::default()
        },
    )
    .unwrap();
    sim.run().unwrap();
    (sim.recording.kept.clone(), sim.v_m(), sim.synapses)
}

fn check(net: &Network, what: &str) {
    let (spikes, vm, synapses) = single(net);
    assert!(
        spikes.len() > 1000,
        "{what}: too few spikes ({})",
        spikes.len()
    );
    for ranks in [1, 2, 3, 5] {
        for threads in [1, 2] {
            let res = run_ranks(net, ranks, threads, None);
            let mut all_vm = Vec::new();
            for (r, x) in res.into_iter().enumerate() {
                let (kept, v, syn, bytes, stopped) = x.unwrap();
                // Every rank records every spike (the merged list).
                assert!(
                    kept == spikes,
                    "{what}: {ranks} ranks × {threads} threads, rank {r}: spikes differ"
                );
                assert_eq!(syn, synapses, "{what}: {ranks} ranks: global synapse count");
                assert!(bytes > 0);
                assert!(!stopped);
                all_vm.extend(v);
            }
            assert!(
                all_vm
                    .iter()
                    .map(|v| v.to_bits())
                    .eq(vm.iter().map(|v| v.to_bits())),
                "{what}: {ranks} ranks × {threads} threads: final potentials differ"
            );
        }
    }
}

#[test]
fn i10_rank_count_brunel() {
    check(&brunel_small(&["simulation.t_stop=100.0"]), "brunel");
}

#[test]
fn i10_rank_count_per_synapse_delays() {
    check(&hetero(256, 5), "heterogeneous delays");
}

/// A stop requested on one process only (a signal that reached it first) stops every
/// process at the same slice boundary.
#[test]
fn i10_stop_is_agreed() {
    let net = brunel_small(&["simulation.t_stop=50.0"]);
    let res = run_ranks(&net, 3, 1, Some(2));
    let lens: Vec<usize> = res
        .into_iter()
        .map(|x| {
            let (kept, _, _, _, stopped) = x.unwrap();
            assert!(stopped);
            kept.len()
        })
        .collect();
    assert!(lens.iter().all(|&l| l == lens[0]), "{lens:?}");
}

/// Blocks are contiguous, cover the layout, and balance by synapses; more ranks than
/// partitions leave some ranks empty.
#[test]
fn rank_blocks_cover_the_layout() {
    let net = brunel_small(&[]);
    let n = cortexsim::engine::layout(&net).len();
    for ranks in [1, 2, 3, 4, n, n + 3] {
        let b = rank_blocks(&net, ranks);
        assert_eq!(b.len(), ranks);
        assert_eq!(b[0].start, 0);
        assert_eq!(b[ranks - 1].end, n);
        for w in b.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
    }
    // More ranks than partitions: the run still matches.
    let net = brunel_small(&["simulation.t_stop=30.0", "simulation.partition_size=2000"]);
    let (spikes, _, _) = single(&net);
    for x in run_ranks(&net, 4, 1, None) {
        assert!(x.unwrap().0 == spikes);
    }
}
