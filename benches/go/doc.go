// Package gortbench holds the Go twins of gort's runtime benchmarks
// (benches/runtime.rs in the gort repository): one Benchmark* per criterion
// benchmark id, same shape, standard library only.
//
// Run them as gort's numbers are taken, with two Ps:
//
//	go test -run '^$' -bench . -cpu 2
//
// or let `cargo xtask bench-runtime` run both sides and print a table.
package gortbench
