//! Mirrors Go src/runtime/sema.go (go1.27): goroutine-aware semaphores.
//!
//! `semacquire(addr)` waits until `*addr > 0` and decrements it;
//! `semrelease(addr)` increments it and wakes one waiter. The count lives in
//! the caller's own word (fdMutex keeps two of them in its struct), and the
//! waiters in a process-wide table of 251 buckets hashed by address, as in Go.
//! Go keeps each bucket as a treap of addresses; gort keeps a FIFO list, which
//! is as fast while few addresses collide in a bucket and much shorter.
//!
//! Waiters park with a [`ParkSlot`] that lives on their own stack: a goroutine
//! parks (its M runs others), a plain OS thread blocks. The slot stays valid
//! while it is listed because its owner cannot return before it is woken.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};

use parking_lot::Mutex;

use crate::park::ParkSlot;
use crate::runtime2::WaitReason;

/// Go's `semTabSize`: a prime, so addresses spread over the buckets.
const SEM_TAB_SIZE: usize = 251;

/// A waiter queued on a bucket (Go's `sudog` for semaphores).
struct Waiter {
    addr: usize,
    slot: *const ParkSlot,
}

// SAFETY: `slot` points into a waiting goroutine's or thread's stack frame that
// stays alive until the slot is woken; only the waker dereferences it, once.
unsafe impl Send for Waiter {}

/// One bucket of the table (Go's `semaRoot`).
struct SemaRoot {
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
fn cansemacquire(addr: &AtomicU32) -> bool {
    // SeqCst: the load-then-CAS must be ordered after our `nwait` increment,
    // see `SemaRoot::nwait`.
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
    if cansemacquire(addr) {
        return;
    }
    let root = semroot(addr);
    loop {
        let slot = ParkSlot::new();
        {
            let mut q = root.waiters.lock();
            root.nwait.fetch_add(1, Ordering::SeqCst);
            if cansemacquire(addr) {
                root.nwait.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            q.push_back(Waiter {
                addr: std::ptr::from_ref(addr) as usize,
                slot: &slot,
            });
        }
        // The releaser dequeued us (and fixed nwait) before waking the slot.
        slot.wait(WaitReason::Semacquire);
        if cansemacquire(addr) {
            return;
        }
        // Someone else took the unit between the release and our wake-up; queue again.
    }
}

/// Increments `*addr` and wakes one goroutine or thread waiting on it (Go's
/// `semrelease`).
#[doc(alias = "runtime_Semrelease")]
pub fn semrelease(addr: &AtomicU32) {
    let root = semroot(addr);
    addr.fetch_add(1, Ordering::SeqCst);
    if root.nwait.load(Ordering::SeqCst) == 0 {
        return;
    }
    let key = std::ptr::from_ref(addr) as usize;
    let slot = {
        let mut q = root.waiters.lock();
        let Some(i) = q.iter().position(|w| w.addr == key) else {
            return;
        };
        root.nwait.fetch_sub(1, Ordering::SeqCst);
        q.remove(i).map(|w| w.slot)
    };
    if let Some(slot) = slot {
        // SAFETY: the waiter is blocked in `slot.wait` until this wake, so its
        // stack frame, and the slot in it, are alive.
        unsafe { &*slot }.wake();
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
}
