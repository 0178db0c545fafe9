//! SONATA spike files (HDF5), readable with h5py, libsonata and bmtk.
//!
//! ```text
//! /                         attrs: magic = 0x0A7A (u32), version = [0, 1] (u32),
//!                                  status = "incomplete" | "complete", generator,
//!                                  summary (JSON, once complete)
//! /spikes/<population>      attr sorting: enum int8 {none, by_id, by_time} = by_time
//!     timestamps            float64 [N], ms, attr units = "ms"
//!     node_ids              uint64  [N], 0-based within the population
//! /rates/<population>       float64 [bins], Hz; attrs bin_ms, units = "Hz"
//! /v_m/<population>/data    float64 [samples, n], mV; times (ms), node_ids (u64)
//! ```
//!
//! Spikes are streamed: buffered per population and appended to chunked, resizable,
//! unfiltered datasets (the libsonata wheel cannot read deflate) whenever the buffer is
//! full, and the file is flushed, so an interrupted run leaves a readable file whose
//! `status` says `incomplete`. hdf5-metno serialises all HDF5 calls: we write from the
//! main thread only.

use cortexsim_engine::record::{FinalData, SpikeSink, VmSeries};
use cortexsim_spec::Network;
use hdf5::types::VarLenUnicode;
use std::path::Path;
use std::str::FromStr;

#[allow(non_camel_case_types)]
#[derive(hdf5::H5Type, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i8)]
pub enum Sorting {
    none = 0,
    by_id = 1,
    by_time = 2,
}

struct PopOut {
    ts: hdf5::Dataset,
    ids: hdf5::Dataset,
    buf_t: Vec<f64>,
    buf_id: Vec<u64>,
    written: usize,
}

pub struct SonataWriter {
    file: hdf5::File,
    pops: Vec<Option<PopOut>>,
    names: Vec<String>,
    cap: usize,
}

fn e2s(e: hdf5::Error) -> String {
    e.to_string()
}

fn str_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v =
        VarLenUnicode::from_str(value).map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
    if loc.attr(name).is_ok() {
        loc.delete_attr(name)?;
    }
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&v)
}

/// Check an output path before any work: refuses an existing file unless `overwrite`,
/// a missing directory, or an unwritable location (the message names the path).
pub fn check_output_path(path: &Path, overwrite: bool) -> Result<(), String> {
    if path.exists() && !overwrite {
        return Err(format!(
            "output file {} exists; pass --overwrite to replace it",
            path.display()
        ));
    }
    if path.is_dir() {
        return Err(format!("output path {} is a directory", path.display()));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("output directory {} does not exist", dir.display()));
    }
    // Probe writability without touching an existing file.
    let probe = dir.join(format!(".cortexsim-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

impl SonataWriter {
    pub const BUFFER_SPIKES: usize = 1 << 19;

    pub fn create(path: &Path, net: &Network) -> Result<SonataWriter, String> {
        let file = hdf5::File::create(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let inner = || -> hdf5::Result<Vec<Option<PopOut>>> {
            file.new_attr::<u32>()
                .create("magic")?
                .write_scalar(&0x0A7Au32)?;
            file.new_attr::<u32>()
                .shape(2)
                .create("version")?
                .write(&[0u32, 1])?;
            str_attr(&file, "status", "incomplete")?;
            str_attr(
                &file,
                "generator",
                concat!("cortexsim ", env!("CARGO_PKG_VERSION")),
            )?;
            let spikes = file.create_group("spikes")?;
            let mut pops = Vec::new();
            for (i, p) in net.populations.iter().enumerate() {
                if !net.recorders.spikes.contains(&i) {
                    pops.push(None);
                    continue;
                }
                let g = spikes.create_group(&p.name)?;
                g.new_attr::<Sorting>()
                    .create("sorting")?
                    .write_scalar(&Sorting::by_time)?;
                let ts = g
                    .new_dataset::<f64>()
                    .chunk(1 << 16)
                    .shape(0..)
                    .create("timestamps")?;
                str_attr(&ts, "units", "ms")?;
                let ids = g
                    .new_dataset::<u64>()
                    .chunk(1 << 16)
                    .shape(0..)
                    .create("node_ids")?;
                pops.push(Some(PopOut {
                    ts,
                    ids,
                    buf_t: Vec::new(),
                    buf_id: Vec::new(),
                    written: 0,
                }));
            }
            Ok(pops)
        };
        let pops = inner().map_err(|e| format!("writing {}: {e}", path.display()))?;
        file.flush().map_err(e2s)?;
        let total_cap = Self::BUFFER_SPIKES;
        let n_out = pops.iter().filter(|p| p.is_some()).count().max(1);
        let cap = (total_cap / n_out).max(4096);
        let mut w = SonataWriter {
            file,
            pops,
            names: net.populations.iter().map(|p| p.name.clone()).collect(),
            cap,
        };
        for p in w.pops.iter_mut().flatten() {
            p.buf_t.reserve_exact(cap);
            p.buf_id.reserve_exact(cap);
        }
        Ok(w)
    }

    fn flush_pop(p: &mut PopOut) -> hdf5::Result<()> {
        if p.buf_t.is_empty() {
            return Ok(());
        }
        let (a, b) = (p.written, p.written + p.buf_t.len());
        p.ts.resize(b)?;
        p.ids.resize(b)?;
        p.ts.write_slice(&p.buf_t[..], a..b)?;
        p.ids.write_slice(&p.buf_id[..], a..b)?;
        p.written = b;
        p.buf_t.clear();
        p.buf_id.clear();
        Ok(())
    }
}

impl SpikeSink for SonataWriter {
    fn push(&mut self, pop: usize, node_id: u32, t_ms: f64) -> Result<(), String> {
        let Some(p) = self.pops[pop].as_mut() else {
            return Ok(());
        };
        p.buf_t.push(t_ms);
        p.buf_id.push(node_id as u64);
        if p.buf_t.len() >= self.cap {
            Self::flush_pop(p).map_err(e2s)?;
            self.file.flush().map_err(e2s)?;
        }
        Ok(())
    }

    fn finish(&mut self, fin: &FinalData) -> Result<(), String> {
        let f = &self.file;
        let mut inner = || -> hdf5::Result<()> {
            for p in self.pops.iter_mut().flatten() {
                Self::flush_pop(p)?;
            }
            if !fin.rates.is_empty() {
                let g = f.create_group("rates")?;
                for (name, bin, rates) in &fin.rates {
                    let ds = g
                        .new_dataset_builder()
                        .with_data(&rates[..])
                        .create(name.as_str())?;
                    ds.new_attr::<f64>().create("bin_ms")?.write_scalar(bin)?;
                    str_attr(&ds, "units", "Hz")?;
                }
            }
            if !fin.vm.is_empty() {
                let g = f.create_group("v_m")?;
                for VmSeries {
                    name,
                    times,
                    rows,
                    n,
                } in &fin.vm
                {
                    let pg = g.create_group(name)?;
                    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
                    let arr = ndarray::Array2::from_shape_vec((rows.len(), *n as usize), flat)
                        .map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
                    let ds = pg.new_dataset_builder().with_data(&arr).create("data")?;
                    str_attr(&ds, "units", "mV")?;
                    let ts = pg
                        .new_dataset_builder()
                        .with_data(&times[..])
                        .create("times")?;
                    str_attr(&ts, "units", "ms")?;
                    let ids: Vec<u64> = (0..*n as u64).collect();
                    pg.new_dataset_builder()
                        .with_data(&ids[..])
                        .create("node_ids")?;
                }
            }
            str_attr(f, "summary", fin.summary_json)?;
            str_attr(f, "status", "complete")?;
            f.flush()?;
            Ok(())
        };
        inner().map_err(|e| format!("finishing the output file: {e}"))?;
        let _ = &self.names;
        Ok(())
    }
}
