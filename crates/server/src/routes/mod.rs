//! Qdrant's REST paths, each a thin translation to a shard call: service (`/`, health,
//! metrics), collections (and payload indexes), point updates, point reads (and the older
//! search endpoints, rewritten as queries), snapshots.

mod collections;
mod legacy;
mod reads;
mod service;
mod snapshots;
mod updates;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

use crate::AppState;
use crate::error::{Error, Result};

/// Runs `f` (a shard call that may block on I/O) off the async threads: in place on a
/// connection's own thread, else on the runtime's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    if crate::front::on_connection_thread() {
        return f();
    }
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("a request's task failed: {e}")))?
}

/// Every route.
pub(crate) fn all() -> Router<AppState> {
    Router::new()
        .route("/", get(service::root))
        .route("/healthz", get(service::healthz))
        .route("/livez", get(service::healthz))
        .route("/readyz", get(service::readyz))
        .route("/metrics", get(service::metrics))
        .route("/aliases", get(collections::aliases))
        .route("/collections", get(collections::list))
        .route(
            "/collections/{name}",
            get(collections::info)
                .put(collections::create)
                .patch(collections::update)
                .delete(collections::drop),
        )
        .route("/collections/{name}/exists", get(collections::exists))
        .route(
            "/collections/{name}/aliases",
            get(collections::collection_aliases),
        )
        .route("/collections/aliases", post(collections::change_aliases))
        .route("/collections/{name}/index", put(collections::create_index))
        .route(
            "/collections/{name}/index/{field}",
            delete(collections::delete_index),
        )
        .route(
            "/collections/{name}/points",
            put(updates::upsert).post(reads::retrieve),
        )
        .route("/collections/{name}/points/{id}", get(reads::point))
        .route("/collections/{name}/points/delete", post(updates::delete))
        .route(
            "/collections/{name}/points/payload",
            post(updates::set_payload).put(updates::overwrite_payload),
        )
        .route(
            "/collections/{name}/points/payload/delete",
            post(updates::delete_payload),
        )
        .route(
            "/collections/{name}/points/payload/clear",
            post(updates::clear_payload),
        )
        .route(
            "/collections/{name}/points/vectors",
            put(updates::update_vectors),
        )
        .route(
            "/collections/{name}/points/vectors/delete",
            post(updates::delete_vectors),
        )
        .route("/collections/{name}/points/batch", post(updates::batch))
        .route("/collections/{name}/points/scroll", post(reads::scroll))
        .route("/collections/{name}/points/count", post(reads::count))
        .route("/collections/{name}/points/query", post(reads::query))
        .route(
            "/collections/{name}/points/query/batch",
            post(reads::query_batch),
        )
        .route(
            "/collections/{name}/points/query/groups",
            post(reads::query_groups),
        )
        .route("/collections/{name}/facet", post(reads::facet))
        .route("/collections/{name}/points/search", post(legacy::search))
        .route(
            "/collections/{name}/points/search/batch",
            post(legacy::search_batch),
        )
        .route(
            "/collections/{name}/points/search/groups",
            post(legacy::search_groups),
        )
        .route(
            "/collections/{name}/points/recommend",
            post(legacy::recommend),
        )
        .route(
            "/collections/{name}/points/recommend/batch",
            post(legacy::recommend_batch),
        )
        .route(
            "/collections/{name}/points/recommend/groups",
            post(legacy::recommend_groups),
        )
        .route(
            "/collections/{name}/points/discover",
            post(legacy::discover),
        )
        .route(
            "/collections/{name}/points/discover/batch",
            post(legacy::discover_batch),
        )
        .route(
            "/collections/{name}/points/search/matrix/pairs",
            post(reads::matrix_pairs),
        )
        .route(
            "/collections/{name}/points/search/matrix/offsets",
            post(reads::matrix_offsets),
        )
        .route(
            "/collections/{name}/snapshots",
            get(snapshots::list).post(snapshots::create),
        )
        .route(
            "/collections/{name}/snapshots/upload",
            post(snapshots::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/collections/{name}/snapshots/recover",
            put(snapshots::recover),
        )
        .route(
            "/collections/{name}/snapshots/{snapshot}",
            get(snapshots::download).delete(snapshots::delete),
        )
        .fallback(service::not_found)
}
