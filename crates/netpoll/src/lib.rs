//! gort-netpoll: the epoll netpoller (Go's src/runtime/netpoll.go and
//! netpoll_epoll.go), implementing gort-runtime's `Netpoll` hook.
//!
//! Not written yet: this crate is the next layer of the stack (see the README's
//! "Limitations"). It exists now so that the workspace has its final shape and
//! the dependency direction runtime ← netpoll ← poll ← net ← gort is fixed.
