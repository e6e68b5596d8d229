//! Walking a whole store to find every bad value, and dropping them in repair mode.

use std::path::{Path, PathBuf};

use sextant_core::PointOffset;

use crate::pointer::ValuePointer;
use crate::shared::read;
use crate::tracker::{Slot, Tracker};
use crate::{Error, Gridstore, GridstoreConfig, Result};

/// A value that failed a check (or whose tracker entry did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    /// The file holding the damage: the page file the value starts in, or the tracker when
    /// the entry itself is damaged.
    pub path: PathBuf,
    /// Its point offset.
    pub offset: PointOffset,
    /// Page its first block is in (0 for a damaged entry).
    pub page: u32,
    /// Its first block in that page.
    pub block: u32,
    /// What failed.
    pub reason: String,
}

/// What [`Gridstore::verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Values read and checked.
    pub checked: u64,
    /// Values that failed, in offset order.
    pub bad: Vec<BadValue>,
}

impl VerifyReport {
    /// True when every value passed.
    pub fn is_clean(&self) -> bool {
        self.bad.is_empty()
    }
}

impl BadValue {
    /// The report of a damaged error (an [`Error::Corrupt`]).
    fn from_error(e: Error) -> Result<BadValue> {
        match e {
            Error::Corrupt {
                path,
                offset,
                page,
                block,
                reason,
            } => Ok(BadValue {
                path,
                offset,
                page,
                block,
                reason,
            }),
            other => Err(other),
        }
    }

    /// The report of a damaged tracker entry.
    pub(crate) fn entry(tracker: &Path, offset: PointOffset, reason: String) -> BadValue {
        BadValue {
            path: tracker.to_path_buf(),
            offset,
            page: 0,
            block: 0,
            reason,
        }
    }
}

/// Runs `check` on every value of the tracker file and collects the failures, damaged
/// entries included.
pub(crate) fn scan_tracker(
    config: &GridstoreConfig,
    tracker: &Tracker,
    mut check: impl FnMut(PointOffset, &ValuePointer) -> Result<()>,
) -> Vec<BadValue> {
    let mut bad = Vec::new();
    for index in 0..tracker.capacity() {
        let offset = index as PointOffset;
        let ptr = match tracker.get(offset) {
            Slot::Empty => continue,
            Slot::Damaged(reason) => {
                bad.push(BadValue::entry(tracker.path(), offset, reason));
                continue;
            }
            Slot::Value(ptr) => ptr,
        };
        let checked = if u64::from(ptr.block) >= config.blocks_per_page() {
            let reason = "first block is past the end of its page".to_string();
            Err(crate::tracker::bad_pointer(
                tracker.path(),
                offset,
                &ptr,
                reason,
            ))
        } else {
            check(offset, &ptr)
        };
        if let Err(e) = checked {
            bad.push(BadValue::from_error(e).unwrap_or_else(|other| {
                BadValue::entry(tracker.path(), offset, other.to_string())
            }));
        }
    }
    bad
}

impl Gridstore {
    /// Reads every value and checks its checksum (and decompression), and every tracker entry
    /// (a zeroed or damaged entry, a truncated tracker). Never stops at the first bad value:
    /// the report lists them all.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.shared.check_poisoned()?;
        let end = read(&self.shared.state).end();
        let mut report = VerifyReport::default();
        for index in 0..end {
            let offset = index as PointOffset;
            let looked_up = read(&self.shared.state).lookup(offset);
            let checked = match looked_up {
                Ok(None) => continue,
                Ok(Some(ptr)) => self.read_value(offset, &ptr).map(|_| ()),
                Err(e) => Err(e),
            };
            report.checked += 1;
            if let Err(e) = checked {
                report.bad.push(BadValue::from_error(e)?);
            }
        }
        Ok(report)
    }

    /// Opens the store in `dir`, dropping every value that is corrupt or structurally
    /// impossible, so a damaged store opens again. Returns the dropped values; the drop is
    /// durable before this returns.
    pub fn open_repair(dir: impl AsRef<Path>) -> Result<(Self, Vec<BadValue>)> {
        crate::open::open(dir.as_ref(), true)
    }
}
