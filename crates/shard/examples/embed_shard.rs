//! Embeds a shard in a program: create it, upsert points with payloads, query under a filter,
//! reopen it (the log replayed). Run: `cargo run -p sextant-shard --example embed_shard`.

use serde_json::json;
use sextant_core::Distance;
use sextant_payload_index::Filter;
use sextant_shard::{Point, QueryRequest, Shard, ShardConfig, UpdateOp, VectorParams, WithPayload};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("sextant-shard-example-{}", std::process::id()));
    let config = ShardConfig::new([("text".to_string(), VectorParams::new(3, Distance::Cosine))]);
    let shard = Shard::create(&dir, config)?;
    let cities = [
        ("Lisbon", [0.9, 0.1, 0.0]),
        ("Porto", [0.8, 0.3, 0.1]),
        ("Faro", [0.1, 0.9, 0.2]),
    ];
    let points = cities
        .iter()
        .enumerate()
        .map(|(i, (city, v))| {
            Point::new(i as u64, "text", v.to_vec())
                .with_payload(json!({"city": city, "year": 2020 + i}))
        })
        .collect();
    shard.update(UpdateOp::upsert(points))?;

    let mut req = QueryRequest::new("text", vec![1.0, 0.2, 0.0], 2);
    req.filter = Some(Filter::from_json(
        r#"{"must": [{"key": "year", "range": {"gte": 2021}}]}"#,
    )?);
    req.with_payload = WithPayload::All;
    for hit in shard.query(&req)? {
        println!(
            "{} {:.3} {}",
            hit.id,
            hit.score,
            hit.payload.unwrap_or_default()
        );
    }
    drop(shard);
    let reopened = Shard::open(&dir)?;
    println!("reopened: {} points", reopened.info().points);
    drop(reopened);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
