//! Queries by examples, as Qdrant (and Local Mode) score them: a point id turned into the
//! point's vector (and the point left out of the results), recommendation by the average
//! vector (then an ordinary nearest search), by best score or by the sum of scores,
//! discovery and context search. The example-scored kinds are exact scans: each passing
//! point is scored against every example with the metric's internal similarity (Euclid and
//! Manhattan negated distances; a sparse pair sharing no term scores 0).

use sextant_core::{PointOffset, SparseVector, TopK};

use crate::error::{Error, Result};
use crate::fusion::Hits;
use crate::ops::{Vector, check_rows};
use crate::query::{
    ContextPair, Query, Recommend, RecommendStrategy, RelevanceFeedback, VectorInput,
};
use crate::search::{Passing, Stage, page, weighted};
use crate::state::State;

/// A query with its point ids turned into vectors.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// The vector to search nearest to (a nearest query, or an average recommendation).
    pub nearest: Option<Vector>,
    /// The examples and how they score a point (the other recommendation kinds, discovery,
    /// context).
    pub scoring: Option<(Examples, Scoring)>,
    /// The points the query named by id: left out of its results.
    pub mentioned: Vec<PointOffset>,
}

/// The examples, prepared for the vector searched.
#[derive(Debug)]
pub(crate) enum Examples {
    /// Dense vectors, prepared for the metric (cosine ones normalized).
    Dense(Vec<Vec<f32>>),
    /// Sparse vectors, sorted, with the IDF modifier applied when the vector has it.
    Sparse(Vec<SparseVector>),
    /// Multivectors, each a list of vectors (checked: one or more, each of the size).
    Multi(Vec<Vec<Vec<f32>>>),
}

/// How the similarities to the examples (by their place in [`Examples`]) make a score.
#[derive(Debug)]
pub(crate) enum Scoring {
    Best {
        pos: Vec<usize>,
        neg: Vec<usize>,
    },
    Sum {
        pos: Vec<usize>,
        neg: Vec<usize>,
    },
    Discover {
        target: usize,
        pairs: Vec<(usize, usize)>,
    },
    Context {
        pairs: Vec<(usize, usize)>,
    },
    /// Relevance feedback: `a·sim(target) + Σ w·(sim(p) − sim(n))`, in f32 as Local Mode.
    Feedback {
        a: f32,
        target: usize,
        pairs: Vec<(usize, usize, f32)>,
    },
}

/// Qdrant's fast sigmoid, `x / (1 + |x|)`.
fn sigmoid(x: f32) -> f32 {
    x / (1.0 + x.abs())
}

/// Qdrant's scaled fast sigmoid, into 0..1.
fn scaled(x: f32) -> f32 {
    0.5 * (sigmoid(x) + 1.0)
}

impl Scoring {
    /// A point's score from its similarity to each example.
    fn score(&self, sims: &[f32]) -> f32 {
        let best = |at: &[usize]| {
            at.iter()
                .map(|&i| sims[i])
                .fold(f32::NEG_INFINITY, f32::max)
        };
        let sum = |at: &[usize]| at.iter().map(|&i| sims[i]).sum::<f32>();
        match self {
            Scoring::Best { pos, neg } => {
                let (p, n) = (best(pos), best(neg));
                if p > n { scaled(p) } else { -scaled(n) }
            }
            Scoring::Sum { pos, neg } => sum(pos) - sum(neg),
            Scoring::Discover { target, pairs } => {
                let rank: i32 = pairs
                    .iter()
                    .map(|&(p, n)| match sims[p].partial_cmp(&sims[n]) {
                        Some(std::cmp::Ordering::Greater) => 1,
                        Some(std::cmp::Ordering::Less) => -1,
                        _ => 0,
                    })
                    .sum();
                rank as f32 + scaled(sims[*target])
            }
            Scoring::Feedback { a, target, pairs } => {
                pairs.iter().fold(a * sims[*target], |s, &(p, n, w)| {
                    s + w * (sims[p] - sims[n])
                })
            }
            Scoring::Context { pairs } => pairs
                .iter()
                .map(|&(p, n)| sigmoid((sims[p] - sims[n] - f32::EPSILON).min(0.0)))
                .sum(),
        }
    }
}

/// Collects examples as vectors, remembering their places.
struct Collector<'a> {
    state: &'a State,
    using: &'a str,
    vectors: Vec<Vector>,
    mentioned: Vec<PointOffset>,
}

impl Collector<'_> {
    /// The example's vector: as given, or the named point's (which is then left out).
    fn vector(&mut self, input: &VectorInput) -> Result<Vector> {
        match input {
            VectorInput::Vector(v) => Ok(v.clone()),
            VectorInput::Id(id) => {
                let o =
                    *self.state.ids.get(id).ok_or_else(|| {
                        Error::bad(format!("Not found: No point with id {id} found"))
                    })?;
                if !self.mentioned.contains(&o) {
                    self.mentioned.push(o);
                }
                let s = self.state;
                let dense = s
                    .column(self.using)
                    .map(|c| c.get(o).map(|v| Vector::Dense(v.to_vec())));
                let sparse = || {
                    let c = s.sparse.iter().find(|c| c.name == self.using)?;
                    Some(c.get(o).map(|v| Vector::Sparse {
                        indices: v.indices().to_vec(),
                        values: v.values().to_vec(),
                    }))
                };
                let multi = || {
                    let c = s.multi.iter().find(|c| c.name == self.using)?;
                    Some(c.vectors(o).map(Vector::Multi))
                };
                match dense.or_else(sparse).or_else(multi) {
                    Some(Some(v)) => Ok(v),
                    Some(None) => Err(Error::bad(format!(
                        "Wrong input: point {id} has no vector {:?}",
                        self.using
                    ))),
                    None => Err(not_a_vector(self.using)),
                }
            }
        }
    }

    /// The example's place.
    fn push(&mut self, input: &VectorInput) -> Result<usize> {
        let v = self.vector(input)?;
        self.vectors.push(v);
        Ok(self.vectors.len() - 1)
    }

    fn pairs(&mut self, context: &[ContextPair]) -> Result<Vec<(usize, usize)>> {
        context
            .iter()
            .map(|p| Ok((self.push(&p.positive)?, self.push(&p.negative)?)))
            .collect()
    }
}

fn not_a_vector(using: &str) -> Error {
    Error::bad(format!(
        "Wrong input: Not existing vector name error: {using:?}"
    ))
}

impl State {
    /// `query`'s examples as vectors in the vector `using`, and the points it named.
    pub(crate) fn resolve(&self, query: &Query, using: &str) -> Result<Resolved> {
        let mut c = Collector {
            state: self,
            using,
            vectors: Vec::new(),
            mentioned: Vec::new(),
        };
        let scoring = match query {
            Query::Nearest(input) | Query::NearestMmr { nearest: input, .. } => {
                let v = c.vector(input)?;
                return Ok(Resolved {
                    nearest: Some(v),
                    scoring: None,
                    mentioned: c.mentioned,
                });
            }
            Query::Recommend(Recommend {
                positive,
                negative,
                strategy,
            }) => {
                let pos = positive
                    .iter()
                    .map(|i| c.push(i))
                    .collect::<Result<Vec<_>>>()?;
                let neg = negative
                    .iter()
                    .map(|i| c.push(i))
                    .collect::<Result<Vec<_>>>()?;
                match strategy {
                    RecommendStrategy::AverageVector => {
                        if pos.is_empty() {
                            return Err(Error::bad(
                                "Wrong input: the average_vector strategy needs positive examples",
                            ));
                        }
                        let (p, n) = c.vectors.split_at(pos.len());
                        return Ok(Resolved {
                            nearest: Some(average(p, n)?),
                            scoring: None,
                            mentioned: c.mentioned,
                        });
                    }
                    _ if pos.is_empty() && neg.is_empty() => {
                        return Err(Error::bad(
                            "Wrong input: no positive or negative examples given",
                        ));
                    }
                    RecommendStrategy::BestScore => Scoring::Best { pos, neg },
                    RecommendStrategy::SumScores => Scoring::Sum { pos, neg },
                }
            }
            Query::Discover { target, context } => {
                let target = c.push(target)?;
                let pairs = c.pairs(context)?;
                Scoring::Discover { target, pairs }
            }
            Query::Context(context) => {
                if context.is_empty() {
                    return Err(Error::bad("Wrong input: no context pairs given"));
                }
                Scoring::Context {
                    pairs: c.pairs(context)?,
                }
            }
            Query::RelevanceFeedback(RelevanceFeedback {
                target,
                feedback,
                naive: [a, b, w],
            }) => {
                let target = c.push(target)?;
                let judged = feedback
                    .iter()
                    .map(|f| Ok((c.push(&f.example)?, f.score)))
                    .collect::<Result<Vec<_>>>()?;
                // Every ordered pair whose judged scores differ, in the order of Python's
                // `itertools.permutations` (Local Mode sums them in that order).
                let mut pairs = Vec::new();
                for (i, &(p, ps)) in judged.iter().enumerate() {
                    for (j, &(n, ns)) in judged.iter().enumerate() {
                        let confidence = ps - ns;
                        if i != j && confidence > 0.0 {
                            pairs.push((p, n, (confidence.powf(*b) * w) as f32));
                        }
                    }
                }
                if self.column(using).is_none() {
                    return Err(Error::bad(format!(
                        "Wrong input: relevance feedback needs a dense vector, {using:?} is not one"
                    )));
                }
                Scoring::Feedback {
                    a: *a as f32,
                    target,
                    pairs,
                }
            }
            Query::OrderBy(_) | Query::Sample | Query::Fusion(_) | Query::Formula(_) => {
                return Ok(Resolved::default());
            }
        };
        let examples = self.examples(c.vectors, using)?;
        Ok(Resolved {
            nearest: None,
            scoring: Some((examples, scoring)),
            mentioned: c.mentioned,
        })
    }

    /// The examples checked and prepared for the vector `using`.
    fn examples(&self, vectors: Vec<Vector>, using: &str) -> Result<Examples> {
        if let Some(column) = self.column(using) {
            let dense = vectors.into_iter().map(|v| match v {
                Vector::Dense(mut v) => {
                    column
                        .prepare(&mut v)
                        .map_err(|e| Error::bad(format!("Wrong input: example vector: {e}")))?;
                    Ok(v)
                }
                _ => Err(Error::bad(format!(
                    "Wrong input: a sparse or multi example for the dense vector {using:?}"
                ))),
            });
            return dense.collect::<Result<_>>().map(Examples::Dense);
        }
        if let Some(column) = self.multi.iter().find(|c| c.name == using) {
            let multi = vectors.into_iter().map(|v| match v {
                Vector::Multi(rows) => {
                    check_rows(&rows, column.size, using)?;
                    Ok(rows)
                }
                _ => Err(Error::bad(format!(
                    "Wrong input: a dense or sparse example for the multivector {using:?}"
                ))),
            });
            return multi.collect::<Result<_>>().map(Examples::Multi);
        }
        let column = self
            .sparse
            .iter()
            .find(|c| c.name == using)
            .ok_or_else(|| not_a_vector(using))?;
        let sparse = vectors.into_iter().map(|v| match v {
            Vector::Sparse { indices, values } => {
                weighted(column, self.ids.len(), &indices, &values)
            }
            _ => Err(Error::bad(format!(
                "Wrong input: a dense or multi example for the sparse vector {using:?}"
            ))),
        });
        sparse.collect::<Result<_>>().map(Examples::Sparse)
    }

    /// The stage's page of the passing points holding the vector, scored by the examples.
    pub(crate) fn by_examples(
        &self,
        (examples, scoring): &(Examples, Scoring),
        st: &Stage<'_>,
        passing: &Passing<'_>,
        k: usize,
    ) -> Result<Hits> {
        let mut top = TopK::new(k);
        match examples {
            Examples::Dense(ex) => {
                let column = self
                    .column(st.using)
                    .ok_or_else(|| not_a_vector(st.using))?;
                let mut sims = vec![0.0; ex.len()];
                for o in passing.candidates().filter(|&o| passing.contains(o)) {
                    let Some(row) = column.get(o) else { continue };
                    for (s, e) in sims.iter_mut().zip(ex) {
                        *s = column.similarity(e, &row);
                    }
                    top.push(o, scoring.score(&sims));
                }
            }
            Examples::Multi(ex) => {
                let column = self.multi.iter().find(|c| c.name == st.using);
                let column = column.ok_or_else(|| not_a_vector(st.using))?;
                let scorers: Vec<_> = ex.iter().map(|e| column.scorer(e)).collect();
                let mut sims = vec![0.0; ex.len()];
                for o in passing.candidates().filter(|&o| passing.contains(o)) {
                    // Read once for every example.
                    let Some(point) = column.get(o) else {
                        continue;
                    };
                    for (s, e) in sims.iter_mut().zip(&scorers) {
                        *s = e.score_values(point);
                    }
                    top.push(o, scoring.score(&sims));
                }
            }
            Examples::Sparse(ex) => {
                let column = self.sparse.iter().find(|c| c.name == st.using);
                let column = column.ok_or_else(|| not_a_vector(st.using))?;
                let mut sims = vec![0.0; ex.len()];
                for o in passing.candidates().filter(|&o| passing.contains(o)) {
                    let Some(v) = column.get(o) else { continue };
                    for (s, e) in sims.iter_mut().zip(ex) {
                        *s = e.dot_if_shared(v).unwrap_or(0.0);
                    }
                    top.push(o, scoring.score(&sims));
                }
            }
        }
        Ok(page(top, st, |s| s, false))
    }
}

/// The average-vector recommendation's query: `2·mean(pos) − mean(neg)`, or `mean(pos)`
/// without negatives (summed term by term for sparse vectors).
fn average(pos: &[Vector], neg: &[Vector]) -> Result<Vector> {
    let kinds_differ = || Error::bad("Wrong input: examples mix kinds of vectors");
    match &pos[0] {
        Vector::Dense(first) => {
            let mean = |vs: &[Vector]| -> Result<Vec<f32>> {
                let mut m = vec![0.0f32; first.len()];
                for v in vs {
                    let Vector::Dense(v) = v else {
                        return Err(kinds_differ());
                    };
                    if v.len() != m.len() {
                        return Err(Error::bad(format!(
                            "Wrong input: Vector dimension error: expected dim: {}, got {}",
                            m.len(),
                            v.len()
                        )));
                    }
                    m.iter_mut().zip(v).for_each(|(a, b)| *a += b);
                }
                m.iter_mut().for_each(|a| *a /= vs.len() as f32);
                Ok(m)
            };
            let p = mean(pos)?;
            if neg.is_empty() {
                return Ok(Vector::Dense(p));
            }
            let n = mean(neg)?;
            Ok(Vector::Dense(
                p.iter().zip(&n).map(|(p, n)| p + p - n).collect(),
            ))
        }
        Vector::Sparse { .. } => {
            let mean = |vs: &[Vector]| -> Result<std::collections::BTreeMap<u32, f32>> {
                let mut m = std::collections::BTreeMap::new();
                for v in vs {
                    let Vector::Sparse { indices, values } = v else {
                        return Err(kinds_differ());
                    };
                    SparseVector::from_unsorted(indices.clone(), values.clone())
                        .map_err(|e| Error::bad(format!("Wrong input: sparse example: {e}")))?;
                    for (&i, &x) in indices.iter().zip(values) {
                        *m.entry(i).or_insert(0.0) += x;
                    }
                }
                m.values_mut().for_each(|x| *x /= vs.len() as f32);
                Ok(m)
            };
            let mut m = mean(pos)?;
            if !neg.is_empty() {
                m.values_mut().for_each(|x| *x += *x);
                for (i, x) in mean(neg)? {
                    *m.entry(i).or_insert(0.0) -= x;
                }
            }
            let (indices, values) = m.into_iter().unzip();
            Ok(Vector::Sparse { indices, values })
        }
        // Local Mode's: the positive examples' vectors, then the negatives' negated, as one
        // multivector.
        Vector::Multi(_) => {
            let mut rows = Vec::new();
            for v in pos {
                let Vector::Multi(v) = v else {
                    return Err(kinds_differ());
                };
                rows.extend(v.iter().cloned());
            }
            for v in neg {
                let Vector::Multi(v) = v else {
                    return Err(kinds_differ());
                };
                rows.extend(v.iter().map(|r| r.iter().map(|x| -x).collect()));
            }
            Ok(Vector::Multi(rows))
        }
    }
}

/// The error of an MMR query on a multivector: not built.
pub(crate) fn multi_unsupported(using: &str) -> Error {
    Error::bad(format!(
        "Wrong input: maximal marginal relevance is not supported for the multivector {using:?}"
    ))
}
