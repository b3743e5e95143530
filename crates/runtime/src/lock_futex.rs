//! Mirrors Go src/runtime/lock_futex.go (go1.27): notes, the one-shot wake-ups Ms sleep on.
//!
//! Go parks an idle M on its `m.park` note with a futex: `notesleep` waits until
//! `notewakeup` has been called once, `noteclear` re-arms it. gort builds the
//! same thing from a `parking_lot` mutex and condition variable, and folds the
//! clear into the sleep (an M always re-arms its note right after waking).

use std::time::Duration;

use parking_lot::{Condvar, Mutex};

// ANCHOR: note
/// A one-shot wake-up flag an OS thread can sleep on (Go's `note`).
#[derive(Default)]
pub(crate) struct Note {
    /// Set by `wakeup`, cleared by the sleeper when it returns.
    key: Mutex<bool>,
    cv: Condvar,
}

impl Note {
    /// Wakes the sleeper, or makes its next sleep return at once (Go's `notewakeup`).
    pub(crate) fn wakeup(&self) {
        let mut key = self.key.lock();
        *key = true;
        // One sleeper per note by construction (the M that owns it).
        self.cv.notify_one();
    }

    /// Sleeps until `wakeup`, then re-arms (Go's `notesleep` + `noteclear`).
    pub(crate) fn sleep(&self) {
        let mut key = self.key.lock();
        while !*key {
            self.cv.wait(&mut key);
        }
        *key = false;
    }

    /// Like `sleep` but gives up after `timeout`; returns whether it was woken
    /// (Go's `notetsleep`).
    pub(crate) fn sleep_timeout(&self, timeout: Duration) -> bool {
        let mut key = self.key.lock();
        if !*key {
            self.cv.wait_for(&mut key, timeout);
        }
        std::mem::replace(&mut *key, false)
    }
}
// ANCHOR_END: note
