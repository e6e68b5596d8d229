//! # sextant-hnsw
//!
//! An HNSW graph index (Malkov & Yashunin) that stores only the graph: vectors are reached
//! through the `sextant-core` scorer traits, so the same index searches f32 vectors in RAM, an
//! mmap, or quantized codes.
//!
//! Built: construction (parallel, deterministic on one thread; [`HnswIndex::build_with_search`]
//! lets inserts search with a cheaper scorer such as int8 codes, and the pair scorer that
//! chooses the links may read a bf16 copy, `sextant-core`'s `Bf16PairScorer`, which inserts
//! search on too while it fits the cache (`Bf16PairScorer::fits_search`); every point left reachable
//! from the entry, the few the heuristic strands linked back in), growth by insertion, updates
//! ([`HnswIndex::relink`]: a point whose vector changed gets its links chosen again; many
//! inserts and updates at once on several threads with [`HnswIndex::grow_with_search`]), filtered
//! search with a planner (exact scan over the passing points when a cost model says it scores
//! fewer vectors than a filtered traversal, graph traversal otherwise), an ACORN-style
//! filter-aware traversal ([`SearchMode::Acorn`]), deletes with online repair and slot reuse, graph
//! diagnostics, and a checksummed file format (the [`format`](mod@format) module) with plain or
//! compressed (sorted, gap-encoded, bit-packed) level-0 lists, loaded into RAM
//! ([`HnswIndex::load`]) or searched in place through mmap ([`HnswIndex::open_mapped`]) with identical
//! results, and payload-aware extra links ([`HnswIndex::add_block_links`]; points entering a block later
//! joined to it with [`HnswIndex::join_blocks`]) that keep the
//! ACORN-style search connected inside a block of points sharing a payload value (plain
//! filtered traversal keeps to the graph's own links; a filter that is exactly one block walks
//! the block's links alone, [`SearchRequest::block`]).
//!
//! Every search tells its scorer the floor below which a point will be dropped (the worst
//! score of a full result list, through `QueryScorer::score_points_above`), so a scorer that
//! can bound a score cheaply skips the rest of the work for such points without changing any
//! result: `sextant-quantization`'s `BoundedExact` reads int8 codes first and fetches a float
//! vector only where the code bound reaches the floor.
//!
//! ```
//! use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectors, Distance};
//! use sextant_hnsw::{HnswIndex, HnswConfig, SearchContext, SearchRequest};
//!
//! // 200 two-dimensional points, prepared once for the metric (the set remembers it).
//! let data = (0..200).flat_map(|i| [i as f32, (i % 7) as f32]).collect();
//! let points = DenseVectors::prepared(2, data, Distance::Euclid)?;
//! let index = HnswIndex::build(200, &DensePairScorer::for_source(&points)?, HnswConfig::default(), 2)?;
//!
//! let query = DenseQueryScorer::for_source(&points, &[50.2, 1.0])?;
//! let mut ctx = SearchContext::new(); // reuse it: searches then allocate nothing
//! let found = index.search(&query, &SearchRequest::new(3).ef(32), &mut ctx)?;
//! assert_eq!(found[0].offset, 50);
//!
//! // Under a filter (any `Fn(u32) -> bool`, a bitset, a payload index's filter...).
//! let odd = |p: u32| !p.is_multiple_of(2);
//! let found = index.search(&query, &SearchRequest::new(3).filter(&odd), &mut ctx)?;
//! assert!(found.iter().all(|p| p.offset % 2 == 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod block_links;
mod build;
mod config;
mod delete;
mod error;
pub mod format;
mod graph;
mod grow;
mod index;
mod layout;
mod links;
mod mapped;
mod persist;
mod query;
mod reconnect;
mod request;
mod search;

pub use config::HnswConfig;
pub use error::{Error, Result};
pub use index::{ACORN_POINTS_PER_EF, GraphStats, HnswIndex, VISITS_PER_EF};
pub use mapped::HnswMapped;
pub use request::{DEFAULT_EF, Found, SearchMode, SearchPlan, SearchRequest};
pub use search::SearchContext;

/// Entry point for the cargo-fuzz target and its corpus replay test: the graph loaders on
/// arbitrary bytes must never panic.
#[doc(hidden)]
pub mod fuzzing {
    use crate::links::Links;

    /// Loads `data` as a graph file; whatever loads must describe itself consistently, read
    /// the same in place as in RAM, and survive both encodings.
    pub fn load(data: &[u8]) {
        let Ok(index) = crate::HnswIndex::from_bytes(data) else {
            return;
        };
        let stats = index.stats();
        assert_eq!(stats.nodes.first().copied().unwrap_or(0), index.len());
        let layout = crate::layout::parse(data).expect("from_bytes parsed it");
        let view = crate::query::Query {
            graph: crate::layout::FileGraph {
                b: data,
                layout: &layout,
            },
            deleted: &layout.deleted,
            extra: &layout.extra,
        };
        assert_eq!(view.stats(), stats);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for p in 0..index.len() as u32 {
            index.graph.links_into(p, 0, &mut a);
            view.graph.links_into(p, 0, &mut b);
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        }
        for bytes in [index.to_bytes(), index.to_bytes_compressed()] {
            let again = crate::HnswIndex::from_bytes(&bytes).expect("our own encoding loads");
            assert_eq!(again.stats(), stats);
        }
    }
}
