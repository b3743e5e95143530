//! gort's micro-benchmarks and their Go twins.
//!
//! This crate has no library code of its own: it exists to hold the criterion
//! benchmarks in `benches/runtime.rs` (run them with `cargo xtask
//! bench-runtime`, or `cargo bench -p gort-benches`) and, in `benches/go/`, the
//! Go benchmark each of them shadows. Every benchmark id is the name of its Go
//! twin; `benches/README.md` lists what each one measures.
