//! Connectivity export as Matrix Market coordinate files, readable with
//! `scipy.io.mmread`: the weight matrix `[target gid, source gid]` (mV for iaf_psc_delta
//! targets, pA otherwise) and, beside it, the delay matrix in ms, one line per synapse in
//! the same order in both files.
//!
//! **Multapses** (several synapses between one pair) are repeated entries: the format
//! allows them and `mmread` returns a COO matrix that keeps them (`.row`, `.col`,
//! `.data`: one element per synapse), but converting it (`.tocsr()`, `.todense()`,
//! `.toarray()`) **sums** them — two 1.5 ms delays read back as one 3.0 ms entry. Read the
//! triplets of the COO matrix to keep every synapse; each file says so in its header.
//!
//! Memory: the files are streamed from the built partitions, synapse by synapse, through a
//! buffered writer — nothing in proportion to the number of synapses is allocated (the
//! earlier in-memory triplet matrices needed 48 bytes per synapse, 14 times a run's
//! estimate). Size on disk: some 20–30 bytes per synapse and file.

use cortexsim_engine::Simulation;
use cortexsim_engine::partition::Delays;
use sprs::TriMat;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every synapse as `(target gid, source gid, weight, delay ms)`, partition by
/// partition, block by block, source-major (the order of the files); a partition's
/// procedural projections after its stored ones, their rows regenerated.
pub fn for_each_synapse<E>(
    sim: &Simulation,
    mut f: impl FnMut(usize, usize, f64, f64) -> Result<(), E>,
) -> Result<(), E> {
    let offsets = sim.net.offsets();
    let dt = sim.net.simulation.dt;
    for p in &sim.parts {
        for b in &p.blocks {
            let src0 = offsets[b.src_pop()] as usize;
            let indptr = b.indptr();
            for s in 0..b.n_sources() {
                for k in indptr[s] as usize..indptr[s + 1] as usize {
                    let tgt = p.first_gid as usize + b.targets().get(k);
                    let weight = b.weights().map_or(b.weight(), |ws| ws[k] as f64);
                    let steps = match b.delays() {
                        Delays::Const(c) => *c as f64,
                        Delays::U8(v) => v[k] as f64,
                        Delays::U16(v) => v[k] as f64,
                    };
                    f(tgt, src0 + s, weight, steps * dt)?;
                }
            }
        }
        // Procedural projections: every row regenerated, as delivery does.
        let mut scratch = cortexsim_engine::connect::Scratch::default();
        for b in &p.proc_blocks {
            let src0 = offsets[b.src_pop()] as usize;
            for s in 0..b.plan().n_src {
                let mut err = None;
                b.for_each_local(s, &mut scratch, |l, _, w, d| {
                    if err.is_none()
                        && let Err(e) = f(
                            p.first_gid as usize + l,
                            src0 + s as usize,
                            w,
                            d as f64 * dt,
                        )
                    {
                        err = Some(e);
                    }
                });
                if let Some(e) = err {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// (weights, delays in ms), both `[target, source]` over global ids, in memory (48 bytes
/// per synapse; [`write`] streams instead).
pub fn connectivity(sim: &Simulation) -> (TriMat<f64>, TriMat<f64>) {
    let n = sim.net.n_neurons() as usize;
    let nnz = sim.synapses as usize;
    let mut w = TriMat::with_capacity((n, n), nnz);
    let mut d = TriMat::with_capacity((n, n), nnz);
    let _ = for_each_synapse(sim, |t, s, weight, delay| -> Result<(), ()> {
        w.add_triplet(t, s, weight);
        d.add_triplet(t, s, delay);
        Ok(())
    });
    (w, d)
}

/// The delays file that goes with `path`: `x.mtx` → `x.delays.mtx`.
pub fn delays_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.delays.mtx"))
}

/// Header comment written into both files (the multapse warning of the module docs).
const HEADER: &str = "% cortexsim connectivity export: [target gid, source gid], 1-based, one line per synapse.\n\
% Multapses are repeated entries: scipy.io.mmread(...) keeps them in its COO result\n\
% (.row, .col, .data), but .tocsr()/.todense()/.toarray() SUM them; read the triplets.\n";

/// Write the weights to `weights` and the delays to `delays` (the CLI passes the
/// temporary files of [`crate::output`], then renames them into place), streaming (no
/// memory in proportion to the synapses). Values are written in Rust's shortest
/// round-trip form, so they read back exactly. A full disk is reported as "no space
/// left on device at PATH".
pub fn write(sim: &Simulation, weights: &Path, delays: &Path) -> Result<(), String> {
    let open = |p: &Path| {
        std::fs::File::create(p)
            .map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| crate::output::io_message(&e, p))
    };
    let (mut w, mut d) = (open(weights)?, open(delays)?);
    let n = sim.net.n_neurons();
    // Which file failed is not known inside the loop; name the weights file, and both
    // are removed by the caller.
    let mut go = || -> std::io::Result<()> {
        for f in [&mut w, &mut d] {
            writeln!(f, "%%MatrixMarket matrix coordinate real general")?;
            f.write_all(HEADER.as_bytes())?;
            writeln!(f, "{n} {n} {}", sim.synapses)?;
        }
        for_each_synapse(sim, |t, s, weight, delay| {
            writeln!(w, "{} {} {weight}", t + 1, s + 1)?;
            writeln!(d, "{} {} {delay}", t + 1, s + 1)
        })?;
        w.flush()?;
        d.flush()
    };
    go().map_err(|e| crate::output::io_message(&e, weights))
}
