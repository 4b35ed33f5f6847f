//! The accept loop of `pinwarden serve`, with the limits a server on the
//! open internet needs. Issue 15: with no header, idle or body timeout, 600
//! slow connections took a server with 512 file descriptors off the air
//! until they closed. axum's own `serve` can't time out a request's head,
//! so the loop is ours, over the same hyper HTTP/1.1 connection axum uses.
//!
//! `accept ==> slot (or evict the idlest, slowest connection; or 503) ==> HTTP/1.1 (hyper) ==> clock (head, body, idle, send deadlines) ==> router`
//!
//! Each connection has a clock that knows what it waits for:
//! - the **head** of a request: within `header_timeout` of connecting, or
//!   of the first byte after an idle spell, else the connection is closed;
//! - its **body**: within `body_timeout` of the head, else the request is
//!   answered 408 and the connection closed;
//! - the **next request** on a kept-alive connection: within
//!   `idle_timeout`, else it is closed; a response that can't be written
//!   for as long (a client that stopped reading) is abandoned too.
//!
//! At most `max_connections` are served at once. When every slot is
//! taken, a newcomer takes the slot of the connection that has been idle
//! longest, else of the one that has waited longest for a request's head
//! or body; only when every connection has a request being handled is the
//! newcomer answered a minimal 503 problem with `Retry-After` and closed.
//! Refusing newcomers instead would hand the server to whoever opens
//! connections first and sends nothing, which is the attack; an idle
//! connection costs its client a reconnect, a slow one loses nothing a real
//! client sends at once. At most [`PENDING`] more connections wait for a
//! slot or for their 503 at any time; past that one is closed unanswered,
//! so the file descriptors in use stay bounded.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::Frame;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

/// Connections accepted beyond `max_connections` at once: waiting for an
/// evicted connection's slot, or being told 503.
pub const PENDING: usize = 64;

/// File descriptors kept for everything but connections: the database
/// pool and files, the CT monitor, outgoing webhooks.
const RESERVED_FILES: usize = 128;

/// How long a refused client has to finish sending its request before the
/// socket closes: closing on unread input resets the connection, and a
/// reset can destroy the 503 before the client reads it.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// A body that doesn't arrive in time is answered 408 by the request; the
/// connection is dropped this much later if no handler read the body.
const BODY_GRACE: Duration = Duration::from_secs(1);

/// The limits of the listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's head, from connecting or from the first
    /// byte after an idle spell.
    pub header_timeout: Duration,
    /// Time a kept-alive connection waits for its next request, and a
    /// response may stall because the client doesn't read.
    pub idle_timeout: Duration,
    /// Time to send a request's body, from the end of its head.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 10 s for a head (Go's usual `ReadHeaderTimeout`; a phone on a poor
    /// network sends a few hundred bytes in far less), 60 s idle (browsers
    /// reuse a connection across slider moves), 30 s for a body (a 1 MiB
    /// manifest at 35 KB/s), 1,024 connections.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Why the listener closed or refused a connection: the `reason` label of
/// `pinwarden_http_connections_closed_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Close {
    HeaderTimeout,
    BodyTimeout,
    IdleTimeout,
    SendTimeout,
    Evicted,
    Refused,
    Dropped,
}

impl Close {
    const fn as_str(self) -> &'static str {
        match self {
            Self::HeaderTimeout => "header-timeout",
            Self::BodyTimeout => "body-timeout",
            Self::IdleTimeout => "idle-timeout",
            Self::SendTimeout => "send-timeout",
            Self::Evicted => "evicted",
            Self::Refused => "refused",
            Self::Dropped => "dropped",
        }
    }

    fn count(self) {
        metrics::counter!("pinwarden_http_connections_closed_total", "reason" => self.as_str())
            .increment(1);
    }
}

/// Every `reason` of `pinwarden_http_connections_closed_total`.
pub(crate) const CLOSE_REASONS: &[&str] = &[
    Close::HeaderTimeout.as_str(),
    Close::BodyTimeout.as_str(),
    Close::IdleTimeout.as_str(),
    Close::SendTimeout.as_str(),
    Close::Evicted.as_str(),
    Close::Refused.as_str(),
    Close::Dropped.as_str(),
];

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting, lets every connection finish the request it is on (the
/// timeouts still apply) and returns. Each request carries
/// `ConnectInfo<SocketAddr>` as `axum::serve` gives it.
///
/// When the process's open-file limit can't hold `max_connections` and
/// their company, the soft limit is raised toward the hard one, and if
/// that isn't enough the cap is lowered to fit, with a warning.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let limits = Limits {
        max_connections: fit_open_files(limits.max_connections.max(1)),
        ..limits
    };
    let shared = Arc::new(Shared {
        limits,
        slots: Arc::new(Semaphore::new(limits.max_connections)),
        pending: Arc::new(Semaphore::new(PENDING)),
        live: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        router,
    });
    // `stop` tells connections to finish; each holds a `done` receiver, so
    // `done_tx.closed()` resolves when the last one has ended.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_error: Option<Instant> = None;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: say so (once a minute at most), wait a
                    // little and go on.
                    if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                        eprintln!("pinwarden: accepting a connection: {e}");
                        last_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small answers go out at once rather than after a delayed ACK.
        let _ = stream.set_nodelay(true);
        let guards = (stop_rx.clone(), done_rx.clone());
        if let Ok(slot) = Arc::clone(&shared.slots).try_acquire_owned() {
            // Registered here, not in the task: a newcomer right behind
            // this one must be able to evict it.
            let (id, clock) = shared.register();
            tokio::spawn(Arc::clone(&shared).connection(stream, peer, slot, (id, clock), guards));
        } else if let Ok(pending) = Arc::clone(&shared.pending).try_acquire_owned() {
            tokio::spawn(Arc::clone(&shared).admit(stream, peer, pending, guards));
        } else {
            Close::Dropped.count();
            drop(stream);
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop((stop_rx, done_rx));
    done_tx.closed().await;
    Ok(())
}

/// What connections share.
#[derive(Debug)]
struct Shared {
    limits: Limits,
    slots: Arc<Semaphore>,
    pending: Arc<Semaphore>,
    /// The connections being served, by id: where evictions are chosen.
    live: Mutex<HashMap<u64, Arc<Clock>>>,
    next_id: AtomicU64,
    router: Router,
}

type Guards = (watch::Receiver<bool>, watch::Receiver<()>);

impl Shared {
    /// A connection that found every slot taken: it takes an evicted
    /// connection's slot, or is answered 503.
    async fn admit(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        pending: OwnedSemaphorePermit,
        guards: Guards,
    ) {
        // In the semaphore's queue before evicting anyone, so the evicted
        // connection's slot comes here rather than to a later newcomer.
        let mut slot = std::pin::pin!(Arc::clone(&self.slots).acquire_owned());
        let first = std::future::poll_fn(|cx| Poll::Ready(slot.as_mut().poll(cx))).await;
        let slot = match first {
            Poll::Ready(slot) => slot.ok(),
            Poll::Pending if self.evict_one() => {
                // The evicted connection closes as soon as its task runs.
                tokio::time::timeout(Duration::from_secs(1), slot)
                    .await
                    .ok()
                    .and_then(Result::ok)
            }
            Poll::Pending => None,
        };
        if let Some(slot) = slot {
            drop(pending);
            let registered = self.register();
            return self
                .connection(stream, peer, slot, registered, guards)
                .await;
        }
        Close::Refused.count();
        refuse(stream, self.limits.max_connections).await;
        drop((pending, guards));
    }

    /// Marks the connection to evict: the one idle longest, else the one
    /// waiting longest for a request's head or body; none when every
    /// connection is handling a request.
    fn evict_one(&self) -> bool {
        let Ok(live) = self.live.lock() else {
            return false;
        };
        let victim = live
            .values()
            .filter_map(|c| c.rank().map(|r| (r, c)))
            .min_by_key(|(r, _)| *r)
            .map(|(_, c)| Arc::clone(c));
        drop(live);
        victim.is_some_and(|c| c.evict())
    }

    /// A new connection's clock, among those evictions choose from.
    fn register(&self) -> (u64, Arc<Clock>) {
        let clock = Arc::new(Clock::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut live) = self.live.lock() {
            live.insert(id, Arc::clone(&clock));
        }
        (id, clock)
    }

    /// Serves one connection in its slot until it ends, a deadline passes,
    /// it is evicted, or the server stops (then the request in progress is
    /// finished first).
    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        slot: OwnedSemaphorePermit,
        (id, clock): (u64, Arc<Clock>),
        (mut stop, done): Guards,
    ) {
        metrics::gauge!("pinwarden_http_connections").increment(1.0);
        let service = {
            let (shared, clock) = (Arc::clone(&self), Arc::clone(&clock));
            hyper::service::service_fn(move |request| {
                let (shared, clock) = (Arc::clone(&shared), Arc::clone(&clock));
                async move { Ok::<_, Infallible>(shared.handle(clock, peer, request).await) }
            })
        };
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // The clock times heads; hyper's own header timer would also run
        // while a kept-alive connection is idle.
        builder
            .http1()
            .keep_alive(true)
            .header_read_timeout(None::<Duration>);
        let io = TokioIo::new(Timed {
            io: stream,
            clock: Arc::clone(&clock),
        });
        let mut conn = std::pin::pin!(builder.serve_connection(io, service));
        let mut stopping = false;
        loop {
            tokio::select! {
                _ = conn.as_mut() => break,
                why = clock.expired(&self.limits) => {
                    why.count();
                    break;
                }
                _ = stop.wait_for(|s| *s), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
        if let Ok(mut live) = self.live.lock() {
            live.remove(&id);
        }
        metrics::gauge!("pinwarden_http_connections").decrement(1.0);
        drop((slot, done));
    }

    /// One request through the router: its body timed, `ConnectInfo` added,
    /// the response tracked until it has been handed to the socket.
    async fn handle(
        &self,
        clock: Arc<Clock>,
        peer: SocketAddr,
        request: Request<Incoming>,
    ) -> Response<Tracked> {
        use http_body::Body as _;
        use tower_service::Service as _;
        let has_body = !request.body().is_end_stream();
        let in_flight = clock.request(has_body);
        let late = Arc::new(AtomicBool::new(false));
        let timeout = self.limits.body_timeout;
        let mut request = request.map(|body| {
            Body::new(TimedBody {
                body,
                deadline: has_body.then(|| Box::pin(tokio::time::sleep(timeout))),
                late: Arc::clone(&late),
                in_flight: in_flight.clone(),
                finished: !has_body,
            })
        });
        request.extensions_mut().insert(ConnectInfo(peer));
        // Router's readiness is always Ready: calling it directly is what
        // axum's own serve does through `oneshot`.
        let response = match self.router.clone().call(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let response = if late.load(Ordering::Relaxed) {
            Close::BodyTimeout.count();
            body_too_slow(timeout)
        } else {
            response
        };
        response.map(|body| Tracked {
            body,
            _in_flight: in_flight,
        })
    }
}

/// 408 with `Connection: close`: the body didn't arrive in time.
fn body_too_slow(timeout: Duration) -> Response<Body> {
    let mut response = crate::problem::problem(
        StatusCode::REQUEST_TIMEOUT,
        &format!(
            "the request's body didn't arrive within {} s of its headers",
            timeout.as_secs_f64()
        ),
    );
    // Made here, after the router's layers: it takes their headers too.
    crate::headers::set(response.headers_mut());
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Answers a connection that found the server full: a minimal 503 problem
/// with `Retry-After`, written without reading the request, then the
/// socket is closed once the client has finished sending (at most
/// [`REFUSAL_LINGER`]).
async fn refuse(mut stream: TcpStream, cap: usize) {
    let body = format!(
        "{{\"status\":503,\"detail\":\"the server is serving its limit of {cap} connections; retry shortly\"}}"
    );
    let mut answer = String::from(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncache-control: no-store\r\n",
    );
    for (name, value) in crate::headers::HEADERS {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    let _ = tokio::time::timeout(REFUSAL_LINGER, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client still sends, so the close isn't a reset.
        let mut sink = [0u8; 4096];
        let mut left = 64 * 1024usize;
        loop {
            let n = tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await?;
            if n == 0 || n >= left {
                return io::Result::Ok(());
            }
            left -= n;
        }
    })
    .await;
}

/// What a connection waits for, and since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A request's head.
    Head,
    /// A request's body.
    Body,
    /// The server: a request is being handled, its response written.
    Handling,
    /// The next request of a kept-alive connection.
    Idle,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    since: Instant,
    /// Requests whose response hasn't been handed over yet.
    in_flight: u32,
    /// The request whose body is being read.
    request: u64,
    /// Since when a write has waited for the client to read.
    write_blocked: Option<Instant>,
    evicted: bool,
}

/// A connection's deadlines, kept by its socket (bytes in, writes blocked),
/// its requests (head read, body read, response done) and its watchdog.
#[derive(Debug)]
struct Clock {
    state: Mutex<State>,
    /// Wakes the watchdog when a deadline may have moved earlier.
    wake: Notify,
}

impl Clock {
    fn new() -> Self {
        Self {
            state: Mutex::new(State {
                phase: Phase::Head,
                since: Instant::now(),
                in_flight: 0,
                request: 0,
                write_blocked: None,
                evicted: false,
            }),
            wake: Notify::new(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> Option<T> {
        // A poisoned lock means a panic while holding it, which the few
        // lines under it can't do; treat it as "no change".
        self.state.lock().ok().map(|mut s| f(&mut s))
    }

    /// Bytes came in: on an idle connection, a request's head has begun.
    fn read_some(&self) {
        let began = self.with(|s| {
            let idle = s.phase == Phase::Idle;
            if idle {
                s.phase = Phase::Head;
                s.since = Instant::now();
            }
            idle
        });
        if began == Some(true) {
            self.wake.notify_one();
        }
    }

    /// A write found the client's window full: the send deadline starts,
    /// unless it already runs.
    fn write_blocked(&self) {
        let first = self.with(|s| {
            let first = s.write_blocked.is_none();
            if first {
                s.write_blocked = Some(Instant::now());
            }
            first
        });
        if first == Some(true) {
            self.wake.notify_one();
        }
    }

    /// A write went through: the client reads.
    fn wrote(&self) {
        self.with(|s| s.write_blocked = None);
    }

    /// A request's head has been read; the guard marks its response done.
    fn request(self: &Arc<Self>, has_body: bool) -> InFlight {
        let request = self
            .with(|s| {
                s.in_flight += 1;
                s.request += 1;
                s.phase = if has_body {
                    Phase::Body
                } else {
                    Phase::Handling
                };
                s.since = Instant::now();
                s.request
            })
            .unwrap_or(0);
        self.wake.notify_one();
        InFlight(Arc::new(InFlightInner {
            clock: Arc::clone(self),
            request,
        }))
    }

    fn body_done(&self, request: u64) {
        self.with(|s| {
            if s.request == request && s.phase == Phase::Body {
                s.phase = Phase::Handling;
                s.since = Instant::now();
            }
        });
    }

    fn response_done(&self) {
        let idle = self.with(|s| {
            s.in_flight = s.in_flight.saturating_sub(1);
            let idle = s.in_flight == 0;
            if idle {
                s.phase = Phase::Idle;
                s.since = Instant::now();
            }
            idle
        });
        if idle == Some(true) {
            self.wake.notify_one();
        }
    }

    /// Marks the connection evicted; false if it already was.
    fn evict(&self) -> bool {
        let first = self.with(|s| !std::mem::replace(&mut s.evicted, true));
        self.wake.notify_one();
        first == Some(true)
    }

    /// How cheap the connection is to evict (lowest first), if it may be:
    /// idle ones before slow ones, longest waiting first.
    fn rank(&self) -> Option<(u8, Instant)> {
        self.with(|s| match s.phase {
            _ if s.evicted => None,
            Phase::Idle => Some((0, s.since)),
            Phase::Head | Phase::Body => Some((1, s.since)),
            Phase::Handling => None,
        })
        .flatten()
    }

    /// The earliest deadline and what it closes the connection for.
    fn next(&self, limits: &Limits) -> Option<(Instant, Close)> {
        self.with(|s| {
            if s.evicted {
                return Some((s.since, Close::Evicted));
            }
            let phase = match s.phase {
                Phase::Head => Some((s.since + limits.header_timeout, Close::HeaderTimeout)),
                Phase::Body => Some((
                    s.since + limits.body_timeout + BODY_GRACE,
                    Close::BodyTimeout,
                )),
                Phase::Idle => Some((s.since + limits.idle_timeout, Close::IdleTimeout)),
                Phase::Handling => None,
            };
            let send = s
                .write_blocked
                .map(|t| (t + limits.idle_timeout, Close::SendTimeout));
            match (phase, send) {
                (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
                (a, b) => a.or(b),
            }
        })
        .flatten()
    }

    /// Resolves when a deadline has passed or the connection is evicted.
    async fn expired(&self, limits: &Limits) -> Close {
        loop {
            // Made before reading the state: a wake in between is kept.
            let woken = self.wake.notified();
            match self.next(limits) {
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = woken => {}
                    }
                }
                None => woken.await,
            }
        }
    }
}

#[derive(Debug)]
struct InFlightInner {
    clock: Arc<Clock>,
    request: u64,
}

impl Drop for InFlightInner {
    fn drop(&mut self) {
        self.clock.response_done();
    }
}

/// A request until its response has been handed to hyper (or given up):
/// shared by the request's body and the response's.
#[derive(Clone, Debug)]
struct InFlight(Arc<InFlightInner>);

/// A request body with a deadline for all of it.
struct TimedBody {
    body: Incoming,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    late: Arc<AtomicBool>,
    in_flight: InFlight,
    finished: bool,
}

impl TimedBody {
    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.deadline = None;
            let inner = &self.in_flight.0;
            inner.clock.body_done(inner.request);
        }
    }
}

impl Drop for TimedBody {
    fn drop(&mut self) {
        // A handler that drops the body unread is done with it.
        self.finish();
    }
}

/// The body didn't arrive within the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request's body didn't arrive in time")]
struct BodyTimeout;

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.late.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            if frame.is_none() || self.body.is_end_stream() {
                self.finish();
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if let Some(deadline) = self.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            self.late.store(true, Ordering::Relaxed);
            self.finish();
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream() || self.late.load(Ordering::Relaxed)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A response body that marks its request done when hyper drops it.
#[derive(Debug)]
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling the clock when bytes come in and when writes block.
struct Timed {
    io: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for Timed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.read_some();
        }
        polled
    }
}

impl Timed {
    fn track(&self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        match &polled {
            Poll::Pending => self.clock.write_blocked(),
            Poll::Ready(Ok(n)) if *n > 0 => self.clock.wrote(),
            Poll::Ready(_) => {}
        }
        polled
    }
}

impl AsyncWrite for Timed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.track(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.track(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// `wanted` connections, or fewer if the open-file limit can't hold them
/// with [`PENDING`] and [`RESERVED_FILES`] (after raising the soft limit
/// toward the hard one, as Go's runtime does at start).
#[cfg(unix)]
fn fit_open_files(wanted: usize) -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let need = (wanted + PENDING + RESERVED_FILES) as u64;
    let limit = getrlimit(Resource::Nofile);
    let Some(mut soft) = limit.current else {
        return wanted;
    };
    if soft < need {
        let raised = limit.maximum.map_or(need, |hard| need.min(hard));
        if raised > soft
            && setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(raised),
                    maximum: limit.maximum,
                },
            )
            .is_ok()
        {
            soft = raised;
        }
    }
    if soft >= need {
        return wanted;
    }
    let fit = usize::try_from(soft)
        .unwrap_or(usize::MAX)
        .saturating_sub(PENDING + RESERVED_FILES)
        .max(1);
    eprintln!(
        "warning: the open-file limit ({soft}) leaves room for {fit} connections, not {wanted}: \
         serving at most {fit} (raise it with `ulimit -n` or systemd's LimitNOFILE)"
    );
    fit
}

#[cfg(not(unix))]
fn fit_open_files(wanted: usize) -> usize {
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    async fn start(
        limits: Limits,
        router: Router,
    ) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, router, limits, async {
            let _ = rx.await;
        }));
        (addr, tx)
    }

    /// A GET over a fresh socket on a blocking thread: the whole answer.
    async fn get(addr: SocketAddr, path: &'static str) -> String {
        tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            write!(
                s,
                "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            answer
        })
        .await
        .unwrap()
    }

    fn router() -> Router {
        Router::new()
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    "slow"
                }),
            )
            .route(
                "/peer",
                axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                    peer.ip().to_string()
                }),
            )
    }

    /// Every slot busy with a request being handled: a newcomer is told
    /// 503, as a problem with Retry-After, and the connection closes; once
    /// a slot frees up, it is served again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_server_answers_503_with_retry_after() {
        let limits = Limits {
            max_connections: 2,
            ..Limits::default()
        };
        let (addr, _stop) = start(limits, router()).await;
        let busy = [
            tokio::spawn(get(addr, "/slow")),
            tokio::spawn(get(addr, "/slow")),
        ];
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        let refused = get(addr, "/peer").await;
        assert!(started.elapsed() < Duration::from_secs(2), "{refused}");
        let lower = refused.to_ascii_lowercase();
        assert!(lower.starts_with("http/1.1 503 "), "{refused}");
        assert!(lower.contains("\r\nretry-after: 1\r\n"), "{refused}");
        assert!(
            lower.contains("\r\ncontent-type: application/problem+json\r\n"),
            "{refused}"
        );
        assert!(lower.contains("\r\nconnection: close\r\n"), "{refused}");
        assert!(refused.contains("limit of 2 connections"), "{refused}");
        assert!(
            lower.contains("\r\nx-content-type-options: nosniff\r\n"),
            "{refused}"
        );
        assert!(lower.contains("frame-ancestors 'none'"), "{refused}");
        for answer in busy {
            let answer = answer.await.unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        }
        let served = get(addr, "/peer").await;
        assert!(
            served.starts_with("HTTP/1.1 200 ") && served.ends_with("127.0.0.1"),
            "{served}"
        );
    }

    /// Graceful shutdown waits for the request in progress and then returns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_finishes_the_request_in_progress() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router(), Limits::default(), async {
            let _ = rx.await;
        }));
        let slow = tokio::spawn(get(addr, "/slow"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(()).unwrap();
        let answer = slow.await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200 ") && answer.ends_with("slow"),
            "{answer}"
        );
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("serve returns after the last request")
            .unwrap()
            .unwrap();
    }

    #[test]
    fn an_idle_connection_is_evicted_before_a_slow_one_and_a_busy_one_never() {
        let idle = Clock::new();
        let slow = Clock::new();
        let busy = Arc::new(Clock::new());
        let _request = busy.request(false);
        idle.with(|s| s.phase = Phase::Idle);
        assert!(idle.rank() < slow.rank());
        assert_eq!(busy.rank(), None);
        assert!(slow.evict());
        assert!(!slow.evict(), "once");
        assert_eq!(slow.rank(), None);
    }
}
