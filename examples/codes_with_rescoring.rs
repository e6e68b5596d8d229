//! Embedding a codec with rescoring: the graph is searched on 4-bit codes (an eighth of the
//! float bytes per visited point), the candidates are rescored on the float vectors.
//! Run: `cargo run --release --example codes_with_rescoring`
use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectors, Distance};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchRequest};
use sextant_quantization::{AnyCodes, CodecConfig, EncodedVectors};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: Vec<f32> = (0..20_000u64 * 64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32)
        .collect();
    let floats = DenseVectors::prepared(64, rows, Distance::Cosine)?;
    let codes = AnyCodes::train(
        &floats,
        Distance::Cosine,
        &CodecConfig::new("sq4d".parse()?),
        2,
    )?;
    let index = HnswIndex::build(
        20_000,
        &DensePairScorer::for_source(&floats)?,
        HnswConfig::default(),
        2,
    )?;
    let query = [0.5f32; 64];
    let (on_codes, exact) = (
        codes.query_scorer(&query)?,
        DenseQueryScorer::for_source(&floats, &query)?,
    );
    let mut ctx = SearchContext::new();
    // 20 candidates on the codes, the best 10 of them by their float scores.
    let found = index.search_rescored(
        &on_codes,
        &exact,
        &SearchRequest::new(10).ef(64),
        20,
        &mut ctx,
    )?;
    println!(
        "{} codes of {} bytes; top 10: {:?}",
        codes.len(),
        codes.bytes_per_vector(),
        found.points
    );
    Ok(())
}
