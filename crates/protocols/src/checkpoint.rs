//! Checkpoint and resume of a spiking run: what a checkpoint says (its header) and how a
//! run continues from one. The file container is `cortexsim_io::checkpoint`; the state
//! is the engine's state stream (`Simulation::save_state`, docs/ARCHITECTURE.md contract 8).
//!
//! **The header** ([`Header`], JSON) carries the network's *description* — the TOML table
//! after the `--set` overrides, so the network is rebuilt without its file (data-driven
//! generators read their data again: `data`, else `$CORTEXSIM_DATA`, else the built-in
//! copy) — and its hash ([`network_hash`]: the resolved network as JSON, seed included,
//! threads excluded), the time reached, and for the spike file its path, the temporary
//! file of the run that wrote it, and per population the spikes written and their hash.
//!
//! **Resume** rebuilds the network from the description with the `t_stop` of the run that
//! wrote the checkpoint and checks its hash (a network given by the user is checked the
//! same way), then rebuilds it with the new `t_stop`: the result is the network one
//! uninterrupted run to that `t_stop` would have built (stimuli that run "to the end"
//! run to the new end). The state is read into the freshly built simulation and the run
//! continues ([`crate::run::run_checkpointed`]): spikes bit-identical to one run, on any
//! thread count (the state does not depend on threads, contract 2).
//!
//! **When** a run with a [`Checkpointer`] writes: every `every` ms of simulated time (at
//! multiples of it, counted from 0, so a resumed run keeps the schedule), when it stops on
//! a signal, and at its end.

use crate::ProtocolError;
use cortexsim_core::state::Hasher;
use cortexsim_engine::Simulation;
use cortexsim_models::load::load_table;
use cortexsim_spec::{Network, overrides, parse_toml};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the program that wrote a checkpoint calls itself.
const GENERATOR: &str = concat!("cortexsim ", env!("CARGO_PKG_VERSION"));

/// Where a checkpointed run's spikes are, and how far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputMark {
    /// The spike file (absolute).
    pub path: PathBuf,
    /// The temporary file it is written to while the run lives (absolute): a run killed
    /// after a checkpoint leaves its spikes there.
    pub partial: PathBuf,
    /// Per population: `None` if its spikes are not written, else (spikes written, hash
    /// of them as 16 hex digits, `cortexsim_io::sonata::spike_hash`).
    pub spikes: Vec<Option<(u64, String)>>,
}

impl OutputMark {
    /// The marks as the spike writer takes them.
    pub fn marks(&self) -> Result<Vec<Option<(u64, u64)>>, ProtocolError> {
        self.spikes
            .iter()
            .map(|m| {
                m.as_ref()
                    .map(|(n, h)| {
                        u64::from_str_radix(h, 16)
                            .map(|h| (*n, h))
                            .map_err(|_| invalid(format!("spike hash \"{h}\" is not hex")))
                    })
                    .transpose()
            })
            .collect()
    }
}

/// The header of a checkpoint file (module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The program that wrote it.
    pub generator: String,
    /// The network's name as the run showed it.
    pub network: String,
    /// The network's TOML table after the `--set` overrides.
    pub description: String,
    /// The data directory a data-driven generator was read from, if one was given.
    pub data: Option<PathBuf>,
    /// [`network_hash`] of the network as run, 16 hex digits.
    pub network_hash: String,
    pub seed: u64,
    pub dt_ms: f64,
    /// `t_stop` of the run that wrote the checkpoint.
    pub t_stop_ms: f64,
    /// The step reached (the next to compute) and its time.
    pub step: u64,
    pub t_ms: f64,
    /// Checkpoint interval of the run, ms (`None`: only at a stop and at the end).
    pub every_ms: Option<f64>,
    /// Why it was written: `periodic`, `interrupted` or `end`.
    pub reason: String,
    /// The spike file, if the run wrote one.
    pub output: Option<OutputMark>,
}

fn invalid(m: impl Into<String>) -> ProtocolError {
    ProtocolError::Invalid(m.into())
}

/// The hash that names a network: FNV-1a 64 of its JSON (`serde_json`), with
/// `simulation.threads` left out (results do not depend on it). Seed, sizes, parameters,
/// connectivity rules, stimuli, recorders and `t_stop` are in it.
pub fn network_hash(net: &Network) -> u64 {
    let mut v = serde_json::to_value(net).unwrap_or(serde_json::Value::Null);
    if let Some(s) = v.get_mut("simulation").and_then(|s| s.as_object_mut()) {
        s.remove("threads");
    }
    let mut h = Hasher::default();
    // Writing to a hasher cannot fail.
    let _ = h.write_all(v.to_string().as_bytes());
    h.finish()
}

fn hex(h: u64) -> String {
    format!("{h:016x}")
}

/// Stores one checkpoint: `(header JSON, state)`, the state written to the writer it is
/// given, e.g. by `cortexsim_io::checkpoint::CheckpointFile::write`.
pub type Store<'a> = dyn FnMut(&str, &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>) -> Result<(), String>
    + 'a;

/// What a run needs to know to write checkpoints, besides the simulation.
pub struct Checkpointer<'a> {
    /// Interval in steps (`None`: only at a stop and at the end).
    every: Option<u64>,
    header: Header,
    store: &'a mut Store<'a>,
    /// Times of the checkpoints written, ms.
    pub written: Vec<f64>,
}

impl<'a> Checkpointer<'a> {
    /// Checkpoints of `net` (loaded from `description`, the TOML table after overrides,
    /// with data directory `data`) every `every_ms` (if given), stored by `store(header,
    /// state)` (e.g. `cortexsim_io::checkpoint::CheckpointFile::write`). `output`: the
    /// spike file and its temporary file, if the run writes one.
    pub fn new(
        net: &Network,
        network: &str,
        description: &str,
        data: Option<&Path>,
        every_ms: Option<f64>,
        output: Option<(PathBuf, PathBuf)>,
        store: &'a mut Store<'a>,
    ) -> Result<Checkpointer<'a>, ProtocolError> {
        let dt = net.simulation.dt;
        let every = every_steps(every_ms, dt)?;
        let abs = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        Ok(Checkpointer {
            every,
            header: Header {
                generator: GENERATOR.into(),
                network: network.into(),
                description: description.into(),
                data: data.map(|d| abs(d.to_path_buf())),
                network_hash: hex(network_hash(net)),
                seed: net.simulation.seed,
                dt_ms: dt,
                t_stop_ms: net.simulation.t_stop,
                step: 0,
                t_ms: 0.0,
                every_ms,
                reason: String::new(),
                output: output.map(|(path, partial)| OutputMark {
                    path: abs(path),
                    partial: abs(partial),
                    spikes: Vec::new(),
                }),
            },
            store,
            written: Vec::new(),
        })
    }

    /// Steps until the next periodic checkpoint after step `t` (`None`: none).
    pub fn steps_to_next(&self, t: u64) -> Option<u64> {
        self.every.map(|e| e - t % e)
    }

    /// Write a checkpoint of `sim` now; `reason`: `periodic`, `interrupted` or `end`.
    /// The spike file is flushed first, so that it holds every spike up to now.
    pub fn write(&mut self, sim: &mut Simulation, reason: &str) -> Result<(), String> {
        let dt = sim.net.simulation.dt;
        if let Some(o) = &mut self.header.output {
            let marks = match sim.recording.sink.as_mut() {
                Some(s) => s.sync()?,
                None => Vec::new(),
            };
            if marks.len() != sim.net.populations.len() {
                return Err("the spike output cannot be continued from a checkpoint".into());
            }
            o.spikes = marks
                .into_iter()
                .map(|m| m.map(|(n, h)| (n, hex(h))))
                .collect();
        }
        self.header.step = sim.t;
        self.header.t_ms = sim.t as f64 * dt;
        self.header.reason = reason.into();
        let text = serde_json::to_string_pretty(&self.header).map_err(|e| e.to_string())?;
        (self.store)(&text, &mut |w| sim.save_state(w))?;
        self.written.push(self.header.t_ms);
        Ok(())
    }
}

/// `--checkpoint-every` in steps of `dt`: a positive whole number of steps (`None`:
/// no periodic checkpoints). Checked before a run builds anything.
pub fn every_steps(every_ms: Option<f64>, dt: f64) -> Result<Option<u64>, ProtocolError> {
    match every_ms {
        None => Ok(None),
        Some(e) if e.is_finite() && e > 0.0 => {
            let steps = (e / dt).round();
            if (steps * dt - e).abs() > 1e-9 * e.max(1.0) || steps < 1.0 {
                return Err(invalid(format!(
                    "--checkpoint-every: {e} ms is not a whole number of steps of dt = {dt} ms"
                )));
            }
            Ok(Some(steps as u64))
        }
        Some(e) => Err(invalid(format!(
            "--checkpoint-every: {e} ms is not a positive time"
        ))),
    }
}

/// Read a checkpoint's header.
pub fn parse_header(text: &str) -> Result<Header, ProtocolError> {
    serde_json::from_str(text)
        .map_err(|e| invalid(format!("the checkpoint's header cannot be read: {e}")))
}

/// `table` with `simulation.t_stop` set to `t_ms`, loaded as a spiking network.
fn load_at(table: &toml::Table, t_ms: f64, data: Option<&Path>) -> Result<Network, ProtocolError> {
    let mut t = table.clone();
    overrides::apply_all(&mut t, &[format!("simulation.t_stop={t_ms:?}")])?;
    match load_table(&t, data)? {
        cortexsim_models::Loaded::Spiking(n) => Ok(*n),
        cortexsim_models::Loaded::Rate(_) => Err(invalid(
            "the checkpoint describes a rate model; only spiking runs are checkpointed",
        )),
    }
}

/// Whether the network of `table` (a network file after its overrides, data from
/// `data`) is the one `h` was written by: equal [`network_hash`] at the checkpoint's
/// `t_stop`. Refused with both hashes otherwise.
pub fn check_network(
    h: &Header,
    table: &toml::Table,
    data: Option<&Path>,
    what: &str,
) -> Result<(), ProtocolError> {
    let net = load_at(table, h.t_stop_ms, data)?;
    let got = hex(network_hash(&net));
    if got != h.network_hash {
        return Err(invalid(format!(
            "{what} is not the network this checkpoint was written by ({}): network hash {got}, \
             the checkpoint's {} (seed {}); another network, other --set values or another seed",
            h.network, h.network_hash, h.seed
        )));
    }
    Ok(())
}

/// The network to continue `h` with, up to `t_stop` ms (default: the checkpoint's
/// `t_stop`): rebuilt from the description and checked against the hash
/// ([`check_network`]); data from `data`, else the checkpoint's data directory.
pub fn network(
    h: &Header,
    t_stop: Option<f64>,
    data: Option<&Path>,
) -> Result<Network, ProtocolError> {
    let table = parse_toml(&h.description, "the checkpoint's network description")?;
    let data = data.or(h.data.as_deref());
    check_network(
        h,
        &table,
        data,
        "the network rebuilt from the checkpoint's description",
    )
    .map_err(|e| e.context("the data it was generated from may have changed"))?;
    let t_stop = t_stop.unwrap_or(h.t_stop_ms);
    if !(t_stop.is_finite() && t_stop >= h.t_ms) {
        return Err(invalid(format!(
            "--t-stop: {t_stop} ms is before the checkpoint's time, {} ms",
            h.t_ms
        )));
    }
    load_at(&table, t_stop, data)
}

/// Read the checkpoint's state into `sim`, built from [`network`]; its step must be
/// the header's.
pub fn restore(sim: &mut Simulation, h: &Header, state: &[u8]) -> Result<(), ProtocolError> {
    sim.load_state(&mut &state[..]).map_err(|e| {
        invalid(format!(
            "the checkpoint's state does not fit the network: {e}"
        ))
    })?;
    if sim.t != h.step {
        return Err(invalid(format!(
            "the checkpoint's state is at step {}, its header says {}",
            sim.t, h.step
        )));
    }
    Ok(())
}
