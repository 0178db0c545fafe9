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
//! /g_ex/<population>/data   float64 [samples, n], nS (conductance models); as /v_m
//! /g_in/<population>/data   float64 [samples, n], nS (>= 0); as /v_m
//! ```
//!
//! **Checkpoints.** Each population's writer keeps a running hash of the spikes it was
//! given ([`spike_hash`]); [`SpikeSink::sync`] flushes the file and returns (spikes, hash)
//! per population for a checkpoint, and [`SonataWriter::resume`] continues a copy of the
//! file from such a mark: it checks that the file holds those spikes (count and hash),
//! cuts off anything written after the checkpoint, removes the previous run's rates,
//! potentials and summary (the resumed run writes them for the whole run) and appends.
//!
//! Spikes are streamed: buffered per population and appended to chunked, resizable,
//! unfiltered datasets (the libsonata wheel cannot read deflate) whenever a buffer is full
//! and, at the end of a slice, at least every [`FLUSH_INTERVAL`] of wall time; the file is
//! then flushed and its attribute `t_written_ms` says up to which time every population's
//! spikes are in it. A run killed outright (SIGKILL, power loss) therefore loses at most the
//! spikes of the last ~2 s of wall time, and its file says `incomplete`. A dataset is
//! extended only together with its data: if the write fails the extent is set back (best
//! effort: after ENOSPC HDF5 cannot always shrink a dataset), the writer writes no more,
//! and the CLI removes the file — a failed write never leaves a file with made-up spikes
//! (an extended, unwritten range reads as t = 0, neuron 0). At the end the status becomes
//! `complete` (or `interrupted`, with `t_written_ms` the time reached) and the file is
//! closed, close errors included. The writer writes where it is told; the CLI gives it a temporary path
//! ([`crate::output`]) and renames the closed file into place. A full disk is reported as
//! "no space left on device at PATH". hdf5-metno serialises all HDF5 calls: we write from
//! the main thread only.

use cortexsim_engine::record::{FinalData, SpikeSink, VmSeries};
use cortexsim_spec::{Analog, Network};
use hdf5::types::VarLenUnicode;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Buffered spikes are written out at least this often (wall time, checked after every slice).
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

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
    /// Spikes appended to the datasets.
    written: usize,
    /// Spikes known to be on disk (appended before the last successful file flush).
    durable: usize,
    /// [`spike_hash`] of every spike pushed so far.
    hash: u64,
}

/// FNV-1a (64 bit) of a population's spikes, word by word: for each spike the bits of
/// its time (ms, f64) then its node id. `h` is the hash so far ([`SPIKE_HASH_START`]
/// for none).
pub fn spike_hash(mut h: u64, t_ms: f64, node_id: u64) -> u64 {
    for x in [t_ms.to_bits(), node_id] {
        h ^= x;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The hash of no spikes.
pub const SPIKE_HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The streaming writer of one SONATA file (module docs).
pub struct SonataWriter {
    /// `None` once finished (the file is closed).
    file: Option<hdf5::File>,
    pops: Vec<Option<PopOut>>,
    path: PathBuf,
    cap: usize,
    last_flush: Instant,
    /// A write failed: the file is not written again (the caller removes it).
    broken: bool,
    /// The end of the last slice whose spikes were all pushed, ms.
    t_done: f64,
    /// `t_written_ms` of the last successful flush.
    t_durable: f64,
}

/// An HDF5 error as a message; a full disk (ENOSPC anywhere in HDF5's error stack) as
/// "no space left on device at PATH".
pub fn h5_message(e: &hdf5::Error, path: &Path) -> String {
    let full = e.stack().is_some_and(|s| {
        s.iter().any(|f| {
            let d = f.desc();
            d.contains("No space left on device")
                || d.contains("errno = 28,")
                || d.contains("Disk quota exceeded")
        })
    });
    if full {
        crate::output::no_space_message(path)
    } else {
        format!("writing {}: {e}", path.display())
    }
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

impl SonataWriter {
    pub const BUFFER_SPIKES: usize = 1 << 19;

    pub fn create(path: &Path, net: &Network) -> Result<SonataWriter, String> {
        let file = hdf5::File::create(path).map_err(|e| h5_message(&e, path))?;
        let inner = || -> hdf5::Result<Vec<Option<PopOut>>> {
            file.new_attr::<u32>()
                .create("magic")?
                .write_scalar(&0x0A7Au32)?;
            file.new_attr::<u32>()
                .shape(2)
                .create("version")?
                .write(&[0u32, 1])?;
            str_attr(&file, "status", "incomplete")?;
            file.new_attr::<f64>()
                .create("t_written_ms")?
                .write_scalar(&0.0)?;
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
                    durable: 0,
                    hash: SPIKE_HASH_START,
                }));
            }
            Ok(pops)
        };
        let pops = inner().map_err(|e| h5_message(&e, path))?;
        file.flush().map_err(|e| h5_message(&e, path))?;
        Ok(Self::with_pops(file, pops, path, 0.0))
    }

    /// Continue the spike file `source` from a checkpoint: copy it to `path` (the new
    /// temporary file; `source` is only read), check that every recorded population's
    /// datasets begin with the spikes of `marks` (per population: spikes and
    /// [`spike_hash`], as [`SpikeSink::sync`] returned them), cut off what was written
    /// after the checkpoint, remove rates, potentials and summary, and mark the file
    /// `incomplete` with `t_written_ms = t_ms`. Spikes pushed next are appended.
    pub fn resume(
        source: &Path,
        path: &Path,
        net: &Network,
        marks: &[Option<(u64, u64)>],
        t_ms: f64,
    ) -> Result<SonataWriter, String> {
        let src = source.display();
        if marks.len() != net.populations.len() {
            return Err(format!(
                "the checkpoint describes {} populations' spikes, the network has {}",
                marks.len(),
                net.populations.len()
            ));
        }
        std::fs::copy(source, path)
            .map_err(|e| format!("copying {src} to {}: {e}", path.display()))?;
        let file = hdf5::File::open_rw(path).map_err(|e| format!("{src}: {e}"))?;
        let magic = file
            .attr("magic")
            .and_then(|a| a.read_scalar::<u32>())
            .map_err(|_| format!("{src} is not a cortexsim SONATA file"))?;
        if magic != 0x0A7A {
            return Err(format!("{src} is not a cortexsim SONATA file"));
        }
        let mut pops = Vec::new();
        for (i, pop) in net.populations.iter().enumerate() {
            let recorded = net.recorders.spikes.contains(&i);
            let mark = match (recorded, marks[i]) {
                (false, None) => {
                    pops.push(None);
                    continue;
                }
                (true, Some(m)) => m,
                _ => {
                    return Err(format!(
                        "the checkpoint and the network disagree on whether the spikes of {} are written",
                        pop.name
                    ));
                }
            };
            let open = |name: &str| {
                file.dataset(&format!("spikes/{}/{name}", pop.name))
                    .map_err(|_| format!("{src} has no dataset spikes/{}/{name}", pop.name))
            };
            let (ts, ids) = (open("timestamps")?, open("node_ids")?);
            let (count, want) = (mark.0 as usize, mark.1);
            let (nt, ni) = (ts.size(), ids.size());
            if nt.min(ni) < count {
                return Err(format!(
                    "{src} holds {} spikes of {}, the checkpoint {count}",
                    nt.min(ni),
                    pop.name
                ));
            }
            let mut h = SPIKE_HASH_START;
            let chunk = 1 << 20;
            for a in (0..count).step_by(chunk) {
                let b = (a + chunk).min(count);
                let read = || -> hdf5::Result<(Vec<f64>, Vec<u64>)> {
                    Ok((
                        ts.read_slice_1d::<f64, _>(a..b)?.to_vec(),
                        ids.read_slice_1d::<u64, _>(a..b)?.to_vec(),
                    ))
                };
                let (t, id) = read().map_err(|e| format!("reading {src}: {e}"))?;
                for (&t, &id) in t.iter().zip(&id) {
                    h = spike_hash(h, t, id);
                }
            }
            if h != want {
                return Err(format!(
                    "the spikes of {} in {src} are not those of the checkpoint (another run's file?)",
                    pop.name
                ));
            }
            let cut = || -> hdf5::Result<()> {
                ts.resize(count)?;
                ids.resize(count)
            };
            cut().map_err(|e| h5_message(&e, path))?;
            pops.push(Some(PopOut {
                ts,
                ids,
                buf_t: Vec::new(),
                buf_id: Vec::new(),
                written: count,
                durable: count,
                hash: h,
            }));
        }
        let reset = || -> hdf5::Result<()> {
            for g in ["rates", "v_m", "g_ex", "g_in"] {
                if file.link_exists(g) {
                    file.unlink(g)?;
                }
            }
            if file.attr("summary").is_ok() {
                file.delete_attr("summary")?;
            }
            str_attr(&file, "status", "incomplete")?;
            file.attr("t_written_ms")?.write_scalar(&t_ms)?;
            file.flush()
        };
        reset().map_err(|e| h5_message(&e, path))?;
        Ok(Self::with_pops(file, pops, path, t_ms))
    }

    /// A writer of `file` (open) with its populations' datasets.
    fn with_pops(
        file: hdf5::File,
        pops: Vec<Option<PopOut>>,
        path: &Path,
        t_ms: f64,
    ) -> SonataWriter {
        let n_out = pops.iter().filter(|p| p.is_some()).count().max(1);
        let cap = (Self::BUFFER_SPIKES / n_out).max(4096);
        let mut w = SonataWriter {
            file: Some(file),
            pops,
            path: path.to_path_buf(),
            cap,
            last_flush: Instant::now(),
            broken: false,
            t_done: t_ms,
            t_durable: t_ms,
        };
        for p in w.pops.iter_mut().flatten() {
            p.buf_t.reserve_exact(cap);
            p.buf_id.reserve_exact(cap);
        }
        w
    }

    /// Append a population's buffered spikes. Each dataset is extended and written in one
    /// go; if either fails, both extents are set back to what was written before (best
    /// effort, module docs), as HDF5 fills an extended, unwritten range with zeros:
    /// "t = 0, neuron 0".
    fn flush_pop(p: &mut PopOut) -> hdf5::Result<()> {
        if p.buf_t.is_empty() {
            return Ok(());
        }
        let (a, b) = (p.written, p.written + p.buf_t.len());
        let r = (|| {
            p.ts.resize(b)?;
            p.ts.write_slice(&p.buf_t[..], a..b)?;
            p.ids.resize(b)?;
            p.ids.write_slice(&p.buf_id[..], a..b)
        })();
        if let Err(e) = r {
            let _ = p.ts.resize(a);
            let _ = p.ids.resize(a);
            return Err(e);
        }
        p.written = b;
        p.buf_t.clear();
        p.buf_id.clear();
        Ok(())
    }

    /// Write every population's buffer, record that all spikes up to `t_ms` are in the
    /// file, and flush it to disk.
    fn flush_all(&mut self, t_ms: f64) -> hdf5::Result<()> {
        let Some(f) = &self.file else {
            return Ok(());
        };
        if self.broken {
            return Err("an earlier write to this file failed".into());
        }
        let r = (|| {
            for p in self.pops.iter_mut().flatten() {
                Self::flush_pop(p)?;
            }
            f.attr("t_written_ms")?.write_scalar(&t_ms)?;
            f.flush()
        })();
        if let Err(e) = r {
            // Data still in HDF5's cache when the flush failed may never reach the disk:
            // shrink every dataset back to what the last successful flush wrote. On a
            // full disk HDF5 cannot always do even that (measured: "B-tree key not
            // found"), so the file is written no more and the caller removes it.
            self.broken = true;
            for p in self.pops.iter_mut().flatten() {
                let _ = p.ts.resize(p.durable);
                let _ = p.ids.resize(p.durable);
                p.written = p.durable;
            }
            let _ = f
                .attr("t_written_ms")
                .and_then(|a| a.write_scalar(&self.t_durable));
            let _ = f.flush();
            return Err(e);
        }
        for p in self.pops.iter_mut().flatten() {
            p.durable = p.written;
        }
        self.t_durable = t_ms;
        self.last_flush = Instant::now();
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
        p.hash = spike_hash(p.hash, t_ms, node_id as u64);
        if p.buf_t.len() >= self.cap {
            Self::flush_pop(p).map_err(|e| {
                self.broken = true;
                h5_message(&e, &self.path)
            })?;
        }
        Ok(())
    }

    fn slice_done(&mut self, t_ms: f64) -> Result<(), String> {
        self.t_done = t_ms;
        if self.last_flush.elapsed() >= FLUSH_INTERVAL {
            self.flush_all(t_ms)
                .map_err(|e| h5_message(&e, &self.path))?;
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<Vec<Option<(u64, u64)>>, String> {
        self.flush_all(self.t_done)
            .map_err(|e| h5_message(&e, &self.path))?;
        Ok(self
            .pops
            .iter()
            .map(|p| p.as_ref().map(|p| (p.written as u64, p.hash)))
            .collect())
    }

    fn finish(&mut self, fin: &FinalData) -> Result<(), String> {
        let path = self.path.clone();
        let msg = |e: hdf5::Error| h5_message(&e, &path);
        self.flush_all(fin.t_ms).map_err(msg)?;
        let Some(f) = self.file.take() else {
            return Err(format!("{}: finished twice", path.display()));
        };
        let inner = || -> hdf5::Result<()> {
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
            for var in Analog::ALL {
                if !fin.vm.iter().any(|s| s.var == var) {
                    continue;
                }
                let g = f.create_group(var.name())?;
                for VmSeries {
                    var: _,
                    name,
                    times,
                    rows,
                    n,
                } in fin.vm.iter().filter(|s| s.var == var)
                {
                    let pg = g.create_group(name)?;
                    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
                    let arr = ndarray::Array2::from_shape_vec((rows.len(), *n as usize), flat)
                        .map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
                    let ds = pg.new_dataset_builder().with_data(&arr).create("data")?;
                    str_attr(&ds, "units", var.unit())?;
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
            str_attr(&f, "summary", fin.summary_json)?;
            // Everything else is on disk before the status says so.
            f.flush()?;
            str_attr(&f, "status", fin.status)?;
            f.flush()
        };
        inner().map_err(msg)?;
        // Close explicitly (after every dataset handle): errors at close are errors too.
        self.pops.clear();
        f.close().map_err(msg)
    }
}

impl Drop for SonataWriter {
    /// A writer dropped unfinished (the run failed, but not its writes) writes what it has
    /// buffered, best effort, so that the partial file holds every spike up to the failure.
    fn drop(&mut self) {
        if self.file.is_some() && !self.broken {
            let _ = self.flush_all(self.t_done);
        }
    }
}

/// What [`read`] finds in a SONATA spike file written by cortexsim (or any SONATA
/// spike file: the groups other than `/spikes` are optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SonataFile {
    /// `(population, timestamps ms, node_ids)`, in the file's order of populations.
    pub spikes: Vec<(String, Vec<f64>, Vec<u64>)>,
    /// `(population, bin ms, rates Hz)` of `/rates`.
    pub rates: Vec<(String, f64, Vec<f64>)>,
    /// Sampled variables of `/v_m`, `/g_ex`, `/g_in` (`n` = recorded neurons, the
    /// population's first `n`), by variable in [`Analog::ALL`] order.
    pub vm: Vec<VmSeries>,
    /// The file's `status` attribute (`complete`, `interrupted`, `incomplete`), if any.
    pub status: Option<String>,
    /// The run summary (JSON text), if the run finished.
    pub summary: Option<String>,
}

fn read_str_attr(loc: &hdf5::Location, name: &str) -> Option<String> {
    let a = loc.attr(name).ok()?;
    a.read_scalar::<VarLenUnicode>()
        .map(|s| s.as_str().to_string())
        .ok()
}

/// Read a SONATA spike file (spikes, and the rates, potentials, status and summary that
/// cortexsim writes beside them). Errors name the file.
pub fn read(path: &Path) -> Result<SonataFile, String> {
    let msg = |e: hdf5::Error| format!("reading {}: {e}", path.display());
    let f = hdf5::File::open(path).map_err(msg)?;
    let mut out = SonataFile {
        status: read_str_attr(&f, "status"),
        summary: read_str_attr(&f, "summary"),
        ..Default::default()
    };
    let mut inner = || -> hdf5::Result<()> {
        let spikes = f.group("spikes")?;
        for name in spikes.member_names()? {
            let g = spikes.group(&name)?;
            let ts = g.dataset("timestamps")?.read_raw::<f64>()?;
            let ids = g.dataset("node_ids")?.read_raw::<u64>()?;
            out.spikes.push((name, ts, ids));
        }
        if let Ok(g) = f.group("rates") {
            for name in g.member_names()? {
                let ds = g.dataset(&name)?;
                let bin = ds.attr("bin_ms")?.read_scalar::<f64>()?;
                out.rates.push((name, bin, ds.read_raw::<f64>()?));
            }
        }
        for (var, g) in Analog::ALL
            .into_iter()
            .filter_map(|var| f.group(var.name()).ok().map(|g| (var, g)))
        {
            for name in g.member_names()? {
                let pg = g.group(&name)?;
                let data = pg.dataset("data")?.read_2d::<f64>()?;
                let times = pg.dataset("times")?.read_raw::<f64>()?;
                let rows = data.outer_iter().map(|r| r.to_vec()).collect();
                out.vm.push(VmSeries {
                    var,
                    name,
                    times,
                    rows,
                    n: data.ncols() as u32,
                });
            }
        }
        Ok(())
    };
    inner().map_err(msg)?;
    Ok(out)
}
