//! `Fields`: the field indexes of a payload index by key, in key order, with a lookup that
//! costs a few nanoseconds (every count, estimate and plan starts with one).

use crate::field::FieldIndex;

/// Key → field index, kept sorted by key. A lookup first compares a tag of each key (its
/// length and first bytes, no call) and the whole key only on a tag match: through a
/// `BTreeMap<String, _>` a lookup among 9 keys was ~10 ns of memcmp calls, a quarter of a
/// single-range count.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields {
    tags: Vec<u64>,
    entries: Vec<(String, FieldIndex)>,
}

/// The key's length in the top byte and its first 7 bytes below (0-padded); built in
/// registers (a copy into a stack buffer read back as a `u64` stalled store forwarding and
/// cost more than the lookup it saves).
#[inline]
fn tag(key: &str) -> u64 {
    let b = key.as_bytes();
    let head = match b.first_chunk::<8>() {
        Some(first) => u64::from_le_bytes(*first) & ((1 << 56) - 1),
        None => b.iter().rev().fold(0, |t, &c| (t << 8) | u64::from(c)),
    };
    head | ((b.len().min(255) as u64) << 56)
}

impl Fields {
    /// The index of `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&FieldIndex> {
        let t = tag(key);
        self.tags
            .iter()
            .zip(&self.entries)
            .find(|(tg, (k, _))| **tg == t && k == key)
            .map(|(_, (_, f))| f)
    }

    /// Installs `field` for `key`, replacing an index already there.
    pub fn insert(&mut self, key: String, field: FieldIndex) {
        match self.entries.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => self.entries[i].1 = field,
            Err(i) => {
                self.tags.insert(i, tag(&key));
                self.entries.insert(i, (key, field));
            }
        }
    }

    /// Drops the index of `key`; false when there was none.
    pub fn remove(&mut self, key: &str) -> bool {
        match self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            Ok(i) => {
                self.tags.remove(i);
                self.entries.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Keys and indexes in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &FieldIndex)> {
        self.entries.iter().map(|(k, f)| (k.as_str(), f))
    }

    /// The indexes in key order.
    pub fn values(&self) -> impl Iterator<Item = &FieldIndex> {
        self.entries.iter().map(|(_, f)| f)
    }

    /// The indexes in key order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut FieldIndex> {
        self.entries.iter_mut().map(|(_, f)| f)
    }

    /// Number of indexed keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

impl FromIterator<(String, FieldIndex)> for Fields {
    fn from_iter<I: IntoIterator<Item = (String, FieldIndex)>>(iter: I) -> Self {
        let mut out = Self::default();
        for (k, f) in iter {
            out.insert(k, f);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::FieldType;

    fn field(key: &str) -> FieldIndex {
        FieldIndex::new(key.parse().unwrap(), FieldType::Integer)
    }

    #[test]
    fn keys_sharing_a_tag_are_told_apart_and_order_is_kept() {
        let mut f = Fields::default();
        // "metadata.a" and "metadata.b": same length, same first 7 bytes.
        for k in ["metadata.b", "year", "metadata.a", "a"] {
            f.insert(k.to_string(), field(k));
        }
        assert_eq!(tag("metadata.a"), tag("metadata.b"));
        for k in ["metadata.b", "year", "metadata.a", "a"] {
            assert_eq!(f.get(k).unwrap().key().as_str(), k);
        }
        assert!(f.get("metadata.c").is_none() && f.get("").is_none() && f.get("yea").is_none());
        let keys: Vec<&str> = f.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "metadata.a", "metadata.b", "year"]);
        assert!(f.remove("metadata.a") && !f.remove("metadata.a"));
        assert!(f.get("metadata.a").is_none());
        assert_eq!(f.get("metadata.b").unwrap().key().as_str(), "metadata.b");
        f.insert(
            "year".into(),
            FieldIndex::new("year".parse().unwrap(), FieldType::Float),
        );
        assert_eq!(
            (f.len(), f.get("year").unwrap().kind()),
            (3, FieldType::Float)
        );
    }
}
