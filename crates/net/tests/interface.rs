//! Network interfaces: the loopback as every Linux host has it, lookups by
//! name and index that agree with the list (Go's TestInterfaces), the
//! address checks of Go's interface_test.go (TestInterfaceAddrs,
//! TestInterfaceUnicastAddrs, TestInterfaceMulticastAddrs), Go's error
//! texts, and the list against `ip -o link` where the `ip` tool is
//! installed.

use std::io;
use std::process::Command;

use gort::net::{
    Flags, IP, IPAddr, IPNet, Interface, interface_addrs, interface_by_index, interface_by_name,
    interfaces,
};

#[path = "../../runtime/tests/support/watchdog.rs"]
mod watchdog;

fn loopback() -> Interface {
    interfaces()
        .unwrap()
        .into_iter()
        .find(|ifi| ifi.flags.contains(Flags::LOOPBACK | Flags::UP))
        .expect("an up loopback interface")
}

/// The loopback interface: `lo`, up, no hardware address, and
/// 127.0.0.1/8 among its addresses; the multicast groups it has joined
/// include the all-systems group where the kernel publishes them.
#[test]
fn the_loopback_interface() {
    let _w = watchdog::start("the_loopback_interface", watchdog::LIMIT);
    let lo = loopback();
    assert_eq!(lo.name, "lo");
    assert!(lo.index > 0);
    assert!(lo.mtu > 0);
    assert!(lo.hardware_addr.is_empty(), "{:?}", lo.hardware_addr);
    assert!(
        lo.flags.to_string().starts_with("up|loopback"),
        "{}",
        lo.flags
    );
    let addrs = lo.addrs().unwrap();
    let text: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    assert!(text.contains(&"127.0.0.1/8".to_string()), "{text:?}");
    assert!(
        interface_addrs()
            .unwrap()
            .iter()
            .any(|n| n.to_string() == "127.0.0.1/8")
    );
    let groups = lo.multicast_addrs().unwrap();
    if std::path::Path::new("/proc/net/igmp").exists() {
        assert!(
            groups.contains(&IPAddr::new(IP::v4(224, 0, 0, 1))),
            "{groups:?}"
        );
    }
}

/// Go's TestInterfaces: each interface is found again, equal, by its index
/// and by its name. Also from a goroutine, where the netlink socket blocks
/// its thread briefly, as Go's does.
#[test]
fn test_interfaces() {
    let _w = watchdog::start("test_interfaces", watchdog::LIMIT);
    let check = || {
        let ift = interfaces().unwrap();
        assert!(!ift.is_empty());
        for ifi in &ift {
            assert_eq!(&interface_by_index(ifi.index).unwrap(), ifi);
            if !ifi.name.is_empty() {
                assert_eq!(&interface_by_name(&ifi.name).unwrap(), ifi);
            }
        }
    };
    check();
    gort::run(check);
}

/// Go's error texts, checked against Go 1.27.
#[test]
fn lookups_fail_like_go() {
    let _w = watchdog::start("lookups_fail_like_go", watchdog::LIMIT);
    let cases: [(io::Result<Interface>, &str, io::ErrorKind); 4] = [
        (
            interface_by_name("nosuch0"),
            "route ip+net: no such network interface",
            io::ErrorKind::NotFound,
        ),
        (
            interface_by_name(""),
            "route ip+net: invalid network interface name",
            io::ErrorKind::InvalidInput,
        ),
        (
            interface_by_index(0),
            "route ip+net: invalid network interface index",
            io::ErrorKind::InvalidInput,
        ),
        (
            interface_by_index(99999),
            "route ip+net: no such network interface",
            io::ErrorKind::NotFound,
        ),
    ];
    for (got, want, kind) in cases {
        let err = got.unwrap_err();
        assert_eq!(err.to_string(), want);
        assert_eq!(err.kind(), kind, "{want}");
        assert!(gort::net::op_error(&err).is_some(), "{want}: an OpError");
    }
}

/// How many IPv4 and IPv6 addresses a check counted (Go's `routeStats`).
#[derive(Debug, Default)]
struct RouteStats {
    ipv4: usize,
    ipv6: usize,
}

/// Go's `validateInterfaceUnicastAddrs`: every network has an address that
/// is not multicast, kept in the 16-byte form, with a prefix that fits its
/// family (at least 8 bits for IPv4 loopback, all 128 for IPv6 loopback).
fn validate_unicast(ifat: &[IPNet]) -> RouteStats {
    let mut stats = RouteStats::default();
    for ifa in ifat {
        assert!(!ifa.ip.is_nil() && !ifa.ip.is_multicast(), "{ifa:?}");
        assert!(!ifa.mask.is_empty(), "{ifa:?}");
        assert_eq!(ifa.ip.len(), 16, "the 16-byte form: {ifa:?}");
        let (ones, bits) = ifa.mask.size();
        if ifa.ip.to4().is_some() {
            assert!(0 < ones && ones <= 32 && bits == 32, "{ifa:?}");
            assert!(!ifa.ip.is_loopback() || ones >= 8, "{ifa:?}");
            stats.ipv4 += 1;
        } else {
            assert!(0 < ones && ones <= 128 && bits == 128, "{ifa:?}");
            assert!(!ifa.ip.is_loopback() || ones == 128, "{ifa:?}");
            stats.ipv6 += 1;
        }
    }
    stats
}

/// Go's `validateInterfaceMulticastAddrs`: every group is a multicast
/// address, in the 16-byte form.
fn validate_multicast(ifmat: &[IPAddr]) -> RouteStats {
    let mut stats = RouteStats::default();
    for ifa in ifmat {
        assert!(!ifa.ip.is_unspecified() && ifa.ip.is_multicast(), "{ifa:?}");
        assert_eq!(ifa.ip.len(), 16, "the 16-byte form: {ifa:?}");
        if ifa.ip.to4().is_some() {
            stats.ipv4 += 1;
        } else {
            stats.ipv6 += 1;
        }
    }
    stats
}

/// Up loopback interfaces and other up interfaces (Go's `interfaceStats`).
fn up_counts(ift: &[Interface]) -> (usize, usize) {
    let up = ift.iter().filter(|i| i.flags.contains(Flags::UP));
    let loops = up
        .clone()
        .filter(|i| i.flags.contains(Flags::LOOPBACK))
        .count();
    (loops, up.count() - loops)
}

/// Whether the host has IPv6 on its loopback (Go's `supportsIPv6`, as the
/// checks use it).
fn has_ipv6() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// Go's TestInterfaceAddrs and TestInterfaceUnicastAddrs: the addresses of
/// all interfaces, taken at once or one interface at a time, are valid,
/// and a host with an up interface has IPv4 ones (and IPv6 ones on its
/// loopback, where IPv6 works).
#[test]
fn test_interface_addrs() {
    let _w = watchdog::start("test_interface_addrs", watchdog::LIMIT);
    let ift = interfaces().unwrap();
    let (loops, others) = up_counts(&ift);
    let all = validate_unicast(&interface_addrs().unwrap());
    let mut each = RouteStats::default();
    for ifi in &ift {
        let s = validate_unicast(&ifi.addrs().unwrap());
        each.ipv4 += s.ipv4;
        each.ipv6 += s.ipv6;
    }
    for stats in [&all, &each] {
        if loops + others > 0 {
            assert!(stats.ipv4 > 0, "{stats:?}");
        }
        if has_ipv6() && loops > 0 {
            assert!(stats.ipv6 > 0, "{stats:?}");
        }
    }
    assert_eq!((all.ipv4, all.ipv6), (each.ipv4, each.ipv6));
}

/// Go's TestInterfaceMulticastAddrs: the groups are valid, and a host with
/// IPv6 addresses has joined IPv6 groups.
#[test]
fn test_interface_multicast_addrs() {
    let _w = watchdog::start("test_interface_multicast_addrs", watchdog::LIMIT);
    let ift = interfaces().unwrap();
    let (loops, _) = up_counts(&ift);
    let uni = validate_unicast(&interface_addrs().unwrap());
    let mut multi = RouteStats::default();
    for ifi in &ift {
        let s = validate_multicast(&ifi.multicast_addrs().unwrap());
        multi.ipv4 += s.ipv4;
        multi.ipv6 += s.ipv6;
    }
    if has_ipv6() && loops > 0 && uni.ipv6 > 1 && std::path::Path::new("/proc/net/igmp6").exists() {
        assert!(multi.ipv6 > 0, "{uni:?} {multi:?}");
    }
}

/// The list agrees with `ip -o link` (index and name of every interface,
/// in order), where the tool is installed.
#[test]
fn interfaces_match_ip_link() {
    let _w = watchdog::start("interfaces_match_ip_link", watchdog::LIMIT);
    let out = match Command::new("ip").args(["-o", "link"]).output() {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("`ip -o link` failed ({}): comparison skipped", o.status);
            return;
        }
        Err(e) => {
            eprintln!("no `ip` tool here ({e}): comparison skipped");
            return;
        }
    };
    // "4: eth0: <BROADCAST,...> mtu 1400 ..." or "5: eth0.100@eth0: ...".
    let want: Vec<(i32, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ": ");
            let index = f.next()?.trim().parse().ok()?;
            let name = f.next()?.split('@').next()?.to_string();
            Some((index, name))
        })
        .collect();
    let got: Vec<(i32, String)> = interfaces()
        .unwrap()
        .into_iter()
        .map(|ifi| (ifi.index, ifi.name))
        .collect();
    assert_eq!(got, want);
}
