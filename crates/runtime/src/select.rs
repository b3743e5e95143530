//! Mirrors Go src/runtime/select.go (go1.27): `selectgo`, which waits on several channel operations at once, and the `select!` macro in front of it.
//!
//! A `select!` turns each case into a small object ([`RecvCase`] or
//! [`SendCase`], erased to one trait object per case) and calls [`selectgo`],
//! which runs Go's algorithm:
//!
//! 1. Shuffle the cases into a random *poll order* (so no case starves).
//!    (gort first tries each case alone, in that order, and returns if one
//!    is ready: see `selectgo`. The steps below run when none was.)
//! 2. Sort the cases by channel address into a *lock order*, and lock every
//!    channel in it (a channel named twice is locked once).
//! 3. Take the first case, in poll order, that can proceed now: a parked
//!    peer, buffered data or room, or (receive) a closed channel. Otherwise,
//!    with a `default`, unlock and return.
//! 4. Otherwise queue a sudog on every channel, all pointing at one waiter,
//!    park once (the park's commit callback unlocks everything), and on
//!    wake-up lock everything again and take the other sudogs off their
//!    queues. The waker that woke us won a compare-and-swap on the waiter's
//!    `select_done` word, so exactly one case fires and the wakers that lose
//!    the race simply skip this waiter: no wake-up is lost or doubled.
//!
//! Go panics when a send case meets a closed channel; here the case fires
//! with `Err(SendError(value))`.

use std::ptr;

use crate::chan::{
    ChanLock, Hchan, Receiver, Recv, SendError, Sender, Sudog, TrySendError, WaitReason, Waiter,
    park_waiter,
};

/// Cases up to which `selectgo` keeps its orders on the stack.
const SMALL: usize = 8;

/// One case of a select, type-erased over its element type (Go's `scase`
/// plus the per-type parts of `selectgo`).
pub(crate) trait Case {
    /// The channel's lock.
    fn chan_lock(&self) -> &ChanLock;

    /// The channel's place in the lock order (Go's `sortkey`).
    fn sortkey(&self) -> usize;

    /// This case alone, without waiting (Go's `selectnbrecv` /
    /// `selectnbsend`: a receive or send that gives up instead of blocking,
    /// empty and full channels answered without the lock). True if the case
    /// fired.
    fn try_now(&mut self) -> bool;

    /// With every channel of the select locked: if this case can proceed
    /// now, does it, calls `unlock` (once, before waking anybody) and returns
    /// true; otherwise returns false with the locks still held.
    ///
    /// # Safety
    ///
    /// The caller holds this case's channel lock, and `unlock` releases it.
    unsafe fn poll(&mut self, unlock: &mut dyn FnMut()) -> bool;

    /// Queues this case's sudog for `w` on its channel.
    ///
    /// # Safety
    ///
    /// Under the channel lock. `w` and `self` stay in place until `finish`
    /// has been called, under the lock again, after `w` was woken.
    unsafe fn enqueue(&mut self, w: *const Waiter);

    /// After the wake-up, under the channel lock: whether this case's sudog
    /// is `winner` (the one a waker completed). If so it records the outcome;
    /// if not it takes the sudog off its queue (if a losing waker has not).
    ///
    /// # Safety
    ///
    /// `enqueue` was called, and the waiter has been woken.
    unsafe fn finish(&mut self, winner: usize) -> bool;

    /// For a dropped runtime's cancel of the parked select: takes this
    /// case's sudog off its queue, if a waker has not.
    ///
    /// # Safety
    ///
    /// Under the channel lock, after `enqueue`, with the waiter's
    /// `select_done` claimed by the caller, so no waker will complete it.
    unsafe fn withdraw(&self);
}

/// A type-erased case, as [`selectgo`] takes them. Made by `select!`.
#[doc(hidden)]
pub struct CaseRef<'a>(&'a mut (dyn Case + 'a));

/// A `recv(rx) -> v` case of `select!`. Not for direct use.
#[doc(hidden)]
pub struct RecvCase<'a, T> {
    c: &'a Hchan<T>,
    /// Queued while the select waits.
    sg: Option<Sudog<T>>,
    /// Where a value lands; stays `None` if the channel is closed.
    elem: Option<T>,
}

impl<'a, T: Send> RecvCase<'a, T> {
    /// A receive case on `rx`.
    pub fn new(rx: &'a Receiver<T>) -> RecvCase<'a, T> {
        RecvCase {
            c: rx.hchan(),
            sg: None,
            elem: None,
        }
    }

    /// This case, for [`selectgo`].
    pub fn case(&mut self) -> CaseRef<'_> {
        CaseRef(self)
    }

    /// The outcome once the case fired: the value, or `None` if the channel
    /// is closed.
    pub fn take(&mut self) -> Option<T> {
        self.elem.take()
    }
}

impl<T: Send> Case for RecvCase<'_, T> {
    fn chan_lock(&self) -> &ChanLock {
        self.c.chan_lock()
    }

    fn sortkey(&self) -> usize {
        self.c.sortkey()
    }

    fn try_now(&mut self) -> bool {
        match self.c.chanrecv(false) {
            Recv::Value(v) => {
                self.elem = Some(v);
                true
            }
            Recv::Closed => true,
            Recv::Empty => false,
        }
    }

    unsafe fn poll(&mut self, unlock: &mut dyn FnMut()) -> bool {
        let c = self.c;
        // SAFETY: the caller holds the lock.
        if let Some(sg) = unsafe { c.dequeue_sender() } {
            // Go's `recv:` label: take it from the parked sender.
            // SAFETY: dequeued under the lock that `unlock` releases.
            self.elem = Some(unsafe { c.recv(sg, unlock) });
            return true;
        }
        if c.has_buffered() {
            // Go's `bufrecv:`.
            // SAFETY: under the lock, with a value buffered.
            self.elem = Some(unsafe { c.buf_pop() });
            unlock();
            return true;
        }
        if c.closed_locked() {
            // Go's `rclose:`: fires with nothing.
            unlock();
            return true;
        }
        false
    }

    unsafe fn enqueue(&mut self, w: *const Waiter) {
        let elem = &raw mut self.elem;
        let sg: *const Sudog<T> = self.sg.insert(Sudog::new(elem, w, true));
        // SAFETY: under the lock; the caller keeps `self` in place.
        unsafe { self.c.enqueue(sg, false) };
    }

    unsafe fn finish(&mut self, winner: usize) -> bool {
        let Some(sg) = self.sg.as_ref() else {
            return false;
        };
        let sgp: *const Sudog<T> = sg;
        if sgp as usize == winner {
            // The sender filled `elem`, or close left it `None`.
            return true;
        }
        // SAFETY: under the lock; queued there by `enqueue`.
        unsafe { self.c.dequeue_sudog(sgp, false) };
        false
    }
    unsafe fn withdraw(&self) {
        if let Some(sg) = self.sg.as_ref() {
            // SAFETY: forwarded contract; queued there by `enqueue`.
            unsafe { self.c.dequeue_sudog(sg, false) };
        }
    }
}

/// A `send(tx, v) -> res` case of `select!`. Not for direct use.
#[doc(hidden)]
pub struct SendCase<'a, T> {
    c: &'a Hchan<T>,
    /// Queued while the select waits.
    sg: Option<Sudog<T>>,
    /// The value; taken when it is sent, left here if the channel closed.
    elem: Option<T>,
    sent: bool,
}

impl<'a, T: Send> SendCase<'a, T> {
    /// A case that sends `v` on `tx`.
    pub fn new(tx: &'a Sender<T>, v: T) -> SendCase<'a, T> {
        SendCase {
            c: tx.hchan(),
            sg: None,
            elem: Some(v),
            sent: false,
        }
    }

    /// This case, for [`selectgo`].
    pub fn case(&mut self) -> CaseRef<'_> {
        CaseRef(self)
    }

    /// The outcome once the case fired: sent, or the value back if the
    /// channel is closed.
    ///
    /// # Panics
    ///
    /// If called twice, or on a case that did not fire.
    pub fn take(&mut self) -> Result<(), SendError<T>> {
        if self.sent {
            return Ok(());
        }
        match self.elem.take() {
            Some(v) => Err(SendError(v)),
            None => panic!("select!: send case taken twice"),
        }
    }
}

impl<T: Send> Case for SendCase<'_, T> {
    fn chan_lock(&self) -> &ChanLock {
        self.c.chan_lock()
    }

    fn sortkey(&self) -> usize {
        self.c.sortkey()
    }

    fn try_now(&mut self) -> bool {
        let Some(v) = self.elem.take() else {
            unreachable!("select!: send case without a value")
        };
        match self.c.chansend(v, false) {
            Ok(()) => {
                self.sent = true;
                true
            }
            Err(TrySendError::Closed(v)) => {
                self.elem = Some(v);
                true
            }
            Err(TrySendError::Full(v)) => {
                self.elem = Some(v);
                false
            }
        }
    }

    unsafe fn poll(&mut self, unlock: &mut dyn FnMut()) -> bool {
        let c = self.c;
        if c.closed_locked() {
            // Go's `sclose:` (a panic in Go): fires with the value back.
            unlock();
            return true;
        }
        // SAFETY: the caller holds the lock.
        if let Some(sg) = unsafe { c.dequeue_receiver() } {
            // Go's `send:` label: straight into the parked receiver.
            let Some(v) = self.elem.take() else {
                unreachable!("select!: send case without a value")
            };
            // SAFETY: dequeued under the lock that `unlock` releases.
            unsafe { c.send(sg, v, unlock) };
            self.sent = true;
            return true;
        }
        if c.has_room() {
            // Go's `bufsend:`.
            let Some(v) = self.elem.take() else {
                unreachable!("select!: send case without a value")
            };
            // SAFETY: under the lock, with room.
            unsafe { c.buf_push(v) };
            unlock();
            self.sent = true;
            return true;
        }
        false
    }

    unsafe fn enqueue(&mut self, w: *const Waiter) {
        let elem = &raw mut self.elem;
        let sg: *const Sudog<T> = self.sg.insert(Sudog::new(elem, w, true));
        // SAFETY: under the lock; the caller keeps `self` in place.
        unsafe { self.c.enqueue(sg, true) };
    }

    unsafe fn finish(&mut self, winner: usize) -> bool {
        let Some(sg) = self.sg.as_ref() else {
            return false;
        };
        let sgp: *const Sudog<T> = sg;
        if sgp as usize == winner {
            // A receiver took the value, or close left it with us.
            self.sent = sg.success();
            return true;
        }
        // SAFETY: under the lock; queued there by `enqueue`.
        unsafe { self.c.dequeue_sudog(sgp, true) };
        false
    }
    unsafe fn withdraw(&self) {
        if let Some(sg) = self.sg.as_ref() {
            // SAFETY: forwarded contract; queued there by `enqueue`.
            unsafe { self.c.dequeue_sudog(sg, true) };
        }
    }
}

// ANCHOR: sellock
/// Go's `sellock`: takes each distinct lock, in lock order.
fn sellock(locks: &[*const ChanLock]) {
    for &l in locks {
        // SAFETY: the locks belong to channels the select's cases borrow.
        unsafe { &*l }.lock();
    }
}

/// Go's `selunlock`: releases them in reverse order.
fn selunlock(locks: &[*const ChanLock]) {
    for &l in locks.iter().rev() {
        // SAFETY: as in `sellock`; the select holds every one of them.
        unsafe { (*l).unlock() };
    }
}
// ANCHOR_END: sellock

/// A random number below `n` (Go's `cheaprandn`: multiply and shift, no
/// division), from the current thread's generator. Not inlined, so the
/// thread-local's address is never computed in `selectgo` itself (a
/// habit from before goroutines were pinned to their threads, kept because
/// it costs nothing).
#[cfg(not(loom))]
#[inline(never)]
fn cheaprandn(n: usize) -> usize {
    ((u64::from(crate::proc::cheaprand()) * n as u64) >> 32) as usize
}

/// Under loom: a fixed order (the models pick their interleavings instead).
#[cfg(loom)]
fn cheaprandn(_n: usize) -> usize {
    0
}

// ANCHOR: selectgo
/// Go's `selectgo`: runs one select over `cases` and returns the index of
/// the case that fired, or `None` if none could proceed and `block` is false
/// (the `default` case). Called by [`select!`](crate::select!).
#[doc(hidden)]
pub fn selectgo(cases: &mut [CaseRef<'_>], block: bool) -> Option<usize> {
    let n = cases.len();
    if n == 0 {
        if block {
            block_forever();
        }
        return None;
    }
    assert!(n <= usize::from(u16::MAX), "select!: too many cases");

    let mut small = [0u16; 2 * SMALL];
    let mut big;
    let order = if n <= SMALL {
        &mut small[..2 * n]
    } else {
        big = vec![0u16; 2 * n];
        &mut big[..]
    };
    let (pollorder, lockorder) = order.split_at_mut(n);

    // A random permutation, built by inserting each case at a random place
    // (Go's inside-out shuffle).
    for i in 0..n {
        let j = if i == 0 { 0 } else { cheaprandn(i + 1) };
        pollorder[i] = pollorder[j];
        pollorder[j] = i as u16;
    }

    // Fast path, not in Go's selectgo: try each case alone, in poll order.
    // The first ready one fires with only its own channel locked, and empty
    // or full channels are passed over without any lock. This picks the same
    // case the locked pass below would (the first ready in a random order);
    // only "nothing is ready" needs every lock, to be true at one instant,
    // so that answer is always confirmed under the locks. (Go compiles a
    // one-case select with default into exactly this non-blocking call.)
    for &i in pollorder.iter() {
        let i = usize::from(i);
        if cases[i].0.try_now() {
            return Some(i);
        }
    }
    if n == 1 && !block {
        return None;
    }
    selectgo_locked(cases, pollorder, lockorder, block)
}
// ANCHOR_END: selectgo

// ANCHOR: selectgo_locked
/// The rest of Go's `selectgo`, with every channel locked.
#[inline(never)]
fn selectgo_locked(
    cases: &mut [CaseRef<'_>],
    pollorder: &[u16],
    lockorder: &mut [u16],
    block: bool,
) -> Option<usize> {
    let n = cases.len();
    // Lock order: by channel address, so that two selects never lock two
    // channels in opposite orders. (Go heap-sorts in place; `sort_unstable`
    // does not allocate either.)
    lockorder.copy_from_slice(pollorder);
    lockorder.sort_unstable_by_key(|&i| cases[usize::from(i)].0.sortkey());
    let mut small = [ptr::null::<ChanLock>(); SMALL];
    let mut big;
    let locks = if n <= SMALL {
        &mut small[..n]
    } else {
        big = vec![ptr::null::<ChanLock>(); n];
        &mut big[..]
    };
    let mut nlocks = 0;
    for &i in lockorder.iter() {
        let l = ptr::from_ref(cases[usize::from(i)].0.chan_lock());
        if nlocks == 0 || locks[nlocks - 1] != l {
            locks[nlocks] = l;
            nlocks += 1;
        }
    }
    let locks = &locks[..nlocks];

    sellock(locks);

    // Pass 1: the first case, in poll order, that can proceed now.
    let mut unlock_all = || selunlock(locks);
    for &i in pollorder.iter() {
        let i = usize::from(i);
        // SAFETY: every channel is locked, and `unlock_all` unlocks them.
        if unsafe { cases[i].0.poll(&mut unlock_all) } {
            return Some(i);
        }
    }
    if !block {
        selunlock(locks);
        return None;
    }

    // Pass 2: queue on every channel and park once.
    let w = Waiter::new();
    for &i in lockorder.iter() {
        // SAFETY: every channel is locked; `w` and the cases stay in this
        // frame (and the caller's) until pass 3 is done.
        unsafe { cases[usize::from(i)].0.enqueue(&w) };
    }
    // A dropped runtime's cancel: claim the select as a waker would, under
    // every lock, and take every sudog back; or find that a waker won.
    let cancel = || {
        sellock(locks);
        let won = w.claim_select();
        if won {
            for &i in lockorder.iter() {
                // SAFETY: every channel is locked, each case was enqueued in
                // pass 2, and we hold the claim.
                unsafe { cases[usize::from(i)].0.withdraw() };
            }
        }
        selunlock(locks);
        won
    };
    park_waiter(&w, WaitReason::Select, || selunlock(locks), &cancel);

    // Pass 3: one case completed; dequeue from the others, under the locks
    // again so no waker is still looking at them.
    sellock(locks);
    let winner = w.param();
    let mut chosen = None;
    for &i in lockorder.iter() {
        let i = usize::from(i);
        // SAFETY: enqueued in pass 2, woken, and every channel is locked.
        if unsafe { cases[i].0.finish(winner) } {
            chosen = Some(i);
        }
    }
    selunlock(locks);
    if chosen.is_none() {
        fatal("runtime: selectgo: bad wakeup");
    }
    chosen
}
// ANCHOR_END: selectgo_locked

/// A select with no cases blocks forever (Go's `block`): the goroutine stays
/// parked, a thread stays blocked.
fn block_forever() -> ! {
    let w = Waiter::new();
    // Nobody can find this waiter, so nothing needs withdrawing.
    park_waiter(&w, WaitReason::Select, || {}, &|| true);
    fatal("runtime: empty select woke up")
}

#[cfg(not(loom))]
fn fatal(msg: &str) -> ! {
    crate::proc::fatal(msg)
}

#[cfg(loom)]
fn fatal(msg: &str) -> ! {
    panic!("{msg}")
}

/// Waits on several channel operations and runs the arm of the one that
/// happens first (Go's `select` statement).
///
/// ```text
/// select! {
///     recv(rx) -> v => { /* v: Option<T>; None if rx is closed */ },
///     send(tx, value) -> res => { /* res: Result<(), SendError<T>> */ },
///     default => { /* nothing was ready */ },
/// }
/// ```
///
/// Any number of `recv` and `send` cases, in any order, and at most one
/// `default`. Each arm's body is an expression (a block, or an expression
/// followed by a comma); the chosen arm's value is the value of the whole
/// `select!`, and `break`, `continue`, `return` and `?` in a body act on the
/// code around the `select!`.
///
/// As in Go, every channel expression and every value to send is evaluated
/// once, in order, before anything else; then, if several cases can proceed,
/// one is picked uniformly at random, so none starves. Without `default`,
/// the select waits (parking the goroutine, or blocking a plain thread)
/// until one case can proceed; with it, it returns at once. A `recv` case on
/// a closed channel fires with `None`; a `send` case on a closed channel
/// fires with `Err(SendError(value))` (Go panics). A send case's value is
/// dropped if another case fires. A select with no cases waits forever.
///
/// A timer is a `recv` case on [`time::after`](crate::time::after), a
/// cancellation a `recv` on a context's `done()` channel:
///
/// ```
/// use gort_runtime::{chan, select};
/// gort_runtime::run(|| {
///     let (tx, rx) = chan::bounded::<u32>(1);
///     let (done_tx, done) = chan::bounded::<()>(0);
///     tx.send(7).unwrap();
///     let got = select! {
///         recv(rx) -> v => v,
///         recv(done) -> _ => None,
///     };
///     assert_eq!(got, Some(7));
///     // Nothing ready: `default` runs.
///     let idle = select! {
///         recv(rx) -> _ => false,
///         default => true,
///     };
///     assert!(idle);
///     // A send case, and a closed channel.
///     drop(done_tx);
///     let res = select! {
///         send(tx, 8) -> res => res.is_ok(),
///     };
///     assert!(res);
///     assert_eq!(select! { recv(done) -> v => v }, None);
/// });
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__select_parse!([] [] $($tokens)*)
    };
}

/// Parses `select!`'s cases into `(recv (rx) (pat) (body))` /
/// `(send (tx) (value) (pat) (body))` groups and the optional default body.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // Everything parsed.
    ([$($cases:tt)*] [$($default:tt)*]) => {
        $crate::__select_emit!([$($cases)*] [] [$($default)*])
    };
    // A comma after a block body.
    ([$($cases:tt)*] [$($default:tt)*] , $($rest:tt)*) => {
        $crate::__select_parse!([$($cases)*] [$($default)*] $($rest)*)
    };
    ([$($cases:tt)*] [$($default:tt)*] recv($r:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__select_parse!([$($cases)* (recv ($r) ($p) ($body))] [$($default)*] $($rest)*)
    };
    ([$($cases:tt)*] [$($default:tt)*] recv($r:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select_parse!([$($cases)* (recv ($r) ($p) ($body))] [$($default)*] $($($rest)*)?)
    };
    ([$($cases:tt)*] [$($default:tt)*] send($s:expr, $v:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__select_parse!([$($cases)* (send ($s) ($v) ($p) ($body))] [$($default)*] $($rest)*)
    };
    ([$($cases:tt)*] [$($default:tt)*] send($s:expr, $v:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select_parse!([$($cases)* (send ($s) ($v) ($p) ($body))] [$($default)*] $($($rest)*)?)
    };
    ([$($cases:tt)*] [] default => $body:block $($rest:tt)*) => {
        $crate::__select_parse!([$($cases)*] [($body)] $($rest)*)
    };
    ([$($cases:tt)*] [] default => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select_parse!([$($cases)*] [($body)] $($($rest)*)?)
    };
    ([$($cases:tt)*] [$($default:tt)+] default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` case")
    };
    ([$($cases:tt)*] [$($default:tt)*] $($rest:tt)+) => {
        ::core::compile_error!(
            "select!: expected `recv(rx) -> pat => body`, `send(tx, value) -> pat => body` or `default => body`"
        )
    };
}

/// Binds one case object per case (each in its own nested block, so each
/// gets a distinct hygienic name), then calls `selectgo` and dispatches.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_emit {
    ([(recv ($r:expr) ($p:pat) ($body:expr)) $($rest:tt)*] [$($done:tt)*] [$($default:tt)*]) => {{
        let __select_chan: &$crate::chan::Receiver<_> = &$r;
        let mut __select_case = $crate::select::RecvCase::new(__select_chan);
        $crate::__select_emit!([$($rest)*] [$($done)* (__select_case ($p) ($body))] [$($default)*])
    }};
    ([(send ($s:expr) ($v:expr) ($p:pat) ($body:expr)) $($rest:tt)*] [$($done:tt)*] [$($default:tt)*]) => {{
        let __select_chan: &$crate::chan::Sender<_> = &$s;
        let mut __select_case = $crate::select::SendCase::new(__select_chan, $v);
        $crate::__select_emit!([$($rest)*] [$($done)* (__select_case ($p) ($body))] [$($default)*])
    }};
    ([] [$(($case:ident ($p:pat) ($body:expr)))*] []) => {{
        let __select_chosen = $crate::select::selectgo(&mut [$($case.case()),*], true);
        $crate::__select_dispatch!(__select_chosen [$(($case ($p) ($body)))*] [])
    }};
    ([] [$(($case:ident ($p:pat) ($body:expr)))*] [($default:expr)]) => {{
        let __select_chosen = $crate::select::selectgo(&mut [$($case.case()),*], false);
        $crate::__select_dispatch!(__select_chosen [$(($case ($p) ($body)))*] [($default)])
    }};
}

/// Runs the arm of the chosen case: counts down through the cases in source
/// order; `None` reaches the default.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_dispatch {
    ($chosen:ident [($case:ident ($p:pat) ($body:expr)) $($rest:tt)*] [$($default:tt)*]) => {
        if $chosen == ::core::option::Option::Some(0) {
            let $p = $case.take();
            $body
        } else {
            let $chosen = $chosen.map(|i: usize| i - 1);
            $crate::__select_dispatch!($chosen [$($rest)*] [$($default)*])
        }
    };
    ($chosen:ident [] [($default:expr)]) => {
        $default
    };
    ($chosen:ident [] []) => {
        ::core::unreachable!("select!: no case fired")
    };
}
