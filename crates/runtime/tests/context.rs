//! Go's context package (context.go), checked as context_test.go checks it:
//! cancellation reaches every descendant and never an ancestor, deadlines
//! fire with DeadlineExceeded, the earlier deadline wins, values are found
//! up the chain, and `done()` works as a `select!` case.

use std::time::{Duration, Instant};

use gort_runtime::context::{self, ContextError};

#[path = "support/wait.rs"]
mod wait;
#[path = "support/watchdog.rs"]
mod watchdog;

use wait::WaitReason;

const MS: Duration = Duration::from_millis(1);

#[test]
fn background_is_never_done() {
    let _w = watchdog::start("background_is_never_done", watchdog::LIMIT);
    gort_runtime::run(|| {
        let bg = context::background();
        assert_eq!(bg.err(), None);
        assert_eq!(bg.deadline(), None);
        assert!(!bg.cancellable());
        assert!(bg.done().try_recv().is_err());
        assert_eq!(format!("{bg:?}"), "context.Background");
        assert_eq!(format!("{:?}", context::todo()), "context.TODO");
    });
}

#[test]
fn cancel_reaches_descendants_not_ancestors() {
    let _w = watchdog::start("cancel_reaches_descendants_not_ancestors", watchdog::LIMIT);
    // Go's TestWithCancel and TestChildFinishesFirst.
    gort_runtime::run(|| {
        let (parent, cancel_parent) = context::with_cancel(&context::background());
        let (child, cancel_child) = context::with_cancel(&parent);
        let grandchild = context::with_value(&child, "k", 1u8);
        let (deep, _c) = context::with_cancel(&grandchild);
        assert!(grandchild.cancellable());

        cancel_child.cancel();
        assert_eq!(child.err(), Some(ContextError::Canceled));
        assert_eq!(grandchild.err(), Some(ContextError::Canceled));
        assert_eq!(deep.err(), Some(ContextError::Canceled));
        assert_eq!(deep.done().recv(), None, "done is closed");
        assert_eq!(parent.err(), None, "the parent is untouched");

        let (sibling, _c2) = context::with_cancel(&parent);
        cancel_parent.cancel();
        assert_eq!(sibling.err(), Some(ContextError::Canceled));
        cancel_parent.cancel(); // twice is fine
        assert_eq!(parent.err(), Some(ContextError::Canceled));

        // A child of a cancelled parent is born cancelled.
        let (late, _c3) = context::with_cancel(&parent);
        assert_eq!(late.err(), Some(ContextError::Canceled));
    });
}

#[test]
fn cancel_wakes_every_waiting_goroutine() {
    let _w = watchdog::start("cancel_wakes_every_waiting_goroutine", watchdog::LIMIT);
    gort_runtime::run(|| {
        let (ctx, cancel) = context::with_cancel(&context::background());
        let waiters: Vec<_> = (0..50)
            .map(|_| {
                let ctx = ctx.clone();
                gort_runtime::spawn(move || {
                    ctx.done().recv();
                    ctx.err()
                })
            })
            .collect();
        wait::parked(WaitReason::ChanReceive, 50);
        cancel.cancel();
        for w in waiters {
            assert_eq!(w.join().unwrap(), Some(ContextError::Canceled));
        }
    });
}

#[test]
fn timeout_fires_deadline_exceeded() {
    let _w = watchdog::start("timeout_fires_deadline_exceeded", watchdog::LIMIT);
    // Go's TestWithTimeout / testDeadline.
    gort_runtime::run(|| {
        let start = Instant::now();
        let (ctx, _cancel) = context::with_timeout(&context::background(), 10 * MS);
        let d = ctx.deadline().unwrap();
        assert!(d >= start + 10 * MS && d <= Instant::now() + 10 * MS);
        assert_eq!(ctx.done().recv(), None);
        assert!(start.elapsed() >= 10 * MS);
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
        assert_eq!(ctx.err().unwrap().to_string(), "context deadline exceeded");
        let io: std::io::Error = ContextError::DeadlineExceeded.into();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
    });
}

#[test]
fn the_earlier_deadline_wins() {
    let _w = watchdog::start("the_earlier_deadline_wins", watchdog::LIMIT);
    gort_runtime::run(|| {
        let (parent, _c) = context::with_timeout(&context::background(), 10 * MS);
        let (child, _c2) = context::with_timeout(&parent, Duration::from_secs(3600));
        assert_eq!(child.deadline(), parent.deadline());
        assert_eq!(child.done().recv(), None);
        assert_eq!(child.err(), Some(ContextError::DeadlineExceeded));

        let (parent, _c) = context::with_timeout(&context::background(), Duration::from_secs(3600));
        let (child, _c2) = context::with_timeout(&parent, 5 * MS);
        assert!(child.deadline() < parent.deadline());
        child.done().recv();
        assert_eq!(parent.err(), None);
    });
}

#[test]
fn a_deadline_in_the_past_is_already_exceeded() {
    let _w = watchdog::start(
        "a_deadline_in_the_past_is_already_exceeded",
        watchdog::LIMIT,
    );
    gort_runtime::run(|| {
        let (ctx, _c) = context::with_deadline(&context::background(), Instant::now() - MS);
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    });
}

#[test]
fn cancel_before_the_deadline_says_canceled() {
    let _w = watchdog::start("cancel_before_the_deadline_says_canceled", watchdog::LIMIT);
    gort_runtime::run(|| {
        let (ctx, cancel) = context::with_timeout(&context::background(), 20 * MS);
        cancel.cancel();
        assert_eq!(ctx.err(), Some(ContextError::Canceled));
        gort_runtime::time::sleep(40 * MS);
        assert_eq!(ctx.err(), Some(ContextError::Canceled), "stays Canceled");
    });
}

#[test]
fn values_are_found_up_the_chain() {
    let _w = watchdog::start("values_are_found_up_the_chain", watchdog::LIMIT);
    // Go's TestValues.
    #[derive(PartialEq)]
    struct K1;
    #[derive(PartialEq)]
    struct K2(u8);
    let c1 = context::with_value(&context::background(), K1, "c1k1".to_string());
    let c2 = context::with_value(&c1, K2(1), "c2k2".to_string());
    let c3 = context::with_value(&c2, K1, "c3k1".to_string());
    let (c4, _cancel) = context::with_cancel(&c3);
    let get1 = |c: &context::Context| c.value::<_, String>(&K1).map(|s| s.to_string());
    assert_eq!(get1(&c1).as_deref(), Some("c1k1"));
    assert_eq!(get1(&c2).as_deref(), Some("c1k1"));
    assert_eq!(get1(&c3).as_deref(), Some("c3k1"), "the nearest wins");
    assert_eq!(get1(&c4).as_deref(), Some("c3k1"), "through a cancel node");
    assert!(
        c4.value::<_, String>(&K2(2)).is_none(),
        "keys compare by =="
    );
    assert_eq!(
        c4.value::<_, String>(&K2(1)).as_deref().map(String::as_str),
        Some("c2k2")
    );
    assert!(c4.value::<_, u32>(&K1).is_none(), "wrong value type");
    assert_eq!(
        format!("{c4:?}"),
        "context.Background.WithValue.WithValue.WithValue.WithCancel"
    );
}

#[test]
fn done_is_a_select_case() {
    let _w = watchdog::start("done_is_a_select_case", watchdog::LIMIT);
    gort_runtime::run(|| {
        let (ctx, cancel) = context::with_cancel(&context::background());
        let (_tx, work) = gort_runtime::chan::bounded::<u32>(0);
        let h = gort_runtime::spawn(move || {
            gort_runtime::select! {
                recv(work) -> v => format!("work {v:?}"),
                recv(ctx.done()) -> _d => format!("stopped: {}", ctx.err().unwrap()),
            }
        });
        wait::parked(WaitReason::Select, 1);
        cancel.cancel();
        assert_eq!(h.join().unwrap(), "stopped: context canceled");
    });
}

#[test]
fn deadlines_work_from_plain_threads() {
    let _w = watchdog::start("deadlines_work_from_plain_threads", watchdog::LIMIT);
    let (ctx, _c) = context::with_timeout(&context::background(), 5 * MS);
    assert_eq!(ctx.done().recv(), None);
    assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
}
