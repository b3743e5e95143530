//! Mirrors Go src/runtime/runtime1.go (go1.27): reading the environment (GODEBUG, GOMAXPROCS).
//!
//! Go reads `GODEBUG` (`parsedebugvars`) and `GOMAXPROCS` at start-up. gort reads
//! `GORT_DEBUG` and `GORT_MAXPROCS` the same way when a runtime is built; an
//! explicit `Builder` setting wins over the environment.
//!
//! Understood `GORT_DEBUG` keys (comma-separated `key=value`):
//! * `schedtrace=N`: print a `SCHED` line to stderr every N milliseconds.

/// Debug settings parsed from `GORT_DEBUG` (Go's `dbgvars`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct DebugVars {
    /// Milliseconds between schedtrace lines; 0 disables them.
    pub(crate) schedtrace: u64,
}

/// Parses a `GORT_DEBUG` value. Unknown keys and malformed values are ignored,
/// as Go ignores them in `GODEBUG`.
pub(crate) fn parsedebugvars(s: &str) -> DebugVars {
    let mut vars = DebugVars::default();
    for field in s.split(',') {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        if key.trim() == "schedtrace"
            && let Ok(ms) = value.trim().parse::<u64>()
        {
            vars.schedtrace = ms;
        }
    }
    vars
}

/// Debug settings from the environment.
pub(crate) fn debugvars_from_env() -> DebugVars {
    std::env::var("GORT_DEBUG")
        .map(|s| parsedebugvars(&s))
        .unwrap_or_default()
}

/// GOMAXPROCS: `GORT_MAXPROCS` if it is a positive integer, else the number of
/// CPUs this process may use (Go's `getproccount`).
pub(crate) fn default_procs() -> usize {
    if let Some(n) = std::env::var("GORT_MAXPROCS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn parses_schedtrace_and_ignores_the_rest() {
        assert_eq!(parsedebugvars("schedtrace=1000").schedtrace, 1000);
        assert_eq!(parsedebugvars("foo=1, schedtrace=250 ,bar").schedtrace, 250);
        assert_eq!(parsedebugvars("schedtrace=x").schedtrace, 0);
        assert_eq!(parsedebugvars("").schedtrace, 0);
    }
}
