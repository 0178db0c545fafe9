//! A network described without building it (`cortexsim inspect`): populations,
//! expected synapses per projection, partitions, delay range and the memory estimate.

use cortexsim_engine::memory::{self, Estimate};
use cortexsim_engine::{delay_bounds, layout};
use cortexsim_spec::{Network, Rule};
use serde_json::{Map, Value as Json, json};

/// What [`inspect`] finds out about a network.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The memory estimate (expected synapses per projection included).
    pub estimate: Estimate,
    /// Partitions of the layout the engine would build.
    pub partitions: usize,
    /// Smallest and largest delay in steps.
    pub min_delay_steps: u64,
    pub max_delay_steps: u64,
    /// Memory available now (bytes).
    pub available_bytes: u64,
}

/// Describe `net` without allocating its synapses.
pub fn inspect(net: &Network) -> Inspection {
    let (min_delay_steps, max_delay_steps) = delay_bounds(net);
    Inspection {
        estimate: memory::estimate(net),
        partitions: layout(net).len(),
        min_delay_steps,
        max_delay_steps,
        available_bytes: memory::available_bytes(),
    }
}

/// A value as JSON (the types here serialise infallibly).
fn to_json<T: serde::Serialize>(v: T) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// The name of a connection rule (`fixed_indegree`, ...).
pub fn rule_name(rule: &Rule) -> String {
    to_json(rule)["rule"].as_str().unwrap_or("").to_string()
}

impl Inspection {
    /// The description as one JSON object (`cortexsim inspect --json`).
    pub fn to_json(&self, network: &str, net: &Network) -> Json {
        let e = &self.estimate;
        let projections: Vec<Json> = net
            .projections
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({
                    "source": net.populations[p.source].name,
                    "target": net.populations[p.target].name,
                    "rule": to_json(p.rule),
                    "storage": to_json(p.storage),
                    "synapses": e.per_projection[i],
                    "bytes_per_synapse": e.bytes_per_synapse[i],
                    "weight": to_json(p.weight),
                    "delay_ms": to_json(p.delay),
                })
            })
            .collect();
        let pops: Map<String, Json> = net
            .populations
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    json!({"size": p.size, "model": p.model.name(), "params": to_json(&p.model)["params"].clone()}),
                )
            })
            .collect();
        json!({
            "network": network,
            "neurons": net.n_neurons(),
            "populations": pops,
            "projections": projections,
            "synapses": e.n_synapses,
            "partitions": self.partitions,
            "min_delay_steps": self.min_delay_steps,
            "max_delay_steps": self.max_delay_steps,
            "dt_ms": net.simulation.dt,
            "t_stop_ms": net.simulation.t_stop,
            "memory_bytes": to_json(e),
            "available_bytes": self.available_bytes,
            "warnings": net.warnings,
        })
    }
}
