//! Helpers shared by gort-poll's integration tests: a runtime with the netpoller installed, and pollable pipes.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::sync::Arc;

use gort_poll::{FD, FdKind};
use gort_runtime::Runtime;
use rustix::pipe::{PipeFlags, pipe_with};

/// A two-P runtime with gort-netpoll's poller installed.
pub fn rt() -> Runtime {
    Runtime::builder()
        .procs(2)
        .netpoll(Arc::new(gort_netpoll::Poller::new().unwrap()))
        .build()
        .unwrap()
}

/// A pipe wrapped as two pollable file FDs (read end, write end). Call from
/// a goroutine of a runtime with a poller.
pub fn pipe() -> (FD, FD) {
    let (r, w) = pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).unwrap();
    let r = FD::new(r, FdKind::File, true);
    let w = FD::new(w, FdKind::File, true);
    assert!(r.pollable() && w.pollable(), "{:?}", r.init_error());
    (r, w)
}
