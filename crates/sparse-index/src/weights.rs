//! Posting weights as a saved list stores them: f32, or f16 / u8 codes with a per-term scale
//! (a weight decodes as `lo + step · code`). Codes are only for walking the lists: each
//! list's largest decoding error is measured against the points' exact vectors when the file
//! is opened, searches widen their pruning bounds by it, and every returned score is the exact
//! dot product with the point's vector (kept in the same file), so the results are the same
//! as with f32 weights.

use half::f16;

/// How a saved index stores its posting weights ([`crate::SparseIndex::save`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightType {
    /// 4 bytes, as inserted.
    #[default]
    F32,
    /// 2 bytes: the weight divided by the term's largest magnitude, as f16 (11 significant
    /// bits).
    F16,
    /// 1 byte: 256 steps from the term's smallest to its largest weight.
    U8,
}

impl WeightType {
    /// The code in the file header.
    pub(crate) fn code(self) -> u32 {
        match self {
            WeightType::F32 => 0,
            WeightType::F16 => 1,
            WeightType::U8 => 2,
        }
    }

    /// The type a header code names.
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        [WeightType::F32, WeightType::F16, WeightType::U8]
            .into_iter()
            .find(|t| t.code() == code)
    }

    /// Bytes per stored weight.
    pub(crate) fn bytes(self) -> usize {
        match self {
            WeightType::F32 => 4,
            WeightType::F16 => 2,
            WeightType::U8 => 1,
        }
    }
}

/// A term's codes decode as `lo + step · code`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    pub lo: f32,
    pub step: f32,
}

impl Scale {
    /// The scale for a term whose weights span `min..=max`, coded as `ty` (f32: identity).
    pub fn fit(ty: WeightType, min: f32, max: f32) -> Scale {
        let (lo, step) = match ty {
            WeightType::F32 => (0.0, 1.0),
            WeightType::F16 => (0.0, min.abs().max(max.abs())),
            WeightType::U8 => (min, (max - min) / 255.0),
        };
        // A constant list (step 0) or a span beyond f32 (step inf) codes every weight as
        // the nearest the scale reaches; the measured error covers it.
        let step = if step > 0.0 && step.is_finite() {
            step
        } else {
            1.0
        };
        Scale { lo, step }
    }

    /// `w` as a u8 code.
    pub fn u8(self, w: f32) -> u8 {
        ((w - self.lo) / self.step).round().clamp(0.0, 255.0) as u8
    }

    /// `w` as f16 bits.
    pub fn f16(self, w: f32) -> u16 {
        f16::from_f32((w - self.lo) / self.step).to_bits()
    }

    /// What code `v` (as f32) decodes to.
    pub fn decode(self, v: f32) -> f32 {
        self.lo + self.step * v
    }
}

/// A list's weights as a search reads them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Weights<'a> {
    F32(&'a [f32]),
    F16(&'a [u16], Scale),
    U8(&'a [u8], Scale),
}

impl Weights<'_> {
    /// The weight at position `c`, decoded.
    pub fn get(&self, c: usize) -> f32 {
        match *self {
            Weights::F32(w) => w[c],
            Weights::F16(w, s) => s.decode(f16::from_bits(w[c]).to_f32()),
            Weights::U8(w, s) => s.decode(w[c] as f32),
        }
    }

    /// True when the weights are the inserted f32 values (not codes).
    pub fn exact(&self) -> bool {
        matches!(self, Weights::F32(_))
    }
}

/// A saved file's weight array, whichever type it holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FileWeights<'a> {
    F32(&'a [f32]),
    F16(&'a [u16]),
    U8(&'a [u8]),
}

impl Default for FileWeights<'_> {
    fn default() -> Self {
        FileWeights::F32(&[])
    }
}

impl<'a> FileWeights<'a> {
    /// One list's weights: positions `range` of the array, decoded with `scale`.
    pub fn list(self, range: std::ops::Range<usize>, scale: Scale) -> Weights<'a> {
        match self {
            FileWeights::F32(w) => Weights::F32(w.get(range).unwrap_or_default()),
            FileWeights::F16(w) => Weights::F16(w.get(range).unwrap_or_default(), scale),
            FileWeights::U8(w) => Weights::U8(w.get(range).unwrap_or_default(), scale),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decode_near_their_weights() {
        let weights = [-2.0f32, -0.3, 0.0, 0.7, 1.9, 3.5];
        for ty in [WeightType::F16, WeightType::U8] {
            let s = Scale::fit(ty, -2.0, 3.5);
            for &w in &weights {
                let back = match ty {
                    WeightType::F16 => s.decode(f16::from_bits(s.f16(w)).to_f32()),
                    _ => s.decode(s.u8(w) as f32),
                };
                let bound = match ty {
                    WeightType::F16 => 3.5 / 2048.0,
                    _ => 5.5 / 255.0 / 2.0 * 1.0001,
                };
                assert!((back - w).abs() <= bound, "{ty:?} {w} -> {back}");
            }
        }
        // The ends of a u8 range are exact.
        let s = Scale::fit(WeightType::U8, -2.0, 3.5);
        assert_eq!((s.u8(-2.0), s.u8(3.5)), (0, 255));
        assert_eq!(s.decode(0.0), -2.0);
    }

    #[test]
    fn constant_and_huge_spans_get_a_usable_step() {
        let s = Scale::fit(WeightType::U8, 4.0, 4.0);
        assert_eq!(s.decode(s.u8(4.0) as f32), 4.0);
        let s = Scale::fit(WeightType::U8, -3e38, 3e38);
        assert!(s.step.is_finite() && s.step > 0.0);
        let s = Scale::fit(WeightType::F16, 0.0, 0.0);
        assert_eq!(s.decode(f16::from_bits(s.f16(0.0)).to_f32()), 0.0);
        for ty in [WeightType::F32, WeightType::F16, WeightType::U8] {
            assert_eq!(WeightType::from_code(ty.code()), Some(ty));
        }
        assert_eq!(WeightType::from_code(3), None);
    }
}
