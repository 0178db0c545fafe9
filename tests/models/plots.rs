//! Plots of the 29-area model: pulse traces ordered by hierarchy and timescale bars.
//! The PNGs are left in `CARGO_TARGET_TMPDIR` for inspection.
#![cfg(feature = "plots")]
use crate::common::data_dir;
use cortexsim::models;
use cortexsim::plot;
use cortexsim::rate::{self, analysis};
use std::path::Path;

/// Width and height from a PNG header.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |k: usize| u32::from_be_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]);
    (be(16), be(20))
}

#[test]
fn traces_and_timescales_are_drawn() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("networks");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let f = models::load_rate_path(
        &root.join("joglekar2018_rate_strong.toml"),
        Some(&data_dir()),
    )
    .unwrap()
    .unwrap();
    let run = rate::run(&f.net, &f.sim.run_opts()).unwrap();
    let order = f.e_pops_by_hierarchy().unwrap();
    assert_eq!(order.first().map(String::as_str), Some("V1.E"));
    assert_eq!(order.last().map(String::as_str), Some("24c.E"));
    let pops: Vec<&str> = order.iter().map(String::as_str).collect();
    let traces = out_dir.join("joglekar_strong_traces.png");
    plot::plot_traces(&run, &pops, 400.0, &traces).unwrap();
    assert_eq!(png_size(&traces), (900, 60 + 60 * 29 + 40));

    let c = models::load_rate_path(&root.join("chaudhuri2015.toml"), Some(&data_dir()))
        .unwrap()
        .unwrap();
    let opts = analysis::ImpulseOpts {
        t_max_ms: 12_000.0,
        ..Default::default()
    };
    let ts = analysis::impulse_timescales(&c.net, "V1.E", &pops, &opts).unwrap();
    let bars = out_dir.join("chaudhuri_timescales.png");
    plot::plot_timescales(&ts, c.hierarchy.as_ref().unwrap(), &bars).unwrap();
    assert_eq!(png_size(&bars), (1000, 560));

    assert!(plot::plot_traces(&run, &["nope"], 0.0, &traces).is_err());
    assert!(plot::plot_timescales(&[], c.hierarchy.as_ref().unwrap(), &bars).is_err());
}
