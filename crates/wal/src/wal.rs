//! `Wal`: appends under the three durability policies, reads, prefix and tail truncation.

use crate::config::{Durability, WalConfig};
use crate::error::{Error, Result};
use crate::group::{self, Batch};
use crate::iter::WalIter;
use crate::recovery::{RecoveryReport, recover};
use crate::scan::max_entry_len;
use crate::segment::{Segment, sync_dir};
use sextant_mmap_advice::DirLock;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// A segmented write-ahead log of opaque byte entries with dense, increasing u64 indexes.
///
/// `Wal` is `Sync`: share it (`Arc<Wal>`) between appending threads. See the crate docs for the
/// durability policies and the on-disk format.
#[derive(Debug)]
pub struct Wal {
    shared: Arc<Shared>,
    flusher: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    dir: PathBuf,
    options: WalConfig,
    pub(crate) state: Mutex<State>,
    pub(crate) sync: Mutex<SyncState>,
    synced: Condvar,
    report: RecoveryReport,
    /// `next_index` as of the last append, readable without the state lock (group commit
    /// watches it to see whether a batch is still growing).
    pub(crate) appended: AtomicU64,
    /// `SyncState::durable_next`, readable without the sync lock: each record written carries
    /// how far behind it the synced entries were (the format's `lag`).
    durable: AtomicU64,
    _lock: DirLock,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) segments: Vec<Segment>,
    /// Files written since their last sync.
    pub(crate) dirty: Vec<Arc<File>>,
    /// Encoded entries of the last segment not yet written to the file (group commit batches
    /// them into one write); they start at offset `staged_at`.
    staged: Vec<u8>,
    staged_at: u64,
    /// Group commit: the batch being gathered.
    pub(crate) batch: Batch,
}

#[derive(Debug)]
pub(crate) struct SyncState {
    /// Every index below this is durable.
    pub(crate) durable_next: u64,
    /// A thread is running fdatasync for the group.
    syncing: bool,
    /// Set for good by a failed sync (see `Error::Poisoned`).
    pub(crate) failed: Option<String>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave a half-written entry visible (entries become
    // visible only once fully written and indexed), so the state is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The WAL directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the staged entries to the file. A failed write poisons the WAL: the entries are
    /// already indexed and acknowledged order depends on them.
    pub(crate) fn write_staged(&self, st: &mut State) -> Result<()> {
        if st.staged.is_empty() {
            return Ok(());
        }
        let last = st.segments.last().expect("a segment");
        if let Err(e) = last.write_staged(&st.staged, st.staged_at) {
            return Err(self.poison(e));
        }
        st.staged.clear();
        Ok(())
    }

    /// Records that every index below `upto` is durable.
    pub(crate) fn mark_durable(&self, s: &mut SyncState, upto: u64) {
        s.durable_next = s.durable_next.max(upto);
        self.durable.fetch_max(upto, Ordering::Release);
    }

    /// Records a failure for good and returns the error.
    fn poison(&self, err: Error) -> Error {
        let mut s = lock(&self.sync);
        s.failed.get_or_insert_with(|| err.to_string());
        self.synced.notify_all();
        err
    }
}

impl State {
    pub(crate) fn first_index(&self) -> u64 {
        self.segments.first().map_or(0, |s| s.first_index)
    }

    pub(crate) fn next_index(&self) -> u64 {
        self.segments.last().map_or(0, Segment::next_index)
    }

    /// The segment holding `index`, if any.
    pub(crate) fn locate(&self, index: u64) -> Option<&Segment> {
        let k = self
            .segments
            .partition_point(|s| s.first_index <= index)
            .checked_sub(1)?;
        let s = &self.segments[k];
        (index < s.next_index()).then_some(s)
    }

    /// Stages entries that fit in the last segment; entries below `durable` are synced.
    fn stage(&mut self, bodies: &[&[u8]], durable: u64) {
        let State {
            segments,
            staged,
            staged_at,
            ..
        } = self;
        let seg = segments.last_mut().expect("a WAL always has a segment");
        if staged.is_empty() {
            *staged_at = seg.write_pos;
        }
        seg.stage(bodies, durable, staged);
    }

    fn mark_dirty(&mut self) {
        let file = &self
            .segments
            .last()
            .expect("a WAL always has a segment")
            .file;
        if !self.dirty.last().is_some_and(|f| Arc::ptr_eq(f, file)) {
            self.dirty.push(file.clone());
        }
    }
}

impl Wal {
    /// Opens (or creates) the WAL in `dir`, recovering what is on disk: a torn final write is
    /// cut off and reported; damaged complete entries are an error unless
    /// [`Recovery::TruncateAtCorruption`](crate::Recovery) is set. Fails with
    /// [`Error::Locked`] when another handle has the directory open.
    pub fn open(dir: impl AsRef<Path>, options: WalConfig) -> Result<Wal> {
        let dir = dir.as_ref().to_path_buf();
        options.validate().map_err(Error::InvalidOptions)?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create directory", e))?;
        let dir_lock = crate::lock::acquire(&dir)?;
        let fixed = options.fixed_seed;
        let (segments, report) = recover(&dir, &options, &mut |first| segment_seed(fixed, first))?;
        let next = segments.last().map_or(0, Segment::next_index);
        let shared = Arc::new(Shared {
            dir,
            state: Mutex::new(State {
                segments,
                dirty: Vec::new(),
                staged: Vec::new(),
                staged_at: 0,
                batch: Batch::default(),
            }),
            sync: Mutex::new(SyncState {
                durable_next: next,
                syncing: false,
                failed: None,
            }),
            synced: Condvar::new(),
            report,
            appended: AtomicU64::new(next),
            durable: AtomicU64::new(next),
            options,
            _lock: dir_lock,
        });
        let flusher = match shared.options.durability {
            Durability::Async { interval } => Some(spawn_flusher(&shared, interval)),
            _ => None,
        };
        Ok(Wal { shared, flusher })
    }

    /// What recovery found when the log was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.shared.report
    }

    /// The directory of the log.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Index of the first entry still held (prefix truncation drops whole segments, so this
    /// can be below the last `ack`).
    pub fn first_index(&self) -> u64 {
        lock(&self.shared.state).first_index()
    }

    /// Index the next append gets.
    pub fn next_index(&self) -> u64 {
        lock(&self.shared.state).next_index()
    }

    /// Index of the last entry, `None` when the log is empty.
    pub fn last_index(&self) -> Option<u64> {
        let st = lock(&self.shared.state);
        (st.next_index() > st.first_index()).then(|| st.next_index() - 1)
    }

    /// Appends one entry and returns its index, once it is as durable as the policy promises.
    pub fn append(&self, entry: &[u8]) -> Result<u64> {
        self.append_batch(&[entry]).map(|r| r.start)
    }

    /// Appends entries with consecutive indexes (returned as a range), written with as few
    /// writes and syncs as possible.
    pub fn append_batch(&self, entries: &[&[u8]]) -> Result<Range<u64>> {
        let sh = &self.shared;
        if let Some(why) = &lock(&sh.sync).failed {
            return Err(Error::Poisoned(why.clone()));
        }
        let max = max_entry_len(sh.options.segment_size);
        if let Some(e) = entries.iter().find(|e| e.len() > max) {
            return Err(Error::EntryTooLarge { len: e.len(), max });
        }
        let mut st = lock(&sh.state);
        let start = st.next_index();
        let mut rest = entries;
        while !rest.is_empty() {
            if !st.segments.last().expect("a segment").fits(rest[0].len()) {
                self.roll_over(&mut st)?;
            }
            let last = st.segments.last().expect("a segment");
            let (mut pos, mut n) = (last.write_pos, 0);
            while n < rest.len() && last.fits_at(pos, rest[n].len()) {
                pos += (crate::format::ENTRY_HEADER_LEN + rest[n].len()) as u64;
                n += 1;
            }
            st.stage(&rest[..n], sh.durable.load(Ordering::Acquire));
            rest = &rest[n..];
        }
        st.mark_dirty();
        let end = st.next_index();
        sh.appended.store(end, Ordering::Relaxed);
        match sh.options.durability {
            Durability::SyncEach => {
                sh.write_staged(&mut st)?;
                let last = st.segments.last().expect("a segment");
                if let Err(e) = last.file.sync_data() {
                    return Err(sh.poison(Error::io(&last.path, "fdatasync", e)));
                }
                st.dirty.clear();
                sh.mark_durable(&mut lock(&sh.sync), end);
            }
            // Written to the OS before returning: a crash of this process loses nothing.
            Durability::Async { .. } => sh.write_staged(&mut st)?,
            Durability::GroupCommit => group::join(sh, st)?,
        }
        Ok(start..end)
    }

    /// Seals the full segment (synced) and starts the next one. An empty version 1 segment
    /// is replaced instead (the new one takes its name).
    fn roll_over(&self, st: &mut State) -> Result<()> {
        let sh = &self.shared;
        sh.write_staged(st)?;
        let last = st.segments.last_mut().expect("a segment");
        let next = last.next_index();
        let replace = last.entries.is_empty();
        if !replace {
            if let Err(e) = last.seal(sh.durable.load(Ordering::Acquire)) {
                return Err(sh.poison(e));
            }
            // The seal's sync made everything before it durable.
            sh.mark_durable(&mut lock(&sh.sync), next);
        }
        let seed = segment_seed(sh.options.fixed_seed, next);
        let segment = Segment::create(&sh.dir, next, seed, sh.options.segment_size)?;
        if replace {
            st.segments.pop();
        }
        st.segments.push(segment);
        Ok(())
    }

    /// Makes every entry appended so far durable (fdatasync of every segment written since its
    /// last sync). Concurrent callers share one sync.
    pub fn sync(&self) -> Result<()> {
        let st = lock(&self.shared.state);
        if self.shared.options.durability == Durability::GroupCommit {
            // Group syncs are serialized through the batch; join it with no entries.
            return group::join(&self.shared, st);
        }
        let target = st.next_index();
        drop(st);
        self.wait_durable(target)
    }

    /// Returns once every index below `target` is durable, running the group's sync when no
    /// other thread is.
    fn wait_durable(&self, target: u64) -> Result<()> {
        let sh = &self.shared;
        let mut s = lock(&sh.sync);
        loop {
            if let Some(why) = &s.failed {
                return Err(Error::Poisoned(why.clone()));
            }
            if s.durable_next >= target {
                return Ok(());
            }
            if s.syncing {
                s = sh.synced.wait(s).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            s.syncing = true;
            drop(s);
            let taken = {
                let mut st = lock(&sh.state);
                sh.write_staged(&mut st)
                    .map(|()| (std::mem::take(&mut st.dirty), st.next_index()))
            };
            let (files, upto) = match taken {
                Ok(t) => t,
                Err(e) => {
                    s = lock(&sh.sync);
                    s.syncing = false;
                    sh.synced.notify_all();
                    return Err(e);
                }
            };
            let result = files.iter().try_for_each(|f| f.sync_data());
            s = lock(&sh.sync);
            s.syncing = false;
            match result {
                Ok(()) => sh.mark_durable(&mut s, upto),
                Err(e) => s.failed = Some(format!("{}: fdatasync: {e}", sh.dir.display())),
            }
            sh.synced.notify_all();
        }
    }

    /// The entry at `index`, checked against its checksum.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>> {
        let (source, meta) = {
            let mut st = lock(&self.shared.state);
            self.shared.write_staged(&mut st)?;
            let seg = st.locate(index).ok_or(Error::IndexOutOfRange {
                index,
                first: st.first_index(),
                next: st.next_index(),
            })?;
            (
                seg.source(),
                seg.entries[(index - seg.first_index) as usize],
            )
        };
        source.read(index, meta)
    }

    /// Iterates over `(index, entry)` from `from` to the last entry present now.
    pub fn iter_from(&self, from: u64) -> Result<WalIter> {
        let st = lock(&self.shared.state);
        let (first, next) = (st.first_index(), st.next_index());
        if from < first || from > next {
            return Err(Error::IndexOutOfRange {
                index: from,
                first,
                next,
            });
        }
        Ok(WalIter::new(self.shared.clone(), from, next))
    }

    /// Drops the entries from `from` on (rollback). The dropped bytes are removed from disk and
    /// the change is synced before this returns; the next append gets index `from`.
    pub fn truncate(&self, from: u64) -> Result<()> {
        let sh = &self.shared;
        let mut st = lock(&sh.state);
        sh.write_staged(&mut st)?;
        let (first, next) = (st.first_index(), st.next_index());
        if from >= next {
            return Ok(());
        }
        if from < first {
            return Err(Error::IndexOutOfRange {
                index: from,
                first,
                next,
            });
        }
        let k = st.segments.partition_point(|s| s.first_index <= from) - 1;
        let later: Vec<Segment> = st.segments.drain(k + 1..).collect();
        for seg in &later {
            std::fs::remove_file(&seg.path)
                .map_err(|e| Error::io(&seg.path, "remove segment", e))?;
        }
        if !later.is_empty() {
            sync_dir(&sh.dir)?;
        }
        let seg = &mut st.segments[k];
        let keep = (from - seg.first_index) as usize;
        seg.truncate(keep)?;
        st.dirty.clear();
        let mut s = lock(&sh.sync);
        s.durable_next = s.durable_next.min(from);
        sh.durable.fetch_min(from, Ordering::Release);
        Ok(())
    }

    /// Acknowledges that entries up to and including `up_to` are no longer needed: every
    /// segment whose entries all lie at or below `up_to` is deleted (except the one being
    /// written). Returns the new first index.
    pub fn ack(&self, up_to: u64) -> Result<u64> {
        let sh = &self.shared;
        let mut st = lock(&sh.state);
        sh.write_staged(&mut st)?;
        let removable = st.segments[..st.segments.len() - 1]
            .iter()
            .take_while(|s| s.next_index() <= up_to.saturating_add(1))
            .count();
        if removable > 0 {
            for seg in st.segments.drain(..removable) {
                std::fs::remove_file(&seg.path)
                    .map_err(|e| Error::io(&seg.path, "remove segment", e))?;
            }
            sync_dir(&sh.dir)?;
        }
        Ok(st.first_index())
    }
}

/// The CRC seed of a new segment: random, unless a fixed seed is configured (golden tests).
fn segment_seed(fixed: Option<u32>, first_index: u64) -> u32 {
    match fixed {
        Some(s) => crc32c::crc32c_append(s, &first_index.to_le_bytes()),
        None => rand::random(),
    }
}

fn spawn_flusher(
    shared: &Arc<Shared>,
    interval: std::time::Duration,
) -> (Arc<AtomicBool>, JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (weak, flag) = (Arc::downgrade(shared), stop.clone());
    let handle = std::thread::Builder::new()
        .name("sextant-wal-flusher".into())
        .spawn(move || {
            while !flag.load(Ordering::Acquire) {
                std::thread::park_timeout(interval);
                let Some(shared) = weak.upgrade() else { break };
                let wal = Wal {
                    shared,
                    flusher: None,
                };
                if let Err(e) = wal.sync() {
                    log::error!("sextant-wal: background sync failed: {e}");
                }
            }
        })
        .expect("spawning the WAL flusher thread");
    (stop, handle)
}

impl Drop for Wal {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.flusher.take() {
            stop.store(true, Ordering::Release);
            handle.thread().unpark();
            let _ = handle.join();
            // What Async acknowledged is made durable on a clean close.
            if let Err(e) = self.sync() {
                log::error!("sextant-wal: final sync on close failed: {e}");
            }
        }
    }
}
