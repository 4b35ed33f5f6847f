//! The radar as an SVG: a nonagon per 25 points, one axis per dimension, the
//! scores as a filled polygon. Deterministic, so it can be snapshot-tested,
//! and plain enough to print.

use std::fmt::Write as _;

use pinwarden_core::xml_escape;

use crate::radar::{Dimension, Radar};

const SIZE: f64 = 420.0;
const CENTRE: f64 = SIZE / 2.0;
const RADIUS: f64 = 140.0;
/// Room left and right of the circle for labels.
const MARGIN: f64 = 90.0;
/// Characters per label line.
const LABEL_WIDTH: usize = 20;

/// Splits `text` at spaces into lines of at most `width` characters (a
/// longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// The point at `fraction` of the radius on axis `i` of `n`, from the top, clockwise.
fn point(i: usize, n: usize, fraction: f64) -> (f64, f64) {
    let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
    (
        CENTRE + RADIUS * fraction * angle.cos(),
        CENTRE + RADIUS * fraction * angle.sin(),
    )
}

fn polygon(points: impl Iterator<Item = (f64, f64)>) -> String {
    points
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The radar's SVG, with a title for screen readers.
pub fn radar_svg(radar: &Radar) -> String {
    let n = Dimension::ALL.len();
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{} 0 {} {SIZE}\" role=\"img\" aria-labelledby=\"radar-title\">\n\
         <title id=\"radar-title\">PKI Health Radar, overall {} of 100</title>\n",
        -MARGIN,
        SIZE + 2.0 * MARGIN,
        radar.overall(None)
    );
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            out,
            "<polygon points=\"{}\" fill=\"none\" stroke=\"#bbb\" stroke-width=\"1\"/>",
            polygon((0..n).map(|i| point(i, n, ring)))
        );
    }
    for (i, d) in Dimension::ALL.iter().enumerate() {
        let (x, y) = point(i, n, 1.0);
        let (lx, ly) = point(i, n, 1.22);
        let anchor = if (lx - CENTRE).abs() < 1.0 {
            "middle"
        } else if lx > CENTRE {
            "start"
        } else {
            "end"
        };
        let _ = writeln!(
            out,
            "<line x1=\"{CENTRE}\" y1=\"{CENTRE}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#ccc\"/>"
        );
        // Two lines at most, so labels stay inside the drawing at any width.
        let value = if radar.applies(*d) {
            radar.get(*d).to_string()
        } else {
            "n/a".to_owned()
        };
        let lines = wrap(&format!("{} ({value})", d.title()), LABEL_WIDTH);
        let first = ly - 6.5 * (lines.len() - 1) as f64;
        let _ = write!(
            out,
            "<text x=\"{lx:.1}\" y=\"{first:.1}\" font-size=\"11\" text-anchor=\"{anchor}\" dominant-baseline=\"middle\">"
        );
        for (k, line) in lines.iter().enumerate() {
            let dy = if k == 0 { 0 } else { 13 };
            let _ = write!(
                out,
                "<tspan x=\"{lx:.1}\" dy=\"{dy}\">{}</tspan>",
                xml_escape(line)
            );
        }
        out.push_str("</text>\n");
    }
    let _ = writeln!(
        out,
        "<polygon class=\"scores\" points=\"{}\" fill=\"rgba(30,110,200,0.35)\" stroke=\"#1e6ec8\" stroke-width=\"2\"/>",
        polygon(Dimension::ALL.iter().enumerate().map(|(i, d)| point(
            i,
            n,
            f64::from(radar.get(*d)) / 100.0
        )))
    );
    out.push_str("</svg>\n");
    out
}
