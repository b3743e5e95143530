//! Mirrors Go src/runtime/chan.go (go1.27): channels, with Go's `hchan`, its wait queues of `sudog`s and the direct hand-off between a sender and a parked receiver.
//!
//! A channel is one `Hchan` behind an `Arc`, shared by every [`Sender`]
//! and [`Receiver`] clone. As in Go, everything happens under the channel's
//! lock: a ring buffer of `cap` slots, a queue of parked receivers (`recvq`)
//! and one of parked senders (`sendq`), and the `closed` flag. A sender that
//! finds a parked receiver writes the value straight into the receiver's own
//! stack slot and wakes it (no trip through the buffer); a receiver that
//! finds a parked sender takes its value, or, when the buffer is full, takes
//! the oldest buffered value and moves the sender's value into the freed slot
//! so FIFO order holds. Only when neither is possible does the caller queue a
//! `Sudog` (living on its own stack) and park.
//!
//! A goroutine waits with `gopark` (its thread runs other goroutines): the
//! park's commit callback, on the scheduler stack after the goroutine's
//! registers are saved, records the goroutine in the sudog's waiter and
//! releases the channel lock, as Go's `chanparkcommit` does; a waker that
//! later dequeues the sudog readies it with `goready`. A plain OS thread
//! outside the runtime (or a goroutine inside `blocking`) unlocks and sleeps
//! on the waiter's [`ParkSlot`] instead, the same park/ready word as `join`
//! and semaphores. Wakers always drop the lock before they ready anybody.
//!
//! `select!` (see [`mod@crate::select`]) uses the same queues: it puts one sudog
//! per case on every channel it waits for, all sharing one waiter, and the
//! first waker to win a compare-and-swap on that waiter's `select_done` word
//! takes it; later wakers skip its other sudogs.
//!
//! Where gort differs from Go, so that channels behave as Rust users expect:
//!
//! * `send` on a closed channel returns [`SendError`] carrying the value back
//!   (Go panics); `close` of a closed channel does nothing (Go panics).
//! * Dropping the last [`Sender`] closes the channel, so `for v in &rx` ends.
//!   Dropping the last [`Receiver`] closes it too: later and blocked sends fail
//!   and hand their value back, instead of blocking forever.
//! * Values still buffered when the last handle goes are dropped with the
//!   channel.
//!
//! Under `--cfg loom` the same code is compiled against loom's atomics and a
//! loom mutex, and every waiter is a thread on its `ParkSlot`; the models at
//! the end check the hand-off, close racing blocked waiters, and `select`.

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::Arc;

use crate::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};
use crate::park::ParkSlot;
#[cfg(not(loom))]
pub(crate) use crate::runtime2::WaitReason;

/// Stand-in for the runtime's `WaitReason` in loom models (no scheduler).
#[cfg(loom)]
#[derive(Clone, Copy, Debug)]
#[allow(dead_code)] // the reasons only label parks; loom threads ignore them
pub(crate) enum WaitReason {
    ChanReceive,
    ChanSend,
    Select,
}

// ---------------------------------------------------------------------------
// The channel lock.

/// The lock of one channel (Go's `hchan.lock`, a runtime `mutex`).
///
/// It is taken and released by hand rather than through a guard, because a
/// parking goroutine hands its release to the scheduler (the park's commit
/// callback runs it on g0) and `select` holds several at once.
///
/// Go's runtime lock spins a little (four rounds of 30 `PAUSE`s, then one
/// `sched_yield`) before it sleeps on a futex. A channel's critical sections
/// are a few dozen instructions and never span a park, so this lock keeps
/// the spinning (backing off further each round) and the yields, and never
/// sleeps; in exchange, `unlock` is a plain store rather than a
/// read-modify-write that must look for sleepers. A thread never parks on
/// it, so even a timer callback on the scheduler stack may take it.
#[cfg(not(loom))]
pub(crate) struct ChanLock {
    /// Whether the lock is held. The winning CAS is Acquire and `unlock`'s
    /// store Release: what one holder wrote happens-before the next holder's
    /// reads.
    locked: std::sync::atomic::AtomicBool,
}

#[cfg(not(loom))]
impl ChanLock {
    /// Go's `active_spin`: rounds of busy waiting before yielding the thread.
    const ACTIVE_SPIN: u32 = 4;
    /// Go's `active_spin_cnt`: `PAUSE`s in the first round. Unlike Go, each
    /// further round doubles it (30, 60, 120, 240): a waiter that keeps
    /// losing backs off, so the holder's core can finish a run of operations
    /// without the line being pulled away. On the 2-core development machine
    /// (a `PAUSE` is about 10 ns) this halves the cost of a contended
    /// producer/consumer channel (`ChanProdCons10`: about 100 → 55 ns), at
    /// the price of a waiter noticing a release up to one round (≤ 2.4 µs)
    /// late.
    const ACTIVE_SPIN_CNT: u32 = 30;

    fn new() -> ChanLock {
        ChanLock {
            locked: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Takes the lock (Go's `lock(&c.lock)`).
    #[inline]
    pub(crate) fn lock(&self) {
        use std::sync::atomic::Ordering;
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
    }

    /// Contended: spin, then yield the thread between attempts, trying the
    /// CAS only when the lock looks free (so spinners only read the line
    /// while it is held).
    #[cold]
    fn lock_slow(&self) {
        use std::sync::atomic::Ordering;
        let mut round = 0;
        loop {
            // Relaxed: only a hint; the CAS below decides.
            while self.locked.load(Ordering::Relaxed) {
                if round < Self::ACTIVE_SPIN {
                    for _ in 0..Self::ACTIVE_SPIN_CNT << round {
                        std::hint::spin_loop();
                    }
                    round += 1;
                } else {
                    std::thread::yield_now();
                }
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }

    /// Releases the lock (Go's `unlock(&c.lock)`).
    ///
    /// # Safety
    ///
    /// The caller's operation holds the lock (it may have been taken on this
    /// thread by the goroutine now parking).
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        // Release: pairs with the next holder's Acquire CAS.
        self.locked
            .store(false, std::sync::atomic::Ordering::Release);
    }
}

/// Under loom: a loom mutex whose guard is parked inside the lock between
/// `lock` and `unlock`, so the model checker sees a real blocking lock.
#[cfg(loom)]
pub(crate) struct ChanLock {
    mutex: loom::sync::Mutex<()>,
    /// The holder's guard and thread; touched only by the holder.
    guard: UnsafeCell<Option<(loom::sync::MutexGuard<'static, ()>, loom::thread::ThreadId)>>,
}

#[cfg(loom)]
impl ChanLock {
    fn new() -> ChanLock {
        ChanLock {
            mutex: loom::sync::Mutex::new(()),
            guard: UnsafeCell::new(None),
        }
    }

    pub(crate) fn lock(&self) {
        let g = self.mutex.lock().unwrap();
        // SAFETY: the guard borrows `self.mutex`; `unlock` drops it, and every
        // lock is released before the channel can be freed.
        let g: loom::sync::MutexGuard<'static, ()> = unsafe { std::mem::transmute(g) };
        // SAFETY: we hold the mutex, so nobody else touches `guard`.
        let old = unsafe { (*self.guard.get()).replace((g, loom::thread::current().id())) };
        assert!(old.is_none(), "ChanLock: guard left behind");
    }

    /// # Safety
    ///
    /// The caller's operation holds the lock.
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: we hold the mutex, so nobody else touches `guard`.
        let held = unsafe { (*self.guard.get()).take() };
        match held {
            Some((g, owner)) => {
                assert_eq!(
                    owner,
                    loom::thread::current().id(),
                    "ChanLock: unlocked by another thread"
                );
                drop(g);
            }
            None => panic!("ChanLock: unlock of an unlocked channel"),
        }
    }
}

// ---------------------------------------------------------------------------
// Waiters and sudogs.

// ANCHOR: Waiter
/// The part of a blocked goroutine (Go's `g`) that channels touch: who to
/// wake, `selectDone` and `param`. Lives on the waiter's stack; one per
/// blocking operation, shared by all the sudogs of one `select`. It is woken
/// exactly once, by whoever dequeued (and, for a select, won) one of its
/// sudogs.
pub(crate) struct Waiter {
    /// The parked goroutine (Go's `sudog.g`, as `Gp::as_usize`), or 0 for an
    /// OS thread, which sleeps on `slot` instead. Stored by the park's commit
    /// callback while the channel lock(s) are still held, and read by a waker
    /// that dequeued a sudog under one of those locks: the lock orders the
    /// two, and the goroutine is fully parked by then, so the waker can
    /// `goready` it directly, as Go does.
    #[cfg_attr(loom, allow(dead_code))] // loom waiters are all threads
    g: Cell<usize>,
    /// A thread waiter's wake-up word.
    slot: ParkSlot,
    /// Go's `g.selectDone`: 0 until a waker claims this select, then 1.
    select_done: AtomicU32,
    /// Go's `g.param`: the address of the sudog that completed. Relaxed both
    /// ways: the waker stores it before it readies the waiter (`goready`,
    /// or the AcqRel transitions of `slot`), which orders the store before
    /// the waiter's load once it runs again.
    param: AtomicUsize,
}
// ANCHOR_END: Waiter

impl Waiter {
    pub(crate) fn new() -> Waiter {
        Waiter {
            g: Cell::new(0),
            slot: ParkSlot::new(),
            select_done: AtomicU32::new(0),
            param: AtomicUsize::new(0),
        }
    }

    /// The sudog whose completion woke this waiter (Go's `gp.param`).
    pub(crate) fn param(&self) -> usize {
        self.param.load(Ordering::Relaxed)
    }

    /// Claims this select as a waker does in `dequeue` (`select_done` 0 → 1);
    /// false if a waker got there first. Relaxed for the same reason.
    pub(crate) fn claim_select(&self) -> bool {
        self.select_done
            .compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

// ANCHOR: sudog
/// A waiter's place in one channel's queue (Go's `sudog`): which waiter, and
/// where its element goes to (a receive) or comes from (a send).
///
/// Ownership: the sudog lives on its owner's stack (or in a `select!` case)
/// and stays there until the owner has been woken *and* has taken every
/// channel lock it was queued under again (or, for a plain send/receive, until
/// it is woken, since a waker dequeues it first). The links are touched only
/// under the lock of the channel it is queued on; `elem` and `success` by the
/// one waker that dequeued it, before it wakes the owner.
pub(crate) struct Sudog<T> {
    next: Cell<*const Sudog<T>>,
    prev: Cell<*const Sudog<T>>,
    /// A receive: an empty `Option` the sender fills. A send: the `Some`
    /// value the receiver takes (left in place if the channel closes).
    elem: *mut Option<T>,
    waiter: *const Waiter,
    /// Go's `isSelect`: claim it through `waiter.select_done` first.
    is_select: bool,
    /// Go's `success`: true if the element moved, false if the channel closed.
    success: Cell<bool>,
}
// ANCHOR_END: sudog

impl<T> Sudog<T> {
    pub(crate) fn new(elem: *mut Option<T>, waiter: *const Waiter, is_select: bool) -> Sudog<T> {
        Sudog {
            next: Cell::new(ptr::null()),
            prev: Cell::new(ptr::null()),
            elem,
            waiter,
            is_select,
            success: Cell::new(false),
        }
    }

    /// Whether the element moved (true) or the channel closed (false); valid
    /// once the owner has been woken for this sudog.
    pub(crate) fn success(&self) -> bool {
        self.success.get()
    }
}

/// A queue of sudogs (Go's `waitq`), linked through the sudogs themselves.
/// Touched only under the channel lock, except `first`, which the lock-free
/// fast paths read (Go's `atomic.Loadp(&c.sendq.first)`).
#[repr(C)]
struct WaitQ<T> {
    /// Stores (under the lock) are Release and the fast paths' loads Acquire,
    /// so a fast path that sees the queue emptied by `closechan` also sees
    /// `closed`, which was set before it (see `Hchan::empty`).
    first: AtomicPtr<Sudog<T>>,
    last: Cell<*const Sudog<T>>,
}

impl<T> WaitQ<T> {
    fn new() -> WaitQ<T> {
        WaitQ {
            first: AtomicPtr::new(ptr::null_mut()),
            last: Cell::new(ptr::null()),
        }
    }

    fn set_first(&self, sg: *const Sudog<T>) {
        self.first.store(sg.cast_mut(), Ordering::Release);
    }

    /// Appends `sgp` (Go's `enqueue`).
    ///
    /// # Safety
    ///
    /// Under the channel lock; `sgp` is alive and in no queue until it is
    /// dequeued.
    unsafe fn enqueue(&self, sgp: *const Sudog<T>) {
        // SAFETY: the caller's contract.
        let sg = unsafe { &*sgp };
        sg.next.set(ptr::null());
        let x = self.last.get();
        if x.is_null() {
            sg.prev.set(ptr::null());
            self.set_first(sgp);
            self.last.set(sgp);
            return;
        }
        sg.prev.set(x);
        // SAFETY: `x` is queued here, so alive (see `Sudog`).
        unsafe { &*x }.next.set(sgp);
        self.last.set(sgp);
    }

    // ANCHOR: dequeue
    /// Removes and returns the first sudog that may still be completed (Go's
    /// `dequeue`): a select's sudog counts only if this call wins its
    /// waiter's `select_done`; the others are dropped from the queue, and
    /// their owner, waking for another case, finds them already gone.
    ///
    /// # Safety
    ///
    /// Under the channel lock.
    unsafe fn dequeue(&self) -> Option<*const Sudog<T>> {
        loop {
            let sgp = self.first.load(Ordering::Relaxed).cast_const();
            if sgp.is_null() {
                return None;
            }
            // SAFETY: queued sudogs are alive (see `Sudog`).
            let sg = unsafe { &*sgp };
            let y = sg.next.get();
            if y.is_null() {
                self.set_first(ptr::null());
                self.last.set(ptr::null());
            } else {
                // SAFETY: as above.
                unsafe { &*y }.prev.set(ptr::null());
                self.set_first(y);
                // Unlinked now: prev and next null and not first, which is how
                // `dequeue_sudog` recognises a sudog that is already gone.
                sg.next.set(ptr::null());
            }
            if sg.is_select {
                // SAFETY: the waiter outlives its queued sudogs.
                let w = unsafe { &*sg.waiter };
                // Relaxed: only atomicity matters, so that one waker wins.
                // Everything the winner then writes reaches the waiter through
                // its park slot; losers touch nothing more, and the waiter's
                // teardown takes this channel's lock before the sudog goes.
                if w.select_done
                    .compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
            }
            return Some(sgp);
        }
    }
    // ANCHOR_END: dequeue

    /// Removes `sgp` wherever it is and returns true, or does nothing and
    /// returns false if a waker already took it off (Go's `dequeueSudoG`).
    ///
    /// # Safety
    ///
    /// Under the channel lock; `sgp` was queued here and is alive.
    unsafe fn dequeue_sudog(&self, sgp: *const Sudog<T>) -> bool {
        // SAFETY: the caller's contract; its neighbours are queued, so alive.
        unsafe {
            let sg = &*sgp;
            let x = sg.prev.get();
            let y = sg.next.get();
            if !x.is_null() {
                if !y.is_null() {
                    (*x).next.set(y);
                    (*y).prev.set(x);
                    sg.next.set(ptr::null());
                    sg.prev.set(ptr::null());
                    return true;
                }
                (*x).next.set(ptr::null());
                self.last.set(x);
                sg.prev.set(ptr::null());
                return true;
            }
            if !y.is_null() {
                (*y).prev.set(ptr::null());
                self.set_first(y);
                sg.next.set(ptr::null());
                return true;
            }
            if self.first.load(Ordering::Relaxed).cast_const() == sgp {
                self.set_first(ptr::null());
                self.last.set(ptr::null());
                return true;
            }
            false
        }
    }
}

// ---------------------------------------------------------------------------
// Parking and waking.

// ANCHOR: chanparkcommit
/// Parks the caller until a waker readies it. `unlock` releases the channel
/// lock(s) under which the caller queued its sudog(s): for a goroutine it
/// runs on g0 after the goroutine's context is saved and after the goroutine
/// is published in `w.g` (Go's `chanparkcommit` / `selparkcommit`), so a
/// waker on another thread can ready it at once; a thread outside the
/// runtime (or inside `blocking`) runs it and then sleeps on `w.slot`.
///
/// `cancel` is the park's withdrawal for a dropped runtime (see
/// `proc::try_gopark_cancel`): it takes the channel lock(s) again and
/// dequeues the sudog(s), if no waker has.
#[cfg(not(loom))]
pub(crate) fn park_waiter(
    w: &Waiter,
    reason: WaitReason,
    unlock: impl FnOnce(),
    cancel: &dyn Fn() -> bool,
) {
    let mut unlock = Some(unlock);
    let parked = crate::proc::try_gopark_cancel(
        |gp| {
            w.g.set(gp.as_usize());
            if let Some(unlock) = unlock.take() {
                unlock();
            }
            true
        },
        reason,
        Some(cancel),
    );
    if parked.is_none() {
        if let Some(unlock) = unlock.take() {
            unlock();
        }
        w.slot.wait(reason);
    }
}
// ANCHOR_END: chanparkcommit

/// Under loom: the thread-waiter path, on the same [`ParkSlot`] states. The
/// token is an `Arc` of a loom `Notify` (as the runtime's thread tokens are
/// an `Arc<Thread>`), rather than a loom thread to unpark: loom's `unpark`
/// also wakes a thread blocked on a mutex, which std's never does, and a
/// waker's unpark can land after the waiter has seen its wake-up and moved
/// on to take a channel lock.
#[cfg(loom)]
pub(crate) fn park_waiter(
    w: &Waiter,
    _reason: WaitReason,
    unlock: impl FnOnce(),
    _cancel: &dyn Fn() -> bool,
) {
    let slot = &w.slot;
    let notify = Arc::new(loom::sync::Notify::new());
    let me = Arc::into_raw(notify.clone()) as usize;
    let pending = slot.prepare();
    let committed = slot.commit(me);
    assert!(!pending && committed, "runtime: channel waiter woken early");
    unlock();
    while slot.is_parked(me) {
        notify.wait();
    }
    slot.finish();
}

// ANCHOR: ready_sudog
/// Wakes the owner of a dequeued sudog after publishing its outcome (the tail
/// of Go's `send`/`recv` and `closechan`: `gp.param = sg; sg.success = ...;
/// goready(gp)`). The sudog and its waiter may be gone once this returns.
///
/// # Safety
///
/// The caller dequeued `sgp` (winning its select, if it is one) and has
/// released the channel lock(s); this is the only wake for it.
pub(crate) unsafe fn ready_sudog<T>(sgp: *const Sudog<T>, success: bool) {
    // SAFETY: the owner cannot return before the wake below.
    let (sg, w) = unsafe { (&*sgp, &*(*sgp).waiter) };
    sg.success.set(success);
    w.param.store(sgp as usize, Ordering::Relaxed);
    // SAFETY: forwarded contract: the only wake of this waiter.
    unsafe { wake_waiter(w) };
}

/// Readies a parked waiter: its goroutine, or its thread's park slot.
///
/// # Safety
///
/// The only wake for this park; `w` may be gone once it returns.
#[cfg(not(loom))]
unsafe fn wake_waiter(w: &Waiter) {
    let g = w.g.get();
    if g != 0 {
        // SAFETY: `g` was published by the park's commit callback, and this
        // is the one goready for that park.
        unsafe { crate::proc::goready(crate::runtime2::Gp::from_usize(g)) };
    } else {
        w.slot.wake();
    }
}
// ANCHOR_END: ready_sudog

/// # Safety
///
/// As above.
#[cfg(loom)]
unsafe fn wake_waiter(w: &Waiter) {
    if let Some(token) = w.slot.unblock(true) {
        // SAFETY: loom tokens are `Arc<Notify>` pointers made by
        // `park_waiter`, and `unblock` handed this one's ownership to us.
        let notify = unsafe { Arc::from_raw(token as *const loom::sync::Notify) };
        notify.notify();
    }
}

// ---------------------------------------------------------------------------
// hchan.

/// What a receive found (Go's `selected, received` pair).
pub(crate) enum Recv<T> {
    /// A value.
    Value(T),
    /// The channel is closed and drained.
    Closed,
    /// Nothing to receive and the caller would not block.
    Empty,
}

// ANCHOR: hchan
/// A channel (Go's `hchan`).
///
/// Laid out for the contended case: everything an operation writes (the
/// lock, counts, indices and queue heads) shares the first 64-byte line,
/// so a handover between cores moves one line; what is only read (the
/// buffer's address, the capacity) and the handle counts sit on the next.
#[doc(alias = "hchan")]
#[repr(C, align(64))]
pub(crate) struct Hchan<T> {
    lock: ChanLock,
    /// Go's `closed`: set once under `lock` with Release; read without it by
    /// the fast paths with Acquire (see `empty`).
    closed: AtomicU32,
    /// Go's `qcount`: values in the buffer. Written under `lock` with
    /// Release, read without it by `len` and the fast paths with Acquire
    /// (see `empty`).
    qcount: AtomicUsize,
    /// Go's `sendx`/`recvx`: where the next send writes and the next receive
    /// reads. Under `lock`.
    sendx: Cell<usize>,
    recvx: Cell<usize>,
    recvq: WaitQ<T>,
    sendq: WaitQ<T>,
    /// Go's `buf`: `dataqsiz` slots; those from `recvx` on, `qcount` of them
    /// (wrapping), hold values. Under `lock`.
    buf: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// Go's `dataqsiz`: the capacity.
    dataqsiz: usize,
    /// Live [`Sender`]s and [`Receiver`]s (not in Go): the last of either
    /// kind to go closes the channel. AcqRel decrements, so the closing
    /// drop comes after every other handle's uses.
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// Under loom, `sortkey` is the channel's creation number: loom replays
    /// recorded schedules and needs every run of a model to lock in the same
    /// order, which heap addresses do not guarantee.
    #[cfg(loom)]
    loom_id: usize,
}
// ANCHOR_END: hchan

// SAFETY: values of T move between threads through the channel (hence T:
// Send); all shared state is atomic or guarded by `lock`, and sudog pointers
// are only followed under the rules written on `Sudog`.
unsafe impl<T: Send> Send for Hchan<T> {}
// SAFETY: as above; `&Hchan` only gives access through the lock.
unsafe impl<T: Send> Sync for Hchan<T> {}

impl<T> Hchan<T> {
    /// Go's `makechan`.
    fn new(cap: usize) -> Hchan<T> {
        Hchan {
            qcount: AtomicUsize::new(0),
            dataqsiz: cap,
            buf: (0..cap)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            sendx: Cell::new(0),
            recvx: Cell::new(0),
            recvq: WaitQ::new(),
            sendq: WaitQ::new(),
            closed: AtomicU32::new(0),
            lock: ChanLock::new(),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            #[cfg(loom)]
            loom_id: {
                // A plain std counter, outside the model: only its order matters.
                static NEXT: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        }
    }

    /// The channel lock.
    pub(crate) fn chan_lock(&self) -> &ChanLock {
        &self.lock
    }

    /// The order in which `select` locks channels (Go's `sortkey`: the
    /// channel's address).
    pub(crate) fn sortkey(&self) -> usize {
        #[cfg(not(loom))]
        return ptr::from_ref(self) as usize;
        #[cfg(loom)]
        return self.loom_id;
    }

    /// Go's `chanbuf(c, i)`.
    fn chanbuf(&self, i: usize) -> *mut MaybeUninit<T> {
        self.buf[i].get()
    }

    /// Values in the buffer (Go's `chanlen`); a snapshot.
    fn len(&self) -> usize {
        self.qcount.load(Ordering::Relaxed)
    }

    /// Go's `full`, without the lock: whether a send would block now.
    fn full(&self) -> bool {
        if self.dataqsiz == 0 {
            return self.recvq.first.load(Ordering::Acquire).is_null();
        }
        self.qcount.load(Ordering::Acquire) == self.dataqsiz
    }

    /// Go's `empty`, without the lock: whether a receive would block now
    /// (or see the channel closed). The Acquire loads matter to the
    /// non-blocking receive: it reads `empty`, then `closed`, then `empty`
    /// again, and must not see a newer `empty` than `closed` (a queue emptied
    /// after the close was stored must show the close).
    fn empty(&self) -> bool {
        if self.dataqsiz == 0 {
            return self.sendq.first.load(Ordering::Acquire).is_null();
        }
        self.qcount.load(Ordering::Acquire) == 0
    }

    /// Whether `close` has run. Acquire: pairs with the Release store in
    /// `closechan` (see `empty`).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire) != 0
    }

    /// Whether the channel is closed, under the lock.
    pub(crate) fn closed_locked(&self) -> bool {
        self.closed.load(Ordering::Relaxed) != 0
    }

    /// Whether the buffer has a value, under the lock.
    pub(crate) fn has_buffered(&self) -> bool {
        self.qcount.load(Ordering::Relaxed) > 0
    }

    /// Whether the buffer has room, under the lock.
    pub(crate) fn has_room(&self) -> bool {
        self.qcount.load(Ordering::Relaxed) < self.dataqsiz
    }

    /// Go's buffered send (`bufsend` in select).
    ///
    /// # Safety
    ///
    /// Under the lock, with room ([`has_room`](Self::has_room)).
    pub(crate) unsafe fn buf_push(&self, v: T) {
        let q = self.qcount.load(Ordering::Relaxed);
        debug_assert!(q < self.dataqsiz);
        let i = self.sendx.get();
        // SAFETY: under the lock, and slot `sendx` is free while q < cap.
        unsafe { (*self.chanbuf(i)).write(v) };
        self.sendx
            .set(if i + 1 == self.dataqsiz { 0 } else { i + 1 });
        self.qcount.store(q + 1, Ordering::Release);
    }

    /// Go's buffered receive (`bufrecv` in select).
    ///
    /// # Safety
    ///
    /// Under the lock, with a value buffered ([`has_buffered`](Self::has_buffered)).
    pub(crate) unsafe fn buf_pop(&self) -> T {
        let q = self.qcount.load(Ordering::Relaxed);
        debug_assert!(q > 0);
        let i = self.recvx.get();
        // SAFETY: under the lock, and slot `recvx` holds a value while q > 0;
        // moving it out leaves the slot logically empty.
        let v = unsafe { (*self.chanbuf(i)).assume_init_read() };
        self.recvx
            .set(if i + 1 == self.dataqsiz { 0 } else { i + 1 });
        self.qcount.store(q - 1, Ordering::Release);
        v
    }

    /// Takes the first parked receiver that can still be served.
    ///
    /// # Safety
    ///
    /// Under the lock.
    pub(crate) unsafe fn dequeue_receiver(&self) -> Option<*const Sudog<T>> {
        // SAFETY: forwarded contract.
        unsafe { self.recvq.dequeue() }
    }

    /// Takes the first parked sender that can still be served.
    ///
    /// # Safety
    ///
    /// Under the lock.
    pub(crate) unsafe fn dequeue_sender(&self) -> Option<*const Sudog<T>> {
        // SAFETY: forwarded contract.
        unsafe { self.sendq.dequeue() }
    }

    /// Queues a receiver's (`send == false`) or a sender's sudog.
    ///
    /// # Safety
    ///
    /// Under the lock; `sg` stays alive as `Sudog` requires.
    pub(crate) unsafe fn enqueue(&self, sg: *const Sudog<T>, send: bool) {
        let q = if send { &self.sendq } else { &self.recvq };
        // SAFETY: forwarded contract.
        unsafe { q.enqueue(sg) };
    }

    /// Takes a select's losing sudog off its queue, if a waker has not.
    ///
    /// # Safety
    ///
    /// Under the lock; `sg` was queued here with `enqueue(sg, send)`.
    pub(crate) unsafe fn dequeue_sudog(&self, sg: *const Sudog<T>, send: bool) {
        let q = if send { &self.sendq } else { &self.recvq };
        // SAFETY: forwarded contract.
        unsafe { q.dequeue_sudog(sg) };
    }

    // ANCHOR: send
    /// Go's `send`: hands `v` to the parked receiver `sg` (straight into its
    /// slot; the buffer, if any, is empty), releases the lock(s) with
    /// `unlockf`, then wakes the receiver.
    ///
    /// # Safety
    ///
    /// `sg` came from `dequeue_receiver` under the lock(s) `unlockf` releases.
    pub(crate) unsafe fn send(&self, sg: *const Sudog<T>, v: T, unlockf: impl FnOnce()) {
        // SAFETY: the receiver is parked until we wake it; its `elem` points
        // at an empty Option on its stack (Go's sendDirect).
        unsafe { *(*sg).elem = Some(v) };
        unlockf();
        // SAFETY: dequeued by us, the lock released; the only wake.
        unsafe { ready_sudog(sg, true) };
    }
    // ANCHOR_END: send

    // ANCHOR: recv
    /// Go's `recv`: takes a value from the parked sender `sg`. Unbuffered,
    /// straight from its slot; buffered (the buffer is then full), the oldest
    /// buffered value, and the sender's value goes into the freed slot at the
    /// tail. Releases the lock(s) with `unlockf`, then wakes the sender.
    ///
    /// # Safety
    ///
    /// `sg` came from `dequeue_sender` under the lock(s) `unlockf` releases.
    pub(crate) unsafe fn recv(&self, sg: *const Sudog<T>, unlockf: impl FnOnce()) -> T {
        // SAFETY: the sender is parked until we wake it; its `elem` holds
        // its value.
        let theirs = unsafe { (*(*sg).elem).take() };
        let Some(theirs) = theirs else {
            crate_fatal("runtime: parked channel sender without a value")
        };
        let v = if self.dataqsiz == 0 {
            theirs
        } else {
            let i = self.recvx.get();
            let slot = self.chanbuf(i);
            // SAFETY: under the lock; the buffer is full, so slot `recvx`
            // holds the oldest value, and the sender's refills it, which
            // makes it the newest (sendx == recvx when full).
            let v =
                unsafe { std::mem::replace(&mut *slot, MaybeUninit::new(theirs)).assume_init() };
            let next = if i + 1 == self.dataqsiz { 0 } else { i + 1 };
            self.recvx.set(next);
            self.sendx.set(next);
            v
        };
        unlockf();
        // SAFETY: dequeued by us, the lock released; the only wake.
        unsafe { ready_sudog(sg, true) };
        v
    }
    // ANCHOR_END: recv

    // ANCHOR: chansend
    /// Go's `chansend`. With `block`, waits for room or a receiver and never
    /// returns `Full`.
    pub(crate) fn chansend(&self, v: T, block: bool) -> Result<(), TrySendError<T>> {
        // Fast path for a failing non-blocking send, without the lock. The
        // two loads may be reordered: if the channel was full when looked at
        // and is not closed now, it was not closed then either, so "full"
        // was true at that moment.
        if !block && self.closed.load(Ordering::Relaxed) == 0 && self.full() {
            return Err(TrySendError::Full(v));
        }

        self.lock.lock();
        if self.closed_locked() {
            // SAFETY: we took the lock above.
            unsafe { self.lock.unlock() };
            return Err(TrySendError::Closed(v));
        }
        // SAFETY: under the lock.
        if let Some(sg) = unsafe { self.dequeue_receiver() } {
            // SAFETY: dequeued under our lock, which the closure releases.
            unsafe { self.send(sg, v, || self.lock.unlock()) };
            return Ok(());
        }
        if self.has_room() {
            // SAFETY: under the lock, with room; then we release it.
            unsafe {
                self.buf_push(v);
                self.lock.unlock();
            }
            return Ok(());
        }
        if !block {
            // SAFETY: we took the lock above.
            unsafe { self.lock.unlock() };
            return Err(TrySendError::Full(v));
        }

        // Block: queue a sudog pointing at our value and park.
        let mut elem = Some(v);
        let w = Waiter::new();
        let sg = Sudog::new(&raw mut elem, &w, false);
        // SAFETY: under our lock; `sg` and `elem` live in this frame until we
        // are woken, and a waker dequeues `sg` before it wakes us.
        unsafe { self.sendq.enqueue(&sg) };
        // SAFETY: see above; the park releases our lock.
        park_waiter(
            &w,
            WaitReason::ChanSend,
            || unsafe { self.lock.unlock() },
            &|| self.withdraw(&self.sendq, &sg),
        );
        if sg.success() {
            return Ok(());
        }
        // Woken by close: the value is still ours.
        if !self.is_closed() {
            crate_fatal("runtime: chansend: spurious wakeup");
        }
        match elem.take() {
            Some(v) => Err(TrySendError::Closed(v)),
            None => crate_fatal("runtime: chansend: value lost on close"),
        }
    }
    // ANCHOR_END: chansend

    /// A parked send's or receive's cancel (see `park_waiter`): dequeues
    /// `sg` from `q` under the lock, unless a waker already did.
    fn withdraw(&self, q: &WaitQ<T>, sg: &Sudog<T>) -> bool {
        self.lock.lock();
        // SAFETY: under the lock; `sg` was queued on `q` and lives in the
        // parked goroutine's frame.
        let queued = unsafe { q.dequeue_sudog(sg) };
        // SAFETY: we took the lock above.
        unsafe { self.lock.unlock() };
        queued
    }

    // ANCHOR: chanrecv
    /// Go's `chanrecv`. With `block`, waits for a value or the close and
    /// never returns `Empty`.
    pub(crate) fn chanrecv(&self, block: bool) -> Recv<T> {
        // Fast path for a failing non-blocking receive (see `empty`).
        if !block && self.empty() {
            if !self.is_closed() {
                // Open and empty when we looked: nothing to take.
                return Recv::Empty;
            }
            // Closed; if still empty, it was closed and drained at once.
            if self.empty() {
                return Recv::Closed;
            }
        }

        self.lock.lock();
        if self.closed_locked() {
            if !self.has_buffered() {
                // SAFETY: we took the lock above.
                unsafe { self.lock.unlock() };
                return Recv::Closed;
            }
            // Closed with values left: drain them first (no sender waits).
        } else {
            // SAFETY: under the lock.
            if let Some(sg) = unsafe { self.dequeue_sender() } {
                // SAFETY: dequeued under our lock, which the closure releases.
                return Recv::Value(unsafe { self.recv(sg, || self.lock.unlock()) });
            }
        }
        if self.has_buffered() {
            // SAFETY: under the lock, with a value; then we release it.
            let v = unsafe {
                let v = self.buf_pop();
                self.lock.unlock();
                v
            };
            return Recv::Value(v);
        }
        if !block {
            // SAFETY: we took the lock above.
            unsafe { self.lock.unlock() };
            return Recv::Empty;
        }

        // Block: queue a sudog pointing at an empty slot and park.
        let mut elem: Option<T> = None;
        let w = Waiter::new();
        let sg = Sudog::new(&raw mut elem, &w, false);
        // SAFETY: as in `chansend`.
        unsafe { self.recvq.enqueue(&sg) };
        // SAFETY: as in `chansend`.
        park_waiter(
            &w,
            WaitReason::ChanReceive,
            || unsafe { self.lock.unlock() },
            &|| self.withdraw(&self.recvq, &sg),
        );
        if sg.success() {
            match elem.take() {
                Some(v) => Recv::Value(v),
                None => crate_fatal("runtime: chanrecv: woken without a value"),
            }
        } else {
            Recv::Closed
        }
    }
    // ANCHOR_END: chanrecv

    // ANCHOR: closechan
    /// Go's `closechan`: marks the channel closed and wakes every parked
    /// receiver (they see the close) and sender (their value comes back).
    /// Closing twice does nothing.
    pub(crate) fn closechan(&self) {
        self.lock.lock();
        if self.closed_locked() {
            // SAFETY: we took the lock just above.
            unsafe { self.lock.unlock() };
            return;
        }
        // Release: pairs with the fast paths' Acquire loads (see `empty`).
        self.closed.store(1, Ordering::Release);

        // Collect the waiters to wake after unlocking (Go's glist), chained
        // through their `next` links, which nobody reads once they are
        // dequeued (`dequeue_sudog` is only called on a select's losers).
        let mut glist: *const Sudog<T> = ptr::null();
        // SAFETY: under the lock; dequeued sudogs stay alive until woken.
        unsafe {
            while let Some(sg) = self.recvq.dequeue() {
                (*sg).next.set(glist);
                glist = sg;
            }
            while let Some(sg) = self.sendq.dequeue() {
                (*sg).next.set(glist);
                glist = sg;
            }
            self.lock.unlock();
        }
        while !glist.is_null() {
            let sg = glist;
            // SAFETY: still parked: we have not woken it yet.
            glist = unsafe { (*sg).next.get() };
            // SAFETY: dequeued by us, lock released, woken once.
            unsafe { ready_sudog(sg, false) };
        }
    }
    // ANCHOR_END: closechan
}

impl<T> Drop for Hchan<T> {
    fn drop(&mut self) {
        // Values nobody received go with the channel.
        let q = owned_load(&mut self.qcount);
        let mut i = self.recvx.get();
        for _ in 0..q {
            // SAFETY: the `q` slots from `recvx` hold values, and we are the
            // last owner.
            unsafe { (*self.chanbuf(i)).assume_init_drop() };
            i = if i + 1 == self.dataqsiz { 0 } else { i + 1 };
        }
    }
}

/// Reads an atomic its owner holds exclusively (`get_mut`, spelled
/// `with_mut` in loom).
#[cfg(not(loom))]
fn owned_load(a: &mut AtomicUsize) -> usize {
    *a.get_mut()
}

#[cfg(loom)]
fn owned_load(a: &mut AtomicUsize) -> usize {
    a.with_mut(|v| *v)
}

/// Go's `throw` (the scheduler's `fatal`, or a panic under loom).
#[cfg(not(loom))]
fn crate_fatal(msg: &str) -> ! {
    crate::proc::fatal(msg)
}

#[cfg(loom)]
fn crate_fatal(msg: &str) -> ! {
    panic!("{msg}")
}

// ---------------------------------------------------------------------------
// The public face.

/// Makes a channel with room for `cap` values, and returns its two ends (Go's
/// `make(chan T, cap)`). `cap == 0` makes an unbuffered channel: each send
/// waits until a receiver takes the value (a rendezvous).
///
/// Both ends can be cloned and shared between goroutines and threads. A
/// goroutine that waits parks (its thread runs other goroutines); a plain OS
/// thread outside the runtime, or code inside [`blocking`](crate::blocking),
/// blocks its thread.
///
/// ```
/// use gort_runtime::chan;
/// let sum = gort_runtime::run(|| {
///     let (tx, rx) = chan::bounded::<u64>(0);
///     gort_runtime::spawn(move || {
///         for i in 1..=10 {
///             tx.send(i).unwrap();
///         }
///         // Dropping the last sender closes the channel.
///     });
///     let mut sum = 0;
///     for v in &rx {
///         sum += v;
///     }
///     sum
/// });
/// assert_eq!(sum, 55);
/// ```
///
/// # Panics
///
/// If the buffer cannot be allocated (Go's "makechan: size out of range").
#[doc(alias = "make")]
#[doc(alias = "makechan")]
pub fn bounded<T: Send>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let c = Arc::new(Hchan::new(cap));
    (Sender { c: c.clone() }, Receiver { c })
}

/// The sending end of a channel (Go's `chan<- T`). Clone it to send from
/// several places; when the last clone is dropped the channel closes.
pub struct Sender<T> {
    c: Arc<Hchan<T>>,
}

/// The receiving end of a channel (Go's `<-chan T`). Clones share the same
/// queue: each value goes to exactly one receiver. When the last clone is
/// dropped the channel closes, and sends fail.
pub struct Receiver<T> {
    c: Arc<Hchan<T>>,
}

impl<T: Send> Sender<T> {
    /// Sends `v`, waiting while the buffer is full (or, unbuffered, until a
    /// receiver takes it). Values are received in the order they were sent.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value, if the channel is closed or closes while
    /// waiting, or every [`Receiver`] is gone. (Go panics with "send on closed
    /// channel".)
    ///
    /// ```
    /// gort_runtime::run(|| {
    ///     let (tx, rx) = gort_runtime::chan::bounded(1);
    ///     tx.send("hello").unwrap();
    ///     assert_eq!(rx.recv(), Some("hello"));
    ///     drop(rx);
    ///     assert_eq!(tx.send("lost").unwrap_err().0, "lost");
    /// });
    /// ```
    #[doc(alias = "chansend")]
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        match self.c.chansend(v, true) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(v) | TrySendError::Full(v)) => Err(SendError(v)),
        }
    }

    /// Sends `v` if that can be done without waiting (Go's `select` with a
    /// send case and `default`). Never parks or blocks (it only takes the
    /// channel's internal lock for a few instructions), so it may be called
    /// from a timer callback on the scheduler's stack.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the buffer is full (unbuffered: no receiver
    /// is waiting), [`TrySendError::Closed`] if the channel is closed; both
    /// carry the value back.
    ///
    /// ```
    /// use gort_runtime::chan::{self, TrySendError};
    /// let (tx, rx) = chan::bounded(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// drop(rx);
    /// assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
    /// ```
    #[doc(alias = "selectnbsend")]
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        self.c.chansend(v, false)
    }

    /// Closes the channel (Go's `close`): receivers drain what is buffered
    /// and then get `None`; every waiting receiver wakes, and waiting and
    /// later sends fail with their value. Closing again does nothing (Go
    /// panics).
    #[doc(alias = "closechan")]
    pub fn close(&self) {
        self.c.closechan();
    }

    /// Whether the channel is closed (by [`close`](Self::close) or because
    /// every receiver is gone): sends will fail.
    pub fn is_closed(&self) -> bool {
        self.c.is_closed()
    }

    /// Values waiting in the buffer (Go's `len`); a snapshot.
    pub fn len(&self) -> usize {
        self.c.len()
    }

    /// The buffer's capacity (Go's `cap`); 0 for an unbuffered channel.
    pub fn cap(&self) -> usize {
        self.c.dataqsiz
    }

    /// Whether the buffer is empty ([`len`](Self::len) is 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The channel behind this end, for `select!`.
    pub(crate) fn hchan(&self) -> &Hchan<T> {
        &self.c
    }
}

impl<T: Send> Receiver<T> {
    /// Receives a value, waiting until one is sent; `None` once the channel
    /// is closed and every buffered value has been received (Go's
    /// `v, ok := <-c` with `ok == false`).
    ///
    /// ```
    /// gort_runtime::run(|| {
    ///     let (tx, rx) = gort_runtime::chan::bounded(2);
    ///     tx.send(1).unwrap();
    ///     tx.send(2).unwrap();
    ///     tx.close();
    ///     assert_eq!(rx.recv(), Some(1));
    ///     assert_eq!(rx.recv(), Some(2));
    ///     assert_eq!(rx.recv(), None);
    /// });
    /// ```
    #[doc(alias = "chanrecv")]
    pub fn recv(&self) -> Option<T> {
        match self.c.chanrecv(true) {
            Recv::Value(v) => Some(v),
            Recv::Closed | Recv::Empty => None,
        }
    }

    /// Receives a value if one is ready, without waiting (Go's `select`
    /// with a receive case and `default`). Never parks or blocks.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing is ready, [`TryRecvError::Closed`]
    /// if the channel is closed and drained.
    ///
    /// ```
    /// use gort_runtime::chan::{self, TryRecvError};
    /// let (tx, rx) = chan::bounded(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(7).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(7));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[doc(alias = "selectnbrecv")]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.c.chanrecv(false) {
            Recv::Value(v) => Ok(v),
            Recv::Closed => Err(TryRecvError::Closed),
            Recv::Empty => Err(TryRecvError::Empty),
        }
    }

    /// Whether the channel is closed (values may still be buffered).
    pub fn is_closed(&self) -> bool {
        self.c.is_closed()
    }

    /// Values waiting in the buffer (Go's `len`); a snapshot.
    pub fn len(&self) -> usize {
        self.c.len()
    }

    /// The buffer's capacity (Go's `cap`); 0 for an unbuffered channel.
    pub fn cap(&self) -> usize {
        self.c.dataqsiz
    }

    /// Whether the buffer is empty ([`len`](Self::len) is 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An iterator that receives until the channel is closed and drained
    /// (Go's `for v := range c`).
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// The channel behind this end, for `select!`.
    pub(crate) fn hchan(&self) -> &Hchan<T> {
        &self.c
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        // Relaxed: a new handle is made from a live one, so the count is
        // already at least 1 and nothing is published (as Arc's clone).
        self.c.senders.fetch_add(1, Ordering::Relaxed);
        Sender { c: self.c.clone() }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        // Relaxed: as in `Sender::clone`.
        self.c.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver { c: self.c.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last handle's close comes after every other's sends.
        if self.c.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.c.closechan();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: as in `Sender::drop`.
        if self.c.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.c.closechan();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.c.len())
            .field("cap", &self.c.dataqsiz)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.c.len())
            .field("cap", &self.c.dataqsiz)
            .finish_non_exhaustive()
    }
}

/// Receives from a channel until it is closed and drained; made by
/// [`Receiver::iter`] or `for v in &rx`.
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T: Send> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv()
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

impl<'a, T: Send> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// Receives from a channel until it is closed and drained, owning the
/// receiver; made by `for v in rx`.
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T: Send> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv()
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter").finish_non_exhaustive()
    }
}

impl<T: Send> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}

// ---------------------------------------------------------------------------
// Errors.

/// A [`Sender::send`] failed because the channel is closed; the value comes
/// back in the error (Go panics with "send on closed channel").
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("send on closed channel")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why a [`Sender::try_send`] did not send; the value comes back either way.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The buffer is full (unbuffered: no receiver is waiting).
    Full(T),
    /// The channel is closed, or every receiver is gone.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }

    /// Whether the send failed because the buffer was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the send failed because the channel is closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> TrySendError<T> {
        TrySendError::Closed(e.0)
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("send on full channel"),
            TrySendError::Closed(_) => f.write_str("send on closed channel"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why a [`Receiver::try_recv`] returned nothing.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// No value is ready (and the channel is open).
    Empty,
    /// The channel is closed and every buffered value has been received.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receive from empty channel",
            TryRecvError::Closed => "receive from closed channel",
        })
    }
}

impl std::error::Error for TryRecvError {}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Loom models of the channel's state transitions: the same `Hchan`
    //! code, over loom atomics and a loom mutex, with loom threads as
    //! waiters. A lost wake-up shows as a deadlock, a double one as a panic
    //! (a token woken twice) or a wrong value. Run with
    //! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test --release`.

    use super::*;
    use loom::thread;

    /// An unbuffered send meets a receive, whichever parks first: the value
    /// moves straight from one stack to the other.
    #[test]
    fn unbuffered_hand_off() {
        loom::model(|| {
            let (tx, rx) = bounded::<u32>(0);
            let t = thread::spawn(move || tx.send(7));
            assert_eq!(rx.recv(), Some(7));
            assert!(t.join().unwrap().is_ok());
        });
    }

    /// A receive from a full buffer with a parked sender takes the oldest
    /// value and moves the sender's into the freed slot: FIFO holds.
    #[test]
    fn buffered_fifo_through_a_parked_sender() {
        loom::model(|| {
            let (tx, rx) = bounded::<u32>(1);
            let t = thread::spawn(move || {
                tx.send(1).unwrap();
                tx.send(2).unwrap();
            });
            assert_eq!(rx.recv(), Some(1));
            assert_eq!(rx.recv(), Some(2));
            t.join().unwrap();
            // The sender is gone, so the channel is closed and drained.
            assert_eq!(rx.recv(), None);
        });
    }

    /// Close races a blocked receive: it wakes with `None`.
    #[test]
    fn close_wakes_a_blocked_recv() {
        loom::model(|| {
            let (tx, rx) = bounded::<u32>(0);
            let t = thread::spawn(move || rx.recv());
            tx.close();
            assert_eq!(t.join().unwrap(), None);
        });
    }

    /// Close races a blocked send: it wakes with its value back.
    #[test]
    fn close_wakes_a_blocked_send() {
        loom::model(|| {
            let (tx, rx) = bounded::<u32>(0);
            let t = thread::spawn(move || tx.send(5));
            rx.hchan().closechan();
            assert_eq!(t.join().unwrap(), Err(SendError(5)));
            drop(rx);
        });
    }

    /// Close races a send and a receive on an unbuffered channel: either they
    /// met (the value moved) or the close came first for both of them.
    #[test]
    fn close_races_send_and_recv() {
        loom::model(|| {
            let (tx, rx) = bounded::<u32>(0);
            let closer = tx.clone();
            let r = thread::spawn(move || rx.recv());
            let s = thread::spawn(move || tx.send(3));
            closer.close();
            let (got, sent) = (r.join().unwrap(), s.join().unwrap());
            match got {
                Some(v) => assert_eq!((v, sent), (3, Ok(()))),
                None => assert_eq!(sent, Err(SendError(3))),
            }
        });
    }

    /// Two senders race into a select over both channels: exactly one case
    /// fires, the loser's sudog is skipped (its waker loses the
    /// `select_done` race and parks instead), and its value is still
    /// delivered to the plain receive that follows.
    #[test]
    fn select_over_two_channels_racing_two_senders() {
        loom::model(|| {
            let (atx, a) = bounded::<u32>(0);
            let (btx, b) = bounded::<u32>(0);
            let sa = thread::spawn(move || atx.send(1));
            let sb = thread::spawn(move || btx.send(2));
            let first = crate::select! {
                recv(a) -> v => v,
                recv(b) -> v => v,
            };
            let second = match first {
                Some(1) => b.recv(),
                Some(2) => a.recv(),
                other => panic!("select fired with {other:?}"),
            };
            assert_eq!(first.unwrap() + second.unwrap(), 3);
            assert!(sa.join().unwrap().is_ok() && sb.join().unwrap().is_ok());
        });
    }

    /// A non-blocking send (a timer callback's `try_send`) against a select
    /// that parks on a buffered channel and a second one: the value is
    /// either refused (full) or delivered to the select, never lost.
    #[test]
    fn try_send_wakes_a_select() {
        loom::model(|| {
            let (tx, rx) = bounded::<u32>(1);
            let (_otx, other) = bounded::<u32>(0);
            let t = thread::spawn(move || tx.try_send(9).is_ok());
            let got = crate::select! {
                recv(rx) -> v => v,
                recv(other) -> v => v,
            };
            assert!(t.join().unwrap());
            assert_eq!(got, Some(9));
        });
    }
}
