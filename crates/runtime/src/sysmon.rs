//! Mirrors Go src/runtime/proc.go (go1.27): sysmon, retake and schedtrace.
//!
//! sysmon is one thread per runtime that holds no P and watches the others. It
//! wakes every 20 µs while there is activity, backing off to 10 ms when idle
//! (so what it notices, it notices within 20 µs on a busy runtime and within
//! about 10 ms on a quiet one), and:
//! * notices a P whose time slice has lasted 10 ms. Go would preempt the
//!   goroutine; gort cannot, so it asks the P to start a new time slice at its
//!   next scheduling point (which breaks up goroutine pairs that hand `runnext`
//!   back and forth) and, if the goroutine does not yield at all, counts a
//!   long run and emits a debug event;
//! * reports a goroutine that has held its thread without parking for longer
//!   than the runtime's `warn_blocked_after` (100 ms by default), once per
//!   incident. Go's `retake` would hand such a P to another thread; gort's
//!   goroutines are pinned (see proc.rs), so the ones waiting on that thread
//!   must wait. Everything that can move keeps running elsewhere: idle Ps
//!   steal the never-run goroutines and run the due timers of the stuck P
//!   (the checks below wake one), and the netpoller is served by idle Ms
//!   and by sysmon itself;
//! * polls the network if nobody has for 10 ms, so I/O completes even while
//!   every P is busy with goroutines that only yield;
//! * wakes an M when work that could run elsewhere has sat for a
//!   millisecond behind a goroutine that does not yield, while Ps are idle
//!   and no M spins (gort's departure, `policy::StrandedWatch`: it restores
//!   the liveness Go gets from its wake-ups and from preemption);
//! * runs the stack scavenger (`stack::scavenge_if_due`, Go's background
//!   scavenger for stacks): once a second, the pages of free stacks that
//!   stayed unused all that time go back to the kernel;
//! * prints the `SCHED` line every `schedtrace` milliseconds.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::lock_futex::Note;
use crate::policy::{self, StrandedWatch};
use crate::proc::{injectglist, netpoll_adjust_waiters, wakep};
use crate::runtime2::{Sched, pstatus};
use crate::time::nanotime;
use crate::trace;

/// Time slice after which a running goroutine is "long" (Go's `forcePreemptNS`).
const FORCE_PREEMPT_NS: i64 = 10_000_000;

/// sysmon's memory of one P between ticks (Go's `sysmontick`).
#[derive(Clone, Copy, Default)]
struct SysmonTick {
    schedtick: u32,
    /// The goroutine running at `schedwhen`.
    goid: u64,
    schedwhen: i64,
    /// A long run was already counted for the current time slice.
    reported: bool,
    /// The current time slice was already reported as a blocked thread.
    warned: bool,
    /// gort's watch for work stranded behind this P.
    stranded: StrandedWatch,
}

/// Handle to a running sysmon thread.
pub(crate) struct Sysmon {
    note: Arc<Note>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sysmon {
    /// Starts sysmon for `sched`.
    pub(crate) fn start(sched: Arc<Sched>) -> std::io::Result<Sysmon> {
        let note = Arc::new(Note::default());
        let n2 = note.clone();
        let thread = std::thread::Builder::new()
            .name("gort-sysmon".into())
            .spawn(move || sysmon(&sched, &n2))?;
        Ok(Sysmon {
            note,
            thread: Some(thread),
        })
    }

    /// Stops sysmon (the runtime's shutdown flag must already be set).
    pub(crate) fn stop(&mut self) {
        self.note.wakeup();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ANCHOR: sysmon
fn sysmon(sched: &Sched, note: &Note) {
    let mut pd = vec![SysmonTick::default(); sched.allp.len()];
    let mut idle = 0u32;
    let mut delay_us = 20u64;
    let mut last_trace = sched.start;
    loop {
        if idle == 0 {
            delay_us = 20;
        } else if idle > 50 {
            delay_us *= 2;
        }
        delay_us = delay_us.min(10_000);
        note.sleep_timeout(Duration::from_micros(delay_us));
        if sched.shutdown.load(Ordering::Acquire) {
            return;
        }
        let now = nanotime();

        // Give back the pages of stacks that a whole period did not need.
        crate::stack::scavenge_if_due(now);

        // Poll the network if it was not polled for more than 10 ms.
        let lastpoll = sched.lastpoll.load(Ordering::Acquire);
        if sched.netpoll_waiters.load(Ordering::Relaxed) > 0
            && lastpoll != 0
            && lastpoll + 10_000_000 < now
            && sched
                .lastpoll
                .compare_exchange(lastpoll, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            let mut list = Vec::new();
            let delta = sched.netpoll.netpoll(0, &mut list);
            netpoll_adjust_waiters(sched, delta);
            if !list.is_empty() {
                idle = 0;
                injectglist(sched, list);
            }
        }

        if retake(sched, &mut pd, now) != 0 {
            idle = 0;
        } else {
            idle += 1;
        }

        // gort's departure: work that could run elsewhere, stranded behind
        // a goroutine that does not yield while Ps are idle; make sure
        // someone comes for it (`policy::StrandedWatch`). Every P is looked
        // at, so that each watch stays current.
        let mut stranded = false;
        for (p, pd) in sched.allp.iter().zip(pd.iter_mut()) {
            stranded |= pd.stranded.stranded(p, pd.schedwhen, now);
        }
        if stranded && policy::wake_for_stranded(sched) {
            idle = 0;
            wakep(sched);
        }

        if sched.schedtrace_ms > 0 && now - last_trace >= (sched.schedtrace_ms as i64) * 1_000_000 {
            last_trace = now;
            eprintln!("{}", schedtrace(sched, now));
        }
    }
}
// ANCHOR_END: sysmon

// ANCHOR: retake
/// Go's `retake`, without the hand-off: flags long time slices, and reports
/// goroutines that hold their thread. Returns the number of new reports.
fn retake(sched: &Sched, pd: &mut [SysmonTick], now: i64) -> u32 {
    let mut n = 0;
    for (p, pd) in sched.allp.iter().zip(pd.iter_mut()) {
        if p.status.load(Ordering::Relaxed) != pstatus::RUNNING {
            continue;
        }
        let t = p.schedtick.load(Ordering::Relaxed);
        let goid = p.curgoid.load(Ordering::Relaxed);
        if pd.schedtick != t || pd.goid != goid {
            pd.schedtick = t;
            pd.goid = goid;
            pd.schedwhen = now;
            pd.reported = false;
            pd.warned = false;
            continue;
        }
        // A slice exists only while a goroutine runs: an M in its scheduler
        // (goid 0) for 10 ms, or a P claimed since sysmon's first look (whose
        // memory of it starts at zero), must not cut short the next
        // goroutine's slice, as Go's retake looks only at a running G.
        if goid != 0
            && pd.schedwhen + FORCE_PREEMPT_NS <= now
            && p.preempt.swap(true, Ordering::Relaxed)
            && !pd.reported
        {
            // Asked a tick ago and still not honoured: the goroutine
            // has not reached a scheduling point at all.
            pd.reported = true;
            sched.long_runs.fetch_add(1, Ordering::Relaxed);
            trace::long_run(p.id, (now - pd.schedwhen) / 1_000_000);
        }
        if goid != 0
            && sched.blocked_warn_ns > 0
            && !pd.warned
            && now - pd.schedwhen >= sched.blocked_warn_ns
        {
            pd.warned = true;
            n += 1;
            sched.blocked_threads.fetch_add(1, Ordering::Relaxed);
            let mp = p.m.load(Ordering::Acquire);
            // SAFETY: a running P has its M, which lives as long as the Sched.
            let thread = if mp.is_null() { 0 } else { unsafe { &*mp }.id };
            trace::blocked_thread(goid, thread, p.id, (now - pd.schedwhen) / 1_000_000);
        }
    }
    n
}
// ANCHOR_END: retake

/// The `SCHED` line (Go's `schedtrace(false)`), plus gort's counters.
pub(crate) fn schedtrace(sched: &Sched, now: i64) -> String {
    let runq: Vec<String> = sched
        .allp
        .iter()
        .map(|p| p.runq.len().to_string())
        .collect();
    let inbox: Vec<String> = sched
        .allp
        .iter()
        .map(|p| p.inbox_len.load(Ordering::Relaxed).to_string())
        .collect();
    let ticks: Vec<String> = sched
        .allp
        .iter()
        .map(|p| p.schedtick.load(Ordering::Relaxed).to_string())
        .collect();
    format!(
        "SCHED {}ms: gomaxprocs={} idleprocs={} threads={} spinningthreads={} runqueue={} goroutines={} blockedthreads={} longruns={} [ {} ] inbox=[ {} ] schedticks=[ {} ]",
        (now - sched.start) / 1_000_000,
        sched.gomaxprocs(),
        sched.npidle.load(Ordering::Relaxed),
        sched.mcount.load(Ordering::Relaxed) + 1,
        sched.nmspinning.load(Ordering::Relaxed),
        sched.runqsize.load(Ordering::Relaxed),
        sched.gcount(),
        sched.blocked_threads.load(Ordering::Relaxed),
        sched.long_runs.load(Ordering::Relaxed),
        runq.join(" "),
        inbox.join(" "),
        ticks.join(" "),
    )
}
