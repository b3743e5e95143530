//! Mirrors Go src/net/cgo_unix.go (go1.27): name lookups through the C
//! library's `getaddrinfo(3)`.
//!
//! Go has two resolvers: its own DNS client, and the C library's, reached
//! through cgo. gort uses the C library's only: it honours
//! `/etc/nsswitch.conf`, `/etc/resolv.conf` and whatever NSS modules the
//! machine has, exactly as every other program there does. [`cgo_lookup_ip`]
//! is Go's `cgoLookupIP`: it asks for `SOCK_STREAM` results only (otherwise
//! each address comes back once per socket type), with the hint flags Go
//! uses on Linux (`AI_CANONNAME | AI_V4MAPPED | AI_ALL`), and the family
//! narrowed by the network's IP version (`"ip4"` → `AF_INET`, `"ip6"` →
//! `AF_INET6`). The call can block for as long as the resolver's
//! timeouts allow, so it runs inside [`gort_runtime::blocking`], gort's
//! `entersyscall`: the goroutine's P goes to another thread meanwhile and
//! the other goroutines keep running (Go does the same when it enters cgo).
//!
//! Failures become a [`DNSError`] with Go's text and flags: `EAI_NONAME`
//! and `EAI_NODATA` are "no such host" (not found), `EAI_SYSTEM` carries
//! the errno, and every other code carries the C library's own message
//! (`gai_strerror`), temporary when it is `EAI_AGAIN`.
//!
//! Go's `cgoLookupPort`, `cgoLookupPTR` and `cgoLookupCNAME` are not
//! ported: ports come from [`crate::port_unix`], and reverse lookups from
//! `/etc/hosts` only.

use std::ffi::{CStr, CString};
use std::ptr;

use crate::error_posix::errno_text;
use crate::iprawsock::IPAddr;
use crate::net::DNSError;
use crate::network::{IpVersion, Network};
use crate::{IP, IPV6_LEN};

/// The `ai_flags` hint Go passes on Linux (Go's `cgoAddrInfoFlags`): the
/// canonical name, and with `AF_INET6` the IPv4 addresses as IPv4-mapped
/// IPv6 ones in addition to the IPv6 ones.
#[doc(alias = "cgoAddrInfoFlags")]
const CGO_ADDR_INFO_FLAGS: libc::c_int = libc::AI_CANONNAME | libc::AI_V4MAPPED | libc::AI_ALL;

/// Go's text for "the name does not exist" (its `errNoSuchHost`).
pub(crate) const ERR_NO_SUCH_HOST: &str = "no such host";

/// A "no such host" error for `name` (Go's `newDNSError(errNoSuchHost, ...)`).
pub(crate) fn no_such_host(name: &str) -> DNSError {
    DNSError {
        err: ERR_NO_SUCH_HOST.to_string(),
        name: name.to_string(),
        is_not_found: true,
        ..DNSError::default()
    }
}

/// A `getaddrinfo` failure as Go reports it (Go's `addrinfoErrno` and the
/// `switch` on `gerrno` in `cgoLookupHostIP`). `errno` is the thread's
/// errno read right after the call, for `EAI_SYSTEM`.
fn addrinfo_error(gerrno: libc::c_int, errno: Option<i32>, name: &str) -> DNSError {
    match gerrno {
        libc::EAI_SYSTEM => {
            // Some C libraries report EAI_SYSTEM with errno left at 0; Go
            // says "too many open files" then (golang.org/issue/6232).
            let errno = match errno {
                Some(e) if e != 0 => e,
                _ => libc::EMFILE,
            };
            errno_dns_error(errno, name)
        }
        libc::EAI_NONAME | libc::EAI_NODATA => no_such_host(name),
        _ => DNSError {
            err: gai_strerror(gerrno),
            name: name.to_string(),
            is_temporary: gerrno == libc::EAI_AGAIN,
            ..DNSError::default()
        },
    }
}

/// A [`DNSError`] carrying an errno, flagged as Go's `syscall.Errno` flags
/// itself: a timeout for `EAGAIN` and `ETIMEDOUT`, temporary for those and
/// `EINTR`, `EMFILE`, `ENFILE`, `ECONNRESET`, `ECONNABORTED`.
fn errno_dns_error(errno: i32, name: &str) -> DNSError {
    let is_timeout = matches!(errno, libc::EAGAIN | libc::ETIMEDOUT);
    let is_temporary = is_timeout
        || matches!(
            errno,
            libc::EINTR | libc::EMFILE | libc::ENFILE | libc::ECONNRESET | libc::ECONNABORTED
        );
    DNSError {
        err: errno_text(errno),
        name: name.to_string(),
        is_timeout,
        is_temporary,
        ..DNSError::default()
    }
}

/// The C library's message for a `getaddrinfo` error code (Go's
/// `addrinfoErrno.Error`).
fn gai_strerror(code: libc::c_int) -> String {
    // SAFETY: gai_strerror takes any int and returns a pointer to a static,
    // NUL-terminated message (or, in some C libraries, NULL).
    let msg = unsafe { libc::gai_strerror(code) };
    if msg.is_null() {
        return format!("getaddrinfo error {code}");
    }
    // SAFETY: non-null, NUL-terminated and static, checked above.
    unsafe { CStr::from_ptr(msg) }
        .to_string_lossy()
        .into_owned()
}

/// The name of the interface with index `index`, for an IPv6 zone: empty
/// for 0, the decimal index when no interface has it (Go's
/// `zoneCache.name`, without the cache).
fn zone_name(index: u32) -> String {
    if index == 0 {
        return String::new();
    }
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes if_indextoname may write.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return index.to_string();
    }
    // SAFETY: on success if_indextoname wrote a NUL-terminated name into buf.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Frees a `getaddrinfo` result list when dropped, on every path.
struct AddrInfoList(*mut libc::addrinfo);

impl Drop for AddrInfoList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the list came from a successful getaddrinfo and is
            // freed exactly once, here.
            unsafe { libc::freeaddrinfo(self.0) };
        }
    }
}

/// The addresses in a `getaddrinfo` result list, in its order (the loop
/// at the end of Go's `cgoLookupHostIP`).
fn collect_addrs(list: &AddrInfoList) -> Vec<IPAddr> {
    let mut addrs = Vec::new();
    let mut r = list.0;
    while !r.is_null() {
        // SAFETY: `r` is a node of the list, alive until `list` drops.
        let ai = unsafe { &*r };
        r = ai.ai_next;
        // Only SOCK_STREAM was asked for, but check anyhow.
        if ai.ai_socktype != libc::SOCK_STREAM || ai.ai_addr.is_null() {
            continue;
        }
        let len = usize::try_from(ai.ai_addrlen).unwrap_or(0);
        match ai.ai_family {
            libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
                // SAFETY: ai_addr points at ai_addrlen bytes holding a
                // sockaddr_in (family and length checked); read_unaligned
                // because the C library promises no alignment.
                let sa = unsafe { ptr::read_unaligned(ai.ai_addr.cast::<libc::sockaddr_in>()) };
                addrs.push(IPAddr::new(IP::from(sa.sin_addr.s_addr.to_ne_bytes())));
            }
            libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
                // SAFETY: as above, for a sockaddr_in6.
                let sa = unsafe { ptr::read_unaligned(ai.ai_addr.cast::<libc::sockaddr_in6>()) };
                let bytes: [u8; IPV6_LEN] = sa.sin6_addr.s6_addr;
                addrs.push(IPAddr {
                    ip: IP::from(bytes),
                    zone: zone_name(sa.sin6_scope_id),
                });
            }
            _ => {}
        }
    }
    addrs
}

/// Resolves `name` with `getaddrinfo(3)` (Go's `cgoLookupHostIP`). Blocks
/// the calling thread; [`cgo_lookup_ip`] is the goroutine-friendly entry.
#[doc(alias = "cgoLookupHostIP")]
fn cgo_lookup_host_ip(network: Network, name: &str) -> Result<Vec<IPAddr>, DNSError> {
    let Ok(cname) = CString::new(name) else {
        // Go's BytePtrFromString fails with EINVAL on a NUL byte.
        return Err(DNSError {
            err: errno_text(libc::EINVAL),
            name: name.to_string(),
            ..DNSError::default()
        });
    };
    // SAFETY: addrinfo is plain old data; all zeros is the "no hints" value
    // that the fields set below refine.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_flags = CGO_ADDR_INFO_FLAGS;
    hints.ai_socktype = libc::SOCK_STREAM;
    hints.ai_family = match network.ip_version() {
        IpVersion::V4 => libc::AF_INET,
        IpVersion::V6 => libc::AF_INET6,
        IpVersion::Any => libc::AF_UNSPEC,
    };

    let mut res: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: `cname` is NUL-terminated, a null service is allowed, `hints`
    // is initialised and `res` is a valid place for the result pointer.
    let gerrno = unsafe { libc::getaddrinfo(cname.as_ptr(), ptr::null(), &hints, &mut res) };
    // Read errno at once, on this thread, before anything can change it.
    let errno = std::io::Error::last_os_error().raw_os_error();
    let list = AddrInfoList(res);
    if gerrno != 0 {
        return Err(addrinfo_error(gerrno, errno, name));
    }
    Ok(collect_addrs(&list))
}

/// Resolves `name` to its addresses with the C library's resolver (Go's
/// `cgoLookupIP`), in the order `getaddrinfo` gives them.
///
/// `network`'s IP version narrows the family (`"ip4"`, `"tcp4"`: IPv4
/// only; `"ip6"`, `"tcp6"`: IPv6 only; any other: both). IPv4 results are 4-byte [`IP`]s, IPv6
/// ones 16-byte with their zone; with `"ip6"`, IPv4-only names come back
/// IPv4-mapped (`AI_V4MAPPED`). The C call runs inside
/// [`gort_runtime::blocking`]; outside a goroutine it simply blocks.
#[doc(alias = "cgoLookupIP")]
pub(crate) fn cgo_lookup_ip(network: Network, name: &str) -> Result<Vec<IPAddr>, DNSError> {
    gort_runtime::blocking(|| cgo_lookup_host_ip(network, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET_IP: Network = Network::Ip { proto: 0 };
    const NET_IP4: Network = Network::Ip4 { proto: 0 };
    const NET_IP6: Network = Network::Ip6 { proto: 0 };

    #[test]
    fn test_cgo_lookup_localhost() {
        let addrs = cgo_lookup_ip(NET_IP, "localhost").expect("localhost resolves");
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip.is_loopback()), "{addrs:?}");
        // No duplicates: one result per address, thanks to SOCK_STREAM.
        for (i, a) in addrs.iter().enumerate() {
            assert!(!addrs[i + 1..].contains(a), "{addrs:?}");
        }
        let v4 = cgo_lookup_ip(NET_IP4, "localhost").expect("localhost has IPv4");
        assert!(v4.iter().all(|a| a.ip.to4().is_some() && a.ip.len() == 4));
    }

    #[test]
    fn test_cgo_lookup_numeric() {
        let addrs = cgo_lookup_ip(NET_IP, "127.0.0.1").expect("numeric");
        assert_eq!(addrs, [IPAddr::new(IP::v4(127, 0, 0, 1))]);
        let addrs = cgo_lookup_ip(NET_IP6, "127.0.0.1").expect("mapped");
        assert_eq!(addrs.len(), 1);
        assert_eq!(addrs[0].ip, IP::v4(127, 0, 0, 1));
        assert_eq!(addrs[0].ip.len(), 16);
    }

    #[test]
    fn test_cgo_lookup_invalid() {
        let err = cgo_lookup_ip(NET_IP, "nosuchhost.invalid").unwrap_err();
        assert_eq!(err.name, "nosuchhost.invalid");
        // Without a network, some resolvers fail with EAI_AGAIN rather
        // than EAI_NONAME: accept either, each with Go's flags.
        if err.is_not_found {
            assert_eq!(err.to_string(), "lookup nosuchhost.invalid: no such host");
        } else {
            assert!(err.is_temporary, "{err:?}");
        }
    }

    #[test]
    fn test_cgo_lookup_nul() {
        let err = cgo_lookup_ip(NET_IP, "a\0b").unwrap_err();
        assert_eq!(err.err, "invalid argument");
        assert!(!err.is_not_found);
    }

    #[test]
    fn test_cgo_lookup_in_goroutine() {
        let n = gort_runtime::run(|| {
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    gort_runtime::spawn(|| cgo_lookup_ip(NET_IP4, "localhost").map(|a| a.len()))
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("no panic").expect("resolves"))
                .min()
        });
        assert!(n >= Some(1));
    }

    #[test]
    fn test_addrinfo_error() {
        let e = addrinfo_error(libc::EAI_NONAME, None, "x");
        assert_eq!(e.to_string(), "lookup x: no such host");
        assert!(e.is_not_found && !e.is_temporary);
        let e = addrinfo_error(libc::EAI_NODATA, None, "x");
        assert!(e.is_not_found);
        let e = addrinfo_error(libc::EAI_AGAIN, None, "x");
        assert!(e.is_temporary && !e.is_not_found && !e.is_timeout);
        assert_eq!(e.err, gai_strerror(libc::EAI_AGAIN));
        let e = addrinfo_error(libc::EAI_FAIL, None, "x");
        assert!(!e.is_temporary && !e.is_not_found);
        let e = addrinfo_error(libc::EAI_SYSTEM, Some(0), "x");
        assert_eq!(e.to_string(), "lookup x: too many open files");
        assert!(e.is_temporary);
        let e = addrinfo_error(libc::EAI_SYSTEM, Some(libc::ETIMEDOUT), "x");
        assert!(e.is_timeout && e.is_temporary);
    }

    #[test]
    fn test_zone_name() {
        assert_eq!(zone_name(0), "");
        assert_eq!(zone_name(u32::MAX), u32::MAX.to_string());
    }
}
