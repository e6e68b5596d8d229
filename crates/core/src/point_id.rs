//! External point ids: what users call their points (an unsigned integer or a UUID), as
//! opposed to the dense [`PointOffset`](crate::PointOffset)s kernels use inside a segment.

use std::fmt;
use std::str::FromStr;

/// A user's id for a point: `u64` or a UUID (kept as its 128 bits, printed hyphenated and
/// lower-case). Integer ids order before UUIDs, as Qdrant scrolls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointId {
    /// An unsigned integer id.
    Num(u64),
    /// A UUID, as its 128 bits (big-endian: the hex digits in order).
    Uuid(u128),
}

/// A string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a UUID (32 hex digits, optionally hyphenated 8-4-4-4-12)")]
pub struct NotAUuid(pub String);

impl PointId {
    /// Parses a UUID string: 32 hex digits, plain or hyphenated 8-4-4-4-12, any case.
    pub fn parse_uuid(s: &str) -> Result<PointId, NotAUuid> {
        let bad = || NotAUuid(s.to_string());
        let b = s.as_bytes();
        let hex: Vec<u8> = match b.len() {
            32 => b.to_vec(),
            36 if [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') => b
                .iter()
                .enumerate()
                .filter(|(i, _)| ![8, 13, 18, 23].contains(i))
                .map(|(_, &c)| c)
                .collect(),
            _ => return Err(bad()),
        };
        hex.iter()
            .try_fold(0u128, |acc, &c| {
                (c as char).to_digit(16).map(|d| acc << 4 | u128::from(d))
            })
            .map(PointId::Uuid)
            .ok_or_else(bad)
    }
}

impl fmt::Display for PointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PointId::Num(n) => write!(f, "{n}"),
            PointId::Uuid(u) => {
                let h = format!("{u:032x}");
                write!(
                    f,
                    "{}-{}-{}-{}-{}",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                )
            }
        }
    }
}

impl FromStr for PointId {
    type Err = NotAUuid;

    /// Digits are an integer id, anything else must be a UUID.
    fn from_str(s: &str) -> Result<Self, NotAUuid> {
        match s.parse::<u64>() {
            Ok(n) if !s.starts_with('+') => Ok(PointId::Num(n)),
            _ => PointId::parse_uuid(s),
        }
    }
}

impl From<u64> for PointId {
    fn from(n: u64) -> Self {
        PointId::Num(n)
    }
}

/// JSON form: a number for an integer id, the hyphenated string for a UUID.
#[cfg(feature = "serde")]
mod serde_impl {
    use super::PointId;
    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    impl Serialize for PointId {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                PointId::Num(n) => s.serialize_u64(*n),
                PointId::Uuid(_) => s.collect_str(self),
            }
        }
    }

    impl<'de> Deserialize<'de> for PointId {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = PointId;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an unsigned integer or a UUID string")
                }
                fn visit_u64<E: de::Error>(self, n: u64) -> Result<PointId, E> {
                    Ok(PointId::Num(n))
                }
                fn visit_i64<E: de::Error>(self, n: i64) -> Result<PointId, E> {
                    u64::try_from(n)
                        .map(PointId::Num)
                        .map_err(|_| E::custom(format!("point id {n} is negative")))
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<PointId, E> {
                    PointId::parse_uuid(s).map_err(E::custom)
                }
            }
            d.deserialize_any(V)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse_in_both_forms_and_print_hyphenated() {
        let s = "550e8400-e29b-41d4-a716-446655440000";
        let id = PointId::parse_uuid(s).unwrap();
        assert_eq!(id.to_string(), s);
        assert_eq!(
            PointId::parse_uuid("550E8400E29B41D4A716446655440000").unwrap(),
            id
        );
        assert_eq!("42".parse::<PointId>().unwrap(), PointId::Num(42));
        assert_eq!(s.parse::<PointId>().unwrap(), id);
        for bad in [
            "",
            "+42",
            "550e8400-e29b-41d4-a716-44665544000",
            "550e8400xe29b-41d4-a716-446655440000",
            "g50e8400e29b41d4a716446655440000",
        ] {
            assert!(bad.parse::<PointId>().is_err(), "{bad}");
        }
        assert!(
            PointId::Num(u64::MAX) < PointId::Uuid(0),
            "integers order before UUIDs"
        );
    }
}
