//! Connectivity export as Matrix Market files (`sprs::io`), readable with
//! `scipy.io.mmread`: the weight matrix `[target gid, source gid]` (mV for iaf_psc_delta
//! targets, pA otherwise) and, beside it, the delay matrix in ms. Multapses appear as
//! repeated entries (Matrix Market coordinate format allows them; `mmread` sums them —
//! read the delays file to tell them apart). Memory: 24 bytes per synapse while writing,
//! so this is meant for networks up to some 1e7 synapses.

use cortexsim_engine::Simulation;
use cortexsim_engine::partition::Delays;
use sprs::TriMat;
use std::io::Write;
use std::path::{Path, PathBuf};

/// (weights, delays in ms), both `[target, source]` over global ids.
pub fn connectivity(sim: &Simulation) -> (TriMat<f64>, TriMat<f64>) {
    let n = sim.net.n_neurons() as usize;
    let offsets = sim.net.offsets();
    let dt = sim.net.simulation.dt;
    let nnz = sim.synapses as usize;
    let mut w = TriMat::with_capacity((n, n), nnz);
    let mut d = TriMat::with_capacity((n, n), nnz);
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
                    w.add_triplet(tgt, src0 + s, weight);
                    d.add_triplet(tgt, src0 + s, steps * dt);
                }
            }
        }
    }
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

/// Write the weights to `weights` and the delays to `delays` (the CLI passes the
/// temporary files of [`crate::output`], then renames them into place). A full disk is
/// reported as "no space left on device at PATH".
pub fn write(sim: &Simulation, weights: &Path, delays: &Path) -> Result<(), String> {
    let (w, d) = connectivity(sim);
    write_one(&w, weights)?;
    write_one(&d, delays)
}

/// One matrix, with the buffered tail flushed explicitly (`sprs::io::write_matrix_market`
/// drops its buffer, so an error in the last write, e.g. a full disk, would go unseen).
fn write_one(m: &TriMat<f64>, path: &Path) -> Result<(), String> {
    let msg = |e: std::io::Error| crate::output::io_message(&e, path);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(msg)?);
    sprs::io::write_matrix_market_to_bufwrite(&mut out, m).map_err(msg)?;
    out.flush().map_err(msg)
}
