//! `sextant-bench server`: the REST layer's cost. The server's router runs in this process on
//! a loopback port; clients are plain HTTP/1.1 keep-alive connections (one thread each, bodies
//! serialized before the clock starts). Measured: upsert throughput through
//! `PUT /collections/{name}/points` in batches of `--batch` points (one client), then, after an
//! optimize, the same queries answered by `Shard::query` in-process and by
//! `POST /collections/{name}/points/query` with 1 client and with `--clients` clients.
//! Records: `{"kind": "upsert", "points_per_s"}`, `{"kind": "query", "variant": "in-process" |
//! "rest", "clients", "qps", "p50_us", "p99_us"}`, the overhead per request, and its parts:
//! a bare REST round trip (`count`), a query by id, the same query answered by another thread
//! through a channel (waiting for it blocked, or spinning first as the server's connection
//! threads do), the floor of any server reached over loopback TCP (the same bytes
//! echoed by a thread of this process: no HTTP, no JSON, no work), and the floor of axum
//! served by tokio's tasks (a constant answer; the server serves so only the connections
//! beyond its `--connection-threads`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};
use sextant_datasets::Dataset;
use sextant_shard::QueryRequest;

use crate::report::{Report, Table, dataset_header};
use crate::stats::PassStats;

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Dense dataset folder (minilm-pypi-*).
    #[arg(long)]
    dataset: PathBuf,
    /// Queries (each run once per pass).
    #[arg(long, default_value_t = 1000)]
    max_queries: usize,
    /// The graph search's list size.
    #[arg(long, default_value_t = 64)]
    ef: usize,
    /// Points per upsert request (qdrant-client's upload batch is 64).
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Concurrent clients of the multi-client pass.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Timed passes (the fastest is reported).
    #[arg(long, default_value_t = 3, value_parser = crate::query_args::at_least_one())]
    repeats: usize,
    /// Also write the records to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(port: u16) -> Result<Self, String> {
        let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        let writer = s.try_clone().map_err(|e| e.to_string())?;
        Ok(Self {
            reader: BufReader::new(s),
            writer,
        })
    }

    /// Sends a request and reads the answer's body; an answer other than 200 is an error.
    fn call(&mut self, method: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, String> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        // One write, as HTTP clients send a small request: two would let the server wake for
        // the head and again for the body.
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.writer.write_all(&request).map_err(|e| e.to_string())?;
        let mut status = String::new();
        self.reader
            .read_line(&mut status)
            .map_err(|e| e.to_string())?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().map_err(|_| "a bad content-length")?;
            }
        }
        let mut out = vec![0; length];
        self.reader
            .read_exact(&mut out)
            .map_err(|e| e.to_string())?;
        if !status.contains(" 200 ") {
            return Err(format!(
                "{}: {}",
                status.trim(),
                String::from_utf8_lossy(&out)
            ));
        }
        Ok(out)
    }
}

/// The floor of any server whose answers come from a thread other than the client's: the
/// queries answered by `Shard::query` on a second thread of this process, each handed over
/// and back through a channel (no socket, no HTTP, no JSON). The answering thread waits for
/// the next query blocked, or polling the channel for up to `spin` first (as the server's
/// connection threads poll their sockets). Round-trip latencies.
fn handoff_pass(
    shard: &sextant_shard::Shard,
    requests: &[QueryRequest],
    spin: Duration,
) -> Result<Vec<Duration>, String> {
    let (ask, asked) = std::sync::mpsc::channel::<&QueryRequest>();
    let (answer, answered) = std::sync::mpsc::channel::<Result<(), String>>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let next = || {
                let t = Instant::now();
                while t.elapsed() < spin {
                    match asked.try_recv() {
                        Ok(r) => return Some(r),
                        Err(std::sync::mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
                    }
                }
                asked.recv().ok()
            };
            while let Some(r) = next() {
                let done = shard.query(r).map(drop).map_err(|e| e.to_string());
                if answer.send(done).is_err() {
                    break;
                }
            }
        });
        let mut lat = Vec::with_capacity(requests.len());
        for r in requests {
            let t = Instant::now();
            ask.send(r).map_err(|e| e.to_string())?;
            answered.recv().map_err(|e| e.to_string())??;
            lat.push(t.elapsed());
        }
        drop(ask);
        Ok(lat)
    })
}

/// Reads `buf.len()` bytes, polling the socket for up to `spin` first (as the server's
/// connection threads wait for a request), then blocking.
fn read_spinning(c: &mut TcpStream, buf: &mut [u8], spin: Duration) -> std::io::Result<()> {
    let mut at = 0;
    if !spin.is_zero() {
        c.set_nonblocking(true)?;
        let t = Instant::now();
        while at < buf.len() && t.elapsed() < spin {
            match c.read(&mut buf[at..]) {
                Ok(0) => break,
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::hint::spin_loop(),
                Err(e) => return Err(e),
            }
        }
        c.set_nonblocking(false)?;
    }
    c.read_exact(&mut buf[at..])
}

/// The floor of any server reached over loopback TCP: a thread that reads `asked` bytes,
/// runs `work(i)` and writes `answer` bytes back, `n` times over one connection
/// (`TCP_NODELAY`, one write each way, as the REST pass), with no HTTP and no JSON; it waits
/// for each request as `read_spinning` with `spin`. Round-trip latencies.
fn socket_pass(
    asked: usize,
    answer: usize,
    n: usize,
    spin: Duration,
    work: &(dyn Fn(usize) -> Result<(), String> + Sync),
) -> Result<Vec<Duration>, String> {
    let err = |e: std::io::Error| e.to_string();
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(err)?;
    let port = listener.local_addr().map_err(err)?.port();
    std::thread::scope(|s| {
        let echo = s.spawn(move || -> Result<(), String> {
            let (mut c, _) = listener.accept().map_err(err)?;
            c.set_nodelay(true).map_err(err)?;
            let (mut got, out) = (vec![0; asked], vec![b'a'; answer]);
            for i in 0..n {
                read_spinning(&mut c, &mut got, spin).map_err(err)?;
                work(i)?;
                c.write_all(&out).map_err(err)?;
            }
            Ok(())
        });
        let mut c = TcpStream::connect(("127.0.0.1", port)).map_err(err)?;
        c.set_nodelay(true).map_err(err)?;
        let (ask, mut back) = (vec![b'q'; asked], vec![0; answer]);
        let mut lat = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            c.write_all(&ask).map_err(err)?;
            c.read_exact(&mut back).map_err(err)?;
            lat.push(t.elapsed());
        }
        echo.join().map_err(|_| "the echo thread panicked")??;
        Ok(lat)
    })
}

/// The floor of an axum server served by tokio's tasks on this machine: `bodies` posted to a
/// router whose one handler returns a constant `count` answer, served by `axum::serve` on a
/// tokio multi-thread runtime (the server's path beyond its connection threads), one client.
/// Round-trip latencies.
fn framework_pass(bodies: &[Vec<u8>]) -> Result<Vec<Duration>, String> {
    let err = |e: std::io::Error| e.to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(err)?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(err)?;
    let port = listener.local_addr().map_err(err)?.port();
    let path = "/collections/bench/points/count";
    let answer = r#"{"result":{"count":20000},"status":"ok","time":0.000001}"#;
    let router =
        axum::Router::new().route(path, axum::routing::post(move || async move { answer }));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        runtime.block_on(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        })
    });
    let lat = rest_pass(port, path, bodies, 1).map(|(lat, _)| lat);
    let _ = stop.send(());
    server
        .join()
        .map_err(|_| "the framework server panicked")?
        .map_err(err)?;
    lat
}

/// The statistics of a pass's latencies (an error for an empty pass).
fn stats(lat: &[Duration]) -> Result<PassStats, &'static str> {
    PassStats::from_latencies(lat).ok_or("no queries")
}

/// Latencies of `bodies` sent over `clients` connections (each client takes every
/// `clients`-th body), and the wall time of the pass.
fn rest_pass(
    port: u16,
    path: &str,
    bodies: &[Vec<u8>],
    clients: usize,
) -> Result<(Vec<Duration>, Duration), String> {
    let started = Instant::now();
    let results: Vec<Result<Vec<Duration>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                s.spawn(move || {
                    let mut conn = Conn::open(port)?;
                    let mut lat = Vec::new();
                    for body in bodies.iter().skip(c).step_by(clients) {
                        let t = Instant::now();
                        conn.call("POST", path, body)?;
                        lat.push(t.elapsed());
                    }
                    Ok(lat)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a client thread"))
            .collect()
    });
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    Ok((all, started.elapsed()))
}

pub fn run(args: ServerArgs) -> Result<(), String> {
    crate::query_args::check_json(args.json.as_deref())?;
    let ds = Dataset::open(&args.dataset).map_err(|e| e.to_string())?;
    let (base, queries) = (ds.base(), ds.queries());
    let n_q = queries.len().min(args.max_queries);
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut config = sextant_server::ServerConfig::new(tmp.path());
    config.port = 0;
    let server = sextant_server::start(config).map_err(|e| e.to_string())?;
    let (app, port) = (server.app.clone(), server.port);
    let mut conn = Conn::open(port)?;
    // sq8d codes (Qdrant's scalar int8), rescored: the server's translation of this body.
    let create = json!({"vectors": {"size": base.dim(), "distance": "Cosine"},
                        "quantization_config": {"scalar": {"type": "int8"}},
                        "optimizers_config": {"indexing_threshold": 0}});
    conn.call("PUT", "/collections/bench", create.to_string().as_bytes())?;
    let bodies: Vec<Vec<u8>> = (0..base.len())
        .collect::<Vec<_>>()
        .chunks(args.batch)
        .map(|ids| {
            let points: Vec<Value> = ids
                .iter()
                .map(|&i| json!({"id": i, "vector": base.row(i), "payload": {"i": i}}))
                .collect();
            json!({"points": points}).to_string().into_bytes()
        })
        .collect();
    let started = Instant::now();
    for b in &bodies {
        conn.call("PUT", "/collections/bench/points?wait=true", b)?;
    }
    let upsert_s = started.elapsed().as_secs_f64();
    let collection = app.collections.get("bench").map_err(|e| e.to_string())?;
    collection.shard.optimize().map_err(|e| e.to_string())?;
    let query_bodies: Vec<Value> = (0..n_q)
        .map(|i| json!({"query": queries.row(i), "limit": 10, "with_payload": true, "params": {"hnsw_ef": args.ef}}))
        .collect();
    let requests: Vec<QueryRequest> = query_bodies
        .iter()
        .map(QueryRequest::from_json)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let rest_bodies: Vec<Vec<u8>> = query_bodies
        .iter()
        .map(|b| b.to_string().into_bytes())
        .collect();
    let path = "/collections/bench/points/query";
    // One warm-up pass of each.
    for r in &requests {
        collection.shard.query(r).map_err(|e| e.to_string())?;
    }
    rest_pass(port, path, &rest_bodies, 1)?;
    // The bytes a REST query moves each way: the body with its head (~110 bytes each way as
    // sent and answered here), and one answer.
    const HEAD: usize = 110;
    let asked = rest_bodies.iter().map(Vec::len).sum::<usize>() / n_q.max(1) + HEAD;
    let answer = conn.call("POST", path, &rest_bodies[0])?.len() + HEAD;
    // What the overhead is made of: an HTTP round trip to a handler doing nearly nothing
    // (`count` without a filter) and a query whose body is small (by point id).
    let count_bodies = vec![b"{}".to_vec(); n_q];
    let by_id: Vec<Vec<u8>> = (0..n_q)
        .map(|i| json!({"query": i * 7, "limit": 10, "with_payload": true, "params": {"hnsw_ef": args.ef}}).to_string().into_bytes())
        .collect();
    let by_id_req: Vec<QueryRequest> = by_id
        .iter()
        .map(|b| QueryRequest::from_json(&serde_json::from_slice(b).expect("JSON")))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut parts = Vec::new();
    for (name, path, bodies) in [
        (
            "rest count (empty filter)",
            "/collections/bench/points/count",
            &count_bodies,
        ),
        ("rest query by id", path, &by_id),
    ] {
        let (lat, _) = rest_pass(port, path, bodies, 1)?;
        parts.push((name, stats(&lat)?));
    }
    let handoff = stats(&handoff_pass(&collection.shard, &requests, Duration::ZERO)?)?;
    // The server's connection threads spin this long for the next request (`--spin-us`).
    let spin = Duration::from_micros(sextant_server::ServerConfig::new("").spin_us);
    let handoff_spin = stats(&handoff_pass(&collection.shard, &requests, spin)?)?;
    let query = |i: usize| {
        let r = collection.shard.query(&requests[i]);
        r.map(drop).map_err(|e| e.to_string())
    };
    let socket_work = stats(&socket_pass(asked, answer, n_q, spin, &query)?)?;
    let socket = stats(&socket_pass(asked, answer, n_q, Duration::ZERO, &|_| {
        Ok(())
    })?)?;
    let framework = stats(&framework_pass(&count_bodies)?)?;
    parts.push((
        "HTTP round trip to a constant answer, axum as tokio tasks (framework floor)",
        framework,
    ));
    parts.push((
        "TCP round trip of the same bytes, no HTTP and no work (socket floor)",
        socket,
    ));
    parts.push((
        "TCP round trip of the same bytes, the in-process query run between, spinning as the server (socket floor of a query)",
        socket_work,
    ));
    parts.push((
        "in-process query answered by another thread (channel round trip)",
        handoff,
    ));
    parts.push((
        "in-process query answered by another thread spinning for it (channel round trip)",
        handoff_spin,
    ));
    let mut lat = Vec::new();
    for r in &by_id_req {
        let q = Instant::now();
        collection.shard.query(r).map_err(|e| e.to_string())?;
        lat.push(q.elapsed());
    }
    parts.push(("in-process query by id", stats(&lat)?));

    for (name, s) in &parts {
        println!("{name}: mean {:.1} µs, p50 {:.1} µs", s.mean_us, s.p50_us);
    }
    let parts_records: Vec<Value> = parts
        .iter()
        .map(|(name, s)| json!({"lib": "sextant-server", "kind": "part", "what": name, "mean_us": s.mean_us, "p50_us": s.p50_us, "p99_us": s.p99_us}))
        .collect();
    let mut best: [Option<(PassStats, f64)>; 3] = [None, None, None];
    for _ in 0..args.repeats {
        let mut lat = Vec::with_capacity(n_q);
        let t = Instant::now();
        for r in &requests {
            let q = Instant::now();
            collection.shard.query(r).map_err(|e| e.to_string())?;
            lat.push(q.elapsed());
        }
        let passes = [
            (lat, t.elapsed()),
            rest_pass(port, path, &rest_bodies, 1)?,
            rest_pass(port, path, &rest_bodies, args.clients)?,
        ];
        for (slot, (lat, wall)) in best.iter_mut().zip(passes) {
            let pass = stats(&lat)?;
            let qps = lat.len() as f64 / wall.as_secs_f64();
            if slot.is_none_or(|(_, q)| qps > q) {
                *slot = Some((pass, qps));
            }
        }
    }
    let mut report = Report::new(
        dataset_header(&ds, n_q),
        json!({"ef": args.ef, "batch": args.batch, "clients": args.clients, "repeats": args.repeats,
               "codec": "sq8d (Qdrant scalar int8)", "with_payload": true}),
    );
    let points_per_s = base.len() as f64 / upsert_s;
    parts_records.into_iter().for_each(|r| report.push(r));
    report.push(
        json!({"lib": "sextant-server", "kind": "upsert", "batch": args.batch, "clients": 1,
                       "points_per_s": points_per_s}),
    );
    let mut table = Table::new(&["variant", "clients", "QPS", "p50 µs", "p99 µs"]);
    let names = [("in-process", 1), ("rest", 1), ("rest", args.clients)];
    for ((variant, clients), b) in names.iter().zip(&best) {
        let (s, qps) = b.expect("every pass ran");
        table.row(vec![
            variant.to_string(),
            clients.to_string(),
            format!("{qps:.0}"),
            format!("{:.1}", s.p50_us),
            format!("{:.1}", s.p99_us),
        ]);
        report.push(
            json!({"lib": "sextant-server", "kind": "query", "variant": variant,
                           "clients": clients, "qps": qps, "p50_us": s.p50_us, "p99_us": s.p99_us,
                           "mean_us": s.mean_us}),
        );
    }
    let (inproc, rest) = (best[0].expect("ran").0, best[1].expect("ran").0);
    let overhead = rest.mean_us - inproc.mean_us;
    let budget = 1.5 * inproc.mean_us + 30.0;
    report.push(json!({"lib": "sextant-server", "kind": "overhead", "in_process_mean_us": inproc.mean_us,
                       "rest_mean_us": rest.mean_us, "overhead_us": overhead, "ratio": rest.mean_us / inproc.mean_us,
                       "goal_us": budget, "thread_handoff_mean_us": handoff.mean_us,
                       "spinning_thread_handoff_mean_us": handoff_spin.mean_us,
                       "socket_round_trip_mean_us": socket.mean_us,
                       "socket_query_round_trip_mean_us": socket_work.mean_us,
                       "framework_round_trip_mean_us": framework.mean_us}));
    println!(
        "upsert through REST, batches of {}: {points_per_s:.0} points/s",
        args.batch
    );
    println!("{}", table.render());
    println!(
        "REST query mean {:.1} µs vs in-process {:.1} µs: overhead {overhead:.1} µs, ratio {:.2} (goal: ≤ 1.5x + 30 µs = {budget:.1} µs; the same query handed to another thread and back: {:.1} µs, to a spinning one: {:.1} µs)",
        rest.mean_us,
        inproc.mean_us,
        rest.mean_us / inproc.mean_us,
        handoff.mean_us,
        handoff_spin.mean_us
    );
    println!(
        "floors of a REST query on this host: the query answered over the socket, no HTTP or JSON: {:.1} µs; the socket round trip {:.1} µs + the in-process query {:.1} µs = {:.1} µs; with an axum round trip to a constant answer ({:.1} µs) instead: {:.1} µs (goal {budget:.1} µs)",
        socket_work.mean_us,
        socket.mean_us,
        inproc.mean_us,
        socket.mean_us + inproc.mean_us,
        framework.mean_us,
        framework.mean_us + inproc.mean_us,
    );
    println!("load average at the end: {:?}", crate::host::loadavg());
    if let Some(p) = &args.json {
        report.write(p)?;
        println!("wrote {}", p.display());
    }
    Ok(())
}
