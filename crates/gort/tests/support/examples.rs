//! Starting the built examples from a test: where cargo put them, a
//! command that runs one with default signal dispositions, and a guard that
//! kills it when the test ends. Included by path (`#[path]`) by the test
//! files that run examples, which also include `support/dispositions.rs`
//! of the runtime's tests as `mod dispositions`.
#![allow(dead_code)] // each test file uses what it needs

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command};

// The includer declares `mod dispositions` (runtime/tests/support).
use super::dispositions::default_dispositions;

/// The built example `name` (`cargo test` builds the examples next to the
/// test binaries).
pub fn example(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop(); // the test binary
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("examples").join(name)
}

/// A command that runs the built example `name` with default signal
/// dispositions (see `default_dispositions`).
pub fn command(name: &str) -> Command {
    let path = example(name);
    assert!(
        path.exists(),
        "{} not built (run through cargo test)",
        path.display()
    );
    let mut cmd = Command::new(path);
    // SAFETY: the hook runs in the forked child before exec and calls only
    // async-signal-safe functions, allocating nothing.
    unsafe { cmd.pre_exec(default_dispositions) };
    cmd
}

/// Kills the child when the test ends, however it ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
