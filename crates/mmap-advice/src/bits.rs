//! Bit slices over `u64` words, as stored in mapped bitmask files.
//!
//! Bit `i` is bit `i % 64` (least significant first) of word `i / 64`.

/// A read-only run of `len` bits.
#[derive(Debug, Clone, Copy)]
pub struct BitSlice<'a> {
    words: &'a [u64],
    len: usize,
}

impl<'a> BitSlice<'a> {
    /// Views the first `len` bits of `words`; `None` if the words hold fewer bits.
    pub fn new(words: &'a [u64], len: usize) -> Option<Self> {
        (len.div_ceil(64) <= words.len()).then_some(Self { words, len })
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the slice holds no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i`; `None` past the end.
    pub fn get(&self, i: usize) -> Option<bool> {
        (i < self.len).then(|| self.words[i / 64] >> (i % 64) & 1 == 1)
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        let full = self.len / 64;
        let mut ones: usize = self.words[..full]
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum();
        if !self.len.is_multiple_of(64) {
            ones += (self.words[full] & ((1u64 << (self.len % 64)) - 1)).count_ones() as usize;
        }
        ones
    }

    /// Indices of the set bits, ascending.
    pub fn iter_ones(&self) -> impl Iterator<Item = usize> + 'a {
        let len = self.len;
        self.words
            .iter()
            .enumerate()
            .flat_map(move |(w, &word)| {
                let mut rest = word;
                std::iter::from_fn(move || {
                    if rest == 0 {
                        return None;
                    }
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    Some(w * 64 + bit)
                })
            })
            .take_while(move |&i| i < len)
    }
}

/// A mutable run of `len` bits.
#[derive(Debug)]
pub struct BitSliceMut<'a> {
    words: &'a mut [u64],
    len: usize,
}

impl<'a> BitSliceMut<'a> {
    /// Views the first `len` bits of `words`; `None` if the words hold fewer bits.
    pub fn new(words: &'a mut [u64], len: usize) -> Option<Self> {
        (len.div_ceil(64) <= words.len()).then_some(Self { words, len })
    }

    /// A read-only view of the same bits.
    pub fn as_bits(&self) -> BitSlice<'_> {
        BitSlice {
            words: self.words,
            len: self.len,
        }
    }

    /// Sets bit `i` to `value`; returns the previous value, or `None` past the end.
    pub fn set(&mut self, i: usize, value: bool) -> Option<bool> {
        if i >= self.len {
            return None;
        }
        let word = &mut self.words[i / 64];
        let mask = 1u64 << (i % 64);
        let old = *word & mask != 0;
        if value {
            *word |= mask
        } else {
            *word &= !mask
        }
        Some(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_a_vec_of_bools(len in 0usize..300, sets in proptest::collection::vec((0usize..320, any::<bool>()), 0..200)) {
            let mut words = vec![0u64; len.div_ceil(64)];
            let mut model = vec![false; len];
            let mut bits = BitSliceMut::new(&mut words, len).unwrap();
            for (i, v) in sets {
                let old = bits.set(i, v);
                prop_assert_eq!(old, model.get(i).copied());
                if i < len { model[i] = v; }
            }
            let view = bits.as_bits();
            prop_assert_eq!(view.count_ones(), model.iter().filter(|&&b| b).count());
            let ones: Vec<usize> = view.iter_ones().collect();
            let expected: Vec<usize> = (0..len).filter(|&i| model[i]).collect();
            prop_assert_eq!(ones, expected);
            for (i, &b) in model.iter().enumerate() { prop_assert_eq!(view.get(i), Some(b)); }
            prop_assert_eq!(view.get(len), None);
        }
    }

    #[test]
    fn too_few_words_is_refused() {
        assert!(BitSlice::new(&[0u64], 65).is_none());
        assert!(BitSlice::new(&[0u64; 2], 65).is_some());
    }
}
