//! PNG plots of rate runs (feature `plots`): stacked per-population traces of the change in
//! rate after a stimulus, and timescale per area against the hierarchy.
//!
//! Text uses DejaVu Sans embedded from `assets/DejaVuSans.ttf` (Bitstream Vera licence, see
//! `assets/README.md`), registered once with plotters' ab_glyph backend under the family
//! name `sans-serif`; no system fonts are needed.

use cortexsim_theory::rate::RateRun;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path;
use std::sync::Once;
use thiserror::Error;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// A plot could not be made or written.
#[derive(Debug, Error)]
#[error("plot {path}: {msg}")]
pub struct PlotError {
    pub path: String,
    pub msg: String,
}

fn font() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType file checked in with the crate.
        register_font("sans-serif", FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("embedded DejaVuSans.ttf is not a valid font"));
    });
}

/// Legend key: a short line in `style`.
fn key_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style)
}

fn err(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

/// Stacked traces of `pops` (top to bottom in the given order, e.g. by hierarchy): the
/// rate minus its value at `t_from_ms`, from `t_from_ms` to the end, each panel scaled to
/// its own peak (printed next to the name).
pub fn plot_traces(
    run: &RateRun,
    pops: &[&str],
    t_from_ms: f64,
    path: &Path,
) -> Result<(), PlotError> {
    font();
    if pops.is_empty() {
        return Err(err(path, "no populations to plot"));
    }
    let idx: Vec<usize> = pops
        .iter()
        .map(|p| {
            run.index_of(p)
                .ok_or_else(|| err(path, format!("no population `{p}` in the run")))
        })
        .collect::<Result<_, _>>()?;
    let k0 = run
        .t_ms
        .iter()
        .position(|&t| t >= t_from_ms)
        .ok_or_else(|| err(path, "t_from is after the end of the run"))?;
    let t_end = *run.t_ms.last().unwrap_or(&t_from_ms);
    let panel_h = 60u32;
    let (w, h) = (900u32, 60 + panel_h * pops.len() as u32 + 40);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let (title, body) = root.split_vertically(50);
    title
        .titled(
            "Change in rate after the stimulus (each panel scaled to its peak)",
            ("sans-serif", 20),
        )
        .map_err(|e| err(path, e))?;
    let (panels, axis) = body.split_vertically(panel_h * pops.len() as u32);
    let rows = panels.split_evenly((pops.len(), 1));
    let label_w = 190u32;
    for (k, (row, &i)) in rows.iter().zip(&idx).enumerate() {
        let r = &run.rates[i];
        let base = r[k0];
        let series: Vec<(f64, f64)> = run.t_ms[k0..]
            .iter()
            .zip(&r[k0..])
            .map(|(&t, &v)| (t, v - base))
            .collect();
        let (lo, hi) = series
            .iter()
            .fold((0.0f64, 0.0f64), |(l, h), &(_, v)| (l.min(v), h.max(v)));
        let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
        let (label, area) = row.split_horizontally(label_w);
        let text = TextStyle::from(("sans-serif", 14).into_font()).color(&BLACK);
        label
            .draw_text(
                &format!("{}  {}", pops[k], fmt_hz(hi)),
                &text,
                (10, (panel_h / 2 - 8) as i32),
            )
            .map_err(|e| err(path, e))?;
        let mut chart = ChartBuilder::on(&area)
            .margin_right(20)
            .margin_top(4)
            .build_cartesian_2d(t_from_ms..t_end, (lo - 0.05 * span)..(hi + 0.1 * span))
            .map_err(|e| err(path, e))?;
        let hue = k as f64 / pops.len().max(1) as f64;
        chart
            .draw_series(LineSeries::new(
                series,
                HSLColor(0.66 - 0.66 * hue, 0.8, 0.4).stroke_width(2),
            ))
            .map_err(|e| err(path, e))?;
    }
    // Time axis below the panels.
    let (_, axis) = axis.split_horizontally(label_w);
    let mut chart = ChartBuilder::on(&axis)
        .margin_right(20)
        .x_label_area_size(35)
        .build_cartesian_2d(t_from_ms..t_end, 0.0..1.0)
        .map_err(|e| err(path, e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .x_desc("time (ms)")
        .x_label_formatter(&|t| format!("{t:.0}"))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(path, e))?;
    root.present().map_err(|e| err(path, e))
}

/// Peak value with a precision that suits its size.
fn fmt_hz(v: f64) -> String {
    if v == 0.0 {
        "0 Hz".into()
    } else if v.abs() >= 1.0 {
        format!("{v:.1} Hz")
    } else {
        format!("{v:.2e} Hz")
    }
}

/// Bar chart of timescales (log axis, ms) with areas ordered by `hierarchy` (`(area,
/// h)` pairs); a timescale's name may be the area or `<area>.<pop>`. Areas without a
/// finite timescale are skipped.
pub fn plot_timescales(
    timescales: &[(String, f64)],
    hierarchy: &[(String, f64)],
    path: &Path,
) -> Result<(), PlotError> {
    font();
    let area_of = |name: &str| name.rsplit_once('.').map_or(name, |(a, _)| a).to_string();
    let mut bars: Vec<(String, f64, f64)> = timescales
        .iter()
        .filter(|(_, t)| t.is_finite() && *t > 0.0)
        .map(|(n, t)| {
            let a = area_of(n);
            let h = hierarchy
                .iter()
                .find(|(x, _)| *x == a || x == n)
                .map_or(f64::NAN, |x| x.1);
            (a, h, *t)
        })
        .collect();
    if bars.is_empty() {
        return Err(err(path, "no finite timescales to plot"));
    }
    bars.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (lo, hi) = bars.iter().fold((f64::INFINITY, 0.0f64), |(l, h), b| {
        (l.min(b.2), h.max(b.2))
    });
    let n = bars.len();
    let root = BitMapBackend::new(path, (1000, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Autocorrelation timescale per area (ordered by hierarchy)",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (0..n as i32).into_segmented(),
            ((lo * 0.7)..(hi * 1.5)).log_scale(),
        )
        .map_err(|e| err(path, e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(k) => names.get(*k as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_style(
            ("sans-serif", 11)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .y_label_formatter(&|y| format!("{y:.0}"))
        .y_desc("timescale (ms)")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(|e| err(path, e))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(k, b)| {
            let hue = if b.1.is_finite() { b.1 } else { 0.0 };
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(k as i32), lo * 0.7),
                    (SegmentValue::Exact(k as i32 + 1), b.2),
                ],
                HSLColor(0.66 - 0.66 * hue, 0.7, 0.5).filled(),
            );
            bar.set_margin(0, 0, 4, 4);
            bar
        }))
        .map_err(|e| err(path, e))?;
    root.present().map_err(|e| err(path, e))
}

/// Bifurcation diagram of a hysteresis sweep: steady rate against the parameter `param`
/// for each `(population, up, down)` series (rates at `values`); the upward branch is a
/// solid line with filled circles, the downward branch dashed-looking open circles, and
/// the optional `spontaneous` branch (per series, runs without the pulse stimuli) crosses.
pub fn plot_bifurcation(
    param: &str,
    values: &[f64],
    series: &[(String, Vec<f64>, Vec<f64>)],
    spontaneous: Option<&[Vec<f64>]>,
    path: &Path,
) -> Result<(), PlotError> {
    font();
    if values.len() < 2 || series.is_empty() {
        return Err(err(path, "need at least two values and one population"));
    }
    if let Some(sp) = spontaneous
        && (sp.len() != series.len() || sp.iter().any(|r| r.len() != values.len()))
    {
        return Err(err(path, "spontaneous branch differs in shape"));
    }
    if series
        .iter()
        .any(|(_, u, d)| u.len() != values.len() || d.len() != values.len())
    {
        return Err(err(path, "series and values differ in length"));
    }
    let (xlo, xhi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (ylo, yhi) = series
        .iter()
        .flat_map(|(_, u, d)| u.iter().chain(d))
        .chain(spontaneous.into_iter().flatten().flatten())
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    if !(ylo.is_finite() && yhi.is_finite()) {
        return Err(err(path, "no finite rates to plot"));
    }
    let span = if yhi > ylo { yhi - ylo } else { 1.0 };
    let (ylo, yhi) = (ylo - 0.05 * span, yhi + 0.05 * span);
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            if spontaneous.is_some() {
                format!("Steady rate vs {param} (solid: up, open: down, x: no pulse)")
            } else {
                format!("Steady rate vs {param} (solid: up, open: down)")
            },
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(xlo..xhi, ylo..yhi)
        .map_err(|e| err(path, e))?;
    chart
        .configure_mesh()
        .x_desc(param)
        .y_desc("rate (Hz)")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(|e| err(path, e))?;
    let n = series.len();
    for (k, (name, up, down)) in series.iter().enumerate() {
        let color = HSLColor(
            0.66 - 0.66 * k as f64 / n.max(2).saturating_sub(1) as f64,
            0.8,
            0.4,
        );
        let pts = |r: &[f64]| -> Vec<(f64, f64)> {
            values
                .iter()
                .zip(r)
                .filter(|(_, v)| v.is_finite())
                .map(|(&x, &y)| (x, y))
                .collect()
        };
        let (pu, pd) = (pts(up), pts(down));
        chart
            .draw_series(LineSeries::new(pu.clone(), color.stroke_width(2)))
            .map_err(|e| err(path, e))?
            .label(name.as_str())
            .legend(key_line(color.stroke_width(2)));
        chart
            .draw_series(pu.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(|e| err(path, e))?;
        chart
            .draw_series(LineSeries::new(pd.clone(), color.mix(0.5).stroke_width(1)))
            .map_err(|e| err(path, e))?;
        chart
            .draw_series(pd.iter().map(|&p| Circle::new(p, 6, color.stroke_width(2))))
            .map_err(|e| err(path, e))?;
        if let Some(sp) = spontaneous {
            let ps = pts(&sp[k]);
            chart
                .draw_series(ps.iter().map(|&p| Cross::new(p, 6, color.stroke_width(2))))
                .map_err(|e| err(path, e))?;
        }
    }
    if n <= 12 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(|e| err(path, e))?;
    }
    root.present().map_err(|e| err(path, e))
}

/// Maximum number of panels of [`plot_step_response`].
pub const MAX_STEP_PANELS: usize = 8;

/// Spiking population rates against the nonlinear (Siegert) and linearised rate
/// models around a current step: one panel per population (the first
/// [`MAX_STEP_PANELS`]), time from `t_from_ms` on, the step onset marked by a
/// dashed vertical line, legend in the first panel. The Siegert model is drawn
/// wide and the linearised model narrow on top, so both stay visible where they
/// coincide.
pub fn plot_step_response(
    title: &str,
    models: &cortexsim_protocols::compare::RateModels,
    spiking: &cortexsim_protocols::compare::StepResponse,
    t_from_ms: f64,
    path: &Path,
) -> Result<(), PlotError> {
    font();
    let names = &models.nonlinear_run.pop_names;
    let n = names.len().min(MAX_STEP_PANELS);
    if n == 0 {
        return Err(err(path, "no populations to plot"));
    }
    let t_end = models
        .nonlinear_run
        .t_ms
        .last()
        .copied()
        .unwrap_or(t_from_ms);
    if t_end <= t_from_ms {
        return Err(err(path, "nothing to plot after t_from"));
    }
    let cols = if n > 4 { 2 } else { 1 };
    let rows = n.div_ceil(cols);
    let (w, h) = (
        if cols == 2 { 1400u32 } else { 1000 },
        70 + 260 * rows as u32,
    );
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let (head, body) = root.split_vertically(60);
    head.draw_text(
        title,
        &TextStyle::from(("sans-serif", 20).into_font()).color(&BLACK),
        (15, 8),
    )
    .map_err(|e| err(path, e))?;
    let sub = format!(
        "step at {:.0} ms: +{} pA (mu +{} mV); rate-model tau = {:.1} ms; spiking: {:.0} ms bins, {}-bin moving average",
        models.t_step_ms,
        fmt_list(&models.step_pa[..n]),
        fmt_list(&models.step_mu_mv[..n]),
        models.rate_tau_ms,
        spiking.bin_ms,
        2 * spiking.smooth_bins + 1
    );
    head.draw_text(
        &sub,
        &TextStyle::from(("sans-serif", 13).into_font()).color(&BLACK.mix(0.8)),
        (15, 36),
    )
    .map_err(|e| err(path, e))?;
    let panels = body.split_evenly((rows, cols));
    let in_window = |t: &[f64], v: &[f64]| -> Vec<(f64, f64)> {
        t.iter()
            .zip(v)
            .filter(|(t, _)| **t >= t_from_ms && **t <= t_end)
            .map(|(&t, &v)| (t, v))
            .collect()
    };
    let spike_col = RGBColor(150, 150, 150);
    let nl_col = RGBColor(20, 90, 200);
    let lin_col = RGBColor(210, 60, 30);
    for (a, area) in panels.iter().enumerate().take(n) {
        let s = in_window(&spiking.t_ms, &spiking.rates_hz[a]);
        let nl = in_window(&models.nonlinear_run.t_ms, &models.nonlinear_run.rates[a]);
        let lin = in_window(&models.linearised_run.t_ms, &models.linearised_run.rates[a]);
        let (lo, hi) = s
            .iter()
            .chain(&nl)
            .chain(&lin)
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(v), h.max(v))
            });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let span = if hi > lo { hi - lo } else { 1.0 };
        let (ylo, yhi) = ((lo - 0.08 * span).max(0.0), hi + 0.08 * span);
        let tau = models.linearised.network.pops[a].tau_ms;
        let fitted = models.linearised.fits[a].is_some();
        let caption = format!(
            "{}: tau_eff = {}",
            names[a],
            if fitted {
                format!("{tau:.2} ms")
            } else {
                "no fit".into()
            }
        );
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(t_from_ms..t_end, ylo..yhi)
            .map_err(|e| err(path, e))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .x_desc("time (ms)")
            .y_desc("rate (Hz)")
            .x_label_formatter(&|t| format!("{t:.0}"))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()
            .map_err(|e| err(path, e))?;
        // step onset: dashed vertical line
        let dashes = (0..40).filter(|k| k % 2 == 0).map(|k| {
            let y0 = ylo + (yhi - ylo) * k as f64 / 40.0;
            let y1 = ylo + (yhi - ylo) * (k + 1) as f64 / 40.0;
            PathElement::new(
                vec![(models.t_step_ms, y0), (models.t_step_ms, y1)],
                BLACK.mix(0.6).stroke_width(1),
            )
        });
        chart.draw_series(dashes).map_err(|e| err(path, e))?;
        chart
            .draw_series(LineSeries::new(s, spike_col.stroke_width(1)))
            .map_err(|e| err(path, e))?
            .label("spiking network")
            .legend(key_line(spike_col.stroke_width(3)));
        chart
            .draw_series(LineSeries::new(nl, nl_col.stroke_width(4)))
            .map_err(|e| err(path, e))?
            .label("Siegert rate model")
            .legend(key_line(nl_col.stroke_width(3)));
        chart
            .draw_series(LineSeries::new(lin, lin_col.stroke_width(2)))
            .map_err(|e| err(path, e))?
            .label("linearised (tau_eff) model")
            .legend(key_line(lin_col.stroke_width(3)));
        if a == 0 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.5))
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(|e| err(path, e))?;
        }
    }
    root.present().map_err(|e| err(path, e))
}

/// `a, b, c` with 3 significant digits, or one value if all are equal.
fn fmt_list(v: &[f64]) -> String {
    let f = |x: f64| format!("{x:.3}");
    if v.windows(2).all(|w| w[0] == w[1]) {
        v.first().map_or(String::new(), |&x| f(x))
    } else {
        v.iter().map(|&x| f(x)).collect::<Vec<_>>().join(", ")
    }
}

/// One population of a spike raster ([`plot_raster`]); built by
/// [`cortexsim_protocols::raster::raster_pops`].
pub use cortexsim_protocols::raster::RasterPop;

/// A shaded time window (e.g. a stimulus): `(label, start ms, stop ms)`.
pub type Window = (String, f64, f64);

fn pop_color(k: usize, n: usize) -> HSLColor {
    HSLColor(
        0.7 * k as f64 / n.max(2).saturating_sub(1) as f64,
        0.75,
        0.4,
    )
}

/// Spike raster of `pops` stacked top to bottom in the given order (each population a band
/// of its drawn neurons), with the binned population rates of the same populations
/// underneath (same colours, legend) and the `windows` shaded in both.
pub fn plot_raster(
    title: &str,
    pops: &[RasterPop],
    bin_ms: f64,
    t_stop_ms: f64,
    windows: &[Window],
    path: &Path,
) -> Result<(), PlotError> {
    font();
    let n = pops.len();
    if n == 0 {
        return Err(err(path, "no populations to plot"));
    }
    if !(t_stop_ms > 0.0 && bin_ms > 0.0) {
        return Err(err(path, "nothing to plot (empty run or bin)"));
    }
    let label_w = 110u32;
    let raster_h = (90 * n as u32).max(360);
    let rate_h = 340u32;
    let (w, h) = (1200u32, 50 + raster_h + rate_h);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let (head, body) = root.split_vertically(50);
    head.draw_text(
        title,
        &TextStyle::from(("sans-serif", 20).into_font()).color(&BLACK),
        (15, 8),
    )
    .map_err(|e| err(path, e))?;
    let shown: u32 = pops.iter().map(|p| p.drawn).sum();
    let total: u32 = pops.iter().map(|p| p.size).sum();
    head.draw_text(
        &format!(
            "raster: {shown} of {total} neurons (at most 200 per population, evenly spaced); rates: all neurons, {bin_ms} ms bins"
        ),
        &TextStyle::from(("sans-serif", 13).into_font()).color(&BLACK.mix(0.8)),
        (15, 32),
    )
    .map_err(|e| err(path, e))?;
    let (top, bottom) = body.split_vertically(raster_h);
    let shade = RGBColor(255, 200, 80).mix(0.3);
    // Raster.
    let mut chart = ChartBuilder::on(&top)
        .margin_left(8)
        .margin_right(25)
        .margin_top(5)
        .x_label_area_size(40)
        .y_label_area_size(label_w)
        .build_cartesian_2d(0.0..t_stop_ms, 0.0..n as f64)
        .map_err(|e| err(path, e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .y_labels(0)
        .x_desc("time (ms)")
        .x_label_formatter(&|t| format!("{t:.0}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(|e| err(path, e))?;
    chart
        .draw_series(
            windows
                .iter()
                .map(|(_, a, b)| Rectangle::new([(*a, 0.0), (*b, n as f64)], shade.filled())),
        )
        .map_err(|e| err(path, e))?;
    for k in 1..n {
        let y = (n - k) as f64;
        chart
            .draw_series(LineSeries::new(
                [(0.0, y), (t_stop_ms, y)],
                BLACK.mix(0.4).stroke_width(1),
            ))
            .map_err(|e| err(path, e))?;
    }
    for (k, p) in pops.iter().enumerate() {
        let color = pop_color(k, n);
        let base = (n - 1 - k) as f64;
        let rows = p.drawn.max(1) as f64;
        chart
            .draw_series(p.spikes.iter().map(|&(t, r)| {
                let y = base + 0.03 + 0.94 * (r as f64 + 0.5) / rows;
                Circle::new((t, y), 1, color.filled())
            }))
            .map_err(|e| err(path, e))?;
        let (px, py) = chart.backend_coord(&(0.0, base + 0.5));
        let text = TextStyle::from(("sans-serif", 14).into_font()).color(&color);
        root.draw_text(&p.name, &text, (px - label_w as i32 + 8, py - 16))
            .map_err(|e| err(path, e))?;
        let grey = BLACK.mix(0.7);
        let small = TextStyle::from(("sans-serif", 11).into_font()).color(&grey);
        root.draw_text(
            &format!("{} of {}", p.drawn, p.size),
            &small,
            (px - label_w as i32 + 8, py + 2),
        )
        .map_err(|e| err(path, e))?;
    }
    // Rates.
    let centers = |r: &[f64]| -> Vec<(f64, f64)> {
        r.iter()
            .enumerate()
            .map(|(i, &v)| (((i as f64 + 0.5) * bin_ms).min(t_stop_ms), v))
            .collect()
    };
    let top_rate = pops
        .iter()
        .flat_map(|p| p.rate_hz.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let top_rate = if top_rate > 0.0 { top_rate * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(&bottom)
        .margin_left(8)
        .margin_right(25)
        .margin_top(10)
        .margin_bottom(5)
        .x_label_area_size(45)
        .y_label_area_size(label_w)
        .build_cartesian_2d(0.0..t_stop_ms, 0.0..top_rate)
        .map_err(|e| err(path, e))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_desc("time (ms)")
        .y_desc("population rate (Hz)")
        .x_label_formatter(&|t| format!("{t:.0}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(|e| err(path, e))?;
    for (label, a, b) in windows {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(*a, 0.0), (*b, top_rate)],
                shade.filled(),
            )))
            .map_err(|e| err(path, e))?
            .label(label.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], shade.filled()));
    }
    for (k, p) in pops.iter().enumerate() {
        let color = pop_color(k, n);
        chart
            .draw_series(LineSeries::new(centers(&p.rate_hz), color.stroke_width(2)))
            .map_err(|e| err(path, e))?
            .label(p.name.as_str())
            .legend(key_line(color.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.5))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| err(path, e))?;
    root.present().map_err(|e| err(path, e))
}

/// One model's column of [`plot_pulse_compare`].
#[derive(Debug, Clone)]
pub struct PulseColumn {
    /// Column heading.
    pub title: String,
    /// Sample times relative to the pulse onset (ms).
    pub t_ms: Vec<f64>,
    /// Change of rate from baseline (Hz), `[area][sample]`, areas in the plot's order.
    pub change_hz: Vec<Vec<f64>>,
    /// Peak change per area (Hz), printed next to the panel.
    pub peak_hz: Vec<f64>,
    /// Noise level per area (Hz): a peak at or below it is printed in grey, marked `(noise)`.
    pub noise_hz: Vec<f64>,
    /// Pulse window relative to its onset (ms).
    pub pulse_ms: (f64, f64),
}

/// Change of the E rate after a pulse per area (rows, top to bottom in the given order),
/// one column per model side by side; each panel is scaled to its own peak, printed in
/// the panel; the pulse is shaded.
pub fn plot_pulse_compare(
    title: &str,
    subtitle: &str,
    areas: &[String],
    cols: &[PulseColumn],
    path: &Path,
) -> Result<(), PlotError> {
    font();
    let n = areas.len();
    if n == 0 || cols.is_empty() {
        return Err(err(path, "no areas or models to plot"));
    }
    for c in cols {
        if c.change_hz.len() != n
            || c.peak_hz.len() != n
            || c.noise_hz.len() != n
            || c.t_ms.len() < 2
        {
            return Err(err(path, format!("column `{}`: wrong sizes", c.title)));
        }
    }
    let label_w = 70u32;
    let row_h = 42u32;
    let (head_h, colhead_h, axis_h) = (70u32, 30u32, 50u32);
    let col_w = 620u32;
    let peak_w = 125u32;
    let w = label_w + col_w * cols.len() as u32 + 10;
    let h = head_h + colhead_h + row_h * n as u32 + axis_h;
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    let black = |s: u32| TextStyle::from(("sans-serif", s).into_font()).color(&BLACK);
    root.draw_text(title, &black(20), (15, 8))
        .map_err(|e| err(path, e))?;
    root.draw_text(
        subtitle,
        &TextStyle::from(("sans-serif", 13).into_font()).color(&BLACK.mix(0.8)),
        (15, 38),
    )
    .map_err(|e| err(path, e))?;
    let body = root.margin(head_h, 0, 0, 0);
    let (labels, rest) = body.split_horizontally(label_w);
    for (i, a) in areas.iter().enumerate() {
        let y = (colhead_h + row_h * i as u32 + row_h / 2) as i32 - 8;
        labels
            .draw_text(a, &black(14), (10, y))
            .map_err(|e| err(path, e))?;
    }
    let shade = RGBColor(255, 200, 80).mix(0.35);
    let columns = rest.split_evenly((1, cols.len()));
    for (ci, (area, c)) in columns.iter().zip(cols).enumerate() {
        let (chead, cbody) = area.split_vertically(colhead_h);
        chead
            .draw_text(&c.title, &black(15), (10, 6))
            .map_err(|e| err(path, e))?;
        chead
            .draw_text("peak change", &black(13), ((col_w - peak_w + 8) as i32, 8))
            .map_err(|e| err(path, e))?;
        let (panels, axis) = cbody.split_vertically(row_h * n as u32);
        let (t0, t1) = (c.t_ms[0], *c.t_ms.last().unwrap_or(&0.0));
        let color = if ci == 0 {
            RGBColor(30, 30, 30)
        } else {
            RGBColor(20, 90, 200)
        };
        for (i, row) in panels.split_evenly((n, 1)).iter().enumerate() {
            let v = &c.change_hz[i];
            let (lo, hi) = v
                .iter()
                .filter(|x| x.is_finite())
                .fold((0.0f64, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
            let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
            let mut chart = ChartBuilder::on(row)
                .margin_right(peak_w)
                .margin_top(3)
                .margin_bottom(3)
                .build_cartesian_2d(t0..t1, (lo - 0.05 * span)..(hi + 0.15 * span))
                .map_err(|e| err(path, e))?;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [
                        (c.pulse_ms.0, lo - 0.05 * span),
                        (c.pulse_ms.1.min(t1), hi + 0.15 * span),
                    ],
                    shade.filled(),
                )))
                .map_err(|e| err(path, e))?;
            chart
                .draw_series(LineSeries::new([(t0, 0.0), (t1, 0.0)], BLACK.mix(0.3)))
                .map_err(|e| err(path, e))?;
            chart
                .draw_series(LineSeries::new(
                    c.t_ms.iter().zip(v).map(|(&t, &x)| (t, x)),
                    color.stroke_width(2),
                ))
                .map_err(|e| err(path, e))?;
            let (pk, noisy) = (c.peak_hz[i], c.peak_hz[i] <= c.noise_hz[i]);
            let ink = BLACK.mix(if noisy { 0.45 } else { 1.0 });
            let style = TextStyle::from(("sans-serif", 13).into_font()).color(&ink);
            row.draw_text(
                &format!("{}{}", fmt_sig_hz(pk), if noisy { " (noise)" } else { "" }),
                &style,
                (col_w as i32 - peak_w as i32 + 8, row_h as i32 / 2 - 8),
            )
            .map_err(|e| err(path, e))?;
            row.draw(&PathElement::new(
                vec![(0, row_h as i32 - 1), (col_w as i32, row_h as i32 - 1)],
                BLACK.mix(0.15),
            ))
            .map_err(|e| err(path, e))?;
        }
        let mut chart = ChartBuilder::on(&axis)
            .margin_right(peak_w)
            .x_label_area_size(45)
            .build_cartesian_2d(t0..t1, 0.0..1.0)
            .map_err(|e| err(path, e))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_y_axis()
            .x_desc("time after pulse onset (ms)")
            .x_label_formatter(&|t| format!("{t:.0}"))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()
            .map_err(|e| err(path, e))?;
    }
    root.present().map_err(|e| err(path, e))
}

/// A rate with three significant digits (plain notation down to 0.001 Hz).
fn fmt_sig_hz(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() {
        format!("{v} Hz")
    } else if a >= 100.0 {
        format!("{v:.0} Hz")
    } else if a >= 0.001 {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$} Hz")
    } else {
        format!("{v:.2e} Hz")
    }
}
