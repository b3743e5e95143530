//! Mirrors Go src/runtime/proc.go (the wake-ups and placement of newproc, resetspinning and findRunnable, and sysmon's watch) (go1.27): gort's own: the scheduler's departures from Go's proc.go, each tied to the bench row or test that shows it.
//!
//! Go's scheduler wakes threads eagerly: every spawn, and every spinning M
//! that finds work, wakes an idle P in case there is more, and a goroutine
//! that holds its P too long is preempted. On a big machine with idle cores
//! that is right. gort keeps the design (`proc.rs` reads like `proc.go`)
//! but departs from it at the points below, for reasons shown by
//! `cargo xtask bench` on this project's 2-core machine, where the server
//! shares its CPUs with the client it waits for, or by a test. Each
//! departure is one
//! decision here, with its constants, documented with what Go does, what
//! gort does instead, why, and the bench row or test that shows it.
//! `proc.rs` and `sysmon.rs` call it where they depart, behind a
//! `// gort's departure:` comment, and otherwise do what Go does. The
//! decisions on the scheduler's paths are `#[inline]` functions of what the
//! caller already has: moving them here costs no call (a release build
//! inlines each into its one caller, as it did when they sat in `proc.rs`),
//! no allocation and no dynamic dispatch.
//!
//! | departure | called from | shown by |
//! |---|---|---|
//! | [`spread_target`]: where a new goroutine first runs | `newproc` | `proc_sched.rs::new_goroutines_spread_over_ps` |
//! | [`wakep_after_spawn`]: no wake-up for a goroutine alone in `runnext` | `newproc` | spawn+join, park/ready and channel rows |
//! | [`wakep_after_spinning`]: a spinner that finds work wakes another only for global work | `resetspinning` | 64 B ping-pong, 1 conn |
//! | [`backlog_valve`]: help for a P's own queue only after 200 µs | `runqget` | none since pinning (see its doc) |
//! | [`poll_spin`]: an idle M polls the network for 50 µs before it sleeps | `find_runnable` | 64 B ping-pong, 1 conn; p99, 1 conn |
//! | [`StrandedWatch`]: sysmon wakes a P for work stranded behind a goroutine that does not yield | `sysmon` | `proc_sched.rs::stranded_runnext_is_rescued_by_an_idle_p`, `a_timer_on_a_busy_p_still_fires` |
//!
//! Departures that are not choices live where they happen and are
//! explained in `proc.rs`'s module doc: pinning (each goroutine stays on
//! the thread of its first run, each M keeps one P, so `ready` and
//! `injectglist` queue a goroutine on its own P and never call `wakep`:
//! an M woken for it could not run it), cooperative scheduling (sysmon
//! flags a long time slice, `preempt_point` honours the flag) and
//! `blocking` on helper threads. `docs/HACKING.md` lists them all in one
//! table.
//!
//! **Re-examined after pinning** (issue 16). Pinning changed what the run
//! queue holds: goroutines that have run wait in `PLocal::pinq`, which
//! nobody else may take from, so `P::runq` only ever holds goroutines that
//! have not run yet. Each decision was counted in `bench_echo` under
//! `loadgen` (64 B ping-pong at 1, 16, 256 and 1,024 connections, and the
//! 16 KiB stream, a few seconds each): `resetspinning` declined about
//! 33,000 wake-ups a second at 1 connection and was never asked for global
//! work; the poll spin found the work in most of those; the backlog valve
//! fired 29 times, all while 1,024 connections were being accepted, and
//! never in the steady state of any row; sysmon's rescue never fired;
//! `newproc`'s skip fired 1 to 21 times a run, while handlers were
//! spawned. All are kept:
//! * [`wakep_after_spawn`] and [`wakep_after_spinning`] matter more with
//!   pinning than before: a needless wake-up now either finds nothing it
//!   may run or steals a goroutine and pins it to the wrong thread (with the
//!   spawn skip removed, `bench_micro`'s park/ready and channel round trips
//!   were 5 to 10 times slower);
//! * [`poll_spin`] and [`spread_target`] still carry their rows and test;
//! * [`backlog_valve`] lost its bench row (see its doc) but still has a
//!   job, costs one emptiness check per take, and is left for issue 19's
//!   burst row to judge;
//! * [`StrandedWatch`] is the liveness guarantee the skipped wake-ups rely
//!   on: neither pinning nor `readyremote` covers goroutines that have not
//!   run yet, and without it a goroutine left in `runnext` by a spawner that
//!   computes is never run.

use std::ptr;
use std::sync::atomic::Ordering;

use crate::proc::{fastrand, has_local_work, injectglist, netpoll_adjust_waiters};
use crate::runq::RunQueue;
use crate::runtime2::{G, P, Sched, pstatus};
use crate::time::nanotime;

// ---------------------------------------------------------------------------
// newproc: where a new goroutine starts, and whether to wake a P for it.

// ANCHOR: spread_target
/// How many more goroutines a P may have than another before new ones go
/// to the other.
const SPREAD_SLACK: i64 = 4;

/// Where a goroutine spawned on `p` should first run: `None` for `p`
/// itself, or another P.
///
/// **Go** starts a new goroutine in the spawner's `runnext` and lets idle
/// Ps steal it later; a goroutine that has run still moves whenever a P
/// steals it. **gort** pins a goroutine to the thread of its first run
/// (see "Pinning" in `proc.rs`), so where it starts decides for good. An
/// accept loop that parks after each connection would run every handler
/// itself, and with pinning they would all stay on its thread. So `newproc`
/// compares the spawner's P with one other P picked at random (the "power
/// of two choices") by the goroutines each has: pinned to it, queued in its
/// run queue, or waiting in its inbox. If the spawner's has at least
/// [`SPREAD_SLACK`] more, the new goroutine goes to the other P's inbox
/// (which wakes it if idle). A spawner with few goroutines never looks, so
/// spawn and join in a loop stays on one thread.
///
/// **Shown by** `proc_sched.rs::new_goroutines_spread_over_ps` (64
/// goroutines from one spawner run on both Ps). Every `cargo xtask bench`
/// row with 16 or more connections runs on it; no figure was taken without
/// it.
///
/// The counts are relaxed reads, a hint: a stale one only misplaces one
/// goroutine.
#[inline]
pub(crate) fn spread_target(sched: &Sched, p: &P) -> Option<*const P> {
    let n = sched.allp.len();
    if n < 2 {
        return None;
    }
    let load = |q: &P| {
        q.stats.pinned.load(Ordering::Relaxed)
            + q.runq.len() as i64
            + q.inbox_len.load(Ordering::Relaxed) as i64
    };
    let mine = load(p);
    if mine < SPREAD_SLACK {
        return None;
    }
    let k = fastrand(n - 1);
    let q = &sched.allp[if k >= p.id { k + 1 } else { k }];
    (load(q) + SPREAD_SLACK <= mine).then_some(ptr::from_ref(q))
}
// ANCHOR_END: spread_target

/// What `runqput` did with a goroutine, as far as waking a P goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Queued {
    /// It went into an empty `runnext`: the P gained exactly one goroutine,
    /// which it runs as soon as the current one stops.
    AloneInRunnext,
    /// It joined other queued goroutines (or pushed the old `runnext` to the
    /// tail).
    WithOthers,
}

// ANCHOR: wakep_after_spawn
/// Whether `newproc` wakes an idle P for the goroutine it just queued on
/// its own P.
///
/// **Go** calls `wakep` after every spawn, so that an idle P can steal the
/// new goroutine if the spawner keeps running. **gort** does not when the
/// goroutine went alone into an empty `runnext` (tokio's rule for its LIFO
/// slot): the spawner usually parks at once (a join, a channel receive),
/// and the new goroutine then runs next on the same warm core. With
/// pinning, waking a P there is worse than wasted: the woken M may steal
/// the goroutine out of `runnext` before its spawner parks, and it is then
/// pinned to the other thread for life, so every later hand-off between
/// the two crosses threads.
///
/// **Shown by** the spawn+join, park/ready and channel round-trip rows
/// (`bench_micro`: 164, 103 and 118 ns in `benches/results`). With the
/// skip removed, park/ready went from about 0.35 to 1.9 µs and the channel
/// round trip from 0.3 to 3.2 µs (3 runs each, machine shared with other
/// builds): the partner goroutine was stolen and pinned to the other
/// thread.
///
/// **Liveness.** If the spawner keeps computing instead of parking, the new
/// goroutine is stranded; sysmon's [`StrandedWatch`] wakes an idle P for it
/// within about a millisecond
/// (`proc_sched.rs::stranded_runnext_is_rescued_by_an_idle_p`).
#[inline]
pub(crate) fn wakep_after_spawn(queued: Queued) -> bool {
    queued == Queued::WithOthers
}
// ANCHOR_END: wakep_after_spawn

// ---------------------------------------------------------------------------
// Waking helpers: after a spinner finds work, and for a P's own backlog.

/// Whether an M that was spinning and found work wakes another spinner
/// (`resetspinning`).
///
/// **Go** always does: the M may have been the last spinner, and more work
/// may be waiting, so the wake-ups chain for as long as there is work.
/// **gort** does only if the global queue has work. Under pinning another
/// M could take only never-run goroutines (from the global queue or a P's
/// run queue); what a spinner usually finds is its own P's work (its inbox,
/// the goroutines a netpoll readied for it, its timers), which nobody else
/// may run. A wake-up for that takes a thread out of its sleep to find
/// nothing, and on a 2-core machine it takes CPU from the client the server
/// is waiting for. Never-run goroutines on this P's own queue are left to
/// [`backlog_valve`].
///
/// **Shown by** the 64 B ping-pong row at 1 connection (46.7k round trips/s
/// against Go's 19.5k; introduced with [`poll_spin`], which together took
/// it from about 14k to 38–62k). At 1 connection this declines about
/// 33,000 wake-ups a second; each would have called `wakep`, which wakes
/// the other P's M whenever it is idle.
///
/// **Liveness.** Work this leaves without a spinner is a P's own run
/// queue, which that P runs itself when it next schedules; if its goroutine
/// never yields, sysmon's [`StrandedWatch`] wakes an idle P for it.
#[inline]
pub(crate) fn wakep_after_spinning(sched: &Sched) -> bool {
    // Relaxed: a hint (see `Sched::runqsize`); a missed look is the case
    // the liveness note above covers.
    sched.runqsize.load(Ordering::Relaxed) > 0
}

// ANCHOR: backlog_valve
/// How long a P's run queue may stay non-empty, while the P works through
/// it, before the P wakes an idle one to share it (`backlog_valve`).
const BACKLOG_NS: i64 = 200_000;

/// gort's backlog valve, asked each time a P takes a goroutine from its own
/// run queue (`runqget`); true means wake an idle P. `since` is the P's
/// `PLocal::backlog_since`: since when the queue has stayed non-empty
/// (0: it was just empty).
///
/// **Go** needs no valve: it wakes a P at every spawn and whenever a
/// spinner finds work, so a queue that grows has helpers at once. **gort**
/// skips some of those wake-ups ([`wakep_after_spawn`],
/// [`wakep_after_spinning`]) and instead wakes a second P only when the
/// first has not been able to empty its queue for [`BACKLOG_NS`]: a real
/// backlog, which more CPUs will shorten. The clock (a vDSO read, ~20 ns)
/// is read only while the queue is non-empty.
///
/// **Shown by**: before pinning, netpoll batches went into this queue, and
/// the valve let the second core join a bulk stream (16 KiB stream, 986 →
/// ~1,100 MiB/s). Since pinning, netpoll batches go to each goroutine's own
/// P (`pinq`), and this queue only holds goroutines that have never run:
/// the valve fired 29 times while 1,024 connections were accepted and
/// never in the steady state of any echo row. It is kept because it still
/// shares bursts of short new goroutines that no wake-up announced (a
/// global-queue batch, a stolen half queue), which sysmon's
/// [`StrandedWatch`] does not catch while the P keeps taking from the
/// queue, and because it costs one emptiness check per take from the run
/// queue (and a clock read while the queue stays non-empty). Issue 19's
/// burst row should decide whether it stays.
///
/// Not a liveness safeguard: it acts only while its P schedules, and that P
/// runs its queue itself.
#[inline]
pub(crate) fn backlog_valve(runq: &RunQueue<G>, since: &mut i64) -> bool {
    if runq.is_empty() {
        *since = 0;
        return false;
    }
    let now = nanotime();
    if *since == 0 {
        *since = now;
        false
    } else if now - *since >= BACKLOG_NS {
        *since = now;
        true
    } else {
        false
    }
}
// ANCHOR_END: backlog_valve

// ---------------------------------------------------------------------------
// findRunnable's idle path: the poll spin.

/// What [`poll_spin`] found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PollSpin {
    /// Work for this M: goroutines the network readied for its P, or work
    /// that turned up in its queues or the global queue meanwhile. Look
    /// again from the top.
    FoundWork,
    /// It did not spin (one CPU, nobody waits on the network, an M is
    /// blocked in the poller or already spins), or the time ran out.
    Nothing,
}

// ANCHOR: poll_spin
/// How long an M with nothing to run polls the network before it gives up
/// its P and sleeps: about the time a thread takes to sleep in `epoll_wait`
/// and be woken again on a virtual machine, so a reply arriving sooner costs
/// less than the sleep would have, and a quiet server wastes little.
const POLL_SPIN_NS: i64 = 50_000;

/// gort's poll spin, the last thing `find_runnable` tries before it gives
/// up `p`.
///
/// **Go** has none: an M with nothing to do puts its P on the idle list and
/// sleeps in `epoll_wait` (or on its note). **gort**, when goroutines wait on
/// the network and no M is blocked in the poller, polls without blocking for
/// up to [`POLL_SPIN_NS`] (or until the next timer, `poll_until`).
/// Goroutines the network readied for other Ps go to them (`injectglist`);
/// ours are run. Putting a thread to sleep and waking it costs tens of
/// microseconds on a virtual machine, more than a loopback round trip.
///
/// Only one M spins at a time, and only with a second CPU: the peer the
/// server waits for usually runs on that other CPU, and on a single CPU the
/// spin would only take time from it.
///
/// **Shown by** the 64 B ping-pong row at 1 connection (46.7k round
/// trips/s, 2.4× Go's 19.5k) and its p99 (0.04 ms against Go's 0.11 ms).
#[inline]
pub(crate) fn poll_spin(sched: &Sched, p: &P, poll_until: i64) -> PollSpin {
    if sched.ncpu < 2
        || sched.netpoll_waiters.load(Ordering::Relaxed) == 0
        || sched.lastpoll.load(Ordering::Relaxed) == 0
        // Acquire pairs with the Release below; only the flag's owner spins.
        || sched.pollspinning.swap(true, Ordering::Acquire)
    {
        return PollSpin::Nothing;
    }
    let start = nanotime();
    let mut end = start + POLL_SPIN_NS;
    if poll_until != 0 {
        end = end.min(poll_until);
    }
    let mut found = PollSpin::Nothing;
    let mut list = Vec::new();
    while !sched.shutdown.load(Ordering::Relaxed) {
        let delta = sched.netpoll.netpoll(0, &mut list);
        netpoll_adjust_waiters(sched, delta);
        // Goroutines pinned elsewhere go to their own Ps; ours are run.
        if injectglist(sched, std::mem::take(&mut list)) {
            found = PollSpin::FoundWork;
            break;
        }
        if has_local_work(p) || sched.runqsize.load(Ordering::Relaxed) > 0 {
            found = PollSpin::FoundWork;
            break;
        }
        if nanotime() >= end {
            break;
        }
        std::hint::spin_loop();
    }
    // Release: pairs with the next spinner's Acquire swap.
    sched.pollspinning.store(false, Ordering::Release);
    found
}
// ANCHOR_END: poll_spin

// ---------------------------------------------------------------------------
// sysmon: work stranded behind a goroutine that does not yield.

// ANCHOR: stranded
/// How long work that could run elsewhere may wait behind a P that does not
/// schedule before sysmon wakes an idle P for it.
const STRANDED_NS: i64 = 1_000_000;

/// sysmon's watch on one P for stranded work (gort's; Go's sysmon has no
/// such check).
///
/// **Go** gets this liveness by design: a `wakep` at every spawn and at
/// every spinner that finds work keeps an M spinning whenever an idle P
/// could take queued work, and a goroutine that holds its P for 10 ms is
/// preempted, so whatever is queued behind it runs. **gort** skips some of
/// those wake-ups ([`wakep_after_spawn`], [`wakep_after_spinning`]) and
/// cannot preempt, so work could wait for as long as one goroutine
/// computes. sysmon looks at every P on each tick and calls a P stranded
/// when, for [`STRANDED_NS`]:
/// * its run queue (goroutines that have never run, which any P may steal)
///   is non-empty and nothing was taken from it: its fingerprint
///   (`RunQueue::fingerprint`, the ring's head and `runnext`) is unchanged,
///   which a ping-pong pair handing `runnext` back and forth never is; or
/// * a timer is overdue on a running P whose time slice has lasted as long
///   (an idle P's `steal_work` runs another P's due timers).
///
/// If any P is stranded, and a P is idle and no M spins
/// ([`wake_for_stranded`]), sysmon calls `wakep`. Goroutines that have run
/// are pinned to the busy thread and must wait for it, as in Go a goroutine
/// locked to a thread does.
///
/// **Shown by** `proc_sched.rs::stranded_runnext_is_rescued_by_an_idle_p`
/// (a goroutine left in `runnext` by a spawner that never parks), which
/// fails within its 10 s bound with the run-queue half of the watch
/// switched off: nothing else would ever run that goroutine. The timer half
/// is a backstop: `a_timer_on_a_busy_p_still_fires` passes without it too,
/// since the idle P's M sleeps only until the earliest timer of any P, but
/// that sleep is planned from racy reads of other Ps' heaps, and this watch
/// is what bounds a miss. It costs sysmon a few loads per P per tick and
/// nothing on the scheduler's paths; it never fired in the echo
/// benchmarks.
#[derive(Clone, Copy, Default)]
pub(crate) struct StrandedWatch {
    /// The run queue's fingerprint at `since`.
    queued: (u32, usize),
    /// Since when the queue has been non-empty without anything taken from
    /// it (`nanotime`).
    since: i64,
}

impl StrandedWatch {
    /// Looks at `p` again (sysmon, once per tick): whether it holds work
    /// that has waited for [`STRANDED_NS`]. `slice_start` is when sysmon saw
    /// `p`'s current time slice begin.
    pub(crate) fn stranded(&mut self, p: &P, slice_start: i64, now: i64) -> bool {
        let fp = p.runq.fingerprint();
        let mut stranded = false;
        if p.runq.is_empty() || fp != self.queued {
            self.queued = fp;
            self.since = now;
        } else if self.since + STRANDED_NS <= now {
            stranded = true;
        }
        let when = p.timers.wake_time();
        // Relaxed: a hint; a stale status only delays the rescue a tick.
        if when != 0
            && when + STRANDED_NS <= now
            && p.status.load(Ordering::Relaxed) == pstatus::RUNNING
            && slice_start + STRANDED_NS <= now
        {
            stranded = true;
        }
        stranded
    }
}

/// Whether sysmon wakes a P for stranded work: only if one is idle, and no
/// M spins already (a spinner will find it).
pub(crate) fn wake_for_stranded(sched: &Sched) -> bool {
    // SeqCst, as `wakep` reads them; a stale answer is corrected at the
    // next tick.
    sched.npidle.load(Ordering::SeqCst) > 0 && sched.nmspinning.load(Ordering::SeqCst) == 0
}
// ANCHOR_END: stranded
