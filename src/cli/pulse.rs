//! Spike rasters of `cortexsim run --plot` on spiking networks, and `cortexsim
//! pulse-compare`: the change of the E rate of every area after an input pulse, spiking
//! network against rate model.

use super::rate::check_plot_path;
#[cfg(feature = "plots")]
use super::rate::plot_err;
use super::{BuildOptions, Failure, NetArgs, Simulation, parse_bytes};
use clap::Args;
use cortexsim::models;
#[cfg(feature = "plots")]
use cortexsim::protocols::pulse::Response;
use cortexsim::protocols::pulse::{attenuation, moving_average, resp_json, response};
#[cfg(feature = "plots")]
pub use cortexsim::protocols::raster::raster_pops;
pub use cortexsim::protocols::raster::stimulus_windows;
use serde_json::{Map, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `(area, normalised hierarchy)` of a data-driven spiking generator file (with its
/// `--set` overrides applied); `None` for any other spiking file.
pub fn spiking_hierarchy(
    net: &NetArgs,
    data: Option<&Path>,
) -> Result<Option<Vec<(String, f64)>>, Failure> {
    let table =
        models::load::overridden_table(&net.origin(), &net.sets()).map_err(Failure::spec)?;
    models::load::spiking_hierarchy(&table, data).map_err(Failure::spec)
}

// ---------------------------------------------------------------------------------------
// pulse-compare
// ---------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct PulseCompareArgs {
    /// Spiking network with an input pulse (a step stimulus), e.g.
    /// networks/joglekar2018_spiking_weak.toml.
    pub spiking: PathBuf,
    /// Rate model with an input pulse, e.g. networks/joglekar2018_rate_weak.toml.
    pub rate: PathBuf,
    /// Override a value of the spiking file, e.g. model.n_per_area=400 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override a value of the rate file (repeatable).
    #[arg(long = "rate-set", value_name = "KEY=VALUE")]
    pub rate_set: Vec<String>,
    /// Random seed of the spiking network.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads of the spiking simulation (default: the file's, else all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Data directory (default: $CORTEXSIM_DATA, else the data built into the program).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Baseline: the mean rate over this many ms before the pulse onset.
    #[arg(long, value_name = "MS", default_value_t = 200.0)]
    pub baseline: f64,
    /// Spiking rates: centred moving average over this many ms of rate bins before the
    /// peak is taken (0: none).
    #[arg(long, value_name = "MS", default_value_t = 50.0)]
    pub smooth: f64,
    /// Refuse to build if the estimated memory exceeds this (bytes; suffixes k, M, G).
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<String>,
    /// Draw the change of rate per area, spiking and rate model side by side (PNG).
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn cmd_pulse_compare(a: PulseCompareArgs) -> Result<(), Failure> {
    if !(a.baseline > 0.0 && a.baseline.is_finite()) {
        return Err(Failure::invalid("--baseline: must be > 0 ms"));
    }
    if !(a.smooth >= 0.0 && a.smooth.is_finite()) {
        return Err(Failure::invalid("--smooth: must be >= 0 ms"));
    }
    super::check_threads(a.threads)?;
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    let max_memory = a.max_memory.as_deref().map(parse_bytes).transpose()?;
    let data = a.data.as_deref();
    // Rate model.
    let rate_args = NetArgs {
        network: a.rate.clone(),
        set: a.rate_set.clone(),
        t_stop: None,
        seed: None,
    };
    let rf = rate_args.load_rate(data, "pulse-compare (second file)")?;
    let rate_pulse = rf
        .net
        .schedules
        .iter()
        .filter(|e| e.amplitude.iter().any(|&x| x != 0.0))
        .map(|e| (e.start_ms, e.stop_ms))
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .ok_or_else(|| {
            Failure::invalid(format!(
                "{}: the rate model has no pulse (no stimulus with a non-zero amplitude)",
                a.rate.display()
            ))
        })?;
    // Spiking network.
    let sp_args = NetArgs {
        network: a.spiking.clone(),
        set: a.set.clone(),
        t_stop: None,
        seed: a.seed,
    };
    let net = sp_args.load_with_data(data)?;
    let hier = spiking_hierarchy(&sp_args, data)?.or_else(|| rf.hierarchy.clone());
    let windows = stimulus_windows(&net);
    let (sp_label, sp_on, sp_off) = windows
        .iter()
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .cloned()
        .ok_or_else(|| {
            Failure::invalid(format!(
                "{}: the spiking network has no pulse (no step stimulus; model.pulse = false?)",
                a.spiking.display()
            ))
        })?;
    let bin = net.recorders.rate_bin;
    if bin <= 0.0 {
        return Err(Failure::invalid(
            "the spiking network records no population rates (recorders.rate_bin = 0)",
        ));
    }
    // Areas: E populations in both models, by hierarchy.
    // (The spiking populations are `<area>_E` with SONATA-safe area names, the rate
    // populations `<area>.E`; `areas` holds the rate model's area names.)
    let mut areas: Vec<String> = net
        .populations
        .iter()
        .filter_map(|p| {
            let area = p.name.strip_suffix("_E")?;
            rf.net.pops.iter().find_map(|r| {
                let ra = r.name.strip_suffix(".E")?;
                (models::joglekar_spiking::safe_area(ra) == area).then(|| ra.to_string())
            })
        })
        .collect();
    if areas.is_empty() {
        return Err(Failure::invalid(
            "the two models share no area (spiking `<area>_E`, rate `<area>.E` populations)",
        ));
    }
    let h = |a: &str| {
        hier.as_ref()
            .and_then(|h| h.iter().find(|x| x.0 == a))
            .map_or(f64::INFINITY, |x| x.1)
    };
    areas.sort_by(|x, y| h(x).total_cmp(&h(y)));
    // Run both.
    let t0 = Instant::now();
    let rrun = cortexsim::rate::run(&rf.net, &rf.sim.run_opts()).map_err(|e| match e {
        cortexsim::rate::RateError::Spec(s) => Failure::spec(s),
        d => Failure::runtime(d.to_string()),
    })?;
    let rate_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let opts = BuildOptions {
        threads: a.threads.unwrap_or(0),
        max_memory,
        keep_spikes: false,
        ..Default::default()
    };
    let mut sim = Simulation::build(&net, &opts).map_err(Failure::build)?;
    super::print_warnings(&sim.warnings);
    sim.run().map_err(Failure::sim)?;
    let spiking_s = t0.elapsed().as_secs_f64();
    let t_stop = sim.t as f64 * net.simulation.dt;
    let nbins = (t_stop / bin).floor() as usize;
    if nbins < 2 {
        return Err(Failure::invalid(
            "the spiking run is shorter than two rate bins",
        ));
    }
    let t_sp: Vec<f64> = (0..nbins).map(|k| (k as f64 + 0.5) * bin).collect();
    let h_bins = (a.smooth / bin / 2.0).round() as usize;
    let smooth_ms = (2 * h_bins + 1) as f64 * bin;
    let mut sp_resp = Vec::new();
    let mut rt_resp = Vec::new();
    for area in &areas {
        let e = models::large_scale::e_pop(area);
        let p = net
            .pop_index(&models::joglekar_spiking::e_pop(area))
            .expect("area taken from the network");
        let norm = net.populations[p].size as f64 * bin * 1e-3;
        let raw: Vec<f64> = sim.recording.rate_bins[p][..nbins]
            .iter()
            .map(|&c| c as f64 / norm)
            .collect();
        let sm = moving_average(&raw, h_bins);
        let r = response(
            &t_sp,
            &raw,
            &sm,
            (sp_on, sp_off),
            a.baseline,
            smooth_ms / 2.0,
        )
        .ok_or_else(|| {
            Failure::invalid(format!(
                "spiking: the pulse at {sp_on} ms leaves no baseline or no time after it"
            ))
        })?;
        sp_resp.push(r);
        let i = rrun.index_of(&e).expect("area taken from the rate model");
        let r = response(
            &rrun.t_ms,
            &rrun.rates[i],
            &rrun.rates[i],
            rate_pulse,
            a.baseline,
            0.0,
        )
        .ok_or_else(|| {
            Failure::invalid(format!(
                "rate model: the pulse at {} ms leaves no baseline or no time after it",
                rate_pulse.0
            ))
        })?;
        rt_resp.push(r);
    }
    let to = if areas.iter().any(|x| x == "24c") {
        areas
            .iter()
            .position(|x| x == "24c")
            .unwrap_or(areas.len() - 1)
    } else {
        areas.len() - 1
    };
    let att_sp = attenuation(sp_resp[0].peak_hz, sp_resp[to].peak_hz);
    let att_rt = attenuation(rt_resp[0].peak_hz, rt_resp[to].peak_hz);
    #[cfg(feature = "plots")]
    if let Some(p) = &a.plot {
        use cortexsim::plot::{PulseColumn, plot_pulse_compare};
        let col = |title: String, rs: &[Response], pulse: (f64, f64)| PulseColumn {
            title,
            t_ms: rs[0].t_rel.clone(),
            change_hz: rs.iter().map(|r| r.change.clone()).collect(),
            peak_hz: rs.iter().map(|r| r.peak_hz).collect(),
            noise_hz: rs.iter().map(|r| r.pre_max_abs_hz).collect(),
            pulse_ms: pulse,
        };
        let name = |p: &Path| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into())
        };
        let per_area = net.n_neurons() as f64 / (net.populations.len() as f64 / 2.0);
        let cols = [
            col(
                format!(
                    "Spiking network: {} ({:.0} neurons/area)",
                    name(&a.spiking),
                    per_area
                ),
                &sp_resp,
                (0.0, sp_off - sp_on),
            ),
            col(
                format!("Rate model: {}", name(&a.rate)),
                &rt_resp,
                (0.0, rate_pulse.1 - rate_pulse.0),
            ),
        ];
        let fmt_att = |x: Option<f64>| x.map_or("inf (no rise)".to_string(), |v| format!("{v:.1}"));
        plot_pulse_compare(
            &format!(
                "Change of E rate after the pulse (baseline: mean over {:.0} ms before onset)",
                a.baseline
            ),
            &format!(
                "spiking: {sp_label}, {sp_on:.0}-{sp_off:.0} ms, {bin} ms bins, {smooth_ms:.0} ms moving average; rate: pulse {:.0}-{:.0} ms; each panel scaled to its peak (shaded: pulse); attenuation {}->{}: spiking {}, rate {}",
                rate_pulse.0,
                rate_pulse.1,
                areas[0],
                areas[to],
                fmt_att(att_sp),
                fmt_att(att_rt)
            ),
            &areas,
            &cols,
            p,
        )
        .map_err(plot_err)?;
    }
    let mut per_area = Map::new();
    let (mut pk_sp, mut pk_rt) = (Map::new(), Map::new());
    for (k, area) in areas.iter().enumerate() {
        per_area.insert(
            area.clone(),
            json!({"spiking": resp_json(&sp_resp[k]), "rate": resp_json(&rt_resp[k])}),
        );
        pk_sp.insert(area.clone(), json!(sp_resp[k].peak_hz));
        pk_rt.insert(area.clone(), json!(rt_resp[k].peak_hz));
    }
    let j = json!({
        "spiking": {
            "network": a.spiking.display().to_string(),
            "neurons": net.n_neurons(),
            "t_stop_ms": t_stop,
            "pulse": {"input": sp_label, "start_ms": sp_on, "stop_ms": sp_off},
            "rate_bin_ms": bin,
            "smooth_ms": smooth_ms,
            "simulate_s": spiking_s,
        },
        "rate": {
            "network": a.rate.display().to_string(),
            "t_stop_ms": rrun.t_ms.last().copied().unwrap_or(0.0),
            "pulse": {"start_ms": rate_pulse.0, "stop_ms": rate_pulse.1},
            "simulate_s": rate_s,
        },
        "baseline_ms": a.baseline,
        "areas": areas,
        "peak_change_hz": {"spiking": pk_sp, "rate": pk_rt},
        "per_area": per_area,
        "attenuation": {
            "from": areas[0], "to": areas[to], "spiking": att_sp, "rate": att_rt,
            "spiking_mean_during_pulse": attenuation(sp_resp[0].mean_pulse_hz, sp_resp[to].mean_pulse_hz),
            "rate_mean_during_pulse": attenuation(rt_resp[0].mean_pulse_hz, rt_resp[to].mean_pulse_hz),
        },
        "plot": a.plot.as_ref().map(|p| p.display().to_string()),
    });
    if a.json {
        println!("{j}");
        return Ok(());
    }
    println!(
        "pulse response, E populations: spiking {} ({} neurons, {sp_label} {sp_on:.0}-{sp_off:.0} ms) vs rate {} (pulse {:.0}-{:.0} ms)",
        a.spiking.display(),
        net.n_neurons(),
        a.rate.display(),
        rate_pulse.0,
        rate_pulse.1
    );
    println!("{:<8} | {:<41}| rate model", "", "spiking network");
    println!(
        "{:<8} | {:>9} {:>10} {:>10} {:>9} | {:>9} {:>10} {:>10} {:>9}",
        "area",
        "base Hz",
        "peak dHz",
        "mean dHz",
        "noise Hz",
        "base Hz",
        "peak dHz",
        "mean dHz",
        "t_peak ms"
    );
    for (k, area) in areas.iter().enumerate() {
        let (s, r) = (&sp_resp[k], &rt_resp[k]);
        println!(
            "{:<8} | {:>9.3} {:>10.3} {:>10.3} {:>9.3} | {:>9.3} {:>10.4} {:>10.4} {:>9.0}",
            area,
            s.baseline_hz,
            s.peak_hz,
            s.mean_pulse_hz,
            s.pre_max_abs_hz,
            r.baseline_hz,
            r.peak_hz,
            r.mean_pulse_hz,
            r.t_peak_ms
        );
    }
    let f = |x: Option<f64>| x.map_or("inf (no rise)".to_string(), |v| format!("{v:.2}"));
    println!(
        "attenuation {} -> {}: peak ratio spiking {}, rate {}; ratio of the means during the pulse spiking {}, rate {}",
        areas[0],
        areas[to],
        f(att_sp),
        f(att_rt),
        f(attenuation(
            sp_resp[0].mean_pulse_hz,
            sp_resp[to].mean_pulse_hz
        )),
        f(attenuation(
            rt_resp[0].mean_pulse_hz,
            rt_resp[to].mean_pulse_hz
        ))
    );
    println!(
        "(peak: largest change after the onset, spiking rates as a {smooth_ms:.0} ms moving average of {bin} ms bins; mean: unsmoothed, while the pulse is on; noise: largest |change| before the onset)"
    );
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    Ok(())
}
