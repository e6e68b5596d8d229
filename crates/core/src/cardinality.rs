//! `Cardinality`: how many points a filter lets through, as an estimate with bounds. The payload
//! index produces it, and a search planner (HNSW's exact scan vs. graph traversal, the sparse
//! index's direct scoring of a short list) consumes it.

/// An estimate of how many points pass a filter: `min <= exp <= max`.
///
/// `min` and `max` are guaranteed bounds (an index that counts exactly gives `min == exp ==
/// max`); `exp` is the best guess between them. A planner picks its strategy on `exp` and may
/// use `max` to stay safe when a wrong guess is expensive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cardinality {
    /// At least this many points pass.
    pub min: usize,
    /// The expected number of passing points.
    pub exp: usize,
    /// At most this many points pass.
    pub max: usize,
}

impl Cardinality {
    /// An estimate with bounds; `None` unless `min <= exp <= max`.
    pub fn new(min: usize, exp: usize, max: usize) -> Option<Self> {
        (min <= exp && exp <= max).then_some(Self { min, exp, max })
    }

    /// An exact count: all three figures are `n`.
    pub fn exact(n: usize) -> Self {
        Self {
            min: n,
            exp: n,
            max: n,
        }
    }

    /// Nothing known about a filter over `total` points: anywhere from none to all, half
    /// expected.
    pub fn unknown(total: usize) -> Self {
        Self {
            min: 0,
            exp: total / 2,
            max: total,
        }
    }

    /// True when the bounds pin the count down (`min == max`).
    pub fn is_exact(&self) -> bool {
        self.min == self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_must_be_ordered() {
        assert_eq!(
            Cardinality::new(1, 2, 3),
            Some(Cardinality {
                min: 1,
                exp: 2,
                max: 3
            })
        );
        assert_eq!(Cardinality::new(2, 1, 3), None);
        assert_eq!(Cardinality::new(1, 4, 3), None);
        assert!(Cardinality::exact(7).is_exact());
        let u = Cardinality::unknown(10);
        assert_eq!((u.min, u.exp, u.max), (0, 5, 10));
        assert!(!u.is_exact());
    }
}
