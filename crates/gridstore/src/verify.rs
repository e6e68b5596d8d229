//! Walking a whole store to find every bad value, and dropping them in repair mode.

use std::path::Path;

use sextant_core::PointOffset;

use crate::pointer::ValuePointer;
use crate::shared::read;
use crate::tracker::Tracker;
use crate::{Error, Gridstore, GridstoreConfig, Result};

/// A value that failed a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    /// Its point offset.
    pub offset: PointOffset,
    /// Page its first block is in.
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

/// Runs `check` on every entry of the tracker file and collects the failures.
pub(crate) fn scan_tracker(
    config: &GridstoreConfig,
    tracker: &Tracker,
    mut check: impl FnMut(PointOffset, &ValuePointer) -> Result<(), String>,
) -> Vec<BadValue> {
    let mut bad = Vec::new();
    for index in 0..tracker.capacity() {
        let offset = index as PointOffset;
        let Some(ptr) = tracker.get(offset) else {
            continue;
        };
        let checked = if u64::from(ptr.block) >= config.blocks_per_page() {
            Err("first block is past the end of its page".to_string())
        } else {
            check(offset, &ptr)
        };
        if let Err(reason) = checked {
            bad.push(BadValue {
                offset,
                page: ptr.page,
                block: ptr.block,
                reason,
            });
        }
    }
    bad
}

impl Gridstore {
    /// Reads every value and checks its checksum (and decompression). Never stops at the first
    /// bad value: the report lists them all.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.shared.check_poisoned()?;
        let end = read(&self.shared.state).end();
        let mut report = VerifyReport::default();
        for index in 0..end {
            let offset = index as PointOffset;
            let Some(ptr) = read(&self.shared.state).lookup(offset) else {
                continue;
            };
            report.checked += 1;
            match self.read_value(offset, &ptr) {
                Ok(_) => {}
                Err(Error::Corrupt {
                    offset,
                    page,
                    block,
                    reason,
                }) => report.bad.push(BadValue {
                    offset,
                    page,
                    block,
                    reason,
                }),
                Err(other) => return Err(other),
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
