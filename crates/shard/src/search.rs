//! Answering the universal query over the live points: stages (prefetches first, fused or
//! ranked again), nearest-vector searches (the indexes for the points they hold, exact scans
//! for the rest), payload orders, random samples, points in id order, query groups; the
//! records returned with their selected payload and vectors.

use std::collections::HashMap;

use sextant_core::{BitSet, Distance, PointOffset, QueryScorer, SparseVector, TopK};
use sextant_payload_index::Filter;
use sextant_payload_index::facet::OrderValue;
use sextant_payload_index::path::JsonPath;

use crate::columns::SparseColumn;
use crate::error::{Error, Result};
use crate::fusion::{Hits, fuse};
use crate::ops::Vector;
use crate::query::{
    Group, GroupId, GroupsRequest, OrderBy, Prefetch, Query, QueryRequest, Record, SearchParams,
};
use crate::reco::Resolved;
use crate::selectors::{WithPayload, WithVector};
use crate::state::State;

/// Points an exact scan scores per kernel call (a batch's vectors stay in L2: 64 × 1.5 KB
/// at 384 floats).
const SCAN_BATCH: usize = 64;

/// Filters passing fewer points are answered exactly, by scoring their floats (see
/// `nearest`); from here on by the index's scan on codes, rescored (as Qdrant does with
/// quantized vectors). Measured in session 24 (`sextant-bench shard`, sq4d rescored 2x, 300
/// queries, ten filters of 112–802 points on minilm-pypi-20k and 158 / 1,171 on -120k): the
/// codes answered every filter from 112 points up at recall@10 0.999–1.0, 1.2–2.6x faster
/// than the floats (112 points: 138k vs 118k QPS; 802: 66k vs 20k; 158 of 120k: 78k vs
/// 61k); 23 points were faster on floats (274k vs 189k QPS: the codes' query setup weighs
/// more than 23 rows).
const FLOAT_SCAN_MAX: usize = 64;
/// Rows fetched ahead of the one scored in an exact float scan. The scorer's batch prefetch
/// (the head of every row of the batch, then the next row) is tuned for graph expansions; a
/// scan over passing points ran faster with a plain window: the 1%-filter query of
/// `benches/query.rs` (200 points of minilm-pypi-20k, scanned on floats until session 24)
/// 12.9 → 11.2 µs at 2 (1 and 3: 11.3, 4: 12.0, 8: 12.3).
const SCAN_AHEAD: usize = 2;

/// One stage, borrowed from a request or a prefetch.
pub(crate) struct Stage<'a> {
    pub query: Option<&'a Query>,
    pub prefetch: &'a [Prefetch],
    pub using: &'a str,
    pub filter: Option<&'a Filter>,
    pub limit: usize,
    pub offset: usize,
    pub threshold: Option<f32>,
    pub params: SearchParams,
}

impl<'a> Stage<'a> {
    fn of_request(req: &'a QueryRequest) -> Self {
        Self {
            query: req.query.as_ref(),
            prefetch: &req.prefetch,
            using: &req.using,
            filter: req.filter.as_ref(),
            limit: req.limit,
            offset: req.offset,
            threshold: req.score_threshold,
            params: req.params,
        }
    }

    fn of_prefetch(p: &'a Prefetch) -> Self {
        Self {
            query: p.query.as_ref(),
            prefetch: &p.prefetch,
            using: &p.using,
            filter: p.filter.as_ref(),
            limit: p.limit,
            offset: 0,
            threshold: p.score_threshold,
            params: p.params,
        }
    }
}

/// A stage's points, best first, with the payload values an order-by ranked them by
/// (empty for other queries).
#[derive(Default)]
pub(crate) struct Found {
    pub hits: Hits,
    pub order_values: Vec<OrderValue>,
}

impl From<Hits> for Found {
    fn from(hits: Hits) -> Self {
        Self {
            hits,
            order_values: Vec::new(),
        }
    }
}

/// Who may be ranked: live points passing the stage's filter, among the prefetched ones
/// when it re-ranks, not the points its examples named.
pub(crate) struct Passing<'a> {
    state: &'a State,
    pub allowed: Option<BitSet>,
    pub among: Option<&'a BitSet>,
    pub skip: Vec<PointOffset>,
}

impl Passing<'_> {
    pub fn contains(&self, o: PointOffset) -> bool {
        self.state
            .slots
            .get(o as usize)
            .is_some_and(Option::is_some)
            && self.allowed.as_ref().is_none_or(|a| a.contains(o))
            && self.among.is_none_or(|a| a.contains(o))
            && !self.skip.contains(&o)
    }

    /// The candidates to test with `contains`: the prefetched points when the stage
    /// re-ranks (a hundred, say, where the filter may pass most of the shard), else the
    /// filter's points, or every offset.
    pub fn candidates(&self) -> Box<dyn Iterator<Item = PointOffset> + '_> {
        match (self.among, &self.allowed) {
            (Some(a), _) | (None, Some(a)) => Box::new(a.iter()),
            (None, None) => Box::new(0..self.state.slots.len() as PointOffset),
        }
    }
}

/// Qdrant's score of an internal (higher-is-better) one.
pub(crate) fn reported(distance: Distance, score: f32) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => score,
        Distance::Euclid | Distance::Manhattan => distance.to_distance(score),
    }
}

/// The sparse query as scored: sorted by index, each weight times its term's IDF over the
/// `points` live points when the vector has the modifier (Qdrant counts every point of the
/// collection, holding the vector or not).
pub(crate) fn weighted(
    column: &SparseColumn,
    points: usize,
    indices: &[u32],
    values: &[f32],
) -> Result<SparseVector> {
    let q = SparseVector::from_unsorted(indices.to_vec(), values.to_vec())
        .map_err(|e| Error::bad(format!("Wrong input: sparse query: {e}")))?;
    if !column.idf {
        return Ok(q);
    }
    let (indices, values): (Vec<u32>, Vec<f32>) = q
        .iter()
        .map(|(t, w)| {
            let df = column.df.get(&t).copied().unwrap_or(0);
            (t, w * sextant_sparse_index::idf(points, df))
        })
        .unzip();
    SparseVector::new(indices, values).map_err(|e| Error::bad(format!("sparse query: {e}")))
}

/// The stage's page of the best points in `top`, with Qdrant's scores (`report` turns an
/// internal score into one) at or better than the threshold (at most it when
/// `lower_is_better`: distances).
pub(crate) fn page(
    top: TopK,
    st: &Stage<'_>,
    report: impl Fn(f32) -> f32,
    lower_is_better: bool,
) -> Hits {
    let better = |a: f32, t: f32| if lower_is_better { a <= t } else { a >= t };
    top.into_sorted_vec()
        .into_iter()
        .skip(st.offset)
        .map(|p| (p.offset, report(p.score)))
        .filter(|&(_, s)| st.threshold.is_none_or(|t| better(s, t)))
        .collect()
}

impl State {
    /// The answer to `req`.
    pub(crate) fn query(&self, req: &QueryRequest) -> Result<Vec<Record>> {
        let found = self.stage(&Stage::of_request(req))?;
        let mut values = found.order_values.into_iter();
        Ok(found
            .hits
            .into_iter()
            .map(|(o, s)| {
                let mut r = self.record(o, &req.with_payload, &req.with_vector);
                r.score = s;
                r.order_value = values.next();
                r
            })
            .collect())
    }

    /// The answer to `req`: its points grouped by the values of `group_by` (strings and
    /// integers), groups in the order of their best point, as Local Mode groups them: the
    /// query (and its prefetches) ranks every point, then each point joins the group of each
    /// distinct value it holds that has fewer than `group_size` points.
    pub(crate) fn groups(&self, req: &GroupsRequest) -> Result<Vec<Group>> {
        let key: JsonPath = req
            .group_by
            .parse()
            .map_err(|e| Error::bad(format!("Wrong input: group_by: {e}")))?;
        let mut all = req.request.clone();
        let everything = self.ids.len().max(1);
        all.limit = everything;
        all.offset = 0;
        fn unlimited(p: &mut Prefetch, n: usize) {
            p.limit = n;
            p.prefetch.iter_mut().for_each(|q| unlimited(q, n));
        }
        all.prefetch
            .iter_mut()
            .for_each(|p| unlimited(p, everything));
        let found = self.stage(&Stage::of_request(&all))?;
        let mut groups: Vec<Group> = Vec::new();
        let mut at: HashMap<GroupId, usize> = HashMap::new();
        for (o, score) in found.hits {
            let payload = self.payload(o);
            let mut ids: Vec<GroupId> = Vec::new();
            for v in key.values(&payload) {
                let id = match v {
                    serde_json::Value::String(s) => GroupId::Str(s.clone()),
                    serde_json::Value::Number(n) if n.is_i64() => {
                        GroupId::Int(n.as_i64().expect("an i64"))
                    }
                    _ => continue,
                };
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            for id in ids {
                let g = *at.entry(id.clone()).or_insert_with(|| {
                    groups.push(Group {
                        id,
                        hits: Vec::new(),
                    });
                    groups.len() - 1
                });
                if groups[g].hits.len() < req.group_size {
                    let mut r = self.record(o, &req.request.with_payload, &req.request.with_vector);
                    r.score = score;
                    groups[g].hits.push(r);
                }
            }
        }
        groups.truncate(req.request.limit);
        Ok(groups)
    }

    /// One stage's points, best first: its prefetches' lists fused, or ranked by its query
    /// (over every point, or over the prefetched ones).
    pub(crate) fn stage(&self, st: &Stage<'_>) -> Result<Found> {
        if st.prefetch.is_empty() {
            match st.query {
                Some(Query::Fusion(_)) => {
                    return Err(Error::bad(
                        "Wrong input: a fusion query needs prefetches to fuse",
                    ));
                }
                Some(Query::Formula(_)) => {
                    return Err(Error::bad(
                        "Wrong input: a formula query needs prefetches to score",
                    ));
                }
                _ => {}
            }
            return self.rank(st, None);
        }
        let lists = st
            .prefetch
            .iter()
            .map(|p| self.stage(&Stage::of_prefetch(p)).map(|f| f.hits))
            .collect::<Result<Vec<Hits>>>()?;
        match st.query {
            Some(Query::Fusion(how)) => {
                let fused =
                    fuse(&lists, how, st.limit.saturating_add(st.offset)).map_err(Error::bad)?;
                Ok(fused
                    .into_iter()
                    .filter(|&(_, s)| st.threshold.is_none_or(|t| s >= t))
                    .skip(st.offset)
                    .collect::<Hits>()
                    .into())
            }
            Some(Query::Formula(f)) => Ok(self
                .formula(f, &lists, st.limit.saturating_add(st.offset))?
                .into_iter()
                .filter(|&(_, s)| st.threshold.is_none_or(|t| s >= t))
                .skip(st.offset)
                .collect::<Hits>()
                .into()),
            None => Err(Error::bad(
                "Wrong input: a query is needed to rank the prefetched points",
            )),
            Some(_) => {
                let mut among = BitSet::new(self.slots.len());
                lists.iter().flatten().for_each(|&(o, _)| {
                    among.insert(o);
                });
                self.rank(st, Some(&among))
            }
        }
    }

    /// The stage's page ranked by its (non-fusion) query among the passing points.
    fn rank(&self, st: &Stage<'_>, among: Option<&BitSet>) -> Result<Found> {
        let resolved = st.query.map(|q| self.resolve(q, st.using)).transpose()?;
        let mut passing = Passing {
            state: self,
            allowed: None,
            among,
            skip: Vec::new(),
        };
        if let Some(r) = &resolved {
            passing.skip = r.mentioned.clone();
        }
        passing.allowed = st.filter.map(|f| self.payloads.filter(f, self));
        let k = st.limit.saturating_add(st.offset);
        match (st.query, resolved) {
            (None, _) => Ok(self
                .ids
                .values()
                .filter(|&&o| passing.contains(o))
                .skip(st.offset)
                .take(st.limit)
                .map(|&o| (o, 1.0))
                .collect::<Hits>()
                .into()),
            (Some(Query::OrderBy(by)), _) => self.ordered(by, st, &passing),
            (Some(Query::Sample), _) => Ok(self.sample(st.limit, &passing).into()),
            (
                Some(Query::NearestMmr { mmr, .. }),
                Some(Resolved {
                    nearest: Some(v), ..
                }),
            ) => {
                let lambda = mmr.lambda()?;
                let wanted = mmr.candidates_limit.unwrap_or(st.limit);
                let candidates =
                    self.nearest(&v, st, &passing, wanted.saturating_add(st.offset))?;
                self.mmr(candidates, &v, st.using, lambda, st.limit)
                    .map(Found::from)
            }
            (
                _,
                Some(Resolved {
                    nearest: Some(v), ..
                }),
            ) => self.nearest(&v, st, &passing, k).map(Found::from),
            (
                _,
                Some(Resolved {
                    scoring: Some(by), ..
                }),
            ) => self.by_examples(&by, st, &passing, k).map(Found::from),
            (Some(_), _) => Err(Error::bad(
                "Wrong input: a fusion query needs prefetches to fuse",
            )),
        }
    }

    /// The stage's page in the order of a payload value (the key's index required).
    fn ordered(&self, by: &OrderBy, st: &Stage<'_>, passing: &Passing<'_>) -> Result<Found> {
        let pairs = self
            .payloads
            .order_by(&by.key, by.direction, by.start_from, None, self)
            .map_err(|e| match e {
                sextant_payload_index::Error::NoIndex(k) => Error::bad(format!(
                    "Bad request: No range index for `order_by` key: `{k}`. Please create one to use `order_by`: an integer, float or datetime index"
                )),
                e => Error::bad(format!("Bad request: order_by: {e}")),
            })?;
        let (hits, order_values) = pairs
            .into_iter()
            .filter(|&(_, o)| passing.contains(o))
            .skip(st.offset)
            .take(st.limit)
            .map(|(v, o)| ((o, 1.0), v))
            .unzip();
        Ok(Found { hits, order_values })
    }

    /// Up to `limit` passing points in random order, score 1.
    fn sample(&self, limit: usize, passing: &Passing<'_>) -> Hits {
        let mut points: Vec<PointOffset> = passing
            .candidates()
            .filter(|&o| passing.contains(o))
            .collect();
        // Fisher–Yates with a splitmix64 stream seeded from the clock: a sample, not a secret.
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut next = || {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for i in (1..points.len()).rev() {
            points.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        points.into_iter().take(limit).map(|o| (o, 1.0)).collect()
    }

    /// The stage's page of points nearest to `vector` among the live points passing its
    /// filter (and in `among`, when given), with Qdrant's scores. The indexes answer for the
    /// points they hold when the stage searches every point and the filter passes at least
    /// the full-scan threshold; the other points are scanned exactly.
    fn nearest(
        &self,
        vector: &Vector,
        st: &Stage<'_>,
        passing: &Passing<'_>,
        k: usize,
    ) -> Result<Hits> {
        let allowed = passing.allowed.as_ref();
        let count = allowed.map(BitSet::count);
        // The indexes answer for the points they hold unless the stage re-ranks prefetched
        // points or asks for exact scores; a filter passing few points is scanned (on codes
        // when the vector has them, as Qdrant does).
        let indexed = passing.among.is_none() && !st.params.exact;
        let scan = count.is_some_and(|n| n < self.optimizer.full_scan_threshold);
        let with_count = allowed.zip(count);
        let passes = |o: PointOffset| passing.contains(o);
        // The points the query's examples named are dropped from what the indexes find.
        let k_indexed = k.saturating_add(passing.skip.len());
        let mut top = TopK::new(k);
        let vector = match vector {
            Vector::Multi(rows) => return self.nearest_multi(rows, st, passing, k),
            Vector::Dense(v) => v,
            Vector::Sparse { indices, values } => {
                let (at, column) = self
                    .sparse
                    .iter()
                    .enumerate()
                    .find(|(_, c)| c.name == st.using)
                    .ok_or_else(|| {
                        Error::bad(format!(
                            "Not existing vector name error: {:?} is not a sparse vector",
                            st.using
                        ))
                    })?;
                let q = weighted(column, self.ids.len(), indices, values)?;
                // The inverted index is exact under any filter: it needs no scan threshold.
                let found = indexed
                    .then(|| self.indexed.search_sparse(at, &q, k_indexed, with_count))
                    .flatten();
                for &(o, s) in found.iter().flatten().filter(|(o, _)| passes(*o)) {
                    top.push(o, s);
                }
                let score = |o: PointOffset| {
                    if let Some(v) = column.get(o).filter(|_| passes(o))
                        && let Some(s) = q.dot_if_shared(v)
                    {
                        top.push(o, s);
                    }
                };
                match &found {
                    Some(_) => self.indexed.unindexed(self.slots.len()).for_each(score),
                    None => passing.candidates().for_each(score),
                }
                return Ok(page(top, st, |s| s, false));
            }
        };
        let (at, column) = self
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == st.using)
            .ok_or_else(|| {
                Error::bad(format!(
                    "Not existing vector name error: {:?} is not a dense vector",
                    st.using
                ))
            })?;
        let mut q = vector.clone();
        column
            .prepare(&mut q)
            .map_err(|e| Error::bad(format!("query vector: {e}")))?;
        // Few passing points are cheaper to score on their floats (see `FLOAT_SCAN_MAX`).
        let few = count.is_some_and(|n| n < FLOAT_SCAN_MAX);
        let found = match indexed && !few {
            true => self.indexed.search_dense(
                at, column, &q, k_indexed, st.filter, with_count, scan, &st.params,
            )?,
            false => None,
        };
        for &(o, s) in found.iter().flatten().filter(|(o, _)| passes(*o)) {
            top.push(o, s);
        }
        // The rest scored exactly, a batch at a time through the SIMD kernels: the points the
        // indexes do not hold, or every passing point.
        let candidates: Box<dyn Iterator<Item = PointOffset>> = match &found {
            Some(_) => Box::new(self.indexed.unindexed(self.slots.len())),
            None => passing.candidates(),
        };
        let mut candidates = candidates
            .filter(|&o| column.present.contains(o) && passes(o))
            .peekable();
        if candidates.peek().is_some() {
            let scorer = column
                .scorer(&q)
                .map_err(|e| Error::bad(format!("query vector: {e}")))?;
            let (mut batch, mut scores) = (Vec::with_capacity(SCAN_BATCH), [0.0; SCAN_BATCH]);
            let mut flush = |batch: &mut Vec<PointOffset>| {
                for &o in batch.iter().take(SCAN_AHEAD) {
                    column.prefetch(o);
                }
                for (i, &o) in batch.iter().enumerate() {
                    if let Some(&next) = batch.get(i + SCAN_AHEAD) {
                        column.prefetch(next);
                    }
                    scores[i] = scorer.score_point(o);
                }
                batch.iter().zip(&scores).for_each(|(&o, &s)| {
                    top.push(o, s);
                });
                batch.clear();
            };
            for o in candidates {
                batch.push(o);
                if batch.len() == SCAN_BATCH {
                    flush(&mut batch);
                }
            }
            flush(&mut batch);
        }
        let distance = column.distance;
        let lower_is_better = matches!(distance, Distance::Euclid | Distance::Manhattan);
        Ok(page(top, st, |s| reported(distance, s), lower_is_better))
    }

    /// The point at `o` (live) with the parts asked for.
    pub(crate) fn record(
        &self,
        o: PointOffset,
        payload: &WithPayload,
        vector: &WithVector,
    ) -> Record {
        let slot = self.slots[o as usize].as_ref().expect("a live offset");
        Record {
            id: slot.id,
            version: slot.version,
            score: 0.0,
            // Parsed from the base file only when asked for (about 1 µs a point).
            payload: (*payload != WithPayload::None)
                .then(|| payload.select(&self.payload(o)))
                .flatten(),
            vectors: (*vector != WithVector::None).then(|| {
                let dense = self
                    .columns
                    .iter()
                    .filter(|c| vector.wants(&c.name))
                    .filter_map(|c| Some((c.name.clone(), Vector::Dense(c.get(o)?.to_vec()))));
                let sparse = self
                    .sparse
                    .iter()
                    .filter(|c| vector.wants(&c.name))
                    .filter_map(|c| {
                        let v = c.get(o)?;
                        let (indices, values) = (v.indices().to_vec(), v.values().to_vec());
                        Some((c.name.clone(), Vector::Sparse { indices, values }))
                    });
                let multi = self
                    .multi
                    .iter()
                    .filter(|c| vector.wants(&c.name))
                    .filter_map(|c| Some((c.name.clone(), Vector::Multi(c.vectors(o)?))));
                dense.chain(sparse).chain(multi).collect()
            }),
            order_value: None,
        }
    }
}
