//! End to end through the binary: groundtruth -> exact -> plot on a small synthetic dataset,
//! and the refusals that protect data (no ground truth, no overwrite without --force).

use sextant_core::DenseVectorSource;
use sextant_datasets::{clustered, write_vecs};
use std::path::Path;
use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sextant-bench"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write_dataset(dir: &Path, metric: &str) {
    let base = clustered(2_000, 24, 20, 0.4, 5).unwrap();
    let queries = clustered(50, 24, 20, 0.4, 6).unwrap();
    write_vecs(dir.join("base.fvecs"), 24, base.iter()).unwrap();
    write_vecs(dir.join("query.fvecs"), 24, queries.iter()).unwrap();
    let meta = serde_json::json!({"name": "synthetic", "metric": metric, "dim": 24,
        "n_base": base.len(), "n_query": queries.len(), "k": 100});
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
}

#[test]
fn groundtruth_exact_plot_round_trip() {
    for metric in ["cosine", "l2", "dot"] {
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().to_str().unwrap();
        write_dataset(tmp.path(), metric);

        let o = bench(&["exact", "--dataset", ds]);
        assert!(!o.status.success());
        assert!(text(&o).contains("no groundtruth.ivecs"), "{}", text(&o));

        let o = bench(&[
            "groundtruth",
            "--dataset",
            ds,
            "--k",
            "100",
            "--threads",
            "2",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let written = std::fs::read(tmp.path().join("groundtruth.ivecs")).unwrap();
        assert_eq!(written.len(), 50 * (4 + 100 * 4));

        // A second run must not overwrite, and says the two agree.
        let o = bench(&["groundtruth", "--dataset", ds, "--k", "100"]);
        assert!(!o.status.success());
        assert!(text(&o).contains("recall@100 = 1.0000"), "{}", text(&o));
        assert_eq!(
            std::fs::read(tmp.path().join("groundtruth.ivecs")).unwrap(),
            written
        );

        let json = tmp.path().join("exact.json");
        let o = bench(&[
            "exact",
            "--dataset",
            ds,
            "--k",
            "10",
            "--repeats",
            "1",
            "--json",
            json.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("| sextant-exact | single"),
            "{}",
            text(&o)
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let single = &v["records"][0];
        assert_eq!(single["lib"], "sextant-exact");
        assert_eq!(single["mode"], "single");
        assert_eq!(single["recall"], 1.0);
        assert!(single["qps"].as_f64().unwrap() > 0.0);
        assert_eq!(v["records"][1]["recall"], 1.0);

        let out = tmp.path().join("plot");
        let o = bench(&[
            "plot",
            json.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(tmp.path().join("plot.png").exists() && tmp.path().join("plot.svg").exists());
    }
}

#[test]
fn bad_inputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bench(&["exact", "--dataset", tmp.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("meta.json"), "{}", text(&o));
    let bogus = tmp.path().join("bogus.json");
    std::fs::write(&bogus, "not json").unwrap();
    let o = bench(&["plot", bogus.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("not JSON"), "{}", text(&o));
}

#[test]
fn wal_crash_test_runs_standalone_and_reports_its_summary() {
    let o = bench(&["wal-crash", "--kills", "8", "--max-run-ms", "30"]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("wal-crash: kills=8 acknowledged="),
        "{last}"
    );
    assert!(last.ends_with("lost=0 corrupted=0"), "{last}");
}

#[test]
fn bad_flags_are_refused_before_any_work() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../datasets/minilm-pypi-20k");
    let cases: [(&[&str], &str); 9] = [
        (&["quant", "--k", "0"], "--k"),
        (&["hnsw", "--ef", "16,0"], "--ef"),
        (&["hnsw", "--threads", "0"], "--threads"),
        (&["quant", "--threads", "0"], "--threads"),
        (&["groundtruth", "--threads", "0"], "--threads"),
        (&["hnsw", "--quantization", "sq9"], "unknown codec"),
        (&["hnsw", "--storage", "disk"], "unknown --storage"),
        (&["quant", "--codecs", "sq8d,pq"], "unknown codec"),
        (&["hnsw", "--json", "/nonexistent-dir/out.json"], "--json"),
    ];
    for (flags, says) in cases {
        let mut args = vec![flags[0], "--dataset", data];
        args.extend_from_slice(&flags[1..]);
        let out = bench(&args);
        assert!(!out.status.success(), "{flags:?} succeeded");
        assert!(text(&out).contains(says), "{flags:?}: {}", text(&out));
        // Refused before the dataset is even read: no build or training has started.
        let said = text(&out);
        assert!(
            !said.contains("building") && !said.contains("codes in"),
            "{flags:?} started working before refusing: {said}"
        );
    }
}
