//! `cortexsim run` as one of several MPI processes (the `mpi` feature; OpenMPI or
//! MPICH through the `mpi` crate).
//!
//! Started by a launcher (`mpirun -np R cortexsim run NET.toml`, `srun`), which the
//! environment shows ([`under_launcher`]); without one the binary runs alone as before.
//! Every process loads and validates the network itself (the same input gives the same
//! answer everywhere), then builds its block of partitions and simulates it; spikes are
//! exchanged once per slice ([`cortexsim::engine::exchange::Distributed`]). Process 0
//! claims and writes the one SONATA file — it receives every spike through the exchange
//! anyway, so gathering the output costs nothing more, and one writer needs no parallel
//! HDF5 — draws the plot and prints the summary; the others print nothing. At the end
//! every process's error, if any, is gathered to process 0, which prints each distinct
//! one once ("process r: …") and exits with the first failing process's code; the others
//! exit with 0 after it has written, so the launcher (which reports the first non-zero
//! status and aborts the job at it) neither loses the message nor changes the code.

use super::{Failure, RunArgs, cmd_run_on};
use cortexsim::engine::exchange::Comm;
use mpi::Count;
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::sync::Arc;

/// Environment variables a launcher sets (OpenMPI, MPICH/Hydra, PMIx as with
/// `srun --mpi=pmix`, PMI-2 as with `srun --mpi=pmi2`).
const LAUNCHER_VARS: [&str; 5] = [
    "OMPI_COMM_WORLD_SIZE",
    "PMI_SIZE",
    "PMIX_RANK",
    "PMI_RANK",
    "MPI_LOCALNRANKS",
];

/// Whether this process was started by an MPI launcher.
pub fn under_launcher() -> bool {
    LAUNCHER_VARS.iter().any(|v| std::env::var_os(v).is_some())
}

/// `MPI_COMM_WORLD` as the engine's [`Comm`].
pub struct Mpi {
    world: SimpleCommunicator,
    rank: usize,
    size: usize,
}

// SAFETY: MPI is initialised with at least MPI_THREAD_SERIALIZED ([`run`] checks the
// level granted), which allows calls from any thread as long as they do not overlap; the
// engine calls its communicator from one thread at a time (the step loop and the build
// run their collectives outside any parallel region).
unsafe impl Send for Mpi {}
// SAFETY: as for `Send`: calls never overlap.
unsafe impl Sync for Mpi {}

impl std::fmt::Debug for Mpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MPI process {} of {}", self.rank, self.size)
    }
}

/// Counts and displacements of a variable-count collective (MPI counts are `i32`; the
/// engine keeps every message below 2^31 words).
fn partition(counts: &[usize]) -> (Vec<Count>, Vec<Count>) {
    let c: Vec<Count> = counts.iter().map(|&n| n as Count).collect();
    let mut d = Vec::with_capacity(c.len());
    let mut at: Count = 0;
    for &n in &c {
        d.push(at);
        at += n;
    }
    (c, d)
}

/// Values per piece of [`Comm::gather_f64`] (within an `i32` count).
const GATHER_CHUNK: usize = 1 << 26;

impl Comm for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather(&self, send: &[u32], recv: &mut [u32]) {
        self.world.all_gather_into(send, recv);
    }
    fn all_gather_v(&self, send: &[u32], counts: &[usize], recv: &mut [u32]) {
        let (c, d) = partition(counts);
        let mut part = PartitionMut::new(recv, c, d);
        self.world.all_gather_varcount_into(send, &mut part);
    }
    fn sum(&self, x: &mut [u64]) {
        let send = x.to_vec();
        self.world
            .all_reduce_into(&send[..], x, SystemOperation::sum());
    }
    fn max(&self, x: &mut [u64]) {
        let send = x.to_vec();
        self.world
            .all_reduce_into(&send[..], x, SystemOperation::max());
    }
    fn gather_f64(&self, send: &[f64]) -> Option<Vec<Vec<f64>>> {
        // Lengths first, then the values in pieces of at most GATHER_CHUNK per process.
        let mut lens = vec![0u64; self.size];
        self.world
            .all_gather_into(&(send.len() as u64), &mut lens[..]);
        let longest = lens.iter().copied().max().unwrap_or(0) as usize;
        let root = self.world.process_at_rank(0);
        let mut out: Vec<Vec<f64>> = lens
            .iter()
            .map(|&n| Vec::with_capacity(n as usize))
            .collect();
        let mut at = 0;
        while at < longest {
            let piece: Vec<usize> = lens
                .iter()
                .map(|&n| (n as usize).saturating_sub(at).min(GATHER_CHUNK))
                .collect();
            // One leading placeholder each: no process sends an empty buffer (OpenMPI
            // refuses those in MPI_Gatherv).
            let mut mine = vec![0.0];
            mine.extend_from_slice(
                &send[at.min(send.len())..(at + piece[self.rank]).min(send.len())],
            );
            if self.rank == 0 {
                let counts: Vec<usize> = piece.iter().map(|&n| n + 1).collect();
                let mut buf = vec![0f64; counts.iter().sum()];
                let (c, d) = partition(&counts);
                let mut part = PartitionMut::new(&mut buf[..], c, d.clone());
                root.gather_varcount_into_root(&mine[..], &mut part);
                for (r, o) in out.iter_mut().enumerate() {
                    let s = d[r] as usize + 1;
                    o.extend_from_slice(&buf[s..s + piece[r]]);
                }
            } else {
                root.gather_varcount_into(&mine[..]);
            }
            at += GATHER_CHUNK;
        }
        (self.rank == 0).then_some(out)
    }
}

/// Every process's error message, on process 0 (empty strings for none).
fn gather_messages(world: &SimpleCommunicator, rank: usize, msg: &str) -> Vec<String> {
    let size = world.size() as usize;
    // A leading placeholder: no process sends an empty buffer (OpenMPI refuses those).
    let mut bytes = vec![b' '];
    bytes.extend_from_slice(msg.as_bytes());
    let bytes = &bytes[..];
    let mut lens = vec![0u64; size];
    world.all_gather_into(&(bytes.len() as u64), &mut lens[..]);
    let root = world.process_at_rank(0);
    if rank != 0 {
        root.gather_varcount_into(bytes);
        return Vec::new();
    }
    let counts: Vec<usize> = lens.iter().map(|&n| n as usize).collect();
    let mut buf = vec![0u8; counts.iter().sum()];
    let (c, d) = partition(&counts);
    let mut part = PartitionMut::new(&mut buf[..], c, d.clone());
    root.gather_varcount_into_root(bytes, &mut part);
    (0..size)
        .map(|r| {
            let s = d[r] as usize;
            String::from_utf8_lossy(&buf[s + 1..s + counts[r]]).into_owned()
        })
        .collect()
}

/// Initialise MPI, run as this process, agree on the outcome, finalise.
pub fn run(a: RunArgs) -> Result<(), Failure> {
    let (universe, level) = mpi::initialize_with_threading(mpi::Threading::Serialized)
        .ok_or_else(|| Failure::runtime("MPI could not be initialised"))?;
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    if level < mpi::Threading::Serialized {
        // Every process sees the same level: all refuse.
        return Err(Failure::runtime(format!(
            "the MPI library grants only {level:?} threading; cortexsim needs MPI_THREAD_SERIALIZED"
        )));
    }
    if rank != 0 {
        // Process 0 prints the one summary.
        crate::STDOUT_GONE.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let comm: Arc<dyn Comm> = Arc::new(Mpi {
        world: universe.world(),
        rank,
        size,
    });
    let result = cmd_run_on(a, Some(comm));
    let (code, msg) = match &result {
        Ok(()) => (0, String::new()),
        Err(f) => (f.code, f.msg.clone()),
    };
    let mut codes = vec![0u64; size];
    world.all_gather_into(&(code as u64), &mut codes[..]);
    let msgs = gather_messages(&world, rank, &msg);
    // The first failing process's code, on every process.
    let Some(&code) = codes.iter().find(|&&c| c != 0) else {
        drop(universe);
        return Ok(());
    };
    if rank == 0 {
        let mut text = String::new();
        let mut seen: Vec<&str> = Vec::new();
        for (r, m) in msgs.iter().enumerate() {
            if m.is_empty() || seen.contains(&m.as_str()) {
                continue;
            }
            seen.push(m);
            if !text.is_empty() {
                text.push_str("\nerror: ");
            }
            if r == 0 {
                text.push_str(m);
            } else {
                text.push_str(&format!("process {r} of {size}: {m}"));
            }
        }
        // Printed before any process may exit: the launcher aborts the job at the
        // first non-zero exit, and a message still unwritten then would be lost.
        if !text.is_empty() {
            use std::io::Write;
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "error: {text}");
            let _ = e.flush();
        }
    }
    world.barrier();
    drop(universe);
    if rank != 0 {
        // Process 0 carries the code: a non-zero exit here could make the launcher
        // abort the job before process 0's message is out.
        return Ok(());
    }
    // Printed above; main prints nothing more.
    Err(Failure {
        code: code as i32,
        msg: String::new(),
    })
}
