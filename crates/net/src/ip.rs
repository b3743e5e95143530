//! Mirrors Go src/net/ip.go (go1.27): IP addresses, masks and networks,
//! with the literal parser of src/net/netip/netip.go underneath.
//!
//! Go's `net.IP` is a byte slice whose length carries meaning: 4 bytes is
//! an IPv4 address, 16 bytes is IPv6 (or IPv4 written in its IPv4-mapped
//! IPv6 form, `::ffff:a.b.c.d`), and an empty slice is "no address", which
//! Dial and Listen read as the wildcard. [`IP`] keeps that model in a `Copy`
//! value: a length and a 16-byte array. Every constructor that makes an
//! address from scratch ([`IP::v4`], [`parse_ip`], the `From` conversions)
//! returns the 16-byte form, as Go does, and [`IP::to4`] / [`IP::to16`]
//! convert between the two. Equality is Go's `Equal`, so `1.2.3.4` in
//! either form compares equal, and hashing agrees with it.
//!
//! [`IPMask`] is the same kind of byte string used as a bitmask, and
//! [`IPNet`] pairs a network number with one; [`parse_cidr`] reads
//! `"192.0.2.1/24"` into both. Text is Go's, byte for byte: IPv4 and
//! IPv4-mapped addresses print dotted (`192.0.2.1`), IPv6 prints in the
//! RFC 5952 canonical form (`2001:db8::1`), masks print as bare hex.
//!
//! Since Go 1.22 `ParseIP` is a thin layer over `netip.ParseAddr`, which is
//! stricter than the old parser: no leading zeros in an IPv4 octet
//! (`"01.2.3.4"` is rejected rather than read as octal or decimal), no zone
//! (`"fe80::1%eth0"` is for `netip` and `IPAddr.Zone`, not for `IP`), and at
//! most four hex digits per IPv6 group. [`parse_ip`] follows those rules;
//! the parser is this file's own, after the algorithm of `parseIPv4Fields`
//! and `parseIPv6` in `netip.go`.
//!
//! Go's `IP` can hold a slice of any length, and `String` prints a bad one
//! as `?` and hex. [`IP::from_bytes`] admits lengths up to 16 so that case
//! stays reachable; lengths above 16 cannot be represented.

use std::any::Any;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::parse::dtoi;
use crate::{Addr, ParseError};

/// The length in bytes of an IPv4 address (Go's `IPv4len`).
#[doc(alias = "IPv4len")]
pub const IPV4_LEN: usize = 4;

/// The length in bytes of an IPv6 address (Go's `IPv6len`).
#[doc(alias = "IPv6len")]
pub const IPV6_LEN: usize = 16;

/// The 12 bytes that precede an IPv4 address in its IPv4-mapped IPv6 form
/// (`::ffff:0:0/96`, RFC 4291 section 2.5.5.2).
const V4_IN_V6_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Writes `b` as lowercase hex with no punctuation (Go's `hexString`).
fn write_hex(f: &mut impl fmt::Write, b: &[u8]) -> fmt::Result {
    for &x in b {
        f.write_char(char::from(HEX_DIGITS[usize::from(x >> 4)]))?;
        f.write_char(char::from(HEX_DIGITS[usize::from(x & 0xf)]))?;
    }
    Ok(())
}

/// Copies `b` (at most 16 bytes) into a zero-padded array. The zero padding
/// is an invariant of [`IP`] and [`IPMask`]: bytes past `len` are always 0.
fn pad16(b: &[u8]) -> Option<(u8, [u8; 16])> {
    let len = u8::try_from(b.len()).ok().filter(|&n| n <= 16)?;
    let mut bytes = [0u8; 16];
    bytes[..b.len()].copy_from_slice(b);
    Some((len, bytes))
}

/// A single IP address (Go's `net.IP`): 4 bytes (IPv4), 16 bytes (IPv6 or
/// IPv4-mapped IPv6), or empty ("no address", Go's `nil`).
///
/// Being an IPv4 address is a property of the value, not the length: a
/// 16-byte `::ffff:192.0.2.1` is IPv4, and [`to4`](IP::to4) returns it in
/// 4 bytes. `==` is Go's [`Equal`](IP::equal).
///
/// ```
/// use gort_net::{IP, parse_ip};
///
/// let ip = parse_ip("192.0.2.1").unwrap();
/// assert_eq!(ip.len(), 16); // always the 16-byte form
/// assert_eq!(ip.to4().unwrap().as_bytes(), &[192, 0, 2, 1]);
/// assert_eq!(ip, IP::from([192, 0, 2, 1])); // 4- and 16-byte forms are equal
/// assert_eq!(ip.to_string(), "192.0.2.1");
/// assert_eq!(IP::NIL.to_string(), "<nil>");
/// ```
#[derive(Clone, Copy, Default)]
pub struct IP {
    /// How many of `bytes` are the address: 0, 4 or 16, or another length
    /// up to 16 for the opaque values [`IP::from_bytes`] admits.
    len: u8,
    /// The address; bytes at `len` and beyond are always zero.
    bytes: [u8; 16],
}

impl IP {
    /// No address (Go's `nil` IP): length 0, prints `<nil>`, and means
    /// "any address" to Dial and Listen.
    pub const NIL: IP = IP {
        len: 0,
        bytes: [0; 16],
    };

    /// The limited broadcast address 255.255.255.255 (Go's `IPv4bcast`).
    #[doc(alias = "IPv4bcast")]
    pub const IPV4_BCAST: IP = IP::v4(255, 255, 255, 255);

    /// The all-systems multicast group 224.0.0.1 (Go's `IPv4allsys`).
    #[doc(alias = "IPv4allsys")]
    pub const IPV4_ALLSYS: IP = IP::v4(224, 0, 0, 1);

    /// The all-routers multicast group 224.0.0.2 (Go's `IPv4allrouter`).
    #[doc(alias = "IPv4allrouter")]
    pub const IPV4_ALLROUTER: IP = IP::v4(224, 0, 0, 2);

    /// The IPv4 wildcard 0.0.0.0 (Go's `IPv4zero`).
    #[doc(alias = "IPv4zero")]
    pub const IPV4_ZERO: IP = IP::v4(0, 0, 0, 0);

    /// The IPv6 all-zeros address `::` (Go's `IPv6zero`).
    #[doc(alias = "IPv6zero")]
    pub const IPV6_ZERO: IP = IP::from_array([0; 16]);

    /// The IPv6 unspecified address `::` (Go's `IPv6unspecified`).
    #[doc(alias = "IPv6unspecified")]
    pub const IPV6_UNSPECIFIED: IP = IP::from_array([0; 16]);

    /// The IPv6 loopback address `::1` (Go's `IPv6loopback`).
    #[doc(alias = "IPv6loopback")]
    pub const IPV6_LOOPBACK: IP = IP::from_array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// The interface-local all-nodes group `ff01::1` (Go's
    /// `IPv6interfacelocalallnodes`).
    #[doc(alias = "IPv6interfacelocalallnodes")]
    pub const IPV6_INTERFACE_LOCAL_ALL_NODES: IP =
        IP::from_array([0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// The link-local all-nodes group `ff02::1` (Go's `IPv6linklocalallnodes`).
    #[doc(alias = "IPv6linklocalallnodes")]
    pub const IPV6_LINK_LOCAL_ALL_NODES: IP =
        IP::from_array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// The link-local all-routers group `ff02::2` (Go's
    /// `IPv6linklocalallrouters`).
    #[doc(alias = "IPv6linklocalallrouters")]
    pub const IPV6_LINK_LOCAL_ALL_ROUTERS: IP =
        IP::from_array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);

    /// The IPv4 address `a.b.c.d` in its 16-byte, IPv4-mapped form (Go's
    /// `IPv4`).
    #[doc(alias = "IPv4")]
    pub const fn v4(a: u8, b: u8, c: u8, d: u8) -> IP {
        IP::from_array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d])
    }

    /// A 16-byte address.
    const fn from_array(bytes: [u8; 16]) -> IP {
        IP { len: 16, bytes }
    }

    /// A 4-byte address.
    const fn from_array4(b: [u8; 4]) -> IP {
        IP {
            len: 4,
            bytes: [b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }
    }

    /// The address in `b`, which must be 4 or 16 bytes long (Go's
    /// `IP(b)` for a well-formed `b`); `None` for any other length.
    pub fn from_slice(b: &[u8]) -> Option<IP> {
        match b.len() {
            IPV4_LEN | IPV6_LEN => IP::from_bytes(b),
            _ => None,
        }
    }

    /// The bytes of `b` taken as they are, like Go's conversion `IP(b)`:
    /// any length up to 16 is kept, including lengths that are no address
    /// at all (such a value prints as `?` and hex, and is equal only to
    /// the same bytes). Empty `b` gives [`IP::NIL`]; `None` above 16.
    /// Prefer [`from_slice`](IP::from_slice) unless you need that case.
    pub fn from_bytes(b: &[u8]) -> Option<IP> {
        let (len, bytes) = pad16(b)?;
        Some(IP { len, bytes })
    }

    /// The address bytes: 4, 16, or (for [`IP::NIL`]) none.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The length in bytes: 4, 16, or 0 for [`IP::NIL`].
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether this is [`IP::NIL`] (the same as [`is_nil`](IP::is_nil)).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether this is [`IP::NIL`], "no address" (Go's `ip == nil`, or
    /// `len(ip) == 0`).
    pub fn is_nil(&self) -> bool {
        self.len == 0
    }

    /// Whether the 16 bytes start with the IPv4-mapped prefix.
    fn has_v4_prefix(&self) -> bool {
        self.len() == IPV6_LEN && self.bytes[..12] == V4_IN_V6_PREFIX
    }

    /// The IPv4 address in 4 bytes, or `None` if this is not an IPv4
    /// address (Go's `To4`, where `nil` is `None`).
    #[doc(alias = "To4")]
    pub fn to4(&self) -> Option<IP> {
        match self.len() {
            IPV4_LEN => Some(*self),
            IPV6_LEN if self.has_v4_prefix() => Some(IP::from_array4([
                self.bytes[12],
                self.bytes[13],
                self.bytes[14],
                self.bytes[15],
            ])),
            _ => None,
        }
    }

    /// The address in 16 bytes (IPv4 becomes IPv4-mapped), or `None` if
    /// the length is neither 4 nor 16 (Go's `To16`).
    #[doc(alias = "To16")]
    pub fn to16(&self) -> Option<IP> {
        match self.len() {
            IPV4_LEN => Some(IP::v4(
                self.bytes[0],
                self.bytes[1],
                self.bytes[2],
                self.bytes[3],
            )),
            IPV6_LEN => Some(*self),
            _ => None,
        }
    }

    /// Whether this is 0.0.0.0 or `::` (Go's `IsUnspecified`).
    #[doc(alias = "IsUnspecified")]
    pub fn is_unspecified(&self) -> bool {
        self.equal(&IP::IPV4_ZERO) || self.equal(&IP::IPV6_UNSPECIFIED)
    }

    /// Whether this is a loopback address: 127.0.0.0/8 or `::1` (Go's
    /// `IsLoopback`).
    #[doc(alias = "IsLoopback")]
    pub fn is_loopback(&self) -> bool {
        match self.to4() {
            Some(v4) => v4.bytes[0] == 127,
            None => self.equal(&IP::IPV6_LOOPBACK),
        }
    }

    /// Whether this is a private address: 10.0.0.0/8, 172.16.0.0/12 or
    /// 192.168.0.0/16 (RFC 1918), or fc00::/7 (RFC 4193) (Go's
    /// `IsPrivate`). Not a security property: do not use it for access
    /// control.
    #[doc(alias = "IsPrivate")]
    pub fn is_private(&self) -> bool {
        match self.to4() {
            Some(v4) => {
                let b = v4.bytes;
                b[0] == 10 || (b[0] == 172 && b[1] & 0xf0 == 16) || (b[0] == 192 && b[1] == 168)
            }
            None => self.len() == IPV6_LEN && self.bytes[0] & 0xfe == 0xfc,
        }
    }

    /// Whether this is a multicast address: 224.0.0.0/4 or ff00::/8 (Go's
    /// `IsMulticast`).
    #[doc(alias = "IsMulticast")]
    pub fn is_multicast(&self) -> bool {
        match self.to4() {
            Some(v4) => v4.bytes[0] & 0xf0 == 0xe0,
            None => self.len() == IPV6_LEN && self.bytes[0] == 0xff,
        }
    }

    /// Whether this is an interface-local multicast address, ffx1::/16
    /// (Go's `IsInterfaceLocalMulticast`). IPv4 has none.
    #[doc(alias = "IsInterfaceLocalMulticast")]
    pub fn is_interface_local_multicast(&self) -> bool {
        self.len() == IPV6_LEN && self.bytes[0] == 0xff && self.bytes[1] & 0x0f == 0x01
    }

    /// Whether this is a link-local multicast address: 224.0.0.0/24 or
    /// ffx2::/16 (Go's `IsLinkLocalMulticast`).
    #[doc(alias = "IsLinkLocalMulticast")]
    pub fn is_link_local_multicast(&self) -> bool {
        match self.to4() {
            Some(v4) => v4.bytes[..3] == [224, 0, 0],
            None => self.len() == IPV6_LEN && self.bytes[0] == 0xff && self.bytes[1] & 0x0f == 0x02,
        }
    }

    /// Whether this is a link-local unicast address: 169.254.0.0/16 or
    /// fe80::/10 (Go's `IsLinkLocalUnicast`).
    #[doc(alias = "IsLinkLocalUnicast")]
    pub fn is_link_local_unicast(&self) -> bool {
        match self.to4() {
            Some(v4) => v4.bytes[0] == 169 && v4.bytes[1] == 254,
            None => self.len() == IPV6_LEN && self.bytes[0] == 0xfe && self.bytes[1] & 0xc0 == 0x80,
        }
    }

    /// Whether this is a global unicast address (Go's `IsGlobalUnicast`):
    /// any 4- or 16-byte address that is not the limited broadcast,
    /// unspecified, loopback, multicast or link-local unicast. Private
    /// addresses count as global unicast, and IPv4 directed broadcasts are
    /// not excluded (RFC 1122, RFC 4632, RFC 4291).
    #[doc(alias = "IsGlobalUnicast")]
    pub fn is_global_unicast(&self) -> bool {
        (self.len() == IPV4_LEN || self.len() == IPV6_LEN)
            && !self.equal(&IP::IPV4_BCAST)
            && !self.is_unspecified()
            && !self.is_loopback()
            && !self.is_multicast()
            && !self.is_link_local_unicast()
    }

    /// The classful default mask of an IPv4 address: /8 below 128.0.0.0,
    /// /16 below 192.0.0.0, else /24 (Go's `DefaultMask`). `None` for
    /// anything that is not IPv4.
    #[doc(alias = "DefaultMask")]
    pub fn default_mask(&self) -> Option<IPMask> {
        let v4 = self.to4()?;
        Some(match v4.bytes[0] {
            0..0x80 => ipv4_mask(0xff, 0, 0, 0),
            0x80..0xc0 => ipv4_mask(0xff, 0xff, 0, 0),
            _ => ipv4_mask(0xff, 0xff, 0xff, 0),
        })
    }

    /// This address ANDed with `mask` (Go's `Mask`), or `None` when their
    /// lengths do not fit together.
    ///
    /// A 16-byte mask whose first 12 bytes are all ones applies to a 4-byte
    /// address, and a 4-byte mask applies to an IPv4-mapped 16-byte
    /// address; in both cases the result is 4 bytes.
    #[doc(alias = "Mask")]
    pub fn mask(&self, mask: &IPMask) -> Option<IP> {
        let mut m = mask.as_bytes();
        let mut ip = self.as_bytes();
        if m.len() == IPV6_LEN && ip.len() == IPV4_LEN && m[..12].iter().all(|&b| b == 0xff) {
            m = &m[12..];
        }
        if m.len() == IPV4_LEN && self.has_v4_prefix() {
            ip = &ip[12..];
        }
        if ip.len() != m.len() {
            return None;
        }
        let mut out = [0u8; 16];
        for (o, (a, b)) in out.iter_mut().zip(ip.iter().zip(m)) {
            *o = a & b;
        }
        IP::from_bytes(&out[..ip.len()])
    }

    /// Whether `self` and `x` are the same address (Go's `Equal`): equal
    /// bytes, or an IPv4 address and its IPv4-mapped form. [`IP::NIL`]
    /// equals only itself. This is also what `==` does.
    #[doc(alias = "Equal")]
    pub fn equal(&self, x: &IP) -> bool {
        let (a, b) = (self.as_bytes(), x.as_bytes());
        if a.len() == b.len() {
            return a == b;
        }
        match (a.len(), b.len()) {
            (IPV4_LEN, IPV6_LEN) => b[..12] == V4_IN_V6_PREFIX && b[12..] == *a,
            (IPV6_LEN, IPV4_LEN) => a[..12] == V4_IN_V6_PREFIX && a[12..] == *b,
            _ => false,
        }
    }

    /// Whether both are IPv4, or both are IPv6 and not IPv4 (Go's
    /// `matchAddrFamily`).
    pub(crate) fn match_addr_family(&self, x: &IP) -> bool {
        let v6 = |ip: &IP| ip.to16().is_some() && ip.to4().is_none();
        (self.to4().is_some() && x.to4().is_some()) || (v6(self) && v6(x))
    }

    /// The `std` form: `V4` for an IPv4 (or IPv4-mapped) address, `V6` for
    /// other 16-byte addresses, `None` for [`IP::NIL`] and bad lengths.
    pub fn to_std(&self) -> Option<IpAddr> {
        if let Some(v4) = self.to4() {
            let b = v4.bytes;
            return Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])));
        }
        if self.len() == IPV6_LEN {
            return Some(IpAddr::V6(Ipv6Addr::from(self.bytes)));
        }
        None
    }

    /// Writes Go's `String` form to `f`.
    fn write_to(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self.len() {
            0 => return f.write_str("<nil>"),
            IPV4_LEN | IPV6_LEN => {}
            _ => {
                f.write_char('?')?;
                return write_hex(f, self.as_bytes());
            }
        }
        if let Some(v4) = self.to4() {
            let b = v4.bytes;
            return write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
        }
        write_ipv6(f, &self.bytes)
    }
}

/// Writes a 16-byte address in RFC 5952 section 4 form: groups in lowercase
/// hex without leading zeros, the longest run of two or more zero groups
/// (the first such run on a tie) replaced by `::`, a lone zero group kept.
fn write_ipv6(f: &mut impl fmt::Write, b: &[u8; 16]) -> fmt::Result {
    let group = |i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);

    // Find the run to elide as [zero_start, zero_end); empty if none.
    let (mut zero_start, mut zero_end) = (8usize, 8usize);
    let mut i = 0;
    while i < 8 {
        let mut j = i;
        while j < 8 && group(j) == 0 {
            j += 1;
        }
        if j - i >= 2 && j - i > zero_end - zero_start {
            (zero_start, zero_end) = (i, j);
        }
        i = j.max(i + 1);
    }

    let mut i = 0;
    while i < 8 {
        if i == zero_start && zero_end > zero_start {
            f.write_str("::")?;
            i = zero_end;
            continue;
        }
        if i > 0 && i != zero_end {
            f.write_char(':')?;
        }
        write!(f, "{:x}", group(i))?;
        i += 1;
    }
    Ok(())
}

impl PartialEq for IP {
    fn eq(&self, other: &IP) -> bool {
        self.equal(other)
    }
}

impl Eq for IP {}

impl Hash for IP {
    /// Hashes the 16-byte form, so that addresses [`IP::equal`] calls equal
    /// hash alike; bad lengths hash their length and bytes.
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.to16() {
            Some(ip16) => state.write(&ip16.bytes),
            None => {
                state.write_u8(self.len);
                state.write(self.as_bytes());
            }
        }
    }
}

impl fmt::Display for IP {
    /// Go's `String`: `<nil>` for [`IP::NIL`]; dotted decimal for IPv4 and
    /// IPv4-mapped addresses; RFC 5952 for IPv6 (`2001:db8::1`); `?` and
    /// hex for any other length. Width and alignment flags apply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(40);
        self.write_to(&mut s)?;
        f.pad(&s)
    }
}

impl fmt::Debug for IP {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for IP {
    type Err = ParseError;

    /// [`parse_ip`], failing with `invalid IP address: <s>`.
    fn from_str(s: &str) -> Result<IP, ParseError> {
        parse_ip(s).ok_or_else(|| ParseError {
            typ: "IP address".to_string(),
            text: s.to_string(),
        })
    }
}

impl From<Ipv4Addr> for IP {
    /// The 16-byte (IPv4-mapped) form, like [`IP::v4`].
    fn from(a: Ipv4Addr) -> IP {
        let [a, b, c, d] = a.octets();
        IP::v4(a, b, c, d)
    }
}

impl From<Ipv6Addr> for IP {
    fn from(a: Ipv6Addr) -> IP {
        IP::from_array(a.octets())
    }
}

impl From<IpAddr> for IP {
    /// IPv4 becomes the 16-byte (IPv4-mapped) form.
    fn from(a: IpAddr) -> IP {
        match a {
            IpAddr::V4(v4) => IP::from(v4),
            IpAddr::V6(v6) => IP::from(v6),
        }
    }
}

impl From<[u8; 4]> for IP {
    /// The 4-byte form, like Go's literal `net.IP{a, b, c, d}`.
    fn from(b: [u8; 4]) -> IP {
        IP::from_array4(b)
    }
}

impl From<[u8; 16]> for IP {
    fn from(b: [u8; 16]) -> IP {
        IP::from_array(b)
    }
}

/// Parses an IPv4 dotted-decimal, IPv6, or IPv4-mapped IPv6 literal (Go's
/// `ParseIP`), returning the 16-byte form; `None` if `s` is not one.
///
/// The rules are go1.27's, which are `netip.ParseAddr`'s minus zones:
/// - IPv4 is exactly four decimal octets of at most 255, with no leading
///   zeros (`"1.02.3.4"` fails) and nothing else around them;
/// - IPv6 groups are one to four hex digits; one `::` may stand for one or
///   more zero groups; the last 32 bits may be written as IPv4
///   (`"::ffff:192.0.2.1"`, `"64:ff9b::192.0.2.1"`);
/// - a zone (`"fe80::1%eth0"`) is rejected: split it off first.
///
/// ```
/// use gort_net::parse_ip;
///
/// assert_eq!(parse_ip("::ffff:192.0.2.1").unwrap().to_string(), "192.0.2.1");
/// assert_eq!(parse_ip("2001:DB8:0::1").unwrap().to_string(), "2001:db8::1");
/// assert!(parse_ip("01.2.3.4").is_none());
/// assert!(parse_ip("fe80::1%eth0").is_none());
/// ```
#[doc(alias = "ParseIP")]
pub fn parse_ip(s: &str) -> Option<IP> {
    parse_addr(s.as_bytes()).map(|(bytes, _)| IP::from_array(bytes))
}

/// Parses an address literal without a zone (`netip.ParseAddr` as Go's
/// `net` uses it): the 16-byte form, and whether it was written as IPv4.
fn parse_addr(s: &[u8]) -> Option<([u8; 16], bool)> {
    // The first '.', ':' or '%' decides the family, as in ParseAddr. A '%'
    // anywhere means a zone or garbage, and `net` rejects both.
    if s.contains(&b'%') {
        return None;
    }
    match s.iter().find(|&&c| c == b'.' || c == b':')? {
        b'.' => {
            let v4 = parse_ipv4_fields(s)?;
            let mut b = [0u8; 16];
            b[..12].copy_from_slice(&V4_IN_V6_PREFIX);
            b[12..].copy_from_slice(&v4);
            Some((b, true))
        }
        _ => parse_ipv6(s).map(|b| (b, false)),
    }
}

/// Reads exactly four dotted decimal octets (netip's `parseIPv4Fields`):
/// each 0-255, at least one digit, and no leading zero unless the octet is
/// just `0`.
fn parse_ipv4_fields(s: &[u8]) -> Option<[u8; 4]> {
    let mut fields = [0u8; 4];
    let mut pos = 0; // the octet being read
    let mut val: u16 = 0; // its value so far
    let mut digits = 0; // its digits so far
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                if digits == 1 && val == 0 {
                    return None; // leading zero
                }
                val = val * 10 + u16::from(c - b'0');
                digits += 1;
                if val > 255 {
                    return None;
                }
            }
            b'.' => {
                // An empty octet: ".1.2.3", "1.2.3.", "1..2.3".
                if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                    return None;
                }
                if pos == 3 {
                    return None; // a fifth octet
                }
                fields[pos] = u8::try_from(val).ok()?;
                pos += 1;
                val = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if pos < 3 {
        return None;
    }
    fields[3] = u8::try_from(val).ok()?;
    Some(fields)
}

/// Reads an IPv6 literal without a zone (netip's `parseIPv6`).
fn parse_ipv6(mut s: &[u8]) -> Option<[u8; 16]> {
    let mut ip = [0u8; 16];
    // Where the "::" sits, as a byte offset into `ip`.
    let mut ellipsis: Option<usize> = None;

    if let Some(rest) = s.strip_prefix(b"::") {
        ellipsis = Some(0);
        s = rest;
        if s.is_empty() {
            return Some(ip);
        }
    }

    // Each round reads one group and the separator after it; `i` is the
    // next byte of `ip` to fill.
    let mut i = 0;
    while i < 16 {
        // One to four hex digits.
        let mut n = 0;
        let mut acc: u16 = 0;
        while let Some(d) = s.get(n).and_then(|&c| char::from(c).to_digit(16)) {
            if n == 4 {
                return None; // a fifth digit
            }
            acc = (acc << 4) | u16::try_from(d).ok()?;
            n += 1;
        }
        if n == 0 {
            return None;
        }

        // A '.' after the digits: the last 32 bits are written as IPv4.
        if s.get(n) == Some(&b'.') {
            if ellipsis.is_none() && i != 12 {
                return None; // not in the last two groups
            }
            if i + 4 > 16 {
                return None; // no room left
            }
            let v4 = parse_ipv4_fields(s)?;
            ip[i..i + 4].copy_from_slice(&v4);
            s = &[];
            i += 4;
            break;
        }

        ip[i..i + 2].copy_from_slice(&acc.to_be_bytes());
        i += 2;

        s = &s[n..];
        if s.is_empty() {
            break;
        }
        // Otherwise a ':' and more must follow.
        if s[0] != b':' || s.len() == 1 {
            return None;
        }
        s = &s[1..];
        if s[0] == b':' {
            if ellipsis.is_some() {
                return None; // a second "::"
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break; // "::" at the end
            }
        }
    }

    if !s.is_empty() {
        return None; // more than 16 bytes' worth
    }

    match ellipsis {
        Some(e) if i < 16 => {
            // Slide the groups after "::" to the end and zero the gap.
            let gap = 16 - i;
            ip.copy_within(e..i, e + gap);
            ip[e..e + gap].fill(0);
        }
        // "::" must stand for at least one zero group.
        Some(_) => return None,
        None if i < 16 => return None,
        None => {}
    }
    Some(ip)
}

/// A bitmask for IP addresses (Go's `net.IPMask`): usually 4 or 16 bytes
/// of ones followed by zeros, as made by [`cidr_mask`] and [`ipv4_mask`].
///
/// `Display` is Go's `String`: the bytes in hex with no punctuation
/// (`ffffff00`), or `<nil>` when empty.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct IPMask {
    /// How many of `bytes` are the mask (normally 4 or 16, at most 16).
    len: u8,
    /// The mask; bytes at `len` and beyond are always zero, so the derived
    /// `PartialEq` and `Hash` see only the mask.
    bytes: [u8; 16],
}

/// The IPv4 mask `a.b.c.d` in 4 bytes (Go's `IPv4Mask`).
#[doc(alias = "IPv4Mask")]
pub fn ipv4_mask(a: u8, b: u8, c: u8, d: u8) -> IPMask {
    IPMask {
        len: 4,
        bytes: [a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    }
}

/// A mask of `ones` one bits then zeros, `bits` long in total (Go's
/// `CIDRMask`); `bits` must be 32 or 128 and `ones` in `0..=bits`, else
/// `None`. The inverse of [`IPMask::size`] for canonical masks.
///
/// ```
/// use gort_net::cidr_mask;
///
/// assert_eq!(cidr_mask(20, 32).unwrap().to_string(), "fffff000");
/// assert!(cidr_mask(33, 32).is_none());
/// ```
#[doc(alias = "CIDRMask")]
pub fn cidr_mask(ones: i32, bits: i32) -> Option<IPMask> {
    let total = match bits {
        32 => IPV4_LEN,
        128 => IPV6_LEN,
        _ => return None,
    };
    if !(0..=bits).contains(&ones) {
        return None;
    }
    let mut bytes = [0u8; 16];
    let mut left = u32::try_from(ones).ok()?;
    for b in bytes.iter_mut().take(total) {
        let n = left.min(8);
        // The top `n` bits of a byte; `n` is 0..=8, so the shift fits u16.
        *b = (0xff00u16 >> n) as u8;
        left -= n;
    }
    IPMask::from_bytes(&bytes[..total])
}

impl IPMask {
    /// The empty mask (Go's `nil` mask), which prints `<nil>`.
    pub const NIL: IPMask = IPMask {
        len: 0,
        bytes: [0; 16],
    };

    /// The bytes of `b` as a mask, like Go's conversion `IPMask(b)`: any
    /// length up to 16; `None` above.
    pub fn from_bytes(b: &[u8]) -> Option<IPMask> {
        let (len, bytes) = pad16(b)?;
        Some(IPMask { len, bytes })
    }

    /// The mask bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The length in bytes: 4 or 16 for a usable mask.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether this is the empty mask.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of leading one bits and the total number of bits (Go's
    /// `Size`); `(0, 0)` if the mask is not ones followed by zeros.
    #[doc(alias = "Size")]
    pub fn size(&self) -> (i32, i32) {
        let bits = 8 * i32::from(self.len);
        match simple_mask_length(self.as_bytes()) {
            Some(ones) => (ones, bits),
            None => (0, 0),
        }
    }
}

/// The number of leading ones of a mask that is ones followed by zeros
/// (Go's `simpleMaskLength`); `None` for any other mask.
fn simple_mask_length(mask: &[u8]) -> Option<i32> {
    let mut ones = 0;
    let mut rest_must_be_zero = false;
    for &b in mask {
        if rest_must_be_zero {
            if b != 0 {
                return None;
            }
            continue;
        }
        // A byte of the form 1…10…0 has no one after its first zero.
        let lead = b.leading_ones();
        if b.checked_shl(lead).unwrap_or(0) != 0 {
            return None;
        }
        ones += i32::try_from(lead).ok()?;
        rest_must_be_zero = lead < 8;
    }
    Some(ones)
}

impl From<IP> for IPMask {
    /// The address bytes as a mask, like Go's `IPMask(ip)`
    /// (`IPMask(ParseIP("ffff:ff80::"))`).
    fn from(ip: IP) -> IPMask {
        IPMask {
            len: ip.len,
            bytes: ip.bytes,
        }
    }
}

impl fmt::Display for IPMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.pad("<nil>");
        }
        let mut s = String::with_capacity(32);
        write_hex(&mut s, self.as_bytes())?;
        f.pad(&s)
    }
}

impl fmt::Debug for IPMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An IP network (Go's `net.IPNet`): a network number and a mask.
///
/// `Display` is CIDR notation (`192.0.2.0/24`, `2001:db8::/48`), or the
/// address, `/` and the mask in hex when the mask is not ones followed by
/// zeros (`198.51.100.0/c000ff00`), or `<nil>` when the address and mask
/// do not fit together.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct IPNet {
    /// The network number.
    pub ip: IP,
    /// The network mask.
    pub mask: IPMask,
}

impl IPNet {
    /// The network number and mask brought to the same length (Go's
    /// `networkNumberAndMask`): 4 bytes for an IPv4 network, 16 for IPv6.
    /// Both are empty when the lengths do not fit together.
    fn network_number_and_mask(&self) -> (IP, IPMask) {
        const NONE: (IP, IPMask) = (IP::NIL, IPMask::NIL);
        let ip = match self.ip.to4() {
            Some(v4) => v4,
            None if self.ip.len() == IPV6_LEN => self.ip,
            None => return NONE,
        };
        let m = match (self.mask.len(), ip.len()) {
            (IPV4_LEN, IPV4_LEN) | (IPV6_LEN, IPV6_LEN) => self.mask,
            (IPV4_LEN, _) => return NONE,
            // A 16-byte mask on an IPv4 network: its last 4 bytes.
            (IPV6_LEN, _) => IPMask::from_bytes(&self.mask.as_bytes()[12..]).unwrap_or_default(),
            _ => return NONE,
        };
        (ip, m)
    }

    /// Whether the network includes `ip` (Go's `Contains`).
    #[doc(alias = "Contains")]
    pub fn contains(&self, ip: &IP) -> bool {
        let (nn, m) = self.network_number_and_mask();
        let ip = ip.to4().unwrap_or(*ip);
        if ip.len() != nn.len() {
            return false;
        }
        nn.as_bytes()
            .iter()
            .zip(ip.as_bytes())
            .zip(m.as_bytes())
            .all(|((n, a), m)| n & m == a & m)
    }

    /// The network name, `"ip+net"` (Go's `Network`).
    #[doc(alias = "Network")]
    pub fn network(&self) -> &'static str {
        "ip+net"
    }
}

impl fmt::Display for IPNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (nn, m) = self.network_number_and_mask();
        if nn.is_nil() || m.is_empty() {
            return f.pad("<nil>");
        }
        let s = match simple_mask_length(m.as_bytes()) {
            Some(ones) => format!("{nn}/{ones}"),
            None => format!("{nn}/{m}"),
        };
        f.pad(&s)
    }
}

impl fmt::Debug for IPNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Addr for IPNet {
    fn network(&self) -> &'static str {
        "ip+net"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn clone_box(&self) -> Box<dyn Addr> {
        Box::new(*self)
    }
}

/// Parses CIDR notation, an address, `/` and a prefix length
/// (`"192.0.2.1/24"`, `"2001:db8::/32"`; RFC 4632, RFC 4291), into the
/// address and the network it implies (Go's `ParseCIDR`):
/// `"192.0.2.1/24"` gives `192.0.2.1` and `192.0.2.0/24`.
///
/// The address follows [`parse_ip`]'s rules and comes back in 16 bytes;
/// the network number is 4 bytes for IPv4 and 16 for IPv6. The prefix is
/// plain decimal digits up to 32 or 128 (an IPv4-mapped address written in
/// IPv6 form counts as IPv6); a sign, a dotted mask or anything else fails
/// with `invalid CIDR address: <s>`.
///
/// ```
/// use gort_net::{parse_cidr, parse_ip};
///
/// let (ip, net) = parse_cidr("192.0.2.1/24").unwrap();
/// assert_eq!(ip.to_string(), "192.0.2.1");
/// assert_eq!(net.to_string(), "192.0.2.0/24");
/// assert!(net.contains(&parse_ip("192.0.2.200").unwrap()));
/// ```
#[doc(alias = "ParseCIDR")]
pub fn parse_cidr(s: &str) -> Result<(IP, IPNet), ParseError> {
    let err = || ParseError {
        typ: "CIDR address".to_string(),
        text: s.to_string(),
    };
    let (addr, prefix) = s.split_once('/').ok_or_else(err)?;
    let (bytes, is4) = parse_addr(addr.as_bytes()).ok_or_else(err)?;
    let bits = if is4 { 32 } else { 128 };
    let ones = match dtoi(prefix) {
        Some((n, used)) if used == prefix.len() && n <= bits => n,
        _ => return Err(err()),
    };
    let mask = cidr_mask(ones, bits).ok_or_else(err)?;
    let ip = IP::from_array(bytes);
    let network = ip.mask(&mask).ok_or_else(err)?;
    Ok((ip, IPNet { ip: network, mask }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `networkNumberAndMaskTests` (ip_test.go): the address and mask
    /// in, the normalized pair out (`None` for Go's `nil, nil`).
    #[test]
    fn test_network_number_and_mask() {
        let ip = |b: &[u8]| IP::from_bytes(b).unwrap();
        let mask = |b: &[u8]| IPMask::from_bytes(b).unwrap();
        let v4addr = ip(&[192, 168, 0, 1]);
        let v4mappedv6addr = ip(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 0, 1]);
        let v6addr = ip(&[
            0x20, 0x1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0x1, 0x23, 0, 0x12, 0, 0x1,
        ]);
        let v4mask = mask(&[255, 255, 255, 0]);
        let v4mappedv6mask = mask(&[
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 255, 255, 255,
            0,
        ]);
        let v6mask = mask(&[
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        let badaddr = ip(&[192, 168, 0]);
        let badmask = mask(&[255, 255, 0]);
        let v4maskzero = mask(&[0, 0, 0, 0]);

        type Pair = (IP, IPMask);
        let tests: &[(Pair, Option<Pair>)] = &[
            ((v4addr, v4mask), Some((v4addr, v4mask))),
            ((v4addr, v4mappedv6mask), Some((v4addr, v4mask))),
            ((v4mappedv6addr, v4mappedv6mask), Some((v4addr, v4mask))),
            ((v4mappedv6addr, v6mask), Some((v4addr, v4maskzero))),
            ((v4addr, v6mask), Some((v4addr, v4maskzero))),
            ((v6addr, v6mask), Some((v6addr, v6mask))),
            ((v6addr, v4mappedv6mask), Some((v6addr, v4mappedv6mask))),
            ((v6addr, v4mask), None),
            ((v4addr, badmask), None),
            ((v4mappedv6addr, badmask), None),
            ((v6addr, badmask), None),
            ((badaddr, v4mask), None),
            ((badaddr, v4mappedv6mask), None),
            ((badaddr, v6mask), None),
            ((badaddr, badmask), None),
        ];
        for &((ip, mask), want) in tests {
            let n = IPNet { ip, mask };
            let (got_ip, got_mask) = n.network_number_and_mask();
            let (want_ip, want_mask) = want.unwrap_or((IP::NIL, IPMask::NIL));
            // Compare bytes, not Go-equality: the length matters here.
            assert_eq!(got_ip.as_bytes(), want_ip.as_bytes(), "{n:?}");
            assert_eq!(got_mask, want_mask, "{n:?}");
        }
    }

    #[test]
    fn test_match_addr_family() {
        let v4 = IP::v4(1, 2, 3, 4);
        let v4short = IP::from([1, 2, 3, 4]);
        let v6 = IP::IPV6_LOOPBACK;
        assert!(v4.match_addr_family(&v4short));
        assert!(v6.match_addr_family(&IP::IPV6_UNSPECIFIED));
        assert!(!v4.match_addr_family(&v6));
        assert!(!IP::NIL.match_addr_family(&IP::NIL));
    }

    #[test]
    fn test_simple_mask_length() {
        assert_eq!(simple_mask_length(&[]), Some(0));
        assert_eq!(simple_mask_length(&[0xff, 0xf0, 0, 0]), Some(12));
        assert_eq!(simple_mask_length(&[0xff, 0xff, 0xff, 0xff]), Some(32));
        assert_eq!(simple_mask_length(&[0xff, 0x0f, 0, 0]), None);
        assert_eq!(simple_mask_length(&[0xf0, 0xff, 0, 0]), None);
        assert_eq!(simple_mask_length(&[0xff, 0, 0, 1]), None);
    }
}
