//! Mirrors Go src/net/pipe.go (go1.27): `Pipe`, an in-memory, synchronous, full-duplex pair of conns with deadlines.
//!
//! Go builds its pipe from six channels: a write hands its slice to the
//! reader over one channel and waits on another for the count the reader
//! took; `select` lets each side also watch the two "done" channels and its
//! deadline's cancel channel. gort has channels (`gort_runtime::chan`), but
//! a Rust writer cannot lend its `&[u8]` over one: between the hand-off and
//! the count coming back, nothing would keep the writer from returning (a
//! deadline, a `Goexit` unwind of a dropped runtime) while a reader still
//! copies from the buffer. So this file keeps the same protocol with one
//! mutex, under which a loan is made, used and taken back, and a list of
//! sleepers:
//!
//! - a write *offers* its whole buffer (`State::offer`) and sleeps until the
//!   readers on the other end have copied all of it, straight from the
//!   writer's buffer into theirs (no intermediate copy, as in Go);
//! - a read takes what it can from the other end's offer, and wakes the
//!   writer when the offer is used up;
//! - every change (an offer, a finished offer, a close, a new deadline) wakes
//!   all sleepers, who look again. A deadline wakes its sleeper through a
//!   runtime timer (goroutines) or a timed `park` (plain threads), which is
//!   Go's `pipeDeadline` cancel channel in another form.
//!
//! Like Go's, the pipe is synchronous: a write returns only once readers have
//! taken every byte (or the write failed), and nothing is buffered.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use gort_runtime::hooks::{ParkSlot, RawTimer, WaitReason};
use gort_runtime::time::nanotime;

use crate::net::{ConnCore, conn_impls};
use crate::{Addr, Op, OpError, TimeoutError};

/// The address of either end of a [`pipe`]: network and text are both
/// `"pipe"` (Go's `pipeAddr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PipeAddr;

impl fmt::Display for PipeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pipe")
    }
}

impl Addr for PipeAddr {
    fn network(&self) -> &'static str {
        "pipe"
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(*self)
    }
}

/// A read or write on a pipe whose end has been closed (Go's
/// `io.ErrClosedPipe`, "io: read/write on closed pipe"). It reaches users
/// inside an `io::Error` of kind `BrokenPipe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClosedPipeError;

impl fmt::Display for ClosedPipeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("io: read/write on closed pipe")
    }
}

impl std::error::Error for ClosedPipeError {}

fn closed_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, ClosedPipeError)
}

/// One end of a [`pipe`] (Go's `*net.pipe`). Dropping it closes it.
///
/// Its methods are every conn's (see [`TcpConn`](crate::TcpConn)), with
/// the pipe's own meanings: a read takes what the other end is writing,
/// up to `b.len()` bytes, and reads `Ok(0)` once the other end is closed;
/// a write returns once the other end has read all of it (writes on one
/// end run one at a time, so they do not interleave), or, if it failed
/// after the reader took part, that part's length. After this end's close
/// every operation fails with "io: read/write on closed pipe", as do
/// writes and deadlines once the other end is closed; closing twice is
/// harmless. A passed deadline fails with `read pipe: i/o timeout` or
/// `write pipe: i/o timeout`. Both addresses are [`PipeAddr`].
pub struct PipeConn {
    shared: Arc<Shared>,
    /// 0 or 1: which end this is. It writes into `offer[end]` and reads
    /// from `offer[1 - end]`.
    end: usize,
}

/// Creates a synchronous, in-memory, full-duplex pair of conns (Go's
/// `net.Pipe`): what one end writes, the other reads, with no buffering in
/// between. Each write blocks until the other end's reads have consumed all
/// of it. Both ends implement [`Conn`](crate::Conn), `Read` and `Write` (also through
/// `&PipeConn`), and honour deadlines.
///
/// ```
/// use std::io::Read;
/// gort::run(|| {
///     let (a, mut b) = gort::net::pipe();
///     let writer = gort::spawn(move || a.write(b"ping").unwrap());
///     let mut buf = [0u8; 8];
///     let n = b.read(&mut buf).unwrap();
///     assert_eq!(&buf[..n], b"ping");
///     assert_eq!(writer.join().unwrap(), 4); // returned once the read took it
/// });
/// ```
///
/// Unlike Go's, a zero-length write returns `Ok(0)` at once without meeting
/// a reader: in Rust a read that returns `Ok(0)` means end of file, so an
/// empty message cannot be delivered.
#[doc(alias = "Pipe")]
pub fn pipe() -> (PipeConn, PipeConn) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
    });
    (
        PipeConn {
            shared: shared.clone(),
            end: 0,
        },
        PipeConn { shared, end: 1 },
    )
}

/// What both ends share.
struct Shared {
    state: Mutex<State>,
}

/// The pipe's whole state; every field is read and written under
/// `Shared::state`'s lock.
#[derive(Default)]
struct State {
    /// `offer[e]`: the write end `e` has in progress, if any. Only end `e`'s
    /// writer puts it here and takes it away (so at most one write per end
    /// runs at a time, Go's `wrMu`); readers of the other end advance its
    /// `taken`.
    offer: [Option<Offer>; 2],
    /// `closed[e]`: end `e` was closed (Go's `localDone`/`remoteDone`).
    /// Never reset.
    closed: [bool; 2],
    read_deadline: [Option<Instant>; 2],
    write_deadline: [Option<Instant>; 2],
    /// Everyone sleeping on a change of this state. Drained by each change;
    /// a sleeper that wakes for another reason (its deadline) removes
    /// itself.
    sleepers: Vec<Sleeper>,
}

/// A buffer a writer lends to the readers of the other end.
struct Offer {
    /// The writer's buffer.
    ///
    /// Invariant: valid for reads of `len` bytes while this `Offer` sits in
    /// `State::offer`: the writer keeps its `&[u8]` borrowed and does not
    /// return (nor unwind: see `Withdraw`) before it has taken the offer
    /// back under the lock.
    ptr: *const u8,
    len: usize,
    /// Bytes readers have copied so far; `taken <= len`.
    taken: usize,
}

// SAFETY: an `Offer` is a borrowed `&[u8]` in disguise (see `ptr`), and
// `&[u8]` is `Send`; it is only touched under `Shared::state`'s lock.
unsafe impl Send for Offer {}

impl Offer {
    /// The bytes not yet taken.
    fn rest(&self) -> &[u8] {
        // SAFETY: `ptr`/`len` describe a live `&[u8]` while the offer is in
        // the state (the invariant on `ptr`), and we are reached only through
        // the state's lock, so the writer cannot take it back meanwhile.
        let all = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        &all[self.taken..]
    }
}

/// A goroutine or a thread asleep on the pipe.
enum Sleeper {
    Goroutine(Arc<ParkSlot>),
    Thread(std::thread::Thread),
}

impl Sleeper {
    fn wake(&self) {
        match self {
            Sleeper::Goroutine(slot) => slot.wake(),
            Sleeper::Thread(t) => t.unpark(),
        }
    }

    fn is(&self, other: &Sleeper) -> bool {
        match (self, other) {
            (Sleeper::Goroutine(a), Sleeper::Goroutine(b)) => Arc::ptr_eq(a, b),
            (Sleeper::Thread(a), Sleeper::Thread(b)) => a.id() == b.id(),
            _ => false,
        }
    }
}

/// Which deadline an operation obeys.
#[derive(Clone, Copy)]
enum Dir {
    Read,
    Write,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never leaves the state half-changed (each change is one
        // field store), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes every sleeper: the state changed.
    fn notify(&self, mut st: MutexGuard<'_, State>) {
        let sleepers = std::mem::take(&mut st.sleepers);
        drop(st);
        for s in sleepers {
            s.wake();
        }
    }

    /// Runs `step` under the lock until it returns `Some`, sleeping between
    /// tries until the state changes or end `end`'s deadline for `op`
    /// passes. `step` gets whether that deadline has passed.
    fn block<T>(
        &self,
        end: usize,
        dir: Dir,
        mut step: impl FnMut(&mut State, bool) -> Option<T>,
    ) -> T {
        let mut me: Option<Sleeper> = None;
        loop {
            let mut st = self.lock();
            if let Some(me) = me.take() {
                // Woken by the deadline or spuriously: still on the list.
                st.sleepers.retain(|s| !s.is(&me));
            }
            let deadline = match dir {
                Dir::Read => st.read_deadline[end],
                Dir::Write => st.write_deadline[end],
            };
            let expired = deadline.is_some_and(|d| Instant::now() >= d);
            if let Some(r) = step(&mut st, expired) {
                return r;
            }
            if gort_runtime::goid().is_some() {
                let slot = Arc::new(ParkSlot::new());
                st.sleepers.push(Sleeper::Goroutine(slot.clone()));
                drop(st);
                let timer = deadline.map(|d| {
                    let s = slot.clone();
                    let t = RawTimer::new(move |_| s.wake());
                    let left = d.saturating_duration_since(Instant::now());
                    let left = i64::try_from(left.as_nanos()).unwrap_or(i64::MAX);
                    t.reset(nanotime().saturating_add(left), 0);
                    t
                });
                // Shared through `Arc`s only (the sleeper list, the timer):
                // a waker that comes after a cancel finds nobody.
                slot.wait_cancellable(WaitReason::Select);
                if let Some(t) = timer {
                    t.stop();
                }
                me = Some(Sleeper::Goroutine(slot));
            } else {
                st.sleepers.push(Sleeper::Thread(std::thread::current()));
                drop(st);
                match deadline {
                    Some(d) => {
                        std::thread::park_timeout(d.saturating_duration_since(Instant::now()))
                    }
                    None => std::thread::park(),
                }
                me = Some(Sleeper::Thread(std::thread::current()));
            }
        }
    }
}

/// Takes a writer's offer back out of the state when the write ends, however
/// it ends (a panic included), so the readers never see a dangling buffer.
struct Withdraw<'a> {
    shared: &'a Shared,
    end: usize,
    /// Whether the offer is still published.
    armed: bool,
}

impl Withdraw<'_> {
    /// Removes the offer (the lock is held by the caller through `st`) and
    /// returns how many bytes readers took.
    fn take(&mut self, st: &mut State) -> usize {
        self.armed = false;
        st.offer[self.end].take().map_or(0, |o| o.taken)
    }
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.shared.lock();
            st.offer[self.end] = None;
            self.shared.notify(st);
        }
    }
}

impl PipeConn {
    fn peer(&self) -> usize {
        1 - self.end
    }

    fn timeout(op: Op) -> io::Error {
        OpError::new(op, "pipe", None, None, TimeoutError.into())
    }

    /// Go's `Read` (see [`PipeConn`]).
    fn pipe_read(&self, b: &mut [u8]) -> io::Result<usize> {
        let (me, peer) = (self.end, self.peer());
        let mut copied = None;
        let r = self.shared.block(me, Dir::Read, |st, expired| {
            if st.closed[me] {
                return Some(Err(closed_pipe()));
            }
            if st.closed[peer] {
                return Some(Ok(0));
            }
            if expired {
                return Some(Err(Self::timeout(Op::Read)));
            }
            if b.is_empty() {
                return Some(Ok(0));
            }
            // A used-up offer waits for its writer to take it back: there
            // is nothing to read from it.
            let offer = st.offer[peer].as_mut().filter(|o| o.taken < o.len)?;
            let rest = offer.rest();
            let n = rest.len().min(b.len());
            b[..n].copy_from_slice(&rest[..n]);
            offer.taken += n;
            copied = Some(offer.taken == offer.len);
            Some(Ok(n))
        });
        if copied == Some(true) {
            // The offer is used up: its writer may return.
            self.shared.notify(self.shared.lock());
        }
        r
    }

    /// Go's `Write` (see [`PipeConn`]).
    fn pipe_write(&self, b: &[u8]) -> io::Result<usize> {
        let (me, peer) = (self.end, self.peer());
        let check = |st: &State, expired: bool| -> Option<io::Error> {
            if st.closed[me] || st.closed[peer] {
                Some(closed_pipe())
            } else if expired {
                Some(Self::timeout(Op::Write))
            } else {
                None
            }
        };
        // Wait for this end's previous write to finish, then publish ours.
        let mut guard = Withdraw {
            shared: &self.shared,
            end: me,
            armed: false,
        };
        let published = self.shared.block(me, Dir::Write, |st, expired| {
            if let Some(e) = check(st, expired) {
                return Some(Err(e));
            }
            if b.is_empty() {
                return Some(Ok(false));
            }
            if st.offer[me].is_some() {
                return None;
            }
            st.offer[me] = Some(Offer {
                ptr: b.as_ptr(),
                len: b.len(),
                taken: 0,
            });
            guard.armed = true;
            Some(Ok(true))
        })?;
        if !published {
            return Ok(0);
        }
        self.shared.notify(self.shared.lock());
        // Wait until readers have taken it all, or the write fails.
        let r = self.shared.block(me, Dir::Write, |st, expired| {
            let done = st.offer[me].as_ref().is_some_and(|o| o.taken == o.len);
            if done {
                return Some(Ok(guard.take(st)));
            }
            let err = check(st, expired)?;
            match guard.take(st) {
                0 => Some(Err(err)),
                n => Some(Ok(n)),
            }
        });
        // The next write on this end may go.
        self.shared.notify(self.shared.lock());
        r
    }

    /// Go's `Close` (see [`PipeConn`]).
    fn pipe_close(&self) -> io::Result<()> {
        let mut st = self.shared.lock();
        st.closed[self.end] = true;
        self.shared.notify(st);
        Ok(())
    }

    fn set_deadlines(&self, read: bool, write: bool, t: Option<Instant>) -> io::Result<()> {
        let mut st = self.shared.lock();
        if st.closed[self.end] || st.closed[self.peer()] {
            return Err(closed_pipe());
        }
        if read {
            st.read_deadline[self.end] = t;
        }
        if write {
            st.write_deadline[self.end] = t;
        }
        // Sleepers re-read their deadline (and re-arm their timers).
        self.shared.notify(st);
        Ok(())
    }
}

impl ConnCore for PipeConn {
    type Addr = PipeAddr;
    fn core_read(&self, b: &mut [u8]) -> io::Result<usize> {
        self.pipe_read(b)
    }
    fn core_write(&self, b: &[u8]) -> io::Result<usize> {
        self.pipe_write(b)
    }
    fn core_close(&self) -> io::Result<()> {
        self.pipe_close()
    }
    fn core_local_addr(&self) -> PipeAddr {
        PipeAddr
    }
    fn core_remote_addr(&self) -> Option<PipeAddr> {
        Some(PipeAddr)
    }
    fn core_set_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.set_deadlines(true, true, t)
    }
    fn core_set_read_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.set_deadlines(true, false, t)
    }
    fn core_set_write_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.set_deadlines(false, true, t)
    }
}

conn_impls!(conn PipeConn, PipeAddr);

impl Drop for PipeConn {
    fn drop(&mut self) {
        let _ = self.pipe_close();
    }
}

impl fmt::Debug for PipeConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeConn").field("end", &self.end).finish()
    }
}
