//! A filter compiled against the indexes: each condition bound to the index that serves it
//! (or to the payload), then evaluated as a whole set of points (word-wise AND / OR / AND NOT
//! over bitsets, the most selective `must` first, payload checks only on the points still in
//! play), point by point, or estimated from index statistics.

use serde_json::Value;
use sextant_core::{BitSet, Cardinality, PointOffset};

use crate::check::{self, NoContext};
use crate::field::FieldIndex;
use crate::filter::{Condition, FieldCheck, Filter};
use crate::index::{PayloadIndex, Points};
use crate::path::JsonPath;

/// One node of a compiled filter.
#[derive(Debug)]
enum Node<'a> {
    /// Every child holds (`must`, and the filter as a whole).
    All(Vec<Node<'a>>),
    /// At least one child holds (`should`; empty: nothing passes).
    Any(Vec<Node<'a>>),
    /// The child does not hold (`must_not`).
    Not(Box<Node<'a>>),
    /// At least `n` children hold (`min_should`).
    AtLeast(usize, Vec<Node<'a>>),
    /// A test on one key, served by `index` when there is one.
    Field {
        index: Option<&'a FieldIndex>,
        key: &'a JsonPath,
        check: FieldCheck,
    },
    /// `has_id`, resolved to sorted offsets.
    Ids(Vec<PointOffset>),
    /// `has_vector`.
    Vector(&'a str),
    /// A condition only the payload can decide (`nested`, whose elements see no ids or
    /// vectors).
    Payload(&'a Condition),
}

/// A filter compiled for one [`PayloadIndex`].
pub struct Plan<'a> {
    root: Node<'a>,
    index: &'a PayloadIndex,
    points: &'a dyn Points,
}

impl std::fmt::Debug for Plan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan").field("root", &self.root).finish()
    }
}

fn compile_filter<'a>(index: &'a PayloadIndex, f: &'a Filter, points: &dyn Points) -> Node<'a> {
    let mut all = Vec::new();
    let each = |list: &'a Option<Vec<Condition>>| list.iter().flatten();
    for c in each(&f.must) {
        all.push(compile_condition(index, c, points));
    }
    if let Some(should) = &f.should {
        all.push(Node::Any(
            should
                .iter()
                .map(|c| compile_condition(index, c, points))
                .collect(),
        ));
    }
    for c in each(&f.must_not) {
        all.push(Node::Not(Box::new(compile_condition(index, c, points))));
    }
    if let Some(ms) = &f.min_should {
        all.push(Node::AtLeast(
            ms.min_count,
            ms.conditions
                .iter()
                .map(|c| compile_condition(index, c, points))
                .collect(),
        ));
    }
    Node::All(all)
}

fn field<'a>(index: &'a PayloadIndex, key: &'a JsonPath, check: FieldCheck) -> Node<'a> {
    Node::Field {
        index: index.fields().get(key.as_str()),
        key,
        check,
    }
}

fn compile_condition<'a>(
    index: &'a PayloadIndex,
    c: &'a Condition,
    points: &dyn Points,
) -> Node<'a> {
    match c {
        Condition::Field(fc) => field(index, &fc.key, fc.check.clone()),
        Condition::IsEmpty(key) => field(index, key, FieldCheck::IsEmpty(true)),
        Condition::IsNull(key) => field(index, key, FieldCheck::IsNull(true)),
        Condition::HasId(ids) => {
            let mut offsets = points.offsets_of(ids);
            offsets.sort_unstable();
            offsets.dedup();
            Node::Ids(offsets)
        }
        Condition::HasVector(name) => Node::Vector(name),
        Condition::Nested { .. } => Node::Payload(c),
        Condition::Filter(f) => compile_filter(index, f, points),
    }
}

impl<'a> Plan<'a> {
    /// Binds every condition of `filter` to the index that serves it.
    pub fn compile(index: &'a PayloadIndex, filter: &'a Filter, points: &'a dyn Points) -> Self {
        Self {
            root: compile_filter(index, filter, points),
            index,
            points,
        }
    }

    fn payload(&self, o: PointOffset) -> std::borrow::Cow<'_, Value> {
        self.points
            .payload(o)
            .unwrap_or(std::borrow::Cow::Owned(Value::Object(Default::default())))
    }

    /// The points of `candidates` that pass.
    pub fn materialize(&self, candidates: &BitSet) -> BitSet {
        self.set(&self.root, candidates)
    }

    fn per_point(&self, cand: &BitSet, pass: impl Fn(PointOffset) -> bool) -> BitSet {
        let mut out = BitSet::new(cand.len());
        for o in cand.iter() {
            if pass(o) {
                out.insert(o);
            }
        }
        out
    }

    fn set(&self, node: &Node<'_>, cand: &BitSet) -> BitSet {
        match node {
            // A lone condition (the common filter) needs no copy of the candidates.
            Node::All(children) if children.len() == 1 => self.set(&children[0], cand),
            Node::All(children) => {
                // Estimates order several children.
                let mut order: Vec<(usize, &Node<'_>)> =
                    children.iter().map(|c| (self.cost(c), c)).collect();
                order.sort_by_key(|(cost, _)| *cost);
                let mut c = cand.clone();
                for (_, child) in order {
                    if c.is_clear() {
                        break;
                    }
                    c = self.set(child, &c);
                }
                c
            }
            Node::Any(children) => {
                let mut out = BitSet::new(cand.len());
                let mut rest = cand.clone();
                for child in children {
                    if rest.is_clear() {
                        break;
                    }
                    let hit = self.set(child, &rest);
                    rest.and_not_with(&hit);
                    out.or_with(&hit);
                }
                out
            }
            Node::Not(child) => {
                let mut out = cand.clone();
                out.and_not_with(&self.set(child, cand));
                out
            }
            Node::AtLeast(n, children) => {
                if *n == 0 {
                    return cand.clone();
                }
                let mut counts = vec![0u16; cand.len()];
                for child in children {
                    for o in self.set(child, cand).iter() {
                        counts[o as usize] += 1;
                    }
                }
                self.per_point(cand, |o| counts[o as usize] as usize >= *n)
            }
            Node::Field { index, key, check } => match index {
                Some(field) => {
                    let answer = field.answer(check, self.index.live());
                    let mut out = answer.sure;
                    out.and_with(cand);
                    if let Some(mut verify) = answer.verify {
                        verify.and_with(cand);
                        let checked = self.per_point(&verify, |o| {
                            check::check_field(key, check, &self.payload(o))
                        });
                        out.or_with(&checked);
                    }
                    out
                }
                None => self.per_point(cand, |o| check::check_field(key, check, &self.payload(o))),
            },
            Node::Ids(offsets) => {
                let mut out = BitSet::new(cand.len());
                out.insert_all(offsets);
                out.and_with(cand);
                out
            }
            Node::Vector(name) => self.per_point(cand, |o| self.points.has_vector(o, name)),
            Node::Payload(c) => self.per_point(cand, |o| {
                check::check_condition(c, &self.payload(o), o, &NoContext)
            }),
        }
    }

    /// Rough cost order for `must` children: index-served and small first, payload reads last.
    fn cost(&self, node: &Node<'_>) -> usize {
        let live = self.index.len();
        match node {
            Node::Field { index: None, .. } | Node::Payload(_) | Node::Vector(_) => usize::MAX / 2,
            Node::Ids(ids) => ids.len(),
            other => self.estimate_node(other, live).exp,
        }
    }

    /// Does point `o` pass? (Index lookups where they decide, its payload otherwise.)
    pub fn check(&self, o: PointOffset) -> bool {
        self.index.live().contains(o) && self.point(&self.root, o)
    }

    fn point(&self, node: &Node<'_>, o: PointOffset) -> bool {
        match node {
            Node::All(children) => children.iter().all(|c| self.point(c, o)),
            Node::Any(children) => children.iter().any(|c| self.point(c, o)),
            Node::Not(child) => !self.point(child, o),
            Node::AtLeast(n, children) => {
                children
                    .iter()
                    .filter(|c| self.point(c, o))
                    .take(*n)
                    .count()
                    >= *n
            }
            Node::Field { index, key, check } => index
                .and_then(|f| f.point(o, check))
                .unwrap_or_else(|| check::check_field(key, check, &self.payload(o))),
            Node::Ids(offsets) => offsets.binary_search(&o).is_ok(),
            Node::Vector(name) => self.points.has_vector(o, name),
            Node::Payload(c) => check::check_condition(c, &self.payload(o), o, &NoContext),
        }
    }

    /// The exact number of live points passing (by building the set; a filter of one indexed
    /// condition is counted from its index by [`PayloadIndex::count`] without a plan).
    pub fn count(&self) -> usize {
        self.materialize(self.index.live()).count()
    }

    /// The estimate, refined by checking `samples` live points spread evenly over the
    /// offsets when `threshold` lies strictly between its bounds (a planner choosing between
    /// exact scan and graph search at that count): `exp` becomes the sampled share of the
    /// live points, kept within `[min, max]`, which stay hard bounds.
    pub fn estimate_near(&self, threshold: usize, samples: usize) -> Cardinality {
        let e = self.estimate();
        if !(e.min < threshold && threshold < e.max) || samples == 0 {
            return e;
        }
        let live = self.index.live();
        let n = live.count();
        let step = n.div_ceil(samples).max(1);
        let (mut seen, mut hits) = (0usize, 0usize);
        for o in live.iter().step_by(step) {
            seen += 1;
            hits += usize::from(self.point(&self.root, o));
        }
        let exp = (hits as f64 / seen.max(1) as f64 * n as f64).round() as usize;
        Cardinality::new(e.min, exp.clamp(e.min, e.max), e.max).expect("ordered")
    }

    /// Bounds on the number of passing points, from index statistics.
    pub fn estimate(&self) -> Cardinality {
        self.estimate_node(&self.root, self.index.len())
    }

    fn estimate_node(&self, node: &Node<'_>, n: usize) -> Cardinality {
        let unknown = Cardinality::new(0, n / 2, n).expect("ordered");
        match node {
            Node::All(children) => children
                .iter()
                .map(|c| self.estimate_node(c, n))
                .fold(Cardinality::exact(n), |acc, c| and(acc, c, n)),
            Node::Any(children) => children
                .iter()
                .map(|c| self.estimate_node(c, n))
                .fold(Cardinality::exact(0), |acc, c| or(acc, c, n)),
            Node::Not(child) => {
                let c = self.estimate_node(child, n);
                Cardinality::new(n - c.max.min(n), n - c.exp.min(n), n - c.min.min(n))
                    .expect("ordered")
            }
            Node::AtLeast(k, children) => {
                if *k == 0 {
                    return Cardinality::exact(n);
                }
                let cs: Vec<Cardinality> =
                    children.iter().map(|c| self.estimate_node(c, n)).collect();
                if *k > cs.len() {
                    return Cardinality::exact(0);
                }
                // X points with >= k hits: sum |C_i| <= X m + (n - X)(k - 1), and each of them
                // holds k hits (X k <= sum |C_i|).
                let m = cs.len();
                let sum_min: usize = cs.iter().map(|c| c.min).sum();
                let sum_max: usize = cs.iter().map(|c| c.max).sum();
                let sum_exp: usize = cs.iter().map(|c| c.exp).sum();
                let any = cs.iter().fold(Cardinality::exact(0), |a, &c| or(a, c, n));
                let max = any.max.min(sum_max / *k);
                let min = if *k == 1 {
                    any.min
                } else {
                    sum_min.saturating_sub(n * (*k - 1)).div_ceil(m - *k + 1)
                }
                .min(max);
                Cardinality::new(min, (sum_exp / *k).clamp(min, max), max).expect("ordered")
            }
            Node::Field {
                index: Some(f),
                check,
                ..
            } => f.estimate(check, n),
            Node::Ids(ids) => {
                Cardinality::new(0, ids.len().min(n), ids.len().min(n)).expect("ordered")
            }
            _ => unknown,
        }
    }
}

/// Both hold: at least what they must share, at most the smaller, independence expected.
fn and(a: Cardinality, b: Cardinality, n: usize) -> Cardinality {
    let max = a.max.min(b.max);
    let min = (a.min + b.min).saturating_sub(n).min(max);
    let exp = if n == 0 {
        0
    } else {
        (a.exp as f64 * b.exp as f64 / n as f64).round() as usize
    };
    Cardinality::new(min, exp.clamp(min, max), max).expect("ordered")
}

/// Either holds: at least the larger, at most the sum, independence expected.
fn or(a: Cardinality, b: Cardinality, n: usize) -> Cardinality {
    let min = a.min.max(b.min);
    let max = (a.max + b.max).min(n).max(min);
    let exp = if n == 0 {
        0
    } else {
        let (pa, pb) = (a.exp as f64 / n as f64, b.exp as f64 / n as f64);
        ((1.0 - (1.0 - pa) * (1.0 - pb)) * n as f64).round() as usize
    };
    Cardinality::new(min, exp.clamp(min, max), max).expect("ordered")
}

/// The keys of `filter` no index of `index` serves (missing, or of a type that cannot decide
/// the condition, such as a range on a keyword index).
pub(crate) fn unindexed_keys(index: &PayloadIndex, filter: &Filter, out: &mut Vec<String>) {
    let lists = [&filter.must, &filter.should, &filter.must_not];
    let conditions = lists
        .into_iter()
        .flatten()
        .flatten()
        .chain(filter.min_should.iter().flat_map(|m| &m.conditions));
    let served = |key: &JsonPath, check: &FieldCheck| {
        index
            .fields()
            .get(key.as_str())
            .is_some_and(|f| f.serves(check))
    };
    for c in conditions {
        let missing = match c {
            Condition::Field(fc) => (!served(&fc.key, &fc.check)).then_some(&fc.key),
            Condition::IsEmpty(k) => (!served(k, &FieldCheck::IsEmpty(true))).then_some(k),
            Condition::IsNull(k) => (!served(k, &FieldCheck::IsNull(true))).then_some(k),
            Condition::Nested { key, .. } => Some(key),
            Condition::Filter(f) => {
                unindexed_keys(index, f, out);
                None
            }
            Condition::HasId(_) | Condition::HasVector(_) => None,
        };
        if let Some(key) = missing {
            out.push(key.to_string());
        }
    }
}
