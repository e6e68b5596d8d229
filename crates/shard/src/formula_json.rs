//! Qdrant's JSON for a score formula (`{"formula": <expression>, "defaults": {...}}`) parsed
//! into a [`Formula`]: a number, a variable (`"$score"`, `"$score[i]"` or a payload key), an
//! object naming an operation (`mult`, `sum`, `neg`, `abs`, `div`, `sqrt`, `pow`, `exp`,
//! `log10`, `ln`, `geo_distance`, `datetime`, `datetime_key`, `lin_decay`, `exp_decay`,
//! `gauss_decay`), or else a filter condition. Errors name the JSON path. Checked here, where
//! Local Mode checks them per point: a datetime that does not parse, a decay's `midpoint`
//! outside (0, 1) or `scale` ≤ 0.

use serde_json::{Map, Value};
use sextant_payload_index::datetime;
use sextant_payload_index::filter::{Condition, Filter, GeoPoint};
use sextant_payload_index::path::JsonPath;

use crate::error::{Error, Result};
use crate::formula::{Decay, DecayKind, Expression, Formula, seconds};

fn bad(path: &str, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Format error in JSON body: {path}: {why}"))
}

/// The body of a formula query (`query` holding `formula` and optional `defaults`).
pub(crate) fn formula(m: &Map<String, Value>) -> Result<Formula> {
    if let Some(k) = m
        .keys()
        .find(|k| !["formula", "defaults"].contains(&k.as_str()))
    {
        return Err(bad("query", format!("unknown field {k:?} next to formula")));
    }
    let expression = expression(&m["formula"], "query.formula")?;
    let defaults = match m.get("defaults") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(d)) => d.clone(),
        Some(v) => {
            return Err(bad(
                "query.defaults",
                format!("expected an object, got {v}"),
            ));
        }
    };
    Ok(Formula {
        expression,
        defaults,
    })
}

fn boxed(v: &Value, path: &str) -> Result<Box<Expression>> {
    expression(v, path).map(Box::new)
}

fn expression(v: &Value, path: &str) -> Result<Expression> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .map(Expression::Constant)
            .ok_or_else(|| bad(path, "expected a finite number")),
        Value::String(s) => variable(s, path),
        Value::Object(m) => operation(m, path),
        other => Err(bad(
            path,
            format!("expected a number, a variable or an expression object, got {other}"),
        )),
    }
}

/// `$score`, `$score[i]`, or a payload key.
fn variable(s: &str, path: &str) -> Result<Expression> {
    let Some(rest) = s.strip_prefix("$score") else {
        return key(s, path).map(Expression::Variable);
    };
    let prefetch = if rest.is_empty() {
        Some(0)
    } else {
        rest.strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .filter(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|i| i.parse().ok())
    };
    match prefetch {
        Some(prefetch) => Ok(Expression::Score {
            prefetch,
            name: s.to_string(),
        }),
        None => Err(bad(path, format!("Invalid score pattern: {s}"))),
    }
}

fn key(s: &str, path: &str) -> Result<JsonPath> {
    s.parse()
        .map_err(|e| bad(path, format!("bad payload key {s:?}: {e}")))
}

/// The object's one field (an operation), or the whole object read as a condition.
fn operation(m: &Map<String, Value>, path: &str) -> Result<Expression> {
    const OPERATIONS: [&str; 16] = [
        "mult",
        "sum",
        "neg",
        "abs",
        "div",
        "sqrt",
        "pow",
        "exp",
        "log10",
        "ln",
        "geo_distance",
        "datetime",
        "datetime_key",
        "lin_decay",
        "exp_decay",
        "gauss_decay",
    ];
    let Some((name, body)) = m.iter().find(|(k, _)| OPERATIONS.contains(&k.as_str())) else {
        return condition(m, path);
    };
    if m.len() > 1 {
        return Err(bad(path, format!("{name} takes no other field")));
    }
    let at = format!("{path}.{name}");
    let list = |body: &Value| -> Result<Vec<Expression>> {
        let Value::Array(items) = body else {
            return Err(bad(&at, "expected a list of expressions"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, e)| expression(e, &format!("{at}[{i}]")))
            .collect()
    };
    let fields = |body: &Value, allowed: &[&str]| -> Result<Map<String, Value>> {
        let Value::Object(f) = body else {
            return Err(bad(&at, "expected an object"));
        };
        if let Some(k) = f.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad(&at, format!("unknown field {k:?}")));
        }
        Ok(f.clone())
    };
    let required = |f: &Map<String, Value>, k: &str| -> Result<Box<Expression>> {
        match f.get(k) {
            None | Some(Value::Null) => Err(bad(&at, format!("{k} is required"))),
            Some(v) => boxed(v, &format!("{at}.{k}")),
        }
    };
    let one = || boxed(body, &at);
    Ok(match name.as_str() {
        "mult" => Expression::Mult(list(body)?),
        "sum" => Expression::Sum(list(body)?),
        "neg" => Expression::Neg(one()?),
        "abs" => Expression::Abs(one()?),
        "sqrt" => Expression::Sqrt(one()?),
        "exp" => Expression::Exp(one()?),
        "log10" => Expression::Log10(one()?),
        "ln" => Expression::Ln(one()?),
        "div" => {
            let f = fields(body, &["left", "right", "by_zero_default"])?;
            Expression::Div {
                left: required(&f, "left")?,
                right: required(&f, "right")?,
                by_zero_default: number(&f, "by_zero_default", &at)?,
            }
        }
        "pow" => {
            let f = fields(body, &["base", "exponent"])?;
            Expression::Pow {
                base: required(&f, "base")?,
                exponent: required(&f, "exponent")?,
            }
        }
        "geo_distance" => {
            let f = fields(body, &["origin", "to"])?;
            let to = match f.get("to") {
                Some(Value::String(s)) => key(s, &format!("{at}.to"))?,
                _ => return Err(bad(&at, "to: expected a payload key")),
            };
            Expression::GeoDistance {
                origin: geo_point(f.get("origin"), &format!("{at}.origin"))?,
                to,
            }
        }
        "datetime" => {
            let micros = body.as_str().and_then(datetime::parse_value);
            match micros {
                Some(m) => Expression::Datetime(seconds(m)),
                None => {
                    return Err(bad(
                        &at,
                        format!("Expected datetime in supported format for {body}"),
                    ));
                }
            }
        }
        "datetime_key" => match body {
            Value::String(s) => Expression::DatetimeKey(key(s, &at)?),
            _ => return Err(bad(&at, "expected a payload key")),
        },
        decay => {
            let kind = match decay {
                "lin_decay" => DecayKind::Linear,
                "exp_decay" => DecayKind::Exponential,
                _ => DecayKind::Gaussian,
            };
            let f = fields(body, &["x", "target", "midpoint", "scale"])?;
            let target = match f.get("target") {
                None | Some(Value::Null) => None,
                Some(_) => Some(required(&f, "target")?),
            };
            let midpoint = number(&f, "midpoint", &at)?.unwrap_or(0.5);
            if !(midpoint > 0.0 && midpoint < 1.0) {
                return Err(bad(
                    &at,
                    format!("Midpoint must be between 0 and 1, got {midpoint}"),
                ));
            }
            let scale = number(&f, "scale", &at)?.unwrap_or(1.0);
            if scale <= 0.0 {
                return Err(bad(
                    &at,
                    format!("Scale must be non-zero positive, got {scale}"),
                ));
            }
            Expression::Decay(Decay {
                kind,
                x: required(&f, "x")?,
                target,
                midpoint,
                scale,
            })
        }
    })
}

fn number(f: &Map<String, Value>, k: &str, at: &str) -> Result<Option<f64>> {
    match f.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| bad(&format!("{at}.{k}"), format!("expected a number, got {v}"))),
    }
}

fn geo_point(v: Option<&Value>, at: &str) -> Result<GeoPoint> {
    let p = v.and_then(sextant_payload_index::geo::point_of);
    match p {
        Some(p) if (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon) => Ok(p),
        _ => Err(bad(at, "expected {\"lat\": -90..=90, \"lon\": -180..=180}")),
    }
}

fn condition(m: &Map<String, Value>, path: &str) -> Result<Expression> {
    let c = Condition::from_value(&Value::Object(m.clone()))
        .map_err(|e| bad(path, format!("neither an expression nor a condition: {e}")))?;
    Ok(Expression::Condition(Box::new(Filter {
        must: Some(vec![c]),
        ..Filter::default()
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Formula> {
        formula(v.as_object().unwrap())
    }

    #[test]
    fn reads_every_operation() {
        let f = parse(json!({"formula": {"sum": [
            "$score", "$score[2]", 1.5, "price",
            {"mult": [{"neg": 1}, {"abs": -2}, {"sqrt": 4}]},
            {"div": {"left": 1, "right": "$score[1]", "by_zero_default": 7}},
            {"pow": {"base": 2, "exponent": 3}}, {"exp": 0}, {"log10": 10}, {"ln": 1},
            {"geo_distance": {"origin": {"lat": 1.0, "lon": 2.0}, "to": "loc"}},
            {"datetime": "2024-01-01T00:00:00Z"}, {"datetime_key": "at"},
            {"lin_decay": {"x": "$score", "scale": 2}},
            {"exp_decay": {"x": 1, "target": 2, "midpoint": 0.25}},
            {"gauss_decay": {"x": 1}},
            {"key": "tag", "match": {"value": "a"}}
        ]}, "defaults": {"price": 3}}))
        .unwrap();
        let Expression::Sum(terms) = &f.expression else {
            panic!("{f:?}")
        };
        assert_eq!(terms.len(), 17);
        assert_eq!(
            terms[1],
            Expression::Score {
                prefetch: 2,
                name: "$score[2]".into()
            }
        );
        assert_eq!(terms[11], Expression::Datetime(1_704_067_200.0));
        assert!(matches!(terms[16], Expression::Condition(_)));
        assert_eq!(f.defaults["price"], json!(3));
        assert_eq!(f.conditions().len(), 1);
        assert!(f.reads_payload());
    }

    #[test]
    fn refuses_what_qdrant_refuses() {
        for (body, says) in [
            (json!({"formula": "$score[x]"}), "Invalid score pattern"),
            (json!({"formula": "$score[1].a"}), "Invalid score pattern"),
            (json!({"formula": true}), "expected a number"),
            (
                json!({"formula": {"datetime": "yesterday"}}),
                "Expected datetime",
            ),
            (
                json!({"formula": {"exp_decay": {"x": 1, "midpoint": 1.0}}}),
                "Midpoint must be between 0 and 1",
            ),
            (
                json!({"formula": {"gauss_decay": {"x": 1, "scale": 0}}}),
                "Scale must be non-zero positive",
            ),
            (
                json!({"formula": {"div": {"left": 1}}}),
                "right is required",
            ),
            (json!({"formula": {"sum": 1}}), "expected a list"),
            (
                json!({"formula": {"nope": 1}}),
                "neither an expression nor a condition",
            ),
            (
                json!({"formula": {"geo_distance": {"origin": {"lat": 91, "lon": 0}, "to": "l"}}}),
                "query.formula.geo_distance.origin",
            ),
            (json!({"formula": 1, "defaults": [1]}), "query.defaults"),
            (json!({"formula": 1, "extra": 1}), "unknown field"),
        ] {
            let e = parse(body.clone()).unwrap_err().to_string();
            assert!(e.contains(says), "{body}: {e}");
        }
    }
}
