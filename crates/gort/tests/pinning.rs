//! Pinning seen from a server: a `blocking` call does not delay the other
//! goroutines of its thread, and `tracing` spans follow their goroutines
//! across socket reads (each event in its own goroutine's span, one deep),
//! with one P and with two.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gort::net::{TcpConn, TcpListener, dial_tcp, listen_tcp, resolve_tcp_addr};
use tracing::field::{Field, Visit};
use tracing::span::Attributes;
use tracing::{Event, Id, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

#[path = "../../runtime/tests/support/wait.rs"]
mod wait;
#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

fn listener() -> TcpListener {
    listen_tcp(
        "tcp",
        Some(&resolve_tcp_addr("tcp", "127.0.0.1:0").unwrap()),
    )
    .unwrap()
}

fn connect(ln: &TcpListener) -> TcpConn {
    dial_tcp("tcp", None, &ln.addr()).unwrap()
}

/// On the only P, a goroutine is inside `blocking` (a call that ends only
/// once the client has had its echo): the echo is served meanwhile, by a
/// goroutine on the same thread.
#[test]
fn blocking_does_not_delay_an_echo_on_the_same_thread() {
    let rt = gort::Builder::new().procs(1).build().unwrap();
    rt.block_on(|| {
        let ln = listener();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocked = gort::spawn(move || {
            let thread = std::thread::current().id();
            let released = gort::blocking(move || {
                std::thread::sleep(Duration::from_millis(200));
                wait.recv_timeout(Duration::from_secs(30)).is_ok()
            });
            assert_eq!(std::thread::current().id(), thread);
            released
        });
        // The echo below happens while that call is in progress.
        wait::parked(WaitReason::Blocking, 1);
        let client = {
            let c = connect(&ln);
            gort::spawn(move || {
                c.write_all(b"ping").unwrap();
                let mut buf = [0; 4];
                (&c).read_exact(&mut buf).unwrap();
                buf
            })
        };
        let server = ln.accept().unwrap();
        let mut buf = [0; 4];
        (&server).read_exact(&mut buf).unwrap();
        server.write_all(&buf).unwrap();
        assert_eq!(&client.join().unwrap(), b"ping");
        // Only now may the blocking call end: it did not hold the thread.
        release.send(()).unwrap();
        assert!(
            blocked.join().unwrap(),
            "the blocking call was not released"
        );
    });
}

/// Records, for every event with a `conn` field, whether its current span
/// is the `conn` span of the same id with no parent.
#[derive(Clone, Default)]
struct Attribution {
    events: Arc<Mutex<(usize, Vec<String>)>>,
}

struct ConnField(Option<u64>);

impl Visit for ConnField {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "conn" {
            self.0 = Some(value);
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// The `conn` id a span was created with, kept in its extensions.
struct SpanConn(u64);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Attribution {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut f = ConnField(None);
        attrs.record(&mut f);
        if let (Some(conn), Some(span)) = (f.0, ctx.span(id)) {
            span.extensions_mut().insert(SpanConn(conn));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut f = ConnField(None);
        event.record(&mut f);
        let Some(conn) = f.0 else { return };
        let scope: Vec<u64> = ctx
            .event_scope(event)
            .map(|s| {
                s.map(|span| {
                    span.extensions()
                        .get::<SpanConn>()
                        .map_or(u64::MAX, |c| c.0)
                })
                .collect()
            })
            .unwrap_or_default();
        let mut e = self.events.lock().unwrap();
        e.0 += 1;
        if scope != [conn] && e.1.len() < 10 {
            e.1.push(format!("event of conn {conn} in span chain {scope:?}"));
        }
    }
}

/// 200 goroutines, each in its own span (half given one with
/// `GoBuilder::span`, half inheriting the span current at `spawn`), each
/// reading its socket many times: every event lands in its own goroutine's
/// span, in a chain one span deep, with 1 P and with 2.
fn spans_follow_goroutines(procs: usize) {
    const CONNS: u64 = 200;
    const MSGS: usize = 20;
    let layer = Attribution::default();
    let subscriber = Registry::default().with(layer.clone());
    tracing::subscriber::with_default(subscriber, || {
        let rt = gort::Builder::new().procs(procs).build().unwrap();
        rt.block_on(move || {
            let ln = listener();
            let mut servers = Vec::new();
            let mut clients = Vec::new();
            for conn in 0..CONNS {
                let c = connect(&ln);
                clients.push(gort::spawn(move || {
                    for i in 0..MSGS {
                        c.write_all(&[i as u8]).unwrap();
                        let mut b = [0];
                        (&c).read_exact(&mut b).unwrap();
                        assert_eq!(b[0], i as u8);
                    }
                }));
                let s = ln.accept().unwrap();
                let span = tracing::info_span!("conn", conn);
                let serve = move || {
                    let mut b = [0];
                    for _ in 0..MSGS {
                        (&s).read_exact(&mut b).unwrap();
                        tracing::info!(conn, "read");
                        s.write_all(&b).unwrap();
                    }
                };
                servers.push(if conn % 2 == 0 {
                    gort::GoBuilder::new().span(span).spawn(serve).unwrap()
                } else {
                    let _entered = span.enter();
                    gort::spawn(serve)
                });
            }
            for h in clients.into_iter().chain(servers) {
                h.join().unwrap();
            }
        });
    });
    let e = layer.events.lock().unwrap();
    assert_eq!(e.0, CONNS as usize * MSGS, "events lost");
    assert!(e.1.is_empty(), "misattributed: {:?}", e.1);
}

#[test]
fn spans_follow_goroutines_across_socket_reads_with_one_p() {
    spans_follow_goroutines(1);
}

#[test]
fn spans_follow_goroutines_across_socket_reads_with_two_ps() {
    spans_follow_goroutines(2);
}

/// A goroutine whose I/O never has to wait (UDP sends, which never block)
/// still lets the goroutines pinned to its thread run: once sysmon has seen
/// its time slice last 10 ms, its next socket call yields (Go preempts it).
/// On one P, the sender only stops when the other goroutine has run.
#[test]
fn io_that_never_waits_still_gives_way_on_its_thread() {
    let _w = watchdog::start(
        "io_that_never_waits_still_gives_way_on_its_thread",
        watchdog::LIMIT,
    );
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let rt = gort::Builder::new().procs(1).build().unwrap();
    let sends = rt.block_on(|| {
        let local = gort::net::resolve_udp_addr("udp", "127.0.0.1:0").unwrap();
        let sink = gort::net::listen_udp("udp", Some(&local)).unwrap();
        let c = gort::net::dial_udp("udp", None, &sink.local_addr()).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicBool::new(false));
        let (r, s) = (ran.clone(), started.clone());
        let sender = gort::spawn(move || {
            s.store(true, Ordering::Relaxed);
            let mut sends = 0u64;
            while !r.load(Ordering::Relaxed) {
                c.write(b"x").unwrap();
                sends += 1;
            }
            sends
        });
        // Wait for the sender to start: from then on this goroutine runs
        // again only when the sender gives way, and only then can it start
        // the other one.
        while !started.load(Ordering::Relaxed) {
            gort::yield_now();
        }
        let other = gort::spawn(move || ran.store(true, Ordering::Relaxed));
        other.join().unwrap();
        let sends = sender.join().unwrap();
        drop(sink);
        sends
    });
    assert!(sends > 0);
}
