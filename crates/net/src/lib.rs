//! gort-net: Go's `net` package (TCP, UDP and Unix sockets, addresses, errors,
//! the resolver) on gort-poll.
//!
//! Each module mirrors one file of Go's `src/net` and says which on its first
//! line; read them side by side.

mod error_posix;
mod net;

pub use error_posix::{SyscallError, errno_text, wrap_syscall_error};
pub use net::{
    Addr, AddrError, Buffers, Conn, DNSError, InvalidAddrError, Listener, NetError, OpError,
    PacketConn, ParseError, TimeoutError, UnknownNetworkError, is_closed, is_timeout, op_error,
};
