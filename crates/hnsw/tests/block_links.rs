//! Payload-aware extra links: filtered traversal inside a block of points sharing a payload
//! value stays connected, and the links survive save / load / mmap / compression and deletes.

use sextant_core::{
    BitSet, DensePairScorer, DenseQueryScorer, DenseVectorSource, Distance, QueryScorer, TopK,
};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext};
use sextant_hnsw::{SearchMode, SearchRequest};

mod common;

type Payload = serde_json::Value;

/// Counts the vectors a search scores: the work a traversal does, independent of the machine.
struct Counting<S> {
    inner: S,
    scored: std::cell::Cell<usize>,
}

impl<S: QueryScorer> QueryScorer for Counting<S> {
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn score_point(&self, p: u32) -> f32 {
        self.scored.set(self.scored.get() + 1);
        self.inner.score_point(p)
    }
    fn score_points(&self, points: &[u32], scores: &mut [f32]) {
        self.scored.set(self.scored.get() + points.len());
        self.inner.score_points(points, scores)
    }
}

/// How a forced graph search walks.
#[derive(Clone, Copy, PartialEq)]
enum How {
    /// Plain filtered traversal.
    Plain,
    /// ACORN-style: only passing points scored, through the graph's and the block's links.
    Acorn,
    /// ACORN-style with `block(true)`: inside the block, its links alone.
    Block,
}

/// (recall@10, vectors scored per query) of a forced graph search.
fn recall_of(
    index: &HnswIndex,
    m: &common::Minilm,
    allowed: &BitSet,
    ef: usize,
    how: How,
) -> (f64, f64) {
    let queries = 200u32;
    let mut ctx = SearchContext::new();
    let mut out: Vec<sextant_core::ScoredPoint>;
    let (mut hits, mut total, mut scored) = (0, 0, 0);
    for q in 0..queries {
        let inner = DenseQueryScorer::new(&m.base, m.distance, m.queries.vector(q)).unwrap();
        let scorer = Counting {
            inner,
            scored: std::cell::Cell::new(0),
        };
        let mut exact = TopK::new(10);
        allowed.iter().for_each(|p| {
            exact.push(p, scorer.score_point(p));
        });
        let truth: Vec<u32> = exact.into_sorted_vec().iter().map(|p| p.offset).collect();
        scorer.scored.set(0);
        if how != How::Plain {
            out = index
                .search(
                    &scorer,
                    &SearchRequest::new(10)
                        .ef(ef)
                        .mode(SearchMode::Acorn)
                        .block(how == How::Block)
                        .filter(allowed),
                    &mut ctx,
                )
                .unwrap()
                .to_vec();
        } else {
            out = index
                .search(
                    &scorer,
                    &SearchRequest::new(10).ef(ef).filter(allowed),
                    &mut ctx,
                )
                .unwrap()
                .to_vec();
        }
        scored += scorer.scored.get();
        assert!(out.iter().all(|p| allowed.contains(p.offset)));
        hits += out.iter().filter(|p| truth.contains(&p.offset)).count();
        total += truth.len();
    }
    (hits as f64 / total as f64, scored as f64 / queries as f64)
}

/// Forced graph searches (no planner) on blocks of the bundled dataset's payload, before and
/// after linking each block. Tiny blocks (1%, 0.1% here) are the planner's exact-scan cases:
/// block links improve the two-hop traversal there but do not make it reach 0.95.
#[test]
fn block_links_add_paths_inside_blocks() {
    let payload: Vec<Payload> = common::payload();
    let m = common::minilm();
    let pair = DensePairScorer::new(&m.base, m.distance);
    // One build thread: the graph, and so every figure below, is the same on every run.
    let mut index = HnswIndex::build(m.base.len(), &pair, HnswConfig::default(), 1).unwrap();
    let blocks: Vec<(&str, BitSet)> = [
        (
            "category = web (~11%)",
            (|p: &Payload| p["category"] == "web") as fn(&Payload) -> bool,
        ),
        ("name_len >= 40 (~1%)", |p| {
            p["name_len"].as_i64().is_some_and(|l| l >= 40)
        }),
        ("category = cli and year = 2019 (~0.1%)", |p| {
            p["category"] == "cli" && p["year"] == 2019
        }),
    ]
    .into_iter()
    .map(|(name, f)| {
        let mut set = BitSet::new(payload.len());
        payload
            .iter()
            .enumerate()
            .filter(|(_, p)| f(p))
            .for_each(|(i, _)| {
                set.insert(i as u32);
            });
        (name, set)
    })
    .collect();
    let plain: Vec<(f64, f64)> = blocks
        .iter()
        .map(|(_, b)| recall_of(&index, &m, b, 128, How::Plain))
        .collect();
    let before: Vec<(f64, f64)> = blocks
        .iter()
        .map(|(_, b)| recall_of(&index, &m, b, 128, How::Acorn))
        .collect();
    for (_, block) in &blocks {
        let points: Vec<u32> = block.iter().collect();
        index.add_block_links(&points, &pair, 16, 2).unwrap();
    }
    assert!(index.block_link_count() > 0);
    for (((name, block), (recall0, work0)), (plain_recall, plain_work)) in
        blocks.iter().zip(before).zip(plain)
    {
        let (recall, work) = recall_of(&index, &m, block, 128, How::Acorn);
        let (plain_after, _) = recall_of(&index, &m, block, 128, How::Plain);
        let (inside, inside_work) = recall_of(&index, &m, block, 128, How::Block);
        eprintln!(
            "{name}: {} points; plain traversal recall@10 {plain_recall:.4} ({plain_work:.0} vectors scored per query, {plain_after:.4} with block links); \
             ACORN-style {recall0:.4} ({work0:.0} scored) -> {recall:.4} ({work:.0} scored) with block links; \
             the block's links alone {inside:.4} ({inside_work:.0} scored)",
            block.count()
        );
        assert!(
            recall >= recall0 - 0.01,
            "{name}: block links must not cost recall ({recall0} -> {recall})"
        );
        if block.count() > 1000 {
            // Mid selectivity, where the planner may pick the graph: the two-hop traversal with
            // block links keeps recall and scores a fraction of what plain traversal does.
            assert!(recall >= 0.95, "{name}: {recall}");
            assert!(
                work * 3.0 < plain_work,
                "{name}: {work} vs {plain_work} vectors scored"
            );
            // The filter is the block: walking its links alone keeps the recall and scores
            // fewer points than following the graph's links as well.
            assert!(inside >= 0.95, "{name}: block walk recall {inside}");
            assert!(
                inside_work < work,
                "{name}: block walk {inside_work} vs {work} vectors scored"
            );
        }
    }
    // Unfiltered search ignores the extra links.
    let fresh = common::build(&m.base, m.distance);
    let mut ctx = SearchContext::new();
    let (mut a, mut b): (
        Vec<sextant_core::ScoredPoint>,
        Vec<sextant_core::ScoredPoint>,
    );
    for q in 0..50u32 {
        let s = DenseQueryScorer::new(&m.base, m.distance, m.queries.vector(q)).unwrap();
        a = index
            .search(&s, &SearchRequest::new(10).ef(64), &mut ctx)
            .unwrap()
            .to_vec();
        b = fresh
            .search(&s, &SearchRequest::new(10).ef(64), &mut ctx)
            .unwrap()
            .to_vec();
        assert_eq!(a.len(), b.len());
    }
}

#[test]
fn block_links_survive_files_and_deletes() {
    let data = sextant_datasets::gaussian(400, 8, 5).unwrap();
    let pair = DensePairScorer::new(&data, Distance::Euclid);
    let mut index = HnswIndex::build(400, &pair, HnswConfig::with_m(6), 1).unwrap();
    let block: Vec<u32> = (0..400).filter(|p| p % 9 == 0).collect();
    let total = index.add_block_links(&block, &pair, 4, 1).unwrap();
    assert!(total >= block.len(), "each block point gets links: {total}");
    let dir = tempfile::tempdir().unwrap();
    let (plain, packed) = (dir.path().join("p.hnsw"), dir.path().join("c.hnsw"));
    index.save(&plain).unwrap();
    index.save_compressed(&packed).unwrap();
    let loaded = HnswIndex::load(&packed).unwrap();
    assert_eq!(loaded.block_link_count(), total);
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        // Fuzz seeds with the extra-links section, in both encodings.
        let corpus =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/hnsw_graph");
        std::fs::write(corpus.join("block-links"), index.to_bytes()).unwrap();
        std::fs::write(
            corpus.join("block-links-compressed"),
            index.to_bytes_compressed(),
        )
        .unwrap();
    }
    let (mapped, mapped_packed) = (
        HnswIndex::open_mapped(&plain).unwrap(),
        HnswIndex::open_mapped(&packed).unwrap(),
    );
    let in_block = |p: u32| p.is_multiple_of(9);
    let (mut ctx, mut r) = (SearchContext::new(), vec![Vec::new(); 4]);
    for q in 0..40u32 {
        let s = DenseQueryScorer::new(&data, Distance::Euclid, data.vector(q)).unwrap();
        let request = SearchRequest::new(5).ef(20).filter(&in_block);
        r[0] = index.search(&s, &request, &mut ctx).unwrap().to_vec();
        r[1] = loaded.search(&s, &request, &mut ctx).unwrap().to_vec();
        r[2] = mapped.search(&s, &request, &mut ctx).unwrap().to_vec();
        r[3] = mapped_packed
            .search(&s, &request, &mut ctx)
            .unwrap()
            .to_vec();
        assert!(r[1..].iter().all(|x| x == &r[0]), "query {q}");
    }
    // Deleting block points drops their extra links both ways.
    let doomed: Vec<u32> = block.iter().copied().step_by(2).collect();
    index.delete(&doomed, &pair).unwrap();
    let after = HnswIndex::from_bytes(&index.to_bytes()).unwrap();
    assert!(after.block_link_count() < total);
    for q in 0..40u32 {
        let s = DenseQueryScorer::new(&data, Distance::Euclid, data.vector(q)).unwrap();
        r[0] = after
            .search(
                &s,
                &SearchRequest::new(5).ef(20).filter(&in_block),
                &mut ctx,
            )
            .unwrap()
            .to_vec();
        assert!(
            r[0].iter()
                .all(|p| in_block(p.offset) && !after.is_deleted(p.offset))
        );
    }
}
