//! The router in-process, without a socket: Qdrant's envelopes, a create / upsert / query
//! round trip, errors with their statuses, the body limit and the API keys.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sextant_server::{AppState, ServerConfig, router};
use tower::ServiceExt;

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(k) = key {
        req = req.header("api-key", k);
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    let res = app
        .clone()
        .oneshot(req.body(body).expect("a request"))
        .await
        .expect("an answer");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("a body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn app(dir: &std::path::Path, tune: impl FnOnce(&mut ServerConfig)) -> axum::Router {
    let mut config = ServerConfig::new(dir);
    tune(&mut config);
    router(AppState::open(config).expect("open"))
}

#[tokio::test]
async fn a_round_trip_in_qdrant_envelopes() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), |_| {});
    let create = json!({"vectors": {"size": 2, "distance": "Dot"}});
    let (s, body) = call(&app, "PUT", "/collections/c", Some(create), None).await;
    assert_eq!(
        (s, &body["result"], &body["status"]),
        (StatusCode::OK, &json!(true), &json!("ok"))
    );
    assert!(body["time"].is_number());
    let points = json!({"points": [{"id": 1, "vector": [1.0, 0.0], "payload": {"a": 1}},
                                   {"id": 2, "vector": [0.0, 1.0]}]});
    let (s, body) = call(
        &app,
        "PUT",
        "/collections/c/points?wait=true",
        Some(points),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["result"]["status"], "completed");
    let q = json!({"query": [0.9, 0.1], "limit": 1, "with_payload": true});
    let (_, body) = call(&app, "POST", "/collections/c/points/query", Some(q), None).await;
    assert_eq!(body["result"]["points"][0]["id"], 1);
    assert_eq!(body["result"]["points"][0]["payload"], json!({"a": 1}));
    let (_, body) = call(&app, "GET", "/collections/c", None, None).await;
    assert_eq!(body["result"]["points_count"], 2);
    assert_eq!(
        body["result"]["config"]["params"]["vectors"],
        json!({"size": 2, "distance": "Dot"})
    );
}

#[tokio::test]
async fn errors_carry_qdrant_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), |c| c.max_request_mib = 1);
    let (s, body) = call(
        &app,
        "POST",
        "/collections/none/points/count",
        Some(json!({})),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        body["status"]["error"],
        "Not found: Collection `none` doesn't exist!"
    );
    call(
        &app,
        "PUT",
        "/collections/c",
        Some(json!({"vectors": {"size": 2, "distance": "Dot"}})),
        None,
    )
    .await;
    let bad = Request::builder()
        .method("PUT")
        .uri("/collections/c/points")
        .body(Body::from("{\"points\": ["))
        .unwrap();
    let res = app.clone().oneshot(bad).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let big = json!({"points": (0..40_000).map(|i| json!({"id": i, "vector": [0.25, 0.5]})).collect::<Vec<_>>()});
    let (s, _) = call(&app, "PUT", "/collections/c/points", Some(big), None).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let wrong = json!({"points": [{"id": 1, "vector": [1.0, 2.0, 3.0]}]});
    let (s, body) = call(&app, "PUT", "/collections/c/points", Some(wrong), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body["status"]["error"]
            .as_str()
            .unwrap()
            .contains("Vector dimension error")
    );
    // Still serving.
    let (s, body) = call(
        &app,
        "POST",
        "/collections/c/points/count",
        Some(json!({})),
        None,
    )
    .await;
    assert_eq!((s, &body["result"]["count"]), (StatusCode::OK, &json!(0)));
}

#[tokio::test]
async fn api_keys() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), |c| {
        c.api_key = Some("k".into());
        c.read_only_api_key = Some("r".into());
    });
    assert_eq!(
        call(&app, "GET", "/collections", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, "GET", "/readyz", None, None).await.0,
        StatusCode::OK
    );
    let create = json!({"vectors": {"size": 2, "distance": "Dot"}});
    assert_eq!(
        call(
            &app,
            "PUT",
            "/collections/c",
            Some(create.clone()),
            Some("r")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, "PUT", "/collections/c", Some(create), Some("k"))
            .await
            .0,
        StatusCode::OK
    );
    let q = json!({"query": [1.0, 0.0]});
    assert_eq!(
        call(
            &app,
            "POST",
            "/collections/c/points/query",
            Some(q),
            Some("r")
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn collection_status_is_grey_while_points_wait_for_the_optimizer() {
    let dir = tempfile::tempdir().unwrap();
    // The router alone: no background optimizer runs, so waiting points stay waiting.
    let app = app(dir.path(), |_| {});
    for (name, threshold_kb) in [("small", 1), ("large", 10_000)] {
        let create = json!({"vectors": {"size": 2, "distance": "Dot"},
                            "optimizers_config": {"indexing_threshold": threshold_kb}});
        let path = format!("/collections/{name}");
        assert_eq!(
            call(&app, "PUT", &path, Some(create), None).await.0,
            StatusCode::OK
        );
        let points: Vec<Value> = (0..200)
            .map(|i| json!({"id": i, "vector": [i as f32, 1.0]}))
            .collect();
        let upsert = format!("/collections/{name}/points?wait=true");
        let (s, _) = call(&app, "PUT", &upsert, Some(json!({"points": points})), None).await;
        assert_eq!(s, StatusCode::OK);
    }
    // 1 KB of 2-float vectors is 128 points: 200 wait. 10,000 KB is far above 200.
    let (_, small) = call(&app, "GET", "/collections/small", None, None).await;
    assert_eq!(small["result"]["status"], json!("grey"));
    let (_, large) = call(&app, "GET", "/collections/large", None, None).await;
    assert_eq!(large["result"]["status"], json!("green"));
}
