//! Mirrors Go src/net/conf.go and nss.go (go1.27): which resolver answers a host lookup, gort's own DNS client or the C library's.
//!
//! Go on Linux uses its own resolver ([`crate::dnsclient_unix`]) unless
//! something in the configuration is beyond it, and then hands the lookup
//! to `getaddrinfo` through cgo; gort does the same, with
//! [`crate::cgo_unix`] (run inside `blocking`) as the system resolver.
//! [`Conf::lookup_order`] is Go's `conf.lookupOrder`:
//!
//! * `GODEBUG=netdns=go` (or a [`Resolver`](crate::Resolver) with
//!   `prefer_go`) forces the Go resolver, `netdns=cgo` the system one; a
//!   `+N` or a leading number sets a debug level, as in Go (read, not
//!   printed). The environment variables `LOCALDOMAIN`, `RES_OPTIONS` and
//!   `HOSTALIASES`, which only the C library reads, also send lookups to
//!   it.
//! * A `resolv.conf` that cannot be read for another reason than "not
//!   there" or "not allowed", or that has an option the Go resolver does
//!   not know, sends lookups to the system resolver.
//! * Then the `hosts:` line of `/etc/nsswitch.conf` (Go's `nss.go`,
//!   parsed with its criteria): `files` and `dns` in either order, or
//!   alone, are handled here; `myhostname` is handled here except for the
//!   names it answers (the host's own name, `localhost`, `_gateway`,
//!   `_outbound`); `mdns*` except for `.local` names or when
//!   `/etc/mdns.allow` exists; any other source, or a criterion other
//!   than the default (`[NOTFOUND=return]`), goes to the system resolver.
//!   No nsswitch.conf, or none with a `hosts:` line, means files then DNS.
//! * Names with a backslash or a `%` go to the system resolver.
//!
//! OpenBSD's `lookup` line, Solaris and the other systems Go special-cases
//! are not here: gort runs on Linux.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use crate::dnsconfig_unix::DnsConfig;
use crate::parse::dtoi;

/// The order of the sources for a host lookup (Go's `hostLookupOrder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostLookupOrder {
    /// The C library's resolver (Go's `hostLookupCgo`).
    Cgo,
    /// `/etc/hosts`, then DNS.
    FilesDns,
    /// DNS, then `/etc/hosts`.
    DnsFiles,
    /// `/etc/hosts` only.
    Files,
    /// DNS only.
    Dns,
}

/// Whether `/etc/mdns.allow` is looked for or assumed (Go's `mdnsTest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum MdnsTest {
    #[default]
    FromSystem,
    #[cfg(test)]
    AssumeExists,
    #[cfg(test)]
    AssumeDoesNotExist,
}

/// The process's resolver preferences (Go's `conf`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Conf {
    /// `GODEBUG=netdns=go`.
    pub(crate) net_go: bool,
    /// `GODEBUG=netdns=cgo`.
    pub(crate) net_cgo: bool,
    /// The environment asks for the C library.
    pub(crate) prefer_cgo: bool,
    pub(crate) mdns_test: MdnsTest,
}

/// The process's [`Conf`], read once from the environment (Go's
/// `systemConf` and `initConfVal`).
#[doc(alias = "systemConf")]
pub(crate) fn system_conf() -> &'static Conf {
    static CONF: OnceLock<Conf> = OnceLock::new();
    CONF.get_or_init(|| {
        let env = |k: &str| std::env::var_os(k);
        let godebug = env("GODEBUG").and_then(|v| v.into_string().ok());
        conf_from(
            godebug.as_deref().unwrap_or(""),
            &|k| env(k).is_some_and(|v| !v.is_empty()),
            env("LOCALDOMAIN").is_some(),
        )
    })
}

/// A [`Conf`] from a GODEBUG value and the environment (`set` says
/// whether a variable is set and non-empty).
fn conf_from(godebug: &str, set: &dyn Fn(&str) -> bool, local_domain_defined: bool) -> Conf {
    // The debug level is read but not acted on: gort prints nothing.
    let (mode, _level) = go_debug_net_dns(godebug);
    Conf {
        net_go: mode == "go",
        net_cgo: mode == "cgo",
        prefer_cgo: local_domain_defined || set("RES_OPTIONS") || set("HOSTALIASES"),
        mdns_test: MdnsTest::FromSystem,
    }
}

/// The `netdns` setting of a GODEBUG value: the mode (`"go"`, `"cgo"`, or
/// empty) and the debug level (Go's `goDebugNetDNS`); `go+2` and `2+go`
/// both give both.
#[doc(alias = "goDebugNetDNS")]
pub(crate) fn go_debug_net_dns(godebug: &str) -> (String, i32) {
    let value = godebug
        .split(',')
        .filter_map(|kv| kv.trim().strip_prefix("netdns="))
        .next_back()
        .unwrap_or("");
    let mut mode = String::new();
    let mut level = 0;
    let mut part = |s: &str| {
        if s.is_empty() {
            return;
        }
        if s.as_bytes()[0].is_ascii_digit() {
            level = dtoi(s).map_or(0, |(n, _)| n);
        } else {
            mode = s.to_string();
        }
    };
    match value.split_once('+') {
        Some((a, b)) => {
            part(a);
            part(b);
        }
        None => part(value),
    }
    (mode, level)
}

/// Whether a GODEBUG value turns EDNS(0) off (`netedns0=0`).
pub(crate) fn go_debug_no_edns0() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    *OFF.get_or_init(|| {
        std::env::var("GODEBUG").is_ok_and(|v| {
            v.split(',')
                .filter_map(|kv| kv.trim().strip_prefix("netedns0="))
                .next_back()
                == Some("0")
        })
    })
}

impl Conf {
    /// Whether the Go resolver must be used (Go's `mustUseGoResolver`;
    /// gort always has the C library's).
    pub(crate) fn must_use_go_resolver(&self, prefer_go: bool) -> bool {
        self.net_go || prefer_go
    }

    /// The order for a reverse lookup (Go's `addrLookupOrder`).
    pub(crate) fn addr_lookup_order(
        &self,
        prefer_go: bool,
        dns_conf: &DnsConfig,
    ) -> HostLookupOrder {
        self.lookup_order(prefer_go, "", dns_conf, &system_nss(), &hostname_ok)
    }

    /// The order for a lookup of `hostname` (Go's `hostLookupOrder`).
    pub(crate) fn host_lookup_order(
        &self,
        prefer_go: bool,
        hostname: &str,
        dns_conf: &DnsConfig,
    ) -> HostLookupOrder {
        self.lookup_order(prefer_go, hostname, dns_conf, &system_nss(), &hostname_ok)
    }

    /// Go's `conf.lookupOrder`, with the resolver configuration, the
    /// nsswitch configuration and the host name given.
    pub(crate) fn lookup_order(
        &self,
        prefer_go: bool,
        hostname: &str,
        dns_conf: &DnsConfig,
        nss: &NssConf,
        get_hostname: &dyn Fn() -> Option<String>,
    ) -> HostLookupOrder {
        use HostLookupOrder::*;
        let (fallback, can_use_cgo) = if self.must_use_go_resolver(prefer_go) {
            (FilesDns, false)
        } else if self.net_cgo || self.prefer_cgo {
            return Cgo;
        } else {
            // glibc's escapes and IPv6 zones are the C library's business.
            if hostname.contains(['\\', '%']) {
                return Cgo;
            }
            (Cgo, true)
        };

        if can_use_cgo {
            if let Some(kind) = dns_conf.err
                && kind != std::io::ErrorKind::NotFound
                && kind != std::io::ErrorKind::PermissionDenied
            {
                return Cgo;
            }
            if dns_conf.unknown_opt {
                return Cgo;
            }
        }

        let hostname = hostname.strip_suffix('.').unwrap_or(hostname);
        let srcs = nss.sources.get("hosts").map(Vec::as_slice).unwrap_or(&[]);
        if nss.err == Some(NssError::NotExist) || (nss.err.is_none() && srcs.is_empty()) {
            return FilesDns;
        }
        if nss.err.is_some() {
            return fallback;
        }

        let mut has_dns_source = false;
        let mut has_dns_source_checked = false;
        let (mut files_source, mut dns_source) = (false, false);
        let mut first = "";
        for (i, src) in srcs.iter().enumerate() {
            if src.source == "files" || src.source == "dns" {
                if can_use_cgo && !src.standard_criteria() {
                    return Cgo;
                }
                if src.source == "files" {
                    files_source = true;
                } else {
                    has_dns_source = true;
                    has_dns_source_checked = true;
                    dns_source = true;
                }
                if first.is_empty() {
                    first = &src.source;
                }
                continue;
            }
            if can_use_cgo {
                if !hostname.is_empty() && src.source == "myhostname" {
                    if is_localhost(hostname) || is_gateway(hostname) || is_outbound(hostname) {
                        return Cgo;
                    }
                    match get_hostname() {
                        Some(hn) if !hostname.eq_ignore_ascii_case(&hn) => {}
                        _ => return Cgo,
                    }
                    continue;
                }
                if !hostname.is_empty() && src.source.starts_with("mdns") {
                    if has_suffix_fold(hostname, ".local") {
                        return Cgo;
                    }
                    let have_mdns_allow = match self.mdns_test {
                        MdnsTest::FromSystem => match std::fs::metadata("/etc/mdns.allow") {
                            Ok(_) => true,
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                            Err(_) => return Cgo,
                        },
                        #[cfg(test)]
                        MdnsTest::AssumeExists => true,
                        #[cfg(test)]
                        MdnsTest::AssumeDoesNotExist => false,
                    };
                    if have_mdns_allow {
                        return Cgo;
                    }
                    continue;
                }
                return Cgo;
            }
            // Only the Go resolver is possible: an unknown source counts
            // as DNS, unless DNS is named later.
            if !has_dns_source_checked {
                has_dns_source_checked = true;
                has_dns_source = srcs[i + 1..].iter().any(|v| v.source == "dns");
            }
            if !has_dns_source {
                dns_source = true;
                if first.is_empty() {
                    first = "dns";
                }
            }
        }

        match (files_source, dns_source) {
            (true, true) if first == "files" => FilesDns,
            (true, true) => DnsFiles,
            (true, false) => Files,
            (false, true) => Dns,
            (false, false) => fallback,
        }
    }
}

fn hostname_ok() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec()).ok()
}

fn has_suffix_fold(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Go's `isLocalhost`: names systemd's `myhostname` answers as loopback.
fn is_localhost(h: &str) -> bool {
    h.eq_ignore_ascii_case("localhost")
        || h.eq_ignore_ascii_case("localhost.localdomain")
        || has_suffix_fold(h, ".localhost")
        || has_suffix_fold(h, ".localhost.localdomain")
}

/// Go's `isGateway`.
fn is_gateway(h: &str) -> bool {
    h.eq_ignore_ascii_case("_gateway")
}

/// Go's `isOutbound`.
fn is_outbound(h: &str) -> bool {
    h.eq_ignore_ascii_case("_outbound")
}

/// Why nsswitch.conf could not be used (Go's `nssConf.err`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NssError {
    /// There is no file.
    NotExist,
    /// It could not be read, or a line could not be parsed.
    Other(String),
}

/// A parsed nsswitch.conf (Go's `nssConf`).
#[derive(Debug, Clone, Default)]
pub(crate) struct NssConf {
    pub(crate) mtime: Option<SystemTime>,
    pub(crate) err: Option<NssError>,
    /// The sources of each database, in order.
    pub(crate) sources: HashMap<String, Vec<NssSource>>,
}

/// One source of a database line, with its `[STATUS=ACTION]` criteria
/// (Go's `nssSource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NssSource {
    pub(crate) source: String,
    pub(crate) criteria: Vec<NssCriterion>,
}

impl NssSource {
    /// Whether every criterion is the default one (Go's
    /// `standardCriteria`).
    fn standard_criteria(&self) -> bool {
        let n = self.criteria.len();
        self.criteria
            .iter()
            .enumerate()
            .all(|(i, c)| c.standard_status_action(i == n - 1))
    }
}

/// One `STATUS=ACTION` criterion (Go's `nssCriterion`), lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NssCriterion {
    pub(crate) negate: bool,
    pub(crate) status: String,
    pub(crate) action: String,
}

impl NssCriterion {
    /// Whether this is the default action for its status; a last
    /// `return` is always fine (Go's `standardStatusAction`).
    fn standard_status_action(&self, last: bool) -> bool {
        if self.negate {
            return false;
        }
        let def = match self.status.as_str() {
            "success" => "return",
            "notfound" | "unavail" | "tryagain" => "continue",
            _ => return false,
        };
        if last && self.action == "return" {
            return true;
        }
        self.action == def
    }
}

/// Parses nsswitch.conf text (Go's `parseNSSConf`).
#[doc(alias = "parseNSSConf")]
pub(crate) fn parse_nss_conf(data: &[u8]) -> NssConf {
    let mut conf = NssConf::default();
    for line in data.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let line = line
            .split('#')
            .next()
            .unwrap_or("")
            .trim_matches([' ', '\t', '\r']);
        if line.is_empty() {
            continue;
        }
        let Some((db, rest)) = line.split_once(':') else {
            conf.err = Some(NssError::Other("no colon on line".into()));
            return conf;
        };
        let db = db.trim_matches([' ', '\t', '\r']).to_string();
        let mut srcs = rest;
        loop {
            srcs = srcs.trim_matches([' ', '\t', '\r']);
            if srcs.is_empty() {
                break;
            }
            let (src, rest) = match srcs.find(' ') {
                Some(sp) => (&srcs[..sp], srcs[sp + 1..].trim_matches([' ', '\t', '\r'])),
                None => (srcs, ""),
            };
            srcs = rest;
            let mut criteria = Vec::new();
            if srcs.starts_with('[') {
                let Some(close) = srcs.find(']') else {
                    conf.err = Some(NssError::Other("unclosed criterion bracket".into()));
                    return conf;
                };
                match parse_criteria(&srcs[1..close]) {
                    Some(c) => criteria = c,
                    None => {
                        conf.err = Some(NssError::Other(format!(
                            "invalid criteria: {}",
                            &srcs[1..close]
                        )));
                        return conf;
                    }
                }
                srcs = &srcs[close + 1..];
            }
            conf.sources.entry(db.clone()).or_default().push(NssSource {
                source: src.to_string(),
                criteria,
            });
        }
    }
    conf
}

/// The criteria inside one pair of brackets (Go's `parseCriteria`).
fn parse_criteria(x: &str) -> Option<Vec<NssCriterion>> {
    let mut out = Vec::new();
    for f in x.split([' ', '\t', '\r', '\n']).filter(|f| !f.is_empty()) {
        let (negate, f) = match f.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, f),
        };
        if f.len() < 3 {
            return None;
        }
        let f = f.to_ascii_lowercase();
        let (status, action) = f.split_once('=')?;
        out.push(NssCriterion {
            negate,
            status: status.to_string(),
            action: action.to_string(),
        });
    }
    Some(out)
}

/// Reads and parses the nsswitch.conf at `path` (Go's
/// `parseNSSConfFile`).
pub(crate) fn parse_nss_conf_file(path: &Path) -> NssConf {
    let meta = std::fs::metadata(path).and_then(|m| Ok((m.modified().ok(), std::fs::read(path)?)));
    match meta {
        Ok((mtime, data)) => NssConf {
            mtime,
            ..parse_nss_conf(&data)
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => NssConf {
            err: Some(NssError::NotExist),
            ..NssConf::default()
        },
        Err(e) => NssConf {
            err: Some(NssError::Other(e.to_string())),
            ..NssConf::default()
        },
    }
}

/// The system's nsswitch.conf, read again at most every 5 seconds when
/// its modification time changed (Go's `getSystemNSS`).
#[doc(alias = "getSystemNSS")]
pub(crate) fn system_nss() -> Arc<NssConf> {
    const PATH: &str = "/etc/nsswitch.conf";
    static NSS: OnceLock<Mutex<(Arc<NssConf>, Instant)>> = OnceLock::new();
    let m = NSS.get_or_init(|| {
        Mutex::new((
            Arc::new(parse_nss_conf_file(Path::new(PATH))),
            Instant::now(),
        ))
    });
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    if now.duration_since(g.1) > Duration::from_secs(5) {
        g.1 = now;
        let mtime = std::fs::metadata(PATH).and_then(|m| m.modified()).ok();
        if mtime != g.0.mtime {
            g.0 = Arc::new(parse_nss_conf_file(Path::new(PATH)));
        }
    }
    g.0.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use HostLookupOrder::*;

    fn default_resolv() -> DnsConfig {
        DnsConfig {
            err: Some(std::io::ErrorKind::NotFound),
            ..DnsConfig::with_servers(&crate::dnsconfig_unix::DEFAULT_NS)
        }
    }

    /// The rows of Go's `TestConfHostLookupOrder` that apply to Linux
    /// (the OpenBSD and Solaris rows are left out): name, conf, prefer_go,
    /// resolv.conf, nsswitch.conf text (`None`: no file), and
    /// (host, local host name, order) cases.
    #[test]
    fn test_conf_host_lookup_order() {
        type Row = (
            &'static str,
            Conf,
            bool,
            DnsConfig,
            Option<&'static str>,
            Vec<(&'static str, &'static str, HostLookupOrder)>,
        );
        let cgo_forced = Conf {
            prefer_cgo: true,
            net_cgo: true,
            ..Conf::default()
        };
        let net_go = Conf {
            net_go: true,
            ..Conf::default()
        };
        let no_mdns = Conf {
            mdns_test: MdnsTest::AssumeDoesNotExist,
            ..Conf::default()
        };
        let mdns = Conf {
            mdns_test: MdnsTest::AssumeExists,
            ..Conf::default()
        };
        let plain = Conf::default;
        let rows: Vec<Row> = vec![
            (
                "force",
                cgo_forced.clone(),
                false,
                default_resolv(),
                Some("foo: bar"),
                vec![
                    ("foo.local", "myhostname", Cgo),
                    ("google.com", "myhostname", Cgo),
                ],
            ),
            (
                "netgo_dns_before_files",
                net_go.clone(),
                false,
                default_resolv(),
                Some("hosts: dns files"),
                vec![("x.com", "myhostname", DnsFiles)],
            ),
            (
                "netgo_fallback_on_cgo",
                net_go,
                false,
                default_resolv(),
                Some("hosts: dns files something_custom"),
                vec![("x.com", "myhostname", DnsFiles)],
            ),
            (
                "ubuntu_trusty_avahi",
                no_mdns.clone(),
                false,
                default_resolv(),
                Some("hosts: files mdns4_minimal [NOTFOUND=return] dns mdns4"),
                vec![
                    ("foo.local", "myhostname", Cgo),
                    ("foo.local.", "myhostname", Cgo),
                    ("foo.LOCAL", "myhostname", Cgo),
                    ("foo.LOCAL.", "myhostname", Cgo),
                    ("google.com", "myhostname", FilesDns),
                ],
            ),
            (
                "freebsdlinux_no_resolv_conf",
                plain(),
                false,
                default_resolv(),
                Some("foo: bar"),
                vec![("google.com", "myhostname", FilesDns)],
            ),
            (
                "linux_no_nsswitch.conf",
                plain(),
                false,
                default_resolv(),
                None,
                vec![("google.com", "myhostname", FilesDns)],
            ),
            (
                "linux_empty_nsswitch.conf",
                plain(),
                false,
                default_resolv(),
                Some(""),
                vec![("google.com", "myhostname", FilesDns)],
            ),
            (
                "files_mdns_dns",
                no_mdns.clone(),
                false,
                default_resolv(),
                Some("hosts: files mdns dns"),
                vec![
                    ("x.com", "myhostname", FilesDns),
                    ("x.local", "myhostname", Cgo),
                ],
            ),
            (
                "dns_special_hostnames",
                plain(),
                false,
                default_resolv(),
                Some("hosts: dns"),
                vec![
                    ("x.com", "myhostname", Dns),
                    ("x\\.com", "myhostname", Cgo),
                    ("foo.com%en0", "myhostname", Cgo),
                ],
            ),
            (
                "mdns_allow",
                mdns,
                false,
                default_resolv(),
                Some("hosts: files mdns dns"),
                vec![("x.com", "myhostname", Cgo), ("x.local", "myhostname", Cgo)],
            ),
            (
                "files_dns",
                plain(),
                false,
                default_resolv(),
                Some("hosts: files dns"),
                vec![
                    ("x.com", "myhostname", FilesDns),
                    ("x", "myhostname", FilesDns),
                    ("x.local", "myhostname", FilesDns),
                ],
            ),
            (
                "dns_files",
                plain(),
                false,
                default_resolv(),
                Some("hosts: dns files"),
                vec![
                    ("x.com", "myhostname", DnsFiles),
                    ("x", "myhostname", DnsFiles),
                    ("x.local", "myhostname", DnsFiles),
                ],
            ),
            (
                "something_custom",
                plain(),
                false,
                default_resolv(),
                Some("hosts: dns files something_custom"),
                vec![("x.com", "myhostname", Cgo)],
            ),
            (
                "myhostname",
                plain(),
                false,
                default_resolv(),
                Some("hosts: files dns myhostname"),
                vec![
                    ("x.com", "myhostname", FilesDns),
                    ("myhostname", "myhostname", Cgo),
                    ("myHostname", "myhostname", Cgo),
                    ("myhostname.dot", "myhostname.dot", Cgo),
                    ("myHostname.dot", "myhostname.dot", Cgo),
                    ("_gateway", "myhostname", Cgo),
                    ("_Gateway", "myhostname", Cgo),
                    ("_outbound", "myhostname", Cgo),
                    ("_Outbound", "myhostname", Cgo),
                    ("localhost", "myhostname", Cgo),
                    ("Localhost", "myhostname", Cgo),
                    ("anything.localhost", "myhostname", Cgo),
                    ("Anything.localhost", "myhostname", Cgo),
                    ("localhost.localdomain", "myhostname", Cgo),
                    ("Localhost.Localdomain", "myhostname", Cgo),
                    ("anything.localhost.localdomain", "myhostname", Cgo),
                    ("Anything.Localhost.Localdomain", "myhostname", Cgo),
                    ("somehostname", "myhostname", FilesDns),
                ],
            ),
            (
                "ubuntu14.04.02",
                no_mdns,
                false,
                default_resolv(),
                Some("hosts: files myhostname mdns4_minimal [NOTFOUND=return] dns mdns4"),
                vec![
                    ("x.com", "myhostname", FilesDns),
                    ("somehostname", "myhostname", FilesDns),
                    ("myhostname", "myhostname", Cgo),
                ],
            ),
            (
                "debian_squeeze",
                plain(),
                false,
                default_resolv(),
                Some(
                    "hosts: dns [success=return notfound=continue unavail=continue tryagain=continue] files [notfound=return]",
                ),
                vec![
                    ("x.com", "myhostname", DnsFiles),
                    ("somehostname", "myhostname", DnsFiles),
                ],
            ),
            (
                "resolv.conf-unknown",
                plain(),
                false,
                DnsConfig {
                    unknown_opt: true,
                    ..DnsConfig::with_servers(&crate::dnsconfig_unix::DEFAULT_NS)
                },
                Some("foo: bar"),
                vec![("google.com", "myhostname", Cgo)],
            ),
            (
                "resolver-prefergo",
                cgo_forced,
                true,
                default_resolv(),
                Some(""),
                vec![("localhost", "myhostname", FilesDns)],
            ),
            (
                "unknown-source",
                plain(),
                true,
                default_resolv(),
                Some("hosts: resolve files"),
                vec![("x.com", "myhostname", DnsFiles)],
            ),
            (
                "dns-among-unknown-sources",
                plain(),
                true,
                default_resolv(),
                Some("hosts: mymachines files dns"),
                vec![("x.com", "myhostname", FilesDns)],
            ),
            (
                "dns-among-unknown-sources-2",
                plain(),
                true,
                default_resolv(),
                Some("hosts: dns mymachines files"),
                vec![("x.com", "myhostname", DnsFiles)],
            ),
        ];
        assert_eq!(rows.len(), 21);
        for (name, c, prefer_go, resolv, nss, hosts) in rows {
            let nss = match nss {
                Some(text) => parse_nss_conf(text.as_bytes()),
                None => NssConf {
                    err: Some(NssError::NotExist),
                    ..NssConf::default()
                },
            };
            for (host, local, want) in hosts {
                let got = c.lookup_order(prefer_go, host, &resolv, &nss, &|| Some(local.into()));
                assert_eq!(got, want, "{name}: lookup_order({host:?})");
            }
        }
    }

    /// Go's `TestGoDebugNetDNS`-like parsing of GODEBUG and the
    /// environment.
    #[test]
    fn test_go_debug_net_dns() {
        assert_eq!(go_debug_net_dns(""), (String::new(), 0));
        assert_eq!(go_debug_net_dns("netdns=go"), ("go".into(), 0));
        assert_eq!(go_debug_net_dns("netdns=cgo+2"), ("cgo".into(), 2));
        assert_eq!(go_debug_net_dns("x=1,netdns=1+go"), ("go".into(), 1));
        let c = conf_from("netdns=cgo", &|_| false, false);
        assert!(c.net_cgo && !c.net_go && !c.prefer_cgo);
        let c = conf_from("", &|k| k == "RES_OPTIONS", false);
        assert!(c.prefer_cgo);
        assert!(conf_from("", &|_| false, true).prefer_cgo);
    }

    /// Go's nss_test.go cases, in brief.
    #[test]
    fn test_parse_nss_conf() {
        let c = parse_nss_conf(
            b"# comment\nhosts: files mdns4_minimal [NOTFOUND=return] dns\npasswd: compat\n",
        );
        assert_eq!(c.err, None);
        let hosts = &c.sources["hosts"];
        assert_eq!(hosts.len(), 3);
        assert_eq!(
            hosts[1].criteria,
            [NssCriterion {
                negate: false,
                status: "notfound".into(),
                action: "return".into()
            }]
        );
        assert_eq!(c.sources["passwd"][0].source, "compat");
        assert!(parse_nss_conf(b"hosts files").err.is_some());
        assert!(parse_nss_conf(b"hosts: dns [x").err.is_some());
        assert!(parse_nss_conf(b"hosts: dns [!a]").err.is_some());
        assert!(parse_nss_conf(b"hosts: dns [ab=c]").err.is_none());
    }
}
