//! Score formulas (Qdrant's `{"formula": ..., "defaults": ...}` query): the prefetched points
//! scored again by an expression over their prefetch scores, payload values and conditions,
//! as `qdrant-client`'s Local Mode evaluates it (in f64, the result rounded to f32).
//!
//! A variable missing from the payload takes its value from `defaults`; a missing `$score`
//! is 0. A division by zero takes `by_zero_default`; any other non-finite result (a square
//! root or logarithm out of domain, an overflow) is an error naming the expression, as in
//! Local Mode.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sextant_core::PointOffset;
use sextant_payload_index::datetime;
use sextant_payload_index::filter::{Filter, GeoPoint};
use sextant_payload_index::geo;
use sextant_payload_index::path::JsonPath;

use crate::error::{Error, Result};
use crate::fusion::Hits;
use crate::state::State;

/// A score formula and the values its variables default to.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    /// The expression.
    pub expression: Expression,
    /// Values for variables a point lacks, by the variable as written (`"price"`,
    /// `"$score[1]"`).
    pub defaults: Map<String, Value>,
}

/// One node of a score formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// A number.
    Constant(f64),
    /// `$score` (prefetch 0) or `$score[i]`: the point's score in that prefetch's list.
    Score {
        /// The prefetch.
        prefetch: usize,
        /// As written (the key of its default).
        name: String,
    },
    /// A payload key's number (a one-element array counts as its element).
    Variable(JsonPath),
    /// 1 when the point passes the condition (held as a filter of that one condition),
    /// else 0.
    Condition(Box<Filter>),
    /// Haversine meters from `origin` to the geo point at a payload key.
    GeoDistance {
        /// From here.
        origin: GeoPoint,
        /// To the point at this key.
        to: JsonPath,
    },
    /// A datetime given in the formula, as seconds since the epoch.
    Datetime(f64),
    /// The datetime at a payload key, as seconds since the epoch.
    DatetimeKey(JsonPath),
    /// The product (0 as soon as a factor is 0, the rest not evaluated).
    Mult(Vec<Expression>),
    /// The sum.
    Sum(Vec<Expression>),
    /// The negation.
    Neg(Box<Expression>),
    /// The absolute value.
    Abs(Box<Expression>),
    /// `left / right`; a zero `left` is 0 without evaluating `right`.
    Div {
        /// Numerator.
        left: Box<Expression>,
        /// Denominator.
        right: Box<Expression>,
        /// The result when `right` is 0 (else an error).
        by_zero_default: Option<f64>,
    },
    /// The square root.
    Sqrt(Box<Expression>),
    /// `base ^ exponent`.
    Pow {
        /// Base.
        base: Box<Expression>,
        /// Exponent.
        exponent: Box<Expression>,
    },
    /// `e ^ x`.
    Exp(Box<Expression>),
    /// Base-10 logarithm.
    Log10(Box<Expression>),
    /// Natural logarithm.
    Ln(Box<Expression>),
    /// A decay from 1 at `target` to `midpoint` at `scale` away.
    Decay(Decay),
}

/// The shape of a decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecayKind {
    /// `max(0, 1 − (1 − midpoint) · |x − target| / scale)`.
    Linear,
    /// `midpoint ^ (|x − target| / scale)`.
    Exponential,
    /// `midpoint ^ ((x − target)² / scale²)`.
    Gaussian,
}

/// A decay function's parameters (Qdrant's `lin_decay`, `exp_decay`, `gauss_decay`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decay {
    /// The shape.
    pub kind: DecayKind,
    /// The value decayed.
    pub x: Box<Expression>,
    /// Where the result is 1 (0 when not given).
    pub target: Option<Box<Expression>>,
    /// The result at `scale` from the target, in (0, 1) (0.5 when not given).
    pub midpoint: f64,
    /// The distance at which the result is `midpoint`, > 0 (1 when not given).
    pub scale: f64,
}

/// What an expression reads about one point.
struct Scope<'a> {
    /// Each prefetch's scores.
    pub scores: &'a [HashMap<PointOffset, f32>],
    /// The formula's defaults.
    pub defaults: &'a Map<String, Value>,
    /// Does the point pass the formula's `i`-th condition (in [`Formula::conditions`] order)?
    pub passes: &'a dyn Fn(usize, PointOffset) -> bool,
}

type Eval = std::result::Result<f64, String>;

fn non_finite(what: String) -> String {
    format!("The expression {what} produced a non-finite number")
}

impl Formula {
    /// The formula's conditions, depth first: the order [`Scope::passes`] numbers them.
    pub(crate) fn conditions(&self) -> Vec<&Filter> {
        fn walk<'a>(e: &'a Expression, out: &mut Vec<&'a Filter>) {
            if let Expression::Condition(f) = e {
                out.push(f);
            }
            e.children().for_each(|c| walk(c, out));
        }
        let mut out = Vec::new();
        walk(&self.expression, &mut out);
        out
    }

    /// Does evaluating the formula read the payload?
    pub(crate) fn reads_payload(&self) -> bool {
        fn walk(e: &Expression) -> bool {
            matches!(
                e,
                Expression::Variable(_)
                    | Expression::GeoDistance { .. }
                    | Expression::DatetimeKey(_)
            ) || e.children().any(walk)
        }
        walk(&self.expression)
    }

    /// The point's score: the expression in f64, rounded to f32, which must be finite.
    fn score(&self, scope: &Scope<'_>, o: PointOffset, payload: &Value) -> Eval {
        let mut condition = 0;
        let v = Evaluator {
            scope,
            o,
            payload,
            condition: &mut condition,
        }
        .eval(&self.expression)?;
        let rounded = v as f32;
        if rounded.is_finite() {
            Ok(f64::from(rounded))
        } else {
            Err(non_finite(format!("{v} as f32 = {rounded}")))
        }
    }
}

impl Expression {
    /// The sub-expressions, in evaluation order.
    fn children(&self) -> Box<dyn Iterator<Item = &Expression> + '_> {
        use Expression as E;
        match self {
            E::Constant(_)
            | E::Score { .. }
            | E::Variable(_)
            | E::Condition(_)
            | E::GeoDistance { .. }
            | E::Datetime(_)
            | E::DatetimeKey(_) => Box::new(std::iter::empty()),
            E::Mult(all) | E::Sum(all) => Box::new(all.iter()),
            E::Neg(e) | E::Abs(e) | E::Sqrt(e) | E::Exp(e) | E::Log10(e) | E::Ln(e) => {
                Box::new(std::iter::once(&**e))
            }
            E::Div { left, right, .. } => Box::new([&**left, &**right].into_iter()),
            E::Pow { base, exponent } => Box::new([&**base, &**exponent].into_iter()),
            E::Decay(d) => Box::new(std::iter::once(&*d.x).chain(d.target.as_deref())),
        }
    }
}

struct Evaluator<'s, 'a> {
    scope: &'s Scope<'a>,
    o: PointOffset,
    payload: &'s Value,
    /// The next condition's number: conditions are numbered in walk order, and a skipped
    /// branch (a zero factor, a zero numerator) skips its conditions' numbers too.
    condition: &'s mut usize,
}

impl Evaluator<'_, '_> {
    fn eval(&mut self, e: &Expression) -> Eval {
        use Expression as E;
        Ok(match e {
            E::Constant(c) => *c,
            E::Score { prefetch, name } => {
                match self
                    .scope
                    .scores
                    .get(*prefetch)
                    .and_then(|s| s.get(&self.o))
                {
                    Some(&s) => f64::from(s),
                    None => self
                        .scope
                        .defaults
                        .get(name)
                        .and_then(Value::as_f64)
                        .unwrap_or(0.0),
                }
            }
            E::Variable(key) => match self.value(key)? {
                Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
                _ => {
                    return Err(format!(
                        "Expected number value for {key} in the payload and/or in the formula defaults. Error: Value is not a number"
                    ));
                }
            },
            E::Condition(_) => {
                let i = *self.condition;
                *self.condition += 1;
                if (self.scope.passes)(i, self.o) {
                    1.0
                } else {
                    0.0
                }
            }
            E::GeoDistance { origin, to } => match self.value(to)?.and_then(geo::point_of) {
                Some(p) => geo::distance(*origin, p),
                None => {
                    return Err(format!(
                        "Expected geo point for {to} in the payload and/or in the formula defaults."
                    ));
                }
            },
            E::Datetime(seconds) => *seconds,
            E::DatetimeKey(key) => {
                let micros = self
                    .value(key)?
                    .and_then(Value::as_str)
                    .and_then(datetime::parse_value);
                match micros {
                    Some(m) => seconds(m),
                    None => {
                        return Err(format!(
                            "Expected datetime for {key} in the payload and/or in the formula defaults."
                        ));
                    }
                }
            }
            E::Mult(factors) => {
                let mut product = 1.0;
                for (i, f) in factors.iter().enumerate() {
                    let v = self.eval(f)?;
                    if v == 0.0 {
                        factors[i + 1..].iter().for_each(|f| self.skip(f));
                        return Ok(v);
                    }
                    product *= v;
                }
                product
            }
            E::Sum(terms) => {
                let mut sum = 0.0;
                for t in terms {
                    sum += self.eval(t)?;
                }
                sum
            }
            E::Neg(x) => -self.eval(x)?,
            E::Abs(x) => self.eval(x)?.abs(),
            E::Div {
                left,
                right,
                by_zero_default,
            } => {
                let l = self.eval(left)?;
                if l == 0.0 {
                    self.skip(right);
                    return Ok(l);
                }
                let r = self.eval(right)?;
                if r == 0.0 {
                    return by_zero_default.ok_or_else(|| non_finite(format!("{l}/{r}")));
                }
                finite(l / r, || format!("{l}/{r}"))?
            }
            E::Sqrt(x) => {
                let v = self.eval(x)?;
                if v < 0.0 {
                    return Err(non_finite(format!("√{v}")));
                }
                v.sqrt()
            }
            E::Pow { base, exponent } => {
                let (b, x) = (self.eval(base)?, self.eval(exponent)?);
                let defined = b >= 0.0 || (b != 0.0 && x.fract() == 0.0);
                let v = if defined { b.powf(x) } else { f64::NAN };
                finite(v, || format!("{b}^{x}"))?
            }
            E::Exp(x) => {
                let v = self.eval(x)?;
                finite(v.exp(), || format!("exp({v})"))?
            }
            E::Log10(x) => {
                let v = self.eval(x)?;
                let r = if v > 0.0 { v.log10() } else { f64::NAN };
                finite(r, || format!("log10({v})"))?
            }
            E::Ln(x) => {
                let v = self.eval(x)?;
                let r = if v > 0.0 { v.ln() } else { f64::NAN };
                finite(r, || format!("ln({v})"))?
            }
            E::Decay(d) => {
                let x = self.eval(&d.x)?;
                let target = match &d.target {
                    Some(t) => self.eval(t)?,
                    None => 0.0,
                };
                match d.kind {
                    DecayKind::Linear => {
                        let lambda = (1.0 - d.midpoint) / d.scale;
                        (-lambda * (x - target).abs() + 1.0).max(0.0)
                    }
                    DecayKind::Exponential => {
                        let lambda = d.midpoint.ln() / d.scale;
                        (lambda * (x - target).abs()).exp()
                    }
                    DecayKind::Gaussian => {
                        let lambda = d.midpoint.ln() / (d.scale * d.scale);
                        let diff = x - target;
                        (lambda * diff * diff).exp()
                    }
                }
            }
        })
    }

    /// Steps over a branch not evaluated: its conditions' numbers are used up.
    fn skip(&mut self, e: &Expression) {
        if let Expression::Condition(_) = e {
            *self.condition += 1;
        }
        e.children().for_each(|c| self.skip(c));
    }

    /// The value at `key`: from the payload, else from the defaults; a one-element array
    /// is its element. `None` when there are several (not a number, a geo point or a
    /// datetime: the caller says which it expected).
    fn value(&self, key: &JsonPath) -> std::result::Result<Option<&Value>, String> {
        let found = key.values(self.payload);
        let one = match found.len() {
            0 => match self.scope.defaults.get(key.as_str()) {
                Some(Value::Array(a)) if a.len() == 1 => Some(&a[0]),
                Some(Value::Array(a)) if a.len() > 1 => return Ok(None),
                Some(Value::Array(_)) | None => None,
                Some(v) => Some(v),
            },
            1 => Some(found[0]),
            _ => return Ok(None),
        };
        match one {
            None | Some(Value::Null) => Err(format!(
                "No value found for {key} in the payload nor the formula defaults"
            )),
            some => Ok(some),
        }
    }
}

/// Microseconds since the epoch as seconds (exact below 2^53 µs, as Python's
/// `datetime.timestamp()`).
pub(crate) fn seconds(micros: i64) -> f64 {
    micros as f64 / 1e6
}

fn finite(v: f64, what: impl FnOnce() -> String) -> Eval {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(non_finite(what()))
    }
}

impl State {
    /// The points of `lists` (each a prefetch's, best first) scored by `formula`, best
    /// first, the first `limit`; equal scores keep the order points first appear in.
    pub(crate) fn formula(&self, formula: &Formula, lists: &[Hits], limit: usize) -> Result<Hits> {
        let scores: Vec<HashMap<PointOffset, f32>> =
            lists.iter().map(|l| l.iter().copied().collect()).collect();
        let plans: Vec<_> = formula
            .conditions()
            .into_iter()
            .map(|f| self.payloads.plan(f, self))
            .collect();
        let passes = |i: usize, o: PointOffset| plans[i].check(o);
        let scope = Scope {
            scores: &scores,
            defaults: &formula.defaults,
            passes: &passes,
        };
        let reads_payload = formula.reads_payload();
        let empty = Value::Object(Map::new());
        let mut seen = HashSet::new();
        let mut scored: Vec<(PointOffset, f32)> = Vec::new();
        for &(o, _) in lists.iter().flatten() {
            if !seen.insert(o) {
                continue;
            }
            let payload = if reads_payload {
                self.payload(o)
            } else {
                Cow::Borrowed(&empty)
            };
            let s = formula
                .score(&scope, o, &payload)
                .map_err(|e| Error::bad(format!("Wrong input: {e}")))?;
            scored.push((o, s as f32));
        }
        // Stable: equal scores keep the order of first appearance.
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.truncate(limit);
        Ok(scored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn formula(v: Value) -> Formula {
        crate::formula_json::formula(v.as_object().unwrap()).unwrap()
    }

    /// The formula on point 7 with `payload`, prefetch scores `scores`, conditions passing
    /// as `passes` says.
    fn eval(f: &Formula, payload: Value, scores: &[&[(u32, f32)]], passes: &[bool]) -> Eval {
        let scores: Vec<HashMap<PointOffset, f32>> =
            scores.iter().map(|l| l.iter().copied().collect()).collect();
        let passes = |i: usize, _: PointOffset| passes[i];
        let scope = Scope {
            scores: &scores,
            defaults: &f.defaults,
            passes: &passes,
        };
        f.score(&scope, 7, &payload)
    }

    #[test]
    fn arithmetic_as_local_mode() {
        let f = formula(json!({"formula": {"sum": [
            {"mult": ["$score", 2]}, "$score[1]", "price", {"div": {"left": 1, "right": 4}},
            {"pow": {"base": -2, "exponent": 3}}, {"neg": {"abs": -1.5}}, {"sqrt": 9}, {"ln": 1},
            {"log10": 100}, {"exp": 0}]}, "defaults": {"$score[1]": 0.25}}));
        // 2·0.5 + 0.25 (default) + 10 + 0.25 − 8 − 1.5 + 3 + 0 + 2 + 1
        let got = eval(&f, json!({"price": [10]}), &[&[(7, 0.5)], &[(8, 9.0)]], &[]).unwrap();
        assert_eq!(got, 8.0);
        // A missing $score without a default is 0.
        let f = formula(json!({"formula": "$score[3]"}));
        assert_eq!(eval(&f, json!({}), &[&[(7, 0.5)]], &[]), Ok(0.0));
    }

    #[test]
    fn decays_at_their_midpoints() {
        for kind in ["lin_decay", "exp_decay", "gauss_decay"] {
            let f = formula(json!({"formula": {kind: {"x": 13, "target": 10, "scale": 3,
                                                       "midpoint": 0.2}}}));
            let got = eval(&f, json!({}), &[], &[]).unwrap();
            assert!((got - 0.2).abs() < 1e-6, "{kind}: {got}");
            let f = formula(json!({"formula": {kind: {"x": 10, "target": 10}}}));
            assert_eq!(eval(&f, json!({}), &[], &[]), Ok(1.0), "{kind}");
        }
        // The linear decay stops at 0.
        let f = formula(json!({"formula": {"lin_decay": {"x": 100}}}));
        assert_eq!(eval(&f, json!({}), &[], &[]), Ok(0.0));
    }

    #[test]
    fn payload_values_geo_and_datetimes() {
        let f = formula(json!({"formula": {"sum": [
            {"geo_distance": {"origin": {"lat": 0.0, "lon": 0.0}, "to": "at"}},
            {"datetime_key": "when"}, {"neg": {"datetime": "1970-01-02"}}]}}));
        let p = json!({"at": {"lat": 0.0, "lon": 1.0}, "when": "1970-01-02T00:00:01.5Z"});
        let got = eval(&f, p, &[], &[]).unwrap();
        let meters = geo::EARTH_RADIUS_M * 1f64.to_radians();
        assert!((got - (meters + 1.5)).abs() < 0.01, "{got}");
        // From the defaults when the payload lacks the key; several values are not a number.
        let f = formula(json!({"formula": "k", "defaults": {"k": [4]}}));
        assert_eq!(eval(&f, json!({}), &[], &[]), Ok(4.0));
        assert_eq!(eval(&f, json!({"k": 5}), &[], &[]), Ok(5.0));
        let e = eval(&f, json!({"k": [1, 2]}), &[], &[]).unwrap_err();
        assert!(e.contains("Expected number value for k"), "{e}");
        let e = eval(&f, json!({"k": null}), &[], &[]).unwrap_err();
        assert!(e.contains("No value found for k"), "{e}");
        let f = formula(json!({"formula": {"datetime_key": "w"}}));
        let e = eval(&f, json!({"w": "soon"}), &[], &[]).unwrap_err();
        assert!(e.contains("Expected datetime for w"), "{e}");
    }

    #[test]
    fn conditions_are_numbered_even_when_skipped() {
        let f = formula(json!({"formula": {"sum": [
            {"mult": [0, {"key": "a", "match": {"value": 1}}]},
            {"mult": [10, {"key": "b", "match": {"value": 1}}]}]}}));
        assert_eq!(f.conditions().len(), 2);
        assert_eq!(eval(&f, json!({}), &[], &[false, true]), Ok(10.0));
        assert_eq!(eval(&f, json!({}), &[], &[true, false]), Ok(0.0));
        // A zero numerator skips the denominator's condition too.
        let f = formula(json!({"formula": {"sum": [
            {"div": {"left": 0, "right": {"key": "a", "match": {"value": 1}}}},
            {"key": "b", "match": {"value": 1}}]}}));
        assert_eq!(eval(&f, json!({}), &[], &[false, true]), Ok(1.0));
    }

    #[test]
    fn non_finite_results_are_errors() {
        for (expression, says) in [
            (json!({"sqrt": -1}), "√-1"),
            (json!({"ln": 0}), "ln(0)"),
            (json!({"log10": -2}), "log10(-2)"),
            (json!({"div": {"left": 1, "right": 0}}), "1/0"),
            (json!({"pow": {"base": -2, "exponent": 0.5}}), "-2^0.5"),
            (json!({"pow": {"base": 0, "exponent": -1}}), "0^-1"),
            (json!({"exp": 1000}), "exp(1000)"),
            (json!({"mult": [1e300, 1e300]}), "as f32"),
            (json!({"mult": [1e30, 1e30]}), "as f32 = inf"),
        ] {
            let f = formula(json!({ "formula": expression }));
            let e = eval(&f, json!({}), &[], &[]).unwrap_err();
            assert!(
                e.contains(says) && e.contains("non-finite"),
                "{expression}: {e}"
            );
        }
        let f = formula(json!({"formula": {"div": {"left": 1, "right": 0, "by_zero_default": 3}}}));
        assert_eq!(eval(&f, json!({}), &[], &[]), Ok(3.0));
    }
}
