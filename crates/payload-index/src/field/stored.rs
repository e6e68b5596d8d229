//! A field index in the index file, and back: presence sets and value counts copied into RAM,
//! key dictionaries decoded, postings and per-point key lists viewed in place in the map.
//! The byte table is in [`crate::store`].

use std::collections::BTreeMap;

use sextant_core::{BitSet, PointOffset};

use super::forward::Forward;
use super::key::IndexKey;
use super::key_codec::KeyCodec;
use super::text::{TextIndex, TextParams};
use super::typed::Typed;
use super::{Counted, FieldIndex, FieldType, MISSING, Presence, Values};
use crate::path::JsonPath;
use crate::postings::Postings;
use crate::store::{Bad, Reader, Writer};

/// Type codes in the file.
const KINDS: [FieldType; 8] = [
    FieldType::Keyword,
    FieldType::Integer,
    FieldType::Float,
    FieldType::Bool,
    FieldType::Datetime,
    FieldType::Uuid,
    FieldType::Geo,
    FieldType::Text,
];

impl FieldIndex {
    /// Appends this index (`slots` point slots) to `w`.
    pub(crate) fn write(&self, w: &mut Writer, slots: usize) {
        if self.stale.count() > 0 {
            // Removed points are still in the mapped lists: write a copy without them.
            let mut copy = self.clone();
            copy.unfreeze();
            return copy.write(w, slots);
        }
        let code = KINDS.iter().position(|&k| k == self.kind).unwrap_or(0);
        w.u8(code as u8);
        let params = match &self.values {
            Values::Text(t) => serde_json::to_vec(&t.params).unwrap_or_default(),
            _ => Vec::new(),
        };
        w.blob(&params);
        let p = &self.presence;
        for set in p.sets() {
            let mut words = set.as_words().to_vec();
            words.resize(slots.div_ceil(64), 0);
            w.words(&words);
        }
        let counts = (0..slots).flat_map(|i| {
            let (lo, hi) = p.counts.get(i).copied().unwrap_or(MISSING);
            [lo, hi]
        });
        w.u32s(2 * slots, counts);
        match &self.values {
            Values::Keyword(t) => write_typed(t, w, slots),
            Values::Integer(t) => write_typed(t, w, slots),
            Values::Float(t) => write_typed(t, w, slots),
            Values::Bool(t) => write_typed(t, w, slots),
            Values::Datetime(t) => write_typed(t, w, slots),
            Values::Uuid(t) => write_typed(t, w, slots),
            Values::Geo(t) => write_typed(t, w, slots),
            Values::Text(t) => {
                write_lists(&t.map, &t.forward, w, slots);
                w.u64(t.sequences.len() as u64);
                for values in &t.sequences {
                    w.u32(values.len() as u32);
                    for seq in values {
                        w.u32(seq.len() as u32);
                        for token in seq {
                            w.blob(token.as_bytes());
                        }
                    }
                }
            }
        }
    }

    /// Reads an index of `key` over `slots` point slots written by [`Self::write`].
    pub(crate) fn read(key: JsonPath, r: &mut Reader<'_>, slots: usize) -> Result<Self, Bad> {
        let code = r.u8()?;
        let Some(&kind) = KINDS.get(code as usize) else {
            return r.bad("a field type code (0..=7)");
        };
        let at = r.at;
        let params = r.blob()?;
        let text_params: Option<TextParams> = if kind == FieldType::Text {
            let params: TextParams = serde_json::from_slice(params).map_err(|e| Bad {
                offset: at,
                what: format!("full-text parameters as JSON ({e})"),
            })?;
            // Tokens stemmed at save time must be stemmed at query time too.
            if let Some(problem) = params.problem() {
                return Err(Bad {
                    offset: at,
                    what: format!("full-text parameters this build can serve ({problem})"),
                });
            }
            Some(params)
        } else {
            None
        };
        let mut presence = Presence::default();
        for i in 0..7 {
            let words = r.words(slots.div_ceil(64), "presence words")?;
            let Some(bits) = BitSet::from_words(words, slots) else {
                return r.bad("presence bits within the point slots");
            };
            let set = Counted {
                count: bits.count(),
                bits,
            };
            *presence.set_mut(i) = set;
        }
        let counts = r.u32s(2 * slots, "value counts")?;
        let counts = counts.as_slice();
        if counts.len() != 2 * slots {
            return r.bad(format!("{} value counts", 2 * slots));
        }
        presence.counts = counts.chunks_exact(2).map(|c| (c[0], c[1])).collect();
        presence.exists = presence.counts.iter().filter(|&&c| c != MISSING).count();
        let values = match kind {
            FieldType::Keyword => Values::Keyword(read_typed(r, slots)?),
            FieldType::Integer => Values::Integer(read_typed(r, slots)?),
            FieldType::Float => Values::Float(read_typed(r, slots)?),
            FieldType::Bool => Values::Bool(read_typed(r, slots)?),
            FieldType::Datetime => Values::Datetime(read_typed(r, slots)?),
            FieldType::Uuid => Values::Uuid(read_typed(r, slots)?),
            FieldType::Geo => Values::Geo(read_typed(r, slots)?),
            FieldType::Text => {
                let (map, forward, pairs) = read_lists::<String>(r, slots)?;
                let n = r.count(slots, "points with phrase sequences")?;
                let mut sequences = Vec::with_capacity(n);
                for _ in 0..n {
                    let values = r.u32()? as usize;
                    let mut point = Vec::new();
                    for _ in 0..values {
                        let len = r.u32()? as usize;
                        let mut seq = Vec::new();
                        for _ in 0..len {
                            seq.push(r.string()?);
                        }
                        point.push(seq);
                    }
                    sequences.push(point);
                }
                let mut t = TextIndex::new(text_params.unwrap_or_default());
                t.map = map;
                t.forward = forward;
                t.sequences = sequences;
                t.pairs = pairs;
                Values::Text(t)
            }
        };
        Ok(Self {
            key,
            kind,
            values,
            presence,
            stale: Counted::default(),
        })
    }
}

fn write_typed<K: IndexKey + KeyCodec>(t: &Typed<K>, w: &mut Writer, slots: usize) {
    write_lists(&t.map, &t.forward, w, slots);
}

fn read_typed<K: IndexKey + KeyCodec>(r: &mut Reader<'_>, slots: usize) -> Result<Typed<K>, Bad> {
    let (map, forward, pairs) = read_lists(r, slots)?;
    Ok(Typed::from_parts(map, forward, pairs))
}

/// Keys in order, each key's postings, and each point's key ids:
/// `u64 K`, K keys, postings starts (K + 1 u32s), postings (u32s), forward starts
/// (`slots` + 1 u32s), forward key ids (u32s).
fn write_lists<K: Ord + Clone + KeyCodec>(
    map: &BTreeMap<K, Postings>,
    forward: &Forward<K>,
    w: &mut Writer,
    slots: usize,
) {
    w.u64(map.len() as u64);
    for k in map.keys() {
        k.write(w);
    }
    let mut start = 0u32;
    let starts = std::iter::once(0).chain(map.values().map(|p| {
        start += p.len() as u32;
        start
    }));
    w.u32s(map.len() + 1, starts);
    let total: usize = map.values().map(Postings::len).sum();
    let lists = map.values().flat_map(|p| p.as_slice().iter().copied());
    w.u32s(total, lists);
    let keys: Vec<&K> = map.keys().collect();
    let mut ids = Vec::new();
    let mut starts = vec![0u32];
    for o in 0..slots as PointOffset {
        for k in forward.keys_of(o) {
            // Every own key has postings; a key that somehow had none is left out.
            if let Ok(i) = keys.binary_search(&k) {
                ids.push(i as u32);
            }
        }
        starts.push(ids.len() as u32);
    }
    w.u32s(starts.len(), starts);
    w.u32s(ids.len(), ids);
}

type Lists<K> = (BTreeMap<K, Postings>, Forward<K>, usize);

fn read_lists<K: Ord + Clone + KeyCodec>(
    r: &mut Reader<'_>,
    slots: usize,
) -> Result<Lists<K>, Bad> {
    let limit = u32::MAX as usize;
    let n = r.count(r.bytes.len(), "distinct keys")?;
    let mut keys: Vec<K> = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.at;
        let k = K::read(r)?;
        if keys.last().is_some_and(|last| *last >= k) {
            return Err(Bad {
                offset: at,
                what: "keys in strictly ascending order".into(),
            });
        }
        keys.push(k);
    }
    let starts = r.u32s(n + 1, "postings starts")?;
    let lists = r.u32s(limit, "postings")?;
    let s = starts.as_slice();
    let total = lists.as_slice().len();
    if s.len() != n + 1 || s[0] != 0 || s[n] as usize != total || s.windows(2).any(|w| w[0] >= w[1])
    {
        return r.bad("postings starts rising from 0 to the number of postings, no key empty");
    }
    let all = lists.as_slice();
    for w in s.windows(2) {
        let list = &all[w[0] as usize..w[1] as usize];
        if list.windows(2).any(|p| p[0] >= p[1])
            || list.last().is_some_and(|&o| o as usize >= slots)
        {
            return r.bad("each key's points ascending, distinct, within the point slots");
        }
    }
    let map = keys
        .iter()
        .cloned()
        .zip(
            s.windows(2)
                .map(|w| Postings::mapped(lists.slice(w[0] as usize, (w[1] - w[0]) as usize))),
        )
        .collect();
    let fstarts = r.u32s(slots + 1, "per-point starts")?;
    let ids = r.u32s(limit, "per-point key ids")?;
    let f = fstarts.as_slice();
    if f.len() != slots + 1
        || f[0] != 0
        || f[slots] as usize != ids.as_slice().len()
        || f.windows(2).any(|w| w[0] > w[1])
    {
        return r.bad("per-point starts rising from 0 to the number of key ids");
    }
    if ids.as_slice().len() != total || ids.as_slice().iter().any(|&i| i as usize >= n) {
        return r.bad("one key id per posting, each below the number of keys");
    }
    let forward = Forward::Mapped {
        starts: fstarts,
        ids,
        keys,
    };
    Ok((map, forward, total))
}

impl Presence {
    /// The seven sets in file order.
    fn sets(&self) -> [&Counted; 7] {
        [
            &self.present,
            &self.own,
            &self.others,
            &self.null_values,
            &self.null,
            &self.non_empty,
            &self.multi,
        ]
    }

    fn set_mut(&mut self, i: usize) -> &mut Counted {
        match i {
            0 => &mut self.present,
            1 => &mut self.own,
            2 => &mut self.others,
            3 => &mut self.null_values,
            4 => &mut self.null,
            5 => &mut self.non_empty,
            _ => &mut self.multi,
        }
    }
}
