//! Mirrors Go src/runtime/sema.go (go1.27): goroutine-aware semaphores, and the notifyList under sync.Cond.
//!
//! `semacquire(addr)` waits until `*addr > 0` and decrements it;
//! `semrelease(addr)` increments it and wakes one waiter. The count lives in
//! the caller's own word (fdMutex keeps two of them in its struct, sync.Mutex
//! one), and the waiters in a process-wide table of 251 buckets hashed by
//! address, as in Go. Go keeps each bucket as a treap of addresses; gort keeps
//! a list, which is as fast while few addresses collide in a bucket and much
//! shorter. Waiters of one address leave in FIFO order, except that
//! [`semacquire_mutex`] with `lifo` puts a waiter that has waited before at
//! the front (Go's `semacquire1(addr, lifo, ...)`).
//!
//! [`semrelease_handoff`] is Go's `semrelease1(addr, handoff=true)`, which
//! sync.Mutex uses in starvation mode: the releaser takes the unit it just
//! added *for* the first waiter (Go's `sudog.ticket`), so no goroutine arriving
//! meanwhile can steal it, wakes that waiter into its P's `runnext`, and
//! yields, so the waiter runs at once on the releaser's time slice.
//!
//! Waiters park with a [`ParkSlot`] that lives on their own stack: a goroutine
//! parks (its M runs others), a plain OS thread blocks. The slot stays valid
//! while it is listed because its owner cannot return before it is woken.
//!
//! The second half of the file is Go's `notifyList`, the ticket-based wait
//! list under sync.Cond: a waiter takes a ticket *before* it unlocks the
//! condition's mutex and waits for that ticket afterwards, so a signal sent
//! between the two is not lost.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use parking_lot::Mutex;

use crate::park::ParkSlot;
use crate::runtime2::WaitReason;

/// Go's `semTabSize`: a prime, so addresses spread over the buckets.
const SEM_TAB_SIZE: usize = 251;

/// What a semaphore waiter keeps on its own stack while it waits: the parts
/// of Go's `sudog` that semaphores use.
struct Sudog {
    /// Where the waiter parks and the releaser wakes it.
    slot: ParkSlot,
    /// Set by a hand-off release: the unit was already taken on the waiter's
    /// behalf (Go's `sudog.ticket`). Relaxed on both sides: the releaser
    /// stores it before `slot.wake()` and the waiter loads it after
    /// `slot.wait()` returns; the slot's AcqRel transitions order the two.
    ticket: AtomicBool,
}

/// A waiter queued on a bucket: the address it waits on and its [`Sudog`].
struct Waiter {
    addr: usize,
    sudog: *const Sudog,
}

// SAFETY: `sudog` points into a waiting goroutine's or thread's stack frame
// that stays alive until its slot is woken; only the releaser that dequeued
// it dereferences it, once.
unsafe impl Send for Waiter {}

/// One bucket of the table (Go's `semaRoot`).
struct SemaRoot {
    /// Waiters of every address that hashes here, oldest first per address.
    waiters: Mutex<VecDeque<Waiter>>,
    /// Waiters in this bucket, readable without the lock so `semrelease`
    /// can skip the lock when nobody waits. SeqCst on both sides: the waiter
    /// increments it then re-reads the count, the releaser increments the
    /// count then reads this; sequential consistency forbids both reads
    /// missing the other's write (the store-load pattern of Dekker's lock).
    nwait: AtomicU32,
}

impl SemaRoot {
    const fn new() -> SemaRoot {
        SemaRoot {
            waiters: Mutex::new(VecDeque::new()),
            nwait: AtomicU32::new(0),
        }
    }
}

/// The padding keeps buckets on separate cache lines.
#[repr(align(128))]
struct PaddedRoot(SemaRoot);

static SEMTABLE: [PaddedRoot; SEM_TAB_SIZE] = [const { PaddedRoot(SemaRoot::new()) }; SEM_TAB_SIZE];

fn semroot(addr: &AtomicU32) -> &'static SemaRoot {
    let a = std::ptr::from_ref(addr) as usize;
    &SEMTABLE[(a >> 3) % SEM_TAB_SIZE].0
}

/// Takes one unit if there is one (Go's `cansemacquire`).
pub(crate) fn cansemacquire(addr: &AtomicU32) -> bool {
    // SeqCst: the load-then-CAS must be ordered after our `nwait` increment,
    // see `SemaRoot::nwait`. A successful CAS also acquires what the
    // releaser wrote before its increment.
    let mut v = addr.load(Ordering::SeqCst);
    while v > 0 {
        match addr.compare_exchange_weak(v, v - 1, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return true,
            Err(cur) => v = cur,
        }
    }
    false
}

/// Waits until `*addr > 0`, then decrements it (Go's `semacquire`).
///
/// In a goroutine only the goroutine waits; on a plain thread the thread blocks.
#[doc(alias = "runtime_Semacquire")]
pub fn semacquire(addr: &AtomicU32) {
    semacquire1(addr, false, WaitReason::Semacquire);
}

/// [`semacquire`] for sync.Mutex and sync.RWMutex (Go's
/// `runtime_SemacquireMutex`): with `lifo`, the caller is queued at the
/// *front* of the address's waiters instead of the back. A mutex waiter that
/// was woken and lost the race for the lock passes `lifo` so it is next in
/// line rather than last.
#[doc(alias = "runtime_SemacquireMutex")]
pub(crate) fn semacquire_mutex(addr: &AtomicU32, lifo: bool) {
    semacquire1(addr, lifo, WaitReason::Sync);
}

/// [`semacquire`] for sync.WaitGroup and the counting semaphore, which
/// report their waiters as waiting on sync (Go's `runtime_SemacquireWaitGroup`).
#[doc(alias = "runtime_SemacquireWaitGroup")]
pub(crate) fn semacquire_sync(addr: &AtomicU32) {
    semacquire1(addr, false, WaitReason::Sync);
}

/// Go's `semacquire1`.
fn semacquire1(addr: &AtomicU32, lifo: bool, reason: WaitReason) {
    // Easy case: a unit is there.
    if cansemacquire(addr) {
        return;
    }
    let root = semroot(addr);
    let s = Sudog {
        slot: ParkSlot::new(),
        ticket: AtomicBool::new(false),
    };
    loop {
        {
            let mut q = root.waiters.lock();
            // Announce ourselves before the last look, so that a release
            // after that look sees `nwait > 0` and comes to wake us.
            root.nwait.fetch_add(1, Ordering::SeqCst);
            if cansemacquire(addr) {
                root.nwait.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            let w = Waiter {
                addr: std::ptr::from_ref(addr) as usize,
                sudog: &s,
            };
            // Pushing to the front of the bucket puts us before every waiter
            // of our address; waiters of other addresses do not care.
            if lifo {
                q.push_front(w);
            } else {
                q.push_back(w);
            }
        }
        // The releaser dequeued us (and fixed nwait) before waking the slot,
        // which `wait` leaves empty again for the next turn of the loop.
        s.slot.wait(reason);
        // Relaxed: see `Sudog::ticket`.
        if s.ticket.load(Ordering::Relaxed) || cansemacquire(addr) {
            return;
        }
        // Someone else took the unit between the release and our wake-up; queue again.
    }
}

/// Increments `*addr` and wakes one goroutine or thread waiting on it (Go's
/// `semrelease`).
#[doc(alias = "runtime_Semrelease")]
pub fn semrelease(addr: &AtomicU32) {
    semrelease1(addr, false);
}

/// [`semrelease`] with Go's `handoff` (sync.Mutex's starvation mode): if a
/// waiter is queued, the unit just released goes directly to it (nobody else
/// can take it first), and the calling goroutine then yields its P so the
/// waiter, readied into the P's `runnext`, runs at once (Go's `goyield`). A
/// plain thread does not yield. Without `handoff` it is [`semrelease`].
#[doc(alias = "semrelease1")]
pub(crate) fn semrelease_handoff(addr: &AtomicU32, handoff: bool) {
    semrelease1(addr, handoff);
}

/// Go's `semrelease1`.
fn semrelease1(addr: &AtomicU32, handoff: bool) {
    let root = semroot(addr);
    addr.fetch_add(1, Ordering::SeqCst);
    // Easy case: nobody waits in this bucket. The load must follow the
    // increment (SeqCst, see `SemaRoot::nwait`).
    if root.nwait.load(Ordering::SeqCst) == 0 {
        return;
    }
    let key = std::ptr::from_ref(addr) as usize;
    let sudog = {
        let mut q = root.waiters.lock();
        let Some(i) = q.iter().position(|w| w.addr == key) else {
            return;
        };
        root.nwait.fetch_sub(1, Ordering::SeqCst);
        q.remove(i).map(|w| w.sudog)
    };
    let Some(sudog) = sudog else {
        return;
    };
    // SAFETY: the waiter is blocked in `slot.wait` until the wake below, so
    // its stack frame, and the Sudog in it, are alive until then.
    let s = unsafe { &*sudog };
    // Take the unit for the waiter; it may already be gone to a goroutine
    // that got in between, in which case this is an ordinary wake-up.
    let handed = handoff && cansemacquire(addr);
    if handed {
        // Relaxed: ordered by the wake below (see `Sudog::ticket`).
        s.ticket.store(true, Ordering::Relaxed);
    }
    // After this the waiter may return and its Sudog vanish: no more `s`.
    s.slot.wake();
    // Go's `goyield` after a hand-off: if the waiter is pinned to our
    // thread it now sits in our runnext; let it run now. Not while
    // unwinding (a guard dropped by a panic): switching goroutines in the
    // middle of a panic's clean-up would run others inside it. A waiter
    // pinned to another thread was queued there, and its P woken if idle.
    if handed && crate::proc::can_park() && !std::thread::panicking() {
        crate::proc::yield_now();
    }
}

// ---------------------------------------------------------------------------
// notifyList: the wait list under sync.Cond.

/// A parked [`NotifyList`] waiter: its ticket and its slot on its own stack.
struct NotifyWaiter {
    ticket: u32,
    slot: *const ParkSlot,
}

// SAFETY: `slot` points into a waiting goroutine's or thread's stack frame
// that stays alive until the slot is woken; only the notifier that dequeued
// it dereferences it, once.
unsafe impl Send for NotifyWaiter {}

/// A ticket-based notification list (Go's `notifyList`), the wait queue of a
/// condition variable.
///
/// A waiter calls [`add`](Self::add) to draw a ticket while it still holds
/// the condition's lock, releases the lock, then calls [`wait`](Self::wait)
/// with its ticket. A notification advances `notify`, the next ticket to be
/// woken; a waiter whose ticket is already behind `notify` when it comes to
/// wait returns at once, so a signal sent between the unlock and the park is
/// not lost. Tickets wrap; comparisons are modulo 2^32 ([`less`]).
pub(crate) struct NotifyList {
    /// The next ticket to hand out. Incremented without the lock (a Cond may
    /// be waited on under a shared read lock, so adds can race).
    wait: AtomicU32,
    /// The next ticket to notify. Written only under `waiters`' lock; read
    /// without it on the notifiers' fast path.
    notify: AtomicU32,
    /// Waiters that have parked, roughly in ticket order (a waiter queues
    /// after drawing its ticket, so neighbours may be swapped).
    waiters: Mutex<VecDeque<NotifyWaiter>>,
}

/// Whether ticket `a` comes before `b`, on a wrapping 32-bit counter whose
/// live tickets span less than 2^31 (Go's `less`).
fn less(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl NotifyList {
    /// An empty list.
    pub(crate) const fn new() -> NotifyList {
        NotifyList {
            wait: AtomicU32::new(0),
            notify: AtomicU32::new(0),
            waiters: Mutex::new(VecDeque::new()),
        }
    }

    /// Draws a ticket; the caller must then [`wait`](Self::wait) with it
    /// (Go's `notifyListAdd`).
    #[doc(alias = "notifyListAdd")]
    pub(crate) fn add(&self) -> u32 {
        // Relaxed: the ticket's number is all the caller needs; notifiers
        // that must see this add are ordered after it by the condition's
        // lock, which the caller holds now and releases afterwards.
        self.wait.fetch_add(1, Ordering::Relaxed)
    }

    /// Parks the caller until ticket `t` has been notified; returns at once
    /// if it already was (Go's `notifyListWait`).
    #[doc(alias = "notifyListWait")]
    pub(crate) fn wait(&self, t: u32) {
        let slot = ParkSlot::new();
        {
            let mut q = self.waiters.lock();
            // Relaxed: `notify` is only written under this lock.
            if less(t, self.notify.load(Ordering::Relaxed)) {
                return;
            }
            q.push_back(NotifyWaiter {
                ticket: t,
                slot: &slot,
            });
        }
        // A notifier that dequeues us may wake the slot before we park; the
        // slot then keeps the wake-up and `wait` returns at once.
        slot.wait(WaitReason::Sync);
    }

    /// Wakes the waiter with the oldest unnotified ticket, if any (Go's
    /// `notifyListNotifyOne`).
    #[doc(alias = "notifyListNotifyOne")]
    pub(crate) fn notify_one(&self) {
        // Fast path: no ticket drawn since the last notification. Acquire
        // pairs with the Release store of `notify` below; a stale `wait`
        // only means the drawer is not ordered before us (see `add`).
        if self.wait.load(Ordering::Relaxed) == self.notify.load(Ordering::Acquire) {
            return;
        }
        let mut q = self.waiters.lock();
        let t = self.notify.load(Ordering::Relaxed);
        if t == self.wait.load(Ordering::Relaxed) {
            return;
        }
        // Release: the fast path of other notifiers reads it without the lock.
        self.notify.store(t.wrapping_add(1), Ordering::Release);
        // The waiter with ticket `t` is near the front if it has queued at
        // all; if it has not, it will see `notify` past its ticket and not park.
        let Some(i) = q.iter().position(|w| w.ticket == t) else {
            return;
        };
        let w = q.remove(i).map(|w| w.slot);
        drop(q);
        if let Some(slot) = w {
            // SAFETY: the waiter is blocked in `slot.wait` until this wake,
            // so its stack frame, and the slot in it, are alive.
            unsafe { &*slot }.wake();
        }
    }

    /// Wakes every waiter that has drawn a ticket so far (Go's
    /// `notifyListNotifyAll`).
    #[doc(alias = "notifyListNotifyAll")]
    pub(crate) fn notify_all(&self) {
        // Fast path, as in `notify_one`.
        if self.wait.load(Ordering::Relaxed) == self.notify.load(Ordering::Acquire) {
            return;
        }
        let list = {
            let mut q = self.waiters.lock();
            // Every ticket drawn so far is notified: those queued are woken
            // below, the others will see `notify` past them and not park.
            // Release: see `notify_one`.
            self.notify
                .store(self.wait.load(Ordering::Relaxed), Ordering::Release);
            std::mem::take(&mut *q)
        };
        for w in list {
            // SAFETY: as in `notify_one`: each waiter is blocked until its wake.
            unsafe { &*w.slot }.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn threads_hand_units_through_a_semaphore() {
        let sem = Arc::new(AtomicU32::new(0));
        let done = Arc::new(AtomicU32::new(0));
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let (sem, done) = (sem.clone(), done.clone());
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        semacquire(&sem);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for _ in 0..4000 {
            semrelease(&sem);
        }
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(done.load(Ordering::Relaxed), 4000);
        assert_eq!(sem.load(Ordering::Relaxed), 0);
    }

    /// Waiters of `addr` in its bucket, oldest first by queue position.
    fn queued(addr: &AtomicU32) -> usize {
        let key = std::ptr::from_ref(addr) as usize;
        semroot(addr)
            .waiters
            .lock()
            .iter()
            .filter(|w| w.addr == key)
            .count()
    }

    /// Spins (bounded) until `n` waiters of `addr` are queued.
    fn until_queued(addr: &AtomicU32, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while queued(addr) < n {
            assert!(std::time::Instant::now() < deadline, "waiters never queued");
            std::thread::yield_now();
        }
    }

    #[test]
    fn lifo_waiter_is_served_first() {
        let sem = Arc::new(AtomicU32::new(0));
        let order = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let spawn = |name: &'static str, lifo: bool| {
            let (sem, order) = (sem.clone(), order.clone());
            std::thread::spawn(move || {
                semacquire_mutex(&sem, lifo);
                order.lock().push(name);
            })
        };
        let fifo = spawn("fifo", false);
        until_queued(&sem, 1);
        let lifo = spawn("lifo", true);
        until_queued(&sem, 2);
        semrelease(&sem);
        lifo.join().unwrap();
        semrelease(&sem);
        fifo.join().unwrap();
        assert_eq!(*order.lock(), ["lifo", "fifo"]);
    }

    #[test]
    fn handoff_takes_the_unit_for_the_waiter() {
        let sem = Arc::new(AtomicU32::new(0));
        let waiter = {
            let sem = sem.clone();
            std::thread::spawn(move || semacquire_mutex(&sem, false))
        };
        until_queued(&sem, 1);
        semrelease_handoff(&sem, true);
        // The unit went to the waiter: nothing is left for anyone else,
        // even before the waiter has run.
        assert!(!cansemacquire(&sem));
        waiter.join().unwrap();
        assert_eq!(sem.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn notify_list_tickets() {
        let l = Arc::new(NotifyList::new());
        // A notification between drawing a ticket and waiting is not lost.
        let t0 = l.add();
        let t1 = l.add();
        l.notify_one();
        l.wait(t0); // returns at once
        // t1 is not notified yet: a thread waiting on it sleeps until
        // notify_all.
        let waiter = {
            let l = l.clone();
            std::thread::spawn(move || l.wait(t1))
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while l.waiters.lock().is_empty() {
            assert!(std::time::Instant::now() < deadline, "waiter never queued");
            std::thread::yield_now();
        }
        assert!(!waiter.is_finished());
        l.notify_all();
        waiter.join().unwrap();
        // Nothing drawn since: both fast paths return without the lock.
        l.notify_one();
        l.notify_all();
        assert!(less(u32::MAX, 0) && !less(0, u32::MAX));
    }
}
