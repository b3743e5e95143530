//! gort-net: Go's `net` package (TCP, UDP and Unix sockets, addresses, errors,
//! the resolver) on gort-poll.
//!
//! Not written yet (see the README's "Limitations").
