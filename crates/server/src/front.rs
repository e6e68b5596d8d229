//! The connection front: how accepted connections are served.
//!
//! Each connection gets a thread of its own (up to `--connection-threads` at once) that reads
//! its socket with blocking calls and runs hyper's HTTP/1.1 and the router on that same thread
//! (`Handle::block_on`, the runtime entered for the few handlers that use it). A request then
//! costs one wake-up, the kernel's of the reading thread, where the async path costs the
//! worker's wake from `epoll_wait` and often a second worker's: on a host whose idle vCPUs
//! halt, each is tens of microseconds (`sextant-bench server`, `benches/results/server-s34.md`).
//! Connections beyond the limit are served as before, as tasks of the runtime.
//!
//! After each answer a connection thread polls its socket for the next request for a while
//! before it blocks ([`Spin`]), and its blocking reads time out every [`POLL_STOP`] so it sees
//! a shutdown: it then finishes the request in flight, if any, and closes.

use std::cell::Cell;
use std::future::Future;
use std::io::{Read, Write};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::sync::{mpsc, watch};

use crate::ServerConfig;

/// How long a connection thread blocks in a read before it looks for a shutdown (a stop
/// waits at most this long for an idle connection).
const POLL_STOP: Duration = Duration::from_millis(200);

/// How long a write may block on a client that does not read before the connection is
/// dropped (a stop waits at most this long for such a client).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Bytes a connection thread reads at once (a 384-d query body is ~8 kB).
const READ_CHUNK: usize = 64 << 10;

thread_local! {
    static ON_CONNECTION_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is a connection thread (a blocking shard call may then run in
/// place: the thread is the request's own).
pub(crate) fn on_connection_thread() -> bool {
    ON_CONNECTION_THREAD.with(Cell::get)
}

/// Accepts connections on `listener` until `shutdown` completes, then lets every connection
/// finish its request in flight and returns once all are closed. `config` gives the thread
/// limit and the spin window.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    let spin = Arc::new(Spin::new(Duration::from_micros(config.spin_us)));
    let (stop, stopping) = watch::channel(false);
    // Each connection holds a sender; `recv` answers `None` once all have closed.
    let (alive, mut all_closed) = mpsc::channel::<()>(1);
    let threads = Arc::new(AtomicUsize::new(0));
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, as a busy server should.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let (stopping, alive) = (stopping.clone(), alive.clone());
        // Only this loop adds threads, so the count read here cannot be overtaken.
        if threads.load(Ordering::Acquire) < config.connection_threads {
            match stream.into_std() {
                Ok(stream) => {
                    let counted = Counted::new(threads.clone());
                    spawn_thread(stream, service, stopping, alive, counted, spin.clone());
                }
                Err(e) => tracing::warn!("a connection's socket: {e}"),
            }
        } else {
            tokio::spawn(serve_task(stream, service, stopping, alive));
        }
    }
    let _ = stop.send(true);
    drop(alive);
    let _ = all_closed.recv().await;
}

type Service = TowerToHyperService<Router>;

/// Serves one connection on a thread of its own.
fn spawn_thread(
    stream: std::net::TcpStream,
    service: Service,
    stopping: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
    counted: Counted,
    spin: Arc<Spin>,
) {
    let handle = tokio::runtime::Handle::current();
    // `counted` is counted out when the thread ends, even by a handler's panic (the
    // closure's captures are dropped as it unwinds), or when it does not start (the closure
    // is dropped then).
    let started = std::thread::Builder::new()
        .name("sextant-conn".into())
        .spawn(move || {
            let _counted = counted;
            let _alive = alive;
            ON_CONNECTION_THREAD.with(|c| c.set(true));
            handle.block_on(serve_blocking(stream, service, stopping, spin));
        });
    if let Err(e) = started {
        // The socket is dropped with the closure: the client sees the connection close.
        tracing::warn!("a connection thread: {e}");
    }
}

/// One connection thread in the count of them: counted in when made, out when dropped.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(threads: Arc<AtomicUsize>) -> Self {
        threads.fetch_add(1, Ordering::AcqRel);
        Self(threads)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One connection over its blocking socket, until the client closes or a stop is asked.
async fn serve_blocking(
    stream: std::net::TcpStream,
    service: Service,
    mut stopping: watch::Receiver<bool>,
    spin: Arc<Spin>,
) {
    if let Err(e) = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(POLL_STOP)))
        .and_then(|()| stream.set_write_timeout(Some(WRITE_TIMEOUT)))
    {
        tracing::warn!("a connection's socket: {e}");
        return;
    }
    // Half-close: hyper would otherwise read the socket while the handler runs, to see
    // whether the client left, and that read blocks here.
    let conn = http1::Builder::new()
        .half_close(true)
        .serve_connection(BlockingIo::new(stream, spin), service);
    finish(conn, &mut stopping).await;
}

/// One connection as a task of the runtime (beyond the thread limit).
async fn serve_task(
    stream: tokio::net::TcpStream,
    service: Service,
    mut stopping: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
) {
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    finish(conn, &mut stopping).await;
}

/// Drives `conn` to its end; on a stop, lets it finish the request in flight.
async fn finish<I>(conn: http1::Connection<I, Service>, stopping: &mut watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
{
    let mut conn = pin!(conn);
    tokio::select! {
        served = conn.as_mut() => {
            if let Err(e) = served {
                tracing::debug!("a connection ended: {e}");
            }
            return;
        }
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.await {
        tracing::debug!("a connection ended: {e}");
    }
}

/// How connection threads wait for a client's next request: polling the socket for up to
/// `window` after an answer while no more than `slots` threads are busy, then blocking. A
/// vCPU that spins does not halt: the next request finds its thread running and its caches
/// warm (`sextant-bench server` at 20k: the REST query 229 → 168 µs mean).
#[derive(Debug)]
pub(crate) struct Spin {
    window: Duration,
    slots: usize,
    /// Connection threads answering a request or spinning for the next one.
    busy: AtomicUsize,
}

impl Spin {
    /// `window` of spinning; one slot per two CPUs (at least one), so spinners leave the
    /// other half of the machine to requests.
    pub(crate) fn new(window: Duration) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            window,
            slots: (cpus / 2).max(1),
            busy: AtomicUsize::new(0),
        }
    }
}

/// A blocking socket as hyper's I/O: reads and writes complete before they return, except a
/// read that times out, which answers `Pending` having asked to be polled again (so the
/// connection's future can see a stop).
struct BlockingIo {
    stream: std::net::TcpStream,
    chunk: Box<[u8]>,
    spin: Arc<Spin>,
    /// Counted in `spin.busy`: from a read that brought bytes to the next blocking wait.
    busy: bool,
}

impl BlockingIo {
    fn new(stream: std::net::TcpStream, spin: Arc<Spin>) -> Self {
        Self {
            stream,
            chunk: vec![0; READ_CHUNK].into_boxed_slice(),
            spin,
            busy: false,
        }
    }

    /// Polls the socket for the spin window (see [`Spin`]); `Ok(None)`: nothing came, the
    /// thread is no longer busy and may block.
    fn spin(&mut self, want: usize) -> std::io::Result<Option<usize>> {
        if !self.busy {
            return Ok(None);
        }
        let spin = &self.spin;
        if !spin.window.is_zero() && spin.busy.load(Ordering::Relaxed) <= spin.slots {
            self.stream.set_nonblocking(true)?;
            let started = Instant::now();
            let got = loop {
                match self.stream.read(&mut self.chunk[..want]) {
                    Ok(n) => break Ok(Some(n)),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if started.elapsed() >= spin.window {
                            break Ok(None);
                        }
                        std::hint::spin_loop();
                    }
                    Err(e) => break Err(e),
                }
            };
            self.stream.set_nonblocking(false)?;
            if !matches!(got, Ok(None)) {
                return got;
            }
        }
        self.busy = false;
        spin.busy.fetch_sub(1, Ordering::AcqRel);
        Ok(None)
    }
}

impl Drop for BlockingIo {
    fn drop(&mut self) {
        if self.busy {
            self.spin.busy.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

impl hyper::rt::Read for BlockingIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining().min(this.chunk.len());
        match this.spin(want) {
            Ok(Some(n)) => {
                buf.put_slice(&this.chunk[..n]);
                return Poll::Ready(Ok(()));
            }
            Ok(None) => {}
            Err(e) => return Poll::Ready(Err(e)),
        }
        loop {
            match this.stream.read(&mut this.chunk[..want]) {
                Ok(n) => {
                    if n > 0 && !this.busy {
                        this.busy = true;
                        this.spin.busy.fetch_add(1, Ordering::AcqRel);
                    }
                    buf.put_slice(&this.chunk[..n]);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if timed_out(&e) => {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl hyper::rt::Write for BlockingIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.get_mut().stream.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        // The head and the body in one system call, so the answer leaves in one segment.
        Poll::Ready(self.get_mut().stream.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(
            match self.get_mut().stream.shutdown(std::net::Shutdown::Write) {
                Err(e) if e.kind() == std::io::ErrorKind::NotConnected => Ok(()),
                done => done,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::{TcpListener, TcpStream};

    /// A GET over a keep-alive connection: the status line and the body.
    fn get(conn: &mut BufReader<TcpStream>, path: &str) -> (String, String) {
        let ask = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n");
        conn.get_mut().write_all(ask.as_bytes()).unwrap();
        let mut status = String::new();
        conn.read_line(&mut status).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            conn.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body).unwrap();
        (status, String::from_utf8(body).unwrap())
    }

    #[test]
    fn threads_and_tasks_answer_alike_and_a_stop_closes_idle_connections() {
        // 0: every connection a task; 1: the first a thread, the second a task; 4: threads.
        for threads in [0, 1, 4] {
            let dir = tempfile::tempdir().unwrap();
            let mut config = crate::ServerConfig::new(dir.path());
            config.port = 0;
            config.connection_threads = threads;
            let running = crate::start(config).unwrap();
            let open = || BufReader::new(TcpStream::connect(("127.0.0.1", running.port)).unwrap());
            let (mut a, mut b) = (open(), open());
            for _ in 0..3 {
                for conn in [&mut a, &mut b] {
                    let (status, body) = get(conn, "/collections/nope/exists");
                    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
                    assert!(body.contains(r#""exists":false"#), "{body}");
                    let (status, body) = get(conn, "/collections/nope");
                    assert!(status.starts_with("HTTP/1.1 404"), "{status}");
                    assert!(body.contains("Not found: Collection"), "{body}");
                }
            }
            // Both connections idle and kept alive: the stop must not wait for their clients.
            running.stop();
            for conn in [&mut a, &mut b] {
                let mut rest = Vec::new();
                conn.read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty(), "{threads} threads: {rest:?}");
            }
        }
    }

    /// A connected pair: the client's end and the server's end as a `BlockingIo`.
    fn pair(spin: &Arc<Spin>) -> (TcpStream, BlockingIo) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        (client, BlockingIo::new(server, spin.clone()))
    }

    /// One `poll_read`: the bytes it brought, or `None` for `Pending`.
    fn read(io: &mut BlockingIo) -> Option<Vec<u8>> {
        let mut space = [std::mem::MaybeUninit::new(0u8); 64];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut space);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match hyper::rt::Read::poll_read(Pin::new(io), &mut cx, buf.unfilled()) {
            Poll::Ready(done) => {
                done.unwrap();
                Some(buf.filled().to_vec())
            }
            Poll::Pending => None,
        }
    }

    #[test]
    fn a_connection_is_busy_from_its_bytes_to_its_next_wait() {
        let spin = Arc::new(Spin::new(Duration::from_millis(2)));
        let busy = |spin: &Spin| spin.busy.load(Ordering::Acquire);
        let (mut client, mut io) = pair(&spin);
        let (mut other, mut io2) = pair(&spin);
        assert_eq!(read(&mut io), None, "nothing sent: the read times out");
        assert_eq!(busy(&spin), 0);
        client.write_all(b"abc").unwrap();
        assert_eq!(read(&mut io).as_deref(), Some(&b"abc"[..]));
        assert_eq!(busy(&spin), 1);
        other.write_all(b"x").unwrap();
        assert_eq!(read(&mut io2).as_deref(), Some(&b"x"[..]));
        assert_eq!(busy(&spin), 2);
        // Bytes already there when a busy connection reads again: it stays busy.
        client.write_all(b"de").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(read(&mut io).as_deref(), Some(&b"de"[..]));
        assert_eq!(busy(&spin), 2);
        // Nothing comes: spinning (or not, above the slots) then blocking, no longer busy.
        assert_eq!(read(&mut io), None);
        assert_eq!(busy(&spin), 1);
        drop(io2);
        assert_eq!(busy(&spin), 0, "a busy connection dropped is counted out");
        client.write_all(b"f").unwrap();
        assert_eq!(read(&mut io).as_deref(), Some(&b"f"[..]));
        drop(client);
        assert_eq!(
            read(&mut io).as_deref(),
            Some(&b""[..]),
            "the client's close"
        );
        drop(io);
        assert_eq!(busy(&spin), 0);
    }
}
