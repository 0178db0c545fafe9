//! `mpirun -np R cortexsim run … --threads T` writes the file a single process writes
//! (issue 13): every spike dataset, the binned rates and the sampled potentials equal,
//! bit for bit, and the summary's population statistics too, for R = 1, 2, 3 and T = 1, 2,
//! on Brunel, the microcircuit at small scale and a network with per-synapse delays.
//! Built only with `--features mpi`; needs `mpirun` (OpenMPI: run as root through
//! `OMPI_ALLOW_RUN_AS_ROOT`, more ranks than cores through `--oversubscribe`).
//! `scripts/test_mpi.sh` builds and runs it; CI runs that script.

use crate::common;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `mpirun` and its arguments for `ranks` processes (`$MPIRUN` overrides the launcher,
/// e.g. `mpirun.mpich`).
fn mpirun(ranks: usize) -> Command {
    let launcher = std::env::var("MPIRUN").unwrap_or_else(|_| "mpirun".into());
    let mut c = Command::new(launcher);
    if !std::env::var("MPIRUN").is_ok_and(|m| m.contains("mpich")) {
        c.args(["--oversubscribe", "--bind-to", "none"])
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    }
    c.args(["-np", &ranks.to_string(), env!("CARGO_BIN_EXE_cortexsim")]);
    c
}

fn ok(out: Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: summary is not JSON ({e})"))
}

/// Every dataset of the file's `/spikes`, `/rates` and `/v_m` groups, by path, as bits.
fn datasets(path: &Path) -> Vec<(String, Vec<u64>)> {
    let f = hdf5::File::open(path).unwrap();
    let mut out = Vec::new();
    for top in ["spikes", "rates", "v_m"] {
        let Ok(g) = f.group(top) else { continue };
        for name in g.member_names().unwrap() {
            let p = format!("{top}/{name}");
            if let Ok(d) = f.dataset(&p) {
                out.push((p, read_bits(&d)));
                continue;
            }
            let sub = f.group(&p).unwrap();
            for m in sub.member_names().unwrap() {
                let d = sub.dataset(&m).unwrap();
                out.push((format!("{p}/{m}"), read_bits(&d)));
            }
        }
    }
    assert!(!out.is_empty(), "{}: no datasets", path.display());
    out
}

fn read_bits(d: &hdf5::Dataset) -> Vec<u64> {
    if d.dtype().unwrap().is::<f64>() {
        d.read_raw::<f64>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect()
    } else {
        d.read_raw::<u64>().unwrap()
    }
}

/// The single process's file and summary, then every (ranks, threads) against it.
fn check(what: &str, network: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let run_args = |out: &PathBuf, threads: usize| -> Vec<String> {
        let mut a: Vec<String> = vec!["run".into(), network.into()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a.extend([
            "--threads".into(),
            threads.to_string(),
            "--json".into(),
            "--out".into(),
            out.display().to_string(),
        ]);
        a
    };
    let reference = dir.path().join("single.h5");
    let single = ok(
        Command::new(env!("CARGO_BIN_EXE_cortexsim"))
            .args(run_args(&reference, 1))
            .output()
            .unwrap(),
        what,
    );
    assert!(single.get("ranks").is_none(), "{what}: not under mpirun");
    let want = datasets(&reference);
    let spikes: u64 = single["spikes_written"].as_u64().unwrap();
    assert!(spikes > 500, "{what}: too few spikes ({spikes})");
    for ranks in [1, 2, 3] {
        for threads in [1, 2] {
            let case = format!("{what}: {ranks} processes × {threads} threads");
            let out = dir.path().join(format!("r{ranks}t{threads}.h5"));
            let s = ok(
                mpirun(ranks)
                    .args(run_args(&out, threads))
                    .output()
                    .unwrap(),
                &case,
            );
            // Not R independent single processes (a launcher of another MPI library).
            assert_eq!(s["ranks"], ranks, "{case}: ranks");
            assert_eq!(s["populations"], single["populations"], "{case}: summary");
            assert_eq!(s["synapses"], single["synapses"], "{case}: synapses");
            let got = datasets(&out);
            assert_eq!(got.len(), want.len(), "{case}: datasets");
            for ((p, a), (q, b)) in got.iter().zip(&want) {
                assert_eq!(p, q, "{case}");
                assert!(a == b, "{case}: {p} differs");
            }
            assert!(s["exchange"]["bytes_per_slice"].as_f64().unwrap() > 0.0);
        }
    }
}

#[test]
fn mpi_brunel_equals_one_process() {
    check(
        "brunel2000",
        &common::network("brunel2000.toml"),
        &["--t-stop", "100"],
    );
}

#[test]
fn mpi_microcircuit_equals_one_process() {
    check(
        "microcircuit",
        &common::network("potjans_diesmann2014.toml"),
        &["--set", "simulation.scale=0.02", "--t-stop", "100"],
    );
}

#[test]
fn mpi_per_synapse_delays_equal_one_process() {
    let net = common::manifest().join("tests/data/mpi/delays.toml");
    check("per-synapse delays", &net.display().to_string(), &[]);
}

/// A refusal every process reaches is printed once, by process 0 (before any process
/// exits, so the launcher's abort cannot swallow it), with the invalid-input code.
#[test]
fn mpi_refusal_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.mtx");
    let out = mpirun(3)
        .args([
            "run",
            &common::network("brunel2000.toml"),
            "--t-stop",
            "10",
            "--no-output",
            "--connectivity",
            &c.display().to_string(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // The invalid-input code, as one process gives it.
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(
        err.matches("--connectivity: not available").count(),
        1,
        "{err}"
    );
}
