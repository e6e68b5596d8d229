//! The byte-level pieces of the index file: a writer that appends little-endian fields and
//! aligned `u32` arrays, a reader that checks every field it takes, and `MappedU32`, a `u32`
//! array read in place from the mapped file.

use std::sync::Arc;

use sextant_mmap_advice::MmapFile;

/// Appends the fields of an index file.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u128(&mut self, v: u128) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    /// A length-prefixed (u32) byte string.
    pub fn blob(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.bytes.extend_from_slice(b);
    }
    /// Zero bytes up to a multiple of 8 (so the array that follows can be viewed in place).
    pub fn align(&mut self) {
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
    }
    /// The count `len`, padding, then `len` values (viewable in place by [`Reader::u32s`]).
    pub fn u32s(&mut self, len: usize, values: impl IntoIterator<Item = u32>) {
        self.u64(len as u64);
        self.align();
        let at = self.bytes.len();
        for v in values {
            self.u32(v);
        }
        debug_assert_eq!(
            self.bytes.len() - at,
            4 * len,
            "as many values as announced"
        );
    }
    /// Bit-set words with their count.
    pub fn words(&mut self, words: &[u64]) {
        self.u64(words.len() as u64);
        self.align();
        for &w in words {
            self.u64(w);
        }
    }
}

/// What a reader found wrong: the byte offset and what was expected there.
#[derive(Debug)]
pub(crate) struct Bad {
    pub offset: usize,
    pub what: String,
}

/// Takes the fields of an index file in order, checking each.
pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
    /// The map the bytes come from (arrays are viewed in place in it).
    pub map: &'a Arc<MmapFile>,
}

impl<'a> Reader<'a> {
    pub fn bad<T>(&self, what: impl Into<String>) -> Result<T, Bad> {
        Err(Bad {
            offset: self.at,
            what: what.into(),
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        match self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
        {
            Some(end) => {
                let out = &self.bytes[self.at..end];
                self.at = end;
                Ok(out)
            }
            None => self.bad(format!("{n} more bytes (the file ends first)")),
        }
    }
    pub fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32, Bad> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64, Bad> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    pub fn u128(&mut self) -> Result<u128, Bad> {
        let mut a = [0u8; 16];
        a.copy_from_slice(self.take(16)?);
        Ok(u128::from_le_bytes(a))
    }
    pub fn blob(&mut self) -> Result<&'a [u8], Bad> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn string(&mut self) -> Result<String, Bad> {
        let at = self.at;
        let b = self.blob()?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => Err(Bad {
                offset: at,
                what: "a UTF-8 string".into(),
            }),
        }
    }
    /// A count that must not exceed `max` (so a damaged count cannot ask for huge buffers).
    pub fn count(&mut self, max: usize, what: &str) -> Result<usize, Bad> {
        let n = self.u64()?;
        if n > max as u64 {
            return self.bad(format!("{what}: at most {max}, found {n}"));
        }
        Ok(n as usize)
    }
    fn skip_padding(&mut self) -> Result<(), Bad> {
        let pad = (8 - self.at % 8) % 8;
        self.take(pad).map(|_| ())
    }
    /// A `u32` array written by [`Writer::u32s`], viewed in place, of at most `max` values.
    pub fn u32s(&mut self, max: usize, what: &str) -> Result<MappedU32, Bad> {
        let n = self.count(max, what)?;
        self.skip_padding()?;
        let start = self.at;
        self.take(n * 4)?;
        let m = MappedU32 {
            map: Arc::clone(self.map),
            start,
            len: n,
        };
        if m.map.view::<u32>(start, n).is_err() {
            return Err(Bad {
                offset: start,
                what: format!("{what}: an aligned u32 array"),
            });
        }
        Ok(m)
    }
    /// Bit-set words written by [`Writer::words`] (copied: bit sets live in RAM).
    pub fn words(&mut self, max: usize, what: &str) -> Result<Vec<u64>, Bad> {
        let n = self.count(max, what)?;
        self.skip_padding()?;
        let b = self.take(n * 8)?;
        Ok(b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect())
    }
}

/// `len` little-endian `u32`s at byte `start` of a mapped index file, checked (bounds and
/// alignment) when the file was opened.
#[derive(Debug, Clone)]
pub(crate) struct MappedU32 {
    map: Arc<MmapFile>,
    start: usize,
    len: usize,
}

impl MappedU32 {
    /// `len` values from value `start` on (within this array: the caller checked).
    pub fn slice(&self, start: usize, len: usize) -> MappedU32 {
        MappedU32 {
            map: Arc::clone(&self.map),
            start: self.start + 4 * start,
            len,
        }
    }

    /// The values. Never fails after the check at open (an empty slice if it somehow did).
    #[inline]
    pub fn as_slice(&self) -> &[u32] {
        self.map.view::<u32>(self.start, self.len).unwrap_or(&[])
    }
}
