//! Spike rasters of `cortexsim run --plot` on spiking networks, and `cortexsim
//! pulse-compare`: the change of the E rate of every area after an input pulse, spiking
//! network against rate model.

#[cfg(feature = "plots")]
use super::rate::plot_err;
use super::rate::{claim_plot, commit_plot};
use super::{BuildOptions, Failure, NetArgs, parse_bytes};
use clap::Args;
use cortexsim::models;
#[cfg(feature = "plots")]
use cortexsim::protocols::pulse::Response;
use cortexsim::protocols::pulse::{PulseComparison, PulseModels, PulseOptions, pulse_compare};
#[cfg(feature = "plots")]
pub use cortexsim::protocols::raster::raster_pops;
pub use cortexsim::protocols::raster::stimulus_windows;
use serde_json::json;
use std::path::{Path, PathBuf};

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
    /// Attenuation is reported as peak(first area) / peak(this area); when the models do
    /// not share this area, the last area by hierarchy is used.
    #[arg(long, value_name = "AREA", default_value = "24c")]
    pub attenuation_to: String,
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
    let plot_out = claim_plot(a.plot.as_deref())?;
    let max_memory = a.max_memory.as_deref().map(parse_bytes).transpose()?;
    let data = a.data.as_deref();
    let rate_args = NetArgs {
        network: a.rate.clone(),
        set: a.rate_set.clone(),
        t_stop: None,
        seed: None,
    };
    let rf = rate_args.load_rate(data, "pulse-compare (second file)")?;
    let sp_args = NetArgs {
        network: a.spiking.clone(),
        set: a.set.clone(),
        t_stop: None,
        seed: a.seed,
    };
    let net = sp_args.load_with_data(data)?;
    let (spiking_name, rate_name) = (
        a.spiking.display().to_string(),
        a.rate.display().to_string(),
    );
    let models = PulseModels {
        spiking: &net,
        spiking_name: &spiking_name,
        rate: &rf,
        rate_name: &rate_name,
        hierarchy: spiking_hierarchy(&sp_args, data)?.or_else(|| rf.hierarchy.clone()),
    };
    let opts = PulseOptions {
        baseline_ms: a.baseline,
        smooth_ms: a.smooth,
        attenuation_to: a.attenuation_to.clone(),
        build: BuildOptions {
            threads: a.threads.unwrap_or(0),
            max_memory,
            keep_spikes: false,
            ..Default::default()
        },
    };
    let c = pulse_compare(&models, &opts).map_err(Failure::protocol)?;
    super::print_warnings(&c.warnings);
    #[cfg(feature = "plots")]
    if let Some(po) = &plot_out {
        plot(&a, &c, po.temp())?;
    }
    commit_plot(plot_out)?;
    if a.json {
        let mut j = c.to_json(&spiking_name, &rate_name);
        j["plot"] = json!(a.plot.as_ref().map(|p| p.display().to_string()));
        println!("{j}");
        return Ok(());
    }
    print_comparison(&a, &c);
    Ok(())
}

/// The pulse comparison figure: the change of rate per area, spiking and rate model.
#[cfg(feature = "plots")]
fn plot(a: &PulseCompareArgs, c: &PulseComparison, p: &Path) -> Result<(), Failure> {
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
    let (sp_label, sp_on, sp_off) = &c.spiking_pulse;
    let rate_pulse = c.rate_pulse;
    let per_area = c.spiking_neurons as f64 / (c.spiking_populations as f64 / 2.0);
    let cols = [
        col(
            format!(
                "Spiking network: {} ({:.0} neurons/area)",
                name(&a.spiking),
                per_area
            ),
            &c.spiking,
            (0.0, sp_off - sp_on),
        ),
        col(
            format!("Rate model: {}", name(&a.rate)),
            &c.rate,
            (0.0, rate_pulse.1 - rate_pulse.0),
        ),
    ];
    let fmt_att = |x: Option<f64>| x.map_or("inf (no rise)".to_string(), |v| format!("{v:.1}"));
    let (att_sp, att_rt) = c.attenuation();
    plot_pulse_compare(
        &format!(
            "Change of E rate after the pulse (baseline: mean over {:.0} ms before onset)",
            c.baseline_ms
        ),
        &format!(
            "spiking: {sp_label}, {sp_on:.0}-{sp_off:.0} ms, {} ms bins, {:.0} ms moving average; rate: pulse {:.0}-{:.0} ms; each panel scaled to its peak (shaded: pulse); attenuation {}->{}: spiking {}, rate {}",
            c.rate_bin_ms,
            c.smooth_ms,
            rate_pulse.0,
            rate_pulse.1,
            c.areas[0],
            c.areas[c.to],
            fmt_att(att_sp),
            fmt_att(att_rt)
        ),
        &c.areas,
        &cols,
        p,
    )
    .map_err(plot_err)
}

/// The comparison as a text table, one row per area.
fn print_comparison(a: &PulseCompareArgs, c: &PulseComparison) {
    let (sp_label, sp_on, sp_off) = &c.spiking_pulse;
    println!(
        "pulse response, E populations: spiking {} ({} neurons, {sp_label} {sp_on:.0}-{sp_off:.0} ms) vs rate {} (pulse {:.0}-{:.0} ms)",
        a.spiking.display(),
        c.spiking_neurons,
        a.rate.display(),
        c.rate_pulse.0,
        c.rate_pulse.1
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
    for (k, area) in c.areas.iter().enumerate() {
        let (s, r) = (&c.spiking[k], &c.rate[k]);
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
    let (att_sp, att_rt) = c.attenuation();
    let (mean_sp, mean_rt) = c.attenuation_of_means();
    println!(
        "attenuation {} -> {}: peak ratio spiking {}, rate {}; ratio of the means during the pulse spiking {}, rate {}",
        c.areas[0],
        c.areas[c.to],
        f(att_sp),
        f(att_rt),
        f(mean_sp),
        f(mean_rt)
    );
    println!(
        "(peak: largest change after the onset, spiking rates as a {:.0} ms moving average of {} ms bins; mean: unsmoothed, while the pulse is on; noise: largest |change| before the onset)",
        c.smooth_ms, c.rate_bin_ms
    );
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
}
