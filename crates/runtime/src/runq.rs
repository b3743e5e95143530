//! Mirrors Go src/runtime/proc.go (runqput, runqget, runqgrab, runqsteal: the per-P run queue) (go1.27).
//!
//! Every P keeps the goroutines it makes runnable in a queue of its own, so
//! that the common case, a P scheduling its own work, takes no lock. The queue
//! is Go's design: a fixed ring of [`RUNQ_CAP`] slots addressed by two
//! free-running `u32` counters, `head` (oldest item) and `tail` (one past the
//! newest). Exactly one thread produces, the P's owner: it fills the slot at
//! `tail` and then publishes it by advancing `tail`. Many threads consume: the
//! owner itself, and idle Ps looking for work ("thieves"). Every consumer, the
//! owner included, claims items with a compare-and-swap on `head`, so a
//! consumer that loses a race just reads again. A thief claims half of what it
//! sees in one CAS, copies it into its own (empty) ring and runs one item.
//!
//! Beside the ring sits the `runnext` slot. A goroutine readied by the running
//! one (say, the receiver woken by a channel send) goes there, runs next and
//! inherits the rest of the current time slice, which keeps a communicating
//! pair of goroutines together on one P. Putting into `runnext` moves its
//! previous occupant to the tail of the ring. Thieves take `runnext` only when
//! the ring is empty.
//!
//! When the owner finds the ring full it neither blocks nor grows the ring: it
//! claims the older half with the same `head` CAS and hands it, followed by the
//! new item, to its caller, who appends that batch to the global run queue
//! (Go's `runqputslow`). That bounds the local queue and lets every P see the
//! surplus.
//!
//! # Memory ordering
//!
//! Three pairings carry all the happens-before edges; each use site below
//! names the one it takes part in.
//!
//! * **`tail`**: the owner's `Release` store pairs with the `Acquire` loads of
//!   thieves (and of `is_empty`). Whoever sees the new tail sees the slot
//!   written before it and everything the producer wrote to the item before
//!   queueing it.
//! * **`head`**: every successful CAS is `Release`. Every load by another
//!   thread, and every load by the owner before it writes slots (`put`,
//!   `steal`), is `Acquire`. This orders a consumer's reads of the slots it
//!   claimed before the owner's next write to those slots. It also lets a
//!   reader that sees some `head` see a `tail` at least that large, because
//!   whoever advanced `head` had seen such a tail first.
//! * **`runnext`**: the owner's `Release` swap pairs with a thief's `Acquire`
//!   CAS, which publishes the item. The owner's `Release` CAS that empties
//!   `runnext` pairs with the `Acquire` load in [`RunQueue::is_empty`].
//!
//! Slots themselves are only ever accessed `Relaxed`. A thief may read a slot
//! while the owner overwrites it: the thief loaded `head`, other consumers
//! then moved `head` past that slot, and the owner reused it. That thief's
//! CAS on `head` must then fail, because `head` has moved, and the thief
//! throws away what it read. Slots are atomics only so that this
//! read/write race is defined behaviour. A value that a *successful* CAS
//! commits to is always the right one, thanks to the `tail` and `head`
//! pairings above.
//!
//! `head` and `tail` wrap at 2^32; distances use wrapping arithmetic and
//! [`RUNQ_CAP`] divides 2^32, so `pos % RUNQ_CAP` stays consistent across the
//! wrap. As in Go, an ABA on `head` would need 2^32 claims between one
//! consumer's load and its CAS, and is not guarded against.
//!
//! # Left to the caller
//!
//! Go's scheduler policies around these functions belong to the scheduler, not
//! to this data structure. These are: not using `runnext` when there is no
//! sysmon, shuffling under the race detector, and sleeping about 3µs before
//! taking the `runnext` of a P that is running (so that a P about to run its
//! `runnext` gets the chance to). Here the caller decides through
//! `steal_runnext`, and backs off first if it wants to. `runqputbatch` and the
//! global queue live elsewhere.

// Under loom the scheduler that uses this queue is not compiled, only the
// models below, so outside `cargo test` everything here is unused.
#![cfg_attr(all(loom, not(test)), allow(dead_code))]

use std::ptr::{self, NonNull};

use crate::atomic::{AtomicPtr, AtomicU32, Ordering};

/// Capacity: 256 normally, 4 under cfg(loom) so the model explores more interleavings.
///
/// Go's `len(pp.runq)`. Must be a power of two so that it divides 2^32, the
/// period of the wrapping `head`/`tail` counters.
pub(crate) const RUNQ_CAP: usize = if cfg!(loom) { 4 } else { 256 };

/// [`RUNQ_CAP`] in the counters' type.
const CAP: u32 = RUNQ_CAP as u32;

const _: () = assert!(RUNQ_CAP.is_power_of_two() && RUNQ_CAP >= 2 && RUNQ_CAP <= 1 << 16);

// ANCHOR: runq
/// A P's local run queue (Go's `p.runqhead`, `p.runqtail`, `p.runq` and
/// `p.runnext`): a bounded ring with one producer, many consumers, and a
/// `runnext` slot.
///
/// Methods marked *owner only* must not run concurrently with one another.
/// They may run on different threads over time, as a P moves between Ms,
/// provided each hand-off establishes happens-before (as acquiring a P
/// does). Breaking that rule loses or duplicates items but is not undefined
/// behaviour, because the queue never dereferences what it stores. That is
/// why those methods are safe to call.
///
/// # Thread safety
///
/// The queue stores raw pointers and never dereferences them: it only moves
/// them between threads, as `*mut T` values. Turning one back into a `&T`
/// or `&mut T` is the caller's `unsafe` business. So sharing a `RunQueue<T>`
/// is sound for any `T`, and it is `Send + Sync` automatically, because
/// `AtomicPtr<T>` is (both std's and loom's). No `unsafe impl` is needed,
/// and the assertion just below the struct keeps that true.
///
/// Dropping a queue that still holds items just forgets their pointers. Use
/// [`RunQueue::drain`] first.
pub(crate) struct RunQueue<T> {
    /// Position of the oldest item. Only ever advanced, by a CAS from any
    /// consumer. Successful CASes are `Release`; loads are `Acquire` wherever
    /// the loader needs to see what earlier consumers saw (see the module
    /// docs). Invariant: `head <= tail`, within [`RUNQ_CAP`] (in wrapping
    /// arithmetic).
    head: AtomicU32,
    /// Position one past the newest item. Only the owner stores it, always
    /// `Release`, after writing the slots it publishes.
    tail: AtomicU32,
    /// Slot of position `p` is `buf[p % RUNQ_CAP]`. Positions in `head..tail`
    /// hold queued items. Other slots hold stale pointers (or null before
    /// first use) that thieves may still be reading. Only the owner writes
    /// slots (a thief writes the slots of its own queue).
    buf: Box<[AtomicPtr<T>]>,
    /// The item to run next, or null. Only the owner makes it non-null. Anyone
    /// may take it, by a CAS from the pointer they saw to null.
    runnext: AtomicPtr<T>,
}
// ANCHOR_END: runq

/// Compile-time check of the "Thread safety" claim above, for a `T` that is
/// neither `Send` nor `Sync`.
const _: fn() = || {
    fn send_sync<X: Send + Sync>() {}
    send_sync::<RunQueue<std::cell::Cell<u8>>>();
};

impl<T> RunQueue<T> {
    /// An empty queue.
    pub(crate) fn new() -> Self {
        Self::starting_at(0)
    }

    /// An empty queue whose counters start at `pos` (tests start near
    /// `u32::MAX` to cross the wrap).
    fn starting_at(pos: u32) -> Self {
        RunQueue {
            head: AtomicU32::new(pos),
            tail: AtomicU32::new(pos),
            buf: (0..RUNQ_CAP)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            runnext: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The slot that holds position `pos`.
    fn slot(&self, pos: u32) -> &AtomicPtr<T> {
        &self.buf[pos as usize % RUNQ_CAP]
    }

    // ANCHOR: runqput
    /// Queues `item`. Owner only.
    ///
    /// With `next == false`, `item` goes to the tail of the ring. With
    /// `next == true` it goes to `runnext`, and the item it displaces (if
    /// any) goes to the tail of the ring instead.
    ///
    /// When the ring is full, its older half plus the item bound for the
    /// tail, `RUNQ_CAP / 2 + 1` items in FIFO order, are taken out and passed
    /// to `overflow` as one slice (Go's `runqputslow`). The caller should put
    /// them on the global run queue as one batch. `overflow` is called at
    /// most once, after the queue has let go of those items, so it may do
    /// anything, even put to this queue again. A slice of an on-stack array,
    /// rather than a `Vec` or an iterator, costs no allocation and still lets
    /// the caller link the items in order.
    #[doc(alias = "runqput")]
    ///
    /// Returns true when `item` went into an empty `runnext`: the P has
    /// gained exactly one goroutine, which it will run next. The scheduler
    /// uses that to skip waking another M for it (see `newproc`).
    pub(crate) fn put(
        &self,
        item: NonNull<T>,
        next: bool,
        overflow: impl FnOnce(&[NonNull<T>]),
    ) -> bool {
        let mut item = item;
        if next {
            // Release: pairs with the Acquire CAS by which a thief takes
            // runnext in `grab`, so the thief sees everything written to
            // `item` before this put. Go loops on a CAS here; a swap is the
            // same thing in one step. The old value needs no Acquire: only the
            // owner ever stores a non-null runnext, so a non-null `old` is our
            // own earlier store. And since a swap is a read-modify-write, a
            // thief's CAS cannot also take `old`: it either came first (we read
            // null) or it fails.
            let old = self.runnext.swap(item.as_ptr(), Ordering::Release);
            match NonNull::new(old) {
                None => return true,
                // Kick the previous runnext out to the tail of the ring.
                Some(old) => item = old,
            }
        }
        loop {
            // Acquire: pairs with the Release CAS on `head` of every consumer
            // (ours in `get`/`drain`/`put_slow`, thieves' in `grab`), so their
            // reads of the slots they claimed happen-before our overwriting
            // one of those slots below. Without it, a consumer's Relaxed slot
            // read could return the item we are about to store.
            let h = self.head.load(Ordering::Acquire);
            // Relaxed: only the owner stores `tail`, so this is our own latest
            // store.
            let t = self.tail.load(Ordering::Relaxed);
            if t.wrapping_sub(h) < CAP {
                // Relaxed: the Release store of `tail` below publishes it.
                self.slot(t).store(item.as_ptr(), Ordering::Relaxed);
                // Release: pairs with the Acquire loads of `tail` in `grab`
                // and `is_empty`; whoever sees `t + 1` also sees the slot
                // store above and the item's contents.
                self.tail.store(t.wrapping_add(1), Ordering::Release);
                return false;
            }
            if let Some(batch) = self.put_slow(item, h, t) {
                overflow(&batch);
                return false;
            }
            // A thief claimed items between our load of `head` and our CAS,
            // so there is room now: the fast path above must succeed.
        }
    }
    // ANCHOR_END: runqput

    // ANCHOR: runqputslow
    /// The full-ring path of [`RunQueue::put`]. It claims the older half of
    /// the ring (`h..t`, as put saw it) and returns that half with `item`
    /// appended. It returns `None`, having changed nothing, when a thief moved
    /// `head` first.
    #[doc(alias = "runqputslow")]
    fn put_slow(&self, item: NonNull<T>, h: u32, t: u32) -> Option<[NonNull<T>; RUNQ_CAP / 2 + 1]> {
        let n = t.wrapping_sub(h) / 2;
        assert_eq!(n, CAP / 2, "runqputslow: queue is not full");
        // Release: pairs with Acquire loads of `head` by other threads
        // (`grab`, `len`, `is_empty`). Whoever sees `h + n` also sees our
        // tail `t`, which we stored before this, so it never sees `head`
        // ahead of `tail`. Failure is Relaxed: we return to `put`, which
        // reloads `head` with Acquire.
        if self
            .head
            .compare_exchange(h, h.wrapping_add(n), Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        // Go copies the slots out before its CAS. Reading them after is
        // equally sound, because only the owner (us) ever writes these slots.
        // It also saves the copy when the CAS fails. Thieves may still be
        // reading them, but every such thief's CAS will now fail.
        let mut batch = [NonNull::dangling(); RUNQ_CAP / 2 + 1];
        for (i, b) in (0..).zip(&mut batch[..RUNQ_CAP / 2]) {
            // Relaxed: our own earlier store to this slot.
            *b = claimed(
                self.slot(h.wrapping_add(i)).load(Ordering::Relaxed),
                "runqputslow",
            );
        }
        batch[RUNQ_CAP / 2] = item;
        Some(batch)
    }
    // ANCHOR_END: runqputslow

    // ANCHOR: runqget
    /// Takes the next item to run. Owner only.
    ///
    /// Takes `runnext` first, with `inherit_time == true` (it shares the time
    /// slice of the goroutine that readied it), then the head of the ring
    /// with `inherit_time == false`. Returns `None` when both are empty.
    #[doc(alias = "runqget")]
    pub(crate) fn get(&self) -> Option<(NonNull<T>, bool)> {
        // Relaxed: only the owner stores a non-null runnext, so a non-null
        // value here is our own store; if a thief has taken it since, the CAS
        // below fails.
        let next = self.runnext.load(Ordering::Relaxed);
        if let Some(item) = NonNull::new(next) {
            // Release: pairs with the Acquire load of `runnext` in `is_empty`.
            // A reader that sees the null we store here also sees our earlier
            // `tail` stores, so it notices an item that `put` moved from
            // runnext into the ring just before this. Failure is Relaxed, and
            // there is no retry: only we make runnext non-null again, so a
            // failure means a thief took it, and we fall through to the ring.
            if self
                .runnext
                .compare_exchange(next, ptr::null_mut(), Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return Some((item, true));
            }
        }
        loop {
            // Relaxed (Go uses load-acquire): we write no slot here, and the
            // slot we read holds our own store, so there is nothing to
            // synchronize with. A stale `h` only makes the CAS below fail; a
            // successful CAS proves `h` was current, so the slot held our
            // store for position `h`.
            let h = self.head.load(Ordering::Relaxed);
            // Relaxed: our own latest store.
            let t = self.tail.load(Ordering::Relaxed);
            if t == h {
                return None;
            }
            assert!(
                t.wrapping_sub(h) <= CAP,
                "runqget: head {h} is past tail {t}"
            );
            // Relaxed: our own earlier store (see `h` above).
            let item = self.slot(h).load(Ordering::Relaxed);
            // Release: the same pairing as in `put_slow`: whoever sees `h + 1`
            // with Acquire also sees our tail. Failure is Relaxed: we loop and
            // reload.
            if self
                .head
                .compare_exchange(h, h.wrapping_add(1), Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return Some((claimed(item, "runqget"), false));
            }
        }
    }
    // ANCHOR_END: runqget

    // ANCHOR: runqsteal
    /// Steals into this queue from `victim`. Called on the thief's own queue,
    /// by its owner.
    ///
    /// It claims half of `victim`'s ring, rounded up. When that ring is empty
    /// and `steal_runnext` is set, it claims `victim`'s runnext instead. It
    /// returns one claimed item to run now and moves the others into this
    /// queue's ring. It returns `None` when it claimed nothing.
    ///
    /// This queue's ring must be empty, as the owner last saw it (say,
    /// [`RunQueue::get`] just returned `None`): Go steals only when the local
    /// queue is empty, which is what guarantees room for the batch.
    ///
    /// Go's `runqgrab` sleeps about 3µs before taking the runnext of a P that
    /// is running, to give that P the chance to run it itself. This does not:
    /// the caller chooses `steal_runnext` and may back off before calling.
    #[doc(alias = "runqsteal")]
    pub(crate) fn steal(&self, victim: &RunQueue<T>, steal_runnext: bool) -> Option<NonNull<T>> {
        debug_assert!(!ptr::eq(self, victim), "runqsteal: stealing from own queue");
        // Relaxed: our own latest store (this is our queue).
        let t = self.tail.load(Ordering::Relaxed);
        // Acquire: `grab` is about to overwrite our slots, so, as in `put`,
        // pair with the Release CAS on our `head` of every consumer of our
        // queue. Their reads of those slots then happen-before our writes.
        let h = self.head.load(Ordering::Acquire);
        debug_assert_eq!(h, t, "runqsteal: thief's run queue is not empty");
        // Go checks for overflow only after grabbing ("runqsteal: runq
        // overflow"). Checking here, against the largest possible batch,
        // stops us before we could overwrite any item still queued.
        assert!(t.wrapping_sub(h) <= CAP / 2, "runqsteal: runq overflow");
        let n = self.grab(victim, t, steal_runnext);
        if n == 0 {
            return None;
        }
        // The newest item grabbed (at position t + n - 1) runs now; the others
        // become visible in our ring.
        let n = n - 1;
        // Relaxed: `grab` wrote this slot on this thread.
        let item = claimed(
            self.slot(t.wrapping_add(n)).load(Ordering::Relaxed),
            "runqsteal",
        );
        if n == 0 {
            return Some(item);
        }
        // Release: pairs with the Acquire loads of our `tail` by our own
        // thieves, publishing the slots `grab` wrote. Those thieves then also
        // see the items' contents, by transitivity through the Acquire in
        // `grab` by which we got them.
        self.tail.store(t.wrapping_add(n), Ordering::Release);
        Some(item)
    }
    // ANCHOR_END: runqsteal

    // ANCHOR: runqgrab
    /// Claims up to half of `victim`'s ring, rounded up. With
    /// `steal_runnext`, it claims `victim`'s runnext instead when the ring is
    /// empty. The claimed items go into this queue's slots from position
    /// `dst_head` on, without being published. Returns how many were claimed.
    #[doc(alias = "runqgrab")]
    fn grab(&self, victim: &RunQueue<T>, dst_head: u32, steal_runnext: bool) -> u32 {
        loop {
            // Acquire: pairs with the Release CAS on `head` by whichever
            // consumer stored `h`. The `tail` we load next is then at least
            // the tail that consumer saw, so `t - h` does not wrap below zero.
            // Without it we could keep seeing `head` ahead of `tail` and spin
            // in the torn-view retry below (loom reports that livelock).
            let h = victim.head.load(Ordering::Acquire);
            // Acquire: pairs with the owner's Release store of `tail` in `put`
            // (or `steal`), so the slots in `h..t`, and the items they point
            // to, are visible to us.
            let t = victim.tail.load(Ordering::Acquire);
            let queued = t.wrapping_sub(h);
            let n = queued - queued / 2;
            if n == 0 {
                if !steal_runnext {
                    return 0;
                }
                // Relaxed: only used as the expected value of the CAS below,
                // which does the synchronizing.
                let next = victim.runnext.load(Ordering::Relaxed);
                if next.is_null() {
                    return 0;
                }
                // Acquire: pairs with the owner's Release swap in `put`, so we
                // see what was written to the item before it was queued.
                // Release is not needed: we publish nothing to `victim`.
                // Failure is Relaxed: the owner replaced or took runnext,
                // possibly by moving it into the ring, so start over and look
                // at the ring again.
                if victim
                    .runnext
                    .compare_exchange(next, ptr::null_mut(), Ordering::Acquire, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
                // Relaxed: published, if at all, by our `tail` store in
                // `steal`.
                self.slot(dst_head).store(next, Ordering::Relaxed);
                return 1;
            }
            if n > CAP / 2 {
                // Not a state of the queue, just a torn view of it. `tail`
                // moved on by more than a whole ring after we loaded `head`,
                // which means other consumers have since claimed past `h`.
                // Look again.
                continue;
            }
            for i in 0..n {
                // Relaxed load: may race with the owner overwriting the slot.
                // In that case `head` has moved past `h` and the CAS below
                // fails, discarding what we copied. If the CAS succeeds, the
                // value is the one published by the tail we acquired.
                // Relaxed store: our own slot, published by `steal`'s `tail`
                // store.
                let item = victim.slot(h.wrapping_add(i)).load(Ordering::Relaxed);
                self.slot(dst_head.wrapping_add(i))
                    .store(item, Ordering::Relaxed);
            }
            // Release: commits the claim. It pairs with the owner's Acquire
            // load of `head` in `put`, so our slot reads above happen-before
            // the owner reuses those slots. It also pairs with the Acquire
            // loads of `head` in `grab`/`len`/`is_empty` (they then see a tail
            // of at least `t`). Failure is Relaxed: we loop and reload
            // everything.
            if victim
                .head
                .compare_exchange(h, h.wrapping_add(n), Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return n;
            }
        }
    }
    // ANCHOR_END: runqgrab

    /// A racy fingerprint of what is queued to run next: the ring's head
    /// index and the `runnext` pointer. If it is the same, and the queue not
    /// empty, at two moments, nothing was taken from the queue in between.
    /// sysmon uses it to spot work stranded behind a goroutine that never
    /// yields. Relaxed: a hint, compared only with an older hint.
    #[cfg(not(loom))]
    pub(crate) fn fingerprint(&self) -> (u32, usize) {
        (
            self.head.load(Ordering::Relaxed),
            self.runnext.load(Ordering::Relaxed) as usize,
        )
    }

    /// Number of queued items, ring plus runnext: a racy snapshot for
    /// schedtrace and heuristics. Callable from any thread. The answer may be
    /// out of date by the time it is returned, but it never exceeds
    /// `RUNQ_CAP + 1`.
    pub(crate) fn len(&self) -> usize {
        // Acquire: pairs with the Release CAS of whoever stored `h`, so the
        // `tail` loaded next is at least the one that consumer saw and
        // `t - h` does not wrap below zero.
        let h = self.head.load(Ordering::Acquire);
        // Relaxed: nothing is read through it. The Acquire on `head` above
        // is what makes it at least `h`.
        let t = self.tail.load(Ordering::Relaxed);
        // Relaxed: only tested for null; nothing is read through it.
        let next = self.runnext.load(Ordering::Relaxed);
        // `tail` may have moved far past the `head` we loaded; clamp the torn
        // view to what the ring can hold.
        let ring = (t.wrapping_sub(h) as usize).min(RUNQ_CAP);
        ring + usize::from(!next.is_null())
    }

    // ANCHOR: runqempty
    /// Reports whether the queue (ring and runnext) is empty. Callable from
    /// any thread.
    ///
    /// Like Go's `runqempty` it never says "empty" spuriously. While the owner
    /// moves an item from runnext to the ring (`put` with `next`) and then
    /// empties runnext (`get`), a careless reader could see the ring before
    /// the move and runnext after it, and so miss the item in both places.
    /// This reader re-checks that `tail` did not move while it looked at
    /// `runnext`, and looks again if it did.
    #[doc(alias = "runqempty")]
    pub(crate) fn is_empty(&self) -> bool {
        loop {
            // Acquire: pairs with the Release CAS on `head` of whoever stored
            // `h` (including the owner's, in `get`). The `tail` loaded next is
            // then at least the one that consumer saw, so we cannot see the
            // owner's head move and miss the tail store it made before.
            let h = self.head.load(Ordering::Acquire);
            // Acquire (Go's load here is sequentially consistent): pairs with
            // the owner's Release store of `tail`, so the `runnext` load below
            // is at least as new as the owner's runnext when it stored `t`.
            // That is a margin rather than a necessity: the argument rests on
            // the Acquire loads of `head` and `runnext`, and loom finds no
            // failure with this one Relaxed.
            let t = self.tail.load(Ordering::Acquire);
            // Acquire: pairs with the owner's Release CAS emptying runnext in
            // `get`/`drain` (and its Release swap in `put`). If we see that
            // null, the re-load of `tail` below sees every tail store the owner
            // made before emptying runnext, including the one that moved the
            // old runnext into the ring.
            let next = self.runnext.load(Ordering::Acquire);
            // Relaxed: the Acquire load of `runnext` above already orders this
            // load and supplies the happens-before it relies on.
            if t == self.tail.load(Ordering::Relaxed) {
                return h == t && next.is_null();
            }
        }
    }
    // ANCHOR_END: runqempty

    /// Removes and returns everything queued: runnext first, then the ring in
    /// FIFO order. Owner only. (The scheduler never needs it: a runtime is
    /// freed only once no goroutine is left; the tests use it to empty queues.)
    #[cfg(test)]
    #[doc(alias = "runqdrain")]
    pub(crate) fn drain(&self) -> Vec<NonNull<T>> {
        let mut out = Vec::new();
        // Relaxed, and the Release CAS that empties runnext: the same reasoning
        // as in `get`.
        let next = self.runnext.load(Ordering::Relaxed);
        if let Some(item) = NonNull::new(next)
            && self
                .runnext
                .compare_exchange(next, ptr::null_mut(), Ordering::Release, Ordering::Relaxed)
                .is_ok()
        {
            out.push(item);
        }
        loop {
            // Relaxed for both: as in `get`, we read only our own tail and
            // slots, and a stale `h` makes the CAS fail.
            let h = self.head.load(Ordering::Relaxed);
            let t = self.tail.load(Ordering::Relaxed);
            let n = t.wrapping_sub(h);
            if n == 0 {
                return out;
            }
            // Go retries here ("read inconsistent h and t"); for the owner,
            // whose tail is always current, that cannot happen, so say so.
            assert!(n <= CAP, "runqdrain: head {h} is past tail {t}");
            // Release: the same pairing as in `get`. Failure is Relaxed: we
            // loop and reload.
            if self
                .head
                .compare_exchange(h, t, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                // Read the slots only after claiming them, as Go does, and for
                // the reason given in `put_slow`: only we write them.
                out.reserve(n as usize);
                for pos in (0..n).map(|i| h.wrapping_add(i)) {
                    // Relaxed: our own earlier store.
                    out.push(claimed(self.slot(pos).load(Ordering::Relaxed), "runqdrain"));
                }
                return out;
            }
        }
    }
}

/// Turns a pointer that a successful claim has just made ours into the item.
/// Claimed slots always hold a stored item, so null means the queue is broken:
/// say so loudly.
#[track_caller]
fn claimed<T>(ptr: *mut T, who: &str) -> NonNull<T> {
    match NonNull::new(ptr) {
        Some(item) => item,
        None => panic!("{who}: claimed a null item"),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::thread;

    /// Distinct heap integers standing in for Gs. Item `i` holds `i`. The
    /// vector is never resized and outlives every queue in a test, so any
    /// pointer a queue hands back can be read to learn which item it is.
    struct Items(Vec<usize>);

    impl Items {
        fn new(n: usize) -> Self {
            Items((0..n).collect())
        }

        fn ptr(&self, i: usize) -> NonNull<usize> {
            NonNull::from(&self.0[i])
        }

        /// Which item `p` is, read through `p` itself.
        fn index(&self, p: NonNull<usize>) -> usize {
            let offset = p.as_ptr().addr().wrapping_sub(self.0.as_ptr().addr());
            let i = offset / size_of::<usize>();
            assert!(
                i < self.0.len() && p == self.ptr(i),
                "pointer is not one of our items"
            );
            // SAFETY: `p` is `self.ptr(i)` (checked above): it points into
            // `self.0`, which lives as long as `self` and is never written
            // after creation.
            let value = unsafe { *p.as_ptr() };
            assert_eq!(value, i, "item {i} was overwritten");
            value
        }
    }

    /// Asserts that `seen` holds each of `0..n` exactly once.
    fn assert_each_once(seen: impl IntoIterator<Item = usize>, n: usize) {
        let mut counts = vec![0u32; n];
        for i in seen {
            counts[i] += 1;
        }
        for (i, &c) in counts.iter().enumerate() {
            assert_eq!(c, 1, "item {i} seen {c} times");
        }
    }

    fn no_overflow(batch: &[NonNull<usize>]) {
        panic!("unexpected overflow of {} items", batch.len());
    }

    /// Gets everything left in `q`, in order, as item indices.
    fn get_all(q: &RunQueue<usize>, items: &Items) -> Vec<usize> {
        std::iter::from_fn(|| q.get())
            .map(|(p, _)| items.index(p))
            .collect()
    }

    #[test]
    fn put_get_fifo() {
        let items = Items::new(RUNQ_CAP);
        let q = RunQueue::new();
        assert!(q.get().is_none());
        for i in 0..RUNQ_CAP {
            q.put(items.ptr(i), false, no_overflow);
        }
        for i in 0..RUNQ_CAP {
            let (p, inherit) = q.get().expect("queue emptied early");
            assert_eq!((items.index(p), inherit), (i, false));
        }
        assert!(q.get().is_none());
    }

    #[test]
    fn runnext_is_lifo_and_displaces_to_tail() {
        let items = Items::new(4);
        let q = RunQueue::new();
        q.put(items.ptr(0), true, no_overflow);
        q.put(items.ptr(1), false, no_overflow);
        // 2 takes runnext; 0 moves to the tail, behind 1.
        q.put(items.ptr(2), true, no_overflow);
        q.put(items.ptr(3), false, no_overflow);
        let got: Vec<_> = std::iter::from_fn(|| q.get())
            .map(|(p, inherit)| (items.index(p), inherit))
            .collect();
        assert_eq!(got, [(2, true), (1, false), (0, false), (3, false)]);
    }

    #[test]
    fn overflow_passes_half_plus_item_in_order() {
        let items = Items::new(RUNQ_CAP + 2);
        let q = RunQueue::new();
        for i in 0..RUNQ_CAP {
            q.put(items.ptr(i), false, no_overflow);
        }
        let mut batches = Vec::new();
        q.put(items.ptr(RUNQ_CAP), false, |b| {
            batches.push(b.iter().map(|&p| items.index(p)).collect::<Vec<_>>())
        });
        let want: Vec<_> = (0..RUNQ_CAP / 2).chain([RUNQ_CAP]).collect();
        assert_eq!(batches, [want]);
        assert_eq!(q.len(), RUNQ_CAP / 2);
        assert_eq!(
            get_all(&q, &items),
            (RUNQ_CAP / 2..RUNQ_CAP).collect::<Vec<_>>()
        );
    }

    #[test]
    fn overflow_of_displaced_runnext() {
        let items = Items::new(RUNQ_CAP + 2);
        let (x, y) = (RUNQ_CAP, RUNQ_CAP + 1);
        let q = RunQueue::new();
        for i in 0..RUNQ_CAP {
            q.put(items.ptr(i), false, no_overflow);
        }
        // runnext is free: no overflow even though the ring is full.
        q.put(items.ptr(x), true, no_overflow);
        // y displaces x, which does not fit in the ring.
        let mut batch = Vec::new();
        q.put(items.ptr(y), true, |b| {
            batch.extend(b.iter().map(|&p| items.index(p)))
        });
        assert_eq!(batch, (0..RUNQ_CAP / 2).chain([x]).collect::<Vec<_>>());
        let (p, inherit) = q.get().unwrap();
        assert_eq!((items.index(p), inherit), (y, true));
        assert_eq!(
            get_all(&q, &items),
            (RUNQ_CAP / 2..RUNQ_CAP).collect::<Vec<_>>()
        );
    }

    #[test]
    fn steal_takes_older_half_rounded_up() {
        let items = Items::new(RUNQ_CAP);
        for k in 0..=RUNQ_CAP {
            let victim = RunQueue::new();
            let thief = RunQueue::new();
            for i in 0..k {
                victim.put(items.ptr(i), false, no_overflow);
            }
            let mut stolen: Vec<_> = thief
                .steal(&victim, false)
                .map(|p| items.index(p))
                .into_iter()
                .collect();
            stolen.extend(get_all(&thief, &items));
            stolen.sort_unstable();
            let taken = k - k / 2;
            assert_eq!(stolen, (0..taken).collect::<Vec<_>>(), "k = {k}");
            assert_eq!(
                get_all(&victim, &items),
                (taken..k).collect::<Vec<_>>(),
                "k = {k}"
            );
        }
    }

    #[test]
    fn steal_runs_newest_of_batch_and_queues_rest_in_order() {
        let items = Items::new(6);
        let (victim, thief) = (RunQueue::new(), RunQueue::new());
        for i in 0..6 {
            victim.put(items.ptr(i), false, no_overflow);
        }
        assert_eq!(thief.steal(&victim, false).map(|p| items.index(p)), Some(2));
        assert_eq!(get_all(&thief, &items), [0, 1]);
        assert_eq!(get_all(&victim, &items), [3, 4, 5]);
    }

    #[test]
    fn steal_runnext_only_when_ring_empty_and_asked() {
        let items = Items::new(2);
        let (victim, thief) = (RunQueue::new(), RunQueue::new());
        victim.put(items.ptr(0), true, no_overflow);
        victim.put(items.ptr(1), false, no_overflow);
        // The ring is not empty: the ring item is taken, runnext stays.
        assert_eq!(thief.steal(&victim, true).map(|p| items.index(p)), Some(1));
        // The ring is empty, but runnext was not asked for.
        assert!(thief.steal(&victim, false).is_none());
        assert_eq!(victim.len(), 1);
        // Now it is.
        assert_eq!(thief.steal(&victim, true).map(|p| items.index(p)), Some(0));
        assert!(victim.is_empty());
        assert!(thief.steal(&victim, true).is_none());
        assert!(thief.is_empty());
    }

    #[test]
    fn len_and_is_empty() {
        let items = Items::new(RUNQ_CAP + 1);
        let q = RunQueue::new();
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
        q.put(items.ptr(0), true, no_overflow);
        assert!(!q.is_empty());
        assert_eq!(q.len(), 1);
        for i in 1..=RUNQ_CAP {
            q.put(items.ptr(i), false, no_overflow);
            assert_eq!(q.len(), i + 1);
        }
        assert_eq!(q.len(), RUNQ_CAP + 1);
        for left in (0..=RUNQ_CAP).rev() {
            q.get().unwrap();
            assert_eq!(q.len(), left);
            assert_eq!(q.is_empty(), left == 0);
        }
    }

    #[test]
    fn drain_takes_runnext_then_ring() {
        let items = Items::new(4);
        let q = RunQueue::new();
        assert!(q.drain().is_empty());
        for i in 0..3 {
            q.put(items.ptr(i), false, no_overflow);
        }
        q.put(items.ptr(3), true, no_overflow);
        q.get().unwrap(); // 3, from runnext
        q.put(items.ptr(3), true, no_overflow);
        let drained: Vec<_> = q.drain().into_iter().map(|p| items.index(p)).collect();
        assert_eq!(drained, [3, 0, 1, 2]);
        assert!(q.is_empty());
        assert!(q.get().is_none());
    }

    #[test]
    fn counters_wrap_around_u32() {
        let items = Items::new(RUNQ_CAP + 1);
        let start = u32::MAX - 2;
        let q = RunQueue::starting_at(start);
        let mut seen = Vec::new();
        // Several rounds of fill, overflow, steal and get across the wrap.
        for _ in 0..3 {
            for i in 0..=RUNQ_CAP {
                q.put(items.ptr(i), false, |b| {
                    seen.extend(b.iter().map(|&p| items.index(p)))
                });
            }
            let thief = RunQueue::starting_at(start.wrapping_add(1));
            seen.extend(thief.steal(&q, true).map(|p| items.index(p)));
            seen.extend(get_all(&thief, &items));
            seen.extend(get_all(&q, &items));
            assert_each_once(seen.drain(..), RUNQ_CAP + 1);
        }
        assert!(q.is_empty());
    }

    /// Port of Go's TestSchedLocalQueue (RunSchedLocalQueueTest in
    /// runtime/export_test.go), with distinct items so each can be checked.
    #[test]
    fn sched_local_queue() {
        let items = Items::new(RUNQ_CAP);
        let q = RunQueue::new();
        for i in 0..RUNQ_CAP {
            assert!(q.get().is_none(), "runq is not empty initially");
            for j in 0..i {
                q.put(items.ptr(j), false, no_overflow);
            }
            for j in 0..i {
                let got = q.get().map(|(p, _)| items.index(p));
                assert_eq!(got, Some(j), "bad element at iter {i}/{j}");
            }
            assert!(q.get().is_none(), "runq is not empty afterwards");
        }
    }

    /// Port of Go's TestSchedLocalQueueSteal (RunSchedLocalQueueStealTest).
    #[test]
    fn sched_local_queue_steal() {
        let items = Items::new(RUNQ_CAP);
        let (p1, p2) = (RunQueue::new(), RunQueue::new());
        for i in 0..RUNQ_CAP {
            for j in 0..i {
                p1.put(items.ptr(j), false, no_overflow);
            }
            let mut stolen: Vec<_> = p2
                .steal(&p1, true)
                .map(|p| items.index(p))
                .into_iter()
                .collect();
            stolen.extend(get_all(&p2, &items));
            let s = stolen.len();
            assert!(
                s == i / 2 || s == i / 2 + 1,
                "bad steal {s}, want {} or {}, iter {i}",
                i / 2,
                i / 2 + 1
            );
            let rest = get_all(&p1, &items);
            assert_each_once(stolen.into_iter().chain(rest), i);
        }
    }

    /// Port of Go's TestSchedLocalQueueEmpty (RunSchedLocalQueueEmptyTest):
    /// while the owner moves items between runnext and the ring, another
    /// thread must never see the queue as empty.
    #[test]
    fn sched_local_queue_empty() {
        let items = Items::new(2);
        let q = RunQueue::new();
        let iters = 1000;
        for i in 0..iters {
            let (next0, next1) = (i & 1 == 0, i & 2 == 0);
            q.put(items.ptr(0), next0, no_overflow);
            let ready = std::sync::Barrier::new(2);
            thread::scope(|s| {
                s.spawn(|| {
                    ready.wait();
                    assert!(!q.is_empty(), "queue is empty (next: {next0} {next1})");
                });
                ready.wait();
                q.put(items.ptr(1), next1, no_overflow);
                q.get().unwrap();
            });
            q.get().unwrap();
            assert!(q.is_empty());
        }
    }

    /// One owner putting and getting `N` distinct items (through runnext,
    /// the ring and, as it puts three for every get, overflow) while two
    /// thieves steal into their own queues and drain them. Every item must
    /// come out exactly once. How the work splits between the paths depends
    /// on timing, so only the total is checked.
    #[test]
    fn stress_owner_and_two_thieves() {
        const N: usize = 200_000;
        let items = Items::new(N);
        let victim = RunQueue::new();
        let done = AtomicBool::new(false);
        let (owner_got, overflowed, thieves_got) = thread::scope(|s| {
            let thieves: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let mine = RunQueue::new();
                        let mut got = Vec::new();
                        loop {
                            // Acquire: pairs with the owner's Release store
                            // below, made after it emptied its queue for good.
                            let finished = done.load(std::sync::atomic::Ordering::Acquire);
                            match mine.steal(&victim, true) {
                                Some(p) => {
                                    got.push(items.index(p));
                                    got.extend(get_all(&mine, &items));
                                }
                                None if finished => return got,
                                None => thread::yield_now(),
                            }
                        }
                    })
                })
                .collect();
            let mut got = Vec::new();
            let mut overflowed = Vec::new();
            for i in 0..N {
                victim.put(items.ptr(i), i % 5 == 0, |b| {
                    overflowed.extend(b.iter().map(|&p| items.index(p)))
                });
                if i % 3 == 0 {
                    got.extend(victim.get().map(|(p, _)| items.index(p)));
                }
            }
            got.extend(get_all(&victim, &items));
            // Release: see the thieves' Acquire load above.
            done.store(true, std::sync::atomic::Ordering::Release);
            let thieves_got: Vec<_> = thieves.into_iter().map(|t| t.join().unwrap()).collect();
            (got, overflowed, thieves_got)
        });
        assert_each_once(
            owner_got
                .into_iter()
                .chain(overflowed)
                .chain(thieves_got.into_iter().flatten()),
            N,
        );
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Loom models of the queue, at `RUNQ_CAP == 4`. Run with
    //! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test --release`.
    //!
    //! Items are loom `UnsafeCell`s. The owner writes each one just before
    //! queueing it (as the scheduler writes a G before readying it), and
    //! whoever gets it back reads it. So loom checks both that every item
    //! comes out exactly once and that the queue makes each write
    //! happen-before the matching read: a missing `Release`/`Acquire`
    //! shows up as a data race.

    use super::*;
    use loom::cell::UnsafeCell;
    use loom::sync::Arc;
    use loom::thread;

    type Item = UnsafeCell<usize>;

    struct Items(Vec<Item>);

    impl Items {
        fn new(n: usize) -> Arc<Self> {
            Arc::new(Items((0..n).map(|_| UnsafeCell::new(usize::MAX)).collect()))
        }

        /// Writes `i` into item `i` and returns the pointer to queue.
        fn make(&self, i: usize) -> NonNull<Item> {
            // SAFETY: item `i` is made once per model, and no other thread
            // can reach it before it is queued. Loom checks that claim.
            self.0[i].with_mut(|v| unsafe { *v = i });
            NonNull::from(&self.0[i])
        }

        /// Reads back which item `p` is.
        fn id(&self, p: NonNull<Item>) -> usize {
            assert!(
                self.0.iter().any(|c| ptr::eq(c, p.as_ptr())),
                "pointer is not one of our items"
            );
            // SAFETY: `p` points into `self.0` (checked above), which lives
            // as long as `self`.
            let cell = unsafe { p.as_ref() };
            // SAFETY: the only write to the cell was in `make`. The queue
            // must make it happen-before this read, and loom checks that.
            cell.with(|v| unsafe { *v })
        }

        fn get_all(&self, q: &RunQueue<Item>) -> Vec<usize> {
            std::iter::from_fn(|| q.get())
                .map(|(p, _)| self.id(p))
                .collect()
        }
    }

    fn no_overflow(batch: &[NonNull<Item>]) {
        panic!("unexpected overflow of {} items", batch.len());
    }

    /// A thief: one steal from `victim` into a fresh queue, then gets that
    /// queue empty. Returns what it obtained.
    fn spawn_thief(
        items: &Arc<Items>,
        victim: &Arc<RunQueue<Item>>,
        steal_runnext: bool,
    ) -> thread::JoinHandle<Vec<usize>> {
        let (items, victim) = (Arc::clone(items), Arc::clone(victim));
        thread::spawn(move || {
            let mine = RunQueue::new();
            let stolen = mine.steal(&victim, steal_runnext);
            let mut got: Vec<_> = stolen.map(|p| items.id(p)).into_iter().collect();
            got.extend(items.get_all(&mine));
            got
        })
    }

    fn assert_each_once(seen: impl IntoIterator<Item = usize>, n: usize) {
        let mut counts = vec![0u32; n];
        for i in seen {
            counts[i] += 1;
        }
        assert!(counts.iter().all(|&c| c == 1), "counts: {counts:?}");
    }

    /// The owner puts three items, getting one in between, and then gets the
    /// rest, while a thief steals: each item is consumed exactly once.
    #[test]
    fn loom_put_get_vs_steal() {
        loom::model(|| {
            let items = Items::new(3);
            let victim = Arc::new(RunQueue::new());
            let thief = spawn_thief(&items, &victim, false);
            victim.put(items.make(0), false, no_overflow);
            victim.put(items.make(1), false, no_overflow);
            let first = victim.get().map(|(p, _)| items.id(p));
            victim.put(items.make(2), false, no_overflow);
            let mut got: Vec<_> = first.into_iter().chain(items.get_all(&victim)).collect();
            assert!(got.is_sorted(), "owner got out of order: {got:?}");
            got.extend(thief.join().unwrap());
            assert_each_once(got, 3);
        });
    }

    /// Two thieves race each other, and the owner's gets, over two ring
    /// items and a runnext.
    #[test]
    fn loom_two_thieves_vs_get() {
        loom::model(|| {
            let items = Items::new(3);
            let victim = Arc::new(RunQueue::new());
            victim.put(items.make(0), false, no_overflow);
            victim.put(items.make(1), false, no_overflow);
            victim.put(items.make(2), true, no_overflow);
            let thieves = [
                spawn_thief(&items, &victim, true),
                spawn_thief(&items, &victim, true),
            ];
            let mut got = items.get_all(&victim);
            for thief in thieves {
                got.extend(thief.join().unwrap());
            }
            assert_each_once(got, 3);
        });
    }

    /// The owner puts into runnext, displacing the previous runnext to the
    /// ring, and then drains its queue, while a thief tries to take runnext.
    #[test]
    fn loom_runnext_vs_steal() {
        loom::model(|| {
            let items = Items::new(2);
            let victim = Arc::new(RunQueue::new());
            victim.put(items.make(0), true, no_overflow);
            let thief = spawn_thief(&items, &victim, true);
            victim.put(items.make(1), true, no_overflow);
            let mut got: Vec<_> = victim.drain().into_iter().map(|p| items.id(p)).collect();
            assert!(victim.is_empty());
            got.extend(thief.join().unwrap());
            assert_each_once(got, 2);
        });
    }

    /// The owner puts past capacity, so the overflow path runs (unless the
    /// thief made room first), while a thief steals: every item shows up
    /// exactly once across the owner's gets, the overflow batch and the
    /// steal.
    #[test]
    fn loom_overflow_vs_steal() {
        const N: usize = RUNQ_CAP + 2;
        loom::model(|| {
            let items = Items::new(N);
            let victim = Arc::new(RunQueue::new());
            let thief = spawn_thief(&items, &victim, false);
            let mut overflowed = Vec::new();
            for i in 0..N {
                victim.put(items.make(i), false, |b| {
                    overflowed.extend(b.iter().map(|&p| items.id(p)))
                });
            }
            assert!(overflowed.is_empty() || overflowed.len() == RUNQ_CAP / 2 + 1);
            let stolen = thief.join().unwrap();
            // Everyone else has finished, so the snapshot is exact.
            assert_eq!(victim.len(), N - overflowed.len() - stolen.len());
            let mut got = items.get_all(&victim);
            got.extend(overflowed);
            got.extend(stolen);
            assert_each_once(got, N);
        });
    }

    /// Go's RunSchedLocalQueueEmptyTest as a model: the queue always holds
    /// at least one item while the observer looks, whichever way the owner
    /// moves items between runnext and the ring.
    #[test]
    fn loom_is_empty_never_spurious() {
        for (next0, next1) in [(false, false), (false, true), (true, false), (true, true)] {
            loom::model(move || {
                let items = Items::new(2);
                let q = Arc::new(RunQueue::new());
                q.put(items.make(0), next0, no_overflow);
                let observer = {
                    let q = Arc::clone(&q);
                    thread::spawn(move || {
                        assert!(!q.is_empty(), "queue is empty (next: {next0} {next1})")
                    })
                };
                q.put(items.make(1), next1, no_overflow);
                q.get().unwrap();
                observer.join().unwrap();
                q.get().unwrap();
                assert!(q.is_empty());
            });
        }
    }
}
