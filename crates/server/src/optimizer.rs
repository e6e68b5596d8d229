//! The background optimizer: every interval, each collection holding at least its indexing
//! threshold of points the indexes do not answer for is optimized (one at a time per
//! collection, on a blocking thread), and collections with new operations are flushed.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::AppState;
use crate::collection_config::index_pending;

/// Runs until the process ends.
pub async fn run(app: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(
        app.config.optimizer_interval_ms.max(10),
    ));
    loop {
        tick.tick().await;
        for c in app.collections.all() {
            let create = c.create.read().unwrap_or_else(|e| e.into_inner()).clone();
            let pending = index_pending(&create, &c.shard.config(), &c.shard.info());
            if !pending || c.optimizing.swap(true, Ordering::AcqRel) {
                continue;
            }
            tokio::task::spawn_blocking(move || {
                match c.shard.optimize() {
                    Ok(v) => tracing::info!("optimized collection {} at version {v}", c.name),
                    Err(e) => tracing::error!("optimize of collection {}: {e}", c.name),
                }
                c.optimizing.store(false, Ordering::Release);
            });
        }
    }
}
