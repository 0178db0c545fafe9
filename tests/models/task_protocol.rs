//! Task protocol files (`cortexsim run NETWORK --protocol FILE`): the bad-input matrix
//! (every error names its key path), and the epoch table of a network whose rates are
//! known exactly.

use cortexsim::models::{RateNetworkFile, load_rate_file};
use cortexsim::protocols::task;
use toml::Table;

/// One leaky population with `τ = Δt` and a linear transfer (Euler, α = 1): the rate after
/// the step that starts at t is the drive at t.
const NET: &str = r#"
[[rate_populations]]
name = "V1.A"
tau = 1.0
transfer = { kind = "relu" }

[[rate_populations]]
name = "V1.B"
tau = 1.0
transfer = { kind = "relu" }
bias = 1.0

[simulation]
dt = 1.0
t_stop = 5.0
"#;

const PROTO: &str = r#"
description = "test"

[[epochs]]
name = "fixation"
duration = 10.0

[[epochs]]
name = "target"
duration = 10.0
inputs = [{ target = "V1.A", amplitude = 2.0 }]

[[epochs]]
name = "stream"
sequence = ["x", "y"]
duration = 5.0
gap = 5.0
items.x = [{ target = ["V1.A", "*.B"], amplitude = 1.0 }]
items.y = [{ target = "V1.B", amplitude = -1.0 }]

[persistence]
baseline = "fixation"
epoch = "target"
last = 5.0
threshold = 1.0
"#;

fn net() -> RateNetworkFile {
    load_rate_file(&NET.parse::<Table>().unwrap(), None)
        .unwrap()
        .unwrap()
}

#[test]
fn epoch_table_means_over_half_open_windows() {
    let proto = task::parse(&PROTO.parse().unwrap()).unwrap();
    let r = task::run_task(&net(), &proto).unwrap();
    let names: Vec<&str> = r.epochs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "fixation",
            "target",
            "stream[0]:x",
            "stream[0]:gap",
            "stream[1]:y",
            "stream[1]:gap"
        ]
    );
    // The protocol sets the run's length: 10 + 10 + 2 × (5 + 5) ms.
    assert_eq!(*r.run.t_ms.last().unwrap(), 40.0);
    let rate = |epoch: usize, pop: &str| {
        r.epochs[epoch]
            .rates
            .iter()
            .find(|(p, _)| p == pop)
            .unwrap()
            .1
            .unwrap()
    };
    // Samples at t = 10..19 belong to "target"; the rate at t = 10 is still the drive of
    // the step from t = 9 (0), the nine after it 2: mean 1.8.
    assert_eq!(rate(0, "V1.A"), 0.0);
    assert!((rate(1, "V1.A") - 1.8).abs() < 1e-12);
    // x drives A by 1 and B by 1 on top of its bias: t = 20 still carries the target (2),
    // t = 21..24 carry 1 → (2 + 4)/5; B: (1 + 4·2)/5.
    assert!((rate(2, "V1.A") - 1.2).abs() < 1e-12);
    assert!((rate(2, "V1.B") - 1.8).abs() < 1e-12);
    // the gap after x: t = 25 carries x, then nothing.
    assert!((rate(3, "V1.A") - 0.2).abs() < 1e-12);
    // y cancels B's bias: t = 30 carries the gap (1), t = 31..34 zero.
    assert!((rate(4, "V1.B") - 0.2).abs() < 1e-12);
    // t = 0 is the initial state 0, t = 1..9 the bias 1.
    assert!((rate(0, "V1.B") - 0.9).abs() < 1e-12);
    let p = r.persistence.unwrap();
    assert_eq!(p.window_ms, (15.0, 20.0));
    assert_eq!(p.persistent(), ["V1.A"]);
    assert_eq!(p.populations.len(), 2);
}

/// (name, edit of PROTO as (from, to), key path in the error, fragment of the message)
const BAD: &[(&str, (&str, &str), &str, &str)] = &[
    (
        "unknown top-level key",
        ("description", "descripton"),
        "descripton",
        "did you mean `description`",
    ),
    (
        "epoch without name",
        ("name = \"fixation\"\n", ""),
        "epochs[0].name",
        "is required",
    ),
    (
        "empty epoch name",
        ("name = \"fixation\"", "name = \"\""),
        "epochs[0].name",
        "is empty",
    ),
    (
        "negative duration",
        (
            "duration = 10.0\n\n[[epochs]]\nname = \"target\"",
            "duration = -1.0\n\n[[epochs]]\nname = \"target\"",
        ),
        "epochs[0].duration",
        "must be > 0",
    ),
    (
        "duration as a string",
        (
            "duration = 10.0\n\n[[epochs]]\nname = \"target\"",
            "duration = \"10\"\n\n[[epochs]]\nname = \"target\"",
        ),
        "epochs[0].duration",
        "expected a number",
    ),
    (
        "unknown epoch key",
        (
            "inputs = [{ target = \"V1.A\"",
            "input = [{ target = \"V1.A\"",
        ),
        "epochs[1].input",
        "did you mean `inputs`",
    ),
    (
        "inputs not an array",
        (
            "inputs = [{ target = \"V1.A\", amplitude = 2.0 }]",
            "inputs = 2.0",
        ),
        "epochs[1].inputs",
        "expected an array",
    ),
    (
        "input without amplitude",
        ("target = \"V1.A\", amplitude = 2.0", "target = \"V1.A\""),
        "epochs[1].inputs[0].amplitude",
        "is required",
    ),
    (
        "unknown input key",
        (
            "target = \"V1.A\", amplitude = 2.0",
            "target = \"V1.A\", amp = 2.0",
        ),
        "epochs[1].inputs[0].amp",
        "did you mean `amplitude`",
    ),
    (
        "target of the wrong type",
        (
            "target = \"V1.A\", amplitude = 2.0",
            "target = 3, amplitude = 2.0",
        ),
        "epochs[1].inputs[0].target",
        "expected a population name",
    ),
    (
        "empty target list",
        (
            "target = \"V1.A\", amplitude = 2.0",
            "target = [], amplitude = 2.0",
        ),
        "epochs[1].inputs[0].target",
        "empty list",
    ),
    (
        "target matches nothing",
        (
            "target = \"V1.A\", amplitude = 2.0",
            "target = \"V1.AA\", amplitude = 2.0",
        ),
        "epochs[1].inputs[0].target",
        "did you mean `V1.A`",
    ),
    (
        "pattern matches nothing",
        (
            "target = [\"V1.A\", \"*.B\"]",
            "target = [\"V1.A\", \"*.C\"]",
        ),
        "epochs[2].items.x[0].target",
        "matches no population",
    ),
    (
        "duplicate epoch name",
        ("name = \"target\"", "name = \"fixation\""),
        "epochs[1].name",
        "a second epoch called `fixation`",
    ),
    (
        "sequence item without inputs",
        ("sequence = [\"x\", \"y\"]", "sequence = [\"x\", \"z\"]"),
        "epochs[2].sequence[1]",
        "item `z` has no entry in items",
    ),
    (
        "sequence without items",
        (
            "items.x = [{ target = [\"V1.A\", \"*.B\"], amplitude = 1.0 }]\nitems.y = [{ target = \"V1.B\", amplitude = -1.0 }]",
            "",
        ),
        "epochs[2].items",
        "is required",
    ),
    (
        "negative gap",
        ("gap = 5.0", "gap = -5.0"),
        "epochs[2].gap",
        "must be >= 0",
    ),
    (
        "inputs in a sequence",
        ("gap = 5.0", "gap = 5.0\ninputs = []"),
        "epochs[2].inputs",
        "unknown key",
    ),
    (
        "baseline names no epoch",
        ("baseline = \"fixation\"", "baseline = \"fixaton\""),
        "persistence.baseline",
        "did you mean `fixation`",
    ),
    (
        "window longer than the epoch",
        ("last = 5.0", "last = 50.0"),
        "persistence.last",
        "at most the epoch's duration",
    ),
    (
        "unknown persistence key",
        ("threshold = 1.0", "treshold = 1.0"),
        "persistence.treshold",
        "did you mean `threshold`",
    ),
    (
        "persistence target matches nothing",
        ("threshold = 1.0", "threshold = 1.0\ntarget = \"*.C\""),
        "persistence.target",
        "matches no population",
    ),
];

#[test]
fn bad_protocol_files_name_the_key() {
    let mut failures = Vec::new();
    for (name, (from, to), path, fragment) in BAD {
        assert!(
            PROTO.contains(from),
            "{name}: `{from}` not in the base protocol"
        );
        let text = PROTO.replacen(from, to, 1);
        let doc: Table = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let err = task::parse(&doc).and_then(|p| {
            let mut f = net();
            task::apply(&p, &mut f).map(|_| p)
        });
        match err {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) => {
                if e.path != *path || !e.msg.contains(fragment) {
                    failures.push(format!(
                        "{name}: got `{}: {}`, want path `{path}` containing `{fragment}`",
                        e.path, e.msg
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_protocol_needs_epochs() {
    for (text, msg) in [
        ("description = \"x\"", "is required"),
        ("epochs = []", "has no epochs"),
    ] {
        let e = task::parse(&text.parse().unwrap()).unwrap_err();
        assert_eq!(e.path, "epochs");
        assert!(e.msg.contains(msg), "{}", e.msg);
    }
}

#[test]
fn the_base_protocol_and_the_shipped_one_are_valid() {
    let p = task::parse(&PROTO.parse().unwrap()).unwrap();
    task::apply(&p, &mut net()).unwrap();
    let shipped = task::resolve(std::path::Path::new("wm_visual")).unwrap();
    assert_eq!(shipped.duration_ms(), 5500.0);
    let e = task::resolve(std::path::Path::new("wm_visul")).unwrap_err();
    assert!(e.msg.contains("did you mean `wm_visual`"), "{}", e.msg);
}
