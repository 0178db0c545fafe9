//! Bad-input matrix (RELIABILITY.md §5, F4): every row is a malformed network or
//! argument, run through the real binary. Each row must
//! * exit with its expected code (2 clap usage, 3 invalid input, 4 runtime/output,
//!   5 memory) — never 0, never 101 (a panic);
//! * print no "panicked" on stderr;
//! * name the offending key path (e.g. `populations[E].params.tau_m`) and, where it
//!   makes sense, the offending value.
//!
//! Rows built from the base network by a text substitution check that the substituted
//! text occurs exactly once in the base, so a row can never silently test the base
//! network. The base network itself must run cleanly (exit 0), which keeps the matrix
//! honest: every failure below is caused by its mutation.

use std::path::{Path, PathBuf};
use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_cortexsim");

/// A tiny valid network: two populations (delta and exp models), two projections,
/// one Poisson stimulus, 10 ms. Every value that rows replace is unique in the text.
const BASE: &str = r#"
description = "bad-input base network"

[simulation]
dt = 0.1
t_stop = 10.0
seed = 1

[[populations]]
name = "E"
size = 4
model = "iaf_psc_delta"
params = { C_m = 1.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }

[[populations]]
name = "I"
size = 3
model = "iaf_psc_exp"
params = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 2
weight = 0.1
delay = 1.5

[[projections]]
source = "I"
target = "E"
rule = "pairwise_bernoulli"
p = 0.5
weight = -0.5
delay = 1.0

[[stimuli]]
kind = "poisson"
target = "E"
rate = 1000.0
weight = 0.2
"#;

/// A small hand-written rate model (two populations), for the rate-file rows.
const RATE_BASE: &str = r#"
[[rate_populations]]
name = "E"
tau = 20.0
transfer = { kind = "threshold_linear", gain = 1.0, threshold = 0.0 }
r0 = 1.0

[[rate_populations]]
name = "I"
tau = 10.0
transfer = { kind = "threshold_linear", gain = 1.0, threshold = 0.0 }

[[rate_projections]]
source = "E"
target = "I"
weight = 0.5

[simulation]
dt = 0.1
t_stop = 100.0
seed = 1
"#;

/// The model line of population `I` (rows swap in other models).
const I_MODEL: &str = "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }";

/// The base network with one or more substitutions; each `from` must occur exactly once.
fn mutate(subs: &[(&str, &str)]) -> String {
    let mut s = BASE.to_string();
    for (from, to) in subs {
        let n = s.matches(from).count();
        assert_eq!(
            n, 1,
            "test bug: substitution source {from:?} occurs {n} times in the network (must be exactly once)"
        );
        s = s.replacen(from, to, 1);
    }
    s
}

/// What a row feeds the binary.
enum Input {
    /// Network text, written to `net.toml` in the row's temp dir.
    Text(String),
    /// No network file is written; the path `net.toml` is passed anyway.
    Missing,
}

struct Row {
    name: &'static str,
    input: Input,
    /// Arguments; `{net}` is replaced by the network path, `{dir}` by the temp dir.
    args: Vec<String>,
    code: i32,
    /// Substrings that stderr must contain (the key path first, then values).
    contains: Vec<String>,
}

fn run_args(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["run".into(), "{net}".into(), "--no-output".into()];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn inspect_args() -> Vec<String> {
    vec!["inspect".into(), "{net}".into()]
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Row on the `run --no-output` path from a mutated network.
fn net_row(name: &'static str, subs: &[(&str, &str)], code: i32, contains: &[&str]) -> Row {
    Row {
        name,
        input: Input::Text(mutate(subs)),
        args: run_args(&[]),
        code,
        contains: strs(contains),
    }
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn exec(args: &[String], dir: &Path, net: &Path) -> Outcome {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("{net}", &net.display().to_string())
                .replace("{dir}", &dir.display().to_string())
        })
        .collect();
    let out = Command::new(EXE)
        .args(&args)
        // Run inside the temp dir so a row that forgot --no-output cannot write into the repo.
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap_or_else(|e| panic!("cannot start {EXE}: {e}"));
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run one row; returns a description of every violated expectation.
fn check_row(row: &Row) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = dir.path().join("net.toml");
    if let Input::Text(t) = &row.input {
        std::fs::write(&net, t).expect("write network");
    }
    let o = exec(&row.args, dir.path(), &net);
    let mut bad = Vec::new();
    let all = format!("{}{}", o.stderr, o.stdout);
    if o.code != Some(row.code) {
        bad.push(format!("exit code {:?}, expected {}", o.code, row.code));
    }
    if all.contains("panicked") || o.code == Some(101) {
        bad.push("the binary panicked".into());
    }
    for c in &row.contains {
        if !o.stderr.contains(c.as_str()) {
            bad.push(format!("stderr lacks {c:?}"));
        }
    }
    if !bad.is_empty() {
        bad.insert(
            0,
            format!(
                "row `{}` (args {:?}):\n    stderr: {}\n    stdout: {}",
                row.name,
                row.args,
                o.stderr.trim(),
                o.stdout.trim()
            ),
        );
    }
    bad
}

fn rows() -> Vec<Row> {
    const INV: i32 = 3;
    let mut r = vec![
        // --- Neuron parameters -------------------------------------------------------
        net_row(
            "tau_m negative",
            &[("tau_m = 20.0", "tau_m = -20.0")],
            INV,
            &["populations[E].params.tau_m", "-20"],
        ),
        net_row(
            "tau_m zero",
            &[("tau_m = 20.0", "tau_m = 0.0")],
            INV,
            &["populations[E].params.tau_m", "got 0"],
        ),
        net_row(
            "tau_m NaN",
            &[("tau_m = 20.0", "tau_m = nan")],
            INV,
            &["populations[E].params.tau_m", "NaN"],
        ),
        net_row(
            "tau_m inf",
            &[("tau_m = 20.0", "tau_m = inf")],
            INV,
            &["populations[E].params.tau_m", "inf"],
        ),
        net_row(
            "tau_syn_ex negative",
            &[("tau_syn_ex = 2.0", "tau_syn_ex = -2.0")],
            INV,
            &["populations[I].params.tau_syn_ex", "-2"],
        ),
        net_row(
            "tau_syn_ex zero",
            &[("tau_syn_ex = 2.0", "tau_syn_ex = 0.0")],
            INV,
            &["populations[I].params.tau_syn_ex", "got 0"],
        ),
        net_row(
            "tau_syn_in NaN",
            &[("tau_syn_in = 3.0", "tau_syn_in = nan")],
            INV,
            &["populations[I].params.tau_syn_in", "NaN"],
        ),
        net_row(
            "C_m negative",
            &[("C_m = 1.0", "C_m = -1.0")],
            INV,
            &["populations[E].params.C_m", "-1"],
        ),
        net_row(
            "C_m zero",
            &[("C_m = 250.0", "C_m = 0.0")],
            INV,
            &["populations[I].params.C_m", "got 0"],
        ),
        net_row(
            "C_m inf",
            &[("C_m = 1.0", "C_m = inf")],
            INV,
            &["populations[E].params.C_m", "inf"],
        ),
        net_row(
            "t_ref negative",
            &[("t_ref = 2.0", "t_ref = -0.5")],
            INV,
            &["populations[E].params.t_ref", "-0.5"],
        ),
        net_row(
            "V_reset equal to V_th",
            &[("V_reset = 0.0", "V_reset = 20.0")],
            INV,
            &["populations[E].params.V_reset", "20"],
        ),
        net_row(
            "V_reset above V_th",
            &[("V_reset = 0.0", "V_reset = 25.0")],
            INV,
            &["populations[E].params.V_reset", "25"],
        ),
        net_row(
            "misspelled key tau_mm",
            &[("tau_m = 20.0", "tau_mm = 20.0")],
            INV,
            &["populations[E].params.tau_mm", "did you mean `tau_m`"],
        ),
        net_row(
            "unknown model iaf_psc_delt",
            &[("model = \"iaf_psc_delta\"", "model = \"iaf_psc_delt\"")],
            INV,
            &[
                "populations[E].model",
                "iaf_psc_delt",
                "did you mean \"iaf_psc_delta\"",
            ],
        ),
        net_row(
            "size of wrong type",
            &[("size = 4", "size = \"many\"")],
            INV,
            &["populations[E].size", "many"],
        ),
        net_row(
            "size negative",
            &[("size = 4", "size = -4")],
            INV,
            &["populations[E].size", "-4"],
        ),
        net_row(
            "empty population",
            &[("size = 4", "size = 0")],
            INV,
            &["populations[E].size", "empty"],
        ),
        net_row(
            "duplicate population name",
            &[("name = \"I\"", "name = \"E\"")],
            INV,
            &["populations[E].name", "duplicate"],
        ),
        // --- Time step and run length -----------------------------------------------
        net_row(
            "dt zero",
            &[("dt = 0.1", "dt = 0.0")],
            INV,
            &["simulation.dt", "got 0"],
        ),
        net_row(
            "dt negative",
            &[("dt = 0.1", "dt = -0.1")],
            INV,
            &["simulation.dt", "-0.1"],
        ),
        net_row(
            "dt NaN",
            &[("dt = 0.1", "dt = nan")],
            INV,
            &["simulation.dt", "NaN"],
        ),
        net_row(
            "dt inf",
            &[("dt = 0.1", "dt = inf")],
            INV,
            &["simulation.dt", "inf"],
        ),
        net_row(
            "t_stop not a multiple of dt",
            &[("t_stop = 10.0", "t_stop = 10.05")],
            INV,
            &["simulation.t_stop", "10.05"],
        ),
        net_row(
            "t_stop negative",
            &[("t_stop = 10.0", "t_stop = -10.0")],
            INV,
            &["simulation.t_stop", "-10"],
        ),
        net_row(
            "seed negative",
            &[("seed = 1", "seed = -1")],
            INV,
            &["simulation.seed", "-1"],
        ),
        net_row(
            "partition_size zero",
            &[("seed = 1", "seed = 1\npartition_size = 0")],
            INV,
            &["simulation.partition_size", "0"],
        ),
        net_row(
            "unknown top-level section",
            &[("[simulation]", "[simulaton]")],
            INV,
            &["simulaton", "did you mean `simulation`"],
        ),
        net_row(
            "unknown simulation key",
            &[("seed = 1", "sed = 1")],
            INV,
            &["simulation.sed", "did you mean `seed`"],
        ),
        // --- Delays ------------------------------------------------------------------
        net_row(
            "delay below dt",
            &[("delay = 1.0", "delay = 0.05")],
            INV,
            &["projections[1].delay", "0.05"],
        ),
        net_row(
            "receptor the target model does not have",
            &[("delay = 1.5", "delay = 1.5\nreceptor = \"AMPA\"")],
            INV,
            &["projections[0].receptor", "\"AMPA\"", "\"ex\", \"in\""],
        ),
        // Conductance-based models: their own parameters, checked like the others.
        net_row(
            "iaf_cond_exp leak conductance negative",
            &[(
                I_MODEL,
                "model = \"iaf_cond_exp\"\nparams = { C_m = 250.0, g_L = -10.0 }",
            )],
            INV,
            &["populations[I].params.g_L", "-10"],
        ),
        net_row(
            "iaf_cond_exp has no tau_m (g_L sets it)",
            &[(
                I_MODEL,
                "model = \"iaf_cond_exp\"\nparams = { C_m = 250.0, tau_m = 10.0 }",
            )],
            INV,
            &["populations[I].params.tau_m"],
        ),
        net_row(
            "iaf_cond_alpha tau_syn_in zero",
            &[(
                I_MODEL,
                "model = \"iaf_cond_alpha\"\nparams = { tau_syn_in = 0.0 }",
            )],
            INV,
            &["populations[I].params.tau_syn_in", "got 0"],
        ),
        net_row(
            "iaf_cond_exp V_reset above V_th",
            &[(
                I_MODEL,
                "model = \"iaf_cond_exp\"\nparams = { V_reset = -50.0, V_th = -55.0 }",
            )],
            INV,
            &["populations[I].params.V_reset", "-50"],
        ),
        net_row(
            "iaf_bw_2001 NMDA decay not above its rise",
            &[
                (
                    I_MODEL,
                    "model = \"iaf_bw_2001\"\nparams = { tau_rise_NMDA = 5.0, tau_decay_NMDA = 4.0 }",
                ),
                ("delay = 1.5", "delay = 1.5\nreceptor = \"AMPA\""),
            ],
            INV,
            &["populations[I].params.tau_decay_NMDA", "4"],
        ),
        net_row(
            "iaf_bw_2001 alpha zero",
            &[
                (I_MODEL, "model = \"iaf_bw_2001\"\nparams = { alpha = 0.0 }"),
                ("delay = 1.5", "delay = 1.5\nreceptor = \"AMPA\""),
            ],
            INV,
            &["populations[I].params.alpha", "got 0"],
        ),
        net_row(
            "iaf_bw_2001 Mg2+ concentration negative",
            &[
                (
                    I_MODEL,
                    "model = \"iaf_bw_2001\"\nparams = { conc_Mg2 = -1.0 }",
                ),
                ("delay = 1.5", "delay = 1.5\nreceptor = \"AMPA\""),
            ],
            INV,
            &["populations[I].params.conc_Mg2", "-1"],
        ),
        net_row(
            "iaf_cond_exp integration tolerance zero",
            &[(
                I_MODEL,
                "model = \"iaf_cond_exp\"\nparams = { ode_tolerance = 0.0 }",
            )],
            INV,
            &["populations[I].params.ode_tolerance", "got 0"],
        ),
        net_row(
            "iaf_bw_2001 integration tolerance negative",
            &[
                (
                    I_MODEL,
                    "model = \"iaf_bw_2001\"\nparams = { ode_tolerance = -0.001 }",
                ),
                ("delay = 1.5", "delay = 1.5\nreceptor = \"AMPA\""),
            ],
            INV,
            &["populations[I].params.ode_tolerance", "-0.001"],
        ),
        net_row(
            "iaf_bw_2001 has no I_e",
            &[
                (I_MODEL, "model = \"iaf_bw_2001\"\nparams = { I_e = 100.0 }"),
                ("delay = 1.5", "delay = 1.5\nreceptor = \"AMPA\""),
            ],
            INV,
            &["populations[I].params.I_e"],
        ),
        net_row(
            "iaf_bw_2001 projection without receptor",
            &[(I_MODEL, "model = \"iaf_bw_2001\"")],
            INV,
            &[
                "projections[0].receptor",
                "is required",
                "\"AMPA\", \"GABA\", \"NMDA\"",
            ],
        ),
        net_row(
            "iaf_bw_2001 unknown receptor",
            &[
                (I_MODEL, "model = \"iaf_bw_2001\""),
                ("delay = 1.5", "delay = 1.5\nreceptor = \"NMDa\""),
            ],
            INV,
            &[
                "projections[0].receptor",
                "\"NMDa\"",
                "did you mean \"NMDA\"",
            ],
        ),
        // Poisson rate redrawn in time, and task epochs.
        net_row(
            "rate_sd without rate_redraw",
            &[("weight = 0.2", "weight = 0.2\nrate_sd = 4.0")],
            INV,
            &["stimuli[0].rate_redraw", "is required"],
        ),
        net_row(
            "rate_redraw without rate_sd",
            &[("weight = 0.2", "weight = 0.2\nrate_redraw = 50.0")],
            INV,
            &["stimuli[0].rate_redraw", "rate_sd"],
        ),
        net_row(
            "rate_redraw below one step",
            &[(
                "weight = 0.2",
                "weight = 0.2\nrate_sd = 4.0\nrate_redraw = 0.01",
            )],
            INV,
            &["stimuli[0].rate_redraw", "0.01"],
        ),
        net_row(
            "rate_sd negative",
            &[(
                "weight = 0.2",
                "weight = 0.2\nrate_sd = -4.0\nrate_redraw = 50.0",
            )],
            INV,
            &["stimuli[0].rate_sd", "-4"],
        ),
        net_row(
            "stimulus epoch not declared",
            &[
                (
                    "seed = 1",
                    "seed = 1\n\n[epochs]\nstimulus = { start = 1.0, stop = 5.0 }",
                ),
                ("weight = 0.2", "weight = 0.2\nepoch = \"stimulos\""),
            ],
            INV,
            &[
                "stimuli[0].epoch",
                "\"stimulos\"",
                "did you mean \"stimulus\"",
            ],
        ),
        net_row(
            "stimulus epoch and start together",
            &[
                (
                    "seed = 1",
                    "seed = 1\n\n[epochs]\nstimulus = { start = 1.0, stop = 5.0 }",
                ),
                (
                    "weight = 0.2",
                    "weight = 0.2\nepoch = \"stimulus\"\nstart = 2.0",
                ),
            ],
            INV,
            &["stimuli[0].epoch", "not both"],
        ),
        net_row(
            "epoch stops before it starts",
            &[(
                "seed = 1",
                "seed = 1\n\n[epochs]\ndelay = { start = 5.0, stop = 1.0 }",
            )],
            INV,
            &["epochs.delay.stop", "1"],
        ),
        Row {
            name: "mean field refuses conductance- and current-based models mixed",
            input: Input::Text(mutate(&[(I_MODEL, "model = \"iaf_cond_exp\"")])),
            args: strs(&["meanfield", "{net}"]),
            code: INV,
            contains: strs(&[
                "populations[I].model",
                "iaf_cond_exp",
                "conductance-based",
                "mixed",
            ]),
        },
        net_row(
            "stimulus receptor of another model",
            &[("weight = 0.2", "weight = 0.2\nreceptor = \"ex\"")],
            INV,
            &["stimuli[0].receptor", "\"ex\"", "iaf_psc_delta", "\"V_m\""],
        ),
        net_row(
            "delay zero",
            &[("delay = 1.0", "delay = 0.0")],
            INV,
            &["projections[1].delay", "0 ms"],
        ),
        net_row(
            "delay distribution can go below dt",
            &[(
                "delay = 1.5",
                "delay = { distribution = \"uniform\", low = 0.0, high = 2.0 }",
            )],
            INV,
            &["projections[0].delay", "below the time step"],
        ),
        net_row(
            "delay normal distribution without min",
            &[(
                "delay = 1.5",
                "delay = { distribution = \"normal\", mean = 1.5, std = 0.2 }",
            )],
            INV,
            &["projections[0].delay", "below the time step"],
        ),
        net_row(
            "delay off grid with grid_policy = error",
            &[
                ("seed = 1", "seed = 1\ngrid_policy = \"error\""),
                ("delay = 1.5", "delay = 1.55"),
            ],
            INV,
            &["projections[0].delay", "1.55", "not a multiple"],
        ),
        net_row(
            "delay distribution with grid_policy = error",
            &[
                ("seed = 1", "seed = 1\ngrid_policy = \"error\""),
                (
                    "delay = 1.5",
                    "delay = { distribution = \"uniform\", low = 1.0, high = 2.0 }",
                ),
            ],
            INV,
            &["projections[0].delay", "grid_policy"],
        ),
        net_row(
            "delay too many steps",
            &[("delay = 1.5", "delay = 10000.0")],
            INV,
            &["projections[0].delay", "65535"],
        ),
        net_row(
            "t_ref off grid with grid_policy = error",
            &[
                ("seed = 1", "seed = 1\ngrid_policy = \"error\""),
                ("t_ref = 2.0", "t_ref = 2.05"),
            ],
            INV,
            &["populations[E].params.t_ref", "2.05"],
        ),
        // --- Weights and connectivity ------------------------------------------------
        net_row(
            "weight NaN",
            &[("weight = 0.1", "weight = nan")],
            INV,
            &["projections[0].weight", "NaN"],
        ),
        net_row(
            "weight inf",
            &[("weight = -0.5", "weight = -inf")],
            INV,
            &["projections[1].weight", "inf"],
        ),
        net_row(
            "weight missing",
            &[("weight = 0.1\n", "")],
            INV,
            &["projections[0].weight", "required"],
        ),
        net_row(
            "normal weight with max < min",
            &[(
                "weight = 0.1",
                "weight = { distribution = \"normal\", mean = 0.1, std = 0.01, min = 0.2, max = 0.0 }",
            )],
            INV,
            &["projections[0].weight.max", "0.2"],
        ),
        net_row(
            "uniform weight with high < low",
            &[(
                "weight = 0.1",
                "weight = { distribution = \"uniform\", low = 1.0, high = 0.5 }",
            )],
            INV,
            &["projections[0].weight.high", "0.5"],
        ),
        net_row(
            "p above 1",
            &[("p = 0.5", "p = 1.5")],
            INV,
            &["projections[1].p", "1.5"],
        ),
        net_row(
            "p negative",
            &[("p = 0.5", "p = -0.1")],
            INV,
            &["projections[1].p", "-0.1"],
        ),
        net_row(
            "p NaN",
            &[("p = 0.5", "p = nan")],
            INV,
            &["projections[1].p", "NaN"],
        ),
        net_row(
            "indegree above source size without multapses",
            &[("indegree = 2", "indegree = 5\nmultapses = false")],
            INV,
            &["projections[0].indegree", "5", "4 possible sources"],
        ),
        net_row(
            "fixed_total_number above the possible pairs without multapses",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"fixed_total_number\"\nn = 13\nmultapses = false",
            )],
            INV,
            &["projections[0].n", "13", "12 possible pairs"],
        ),
        net_row(
            "procedural storage on a rule drawn per target",
            &[("indegree = 2", "indegree = 2\nstorage = \"procedural\"")],
            INV,
            &["projections[0].storage", "fixed_outdegree"],
        ),
        net_row(
            "storage misspelled",
            &[("indegree = 2", "indegree = 2\nstorage = \"procedual\"")],
            INV,
            &["projections[0].storage", "procedural"],
        ),
        net_row(
            "fixed_outdegree above the target size without multapses",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"fixed_outdegree\"\noutdegree = 4\nmultapses = false",
            )],
            INV,
            &["projections[0].outdegree", "4", "3 possible targets"],
        ),
        net_row(
            "fixed_outdegree without outdegree",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"fixed_outdegree\"",
            )],
            INV,
            &["projections[0].outdegree", "required"],
        ),
        net_row(
            "one_to_one with different sizes",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"one_to_one\"",
            )],
            INV,
            &["projections[0].rule", "one_to_one"],
        ),
        net_row(
            "from_list without connections",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"from_list\"",
            )],
            INV,
            &["projections[0].connections", "is required"],
        ),
        net_row(
            "from_list target index out of range",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"from_list\"\nconnections = [[0, 1], [3, 3]]",
            )],
            INV,
            &[
                "projections[0].connections[1]",
                "target index 3",
                "3 neurons",
            ],
        ),
        net_row(
            "from_list negative index",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"from_list\"\nconnections = [[-1, 0]]",
            )],
            INV,
            &["projections[0].connections[0][0]", "non-negative", "-1"],
        ),
        net_row(
            "from_list row of 3 numbers",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"from_list\"\nconnections = [[0, 1, 0.5]]",
            )],
            INV,
            &["projections[0].connections[0]", "found 3"],
        ),
        net_row(
            "from_list rows of different widths",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2\nweight = 0.1\ndelay = 1.5",
                "rule = \"from_list\"\nconnections = [[0, 1, 0.5, 1.0], [0, 1]]",
            )],
            INV,
            &["projections[0].connections[1]", "same width"],
        ),
        net_row(
            "from_list weight beyond f32",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2\nweight = 0.1\ndelay = 1.5",
                "rule = \"from_list\"\nconnections = [[0, 1, 1e39, 1.5]]",
            )],
            INV,
            &["projections[0].connections[0]", "single-precision"],
        ),
        net_row(
            "from_list delay below dt",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2\nweight = 0.1\ndelay = 1.5",
                "rule = \"from_list\"\nconnections = [[0, 1, 0.5, 0.05]]",
            )],
            INV,
            &[
                "projections[0].connections[0]",
                "0.05",
                "below the time step",
            ],
        ),
        net_row(
            "from_list weight both listed and as a key",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"from_list\"\nconnections = [[0, 1, 0.5, 1.0]]",
            )],
            INV,
            &["projections[0].weight", "per connection"],
        ),
        net_row(
            "connections with another rule",
            &[(
                "rule = \"fixed_indegree\"\nindegree = 2",
                "rule = \"fixed_indegree\"\nindegree = 2\nconnections = [[0, 1]]",
            )],
            INV,
            &["projections[0].connections", "from_list"],
        ),
        net_row(
            "spike_source_poisson without params",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_poisson\"",
            )],
            INV,
            &["populations[I].params", "rate"],
        ),
        net_row(
            "spike_source_poisson negative rate",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_poisson\"\nparams = { rate = -3.0 }",
            )],
            INV,
            &["populations[I].params.rate", "-3"],
        ),
        net_row(
            "spike_source_poisson stop before start",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_poisson\"\nparams = { rate = 5.0, start = 4.0, stop = 2.0 }",
            )],
            INV,
            &["populations[I].params.stop", "before start"],
        ),
        net_row(
            "spike_source_poisson unknown parameter",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_poisson\"\nparams = { rate = 5.0, tau_m = 10.0 }",
            )],
            INV,
            &["populations[I].params.tau_m"],
        ),
        net_row(
            "spike_source_array with 2 lists for 3 neurons",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_array\"\nparams = { spike_times = [[1.0], [2.0]] }",
            )],
            INV,
            &["populations[I].params.spike_times", "2 lists", "3 neurons"],
        ),
        net_row(
            "spike_source_array decreasing times",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_array\"\nparams = { spike_times = [[1.0], [3.0, 2.0], []] }",
            )],
            INV,
            &[
                "populations[I].params.spike_times[1][1]",
                "must not decrease",
            ],
        ),
        net_row(
            "spike_source_array time before the first step end",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_array\"\nparams = { spike_times = [0.0, 1.0] }",
            )],
            INV,
            &[
                "populations[I].params.spike_times[0]",
                "before the first step end",
            ],
        ),
        net_row(
            "spike_source_array time off the grid",
            &[(
                "model = \"iaf_psc_exp\"\nparams = { C_m = 250.0, tau_m = 10.0, tau_syn_ex = 2.0, tau_syn_in = 3.0, t_ref = 1.0 }",
                "model = \"spike_source_array\"\nparams = { spike_times = [1.05] }",
            )],
            INV,
            &["populations[I].params.spike_times[0]", "1.05"],
        ),
        net_row(
            "unknown rule",
            &[("rule = \"fixed_indegree\"", "rule = \"fixed_in_degree\"")],
            INV,
            &[
                "projections[0].rule",
                "fixed_in_degree",
                "did you mean \"fixed_indegree\"",
            ],
        ),
        net_row(
            "unknown population in a projection",
            &[("source = \"E\"", "source = \"E2\"")],
            INV,
            &["projections[0].source", "E2", "did you mean \"E\""],
        ),
        net_row(
            "unknown population in a stimulus",
            &[(
                "kind = \"poisson\"\ntarget = \"E\"",
                "kind = \"poisson\"\ntarget = \"Ex\"",
            )],
            INV,
            &["stimuli[0].target", "Ex", "did you mean \"E\""],
        ),
        net_row(
            "stimulus stop before start",
            &[("rate = 1000.0", "rate = 1000.0\nstart = 5.0\nstop = 2.0")],
            INV,
            &["stimuli[0].stop", "2", "5"],
        ),
        net_row(
            "stimulus negative rate",
            &[("rate = 1000.0", "rate = -1000.0")],
            INV,
            &["stimuli[0].rate", "-1000"],
        ),
        net_row(
            "stimulus unknown kind",
            &[("kind = \"poisson\"", "kind = \"poison\"")],
            INV,
            &["stimuli[0].kind", "poison", "did you mean \"poisson\""],
        ),
        net_row(
            "TOML syntax error",
            &[("rate = 1000.0", "rate = = 1000.0")],
            INV,
            &["TOML syntax error", "line"],
        ),
    ];

    // --- Arguments (run) -------------------------------------------------------------
    let base = || Input::Text(BASE.to_string());
    r.push(Row {
        name: "--threads 0",
        input: base(),
        args: run_args(&["--threads", "0"]),
        code: INV,
        contains: strs(&["--threads", "at least 1"]),
    });
    r.push(Row {
        name: "--set on a non-existing array element (name)",
        input: base(),
        args: run_args(&["--set", "populations.X.size=3"]),
        code: INV,
        contains: strs(&["populations.X.size", "\"X\""]),
    });
    r.push(Row {
        name: "--set on a non-existing array element (index)",
        input: base(),
        args: run_args(&["--set", "projections.7.weight=1.0"]),
        code: INV,
        contains: strs(&["projections.7.weight", "\"7\""]),
    });
    r.push(Row {
        name: "--set without =",
        input: base(),
        args: run_args(&["--set", "simulation.dt"]),
        code: INV,
        contains: strs(&["simulation.dt", "KEY=VALUE"]),
    });
    r.push(Row {
        name: "--set making a value invalid",
        input: base(),
        args: run_args(&["--set", "populations.E.params.tau_m=-5"]),
        code: INV,
        contains: strs(&["populations[E].params.tau_m", "-5"]),
    });
    r.push(Row {
        name: "--set adding an unknown key",
        input: base(),
        args: run_args(&["--set", "populations.E.params.tau_mm=5"]),
        code: INV,
        contains: strs(&["populations[E].params.tau_mm", "did you mean `tau_m`"]),
    });
    r.push(Row {
        name: "--t-stop not a multiple of dt",
        input: base(),
        args: run_args(&["--t-stop", "10.05"]),
        code: INV,
        contains: strs(&["simulation.t_stop", "10.05"]),
    });
    r.push(Row {
        name: "--max-memory 1k",
        input: base(),
        args: run_args(&["--max-memory", "1k"]),
        code: 5,
        contains: strs(&["needs about", "1.0 KiB", "estimate", "--max-memory"]),
    });
    r.push(Row {
        name: "--max-memory unreadable",
        input: base(),
        args: run_args(&["--max-memory", "lots"]),
        code: INV,
        contains: strs(&["--max-memory", "lots"]),
    });
    r.push(Row {
        name: "missing network file",
        input: Input::Missing,
        args: run_args(&[]),
        code: INV,
        contains: strs(&["net.toml", "does not exist"]),
    });
    r.push(Row {
        name: "missing network file (inspect)",
        input: Input::Missing,
        args: inspect_args(),
        code: INV,
        contains: strs(&["net.toml", "does not exist"]),
    });
    r.push(Row {
        name: "output into a non-existing directory",
        input: base(),
        args: strs(&["run", "{net}", "--out", "/nonexistent/x.h5"]),
        code: INV,
        contains: strs(&["/nonexistent", "does not exist"]),
    });
    r.push(Row {
        name: "output path is a directory",
        input: base(),
        args: strs(&["run", "{net}", "--out", "{dir}", "--overwrite"]),
        code: INV,
        contains: strs(&["is a directory"]),
    });

    // --- Issue 10: every input validated before anything runs ---------------------------
    // Names become HDF5 groups: only ASCII letters, digits, `_`, `-`.
    for (name, bad, shown) in [
        ("population name with /", "a/b", "'/'"),
        ("population name with .", "a.b", "'.'"),
        ("population name with NUL", "a\\u0000b", "'\\0'"),
        ("population name with a space", "a b", "' '"),
        ("population name non-ASCII", "Ä", "'Ä'"),
    ] {
        r.push(net_row(
            name,
            &[
                ("name = \"I\"", &format!("name = \"{bad}\"")),
                ("source = \"I\"", &format!("source = \"{bad}\"")),
                ("target = \"I\"", &format!("target = \"{bad}\"")),
            ],
            INV,
            &[".name", shown, "ASCII letters, digits, `_` and `-`"],
        ));
    }
    r.push(net_row(
        "population name of 256 characters",
        &[("name = \"E\"", &format!("name = \"{}\"", "E".repeat(256)))],
        INV,
        &[".name", "256 characters", "1 to 255"],
    ));
    // Weights beyond f32 (they would be stored as inf), with a short form of the value.
    r.push(net_row(
        "weight beyond f32",
        &[("weight = 0.1", "weight = 1e39")],
        INV,
        &["projections[0].weight", "1e39", "single-precision"],
    ));
    r.push(net_row(
        "weight distribution beyond f32",
        &[(
            "weight = 0.1",
            "weight = { distribution = \"normal\", mean = -4e38, std = 1.0 }",
        )],
        INV,
        &["projections[0].weight.mean", "-4e38"],
    ));
    r.push(net_row(
        "stimulus weight beyond f32",
        &[("weight = 0.2", "weight = 1e39")],
        INV,
        &["stimuli[0].weight", "1e39", "single-precision"],
    ));
    r.push(net_row(
        "huge parameter printed short",
        &[("tau_m = 20.0", "tau_m = -1e300")],
        INV,
        &["populations[E].params.tau_m", "-1e300"],
    ));
    r.push(net_row(
        "tiny time step printed short",
        &[("dt = 0.1", "dt = 1e-300")],
        INV,
        &["simulation.dt", "1e-300", "1e-6"],
    ));
    r.push(net_row(
        "t_stop of 1e30 steps",
        &[("t_stop = 10.0", "t_stop = 1e30")],
        INV,
        &["simulation.t_stop", "1e30", "2^53"],
    ));
    // Grid: relative tolerance; an interval below dt is refused.
    r.push(net_row(
        "v_m interval 1e-12 ms",
        &[(
            "[[stimuli]]",
            "[recorders]\nv_m = [{ population = \"E\", n = 2, interval = 1e-12 }]\n\n[[stimuli]]",
        )],
        INV,
        &["recorders.v_m[0].interval", "1e-12", "dt = 0.1"],
    ));
    r.push(net_row(
        "rate_bin below dt",
        &[("[[stimuli]]", "[recorders]\nrate_bin = 0.05\n\n[[stimuli]]")],
        INV,
        &["recorders.rate_bin", "0.05", "dt = 0.1"],
    ));
    // Threads: bounded, with the reason, in the file and on the command line.
    r.push(net_row(
        "simulation.threads 100000",
        &[("seed = 1", "seed = 1\nthreads = 100000")],
        INV,
        &["simulation.threads", "100000", "at most 4096"],
    ));
    r.push(Row {
        name: "--threads 100000",
        input: base(),
        args: run_args(&["--threads", "100000"]),
        code: INV,
        contains: strs(&["--threads 100000", "at most 4096"]),
    });
    for (name, w, shown) in [
        ("--warmup nan", "--warmup=nan", "NaN"),
        ("--warmup negative", "--warmup=-1", "-1"),
        ("--warmup beyond t_stop", "--warmup=1e300", "1e300"),
    ] {
        r.push(Row {
            name,
            input: base(),
            args: run_args(&[w]),
            code: INV,
            contains: strs(&["--warmup", shown, "t_stop = 10 ms"]),
        });
    }
    r.push(Row {
        name: "--seed as a non-digit string in the file",
        input: Input::Text(mutate(&[("seed = 1", "seed = \"x1\"")])),
        args: run_args(&[]),
        code: INV,
        contains: strs(&["simulation.seed", "\"x1\"", "18446744073709551615"]),
    });
    r.push(Row {
        name: "--max-memory printed in MiB",
        input: base(),
        args: run_args(&["--max-memory", "5M"]),
        code: 5,
        contains: strs(&["only 5.0 MiB is available"]),
    });
    // Rate files: time step bound and memory before allocating.
    let rate = |subs: &[(&str, &str)]| {
        let mut s = RATE_BASE.to_string();
        for (a, b) in subs {
            assert_eq!(s.matches(a).count(), 1, "test bug: {a:?}");
            s = s.replacen(a, b, 1);
        }
        Input::Text(s)
    };
    r.push(Row {
        name: "rate dt 1e-9",
        input: rate(&[("dt = 0.1", "dt = 1e-9")]),
        args: strs(&["run", "{net}", "--out", "{dir}/r.csv"]),
        code: INV,
        contains: strs(&["simulation.dt", "1e-9", "1e-6"]),
    });
    r.push(Row {
        name: "rate run beyond --max-memory",
        input: rate(&[("t_stop = 100.0", "t_stop = 1e9")]),
        args: strs(&[
            "run",
            "{net}",
            "--out",
            "{dir}/r.csv",
            "--max-memory",
            "64M",
        ]),
        code: 5,
        contains: strs(&["rate run needs about", "64.0 MiB", "record_every"]),
    });
    r.push(Row {
        name: "rate population name with a comma",
        input: rate(&[
            ("name = \"E\"", "name = \"E,x\""),
            ("source = \"E\"", "source = \"E,x\""),
        ]),
        args: strs(&["run", "{net}", "--out", "{dir}/r.csv"]),
        code: INV,
        contains: strs(&["rate_populations[0].name", "CSV"]),
    });
    r.push(Row {
        name: "rate seed over u64",
        input: rate(&[("seed = 1", "seed = \"18446744073709551616\"")]),
        args: strs(&["run", "{net}", "--out", "{dir}/r.csv"]),
        code: INV,
        contains: strs(&["simulation.seed", "18446744073709551615"]),
    });

    // --- Inspect sees the same validation ----------------------------------------------
    for (name, subs, contains) in [
        (
            "inspect: tau_m negative",
            ("tau_m = 20.0", "tau_m = -20.0"),
            &["populations[E].params.tau_m", "-20"][..],
        ),
        (
            "inspect: delay below dt",
            ("delay = 1.0", "delay = 0.05"),
            &["projections[1].delay", "0.05"],
        ),
        (
            "inspect: unknown key",
            ("tau_m = 20.0", "tau_mm = 20.0"),
            &["did you mean `tau_m`"],
        ),
    ] {
        r.push(Row {
            name,
            input: Input::Text(mutate(&[subs])),
            args: inspect_args(),
            code: INV,
            contains: strs(contains),
        });
    }

    // --- clap usage errors (exit 2) ----------------------------------------------------
    for (name, args) in [
        ("no subcommand", vec![]),
        ("unknown subcommand", vec!["simulate", "{net}"]),
        (
            "unknown flag",
            vec!["run", "{net}", "--no-output", "--bogus"],
        ),
        (
            "--threads not a number",
            vec!["run", "{net}", "--no-output", "--threads", "abc"],
        ),
        (
            "--threads negative",
            vec!["run", "{net}", "--no-output", "--threads", "-1"],
        ),
        ("run without network", vec!["run", "--no-output"]),
        (
            "--no-output conflicts with --out",
            vec!["run", "{net}", "--no-output", "--out", "{dir}/x.h5"],
        ),
        (
            "--set without a value",
            vec!["run", "{net}", "--no-output", "--set"],
        ),
    ] {
        r.push(Row {
            name,
            input: base(),
            args: strs(&args),
            code: 2,
            contains: vec![],
        });
    }
    r
}

#[test]
fn base_network_is_valid() {
    // Without this the matrix could pass on a network that is broken for another reason.
    for args in [run_args(&[]), inspect_args()] {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("net.toml");
        std::fs::write(&net, BASE).unwrap();
        let o = exec(&args, dir.path(), &net);
        assert_eq!(
            o.code,
            Some(0),
            "the base network must be valid ({args:?}):\nstderr: {}\nstdout: {}",
            o.stderr,
            o.stdout
        );
        assert!(!o.stderr.contains("panicked"));
    }
    // The rate base too, and the largest seed end to end (file as a string, --seed as a
    // number) on both kinds of file.
    let dir = tempfile::tempdir().unwrap();
    let (net, rnet) = (dir.path().join("net.toml"), dir.path().join("rate.toml"));
    std::fs::write(&net, BASE).unwrap();
    std::fs::write(&rnet, RATE_BASE).unwrap();
    for (file, extra) in [
        (&net, vec!["--no-output", "--json"]),
        (&rnet, vec!["--out", "r.csv"]),
    ] {
        let mut args = vec!["run".to_string(), "{net}".to_string()];
        args.extend(["--seed", "18446744073709551615"].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        let o = exec(&args, dir.path(), file);
        assert_eq!(o.code, Some(0), "{args:?}: {}", o.stderr);
        if file == &net {
            let j: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
            assert_eq!(j["seed"].as_u64(), Some(u64::MAX));
        }
    }
    let big = BASE.replace("seed = 1", "seed = \"18446744073709551615\"");
    std::fs::write(&net, big).unwrap();
    let o = exec(&run_args(&[]), dir.path(), &net);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
}

/// `--max-memory` is honoured for networks of many small populations: the estimate counts
/// the per-partition population index (8,000 populations of 10 neurons measured 1.6 GB
/// against an estimate of 24 MB before) and is not below the measured peak.
#[test]
fn many_small_populations_are_estimated() {
    let n = 1500;
    let mut s = String::from("[simulation]\nt_stop = 20.0\n");
    for i in 0..n {
        s += &format!("[[populations]]\nname = \"p{i}\"\nsize = 10\nmodel = \"iaf_psc_delta\"\n");
    }
    for i in 0..n {
        s += &format!(
            "[[projections]]\nsource = \"p{i}\"\ntarget = \"p{i}\"\nrule = \"fixed_indegree\"\nindegree = 2\nweight = 0.1\ndelay = 1.5\n"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.toml");
    std::fs::write(&net, s).unwrap();
    let o = exec(&run_args(&["--json", "--threads", "1"]), dir.path(), &net);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let j: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let est = j["memory_bytes"]["estimate"].as_u64().unwrap();
    let peak = j["memory_bytes"]["peak_rss"].as_u64().unwrap();
    assert!(est >= peak, "estimate {est} below the peak RSS {peak}");
    // 1500^2 x 24 bytes of index alone: 54 MB.
    assert!(est > 54_000_000, "estimate {est}");
    let o = exec(&run_args(&["--max-memory", "40M"]), dir.path(), &net);
    assert_eq!(o.code, Some(5), "{}", o.stderr);
    assert!(o.stderr.contains("partitions"), "{}", o.stderr);
}

#[test]
fn bad_input_matrix() {
    let rows = rows();
    assert!(rows.len() >= 30, "the matrix must have at least 30 rows");
    let mut names = std::collections::HashSet::new();
    for r in &rows {
        assert!(names.insert(r.name), "duplicate row name {}", r.name);
        assert_ne!(r.code, 0, "row {} expects success", r.name);
    }
    // Two rows at a time: the machine has two cores.
    let failures: Vec<String> = std::thread::scope(|s| {
        let chunks: Vec<&[Row]> = rows.chunks(rows.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| s.spawn(move || c.iter().flat_map(check_row).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    eprintln!("bad-input matrix: {} rows", rows.len());
    assert!(
        failures.is_empty(),
        "{} problem(s) in the bad-input matrix:\n{}",
        failures.iter().filter(|f| f.starts_with("row `")).count(),
        failures.join("\n")
    );
}

/// An existing output file without `--overwrite` is refused before any work, and is
/// left exactly as it was ("nothing already written is lost").
#[test]
fn existing_output_is_kept_without_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.toml");
    std::fs::write(&net, BASE).unwrap();
    let out: PathBuf = dir.path().join("result.h5");
    let content = b"precious results, not an HDF5 file\n".repeat(100);
    std::fs::write(&out, &content).unwrap();
    let args = strs(&["run", "{net}", "--out", &out.display().to_string()]);
    let o = exec(&args, dir.path(), &net);
    assert_eq!(o.code, Some(3), "expected exit 3, stderr: {}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    assert!(
        o.stderr.contains(&out.display().to_string()) && o.stderr.contains("--overwrite"),
        "the message must name the file and --overwrite: {}",
        o.stderr
    );
    let after = std::fs::read(&out).expect("the existing output file was deleted");
    assert!(after == content, "the existing output file was modified");
    // Nothing else was left behind in the directory (no probe or partial files).
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec!["net.toml".to_string(), "result.h5".to_string()]);

    // Control: with --overwrite the same command succeeds and replaces the file.
    let args = strs(&[
        "run",
        "{net}",
        "--out",
        &out.display().to_string(),
        "--overwrite",
    ]);
    let o = exec(&args, dir.path(), &net);
    assert_eq!(o.code, Some(0), "with --overwrite: {}", o.stderr);
    assert!(
        std::fs::read(&out).unwrap() != content,
        "--overwrite did not replace the file"
    );
}

/// The memory pre-flight refusal (M2) comes before anything is written: the output
/// file named by `--out` must not exist afterwards.
#[test]
fn max_memory_refusal_happens_before_output_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.toml");
    std::fs::write(&net, BASE).unwrap();
    let out = dir.path().join("x.h5");
    let args = strs(&[
        "run",
        "{net}",
        "--out",
        &out.display().to_string(),
        "--max-memory",
        "1k",
    ]);
    let o = exec(&args, dir.path(), &net);
    assert_eq!(o.code, Some(5), "stderr: {}", o.stderr);
    assert!(
        !out.exists(),
        "a refused run must not create its output file"
    );
}

/// Run with a wall-clock limit; a run that does not finish is killed and reported.
fn exec_limited(args: &[&str], dir: &Path, limit: std::time::Duration) -> Result<Outcome, String> {
    let mut child = Command::new(EXE)
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {EXE}: {e}"))?;
    let t0 = std::time::Instant::now();
    loop {
        if let Some(_status) = child.try_wait().map_err(|e| e.to_string())? {
            let o = child.wait_with_output().map_err(|e| e.to_string())?;
            return Ok(Outcome {
                code: o.status.code(),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            });
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "still running after {limit:?} (killed): the input was neither refused nor run"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Networks whose true memory need overflows u64 must be refused up front (exit 5
/// "needs about ...", or exit 3 naming the key), never pass the pre-flight check
/// because the estimate wrapped around, and never panic or hang (RELIABILITY M2,
/// "A run that cannot fit in memory is refused before it allocates").
#[test]
fn absurd_sizes_are_refused_not_wrapped() {
    let cases: [(&str, &str, &str); 2] = [
        (
            // 2^64/9 + 1 synapses × 9 bytes (u32 target + f32 weight + u8 delay) = 2^64 + 2
            // bytes: the synapse term of the estimate is ~2^64, the total wraps to ~25 MB.
            "fixed_total_number with 2049638230412172402 synapses",
            r#"
[simulation]
dt = 0.1
t_stop = 10.0
[[populations]]
name = "A"
size = 1000
model = "iaf_psc_delta"
[[projections]]
source = "A"
target = "A"
rule = "fixed_total_number"
n = 2049638230412172402
weight = { distribution = "uniform", low = 0.0, high = 1.0 }
delay = { distribution = "uniform", low = 1.0, high = 2.0 }
"#,
            "projections[0]",
        ),
        (
            // v_m recorder: 2^52 samples × 256 neurons × 16 bytes = 2^64 bytes: the
            // recorder term of the estimate wraps to 0, then `run_for` reserves 2^60 f64.
            "v_m recorder of 2^52 samples x 256 neurons",
            r#"
[simulation]
dt = 0.125
t_stop = 562949953421312.0
[[populations]]
name = "A"
size = 256
model = "iaf_psc_delta"
[recorders]
rate_bin = 0.0
v_m = [ { population = "A", n = 256, interval = 0.125 } ]
"#,
            "recorders",
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("net.toml");
        std::fs::write(&net, text).unwrap();
        let net_s = net.display().to_string();
        let args = ["run", net_s.as_str(), "--no-output", "--max-memory", "64G"];
        match exec_limited(&args, dir.path(), std::time::Duration::from_secs(8)) {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok(o) => {
                let ok_mem = o.code == Some(5) && o.stderr.contains("needs about");
                let ok_inv = o.code == Some(3) && o.stderr.contains(key);
                if !(ok_mem || ok_inv) || o.stderr.contains("panicked") {
                    failures.push(format!(
                        "{name}: expected exit 5 (\"needs about\") or exit 3 naming `{key}`, got {:?}\n    stderr: {}",
                        o.code,
                        o.stderr.lines().take(3).collect::<Vec<_>>().join(" | ")
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "memory pre-flight check defeated by u64 overflow in engine::memory::estimate \
         (src/engine/memory.rs: `e.synapses += n * (4 + wb + db)`, the v_m recorder term and the `e.total` sum are unchecked u64 arithmetic):\n{}",
        failures.join("\n")
    );
}
