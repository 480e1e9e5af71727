//! Charts drawn as SVG on the server: horizontal bars, ranges (p10–p90 with
//! the median), a line over days, a stacked bar, and a small column chart.
//! No script and no outside library; each chart carries a text label for
//! screen readers, and the numbers are printed beside the marks.

use maud::{Markup, html};

const WIDTH: f64 = 640.0;
const LABEL_W: f64 = 190.0;
const ROW_H: f64 = 26.0;
const VALUE_W: f64 = 90.0;

fn fmt(v: f64) -> String {
    format!("{v:.0}")
}

/// One bar per row: `(label, value, value text)`, scaled to `max`.
pub(crate) fn bars(
    id: &str,
    label: &str,
    rows: &[(String, f64, String)],
    max: f64,
    color: &str,
) -> Markup {
    let height = ROW_H * rows.len().max(1) as f64 + 8.0;
    let span = WIDTH - LABEL_W - VALUE_W;
    let max = if max > 0.0 { max } else { 1.0 };
    html! {
        svg.chart #(id) viewBox={ "0 0 " (fmt(WIDTH)) " " (fmt(height)) } role="img" aria-label=(label) {
            title { (label) }
            @for (i, (name, value, text)) in rows.iter().enumerate() {
                @let y = 4.0 + i as f64 * ROW_H;
                text x=(fmt(LABEL_W - 8.0)) y=(fmt(y + 17.0)) text-anchor="end" { (name) }
                rect x=(fmt(LABEL_W)) y=(fmt(y + 4.0)) width=(format!("{:.1}", (value / max).clamp(0.0, 1.0) * span)) height="16" rx="3" fill=(color) {}
                text x=(format!("{:.1}", LABEL_W + (value / max).clamp(0.0, 1.0) * span + 6.0)) y=(fmt(y + 17.0)) { (text) }
            }
        }
    }
}

/// One range per row: `(label, low, middle, high, text)`; the bar runs low to
/// high, with a mark at the middle.
pub(crate) fn ranges(
    id: &str,
    label: &str,
    rows: &[(String, f64, f64, f64, String)],
    max: f64,
) -> Markup {
    let height = ROW_H * rows.len().max(1) as f64 + 30.0;
    let span = WIDTH - LABEL_W - VALUE_W;
    let max = if max > 0.0 { max } else { 1.0 };
    let x = |v: f64| LABEL_W + (v / max).clamp(0.0, 1.0) * span;
    let ticks: Vec<f64> = (0..=4).map(|i| max * f64::from(i) / 4.0).collect();
    html! {
        svg.chart #(id) viewBox={ "0 0 " (fmt(WIDTH)) " " (fmt(height)) } role="img" aria-label=(label) {
            title { (label) }
            @for (i, (name, low, mid, high, text)) in rows.iter().enumerate() {
                @let y = 4.0 + i as f64 * ROW_H;
                text x=(fmt(LABEL_W - 8.0)) y=(fmt(y + 17.0)) text-anchor="end" { (name) }
                rect x=(format!("{:.1}", x(*low))) y=(fmt(y + 6.0)) width=(format!("{:.1}", (x(*high) - x(*low)).max(2.0))) height="12" rx="3" fill="#54aeff" {}
                rect x=(format!("{:.1}", x(*mid) - 1.5)) y=(fmt(y + 2.0)) width="3" height="20" fill="#0a3069" {}
                text x=(format!("{:.1}", x(*high) + 6.0)) y=(fmt(y + 17.0)) { (text) }
            }
            @let axis_y = 4.0 + rows.len() as f64 * ROW_H + 4.0;
            line.axis x1=(fmt(LABEL_W)) x2=(fmt(LABEL_W + span)) y1=(fmt(axis_y)) y2=(fmt(axis_y)) {}
            @for t in &ticks {
                text x=(format!("{:.1}", x(*t))) y=(fmt(axis_y + 16.0)) text-anchor="middle" { (fmt(*t)) }
            }
        }
    }
}

/// A line over `points` `(label, share 0..=1)`, the y axis in percent.
pub(crate) fn line(id: &str, label: &str, points: &[(String, f64)]) -> Markup {
    let (w, h, left, bottom, top) = (WIDTH, 220.0, 44.0, 30.0, 10.0);
    let plot_h = h - bottom - top;
    let n = points.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (w - left - 10.0) * i as f64 / n;
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 1.0));
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(*v)))
        .collect();
    let every = (points.len() / 6).max(1);
    html! {
        svg.chart #(id) viewBox={ "0 0 " (fmt(w)) " " (fmt(h)) } role="img" aria-label=(label) {
            title { (label) }
            @for pct in [0.0, 0.5, 1.0] {
                line.axis x1=(fmt(left)) x2=(fmt(w - 10.0)) y1=(format!("{:.1}", y(pct))) y2=(format!("{:.1}", y(pct))) stroke-dasharray="3 3" {}
                text x=(fmt(left - 6.0)) y=(format!("{:.1}", y(pct) + 4.0)) text-anchor="end" { (fmt(pct * 100.0)) "%" }
            }
            polyline points=(path.join(" ")) fill="none" stroke="#1a7f37" stroke-width="2.5" {}
            @for (i, (name, v)) in points.iter().enumerate() {
                circle cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*v))) r="3" fill="#1a7f37" { title { (name) ": " (format!("{:.1}", v * 100.0)) "%" } }
                @if i % every == 0 || i + 1 == points.len() {
                    text x=(format!("{:.1}", x(i))) y=(fmt(h - 10.0)) text-anchor="middle" { (name) }
                }
            }
        }
    }
}

/// One bar split into `parts` `(label, count, colour)`, with a legend.
pub(crate) fn stacked(id: &str, label: &str, parts: &[(String, u32, &str)]) -> Markup {
    let total: u32 = parts.iter().map(|p| p.1).sum();
    let total_f = f64::from(total.max(1));
    let mut at = 10.0;
    let spans: Vec<(f64, f64)> = parts
        .iter()
        .map(|p| {
            let w = (WIDTH - 20.0) * f64::from(p.1) / total_f;
            at += w;
            (at - w, w)
        })
        .collect();
    html! {
        svg.chart #(id) viewBox="0 0 640 90" role="img" aria-label=(label) {
            title { (label) }
            @for ((name, count, color), (x, w)) in parts.iter().zip(&spans) {
                rect x=(format!("{x:.1}")) y="8" width=(format!("{w:.1}")) height="28" fill=(color) { title { (name) ": " (count) } }
            }
            @for (i, (name, count, color)) in parts.iter().enumerate() {
                @let lx = 10.0 + i as f64 * 210.0;
                rect x=(fmt(lx)) y="54" width="14" height="14" fill=(color) {}
                text x=(fmt(lx + 20.0)) y="66" { (name) ": " (count) " (" (format!("{:.0}", f64::from(*count) * 100.0 / total_f)) "%)" }
            }
        }
    }
}

/// Small columns `(label, value)` for a table cell.
pub(crate) fn columns(label: &str, values: &[(String, u64)]) -> Markup {
    let max = values.iter().map(|v| v.1).max().unwrap_or(0).max(1) as f64;
    let (w, h) = (values.len().max(1) as f64 * 9.0, 36.0);
    html! {
        svg.spark viewBox={ "0 0 " (fmt(w)) " " (fmt(h)) } width=(fmt(w)) height=(fmt(h)) role="img" aria-label=(label) {
            title { (label) }
            @for (i, (name, v)) in values.iter().enumerate() {
                @let bh = (*v as f64 / max * (h - 2.0)).max(1.0);
                rect x=(format!("{:.1}", i as f64 * 9.0)) y=(format!("{:.1}", h - bh)) width="7" height=(format!("{:.1}", bh)) fill="#0969da" { title { (name) ": " (v) } }
            }
        }
    }
}
