//! PNG plots (feature `plots`): stacked per-population traces of the change in rate after a
//! stimulus, timescale per area against the hierarchy, bifurcation diagrams of parameter
//! sweeps, step responses of spiking vs rate models, spike rasters with population rates,
//! side-by-side pulse responses, phase planes of two-variable models and psychometric /
//! chronometric curves of decision trials.
//!
//! plotters draws the data (lines, markers, rectangles); everything else — text, axes, tick
//! labels, legends — is drawn here:
//!
//! * **Text.** plotters 0.3.7's `ab_glyph` text renderer places every glyph by the corner of
//!   its ink box instead of by its origin: the left side bearing is dropped (so "M" moves
//!   left and "MT" reads "M T", "Spiking" reads "Spikin g") and the vertical offset is
//!   truncated per glyph (a decimal point lands a pixel above the baseline: "17·2").
//!   So no text goes through plotters: the embedded font (DejaVu Sans,
//!   `assets/DejaVuSans.ttf`, Bitstream Vera licence, see `assets/README.md`; no system fonts
//!   needed) is read with `ab_glyph` (advances, kerning, outlines, exact area coverage), and
//!   this module places every glyph at its sub-pixel pen position on one whole-pixel
//!   baseline.
//! * **Axes.** Linear ticks at 1/2/5 steps with as many decimals as the step needs (no
//!   "35.0"); log axes labelled at decades and at 2 and 5 in plain decimal notation (20, 50,
//!   100, 200, ...) with unlabelled ticks in between; every axis title carries its unit.
//! * **Legends** sit beside or above the plotting area, never on the data.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, point};
use cortexsim_theory::rate::RateRun;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use thiserror::Error;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// A plot could not be made or written.
#[derive(Debug, Error)]
#[error("plot {path}: {msg}")]
pub struct PlotError {
    pub path: String,
    pub msg: String,
}

fn err(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

/// `.at(path)`: any displayable error as a [`PlotError`] for `path`.
trait At<T> {
    fn at(self, path: &Path) -> Result<T, PlotError>;
}

impl<T, E: std::fmt::Display> At<T> for Result<T, E> {
    fn at(self, path: &Path) -> Result<T, PlotError> {
        self.map_err(|e| err(path, e))
    }
}

// ---------------------------------------------------------------------------------------
// Font: the embedded face through ab_glyph (the crate plotters itself uses)
// ---------------------------------------------------------------------------------------

/// The embedded font and the metrics the layout needs, in font units.
struct Face {
    font: FontRef<'static>,
    /// Font units per em.
    upem: f32,
    /// Ascender, descender (positive, below the baseline) and capital height.
    asc: f32,
    desc: f32,
    cap: f32,
}

impl Face {
    /// Glyph of `c` (0, the missing-glyph box, for characters outside the font).
    fn glyph(&self, c: char) -> GlyphId {
        self.font.glyph_id(c)
    }

    /// Advance width, font units.
    fn advance(&self, g: GlyphId) -> f32 {
        self.font.h_advance_unscaled(g)
    }

    /// Kerning between `l` and `r`, font units.
    fn kerning(&self, l: GlyphId, r: GlyphId) -> f32 {
        self.font.kern_unscaled(l, r)
    }

    /// `ab_glyph`'s scale (the pixel height of ascender to descender) for `sc` pixels per
    /// font unit.
    fn px_scale(&self, sc: f32) -> PxScale {
        PxScale::from(sc * self.font.height_unscaled())
    }
}

fn face() -> &'static Face {
    static FACE: OnceLock<Face> = OnceLock::new();
    // The bytes are a TrueType file checked in with the crate (see the module docs).
    FACE.get_or_init(|| {
        let font =
            FontRef::try_from_slice(FONT).expect("embedded DejaVuSans.ttf is not a valid font");
        // Capital height: the extent of "H", which stands on the baseline.
        let cap = font
            .outline(font.glyph_id('H'))
            .map_or(0.7 * font.height_unscaled(), |o| o.bounds.height().abs());
        Face {
            upem: font.units_per_em().unwrap_or(2048.0),
            asc: font.ascent_unscaled(),
            desc: -font.descent_unscaled(),
            cap,
            font,
        }
    })
}

// ---------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------

/// Text sizes (em, pixels).
const TITLE: f32 = 20.0;
const SUBTITLE: f32 = 13.0;
const AXIS: f32 = 15.0;
const TICK: f32 = 13.0;
const LEGEND: f32 = 13.0;
const SMALL: f32 = 11.5;

/// Horizontal anchor (along the text).
#[derive(Clone, Copy, PartialEq)]
enum H {
    Left,
    Center,
    Right,
}

/// Vertical anchor: the top of the ascenders, the middle of the capitals (and digits), the
/// baseline, or the bottom of the descenders.
#[derive(Clone, Copy, PartialEq)]
enum V {
    Top,
    Middle,
    Baseline,
    Bottom,
}

/// How to draw a string.
#[derive(Clone, Copy)]
struct Txt {
    size: f32,
    color: RGBAColor,
    h: H,
    v: V,
    /// Rotated 90° anticlockwise (reads bottom to top).
    up: bool,
}

impl Txt {
    fn new(size: f32) -> Txt {
        Txt {
            size,
            color: BLACK.to_rgba(),
            h: H::Left,
            v: V::Top,
            up: false,
        }
    }
    fn color(mut self, c: impl Color) -> Txt {
        self.color = c.to_rgba();
        self
    }
    fn at(mut self, h: H, v: V) -> Txt {
        self.h = h;
        self.v = v;
        self
    }
    fn up(mut self) -> Txt {
        self.up = true;
        self
    }
}

/// Pixels per font unit at `size`, nudged (by at most half a pixel of capital height) so
/// that capitals and digits span whole pixels: with the baseline on a pixel edge their tops
/// and bottoms are then sharp.
fn scale(size: f32) -> f32 {
    let f = face();
    let cap = f.cap * size / f.upem;
    let snapped = cap.round().max(1.0);
    snapped / f.cap
}

/// Glyphs of `s` with their pen positions (pixels) and the advance of the whole string.
fn layout(s: &str, sc: f32) -> (Vec<(GlyphId, f32)>, f32) {
    let f = face();
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let g = f.glyph(c);
        if let Some(p) = prev {
            pen += f.kerning(p, g) * sc;
        }
        out.push((g, pen));
        pen += f.advance(g) * sc;
        prev = Some(g);
    }
    (out, pen)
}

/// `s` split into lines no wider than `max_w` pixels at `size`: after "; " where possible,
/// else at spaces (a single word wider than `max_w` stays on its own line).
fn wrap(s: &str, size: f32, max_w: i32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for piece in s.split_inclusive("; ") {
        let candidate = format!("{cur}{piece}");
        if cur.is_empty() || text_width(candidate.trim_end(), size) <= max_w {
            cur = candidate;
        } else {
            lines.push(cur.trim_end().to_string());
            cur = piece.to_string();
        }
    }
    if !cur.is_empty() {
        lines.push(cur.trim_end().to_string());
    }
    // A clause still too wide: break it at spaces.
    lines
        .into_iter()
        .flat_map(|l| {
            if text_width(&l, size) <= max_w {
                return vec![l];
            }
            let mut out: Vec<String> = Vec::new();
            for word in l.split(' ') {
                match out.last_mut() {
                    Some(last) if text_width(&format!("{last} {word}"), size) <= max_w => {
                        last.push(' ');
                        last.push_str(word);
                    }
                    _ => out.push(word.to_string()),
                }
            }
            out
        })
        .collect()
}

/// Width of `s` in pixels at `size`.
fn text_width(s: &str, size: f32) -> i32 {
    layout(s, scale(size)).1.ceil() as i32
}

/// Height of a line of text at `size` (ascender to descender), pixels.
fn line_height(size: f32) -> i32 {
    let f = face();
    ((f.asc + f.desc) * scale(size)).ceil() as i32
}

/// Draw `s` anchored at `pos` (pixels of `area`).
fn put(area: &Area, path: &Path, s: &str, pos: (i32, i32), t: Txt) -> Result<(), PlotError> {
    if s.is_empty() || t.color.3 <= 0.0 {
        return Ok(());
    }
    let f = face();
    let sc = scale(t.size);
    let (glyphs, width) = layout(s, sc);
    // Along the text: start of the pen, split into whole pixels and a fraction that the
    // raster takes (sub-pixel placement keeps centred and right-aligned text exact).
    let u0 = match t.h {
        H::Left => 0.0,
        H::Center => -0.5 * width,
        H::Right => -width,
    };
    let (ui, uf) = (u0.floor(), u0 - u0.floor());
    let ascent = (f.asc * sc).ceil();
    let descent = (f.desc * sc).ceil();
    // Across the text: from the anchor down to the baseline.
    let base = match t.v {
        V::Top => ascent,
        V::Middle => (0.5 * f.cap * sc).round(),
        V::Baseline => 0.0,
        V::Bottom => -descent,
    };
    let pad = (0.3 * t.size).ceil() + 2.0;
    let top = ascent + 1.0;
    let (w, h) = (
        (width + uf + 2.0 * pad).ceil() as usize,
        (top + descent + 2.0) as usize,
    );
    // Coverage of all glyphs on one pixel grid: every glyph's origin on the same baseline
    // row, at its exact (sub-pixel) pen position along the text.
    let mut cov = vec![0.0f32; w * h];
    let px = f.px_scale(sc);
    for &(g, pen) in &glyphs {
        let Some(og) = f
            .font
            .outline_glyph(g.with_scale_and_position(px, point(pad + uf + pen, top)))
        else {
            continue;
        };
        let b = og.px_bounds();
        og.draw(|x, y, c| {
            let (i, j) = (b.min.x as i64 + x as i64, b.min.y as i64 + y as i64);
            if (0..w as i64).contains(&i) && (0..h as i64).contains(&j) {
                cov[j as usize * w + i as usize] += c;
            }
        });
    }
    for j in 0..h {
        for i in 0..w {
            let c = cov[j * w + i].min(1.0);
            if c < 1.0 / 255.0 {
                continue;
            }
            let du = (ui + i as f32 - pad) as i32;
            let dv = (base + j as f32 - top) as i32;
            let p = if t.up {
                (pos.0 + dv, pos.1 - du - 1)
            } else {
                (pos.0 + du, pos.1 + dv)
            };
            let a = t.color.3 * (c as f64).powf(INK_GAMMA);
            area.draw_pixel(p, &RGBAColor(t.color.0, t.color.1, t.color.2, a))
                .at(path)?;
        }
    }
    Ok(())
}

/// Coverage to opacity: slightly below 1 darkens thin stems of small unhinted text, which
/// linear blending in sRGB otherwise renders too light.
const INK_GAMMA: f64 = 0.8;

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

// ---------------------------------------------------------------------------------------
// Numbers, ticks, axes, legends
// ---------------------------------------------------------------------------------------

/// `v` with `decimals` decimals and a real minus sign.
fn fmt_num(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    if v < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        format!("\u{2212}{s}")
    } else {
        s
    }
}

/// A tick: value, and its label (`None`: a minor tick).
struct Tick {
    v: f64,
    label: Option<String>,
}

/// Ticks at multiples of 1, 2 or 5 × 10^k, at most about `max_n` of them, labelled with
/// the decimals the step needs.
fn linear_ticks(lo: f64, hi: f64, max_n: usize) -> Vec<Tick> {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let raw = (hi - lo) / max_n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    let k0 = (lo / step - 1e-6).ceil() as i64;
    let k1 = (hi / step + 1e-6).floor() as i64;
    (k0..=k1)
        .map(|k| {
            let v = k as f64 * step;
            Tick {
                v,
                label: Some(fmt_num(
                    if v.abs() < 0.5 * step { 0.0 } else { v },
                    decimals,
                )),
            }
        })
        .collect()
}

/// The largest of 1, 2, 5 × 10^k at or below `v` (`up`: the smallest at or above).
fn nice_125(v: f64, up: bool) -> f64 {
    let mag = 10f64.powf(v.log10().floor());
    let m = v / mag;
    let steps = [1.0, 2.0, 5.0, 10.0];
    if up {
        steps
            .iter()
            .find(|&&s| s >= m * (1.0 - 1e-9))
            .unwrap_or(&10.0)
            * mag
    } else {
        steps
            .iter()
            .rev()
            .find(|&&s| s <= m * (1.0 + 1e-9))
            .unwrap_or(&1.0)
            * mag
    }
}

/// Log-axis ticks in `[lo, hi]`: 1, 2, …, 9 × 10^k; decades labelled, 2 and 5 labelled
/// when `label_2_5`, in plain decimal notation (0.02, 0.5, 20, 500, 2000).
fn log_ticks(lo: f64, hi: f64, label_2_5: bool) -> Vec<Tick> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in (lo.log10().floor() as i32)..=(hi.log10().ceil() as i32) {
        let mag = 10f64.powi(e);
        for m in 1..10 {
            let v = m as f64 * mag;
            if v < lo * (1.0 - 1e-9) || v > hi * (1.0 + 1e-9) {
                continue;
            }
            let labelled = m == 1 || (label_2_5 && (m == 2 || m == 5));
            out.push(Tick {
                v,
                label: labelled.then(|| fmt_num(v, (-e).max(0) as usize)),
            });
        }
    }
    out
}

/// The plotting area of a chart in pixels: left, top, right, bottom edges.
#[derive(Clone, Copy)]
struct Frame {
    l: i32,
    t: i32,
    r: i32,
    b: i32,
}

const TICK_LEN: i32 = 5;
const MINOR_LEN: i32 = 3;
const GRID: RGBColor = RGBColor(225, 225, 225);
const INK: RGBColor = RGBColor(40, 40, 40);

fn hline(
    area: &Area,
    path: &Path,
    y: i32,
    x0: i32,
    x1: i32,
    c: RGBAColor,
) -> Result<(), PlotError> {
    area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c))
        .at(path)
}

fn vline(
    area: &Area,
    path: &Path,
    x: i32,
    y0: i32,
    y1: i32,
    c: RGBAColor,
) -> Result<(), PlotError> {
    area.draw(&PathElement::new(vec![(x, y0), (x, y1)], c))
        .at(path)
}

/// Light grid lines at the labelled ticks (pixel positions), drawn before the data.
fn grid(
    area: &Area,
    path: &Path,
    f: Frame,
    xs: &[(i32, Option<String>)],
    ys: &[(i32, Option<String>)],
) -> Result<(), PlotError> {
    for (x, _) in xs.iter().filter(|t| t.1.is_some()) {
        vline(area, path, *x, f.t, f.b, GRID.to_rgba())?;
    }
    for (y, _) in ys.iter().filter(|t| t.1.is_some()) {
        hline(area, path, *y, f.l, f.r, GRID.to_rgba())?;
    }
    Ok(())
}

/// Bottom axis: spine, ticks (outwards), labels and `title` centred below them.
fn x_axis(
    area: &Area,
    path: &Path,
    f: Frame,
    ticks: &[(i32, Option<String>)],
    title: &str,
) -> Result<(), PlotError> {
    hline(area, path, f.b, f.l, f.r, INK.to_rgba())?;
    for (x, label) in ticks {
        let len = if label.is_some() { TICK_LEN } else { MINOR_LEN };
        vline(area, path, *x, f.b, f.b + len, INK.to_rgba())?;
        if let Some(s) = label {
            put(
                area,
                path,
                s,
                (*x, f.b + TICK_LEN + 3),
                Txt::new(TICK).color(INK).at(H::Center, V::Top),
            )?;
        }
    }
    let y = f.b + TICK_LEN + 3 + line_height(TICK) + 4;
    put(
        area,
        path,
        title,
        ((f.l + f.r) / 2, y),
        Txt::new(AXIS).at(H::Center, V::Top),
    )
}

/// Left axis: spine, ticks, right-aligned labels and the rotated `title` left of them.
fn y_axis(
    area: &Area,
    path: &Path,
    f: Frame,
    ticks: &[(i32, Option<String>)],
    title: &str,
) -> Result<(), PlotError> {
    vline(area, path, f.l, f.t, f.b, INK.to_rgba())?;
    let mut widest = 0;
    for (y, label) in ticks {
        let len = if label.is_some() { TICK_LEN } else { MINOR_LEN };
        hline(area, path, *y, f.l - len, f.l, INK.to_rgba())?;
        if let Some(s) = label {
            widest = widest.max(text_width(s, TICK));
            put(
                area,
                path,
                s,
                (f.l - TICK_LEN - 4, *y),
                Txt::new(TICK).color(INK).at(H::Right, V::Middle),
            )?;
        }
    }
    let x = f.l - TICK_LEN - 4 - widest - 8;
    put(
        area,
        path,
        title,
        (x, (f.t + f.b) / 2),
        Txt::new(AXIS).at(H::Center, V::Bottom).up(),
    )
}

/// What a legend entry shows.
#[derive(Clone, Copy)]
enum Key {
    Line(RGBAColor, u32),
    Band(RGBAColor),
    Dot(RGBAColor),
    Ring(RGBAColor),
    Cross(RGBAColor),
}

const KEY_W: i32 = 26;

fn draw_key(area: &Area, path: &Path, k: Key, (x, y): (i32, i32)) -> Result<(), PlotError> {
    let c = x + KEY_W / 2;
    match k {
        Key::Line(col, w) => area
            .draw(&PathElement::new(
                vec![(x, y), (x + KEY_W, y)],
                col.stroke_width(w),
            ))
            .at(path),
        Key::Band(col) => area
            .draw(&Rectangle::new(
                [(x, y - 6), (x + KEY_W, y + 6)],
                col.filled(),
            ))
            .at(path),
        Key::Dot(col) => area.draw(&Circle::new((c, y), 4, col.filled())).at(path),
        Key::Ring(col) => area
            .draw(&Circle::new((c, y), 6, col.stroke_width(2)))
            .at(path),
        Key::Cross(col) => area
            .draw(&Cross::new((c, y), 5, col.stroke_width(2)))
            .at(path),
    }
}

/// Row pitch of a legend.
fn legend_pitch() -> i32 {
    line_height(LEGEND) + 3
}

/// A legend as a column from `(x, y)` (top left); returns its bottom.
fn legend_column(
    area: &Area,
    path: &Path,
    entries: &[(Key, String)],
    (x, y): (i32, i32),
) -> Result<i32, PlotError> {
    let pitch = legend_pitch();
    for (k, (key, label)) in entries.iter().enumerate() {
        let yc = y + pitch * k as i32 + pitch / 2;
        draw_key(area, path, *key, (x, yc))?;
        put(
            area,
            path,
            label,
            (x + KEY_W + 8, yc),
            Txt::new(LEGEND).at(H::Left, V::Middle),
        )?;
    }
    Ok(y + pitch * entries.len() as i32)
}

/// A legend as a row from `(x, y)` (left end, vertical middle); returns its right end.
fn legend_row(
    area: &Area,
    path: &Path,
    entries: &[(Key, String)],
    (x, y): (i32, i32),
) -> Result<i32, PlotError> {
    let mut x = x;
    for (key, label) in entries {
        draw_key(area, path, *key, (x, y))?;
        put(
            area,
            path,
            label,
            (x + KEY_W + 8, y),
            Txt::new(LEGEND).at(H::Left, V::Middle),
        )?;
        x += KEY_W + 8 + text_width(label, LEGEND) + 24;
    }
    Ok(x)
}

/// Peak value with a precision that suits its size (three significant digits).
fn fmt_sig_hz(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() {
        format!("{v} Hz")
    } else if a >= 100.0 {
        format!("{} Hz", fmt_num(v, 0))
    } else if a >= 0.001 {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{} Hz", fmt_num(v, decimals))
    } else {
        // 8.64×10⁻⁴ Hz
        let e = a.log10().floor() as i32;
        let m = v / 10f64.powi(e);
        let sup: String = e
            .to_string()
            .chars()
            .map(|c| match c {
                '-' => '\u{207B}',
                '1' => '\u{B9}',
                '2' => '\u{B2}',
                '3' => '\u{B3}',
                d => char::from_u32(0x2070 + d.to_digit(10).unwrap_or(0)).unwrap_or(d),
            })
            .collect();
        format!("{}\u{D7}10{sup} Hz", fmt_num(m, 2))
    }
}

/// Axis title of a swept parameter: the key with its unit where the built-in rate models
/// define it, else a note that the value is in the network file's units.
fn param_title(key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    let unit = if !key.starts_with("model.") {
        None
    } else if last.starts_with("j_") || last.starts_with("i_0") {
        Some("nA")
    } else if last.starts_with("tau_") {
        Some("ms")
    } else if last.starts_with("mu_") || last.starts_with("w_") {
        Some("pA/Hz")
    } else if last.starts_with("beta_") {
        Some("Hz/pA")
    } else {
        match last {
            "r_e" | "r_i" | "b" | "c0" | "r0" => Some("Hz"),
            "a" | "c1" => Some("Hz/nA"),
            "d" => Some("s"),
            "eta" => Some("dimensionless"),
            _ => None,
        }
    };
    match unit {
        Some(u) => format!("{key} ({u})"),
        None => format!("{key} (units of the network file)"),
    }
}

/// The plotting area of `chart` as a `Frame` (corners of its coordinate range).
macro_rules! frame_of {
    ($chart:expr, $x0:expr, $x1:expr, $y0:expr, $y1:expr) => {{
        let (l, b) = $chart.backend_coord(&($x0, $y0));
        let (r, t) = $chart.backend_coord(&($x1, $y1));
        Frame { l, t, r, b }
    }};
}

/// Pixel positions of ticks along x (`y`: any value of the chart's y range) or y.
macro_rules! px_ticks {
    (x, $chart:expr, $ticks:expr, $y:expr) => {
        $ticks
            .iter()
            .map(|t| ($chart.backend_coord(&(t.v, $y)).0, t.label.clone()))
            .collect::<Vec<_>>()
    };
    (y, $chart:expr, $ticks:expr, $x:expr) => {
        $ticks
            .iter()
            .map(|t| ($chart.backend_coord(&($x, t.v)).1, t.label.clone()))
            .collect::<Vec<_>>()
    };
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
    if t_end <= t_from_ms {
        return Err(err(path, "nothing to plot after t_from"));
    }
    let n = pops.len();
    let panel_h = 60u32;
    let (head_h, label_w, right) = (50u32, 190u32, 20u32);
    let (w, h) = (900u32, 60 + panel_h * n as u32 + 40);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(
        &root,
        path,
        "Change in rate after the stimulus",
        (15, 6),
        Txt::new(TITLE),
    )?;
    put(
        &root,
        path,
        "each panel scaled to its own peak change, printed beside the name",
        (15, 32),
        Txt::new(SUBTITLE).color(INK),
    )?;
    let body = root.margin(head_h, 0, 0, 0);
    let (panels, axis) = body.split_vertically(panel_h * n as u32);
    let x_ticks = linear_ticks(t_from_ms, t_end, ((w - label_w - right) / 70) as usize);
    for (k, (row, &i)) in panels.split_evenly((n, 1)).iter().zip(&idx).enumerate() {
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
        let (ylo, yhi) = (lo - 0.05 * span, hi + 0.1 * span);
        let chart = ChartBuilder::on(row)
            .margin_left(label_w)
            .margin_right(right)
            .margin_top(4)
            .build_cartesian_2d(t_from_ms..t_end, ylo..yhi)
            .at(path)?;
        let f = frame_of!(chart, t_from_ms, t_end, ylo, yhi);
        grid(&root, path, f, &px_ticks!(x, chart, x_ticks, 0.0), &[])?;
        let y0 = chart.backend_coord(&(t_from_ms, 0.0)).1;
        hline(&root, path, y0, f.l, f.r, BLACK.mix(0.3))?;
        let hue = k as f64 / n.max(1) as f64;
        chart
            .plotting_area()
            .draw(&PathElement::new(
                series,
                HSLColor(0.66 - 0.66 * hue, 0.8, 0.4).stroke_width(2),
            ))
            .at(path)?;
        let mid = (f.t + f.b) / 2;
        put(
            &root,
            path,
            pops[k],
            (10, mid),
            Txt::new(LEGEND).at(H::Left, V::Middle),
        )?;
        put(
            &root,
            path,
            &fmt_sig_hz(hi),
            (label_w as i32 - 12, mid),
            Txt::new(LEGEND).color(INK).at(H::Right, V::Middle),
        )?;
    }
    // Time axis below the panels.
    time_axis_strip(
        &root,
        &axis,
        path,
        (label_w, right),
        (t_from_ms, t_end),
        &x_ticks,
        "time (ms)",
    )?;
    root.present().at(path)
}

/// A time axis drawn in its own strip `axis` (below stacked panels): the strip's plotting
/// range `t` with `margins` (left, right) pixels, its top edge as the axis line, ticks and
/// `title` drawn on `root`.
fn time_axis_strip(
    root: &Area,
    axis: &Area,
    path: &Path,
    margins: (u32, u32),
    t: (f64, f64),
    ticks: &[Tick],
    title: &str,
) -> Result<(), PlotError> {
    let chart = ChartBuilder::on(axis)
        .margin_left(margins.0)
        .margin_right(margins.1)
        .build_cartesian_2d(t.0..t.1, 0.0..1.0)
        .at(path)?;
    let (l, top) = chart.backend_coord(&(t.0, 1.0));
    let r = chart.backend_coord(&(t.1, 1.0)).0;
    let f = Frame {
        l,
        t: top,
        r,
        b: top,
    };
    x_axis(root, path, f, &px_ticks!(x, chart, ticks, 1.0), title)
}

/// Bar chart of timescales (log axis, ms) with areas ordered by `hierarchy` (`(area,
/// h)` pairs); a timescale's name may be the area or `<area>.<pop>`. Areas without a
/// finite timescale are skipped.
pub fn plot_timescales(
    timescales: &[(String, f64)],
    hierarchy: &[(String, f64)],
    path: &Path,
) -> Result<(), PlotError> {
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
    // Axis from the 1-2-5 value below the shortest to the one above the longest (with
    // room for the value printed on top of the bar).
    let (ylo, yhi) = (nice_125(0.9 * lo, false), nice_125(1.3 * hi, true));
    let n = bars.len();
    let (w, h) = (1000u32, 560u32);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(
        &root,
        path,
        "Autocorrelation timescale per area (ordered by hierarchy)",
        (w as i32 / 2, 8),
        Txt::new(TITLE).at(H::Center, V::Top),
    )?;
    let name_w = bars
        .iter()
        .map(|b| text_width(&b.0, TICK))
        .max()
        .unwrap_or(0);
    let bottom = TICK_LEN + 4 + name_w + 8 + line_height(AXIS) + 6;
    let chart = ChartBuilder::on(&root)
        .margin_left(80)
        .margin_right(15)
        .margin_top(45)
        .margin_bottom(bottom.max(0) as u32)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), (ylo..yhi).log_scale())
        .at(path)?;
    let f = frame_of!(chart, -0.5, n as f64 - 0.5, ylo, yhi);
    let per_decade = (f.b - f.t) as f64 / (yhi / ylo).log10();
    let y_ticks = px_ticks!(
        y,
        chart,
        log_ticks(
            ylo,
            yhi,
            per_decade * 2f64.log10() >= 1.3 * line_height(TICK) as f64
        ),
        0.0
    );
    grid(&root, path, f, &[], &y_ticks)?;
    for (k, b) in bars.iter().enumerate() {
        let hue = if b.1.is_finite() { b.1 } else { 0.0 };
        chart
            .plotting_area()
            .draw(&Rectangle::new(
                [(k as f64 - 0.36, ylo), (k as f64 + 0.36, b.2)],
                HSLColor(0.66 - 0.66 * hue, 0.7, 0.5).filled(),
            ))
            .at(path)?;
    }
    for (k, b) in bars.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(k as f64, b.2));
        let v = if b.2 >= 10.0 {
            fmt_num(b.2, 0)
        } else if b.2 >= 1.0 {
            fmt_num(b.2, 1)
        } else {
            fmt_num(b.2, 2)
        };
        put(
            &root,
            path,
            &v,
            (x, y - 3),
            Txt::new(SMALL).color(INK).at(H::Center, V::Bottom),
        )?;
    }
    y_axis(&root, path, f, &y_ticks, "timescale (ms, log scale)")?;
    hline(&root, path, f.b, f.l, f.r, INK.to_rgba())?;
    for (k, b) in bars.iter().enumerate() {
        let x = chart.backend_coord(&(k as f64, ylo)).0;
        vline(&root, path, x, f.b, f.b + MINOR_LEN, INK.to_rgba())?;
        put(
            &root,
            path,
            &b.0,
            (x, f.b + TICK_LEN + 4),
            Txt::new(TICK).at(H::Right, V::Middle).up(),
        )?;
    }
    put(
        &root,
        path,
        "area (ordered and coloured by hierarchy)",
        ((f.l + f.r) / 2, f.b + TICK_LEN + 4 + name_w + 8),
        Txt::new(AXIS).at(H::Center, V::Top),
    )?;
    root.present().at(path)
}

/// One bar of [`plot_persistence`].
#[derive(Debug, Clone, PartialEq)]
pub struct PersistenceBar {
    /// Area (or population) name under the bar.
    pub name: String,
    /// Late-delay rate minus baseline (Hz).
    pub delta_hz: f64,
    /// Above the threshold.
    pub persistent: bool,
    /// Experimental evidence of delay activity, if the map lists the area:
    /// `(evidence, well studied)`.
    pub experiment: Option<(bool, bool)>,
}

/// Delay activity per area, in the given order (by hierarchy): bars of the late-delay rate
/// minus baseline (red where persistent, grey where not), the threshold as a dashed line,
/// and under each bar the experimental map where there is one: a filled dot for evidence
/// of delay activity, an open circle for none; light where the area is not well studied.
pub fn plot_persistence(
    bars: &[PersistenceBar],
    threshold_hz: f64,
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    if bars.is_empty() {
        return Err(err(path, "no populations to plot"));
    }
    if bars.iter().any(|b| !b.delta_hz.is_finite()) {
        return Err(err(path, "a rate is not finite"));
    }
    let top = bars
        .iter()
        .map(|b| b.delta_hz)
        .fold(threshold_hz, f64::max)
        .max(1.0);
    let bottom_v = bars.iter().map(|b| b.delta_hz).fold(0.0, f64::min);
    let yhi = if top > 5.0 {
        (1.1 * top / 5.0).ceil() * 5.0
    } else {
        nice_125(1.1 * top, true)
    };
    // Small negative changes (a pool slightly below its baseline) are not worth an axis.
    let ylo = if bottom_v < -0.05 * yhi {
        -nice_125(-1.1 * bottom_v, true)
    } else {
        0.0
    };
    let has_map = bars.iter().any(|b| b.experiment.is_some());
    let n = bars.len();
    let (w, h) = (1000u32, 560u32);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(
        &root,
        path,
        title,
        (w as i32 / 2, 8),
        Txt::new(TITLE).at(H::Center, V::Top),
    )?;
    let name_w = bars
        .iter()
        .map(|b| text_width(&b.name, TICK))
        .max()
        .unwrap_or(0);
    let marks = if has_map { 22 } else { 0 };
    let bottom = TICK_LEN + 4 + marks + name_w + 8 + line_height(AXIS) + 6;
    let chart = ChartBuilder::on(&root)
        .margin_left(80)
        .margin_right(15)
        .margin_top(60)
        .margin_bottom(bottom.max(0) as u32)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), ylo..yhi)
        .at(path)?;
    let f = frame_of!(chart, -0.5, n as f64 - 0.5, ylo, yhi);
    let y_ticks = px_ticks!(y, chart, linear_ticks(ylo, yhi, 6), 0.0);
    grid(&root, path, f, &[], &y_ticks)?;
    let red = RGBColor(200, 40, 40);
    let grey = RGBColor(170, 170, 170);
    for (k, b) in bars.iter().enumerate() {
        let c = if b.persistent { red } else { grey };
        chart
            .plotting_area()
            .draw(&Rectangle::new(
                [
                    (k as f64 - 0.36, 0.0),
                    (k as f64 + 0.36, b.delta_hz.max(ylo)),
                ],
                c.filled(),
            ))
            .at(path)?;
    }
    // The threshold, dashed.
    let yt = chart.backend_coord(&(0.0, threshold_hz)).1;
    let mut x = f.l;
    while x < f.r {
        hline(&root, path, yt, x, (x + 6).min(f.r), INK.to_rgba())?;
        x += 10;
    }
    y_axis(&root, path, f, &y_ticks, "late delay − baseline (Hz)")?;
    let y0 = chart.backend_coord(&(0.0, 0.0)).1;
    hline(&root, path, y0, f.l, f.r, INK.to_rgba())?;
    hline(&root, path, f.b, f.l, f.r, INK.to_rgba())?;
    for (k, b) in bars.iter().enumerate() {
        let x = chart.backend_coord(&(k as f64, ylo)).0;
        vline(&root, path, x, f.b, f.b + MINOR_LEN, INK.to_rgba())?;
        if let Some((evidence, well)) = b.experiment {
            let c = if well { INK } else { grey };
            let centre = (x, f.b + TICK_LEN + 4 + 8);
            let style = if evidence {
                c.filled()
            } else {
                c.stroke_width(1)
            };
            root.draw(&Circle::new(centre, 4, style)).at(path)?;
        }
        put(
            &root,
            path,
            &b.name,
            (x, f.b + TICK_LEN + 4 + marks),
            Txt::new(TICK).at(H::Right, V::Middle).up(),
        )?;
    }
    put(
        &root,
        path,
        "area (ordered by hierarchy)",
        ((f.l + f.r) / 2, f.b + TICK_LEN + 4 + marks + name_w + 8),
        Txt::new(AXIS).at(H::Center, V::Top),
    )?;
    let legend = if has_map {
        format!(
            "red: model persistent (> {} Hz, dashed);  ● experiment: delay activity,  ○ none (grey: not well studied)",
            fmt_num(threshold_hz, 1)
        )
    } else {
        format!(
            "red: persistent (> {} Hz, dashed)",
            fmt_num(threshold_hz, 1)
        )
    };
    put(
        &root,
        path,
        &legend,
        (w as i32 / 2, 34),
        Txt::new(SMALL).color(INK).at(H::Center, V::Top),
    )?;
    root.present().at(path)
}

/// Bifurcation diagram of a hysteresis sweep: steady rate against the parameter `param`
/// for each `(population, up, down)` series (rates at `values`); the upward branch is a
/// solid line with filled circles, the downward branch a faint line with open circles, and
/// the optional `spontaneous` branch (per series, runs without the pulse stimuli) crosses.
/// The legend is beside the plot.
pub fn plot_bifurcation(
    param: &str,
    values: &[f64],
    series: &[(String, Vec<f64>, Vec<f64>)],
    spontaneous: Option<&[Vec<f64>]>,
    path: &Path,
) -> Result<(), PlotError> {
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
    if !(ylo.is_finite() && yhi.is_finite() && xhi > xlo) {
        return Err(err(path, "no finite rates to plot"));
    }
    let span = if yhi > ylo { yhi - ylo } else { 1.0 };
    let (ylo, yhi) = (ylo - 0.05 * span, yhi + 0.05 * span);
    let xspan = xhi - xlo;
    let (xlo, xhi) = (xlo - 0.02 * xspan, xhi + 0.02 * xspan);
    let n = series.len();
    let color = |k: usize| {
        HSLColor(
            0.66 - 0.66 * k as f64 / n.max(2).saturating_sub(1) as f64,
            0.8,
            0.4,
        )
    };
    let mut legend: Vec<(Key, String)> = series
        .iter()
        .enumerate()
        .map(|(k, s)| (Key::Line(color(k).to_rgba(), 2), s.0.clone()))
        .collect();
    legend.push((Key::Dot(INK.to_rgba()), "sweep up".into()));
    legend.push((Key::Ring(INK.to_rgba()), "sweep down".into()));
    if spontaneous.is_some() {
        legend.push((Key::Cross(INK.to_rgba()), "no pulse".into()));
    }
    let (w, h) = (900u32, 600u32);
    let (top, bottom) = (50u32, 70u32);
    let fits = ((h - top - bottom) as i32 / legend_pitch()).max(1) as usize;
    if legend.len() > fits {
        // Keep the marker meanings; drop populations from the end.
        let markers = legend.split_off(n);
        legend.truncate(fits.saturating_sub(markers.len() + 1));
        legend.push((
            Key::Band(WHITE.to_rgba()),
            format!("… {} more", n - legend.len()),
        ));
        legend.extend(markers);
    }
    let legend_w = legend
        .iter()
        .map(|(_, s)| text_width(s, LEGEND))
        .max()
        .unwrap_or(0)
        + KEY_W
        + 8;
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(
        &root,
        path,
        &format!("Steady-state rate vs {param}"),
        (15, 10),
        Txt::new(TITLE),
    )?;
    let chart = ChartBuilder::on(&root)
        .margin_left(85)
        .margin_right((legend_w + 40) as u32)
        .margin_top(top)
        .margin_bottom(bottom)
        .build_cartesian_2d(xlo..xhi, ylo..yhi)
        .at(path)?;
    let f = frame_of!(chart, xlo, xhi, ylo, yhi);
    let xt = px_ticks!(
        x,
        chart,
        linear_ticks(xlo, xhi, ((f.r - f.l) / 80) as usize),
        ylo
    );
    let yt = px_ticks!(
        y,
        chart,
        linear_ticks(ylo, yhi, ((f.b - f.t) / 50) as usize),
        xlo
    );
    grid(&root, path, f, &xt, &yt)?;
    let area = chart.plotting_area();
    for (k, (_, up, down)) in series.iter().enumerate() {
        let color = color(k);
        let pts = |r: &[f64]| -> Vec<(f64, f64)> {
            values
                .iter()
                .zip(r)
                .filter(|(_, v)| v.is_finite())
                .map(|(&x, &y)| (x, y))
                .collect()
        };
        let (pu, pd) = (pts(up), pts(down));
        area.draw(&PathElement::new(pu.clone(), color.stroke_width(2)))
            .at(path)?;
        for &p in &pu {
            area.draw(&Circle::new(p, 4, color.filled())).at(path)?;
        }
        area.draw(&PathElement::new(
            pd.clone(),
            color.mix(0.5).stroke_width(1),
        ))
        .at(path)?;
        for &p in &pd {
            area.draw(&Circle::new(p, 6, color.stroke_width(2)))
                .at(path)?;
        }
        if let Some(sp) = spontaneous {
            for p in pts(&sp[k]) {
                area.draw(&Cross::new(p, 5, color.stroke_width(2)))
                    .at(path)?;
            }
        }
    }
    x_axis(&root, path, f, &xt, &param_title(param))?;
    y_axis(&root, path, f, &yt, "steady-state rate (Hz)")?;
    legend_column(&root, path, &legend, (f.r + 25, f.t))?;
    root.present().at(path)
}

/// Maximum number of panels of [`plot_step_response`].
pub const MAX_STEP_PANELS: usize = 8;

/// Spiking population rates against the nonlinear (Siegert) and linearised rate
/// models around a current step: one panel per population (the first
/// [`MAX_STEP_PANELS`]), time from `t_from_ms` on, the step onset marked by a
/// dashed vertical line, the legend above the panels. The Siegert model is drawn
/// wide and the linearised model narrow on top, so both stay visible where they
/// coincide.
pub fn plot_step_response(
    title: &str,
    models: &cortexsim_protocols::compare::RateModels,
    spiking: &cortexsim_protocols::compare::StepResponse,
    t_from_ms: f64,
    path: &Path,
) -> Result<(), PlotError> {
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
    let head_h = 92u32;
    let (w, h) = (
        if cols == 2 { 1400u32 } else { 1000 },
        head_h + 260 * rows as u32,
    );
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(&root, path, title, (15, 8), Txt::new(TITLE))?;
    let sub = format!(
        "step at {:.0} ms: +{} pA (\u{3BC} +{} mV); rate-model \u{3C4} = {:.1} ms; spiking: {:.0} ms bins, {}-bin moving average",
        models.t_step_ms,
        fmt_list(&models.step_pa[..n]),
        fmt_list(&models.step_mu_mv[..n]),
        models.rate_tau_ms,
        spiking.bin_ms,
        2 * spiking.smooth_bins + 1
    );
    put(&root, path, &sub, (15, 36), Txt::new(SUBTITLE).color(INK))?;
    let spike_col = RGBColor(150, 150, 150);
    let nl_col = RGBColor(20, 90, 200);
    let lin_col = RGBColor(210, 60, 30);
    legend_row(
        &root,
        path,
        &[
            (Key::Line(spike_col.to_rgba(), 3), "spiking network".into()),
            (Key::Line(nl_col.to_rgba(), 3), "Siegert rate model".into()),
            (
                Key::Line(lin_col.to_rgba(), 3),
                "linearised (\u{3C4}_eff) rate model".into(),
            ),
            (Key::Line(BLACK.mix(0.6), 1), "step onset".into()),
        ],
        (20, 72),
    )?;
    let panels = root.margin(head_h, 0, 0, 0).split_evenly((rows, cols));
    let in_window = |t: &[f64], v: &[f64]| -> Vec<(f64, f64)> {
        t.iter()
            .zip(v)
            .filter(|(t, _)| **t >= t_from_ms && **t <= t_end)
            .map(|(&t, &v)| (t, v))
            .collect()
    };
    for (a, panel) in panels.iter().enumerate().take(n) {
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
            "{}: \u{3C4}_eff = {}",
            names[a],
            if fitted {
                format!("{tau:.2} ms")
            } else {
                "no fit".into()
            }
        );
        let chart = ChartBuilder::on(panel)
            .margin_left(80)
            .margin_right(20)
            .margin_top(30)
            .margin_bottom(55)
            .build_cartesian_2d(t_from_ms..t_end, ylo..yhi)
            .at(path)?;
        let f = frame_of!(chart, t_from_ms, t_end, ylo, yhi);
        put(
            &root,
            path,
            &caption,
            ((f.l + f.r) / 2, f.t - 6),
            Txt::new(AXIS).at(H::Center, V::Bottom),
        )?;
        let xt = px_ticks!(
            x,
            chart,
            linear_ticks(t_from_ms, t_end, ((f.r - f.l) / 80) as usize),
            ylo
        );
        let yt = px_ticks!(
            y,
            chart,
            linear_ticks(ylo, yhi, ((f.b - f.t) / 32) as usize),
            t_from_ms
        );
        grid(&root, path, f, &xt, &yt)?;
        let area = chart.plotting_area();
        // step onset: dashed vertical line
        let x = chart.backend_coord(&(models.t_step_ms, ylo)).0;
        let mut y = f.t;
        while y < f.b {
            vline(&root, path, x, y, (y + 4).min(f.b), BLACK.mix(0.6))?;
            y += 8;
        }
        area.draw(&PathElement::new(s, spike_col.stroke_width(1)))
            .at(path)?;
        area.draw(&PathElement::new(nl, nl_col.stroke_width(4)))
            .at(path)?;
        area.draw(&PathElement::new(lin, lin_col.stroke_width(2)))
            .at(path)?;
        x_axis(&root, path, f, &xt, "time (ms)")?;
        y_axis(&root, path, f, &yt, "rate (Hz)")?;
    }
    root.present().at(path)
}

/// `a, b, c` with 3 decimals, or one value if all are equal.
fn fmt_list(v: &[f64]) -> String {
    let f = |x: f64| fmt_num(x, 3);
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
/// underneath (same colours, legend beside them) and the `windows` shaded in both.
pub fn plot_raster(
    title: &str,
    pops: &[RasterPop],
    bin_ms: f64,
    t_stop_ms: f64,
    windows: &[Window],
    path: &Path,
) -> Result<(), PlotError> {
    let n = pops.len();
    if n == 0 {
        return Err(err(path, "no populations to plot"));
    }
    if !(t_stop_ms > 0.0 && bin_ms > 0.0) {
        return Err(err(path, "nothing to plot (empty run or bin)"));
    }
    let shade = RGBColor(255, 200, 80).mix(0.3);
    let mut legend: Vec<(Key, String)> = windows
        .iter()
        .map(|(label, _, _)| (Key::Band(shade), label.clone()))
        .collect();
    legend.extend(
        pops.iter()
            .enumerate()
            .map(|(k, p)| (Key::Line(pop_color(k, n).to_rgba(), 3), p.name.clone())),
    );
    let legend_w = legend
        .iter()
        .map(|(_, s)| text_width(s, LEGEND))
        .max()
        .unwrap_or(0)
        + KEY_W
        + 8;
    let label_w = 110u32;
    let right = (legend_w + 45) as u32;
    let raster_h = (90 * n as u32).max(360);
    let rate_h = (340u32).max(legend_pitch() as u32 * legend.len() as u32 + 80);
    let head_h = 50u32;
    let (w, h) = (1200u32, head_h + raster_h + rate_h);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(&root, path, title, (15, 6), Txt::new(TITLE))?;
    let shown: u32 = pops.iter().map(|p| p.drawn).sum();
    let total: u32 = pops.iter().map(|p| p.size).sum();
    put(
        &root,
        path,
        &format!(
            "raster: {shown} of {total} neurons (at most 200 per population, evenly spaced); rates: all neurons, {bin_ms} ms bins"
        ),
        (15, 32),
        Txt::new(SUBTITLE).color(INK),
    )?;
    let body = root.margin(head_h, 0, 0, 0);
    let (top, bottom) = body.split_vertically(raster_h);
    let x_ticks = linear_ticks(0.0, t_stop_ms, ((w - label_w - right) / 90) as usize);
    // Raster.
    let chart = ChartBuilder::on(&top)
        .margin_left(label_w)
        .margin_right(right)
        .margin_top(5)
        .margin_bottom(55)
        .build_cartesian_2d(0.0..t_stop_ms, 0.0..n as f64)
        .at(path)?;
    let f = frame_of!(chart, 0.0, t_stop_ms, 0.0, n as f64);
    let area = chart.plotting_area();
    for (_, a, b) in windows {
        area.draw(&Rectangle::new([(*a, 0.0), (*b, n as f64)], shade.filled()))
            .at(path)?;
    }
    for k in 1..n {
        let y = chart.backend_coord(&(0.0, (n - k) as f64)).1;
        hline(&root, path, y, f.l, f.r, BLACK.mix(0.4))?;
    }
    for (k, p) in pops.iter().enumerate() {
        let color = pop_color(k, n);
        let base = (n - 1 - k) as f64;
        let rows = p.drawn.max(1) as f64;
        for &(t, r) in &p.spikes {
            let y = base + 0.03 + 0.94 * (r as f64 + 0.5) / rows;
            area.draw(&Circle::new((t, y), 1, color.filled()))
                .at(path)?;
        }
        let py = chart.backend_coord(&(0.0, base + 0.5)).1;
        put(
            &root,
            path,
            &p.name,
            (10, py - 2),
            Txt::new(14.0).color(color).at(H::Left, V::Baseline),
        )?;
        put(
            &root,
            path,
            &format!("{} of {}", p.drawn, p.size),
            (10, py + 3),
            Txt::new(SMALL).color(BLACK.mix(0.7)).at(H::Left, V::Top),
        )?;
    }
    x_axis(
        &root,
        path,
        f,
        &px_ticks!(x, chart, x_ticks, 0.0),
        "time (ms)",
    )?;
    vline(&root, path, f.l, f.t, f.b, INK.to_rgba())?;
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
    let chart = ChartBuilder::on(&bottom)
        .margin_left(label_w)
        .margin_right(right)
        .margin_top(15)
        .margin_bottom(55)
        .build_cartesian_2d(0.0..t_stop_ms, 0.0..top_rate)
        .at(path)?;
    let f = frame_of!(chart, 0.0, t_stop_ms, 0.0, top_rate);
    let xt = px_ticks!(x, chart, x_ticks, 0.0);
    let yt = px_ticks!(
        y,
        chart,
        linear_ticks(0.0, top_rate, ((f.b - f.t) / 45) as usize),
        0.0
    );
    let area = chart.plotting_area();
    for (_, a, b) in windows {
        area.draw(&Rectangle::new([(*a, 0.0), (*b, top_rate)], shade.filled()))
            .at(path)?;
    }
    grid(&root, path, f, &xt, &yt)?;
    for (k, p) in pops.iter().enumerate() {
        area.draw(&PathElement::new(
            centers(&p.rate_hz),
            pop_color(k, n).stroke_width(2),
        ))
        .at(path)?;
    }
    x_axis(&root, path, f, &xt, "time (ms)")?;
    y_axis(&root, path, f, &yt, "population rate (Hz)")?;
    legend_column(&root, path, &legend, (f.r + 25, f.t))?;
    root.present().at(path)
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
/// one column per model side by side; each panel is scaled to its own peak, printed
/// beside the panel; the pulse is shaded.
pub fn plot_pulse_compare(
    title: &str,
    subtitle: &str,
    areas: &[String],
    cols: &[PulseColumn],
    path: &Path,
) -> Result<(), PlotError> {
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
    let peak_w = 135u32;
    // Wide enough for the column heading left of "peak change".
    let col_w = cols
        .iter()
        .map(|c| text_width(&c.title, 14.0).max(0) as u32 + peak_w + 30)
        .fold(620u32, u32::max);
    let w = label_w + col_w * cols.len() as u32 + 10;
    // The subtitle on as many lines as the width needs.
    let sub_lines = wrap(subtitle, SUBTITLE, w as i32 - 30);
    let line_h = line_height(SUBTITLE) + 2;
    let (head_h, colhead_h, axis_h) = (52 + line_h as u32 * sub_lines.len() as u32, 30u32, 55u32);
    let h = head_h + colhead_h + row_h * n as u32 + axis_h;
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(&root, path, title, (15, 6), Txt::new(TITLE))?;
    for (k, line) in sub_lines.iter().enumerate() {
        put(
            &root,
            path,
            line,
            (15, 36 + line_h * k as i32),
            Txt::new(SUBTITLE).color(INK),
        )?;
    }
    let body = root.margin(head_h, 0, 0, 0);
    let (labels, rest) = body.split_horizontally(label_w);
    for (i, a) in areas.iter().enumerate() {
        let y = (colhead_h + row_h * i as u32 + row_h / 2) as i32;
        put(
            &labels,
            path,
            a,
            (10, y),
            Txt::new(14.0).at(H::Left, V::Middle),
        )?;
    }
    let shade = RGBColor(255, 200, 80).mix(0.35);
    let columns = rest.split_evenly((1, cols.len()));
    for (ci, (area, c)) in columns.iter().zip(cols).enumerate() {
        let (chead, cbody) = area.split_vertically(colhead_h);
        put(&chead, path, &c.title, (10, 8), Txt::new(14.0))?;
        put(
            &chead,
            path,
            "peak change",
            ((col_w - peak_w + 10) as i32, 10),
            Txt::new(LEGEND).color(INK),
        )?;
        let (panels, axis) = cbody.split_vertically(row_h * n as u32);
        let (t0, t1) = (c.t_ms[0], *c.t_ms.last().unwrap_or(&0.0));
        let x_ticks = linear_ticks(t0, t1, ((col_w - peak_w) / 80) as usize);
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
            let (ylo, yhi) = (lo - 0.05 * span, hi + 0.15 * span);
            let chart = ChartBuilder::on(row)
                .margin_right(peak_w)
                .margin_top(3)
                .margin_bottom(3)
                .build_cartesian_2d(t0..t1, ylo..yhi)
                .at(path)?;
            let f = frame_of!(chart, t0, t1, ylo, yhi);
            let pa = chart.plotting_area();
            pa.draw(&Rectangle::new(
                [(c.pulse_ms.0, ylo), (c.pulse_ms.1.min(t1), yhi)],
                shade.filled(),
            ))
            .at(path)?;
            grid(&root, path, f, &px_ticks!(x, chart, x_ticks, 0.0), &[])?;
            let y0 = chart.backend_coord(&(t0, 0.0)).1;
            hline(&root, path, y0, f.l, f.r, BLACK.mix(0.3))?;
            pa.draw(&PathElement::new(
                c.t_ms
                    .iter()
                    .zip(v)
                    .map(|(&t, &x)| (t, x))
                    .collect::<Vec<_>>(),
                color.stroke_width(2),
            ))
            .at(path)?;
            let (pk, noisy) = (c.peak_hz[i], c.peak_hz[i] <= c.noise_hz[i]);
            let ink = BLACK.mix(if noisy { 0.45 } else { 1.0 });
            put(
                row,
                path,
                &format!("{}{}", fmt_sig_hz(pk), if noisy { " (noise)" } else { "" }),
                ((col_w - peak_w + 10) as i32, row_h as i32 / 2),
                Txt::new(LEGEND).color(ink).at(H::Left, V::Middle),
            )?;
            row.draw(&PathElement::new(
                vec![(0, row_h as i32 - 1), (col_w as i32, row_h as i32 - 1)],
                BLACK.mix(0.15),
            ))
            .at(path)?;
        }
        time_axis_strip(
            &root,
            &axis,
            path,
            (0, peak_w),
            (t0, t1),
            &x_ticks,
            "time after pulse onset (ms)",
        )?;
    }
    root.present().at(path)
}

// ---------------------------------------------------------------------------------------
// Decision making: phase plane, psychometric and chronometric curves
// ---------------------------------------------------------------------------------------

/// Phase plane of a two-variable model: the vector field as arrows (direction; shade by
/// speed), the two nullclines, the fixed points (filled: stable, ring: unstable, with
/// the kind beside each).
pub fn plot_phase_plane(
    pp: &cortexsim_protocols::phase_plane::PhasePlane,
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    let [(xlo, xhi), (ylo, yhi)] = pp.ranges;
    if !(xhi > xlo && yhi > ylo) {
        return Err(err(path, "empty ranges"));
    }
    let (w, h) = (900u32, 760u32);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(&root, path, title, (15, 10), Txt::new(TITLE))?;
    put(
        &root,
        path,
        &format!(
            "drive at t = {} ms, noise off; {} fixed points",
            fmt_num(pp.t_ms, 0),
            pp.fixed_points.len()
        ),
        (15, 38),
        Txt::new(SUBTITLE).color(INK),
    )?;
    let c_null = [RGBColor(200, 40, 40), RGBColor(30, 90, 200)];
    let mut legend: Vec<(Key, String)> = vec![
        (
            Key::Line(c_null[0].to_rgba(), 2),
            format!("d{}/dt = 0", pp.names[0]),
        ),
        (
            Key::Line(c_null[1].to_rgba(), 2),
            format!("d{}/dt = 0", pp.names[1]),
        ),
        (Key::Dot(INK.to_rgba()), "stable".into()),
        (Key::Ring(INK.to_rgba()), "unstable".into()),
    ];
    legend.push((Key::Line(RGBAColor(120, 120, 120, 0.8), 1), "flow".into()));
    let legend_w = legend
        .iter()
        .map(|(_, s)| text_width(s, LEGEND))
        .max()
        .unwrap_or(0)
        + KEY_W
        + 8;
    let chart = ChartBuilder::on(&root)
        .margin_left(85)
        .margin_right((legend_w + 40) as u32)
        .margin_top(70)
        .margin_bottom(70)
        .build_cartesian_2d(xlo..xhi, ylo..yhi)
        .at(path)?;
    let f = frame_of!(chart, xlo, xhi, ylo, yhi);
    let xt = px_ticks!(
        x,
        chart,
        linear_ticks(xlo, xhi, ((f.r - f.l) / 80) as usize),
        ylo
    );
    let yt = px_ticks!(
        y,
        chart,
        linear_ticks(ylo, yhi, ((f.b - f.t) / 60) as usize),
        xlo
    );
    grid(&root, path, f, &xt, &yt)?;
    // Arrows: fixed length in pixels, shade by log speed.
    let speeds: Vec<f64> = pp
        .field
        .iter()
        .map(|a| {
            let (sx, sy) = (a.2 / (xhi - xlo), a.3 / (yhi - ylo));
            (sx * sx + sy * sy).sqrt()
        })
        .collect();
    let (smin, smax) = speeds
        .iter()
        .filter(|s| **s > 0.0 && s.is_finite())
        .fold((f64::INFINITY, 0.0f64), |(l, h), &s| (l.min(s), h.max(s)));
    let cols = (pp.field.len() as f64).sqrt().round().max(2.0);
    let len_px = 0.7 * (f.r - f.l) as f64 / cols;
    for (a, &s) in pp.field.iter().zip(&speeds) {
        let (px, py) = chart.backend_coord(&(a.0, a.1));
        // Pixel direction (y grows downwards).
        let (dx, dy) = (
            a.2 / (xhi - xlo) * (f.r - f.l) as f64,
            -a.3 / (yhi - ylo) * (f.b - f.t) as f64,
        );
        let norm = (dx * dx + dy * dy).sqrt();
        if !(norm > 0.0 && norm.is_finite()) {
            continue;
        }
        let (ux, uy) = (dx / norm, dy / norm);
        let shade = if smax > smin {
            ((s.ln() - smin.ln()) / (smax.ln() - smin.ln())).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let col = RGBAColor(90, 90, 90, 0.25 + 0.6 * shade);
        let (x0, y0) = (px as f64 - 0.5 * len_px * ux, py as f64 - 0.5 * len_px * uy);
        let (x1, y1) = (px as f64 + 0.5 * len_px * ux, py as f64 + 0.5 * len_px * uy);
        let head = 0.3 * len_px;
        let (hx, hy) = (-ux * head, -uy * head);
        let rot = |c: f64, s: f64| (hx * c - hy * s, hx * s + hy * c);
        let (l, r) = (rot(0.94, 0.34), rot(0.94, -0.34));
        let p = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
        root.draw(&PathElement::new(vec![p(x0, y0), p(x1, y1)], col))
            .at(path)?;
        root.draw(&PathElement::new(
            vec![p(x1 + l.0, y1 + l.1), p(x1, y1), p(x1 + r.0, y1 + r.1)],
            col,
        ))
        .at(path)?;
    }
    let area = chart.plotting_area();
    for (k, segs) in pp.nullclines.iter().enumerate() {
        for s in segs {
            area.draw(&PathElement::new(
                vec![s[0], s[1]],
                c_null[k].stroke_width(2),
            ))
            .at(path)?;
        }
    }
    for fp in &pp.fixed_points {
        let p = (fp.state[0], fp.state[1]);
        if fp.stable {
            area.draw(&Circle::new(p, 6, INK.filled())).at(path)?;
        } else {
            area.draw(&Circle::new(p, 7, WHITE.filled())).at(path)?;
            area.draw(&Circle::new(p, 7, INK.stroke_width(2)))
                .at(path)?;
        }
        let (px, py) = chart.backend_coord(&p);
        let right = px + 130 < f.r;
        put(
            &root,
            path,
            fp.kind,
            (if right { px + 11 } else { px - 11 }, py - 10),
            Txt::new(SMALL)
                .color(INK)
                .at(if right { H::Left } else { H::Right }, V::Middle),
        )?;
    }
    x_axis(&root, path, f, &xt, &pp.names[0])?;
    y_axis(&root, path, f, &yt, &pp.names[1])?;
    legend_column(&root, path, &legend, (f.r + 25, f.t))?;
    root.present().at(path)
}

/// Psychometric and chronometric curves of `cortexsim trials`: accuracy against
/// coherence (log axis, the points at `c' > 0`, the Weibull fit as a line), mean
/// decision time against coherence (± 1 SD), and the trial-averaged rates of the winning
/// (solid) and losing (dashed-looking, light) pools per coherence.
pub fn plot_trials(
    r: &cortexsim_protocols::trials::TrialsReport,
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    let pos: Vec<&cortexsim_protocols::trials::CoherenceResult> =
        r.results.iter().filter(|c| c.coherence > 0.0).collect();
    if r.results.is_empty() {
        return Err(err(path, "no coherences"));
    }
    let (w, h) = (1500u32, 520u32);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).at(path)?;
    put(&root, path, title, (15, 10), Txt::new(TITLE))?;
    let sub = match r.weibull {
        Some(wb) => format!(
            "{} trials per coherence, threshold {} Hz; Weibull fit α = {:.1} %, β = {:.2}",
            r.results[0].trials,
            fmt_num(r.spec.threshold_hz, 1),
            wb.alpha,
            wb.beta
        ),
        None => format!("{} trials per coherence", r.results[0].trials),
    };
    put(&root, path, &sub, (15, 38), Txt::new(SUBTITLE).color(INK))?;
    let body = root.margin(60, 0, 0, 0);
    let panels = body.split_evenly((1, 3));
    // Log coherence axis over the positive coherences (or 1..100 if none).
    let (clo, chi) = pos.iter().fold((f64::INFINITY, 0.0f64), |(l, h), c| {
        (l.min(c.coherence), h.max(c.coherence))
    });
    let (clo, chi) = if pos.is_empty() {
        (1.0, 100.0)
    } else {
        (
            nice_125(clo, false).min(clo * 0.8),
            nice_125(chi, true).max(chi * 1.25),
        )
    };
    let (lx0, lx1) = (clo.log10(), chi.log10());
    let log_axis = |chart_px: &dyn Fn(f64) -> i32| -> Vec<(i32, Option<String>)> {
        log_ticks(clo, chi, true)
            .into_iter()
            .map(|t| (chart_px(t.v.log10()), t.label))
            .collect()
    };
    // Panel 1: accuracy.
    {
        let chart = ChartBuilder::on(&panels[0])
            .margin_left(80)
            .margin_right(20)
            .margin_top(20)
            .margin_bottom(70)
            .build_cartesian_2d(lx0..lx1, 40.0..101.0)
            .at(path)?;
        let f = frame_of!(chart, lx0, lx1, 40.0, 101.0);
        let xt: Vec<(i32, Option<String>)> = log_axis(&|v| chart.backend_coord(&(v, 40.0)).0);
        let yt: Vec<(i32, Option<String>)> = linear_ticks(40.0, 100.0, 6)
            .into_iter()
            .map(|t| (chart.backend_coord(&(lx0, t.v)).1, t.label))
            .collect();
        grid(&root, path, f, &xt, &yt)?;
        let area = chart.plotting_area();
        if let Some(wb) = r.weibull {
            let pts: Vec<(f64, f64)> = (0..=200)
                .map(|k| {
                    let lc = lx0 + (lx1 - lx0) * k as f64 / 200.0;
                    let c = 10f64.powf(lc);
                    (
                        lc,
                        100.0 * cortexsim_theory::psychometric::weibull(c, wb.alpha, wb.beta),
                    )
                })
                .collect();
            area.draw(&PathElement::new(
                pts,
                RGBColor(30, 90, 200).stroke_width(2),
            ))
            .at(path)?;
        }
        for c in &pos {
            if c.accuracy.is_finite() {
                area.draw(&Circle::new(
                    (c.coherence.log10(), 100.0 * c.accuracy),
                    5,
                    INK.filled(),
                ))
                .at(path)?;
            }
        }
        x_axis(&root, path, f, &xt, "coherence c′ (%)")?;
        y_axis(&root, path, f, &yt, "correct (%)")?;
    }
    // Panel 2: decision time.
    {
        let (tlo, thi) = pos.iter().filter(|c| c.decision_time_ms.is_finite()).fold(
            (f64::INFINITY, 0.0f64),
            |(l, h), c| {
                let sd = if c.decision_time_sd_ms.is_finite() {
                    c.decision_time_sd_ms
                } else {
                    0.0
                };
                (
                    l.min(c.decision_time_ms - sd),
                    h.max(c.decision_time_ms + sd),
                )
            },
        );
        let (tlo, thi) = if thi > tlo {
            (
                (tlo - 0.05 * (thi - tlo)).max(0.0),
                thi + 0.05 * (thi - tlo),
            )
        } else {
            (0.0, 1000.0)
        };
        let chart = ChartBuilder::on(&panels[1])
            .margin_left(90)
            .margin_right(20)
            .margin_top(20)
            .margin_bottom(70)
            .build_cartesian_2d(lx0..lx1, tlo..thi)
            .at(path)?;
        let f = frame_of!(chart, lx0, lx1, tlo, thi);
        let xt = log_axis(&|v| chart.backend_coord(&(v, tlo)).0);
        let yt: Vec<(i32, Option<String>)> = linear_ticks(tlo, thi, 6)
            .into_iter()
            .map(|t| (chart.backend_coord(&(lx0, t.v)).1, t.label))
            .collect();
        grid(&root, path, f, &xt, &yt)?;
        let area = chart.plotting_area();
        let pts: Vec<(f64, f64)> = pos
            .iter()
            .filter(|c| c.decision_time_ms.is_finite())
            .map(|c| (c.coherence.log10(), c.decision_time_ms))
            .collect();
        area.draw(&PathElement::new(pts.clone(), INK.stroke_width(1)))
            .at(path)?;
        for c in &pos {
            if c.decision_time_ms.is_finite() && c.decision_time_sd_ms.is_finite() {
                let x = c.coherence.log10();
                area.draw(&PathElement::new(
                    vec![
                        (x, c.decision_time_ms - c.decision_time_sd_ms),
                        (x, c.decision_time_ms + c.decision_time_sd_ms),
                    ],
                    INK.mix(0.5).stroke_width(1),
                ))
                .at(path)?;
            }
        }
        for p in pts {
            area.draw(&Circle::new(p, 5, INK.filled())).at(path)?;
        }
        x_axis(&root, path, f, &xt, "coherence c′ (%)")?;
        y_axis(&root, path, f, &yt, "decision time (ms)")?;
    }
    // Panel 3: winner and loser rates per coherence.
    {
        let nb = r.results[0].winner_hz.len();
        let t_end = nb as f64 * r.trace_ms;
        let rmax = r
            .results
            .iter()
            .flat_map(|c| c.winner_hz.iter().chain(&c.loser_hz))
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, &v| m.max(v));
        let rmax = if rmax > 0.0 { rmax * 1.08 } else { 1.0 };
        let n = r.results.len();
        let color = |k: usize| {
            HSLColor(
                0.66 - 0.66 * k as f64 / n.max(2).saturating_sub(1) as f64,
                0.8,
                0.4,
            )
        };
        let legend: Vec<(Key, String)> = r
            .results
            .iter()
            .enumerate()
            .map(|(k, c)| {
                (
                    Key::Line(color(k).to_rgba(), 2),
                    format!("{} %", c.coherence),
                )
            })
            .collect();
        let legend_w = legend
            .iter()
            .map(|(_, s)| text_width(s, LEGEND))
            .max()
            .unwrap_or(0)
            + KEY_W
            + 8;
        let chart = ChartBuilder::on(&panels[2])
            .margin_left(80)
            .margin_right((legend_w + 25) as u32)
            .margin_top(20)
            .margin_bottom(70)
            .build_cartesian_2d(0.0..t_end.max(1.0), 0.0..rmax)
            .at(path)?;
        let f = frame_of!(chart, 0.0, t_end.max(1.0), 0.0, rmax);
        let xt: Vec<(i32, Option<String>)> = linear_ticks(0.0, t_end.max(1.0), 5)
            .into_iter()
            .map(|t| (chart.backend_coord(&(t.v, 0.0)).0, t.label))
            .collect();
        let yt: Vec<(i32, Option<String>)> = linear_ticks(0.0, rmax, 6)
            .into_iter()
            .map(|t| (chart.backend_coord(&(0.0, t.v)).1, t.label))
            .collect();
        grid(&root, path, f, &xt, &yt)?;
        let area = chart.plotting_area();
        for (k, c) in r.results.iter().enumerate() {
            let series = |v: &[f64]| -> Vec<(f64, f64)> {
                v.iter()
                    .enumerate()
                    .filter(|(_, x)| x.is_finite())
                    .map(|(b, &x)| ((b as f64 + 0.5) * r.trace_ms, x))
                    .collect()
            };
            area.draw(&PathElement::new(
                series(&c.winner_hz),
                color(k).stroke_width(2),
            ))
            .at(path)?;
            area.draw(&PathElement::new(
                series(&c.loser_hz),
                color(k).mix(0.45).stroke_width(1),
            ))
            .at(path)?;
        }
        x_axis(&root, path, f, &xt, "time (ms)")?;
        y_axis(
            &root,
            path,
            f,
            &yt,
            "pool rate (Hz): winner bold, loser light",
        )?;
        legend_column(&root, path, &legend, (f.r + 15, f.t))?;
    }
    root.present().at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders `s` (black on white, anchored at its baseline at `(4, 30)`) and returns the
    /// ink per pixel (0 white .. 1 black), `w` wide and 40 high.
    fn render(s: &str, size: f32) -> (usize, Vec<f64>) {
        let (w, h) = (200usize, 40usize);
        let mut buf = vec![255u8; w * h * 3];
        {
            let root =
                BitMapBackend::with_buffer(&mut buf, (w as u32, h as u32)).into_drawing_area();
            let t = Txt::new(size).at(H::Left, V::Baseline);
            put(&root, Path::new("test"), s, (4, 30), t).unwrap();
            root.present().unwrap();
        }
        let ink = buf.chunks(3).map(|p| 1.0 - p[1] as f64 / 255.0).collect();
        (w, ink)
    }

    fn inked_rows(w: usize, ink: &[f64], cols: std::ops::Range<usize>) -> Vec<usize> {
        (0..ink.len() / w)
            .filter(|&y| cols.clone().any(|x| ink[y * w + x] > 0.5))
            .collect()
    }

    #[test]
    fn font_maps_characters_and_kerns() {
        let f = face();
        assert_eq!(f.upem, 2048.0);
        for c in "0123456789.,-−×⁻⁴μτ() HzmsABCVTy".chars() {
            assert_ne!(f.glyph(c), GlyphId(0), "no glyph for {c:?}");
        }
        assert!(f.advance(f.glyph('M')) > f.advance(f.glyph('.')));
        // DejaVu Sans kerns "AV" and "Ty" (negative), not "MT".
        let k = |a, b| f.kerning(f.glyph(a), f.glyph(b));
        assert!(k('A', 'V') < 0.0 && k('T', 'y') < 0.0);
        assert_eq!(k('M', 'T'), 0.0);
    }

    #[test]
    fn decimal_point_sits_on_the_baseline() {
        // "17.2": the point's ink ends on the same row as the digits' (the baseline is the
        // top edge of row 30), and it does not reach up to mid-digit height.
        let (w, ink) = render("1", 13.0);
        let digit = inked_rows(w, &ink, 0..w);
        let (w, ink) = render(".", 13.0);
        let point = inked_rows(w, &ink, 0..w);
        assert_eq!(
            point.last(),
            digit.last(),
            "point rows {point:?}, digit rows {digit:?}"
        );
        assert_eq!(digit.last(), Some(&29), "digit rows {digit:?}");
        assert!(
            point.len() <= 3 && point[0] > digit[0] + 5,
            "{point:?} vs {digit:?}"
        );
    }

    #[test]
    fn letters_are_evenly_spaced() {
        // No gap of more than two blank columns inside a word (the old renderer dropped
        // each glyph's left side bearing: "Spikin g", "M T").
        for word in ["Spiking", "MT", "STPc", "TEO", "10"] {
            let (w, ink) = render(word, 13.0);
            let inked: Vec<usize> = (0..w)
                .filter(|&x| (0..40).any(|y| ink[y * w + x] > 0.2))
                .collect();
            let gap = inked.windows(2).map(|p| p[1] - p[0] - 1).max().unwrap_or(0);
            assert!(gap <= 2, "{word}: {gap} blank columns in {inked:?}");
            // Ink spans about the advance width.
            let span = (inked.last().unwrap() - inked[0] + 1) as i32;
            let adv = text_width(word, 13.0);
            assert!(
                (span - adv).abs() <= 3,
                "{word}: ink {span} px, advance {adv} px"
            );
        }
    }

    #[test]
    fn linear_ticks_are_round_and_need_no_trailing_zeros() {
        let labels =
            |t: Vec<Tick>| -> Vec<String> { t.into_iter().filter_map(|t| t.label).collect() };
        assert_eq!(
            labels(linear_ticks(0.0, 38.5, 8)),
            ["0", "5", "10", "15", "20", "25", "30", "35"]
        );
        assert_eq!(
            labels(linear_ticks(0.398, 0.502, 6)),
            ["0.40", "0.42", "0.44", "0.46", "0.48", "0.50"]
        );
        assert_eq!(
            labels(linear_ticks(-200.0, 700.0, 5)),
            ["\u{2212}200", "0", "200", "400", "600"]
        );
    }

    #[test]
    fn log_ticks_label_decades_and_2_5_in_plain_decimals() {
        let t = log_ticks(20.0, 2000.0, true);
        let labels: Vec<&str> = t.iter().filter_map(|t| t.label.as_deref()).collect();
        assert_eq!(labels, ["20", "50", "100", "200", "500", "1000", "2000"]);
        // 30, 40, 60, 70, 80, 90 unlabelled between 20 and 100: V1's 42 ms lies between.
        assert_eq!(
            t.iter()
                .filter(|t| t.v < 100.0 && t.label.is_none())
                .count(),
            6
        );
        let small: Vec<String> = log_ticks(0.01, 1.0, true)
            .into_iter()
            .filter_map(|t| t.label)
            .collect();
        assert_eq!(small, ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]);
        let decades: Vec<String> = log_ticks(1.0, 1e4, false)
            .into_iter()
            .filter_map(|t| t.label)
            .collect();
        assert_eq!(decades, ["1", "10", "100", "1000", "10000"]);
        assert_eq!(
            (nice_125(37.8, false), nice_125(1495.0, true)),
            (20.0, 2000.0)
        );
    }

    #[test]
    fn long_subtitles_wrap_at_clauses() {
        let s = "spiking: input to V1.E, 300-450 ms; rate: pulse 500-750 ms; attenuation V1->24c: spiking 26.8, rate 16155";
        let lines = wrap(s, SUBTITLE, 400);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines.iter().all(|l| text_width(l, SUBTITLE) <= 400),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), s);
        assert_eq!(wrap("short", SUBTITLE, 400), ["short"]);
    }

    #[test]
    fn numbers_and_units() {
        assert_eq!(fmt_sig_hz(100.07), "100 Hz");
        assert_eq!(fmt_sig_hz(17.23), "17.2 Hz");
        assert_eq!(fmt_sig_hz(0.00619), "0.00619 Hz");
        assert_eq!(fmt_sig_hz(8.64e-4), "8.64\u{D7}10\u{207B}\u{2074} Hz");
        assert_eq!(fmt_num(-0.0001, 2), "0.00");
        assert_eq!(param_title("model.j_s"), "model.j_s (nA)");
        assert_eq!(param_title("model.tau_e"), "model.tau_e (ms)");
        assert_eq!(
            param_title("stimuli.0.amplitude"),
            "stimuli.0.amplitude (units of the network file)"
        );
    }
}
