//! Group commit: appenders join the open batch and park; one of them (the leader) writes and
//! syncs the batch, then wakes exactly the threads of that batch and hands leadership to a
//! thread of the next batch.
//!
//! Why not one condvar for everybody: with 64 appenders on 2 cores, `notify_all` woke every
//! waiter after each sync, most of them only to go back to sleep, and the kernel time of those
//! wake-ups (not the disk) capped throughput at ~100k entries/s. Here each appender sleeps and
//! wakes once per append.

use crate::error::{Error, Result};
use crate::wal::{Shared, State, lock};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::Thread;

const WAITING: u8 = 0;
const DURABLE: u8 = 1;
const LEAD: u8 = 2;
const FAILED: u8 = 3;

/// One thread waiting for its entries to become durable.
#[derive(Debug)]
pub(crate) struct Waiter {
    thread: Thread,
    state: AtomicU8,
}

impl Waiter {
    fn set(&self, state: u8) {
        self.state.store(state, Ordering::Release);
        self.thread.unpark();
    }
}

/// The batch being gathered and whether a leader is at work.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    waiters: Vec<Arc<Waiter>>,
    leading: bool,
}

/// Joins the open batch (the caller holds the state lock and has staged its entries) and
/// returns once they are durable.
pub(crate) fn join(shared: &Shared, mut st: std::sync::MutexGuard<'_, State>) -> Result<()> {
    let me = Arc::new(Waiter {
        thread: std::thread::current(),
        state: AtomicU8::new(WAITING),
    });
    st.batch.waiters.push(me.clone());
    let lead = !st.batch.leading;
    st.batch.leading = true;
    drop(st);
    if lead {
        lead_batch(shared);
    }
    loop {
        match me.state.load(Ordering::Acquire) {
            DURABLE => return Ok(()),
            FAILED => {
                let why = lock(&shared.sync).failed.clone().unwrap_or_default();
                return Err(Error::Poisoned(why));
            }
            LEAD => {
                me.state.store(WAITING, Ordering::Release);
                lead_batch(shared);
            }
            _ => std::thread::park(),
        }
    }
}

/// Syncs the open batch, wakes its threads, and passes leadership on (or gives it up).
fn lead_batch(shared: &Shared) {
    gather(shared);
    let taken = {
        let mut st = lock(&shared.state);
        shared.write_staged(&mut st).map(|()| {
            (
                std::mem::take(&mut st.dirty),
                std::mem::take(&mut st.batch.waiters),
                st.next_index(),
            )
        })
    };
    let outcome = match taken {
        Ok((files, waiters, upto)) => {
            let synced = files.iter().try_for_each(|f| f.sync_data());
            let mut s = lock(&shared.sync);
            match synced {
                Ok(()) => shared.mark_durable(&mut s, upto),
                Err(e) => {
                    _ = s.failed.get_or_insert_with(|| {
                        format!("{}: fdatasync: {e}", shared.dir().display())
                    })
                }
            }
            let state = if s.failed.is_some() { FAILED } else { DURABLE };
            drop(s);
            waiters.iter().for_each(|w| w.set(state));
            state
        }
        Err(_) => FAILED,
    };
    let mut st = lock(&shared.state);
    if outcome == FAILED {
        // Nobody can be promised durability any more: wake everyone with the failure.
        std::mem::take(&mut st.batch.waiters)
            .iter()
            .for_each(|w| w.set(FAILED));
        st.batch.leading = false;
    } else if let Some(next) = st.batch.waiters.first() {
        next.set(LEAD);
    } else {
        st.batch.leading = false;
    }
}

/// Lets appenders that are already running add to the batch: yield while the log keeps growing
/// (at most `ROUNDS` times). With one appender this costs one yield.
fn gather(shared: &Shared) {
    const ROUNDS: usize = 64;
    let mut seen = shared.appended.load(Ordering::Relaxed);
    for _ in 0..ROUNDS {
        std::thread::yield_now();
        let now = shared.appended.load(Ordering::Relaxed);
        if now == seen {
            break;
        }
        seen = now;
    }
}
