//! Integration tests of gort-poll's socket options (`sockopt*.rs`): integers, bytes, linger, IPv4 addresses and multicast requests on real TCP and UDP sockets, and the errors, raw and after close.

use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

use gort_poll::fd::is_net_closing;
use gort_poll::{FD, FdKind};
use rustix::net::{AddressFamily, SocketFlags, SocketType};

mod common;
use common::{pipe, rt};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

fn localhost() -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)
}

fn socket(family: AddressFamily, ty: SocketType, kind: FdKind) -> io::Result<FD> {
    let s = rustix::net::socket_with(
        family,
        ty,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )?;
    Ok(FD::new(s, kind, true))
}

/// A connected TCP pair on 127.0.0.1: (client, accepted server side).
fn tcp_pair() -> (FD, FD) {
    let l = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    rustix::net::bind(&l, &localhost()).unwrap();
    rustix::net::listen(&l, 1).unwrap();
    let addr = SocketAddrV4::try_from(rustix::net::getsockname(&l).unwrap()).unwrap();
    let c = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    rustix::net::connect(&c, &addr).unwrap();
    let s = rustix::net::accept_with(&l, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC).unwrap();
    (FD::new(c, FdKind::Tcp, true), FD::new(s, FdKind::Tcp, true))
}

/// A UDP socket bound to 127.0.0.1.
fn udp() -> FD {
    let fd = socket(AddressFamily::INET, SocketType::DGRAM, FdKind::Datagram).unwrap();
    fd.raw_control(|s| rustix::net::bind(s, &localhost()))
        .unwrap()
        .unwrap();
    fd
}

/// `SO_LINGER` as the kernel reports it, read with a raw `getsockopt(2)`.
fn get_linger(fd: &FD) -> libc::linger {
    fd.raw_control(|s| {
        let mut l = libc::linger {
            l_onoff: -1,
            l_linger: -1,
        };
        let mut len = size_of::<libc::linger>() as libc::socklen_t;
        // SAFETY: `s` is open for the call; `l` and `len` are live locals
        // and `len` is `l`'s size.
        let rc = unsafe {
            libc::getsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                std::ptr::from_mut(&mut l).cast(),
                &mut len,
            )
        };
        assert_eq!(
            rc,
            0,
            "getsockopt(SO_LINGER): {}",
            io::Error::last_os_error()
        );
        assert_eq!(len as usize, size_of::<libc::linger>());
        l
    })
    .unwrap()
}

/// The index of the loopback interface.
fn loopback_index() -> i32 {
    // SAFETY: the argument is a NUL-terminated string that outlives the call.
    let i = unsafe { libc::if_nametoindex(c"lo".as_ptr()) };
    i32::try_from(i).unwrap()
}

/// Whether a multicast join failed only because this machine (or its
/// sandbox) offers no multicast on loopback: the test is skipped then.
fn no_multicast_here(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENODEV | libc::EADDRNOTAVAIL | libc::ENOBUFS | libc::EAFNOSUPPORT)
    )
}

#[test]
fn tcp_rcvbuf_and_nodelay_round_trip() {
    let _w = watchdog::start("tcp_rcvbuf_and_nodelay_round_trip", watchdog::LIMIT);
    rt().block_on(|| {
        let (c, s) = tcp_pair();
        // Linux doubles the requested buffer size (bookkeeping overhead) and
        // clamps it to a minimum, so ask for more than the minimum and check
        // that at least that much is reported.
        const WANT: i32 = 64 * 1024;
        c.setsockopt_int(libc::SOL_SOCKET, libc::SO_RCVBUF, WANT)
            .unwrap();
        let got = c.getsockopt_int(libc::SOL_SOCKET, libc::SO_RCVBUF).unwrap();
        assert!(got >= WANT, "SO_RCVBUF {got} < {WANT}");

        for fd in [&c, &s] {
            fd.setsockopt_int(libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
                .unwrap();
            let on = fd
                .getsockopt_int(libc::IPPROTO_TCP, libc::TCP_NODELAY)
                .unwrap();
            assert_eq!(on, 1);
            fd.setsockopt_int(libc::IPPROTO_TCP, libc::TCP_NODELAY, 0)
                .unwrap();
            let off = fd
                .getsockopt_int(libc::IPPROTO_TCP, libc::TCP_NODELAY)
                .unwrap();
            assert_eq!(off, 0);
        }
        // The socket still works after being configured.
        assert_eq!(c.write(b"ping").unwrap(), 4);
        let mut b = [0u8; 4];
        assert_eq!(s.read(&mut b).unwrap(), 4);
        assert_eq!(&b, b"ping");
    });
}

#[test]
fn so_linger_set_and_cleared() {
    let _w = watchdog::start("so_linger_set_and_cleared", watchdog::LIMIT);
    rt().block_on(|| {
        let (c, _s) = tcp_pair();
        let on = libc::linger {
            l_onoff: 1,
            l_linger: 3,
        };
        c.setsockopt_linger(libc::SOL_SOCKET, libc::SO_LINGER, &on)
            .unwrap();
        let got = get_linger(&c);
        assert_eq!((got.l_onoff != 0, got.l_linger), (true, 3));

        let off = libc::linger {
            l_onoff: 0,
            l_linger: 0,
        };
        c.setsockopt_linger(libc::SOL_SOCKET, libc::SO_LINGER, &off)
            .unwrap();
        assert_eq!(get_linger(&c).l_onoff, 0);
    });
}

#[test]
fn udp_multicast_ttl_and_loop_by_byte_and_int() {
    let _w = watchdog::start(
        "udp_multicast_ttl_and_loop_by_byte_and_int",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let u = udp();
        u.setsockopt_byte(libc::IPPROTO_IP, libc::IP_MULTICAST_TTL, 7)
            .unwrap();
        let ttl = u
            .getsockopt_int(libc::IPPROTO_IP, libc::IP_MULTICAST_TTL)
            .unwrap();
        assert_eq!(ttl, 7);
        u.setsockopt_int(libc::IPPROTO_IP, libc::IP_MULTICAST_TTL, 9)
            .unwrap();
        let ttl = u
            .getsockopt_int(libc::IPPROTO_IP, libc::IP_MULTICAST_TTL)
            .unwrap();
        assert_eq!(ttl, 9);

        u.setsockopt_byte(libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, 0)
            .unwrap();
        let lp = u
            .getsockopt_int(libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP)
            .unwrap();
        assert_eq!(lp, 0);
    });
}

#[test]
fn udp_multicast_interface_by_inet4_addr() {
    let _w = watchdog::start("udp_multicast_interface_by_inet4_addr", watchdog::LIMIT);
    rt().block_on(|| {
        let u = udp();
        let lo = Ipv4Addr::LOCALHOST.octets();
        match u.setsockopt_inet4_addr(libc::IPPROTO_IP, libc::IP_MULTICAST_IF, lo) {
            Err(e) if no_multicast_here(&e) => {
                eprintln!("skipping: IP_MULTICAST_IF 127.0.0.1: {e}");
            }
            Err(e) => panic!("IP_MULTICAST_IF 127.0.0.1: {e}"),
            Ok(()) => {
                // The kernel reports the address back as an in_addr (4
                // bytes, network order), read here as a C int.
                let got = u
                    .getsockopt_int(libc::IPPROTO_IP, libc::IP_MULTICAST_IF)
                    .unwrap();
                assert_eq!(got.to_ne_bytes(), lo);
            }
        }
    });
}

#[test]
fn join_and_leave_multicast_group_on_loopback() {
    const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
    let _w = watchdog::start(
        "join_and_leave_multicast_group_on_loopback",
        watchdog::LIMIT,
    );
    rt().block_on(|| {
        let u = udp();
        let group = libc::in_addr {
            s_addr: u32::from_ne_bytes(GROUP.octets()),
        };

        // Linux's ip_mreqn: the interface by index.
        let mreqn = libc::ip_mreqn {
            imr_multiaddr: group,
            imr_address: libc::in_addr { s_addr: 0 },
            imr_ifindex: loopback_index(),
        };
        match u.setsockopt_ip_mreqn(libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, &mreqn) {
            Err(e) if no_multicast_here(&e) => {
                eprintln!("skipping: no multicast on loopback here: {e}");
                return;
            }
            r => r.unwrap(),
        }
        // Joining twice is refused with the raw OS error.
        let again = u
            .setsockopt_ip_mreqn(libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, &mreqn)
            .unwrap_err();
        assert_eq!(again.raw_os_error(), Some(libc::EADDRINUSE), "{again}");
        u.setsockopt_ip_mreqn(libc::IPPROTO_IP, libc::IP_DROP_MEMBERSHIP, &mreqn)
            .unwrap();

        // The portable ip_mreq: the interface by its address.
        let mreq = libc::ip_mreq {
            imr_multiaddr: group,
            imr_interface: libc::in_addr {
                s_addr: u32::from_ne_bytes(Ipv4Addr::LOCALHOST.octets()),
            },
        };
        u.setsockopt_ip_mreq(libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, &mreq)
            .unwrap();
        u.setsockopt_ip_mreq(libc::IPPROTO_IP, libc::IP_DROP_MEMBERSHIP, &mreq)
            .unwrap();
    });
}

#[test]
fn join_ipv6_multicast_group_on_loopback() {
    let _w = watchdog::start("join_ipv6_multicast_group_on_loopback", watchdog::LIMIT);
    rt().block_on(|| {
        let u = match socket(AddressFamily::INET6, SocketType::DGRAM, FdKind::Datagram) {
            Ok(u) => u,
            Err(e) => {
                eprintln!("skipping: no IPv6 socket here: {e}");
                return;
            }
        };
        let mreq = libc::ipv6_mreq {
            // ff02::fb, the mDNS group.
            ipv6mr_multiaddr: libc::in6_addr {
                s6_addr: "ff02::fb".parse::<std::net::Ipv6Addr>().unwrap().octets(),
            },
            ipv6mr_interface: loopback_index().try_into().unwrap(),
        };
        match u.setsockopt_ipv6_mreq(libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP, &mreq) {
            Err(e) if no_multicast_here(&e) => {
                eprintln!("skipping: no IPv6 multicast on loopback here: {e}");
            }
            r => {
                r.unwrap();
                u.setsockopt_ipv6_mreq(libc::IPPROTO_IPV6, libc::IPV6_DROP_MEMBERSHIP, &mreq)
                    .unwrap();
            }
        }
    });
}

#[test]
fn raw_os_errors_are_returned_unwrapped() {
    let _w = watchdog::start("raw_os_errors_are_returned_unwrapped", watchdog::LIMIT);
    rt().block_on(|| {
        let u = udp();
        // TCP_NODELAY means nothing to a UDP socket (ENOPROTOOPT).
        let e = u
            .setsockopt_int(libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOPROTOOPT), "{e}");
        // A pipe is not a socket.
        let (r, _w) = pipe();
        let e = r
            .getsockopt_int(libc::SOL_SOCKET, libc::SO_RCVBUF)
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTSOCK), "{e}");
        let e = r.setsockopt_byte(libc::SOL_SOCKET, 0, 1).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTSOCK), "{e}");
    });
}

#[test]
fn every_sockopt_fails_after_close() {
    let _w = watchdog::start("every_sockopt_fails_after_close", watchdog::LIMIT);
    rt().block_on(|| {
        let u = udp();
        u.close().unwrap();
        let mreq = libc::ip_mreq {
            imr_multiaddr: libc::in_addr { s_addr: 0 },
            imr_interface: libc::in_addr { s_addr: 0 },
        };
        let mreqn = libc::ip_mreqn {
            imr_multiaddr: libc::in_addr { s_addr: 0 },
            imr_address: libc::in_addr { s_addr: 0 },
            imr_ifindex: 0,
        };
        let mreq6 = libc::ipv6_mreq {
            ipv6mr_multiaddr: libc::in6_addr { s6_addr: [0; 16] },
            ipv6mr_interface: 0,
        };
        let linger = libc::linger {
            l_onoff: 0,
            l_linger: 0,
        };
        let (l, n) = (libc::SOL_SOCKET, libc::SO_RCVBUF);
        let errs = [
            u.setsockopt_int(l, n, 1).unwrap_err(),
            u.getsockopt_int(l, n).unwrap_err(),
            u.setsockopt_byte(l, n, 1).unwrap_err(),
            u.setsockopt_inet4_addr(l, n, [0; 4]).unwrap_err(),
            u.setsockopt_linger(l, n, &linger).unwrap_err(),
            u.setsockopt_ip_mreq(l, n, &mreq).unwrap_err(),
            u.setsockopt_ip_mreqn(l, n, &mreqn).unwrap_err(),
            u.setsockopt_ipv6_mreq(l, n, &mreq6).unwrap_err(),
        ];
        for e in errs {
            assert!(is_net_closing(&e), "{e}");
        }
    });
}
