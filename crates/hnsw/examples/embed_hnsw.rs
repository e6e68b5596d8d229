//! Embedding `sextant-hnsw` in your own program with your own vectors: index, search, filter.
//! Run: `cargo run --release -p sextant-hnsw --example embed_hnsw`
use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectors, Distance};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: Vec<f32> = (0..10_000u64 * 32)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32)
        .collect();
    let vectors = DenseVectors::prepared(32, rows, Distance::Cosine)?; // remembers the metric
    let index = HnswIndex::build(
        10_000,
        &DensePairScorer::for_source(&vectors)?,
        HnswConfig::default(),
        2,
    )?;
    let query = DenseQueryScorer::for_source(&vectors, &[0.5; 32])?;
    let mut ctx = SearchContext::new();
    let best = index
        .search(&query, &SearchRequest::new(5), &mut ctx)?
        .to_vec();
    let even = |p: u32| p.is_multiple_of(2);
    let best_even = index.search(&query, &SearchRequest::new(5).filter(&even), &mut ctx)?;
    println!("top 5: {best:?}\ntop 5 even: {:?}", best_even.points);
    Ok(())
}
