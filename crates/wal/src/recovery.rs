//! Opening a WAL directory: find the segments, scan them, cut a torn tail, refuse (or, when
//! asked, cut) corruption, and report what was dropped.

use crate::config::{Recovery, WalConfig};
use crate::error::{Error, Result};
use crate::format::parse_segment_file_name;
use crate::scan::{End, Layout, scan_segment};
use crate::segment::{Segment, sync_dir};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// Why entries were dropped when the log was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// The final write was interrupted (a crash while appending): always dropped; those
    /// entries were never acknowledged under `SyncEach` / `GroupCommit`. Which damages look
    /// the same is listed in [`crate::format`] ("Torn writes and damage").
    TornWrite,
    /// Synced entries were damaged (or a segment truncated); dropped only under
    /// `Recovery::TruncateAtCorruption`.
    Corruption(String),
}

/// What was cut from the log when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Segment the cut happened in.
    pub segment: PathBuf,
    /// Byte offset of the cut.
    pub offset: u64,
    /// Non-zero bytes removed from that segment.
    pub bytes: u64,
    /// Entries removed, from the cut to the last one the files show (intact records, length
    /// fields, and the entries of the later segments removed with it): never more than were
    /// removed, and fewer only when the damage hid a record's header, its length included
    /// (one damage across two records, a truncated file).
    pub entries: u64,
    /// Later segment files removed with it.
    pub later_segments: usize,
    /// Why.
    pub reason: DropReason,
}

/// What `Wal::open` found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryReport {
    /// Segment files read.
    pub segments: usize,
    /// Entries recovered.
    pub entries: u64,
    /// What was cut, if anything.
    pub dropped: Option<Dropped>,
}

/// A segment's bytes for scanning: mapped read-only (replay is bound by copying out of the page
/// cache otherwise), or empty for an empty file.
enum SegmentBytes {
    Mapped(sextant_mmap_advice::MmapFile),
    Empty,
}

impl std::ops::Deref for SegmentBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m.bytes(),
            Self::Empty => &[],
        }
    }
}

/// Opens a segment for reading and writing and maps its bytes for the scan.
fn open_segment(path: &Path) -> Result<(std::fs::File, SegmentBytes)> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, "open segment", e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io(path, "stat segment", e))?
        .len();
    if len == 0 {
        return Ok((file, SegmentBytes::Empty));
    }
    // The map is dropped at the end of this segment's scan, before this process changes the
    // file (the tail cut happens after the scan); the directory lock keeps other writers out.
    let map = sextant_mmap_advice::MmapFile::open(path).map_err(|e| match e {
        sextant_mmap_advice::Error::Io { source, .. } => Error::io(path, "map segment", source),
        other => Error::io(path, "map segment", std::io::Error::other(other)),
    })?;
    Ok((file, SegmentBytes::Mapped(map)))
}

/// Segment files of `dir`, sorted by first index; leftover `.wal.tmp` files (a creation that
/// never completed) are removed.
fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "list directory", e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(dir, "list directory", e))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".wal.tmp") {
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(&path, "remove unfinished segment", e))?;
        } else if let Some(first) = parse_segment_file_name(name) {
            found.push((first, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Loads the segments of `dir` (creating the first one for an empty log). The last segment is
/// open for appends; everything returned is synced to disk.
pub(crate) fn recover(
    dir: &Path,
    options: &WalConfig,
    new_seed: &mut dyn FnMut(u64) -> u32,
) -> Result<(Vec<Segment>, RecoveryReport)> {
    let files = list_segments(dir)?;
    let mut report = RecoveryReport {
        segments: files.len(),
        ..Default::default()
    };
    let mut segments: Vec<Segment> = Vec::new();
    for (k, (first, path)) in files.iter().enumerate() {
        let is_last = k + 1 == files.len();
        let later = files.len() - k - 1;
        let (file, bytes) = open_segment(path)?;
        let corrupt = |offset: u64, what: String| Error::Corrupt {
            segment: path.clone(),
            offset,
            what,
        };
        let expected_first = segments.last().map_or(*first, |s: &Segment| s.next_index());
        let scan = match scan_segment(&bytes) {
            Ok(s) if s.header.first_index == *first && s.header.first_index == expected_first => s,
            unusable => {
                let (offset, what) = match unusable {
                    Ok(s) => (
                        16,
                        format!(
                            "segment starts at index {} but its name says {first} and the log continues at {expected_first}",
                            s.header.first_index
                        ),
                    ),
                    Err(what) => (0, what),
                };
                // Without a readable first segment there is nothing to keep.
                if options.recovery == Recovery::Strict || segments.is_empty() {
                    return Err(corrupt(offset, what));
                }
                // Without its header the segment's entries are known only by the next name.
                let this = files
                    .get(k + 1)
                    .map_or(0, |(next, _)| next.saturating_sub(*first));
                let entries = this + count_entries(&files[k + 1..]);
                remove_from(&files[k..], dir)?;
                let reason = DropReason::Corruption(what);
                report.dropped = Some(dropped(path, 0, bytes.len() as u64, entries, later, reason));
                break;
            }
        };
        let capacity = match scan.layout {
            Layout::V2 => scan.header.capacity,
            Layout::V1 => (bytes.len() as u64).max(options.segment_size),
        };
        let sealed = matches!(scan.end, End::Sealed { .. });
        let mut segment = Segment::from_scan(path.clone(), file, &scan, capacity, sealed);
        let cut = match (&scan.end, is_last) {
            (End::Sealed { .. }, _) | (End::Clean, true) => None,
            (
                End::Torn {
                    dropped_bytes,
                    dropped_entries,
                },
                true,
            ) => Some((*dropped_bytes, *dropped_entries, DropReason::TornWrite)),
            (
                End::Torn {
                    dropped_bytes,
                    dropped_entries,
                },
                false,
            ) => {
                let what = "a sealed-segment position holds a damaged record".to_string();
                if options.recovery == Recovery::Strict {
                    return Err(corrupt(scan.end_offset as u64, what));
                }
                Some((
                    *dropped_bytes,
                    *dropped_entries,
                    DropReason::Corruption(what),
                ))
            }
            (End::Clean, false) => {
                let what = "segment ends without a seal although later segments exist".to_string();
                if options.recovery == Recovery::Strict {
                    return Err(corrupt(scan.end_offset as u64, what));
                }
                Some((0, 0, DropReason::Corruption(what)))
            }
            (
                End::Corrupt {
                    what,
                    dropped_entries,
                },
                _,
            ) => {
                if options.recovery == Recovery::Strict {
                    return Err(corrupt(scan.end_offset as u64, what.clone()));
                }
                let bytes_after = (bytes.len() - scan.end_offset) as u64;
                Some((
                    bytes_after,
                    *dropped_entries,
                    DropReason::Corruption(what.clone()),
                ))
            }
        };
        // Unmap before the file is cut (see `open_segment`).
        drop(bytes);
        if let Some((bytes, entries, reason)) = cut {
            segment.truncate(segment.entries.len())?;
            // The next segment's name says exactly where this one ended; the scan's count is
            // what the bytes show.
            let here = files.get(k + 1).map_or(entries, |(next, _)| {
                next.saturating_sub(segment.next_index())
            });
            let entries = here + count_entries(&files[k + 1..]);
            if later > 0 {
                remove_from(&files[k + 1..], dir)?;
            }
            log::warn!(
                "sextant-wal: {}: dropped {entries} record(s), {bytes} bytes at offset {} ({reason:?}); {later} later segment(s) removed",
                path.display(),
                segment.write_pos,
            );
            report.dropped = Some(dropped(
                path,
                segment.write_pos,
                bytes,
                entries,
                later,
                reason,
            ));
            segments.push(segment);
            break;
        }
        segments.push(segment);
    }
    let next = segments
        .last()
        .map_or(options.first_index, Segment::next_index);
    match segments.last() {
        Some(last) if !last.sealed => {
            // What the last process wrote may still be only in the page cache: make it durable
            // before anything new is written after it.
            last.file
                .sync_data()
                .map_err(|e| Error::io(&last.path, "sync segment", e))?;
        }
        _ => segments.push(Segment::create(
            dir,
            next,
            new_seed(next),
            options.segment_size,
        )?),
    }
    report.entries = segments.iter().map(|s| s.entries.len() as u64).sum();
    Ok((segments, report))
}

fn dropped(
    path: &Path,
    offset: u64,
    bytes: u64,
    entries: u64,
    later: usize,
    reason: DropReason,
) -> Dropped {
    Dropped {
        segment: path.into(),
        offset,
        bytes,
        entries,
        later_segments: later,
        reason,
    }
}

/// Entries in the (later) segment files `files`, as far as they scan intact.
fn count_entries(files: &[(u64, PathBuf)]) -> u64 {
    files
        .iter()
        .filter_map(|(_, path)| {
            let (_, bytes) = open_segment(path).ok()?;
            Some(scan_segment(&bytes).ok()?.entries.len() as u64)
        })
        .sum()
}

fn remove_from(files: &[(u64, PathBuf)], dir: &Path) -> Result<()> {
    for (_, path) in files {
        std::fs::remove_file(path).map_err(|e| Error::io(path, "remove segment", e))?;
    }
    sync_dir(dir)
}
