//! gort-poll: Go's `internal/poll` (the FD with its fdMutex) on nonblocking
//! descriptors.
//!
//! Not written yet (see the README's "Limitations"); it will sit on gort-netpoll.
