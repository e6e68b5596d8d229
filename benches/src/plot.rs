//! `sextant-bench plot`: recall-vs-QPS curves from result files (ours and the peers') to SVG and
//! PNG, QPS on a log scale.

use clap::Args;
use plotters::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Plot recall@k against QPS for every curve in the given result files.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Result files: `sextant-bench --json` output and/or `peers.py` output.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output path without extension; OUT.svg and OUT.png are written.
    #[arg(long, default_value = "recall-qps")]
    out: PathBuf,
    /// Plot title (default: the dataset name found in the files).
    #[arg(long)]
    title: Option<String>,
    /// Left edge of the recall axis.
    #[arg(long, default_value_t = 0.7)]
    min_recall: f64,
    /// Also plot batched / multi-threaded curves (default: single-query curves only, as
    /// `compare.py` compares them).
    #[arg(long)]
    all_modes: bool,
    /// Keep only curves whose name contains one of these (comma-separated), e.g. `hnswlib,sextant`.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// The "tab10" palette: ten colours that stay distinguishable on white.
const TAB10: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// One curve: its name and (recall, QPS) points sorted by recall.
type Curves = BTreeMap<String, Vec<(f64, f64)>>;

/// The curve a record belongs to: the library plus what tells its runs apart (as compare.py).
fn curve_key(rec: &Value) -> String {
    let mut parts = vec![rec["lib"].as_str().unwrap_or("?").to_string()];
    for field in ["variant", "quantization", "mode"] {
        match &rec[field] {
            Value::String(s) if !matches!(s.as_str(), "" | "single" | "none") => {
                parts.push(s.clone())
            }
            Value::Number(n) => parts.push(n.to_string()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Reads the search records of result files into curves; also returns the dataset names seen.
fn load_curves(args: &PlotArgs) -> Result<(Curves, Vec<String>), String> {
    let mut curves = Curves::new();
    let mut datasets = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        if let Some(name) = v["dataset"]["name"].as_str() {
            datasets.push(name.to_string());
        }
        let records = match &v {
            Value::Array(a) => a,
            Value::Object(_) => v["records"]
                .as_array()
                .ok_or(format!("{}: no records", path.display()))?,
            _ => return Err(format!("{}: not a result file", path.display())),
        };
        for rec in records.iter().filter(|r| r["kind"] == "search") {
            let mode = rec["mode"].as_str().unwrap_or("single");
            if mode != "single" && !args.all_modes {
                continue;
            }
            let (Some(recall), Some(qps)) = (rec["recall"].as_f64(), rec["qps"].as_f64()) else {
                continue;
            };
            let key = curve_key(rec);
            if !args.only.is_empty() && !args.only.iter().any(|o| key.contains(o.as_str())) {
                continue;
            }
            if qps > 0.0 && recall.is_finite() {
                curves.entry(key).or_default().push((recall, qps));
            }
        }
    }
    curves
        .values_mut()
        .for_each(|c| c.sort_by(|a, b| a.0.total_cmp(&b.0)));
    datasets.sort();
    datasets.dedup();
    Ok((curves, datasets))
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    curves: &Curves,
    title: &str,
    min_recall: f64,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let qps = curves.values().flatten().map(|p| p.1);
    let (lo, hi) = qps.fold((f64::MAX, f64::MIN), |(lo, hi), q| (lo.min(q), hi.max(q)));
    let y = (lo / 1.5)..(hi * 1.5);
    let x_lo = curves
        .values()
        .flatten()
        .map(|p| p.0)
        .fold(1.0, f64::min)
        .max(min_recall)
        .min(0.99);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        // A little room right of 1.0 so exact-search points (recall 1) are not cut by the frame.
        .build_cartesian_2d(x_lo..1.004, y.log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("recall@k")
        .y_desc("queries per second (log)")
        .label_style(("sans-serif", 14))
        .y_label_formatter(&|q| format!("{q:.0}"))
        .draw()
        .map_err(err)?;
    for (i, (name, points)) in curves.iter().enumerate() {
        let (r, g, b) = TAB10[i % TAB10.len()];
        let color = RGBColor(r, g, b).to_rgba();
        let visible: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0 >= x_lo).collect();
        chart
            .draw_series(LineSeries::new(visible.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
        chart
            .draw_series(visible.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

fn register_font() {
    // plotters needs a font to measure and draw text; a bundled one keeps PNG output identical
    // on every machine (DejaVu Sans, license in benches/assets/).
    static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
    // Registering twice (tests call `run` more than once) is harmless; an error means the
    // bundled font is broken, which the plot test catches.
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
}

pub fn run(args: PlotArgs) -> Result<(), String> {
    let (curves, datasets) = load_curves(&args)?;
    if curves.is_empty() {
        return Err("no search records with recall and qps in the given files".into());
    }
    register_font();
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| match datasets.as_slice() {
            [] => "recall vs QPS".into(),
            names => format!("{}: recall vs QPS, one query per call", names.join(", ")),
        });
    let svg = with_ext(&args.out, "svg");
    let png = with_ext(&args.out, "png");
    draw(
        SVGBackend::new(&svg, (1024, 700)).into_drawing_area(),
        &curves,
        &title,
        args.min_recall,
    )?;
    draw(
        BitMapBackend::new(&png, (1024, 700)).into_drawing_area(),
        &curves,
        &title,
        args.min_recall,
    )?;
    println!("| curve | points | best recall | QPS at best recall |\n| --- | ---: | ---: | ---: |");
    for (name, pts) in &curves {
        let (r, q) = pts.last().copied().unwrap_or_default();
        println!("| {name} | {} | {r:.4} | {q:.0} |", pts.len());
    }
    println!("\nwrote {} and {}", svg.display(), png.display());
    Ok(())
}

fn with_ext(out: &Path, ext: &str) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_peer_and_own_records_to_svg_and_png() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.json");
        let recs = serde_json::json!({"dataset": {"name": "toy"}, "records": [
            {"lib": "hnswlib", "kind": "search", "mode": "single", "ef": 10, "recall": 0.8, "qps": 30000.0},
            {"lib": "hnswlib", "kind": "search", "mode": "single", "ef": 64, "recall": 0.97, "qps": 8000.0},
            {"lib": "hnswlib", "kind": "search", "mode": "batched", "ef": 64, "recall": 0.97, "qps": 9000.0},
            {"lib": "sextant-exact", "kind": "search", "mode": "single", "recall": 1.0, "qps": 900.0},
            {"lib": "faiss", "kind": "build", "build_s": 1.0}
        ]});
        std::fs::write(&file, recs.to_string()).unwrap();
        let out = dir.path().join("plot");
        let args = PlotArgs {
            files: vec![file],
            out: out.clone(),
            title: None,
            min_recall: 0.7,
            all_modes: false,
            only: vec![],
        };
        let (curves, names) = load_curves(&args).unwrap();
        assert_eq!(
            curves.keys().collect::<Vec<_>>(),
            ["hnswlib", "sextant-exact"]
        );
        assert_eq!(curves["hnswlib"], vec![(0.8, 30000.0), (0.97, 8000.0)]);
        assert_eq!(names, ["toy"]);
        run(args).unwrap();
        let png = std::fs::read(with_ext(&out, "png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = std::fs::read_to_string(with_ext(&out, "svg")).unwrap();
        assert!(svg.contains("hnswlib") && svg.contains("sextant-exact"));
    }
}
