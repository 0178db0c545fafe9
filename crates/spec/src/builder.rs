//! Build a network from Rust code. The builder writes the same raw table a TOML file
//! would give and validates it with the same code, so both routes yield equal
//! [`Network`] values (and the same errors).
//!
//! ```
//! use cortexsim_spec::NetworkBuilder;
//! let net = NetworkBuilder::new()
//!     .simulation(&[("dt", 0.1.into()), ("t_stop", 100.0.into())])
//!     .population("E", 100, "iaf_psc_delta", &[("tau_m", 20.0), ("v_th", 20.0), ("e_l", 0.0), ("v_reset", 10.0)])
//!     .projection("E", "E", "fixed_indegree", &[("indegree", 10.into()), ("weight", 0.1.into()), ("delay", 1.5.into())])
//!     .poisson("E", 20000.0, 0.1)
//!     .build()
//!     .unwrap();
//! assert_eq!(net.populations[0].size, 100);
//! ```

use super::Network;
use cortexsim_core::error::SpecError;
use toml::{Table, Value};

#[derive(Debug, Clone, Default)]
pub struct NetworkBuilder {
    table: Table,
}

fn tab(kv: &[(&str, Value)]) -> Table {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

impl NetworkBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, key: &str, t: Table) {
        match self
            .table
            .entry(key.to_string())
            .or_insert_with(|| Value::Array(vec![]))
        {
            Value::Array(a) => a.push(Value::Table(t)),
            _ => unreachable!("builder keeps arrays"),
        }
    }

    /// Simulation settings: `dt`, `t_stop`, `seed`, `threads`, `partition_size`, `grid_policy`.
    pub fn simulation(mut self, kv: &[(&str, Value)]) -> Self {
        let sim = self
            .table
            .entry("simulation")
            .or_insert_with(|| Value::Table(Table::new()));
        if let Value::Table(t) = sim {
            t.extend(tab(kv));
        }
        self
    }

    /// A population of `size` neurons of `model` with NEST-named parameters.
    pub fn population(
        mut self,
        name: &str,
        size: u32,
        model: &str,
        params: &[(&str, f64)],
    ) -> Self {
        let mut t = tab(&[
            ("name", name.into()),
            ("size", (size as i64).into()),
            ("model", model.into()),
        ]);
        if !params.is_empty() {
            t.insert(
                "params".into(),
                Value::Table(
                    params
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::Float(*v)))
                        .collect(),
                ),
            );
        }
        self.push("populations", t);
        self
    }

    /// Set any model parameter of an existing population (e.g. a boolean such as
    /// `refractory_input`).
    pub fn param(mut self, population: &str, key: &str, value: Value) -> Self {
        if let Some(Value::Array(a)) = self.table.get_mut("populations") {
            for p in a.iter_mut() {
                if p.get("name").and_then(|n| n.as_str()) == Some(population)
                    && let Value::Table(t) = p
                    && let Value::Table(params) = t
                        .entry("params")
                        .or_insert_with(|| Value::Table(Table::new()))
                {
                    params.insert(key.to_string(), value.clone());
                }
            }
        }
        self
    }

    /// Set the initial potential of an existing population (a number or a distribution table).
    pub fn v_init(mut self, population: &str, v: Value) -> Self {
        if let Some(Value::Array(a)) = self.table.get_mut("populations") {
            for p in a.iter_mut() {
                if p.get("name").and_then(|n| n.as_str()) == Some(population)
                    && let Value::Table(t) = p
                {
                    t.insert("v_init".into(), v.clone());
                }
            }
        }
        self
    }

    /// A projection; `kv` holds the rule's keys and `weight`, `delay`, `autapses`, `multapses`.
    pub fn projection(
        mut self,
        source: &str,
        target: &str,
        rule: &str,
        kv: &[(&str, Value)],
    ) -> Self {
        let mut t = tab(&[
            ("source", source.into()),
            ("target", target.into()),
            ("rule", rule.into()),
        ]);
        t.extend(tab(kv));
        self.push("projections", t);
        self
    }

    /// A stimulus of any kind (`kind` = poisson, dc, step, spike_train) with its keys.
    pub fn stimulus(mut self, kind: &str, target: &str, kv: &[(&str, Value)]) -> Self {
        let mut t = tab(&[("kind", kind.into()), ("target", target.into())]);
        t.extend(tab(kv));
        self.push("stimuli", t);
        self
    }

    /// One Poisson generator of `rate` Hz per neuron with `weight`.
    pub fn poisson(self, target: &str, rate: f64, weight: f64) -> Self {
        self.stimulus(
            "poisson",
            target,
            &[("rate", rate.into()), ("weight", weight.into())],
        )
    }

    /// Recorder settings (`spikes`, `rate_bin`, `v_m`).
    pub fn recorders(mut self, kv: &[(&str, Value)]) -> Self {
        self.table.insert("recorders".into(), Value::Table(tab(kv)));
        self
    }

    /// The raw table (what a TOML file with the same content parses to).
    pub fn table(&self) -> &Table {
        &self.table
    }

    pub fn build(&self) -> Result<Network, SpecError> {
        Network::from_table(&self.table)
    }
}
