//! Mirrors Go src/runtime/proc.go (entersyscallblock, exitsyscall, and the extra Ms that handoffp starts for blocked system calls) (go1.27): gort's `blocking`, on helper threads.
//!
//! Go lets a goroutine make a blocking system call on its own thread: the
//! thread gives its P away (`entersyscall`; `entersyscallblock` when the call
//! is known to block), another M runs the P's other goroutines, and on return
//! the goroutine looks for any P (`exitsyscall`), since it may run anywhere.
//!
//! gort cannot do that. Its goroutines are pinned to the thread they first
//! ran on (see "Pinning" in proc.rs), and every goroutine pinned to a thread
//! waits while that thread is stuck in a call. So [`blocking`] does the
//! opposite: the *call* moves, not the goroutines. `f` is handed to a helper
//! thread from a small pool (Go's extra Ms, tokio's blocking pool), and the
//! goroutine parks until the helper has finished it. The thread goes on
//! running its other goroutines meanwhile.
//!
//! Because the goroutine cannot resume before `f` has returned, `f` may
//! borrow from the goroutine's stack: it needs `Send`, not `'static`, exactly
//! as a closure given to `std::thread::scope`. A panic in `f` is caught on
//! the helper and resumed in the goroutine.
//!
//! The cost is one hand-off to another thread and back (a few microseconds),
//! where Go's fast path costs a few atomic operations: `blocking` is for
//! calls that block for long (a file read, `getaddrinfo`, a C library), not
//! for hot paths. Helpers are started on demand, up to
//! [`MAX_BLOCKING_THREADS`], and exit after [`KEEP_ALIVE`] without work.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::ptr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::park::ParkSlot;
use crate::proc::{can_park, sched_arc};
use crate::runtime2::{Sched, WaitReason};
use crate::stubs::getm;

/// Most helper threads one runtime runs at once (tokio's default too); more
/// calls wait in the pool's queue for a helper to finish.
pub(crate) const MAX_BLOCKING_THREADS: usize = 512;

/// How long an idle helper waits for work before it exits.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);

thread_local! {
    /// On a helper thread, the runtime it serves, so that code in a
    /// `blocking` call can still spawn goroutines.
    static HELPER_SCHED: Cell<*const Sched> = const { Cell::new(ptr::null()) };
}

/// The runtime whose helper thread this is, if it is one.
pub(crate) fn helper_sched() -> *const Sched {
    HELPER_SCHED.with(Cell::get)
}

/// A call handed to a helper thread, type-erased.
trait Task: Send + Sync {
    /// Runs the call and wakes its goroutine; called once, on a helper.
    fn run(&self);
}

/// The pool of helper threads of one runtime.
#[derive(Default)]
pub(crate) struct BlockingPool {
    state: Mutex<PoolState>,
    /// Idle helpers wait here for `PoolState::queue`.
    cv: Condvar,
}

#[derive(Default)]
struct PoolState {
    /// Calls no helper has taken yet.
    queue: VecDeque<Arc<dyn Task>>,
    /// Helpers waiting on the condition variable and not yet asked to wake.
    idle: usize,
    /// Wake-ups sent to idle helpers and not yet taken by one: a helper that
    /// wakes takes one, so a spurious or timed-out wake-up is told apart.
    notified: usize,
    /// Helpers alive.
    threads: usize,
    /// Set by `shutdown`: helpers exit once idle.
    shutdown: bool,
    /// Every helper started and not yet joined.
    handles: Vec<JoinHandle<()>>,
}

impl BlockingPool {
    /// Queues `task` and makes sure a helper will run it. Gives the task
    /// back if no helper exists and none can be started.
    fn submit(&self, sched: &Sched, task: Arc<dyn Task>) -> Result<(), Arc<dyn Task>> {
        let mut st = self.state.lock();
        if st.idle > 0 {
            st.idle -= 1;
            st.notified += 1;
            st.queue.push_back(task);
            self.cv.notify_one();
            return Ok(());
        }
        if st.threads >= MAX_BLOCKING_THREADS {
            // Every helper is busy: the first to finish takes it.
            st.queue.push_back(task);
            return Ok(());
        }
        st.handles.retain(|h| !h.is_finished());
        let arc = sched_arc(sched);
        let spawned = std::thread::Builder::new()
            .name("gort-blocking".into())
            .spawn(move || helper(arc));
        match spawned {
            Ok(h) => {
                st.threads += 1;
                st.handles.push(h);
                st.queue.push_back(task);
                Ok(())
            }
            Err(_) if st.threads > 0 => {
                st.queue.push_back(task);
                Ok(())
            }
            Err(_) => Err(task),
        }
    }

    /// Tells the helpers to exit once idle (the runtime is shutting down).
    pub(crate) fn shutdown(&self) {
        self.state.lock().shutdown = true;
        self.cv.notify_all();
    }

    /// Whether a call is queued or running (a helper neither idle nor
    /// woken to take a queued call). A hint: read under the lock, stale once
    /// it is released.
    pub(crate) fn busy(&self) -> bool {
        let st = self.state.lock();
        !st.queue.is_empty() || st.threads > st.idle + st.notified
    }

    /// The helpers' join handles, for a runtime that knows none is busy.
    pub(crate) fn take_threads(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut self.state.lock().handles)
    }
}

/// A helper thread's loop.
fn helper(sched: Arc<Sched>) {
    HELPER_SCHED.with(|c| c.set(Arc::as_ptr(&sched)));
    let pool = &sched.blockpool;
    let mut st = pool.state.lock();
    loop {
        if let Some(task) = st.queue.pop_front() {
            drop(st);
            task.run();
            drop(task);
            st = pool.state.lock();
            continue;
        }
        if st.shutdown {
            break;
        }
        st.idle += 1;
        let mut timed_out = false;
        loop {
            if st.notified > 0 {
                st.notified -= 1;
                break;
            }
            if st.shutdown || timed_out {
                st.idle -= 1;
                break;
            }
            timed_out = pool.cv.wait_for(&mut st, KEEP_ALIVE).timed_out();
        }
        if timed_out && st.queue.is_empty() && !st.shutdown {
            break;
        }
    }
    st.threads -= 1;
    drop(st);
    HELPER_SCHED.with(|c| c.set(ptr::null()));
}

/// One `blocking` call, shared by the goroutine and the helper that runs it.
struct Call<F, R> {
    /// Taken and called once, by the helper.
    f: UnsafeCell<Option<F>>,
    /// Written once by the helper before it wakes `slot`; read once by the
    /// goroutine after `slot` said so.
    result: UnsafeCell<Option<Result<R, Box<dyn Any + Send>>>>,
    /// The goroutine parks here (a ready wake-up, which publishes `result`).
    slot: ParkSlot,
}

// SAFETY: `f` moves to the helper (F: Send) and is touched only there;
// `result` moves back (R: Send) and the slot's AcqRel handshake orders its
// write before its read; `slot` is Sync.
unsafe impl<F: Send, R: Send> Sync for Call<F, R> {}

impl<F: FnOnce() -> R + Send, R: Send> Task for Call<F, R> {
    fn run(&self) {
        // SAFETY: only the helper that dequeued this call touches `f`, once.
        let f = unsafe { (*self.f.get()).take() }.expect("blocking call run twice");
        let r = catch_unwind(AssertUnwindSafe(f));
        // SAFETY: the goroutine reads `result` only after the wake below.
        unsafe { *self.result.get() = Some(r) };
        self.slot.wake();
    }
}

// ANCHOR: blocking
/// Runs `f`, which blocks its thread (a file read, `getaddrinfo`, a
/// synchronous client library, a long computation), without holding up the
/// goroutines that share the caller's thread.
///
/// `f` runs on a helper thread while the calling goroutine parks; the
/// goroutine resumes, on its own thread, with `f`'s result, or with `f`'s
/// panic. `f` may borrow from the caller (it needs `Send`, not `'static`),
/// and it runs outside any goroutine: inside it, channel, mutex and socket
/// waits block the helper thread, which is what they should do there.
///
/// Outside a goroutine it simply calls `f`.
///
/// ```
/// gort_runtime::run(|| {
///     let dir = String::from(".");
///     let n = gort_runtime::blocking(|| std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0));
///     assert!(n > 0);
/// });
/// ```
#[doc(alias = "entersyscallblock")]
#[doc(alias = "exitsyscall")]
pub fn blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    if !can_park() {
        return f();
    }
    // SAFETY: can_park() said this thread is an M, whose runtime outlives
    // the goroutine running this.
    let sched = unsafe { &*(*getm()).schedp };
    let call = Arc::new(Call {
        f: UnsafeCell::new(Some(f)),
        result: UnsafeCell::new(None),
        slot: ParkSlot::new(),
    });
    let task: Arc<dyn Task + '_> = call.clone();
    // SAFETY: only the lifetime bound is erased, as `std::thread::scope`
    // does. `f` borrows from this goroutine's frame, which stays where it is
    // until the helper has run `f` and woken `slot`: the loop below cannot
    // end before, and a parked goroutine is never unwound or freed while
    // its runtime lives (see `Runtime`'s shutdown docs). After the wake-up
    // the helper only drops its `Arc`, whose `f` is then `None`.
    let task: Arc<dyn Task + 'static> = unsafe { std::mem::transmute(task) };
    if let Err(task) = sched.blockpool.submit(sched, task) {
        // No helper thread could be started: run it here, as Go would if
        // it could not start an M, rather than fail the call.
        task.run();
    }
    while !call.slot.wait(WaitReason::Blocking) {}
    // SAFETY: the ready wake-up above ordered the helper's write before
    // this read, and nobody else reads it.
    match unsafe { (*call.result.get()).take() } {
        Some(Ok(r)) => r,
        Some(Err(payload)) => resume_unwind(payload),
        None => unreachable!("blocking: woken without a result"),
    }
}
// ANCHOR_END: blocking
