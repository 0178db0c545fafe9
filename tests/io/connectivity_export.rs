//! Matrix Market export of the built connectivity (`run --connectivity`): every synapse
//! once, [target, source] over global ids, weights and delays as drawn.

use crate::common;
use std::process::Command;

fn read_mtx(path: &std::path::Path) -> (usize, usize, Vec<(usize, usize, f64)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('%'));
    let head: Vec<usize> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let entries: Vec<(usize, usize, f64)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(entries.len(), head[2], "nnz line vs entries");
    (head[0], head[1], entries)
}

#[test]
fn exported_connectivity_matches_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let mtx = dir.path().join("c.mtx");
    let net = common::manifest().join("networks/brunel2000.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "run",
            net.to_str().unwrap(),
            "--no-output",
            "--json",
            "--t-stop",
            "1",
            "--connectivity",
            mtx.to_str().unwrap(),
        ])
        .args([
            "--set",
            "populations.E.size=400",
            "--set",
            "populations.I.size=100",
        ])
        .args([
            "--set",
            "projections.0.indegree=40",
            "--set",
            "projections.1.indegree=40",
        ])
        .args([
            "--set",
            "projections.2.indegree=10",
            "--set",
            "projections.3.indegree=10",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (rows, cols, w) = read_mtx(&mtx);
    assert_eq!((rows, cols), (500, 500));
    // Both files warn that converting mmread's result sums multapses (issue 10).
    for f in [&mtx, &dir.path().join("c.delays.mtx")] {
        let head = std::fs::read_to_string(f).unwrap();
        assert!(head.starts_with("%%MatrixMarket matrix coordinate real general\n"));
        assert!(head.contains("SUM them"), "{}", f.display());
    }

    assert_eq!(w.len() as u64, j["synapses"].as_u64().unwrap());
    // In-degree per target: 40 from E (sources 1..=400, 1-based), 10 from I; weights by source.
    let mut indeg = vec![(0u32, 0u32); 501];
    for &(t, s, x) in &w {
        if s <= 400 {
            indeg[t].0 += 1;
            assert_eq!(x, 0.1);
        } else {
            indeg[t].1 += 1;
            assert_eq!(x, -0.5);
        }
    }
    assert!(indeg[1..].iter().all(|&d| d == (40, 10)), "in-degrees");
    let (_, _, d) = read_mtx(&mtx.with_file_name("c.delays.mtx"));
    assert_eq!(d.len(), w.len());
    assert!(d.iter().all(|&(_, _, x)| (x - 1.5).abs() < 1e-12));
    // Existing files are refused without --overwrite, and left untouched.
    let before = std::fs::read(&mtx).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "run",
            net.to_str().unwrap(),
            "--no-output",
            "--t-stop",
            "1",
            "--connectivity",
            mtx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(std::fs::read(&mtx).unwrap(), before);
}

/// The export is streamed (issue 10: the in-memory triplets took 48 bytes per synapse, 14
/// times a run's estimate): 625,000 synapses (30 MB of triplets) stay within the run's
/// own estimate plus 8 MiB.
#[test]
fn export_is_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let mtx = dir.path().join("big.mtx");
    let net = common::manifest().join("networks/brunel2000.toml");
    let mut args: Vec<String> = [
        "run",
        net.to_str().unwrap(),
        "--no-output",
        "--json",
        "--t-stop",
        "1",
        "--connectivity",
        mtx.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    for s in [
        "populations.E.size=2000",
        "populations.I.size=500",
        "projections.0.indegree=200",
        "projections.1.indegree=200",
        "projections.2.indegree=50",
        "projections.3.indegree=50",
    ] {
        args.extend(["--set".to_string(), s.to_string()]);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["synapses"].as_u64(), Some(625_000));
    let (est, peak) = (
        j["memory_bytes"]["estimate"].as_u64().unwrap(),
        j["memory_bytes"]["peak_rss"].as_u64().unwrap(),
    );
    assert!(
        peak < est + (8 << 20),
        "peak {peak} vs estimate {est}: the export holds memory"
    );
}
