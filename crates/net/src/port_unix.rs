//! Mirrors Go src/net/port_unix.go (go1.27): service names from `/etc/services`.
//!
//! A port may be written as a service name (`"http"`, `"domain"`). Go keeps
//! a small table of well-known names compiled in (`services` in lookup.go,
//! [`builtin_services`] here) and, the first time a name has to be looked
//! up, adds every entry of `/etc/services` on top of it. The file is read
//! once per process: later edits are not seen, as in Go. [`go_lookup_port`]
//! is Go's `goLookupPort`, the pure-Rust path of `LookupPort`; the lookup
//! itself (which network's table, case folding, the error text) is
//! [`lookup_port_map`] (Go's `lookupPortMap`, from lookup.go), shared with
//! tests that parse a file of their own with [`read_services`].
//!
//! The compiled-in table and `lookup_port_map` live here rather than in
//! lookup.rs, where Go has them, so that the dependency runs one way:
//! lookup.rs calls into this file, never the other way round.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::net::DNSError;
use crate::network::Network;
use crate::parse::{dtoi, get_fields};

/// Service name → port, per network (`"tcp"`, `"udp"`, `"sctp"`, ...).
pub(crate) type Services = HashMap<String, HashMap<String, i32>>;

/// Where the system's service table lives.
pub(crate) const SERVICES_FILE_PATH: &str = "/etc/services";

/// The process-wide table: the built-in names plus `/etc/services`, read
/// the first time a port name is looked up (Go's `onceReadServices`).
static SERVICES: OnceLock<Services> = OnceLock::new();

/// Adds the entries of the services file at `path` to `services` (Go's
/// `readServices`, with the path as a parameter so tests can use their own
/// file).
///
/// A line is `name port/network [alias...] [# comment]`: the name and
/// every alias map to the port in that network's table. Lines whose second
/// field is not a positive decimal port followed by `/` are skipped, and so
/// is everything when the file cannot be read. Names are stored as written;
/// lookups lower-case only the query, exactly as Go does.
#[doc(alias = "readServices")]
pub(crate) fn read_services(path: &Path, services: &mut Services) {
    let Ok(data) = std::fs::read(path) else {
        return;
    };
    parse_services(&data, services);
}

/// Adds the entries of a services file whose contents are `data` to
/// `services` (the parsing half of Go's `readServices`). Bytes that are not
/// UTF-8 are replaced, so no content makes this fail.
fn parse_services(data: &[u8], services: &mut Services) {
    for line in data.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        // "http 80/tcp www www-http # World Wide Web HTTP"
        let line = match line.find('#') {
            Some(i) => &line[..i],
            None => &line[..],
        };
        let fields = get_fields(line);
        if fields.len() < 2 {
            continue;
        }
        let portnet = fields[1]; // "80/tcp"
        let Some((port, used)) = dtoi(portnet) else {
            continue;
        };
        if port <= 0 || portnet.as_bytes().get(used) != Some(&b'/') {
            continue;
        }
        let network = &portnet[used + 1..]; // "tcp"
        let table = services.entry(network.to_string()).or_default();
        for (i, name) in fields.iter().enumerate() {
            if i != 1 {
                table.insert((*name).to_string(), port);
            }
        }
    }
}

/// The services-file parser on arbitrary contents, for the fuzz targets
/// (`fuzz/fuzz_targets/services.rs`) and bad-input tests; not part of the
/// API and not covered by semver.
///
/// Returns every entry of the parsed table as `(network, name, port)`,
/// sorted. Never fails and never panics, whatever `data` holds.
#[doc(hidden)]
pub fn parse_services_for_fuzzing(data: &[u8]) -> Vec<(String, String, i32)> {
    let mut services = Services::new();
    parse_services(data, &mut services);
    let mut out: Vec<(String, String, i32)> = services
        .into_iter()
        .flat_map(|(net, table)| {
            table
                .into_iter()
                .map(move |(name, port)| (net.clone(), name, port))
        })
        .collect();
    out.sort();
    out
}

/// The service names known without `/etc/services` (Go's `services`), as
/// `(network, name, port)`.
const BUILTIN_SERVICES: &[(&str, &str, i32)] = &[
    ("udp", "domain", 53),
    ("tcp", "ftp", 21),
    ("tcp", "ftps", 990),
    ("tcp", "gopher", 70),
    ("tcp", "http", 80),
    ("tcp", "https", 443),
    ("tcp", "imap2", 143),
    ("tcp", "imap3", 220),
    ("tcp", "imaps", 993),
    ("tcp", "pop3", 110),
    ("tcp", "pop3s", 995),
    ("tcp", "smtp", 25),
    ("tcp", "submissions", 465),
    ("tcp", "ssh", 22),
    ("tcp", "telnet", 23),
];

/// A fresh copy of the built-in service table, for [`crate::port_unix`]
/// to extend with `/etc/services`.
pub(crate) fn builtin_services() -> Services {
    let mut s = Services::new();
    for &(net, name, port) in BUILTIN_SERVICES {
        s.entry(net.to_string())
            .or_default()
            .insert(name.to_string(), port);
    }
    s
}

/// The longest service name looked up (Go's `maxPortBufSize`): longer
/// names are unknown ports without being compared.
const MAX_PORT_BUF_SIZE: usize = "mobility-header".len() + 10;

/// Finds the port of `service` in the `services` table of `network` (Go's
/// `lookupPortMap`): the tcp table for the TCP networks, the udp one for
/// the UDP networks, and for `"ip"` tcp then udp. The query is lower-cased
/// (ASCII only); the table's names are not. Any other network (`"ip4"`, a
/// Unix one) is `lookup NETWORK/SERVICE: unknown network`, as in Go.
#[doc(alias = "lookupPortMap")]
pub(crate) fn lookup_port_map(
    services: &Services,
    network: Network,
    service: &str,
) -> Result<i32, DNSError> {
    // The tables are keyed by the protocol names of /etc/services.
    match network {
        Network::Ip { .. } => lookup_port_map_with_network(services, "tcp", "ip", service)
            .or_else(|_| lookup_port_map_with_network(services, "udp", "ip", service)),
        n if n.is_tcp() => lookup_port_map_with_network(services, "tcp", "tcp", service),
        n if n.is_udp() => lookup_port_map_with_network(services, "udp", "udp", service),
        _ => Err(DNSError {
            err: "unknown network".into(),
            name: format!("{network}/{service}"),
            ..DNSError::default()
        }),
    }
}

/// One table of [`lookup_port_map`] (Go's `lookupPortMapWithNetwork`);
/// errors name `err_network`.
fn lookup_port_map_with_network(
    services: &Services,
    network: &str,
    err_network: &str,
    service: &str,
) -> Result<i32, DNSError> {
    let name = format!("{err_network}/{service}");
    let Some(table) = services.get(network) else {
        return Err(DNSError {
            err: "unknown network".into(),
            name,
            ..DNSError::default()
        });
    };
    if service.len() <= MAX_PORT_BUF_SIZE
        && let Some(&port) = table.get(&service.to_ascii_lowercase())
    {
        return Ok(port);
    }
    Err(DNSError {
        err: "unknown port".into(),
        name,
        is_not_found: true,
        ..DNSError::default()
    })
}

/// The process-wide table, built on first use.
fn services() -> &'static Services {
    SERVICES.get_or_init(|| {
        let mut services = builtin_services();
        read_services(Path::new(SERVICES_FILE_PATH), &mut services);
        services
    })
}

/// Looks up the port of `service` in `network` from the built-in table and
/// `/etc/services` (Go's `goLookupPort`).
///
/// `network` picks the table as [`lookup_port_map`] does (`LookupPort`
/// reads Go's empty network as `"ip"` before it calls this). Service names
/// match without regard to ASCII case. A name that is not found is `lookup
/// tcp/nosuch: unknown port` with `is_not_found` set.
#[doc(alias = "goLookupPort")]
pub(crate) fn go_lookup_port(network: Network, service: &str) -> Result<i32, DNSError> {
    lookup_port_map(services(), network, service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A services file in a fresh temporary directory, removed on drop.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &str) -> TempFile {
            let dir = std::env::temp_dir()
                .join(format!("gort-net-port-unix-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("create temp dir");
            let path = dir.join("services");
            let mut f = std::fs::File::create(&path).expect("create services file");
            f.write_all(contents.as_bytes())
                .expect("write services file");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    const SERVICES_FILE: &str = "\
# comment line
tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer
discard\t\t9/tcp\t\tsink null
discard\t\t9/udp\t\tsink null
domain\t\t53/tcp
domain\t\t53/udp
Mixed\t\t4242/tcp
zero\t\t0/tcp
neg\t\t-5/tcp
noslash\t\t77
badnet\t\t78x/tcp
huge\t\t99999999/tcp
sctpname\t\t9999/sctp\r
lonely
";

    #[test]
    fn test_read_services() {
        let tmp = TempFile::new("read", SERVICES_FILE);
        let mut s = Services::new();
        read_services(&tmp.0, &mut s);
        let tcp = &s["tcp"];
        assert_eq!(tcp.get("tcpmux"), Some(&1));
        assert_eq!(tcp.get("discard"), Some(&9));
        assert_eq!(tcp.get("sink"), Some(&9));
        assert_eq!(tcp.get("null"), Some(&9));
        assert_eq!(tcp.get("domain"), Some(&53));
        assert_eq!(tcp.get("Mixed"), Some(&4242));
        for skipped in ["zero", "neg", "noslash", "badnet", "huge", "lonely", "#"] {
            assert_eq!(tcp.get(skipped), None, "{skipped}");
        }
        assert_eq!(s["udp"].get("sink"), Some(&9));
        // The '\r' of a CRLF line is a field separator, not part of the network.
        assert_eq!(s["sctp"].get("sctpname"), Some(&9999));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn test_read_services_missing_file() {
        let mut s = builtin_services();
        let before = s.clone();
        read_services(Path::new("/nonexistent/gort/services"), &mut s);
        assert_eq!(s, before);
    }

    #[test]
    fn test_lookup_port_map_networks() {
        let tmp = TempFile::new("networks", SERVICES_FILE);
        let mut s = Services::new();
        read_services(&tmp.0, &mut s);
        let ip = Network::Ip { proto: 0 };
        for net in [Network::Tcp, Network::Tcp4, Network::Tcp6, ip] {
            assert_eq!(lookup_port_map(&s, net, "discard"), Ok(9), "{net}");
            assert_eq!(lookup_port_map(&s, net, "DISCARD"), Ok(9), "{net}");
        }
        for net in [Network::Udp, Network::Udp4, Network::Udp6] {
            assert_eq!(lookup_port_map(&s, net, "Null"), Ok(9), "{net}");
        }
        // The file's own capitals never match: only the query is folded.
        let err = lookup_port_map(&s, Network::Tcp, "Mixed").unwrap_err();
        assert_eq!(err.to_string(), "lookup tcp/Mixed: unknown port");
        assert!(err.is_not_found);
        // "ip" tries tcp, then udp, and reports its own name.
        let err = lookup_port_map(&s, ip, "nosuch").unwrap_err();
        assert_eq!(err.to_string(), "lookup ip/nosuch: unknown port");
        assert!(err.is_not_found);
        let err = lookup_port_map(&s, Network::Udp6, "tcpmux").unwrap_err();
        assert_eq!(err.to_string(), "lookup udp/tcpmux: unknown port");
        // A network without a table of its own, as Go's fallback case.
        let err = lookup_port_map(&s, Network::Unix, "sctpname").unwrap_err();
        assert_eq!(err.to_string(), "lookup unix/sctpname: unknown network");
        assert!(!err.is_not_found);
        let err = lookup_port_map(&s, Network::Ip4 { proto: 0 }, "x").unwrap_err();
        assert_eq!(err.to_string(), "lookup ip4/x: unknown network");
    }

    #[test]
    fn test_lookup_port_map_missing_table() {
        let s = Services::new();
        let err = lookup_port_map(&s, Network::Udp, "domain").unwrap_err();
        assert_eq!(err.to_string(), "lookup udp/domain: unknown network");
    }

    #[test]
    fn test_go_lookup_port_builtin() {
        // The compiled-in names answer whatever /etc/services holds.
        let ip = Network::Ip { proto: 0 };
        assert_eq!(go_lookup_port(Network::Tcp, "http"), Ok(80));
        assert_eq!(go_lookup_port(Network::Tcp6, "HTTPS"), Ok(443));
        assert_eq!(go_lookup_port(Network::Udp, "domain"), Ok(53));
        assert_eq!(go_lookup_port(ip, "ssh"), Ok(22));
        assert_eq!(go_lookup_port(ip, "domain"), Ok(53));
        let err = go_lookup_port(Network::Tcp, "gort-no-such-service").unwrap_err();
        assert_eq!(
            err.to_string(),
            "lookup tcp/gort-no-such-service: unknown port"
        );
        assert!(err.is_not_found);
    }

    #[test]
    fn test_go_lookup_port_etc_services() {
        // Only where the machine has the file: check an entry that is in
        // every /etc/services but not in the built-in table.
        let mut own = Services::new();
        read_services(Path::new(SERVICES_FILE_PATH), &mut own);
        if let Some(&port) = own.get("tcp").and_then(|t| t.get("echo")) {
            assert_eq!(go_lookup_port(Network::Tcp, "echo"), Ok(port));
        }
    }

    #[test]
    fn test_lookup_port_map_long_name() {
        let mut s = builtin_services();
        let long = "a".repeat(MAX_PORT_BUF_SIZE + 1);
        s.get_mut("tcp").expect("tcp").insert(long.clone(), 1);
        assert!(lookup_port_map(&s, Network::Tcp, &long).is_err());
    }
}
