//! `Reader`: checked little-endian reads over a file's body, each naming what it reads so a
//! short or damaged file's error says where and what; `put_text` and `Shape`, the pieces the
//! shard's files write the same way (a length-prefixed string; the vectors' names and sizes).

use crate::config::{Datatype, ShardConfig};

/// Writes `s` as a u32 length then its UTF-8 bytes.
pub(crate) fn put_text(w: &mut Vec<u8>, s: &str) {
    w.extend_from_slice(&(s.len() as u32).to_le_bytes());
    w.extend_from_slice(s.as_bytes());
}

/// The vectors a file is written for: dense (name, size), sparse names and multivectors
/// (name, size), in the config's order. On disk: dense count D (u32), D × (name, size u32),
/// sparse count S (u32), S × name, then (the points and base files' format 3) multivector
/// count M (u32), M × (name, size u32).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    pub dense: Vec<(String, usize)>,
    pub sparse: Vec<String>,
    pub multi: Vec<(String, usize)>,
    /// Each dense vector's datatype (the base file records them; `write` leaves them out).
    pub datatypes: Vec<Datatype>,
}

impl Shape {
    /// The vectors of `config`.
    pub fn of(config: &ShardConfig) -> Shape {
        Shape {
            dense: (config.vectors.iter())
                .map(|(n, p)| (n.clone(), p.size))
                .collect(),
            sparse: config.sparse_vectors.keys().cloned().collect(),
            multi: (config.multivectors.iter())
                .map(|(n, p)| (n.clone(), p.size))
                .collect(),
            datatypes: config.vectors.values().map(|p| p.datatype).collect(),
        }
    }

    /// Writes the shape.
    pub fn write(&self, w: &mut Vec<u8>) {
        w.extend_from_slice(&(self.dense.len() as u32).to_le_bytes());
        for (name, size) in &self.dense {
            put_text(w, name);
            w.extend_from_slice(&(*size as u32).to_le_bytes());
        }
        w.extend_from_slice(&(self.sparse.len() as u32).to_le_bytes());
        for name in &self.sparse {
            put_text(w, name);
        }
        w.extend_from_slice(&(self.multi.len() as u32).to_le_bytes());
        for (name, size) in &self.multi {
            put_text(w, name);
            w.extend_from_slice(&(*size as u32).to_le_bytes());
        }
    }
}

/// A checked little-endian reader over the file's body.
pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize, what: &str) -> std::result::Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("byte {}: {what} runs past the end", self.at))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    pub fn u8(&mut self, what: &str) -> std::result::Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }
    pub fn u32(&mut self, what: &str) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }
    pub fn u64(&mut self, what: &str) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }
    pub fn f32s(&mut self, n: usize, what: &str) -> std::result::Result<Vec<f32>, String> {
        let bytes = self.take(n.checked_mul(4).ok_or("overflow")?, what)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
    /// Reads a shape (with its multivectors when `multi`: format 3 files; an older file
    /// holds none, whatever `want` has) and refuses one other than `want`.
    pub fn shape(&mut self, want: &Shape, multi: bool) -> std::result::Result<(), String> {
        self.sized(&want.dense, "dense vectors", "vector")?;
        let s = self.u32("the sparse vector count")? as usize;
        if s != want.sparse.len() {
            return Err(format!(
                "{s} sparse vectors, the config has {}",
                want.sparse.len()
            ));
        }
        for name in &want.sparse {
            let got = self.text("a sparse vector name")?;
            if got != name {
                return Err(format!("sparse vector {got:?}, the config has {name:?}"));
            }
        }
        // A file from before multivectors holds none: they read as absent.
        if !multi {
            return Ok(());
        }
        self.sized(&want.multi, "multivectors", "multivector")
    }

    /// Reads a count and that many (name, size) pairs, refusing any other than `want`'s.
    fn sized(
        &mut self,
        want: &[(String, usize)],
        kinds: &str,
        kind: &str,
    ) -> std::result::Result<(), String> {
        let n = self.u32(&format!("the {kinds} count"))? as usize;
        if n != want.len() {
            return Err(format!("{n} {kinds}, the config has {}", want.len()));
        }
        for (name, size) in want {
            let got = self.text(&format!("a {kind} name"))?;
            let got_size = self.u32(&format!("a {kind} size"))? as usize;
            if got != name || got_size != *size {
                return Err(format!(
                    "{kind} {got:?} of size {got_size}, the config has {name:?} of size {size}"
                ));
            }
        }
        Ok(())
    }

    pub fn text(&mut self, what: &str) -> std::result::Result<&'a str, String> {
        let n = self.u32(what)? as usize;
        let at = self.at;
        std::str::from_utf8(self.take(n, what)?)
            .map_err(|_| format!("byte {at}: {what} is not UTF-8"))
    }
}
