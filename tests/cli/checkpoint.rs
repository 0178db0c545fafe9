//! Checkpoint and resume through the binary (issue 13, item 4; docs/RELIABILITY.md,
//! "Checkpoints"): a run stopped at t1 and resumed to t2 on another thread count writes
//! the spikes of one run to t2, bit for bit — stopped by `--t-stop`, by SIGTERM, or killed
//! after a periodic checkpoint — and a checkpoint of another network, a truncated or
//! damaged file and a newer format are refused (exit 3) without touching anything.

use crate::common;
use cortexsim::io::checkpoint;
use cortexsim::protocols::checkpoint::parse_header;
use hdf5::types::VarLenUnicode;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Two populations of two models, per-synapse delays (event lists), a step current
/// that is on at t1 = 30 ms, a spike train with a spike after t1, rates and potentials.
const NET: &str = r#"
[simulation]
dt = 0.1
t_stop = 80.0
seed = 3

[[populations]]
name = "E"
size = 160
model = "iaf_psc_exp"
v_init = { distribution = "uniform", low = -70.0, high = -55.0 }

[[populations]]
name = "I"
size = 40
model = "iaf_psc_alpha"

[[projections]]
source = "E"
target = "E"
rule = "pairwise_bernoulli"
p = 0.1
weight = { distribution = "normal", mean = 60.0, std = 20.0 }
delay = { distribution = "uniform", low = 1.0, high = 3.0 }

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 20
weight = 60.0
delay = 1.5

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = -200.0
delay = 1.0
receptor = "in"

[[stimuli]]
kind = "poisson"
target = "E"
rate = 8.0
indegree = 1500
weight = 60.0

[[stimuli]]
kind = "step"
target = "I"
amplitude_times = [10.0, 40.0]
amplitude_values = [300.0, 0.0]

[[stimuli]]
kind = "spike_train"
target = "I"
spike_times = [5.0, 25.0, 55.0]
weight = 500.0

[recorders]
rate_bin = 2.0
v_m = [{ population = "E", n = 5, interval = 0.5 }]
"#;

fn bin(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn refused(o: &Output, wanted: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains(wanted), "expected \"{wanted}\" in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn str_attr(f: &hdf5::File, name: &str) -> String {
    let v: VarLenUnicode = f.attr(name).unwrap().read_scalar().unwrap();
    v.as_str().to_string()
}

/// Every dataset of `a` and `b` that holds spikes, rates or potentials, bit for bit.
fn same_output(a: &Path, b: &Path, pops: &[&str], rates_and_vm: bool) {
    let (fa, fb) = (hdf5::File::open(a).unwrap(), hdf5::File::open(b).unwrap());
    let bits = |f: &hdf5::File, d: &str| -> Vec<u64> {
        f.dataset(d)
            .unwrap_or_else(|_| panic!("no {d}"))
            .read_raw::<f64>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect()
    };
    let mut n = 0;
    for p in pops {
        let ts = format!("spikes/{p}/timestamps");
        let ids = format!("spikes/{p}/node_ids");
        let (ta, tb) = (bits(&fa, &ts), bits(&fb, &ts));
        assert!(ta.len() > 10, "{p}: too few spikes to compare");
        assert!(
            ta == tb,
            "{p}: timestamps differ ({} vs {})",
            ta.len(),
            tb.len()
        );
        let ia: Vec<u64> = fa.dataset(&ids).unwrap().read_raw().unwrap();
        let ib: Vec<u64> = fb.dataset(&ids).unwrap().read_raw().unwrap();
        assert!(ia == ib, "{p}: node_ids differ");
        n += ta.len();
        if rates_and_vm {
            let r = format!("rates/{p}");
            assert!(bits(&fa, &r) == bits(&fb, &r), "{p}: rates differ");
        }
    }
    if rates_and_vm && fa.link_exists("v_m") {
        assert!(bits(&fa, "v_m/E/data") == bits(&fb, "v_m/E/data"));
    }
    assert_eq!(str_attr(&fb, "status"), "complete");
    assert!(n > 100);
}

#[test]
fn stopped_at_t1_and_resumed_to_t2_on_other_threads_equals_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("net.toml"), NET).unwrap();
    let whole = ok(&bin(
        &[
            "run",
            "net.toml",
            "--threads",
            "1",
            "--out",
            "whole.h5",
            "--json",
        ],
        d,
    ));
    let first = ok(&bin(
        &[
            "run",
            "net.toml",
            "--t-stop",
            "30",
            "--threads",
            "1",
            "--out",
            "run.h5",
            "--checkpoint",
            "c.ckpt",
            "--json",
        ],
        d,
    ));
    assert_eq!(first["checkpoint"]["written_ms"], serde_json::json!([30.0]));
    let h = parse_header(&checkpoint::read(&d.join("c.ckpt")).unwrap().header).unwrap();
    assert_eq!((h.step, h.t_ms, h.reason.as_str()), (300, 30.0, "end"));
    // The network file is not needed: the checkpoint holds its description.
    std::fs::rename(d.join("net.toml"), d.join("moved.toml")).unwrap();
    let resumed = ok(&bin(
        &[
            "resume",
            "c.ckpt",
            "--t-stop",
            "80",
            "--threads",
            "2",
            "--json",
        ],
        d,
    ));
    assert_eq!(resumed["resumed_from_ms"], 30.0);
    assert_eq!(resumed["threads"], 2);
    assert_eq!(
        resumed["populations"], whole["populations"],
        "whole-run statistics"
    );
    same_output(&d.join("whole.h5"), &d.join("run.h5"), &["E", "I"], true);
    // The checkpoint now says 80 ms; resuming it with --network checks the network.
    let again = ok(&bin(
        &[
            "resume",
            "c.ckpt",
            "--t-stop",
            "100",
            "--threads",
            "3",
            "--network",
            "moved.toml",
            "--json",
        ],
        d,
    ));
    assert_eq!(again["resumed_from_ms"], 80.0);
    ok(&bin(
        &[
            "run",
            "moved.toml",
            "--t-stop",
            "100",
            "--out",
            "w100.h5",
            "--json",
        ],
        d,
    ));
    same_output(&d.join("w100.h5"), &d.join("run.h5"), &["E", "I"], true);
    let names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("partial") || n.ends_with(".lock"))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn checkpoints_of_other_networks_damaged_or_newer_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("net.toml"), NET).unwrap();
    ok(&bin(
        &[
            "run",
            "net.toml",
            "--t-stop",
            "20",
            "--threads",
            "1",
            "--out",
            "run.h5",
            "--checkpoint",
            "c.ckpt",
            "--json",
        ],
        d,
    ));
    let good = std::fs::read(d.join("c.ckpt")).unwrap();
    let out_before = std::fs::read(d.join("run.h5")).unwrap();
    // Another network, another seed: the hash names the difference.
    std::fs::write(
        d.join("other.toml"),
        NET.replace("size = 160", "size = 161"),
    )
    .unwrap();
    let o = bin(&["resume", "c.ckpt", "--network", "other.toml"], d);
    refused(&o, "is not the network this checkpoint was written by");
    let o = bin(
        &[
            "resume",
            "c.ckpt",
            "--network",
            "net.toml",
            "--set",
            "simulation.seed=4",
        ],
        d,
    );
    refused(&o, "network hash");
    // The same network with the same overrides is accepted (t_stop does not matter).
    ok(&bin(
        &[
            "resume",
            "c.ckpt",
            "--network",
            "net.toml",
            "--set",
            "simulation.t_stop=5",
            "--no-output",
            "--t-stop",
            "20",
            "--json",
        ],
        d,
    ));
    std::fs::write(d.join("c.ckpt"), &good).unwrap();
    // Continuing into another existing file needs --overwrite.
    std::fs::write(d.join("other.h5"), b"keep").unwrap();
    refused(
        &bin(&["resume", "c.ckpt", "--out", "other.h5"], d),
        "exists; pass --overwrite",
    );
    assert_eq!(std::fs::read(d.join("other.h5")).unwrap(), b"keep");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.ckpt",
            good[..good.len() - 100].to_vec(),
            "truncated",
        ),
        ("cut_header.ckpt", good[..20].to_vec(), "truncated"),
        (
            "flipped.ckpt",
            {
                let mut b = good.clone();
                let i = b.len() * 2 / 3;
                b[i] ^= 0x10;
                b
            },
            "checksum does not match",
        ),
        (
            "future.ckpt",
            {
                let mut b = good.clone();
                b[8..12].copy_from_slice(&(checkpoint::VERSION + 1).to_le_bytes());
                b
            },
            "newer than this cortexsim",
        ),
        ("empty.ckpt", vec![], "not a cortexsim checkpoint"),
        (
            "net.toml",
            NET.as_bytes().to_vec(),
            "not a cortexsim checkpoint",
        ),
    ];
    for (name, bytes, wanted) in &cases {
        std::fs::write(d.join(name), bytes).unwrap();
        refused(&bin(&["resume", name], d), wanted);
        assert_eq!(
            &std::fs::read(d.join(name)).unwrap(),
            bytes,
            "{name} untouched"
        );
    }
    refused(&bin(&["resume", "missing.ckpt"], d), "does not exist");
    // A resume to before the checkpoint, and a spike file that is not the run's.
    refused(
        &bin(&["resume", "c.ckpt", "--t-stop", "10"], d),
        "before the checkpoint",
    );
    assert_eq!(
        std::fs::read(d.join("run.h5")).unwrap(),
        out_before,
        "run.h5 untouched"
    );
    ok(&bin(
        &[
            "run",
            "net.toml",
            "--t-stop",
            "40",
            "--seed",
            "9",
            "--out",
            "run.h5",
            "--overwrite",
            "--json",
        ],
        d,
    ));
    let swapped = std::fs::read(d.join("run.h5")).unwrap();
    refused(
        &bin(&["resume", "c.ckpt"], d),
        "are not those of the checkpoint",
    );
    assert_eq!(std::fs::read(d.join("run.h5")).unwrap(), swapped);
    assert_eq!(
        std::fs::read(d.join("c.ckpt")).unwrap(),
        good,
        "checkpoint untouched"
    );
    // `run --checkpoint` does not replace an existing checkpoint without --overwrite.
    let o = bin(
        &[
            "run",
            "net.toml",
            "--t-stop",
            "20",
            "--no-output",
            "--checkpoint",
            "c.ckpt",
        ],
        d,
    );
    refused(&o, "exists; pass --overwrite");
    refused(
        &bin(
            &[
                "run",
                "net.toml",
                "--checkpoint",
                "x.ckpt",
                "--checkpoint-every",
                "0.05",
                "--no-output",
            ],
            d,
        ),
        "--checkpoint-every",
    );
}

/// Brunel's network at 2,500 neurons (about 10 simulated s per wall s) with a time
/// far away, `args` appended.
fn brunel_run(args: &[&str], dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "run",
            &common::network("brunel2000.toml"),
            "--t-stop",
            "1000000",
        ])
        .args([
            "--set",
            "populations.E.size=2000",
            "--set",
            "populations.I.size=500",
        ])
        .args([
            "--threads",
            "1",
            "--json",
            "--out",
            "run.h5",
            "--checkpoint",
            "c.ckpt",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(path: &Path, child: &mut std::process::Child) {
    let t0 = Instant::now();
    while !path.exists() {
        if let Ok(Some(s)) = child.try_wait() {
            panic!("the run ended ({s}) before {} appeared", path.display());
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{} did not appear",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The uninterrupted run of the same network to `t2` ms, compared with `run.h5`.
fn compare_with_one_run(d: &Path, t2: &str) {
    let one = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(["run", &common::network("brunel2000.toml"), "--t-stop", t2])
        .args([
            "--set",
            "populations.E.size=2000",
            "--set",
            "populations.I.size=500",
        ])
        .args(["--threads", "2", "--json", "--out", "one.h5"])
        .current_dir(d)
        .output()
        .unwrap();
    ok(&one);
    same_output(&d.join("one.h5"), &d.join("run.h5"), &["E", "I"], true);
}

#[test]
fn sigterm_writes_a_checkpoint_and_the_resumed_run_equals_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut child = brunel_run(&[], d);
    wait_for(
        &cortexsim::io::output::partial_path(&d.join("run.h5"), child.id()),
        &mut child,
    );
    std::thread::sleep(Duration::from_millis(400));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(err.contains("cortexsim resume c.ckpt"), "{err}");
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t1 = s["t_stop_ms"].as_f64().unwrap();
    let h = parse_header(&checkpoint::read(&d.join("c.ckpt")).unwrap().header).unwrap();
    assert_eq!((h.t_ms, h.reason.as_str()), (t1, "interrupted"));
    // Resume for 300 ms more on 2 threads (the first run had 1).
    let t2 = format!("{:.1}", t1 + 300.0);
    let r = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "resume",
            "c.ckpt",
            "--t-stop",
            &t2,
            "--threads",
            "2",
            "--json",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    let r = ok(&r);
    assert_eq!(r["resumed_from_ms"], t1);
    compare_with_one_run(d, &t2);
}

#[test]
fn a_run_killed_after_a_periodic_checkpoint_resumes_from_its_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut child = brunel_run(&["--checkpoint-every", "500"], d);
    let pid = child.id();
    wait_for(&d.join("c.ckpt"), &mut child);
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL: no orderly stop
    child.wait().unwrap();
    let partial = cortexsim::io::output::partial_path(&d.join("run.h5"), pid);
    assert!(partial.exists() && !d.join("run.h5").exists());
    let h = parse_header(&checkpoint::read(&d.join("c.ckpt")).unwrap().header).unwrap();
    assert_eq!(h.reason, "periodic");
    assert!(h.t_ms > 0.0 && h.t_ms % 500.0 == 0.0, "{}", h.t_ms);
    // The temporary file holds spikes beyond the checkpoint: they are cut off.
    let t2 = format!("{:.1}", h.t_ms + 300.0);
    let r = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "resume",
            "c.ckpt",
            "--t-stop",
            &t2,
            "--threads",
            "2",
            "--json",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    let r = ok(&r);
    assert_eq!(r["resumed_from_ms"], h.t_ms);
    assert!(
        !partial.exists(),
        "the killed run's temporary file was continued and removed"
    );
    compare_with_one_run(d, &t2);
}
