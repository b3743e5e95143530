//! Mirrors Go src/net/dnsconfig_unix.go and dnsconfig.go (go1.27): the stub resolver's configuration, read from `/etc/resolv.conf`.
//!
//! [`dns_read_config`] is Go's `dnsReadConfig`: it reads the name servers
//! (at most three, IP addresses only, each given port 53), the search list
//! (`search`, or `domain` for a list of one; otherwise the domain of the
//! machine's host name), and the `options` the Go resolver acts on:
//! `ndots:N` (clamped to 0..=15), `timeout:N` and `attempts:N` (at least
//! 1), `rotate`, `single-request` (and `-reopen`), `use-vc` (`usevc`,
//! `tcp`), `trust-ad` and `no-reload`; `edns0` is accepted and ignored, as
//! Go sends EDNS(0) always. Anything else sets `unknown_opt`, which makes
//! [`crate::conf`] hand lookups to the system resolver, as Go does. A file
//! that cannot be read, or names no server, gives Go's defaults:
//! `127.0.0.1:53` and `[::1]:53`, `ndots:1`, a 5 s timeout, 2 attempts.
//!
//! [`system_dns_config`] is Go's `resolverConfig`: the parsed file, shared,
//! read again at most every 5 seconds and only when its modification time
//! changed (or when the last read found no server).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::hosts::parse_literal_ip;
use crate::ipsock::join_host_port;
use crate::parse::{BIG, dtoi, get_fields};

/// Where the system's resolver configuration lives.
pub(crate) const RESOLV_CONF_PATH: &str = "/etc/resolv.conf";

/// The name servers used when the configuration names none (Go's
/// `defaultNS`).
#[doc(alias = "defaultNS")]
pub(crate) const DEFAULT_NS: [&str; 2] = ["127.0.0.1:53", "[::1]:53"];

/// A stub resolver's configuration (Go's `dnsConfig`).
#[derive(Debug, Default)]
pub(crate) struct DnsConfig {
    /// Server addresses, `host:port`.
    pub(crate) servers: Vec<String>,
    /// Rooted suffixes appended to a relative name.
    pub(crate) search: Vec<String>,
    /// Dots a name needs to be tried as is before the search list.
    pub(crate) ndots: usize,
    /// How long one query to one server may take.
    pub(crate) timeout: Duration,
    /// Rounds over all the servers before giving up.
    pub(crate) attempts: usize,
    /// Start each query at the next server in turn.
    pub(crate) rotate: bool,
    /// The file had a line or option this resolver does not handle.
    pub(crate) unknown_opt: bool,
    /// OpenBSD's `lookup` line.
    pub(crate) lookup: Vec<String>,
    /// Why the file could not be read, if it could not.
    pub(crate) err: Option<std::io::ErrorKind>,
    /// The file's modification time when read.
    pub(crate) mtime: Option<SystemTime>,
    /// The rotation counter (Go's `soffset`).
    pub(crate) soffset: AtomicU32,
    /// Ask for A, then AAAA, instead of both at once.
    pub(crate) single_request: bool,
    /// Query over TCP only.
    pub(crate) use_tcp: bool,
    /// Set the AD bit in queries.
    pub(crate) trust_ad: bool,
    /// Never read the file again.
    pub(crate) no_reload: bool,
}

impl DnsConfig {
    /// Where the servers' round starts: 0, or with `rotate` one further
    /// each call (Go's `serverOffset`).
    pub(crate) fn server_offset(&self) -> u32 {
        if self.rotate {
            self.soffset.fetch_add(1, Ordering::Relaxed)
        } else {
            0
        }
    }

    /// Whether the servers are the defaults because none were named (Go's
    /// `isDefaultNS`).
    fn is_default_ns(&self) -> bool {
        self.servers == DEFAULT_NS
    }

    /// A configuration with Go's defaults and the given servers, for tests.
    #[cfg(test)]
    pub(crate) fn with_servers(servers: &[&str]) -> DnsConfig {
        DnsConfig {
            servers: servers.iter().map(|s| s.to_string()).collect(),
            ndots: 1,
            timeout: Duration::from_secs(5),
            attempts: 2,
            ..DnsConfig::default()
        }
    }
}

/// The number at the start of `s` as Go's `dtoi` returns it when its
/// `ok` is ignored: 0 without digits, `BIG` on overflow.
fn dtoi_or(s: &str) -> i64 {
    match dtoi(s) {
        Some((n, _)) => i64::from(n),
        None if s.starts_with(|c: char| c.is_ascii_digit()) => i64::from(BIG),
        None => 0,
    }
}

/// Reads the resolver configuration at `path` (Go's `dnsReadConfig`).
#[doc(alias = "dnsReadConfig")]
pub(crate) fn dns_read_config(path: &Path) -> DnsConfig {
    dns_read_config_with(path, &|| hostname())
}

/// [`dns_read_config`] with the host name from `get_hostname` (Go's
/// `getHostname` test hook).
pub(crate) fn dns_read_config_with(
    path: &Path,
    get_hostname: &dyn Fn() -> Option<String>,
) -> DnsConfig {
    let mut conf = DnsConfig {
        ndots: 1,
        timeout: Duration::from_secs(5),
        attempts: 2,
        ..DnsConfig::default()
    };
    let data = std::fs::metadata(path).and_then(|m| Ok((m.modified().ok(), std::fs::read(path)?)));
    let (mtime, data) = match data {
        Ok(d) => d,
        Err(e) => {
            conf.servers = DEFAULT_NS.iter().map(|s| s.to_string()).collect();
            conf.search = dns_default_search(get_hostname);
            conf.err = Some(e.kind());
            return conf;
        }
    };
    conf.mtime = mtime;
    for line in data.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        if line.starts_with([';', '#']) {
            continue;
        }
        let f = get_fields(&line);
        let Some(&key) = f.first() else {
            continue;
        };
        match key {
            "nameserver" => {
                // Three at most, as the C library; and only addresses,
                // which need no lookup to reach.
                if f.len() > 1 && conf.servers.len() < 3 && parse_literal_ip(f[1]).is_some() {
                    conf.servers.push(join_host_port(f[1], "53"));
                }
            }
            "domain" => {
                if f.len() > 1 {
                    conf.search = vec![ensure_rooted(f[1])];
                }
            }
            "search" => {
                conf.search = f[1..]
                    .iter()
                    .map(|s| ensure_rooted(s))
                    .filter(|s| s != ".")
                    .collect();
            }
            "options" => {
                for &s in &f[1..] {
                    if let Some(n) = s.strip_prefix("ndots:") {
                        conf.ndots = dtoi_or(n).clamp(0, 15) as usize;
                    } else if let Some(n) = s.strip_prefix("timeout:") {
                        conf.timeout = Duration::from_secs(dtoi_or(n).max(1) as u64);
                    } else if let Some(n) = s.strip_prefix("attempts:") {
                        conf.attempts = dtoi_or(n).max(1) as usize;
                    } else {
                        match s {
                            "rotate" => conf.rotate = true,
                            "single-request" | "single-request-reopen" => {
                                conf.single_request = true;
                            }
                            "use-vc" | "usevc" | "tcp" => conf.use_tcp = true,
                            "trust-ad" => conf.trust_ad = true,
                            // EDNS(0) is always on.
                            "edns0" => {}
                            "no-reload" => conf.no_reload = true,
                            _ => conf.unknown_opt = true,
                        }
                    }
                }
            }
            "lookup" => conf.lookup = f[1..].iter().map(|s| s.to_string()).collect(),
            _ => conf.unknown_opt = true,
        }
    }
    if conf.servers.is_empty() {
        conf.servers = DEFAULT_NS.iter().map(|s| s.to_string()).collect();
    }
    if conf.search.is_empty() {
        conf.search = dns_default_search(get_hostname);
    }
    conf
}

/// The machine's host name (Go's `os.Hostname`).
fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec()).ok()
}

/// The search list when the file gives none: the domain of the host name,
/// if it has one (Go's `dnsDefaultSearch`).
#[doc(alias = "dnsDefaultSearch")]
fn dns_default_search(get_hostname: &dyn Fn() -> Option<String>) -> Vec<String> {
    let Some(hn) = get_hostname() else {
        return Vec::new();
    };
    match hn.find('.') {
        Some(i) if i < hn.len() - 1 => vec![ensure_rooted(&hn[i + 1..])],
        _ => Vec::new(),
    }
}

/// `s` with a trailing dot (Go's `ensureRooted`).
fn ensure_rooted(s: &str) -> String {
    if s.ends_with('.') {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

/// The shared, reloaded configuration of one file (Go's
/// `resolverConfig`).
struct ResolverConfig {
    conf: Arc<DnsConfig>,
    last_checked: Instant,
}

/// The configuration in the file at `path`, read again if it may have
/// changed (Go's `getSystemDNSConfig` and `resolverConfig.tryUpdate`).
/// Each path has its own cache; the system's is [`RESOLV_CONF_PATH`].
pub(crate) fn system_dns_config(path: &Path) -> Arc<DnsConfig> {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::OnceLock;
    static CONFIGS: OnceLock<Mutex<HashMap<PathBuf, ResolverConfig>>> = OnceLock::new();
    let mut configs = CONFIGS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let rc = configs
        .entry(path.to_path_buf())
        .or_insert_with(|| ResolverConfig {
            conf: Arc::new(dns_read_config(path)),
            last_checked: now,
        });
    let expired = now.duration_since(rc.last_checked) > Duration::from_secs(5);
    if !rc.conf.no_reload && (expired || rc.conf.is_default_ns()) {
        rc.last_checked = now;
        let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if mtime != rc.conf.mtime {
            rc.conf = Arc::new(dns_read_config(path));
        }
    }
    rc.conf.clone()
}

/// The name list for one lookup: `name` with the search suffixes, in
/// order (Go's `dnsConfig.nameList`). A rooted name is tried alone; a
/// name with at least `ndots` dots is tried as is first, others last.
/// `.onion` names are never sent (RFC 7686, Go's `avoidDNS`).
#[doc(alias = "nameList")]
pub(crate) fn name_list(conf: &DnsConfig, name: &str) -> Vec<String> {
    let rooted = name.ends_with('.');
    if name.len() > 254 || (name.len() == 254 && !rooted) {
        return Vec::new();
    }
    if rooted {
        if avoid_dns(name) {
            return Vec::new();
        }
        return vec![name.to_string()];
    }
    let has_ndots = name.matches('.').count() >= conf.ndots;
    let name = format!("{name}.");
    let mut names = Vec::with_capacity(1 + conf.search.len());
    if has_ndots && !avoid_dns(&name) {
        names.push(name.clone());
    }
    for suffix in &conf.search {
        let fqdn = format!("{name}{suffix}");
        if !avoid_dns(&fqdn) && fqdn.len() <= 254 {
            names.push(fqdn);
        }
    }
    if !has_ndots && !avoid_dns(&name) {
        names.push(name);
    }
    names
}

/// Whether `name` must not be looked up in DNS: empty, or under `.onion`
/// (Go's `avoidDNS`).
#[doc(alias = "avoidDNS")]
pub(crate) fn avoid_dns(name: &str) -> bool {
    if name.is_empty() {
        return true;
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    let n = name.len();
    n >= 6 && name.as_bytes()[n - 6..].eq_ignore_ascii_case(b".onion")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/testdata")
            .join(name)
    }

    /// The fields Go's test compares, as one value.
    #[derive(Debug, PartialEq)]
    struct Want {
        servers: Vec<&'static str>,
        search: Vec<&'static str>,
        ndots: usize,
        timeout: u64,
        attempts: usize,
        rotate: bool,
        unknown_opt: bool,
        lookup: Vec<&'static str>,
        single_request: bool,
        use_tcp: bool,
    }

    impl Default for Want {
        fn default() -> Want {
            Want {
                servers: DEFAULT_NS.to_vec(),
                search: vec!["domain.local."],
                ndots: 1,
                timeout: 5,
                attempts: 2,
                rotate: false,
                unknown_opt: false,
                lookup: vec![],
                single_request: false,
                use_tcp: false,
            }
        }
    }

    fn got(c: &DnsConfig) -> Want {
        let leak = |v: &[String]| -> Vec<&'static str> {
            v.iter()
                .map(|s| &*Box::leak(s.clone().into_boxed_str()))
                .collect()
        };
        Want {
            servers: leak(&c.servers),
            search: leak(&c.search),
            ndots: c.ndots,
            timeout: c.timeout.as_secs(),
            attempts: c.attempts,
            rotate: c.rotate,
            unknown_opt: c.unknown_opt,
            lookup: leak(&c.lookup),
            single_request: c.single_request,
            use_tcp: c.use_tcp,
        }
    }

    fn test_host() -> Option<String> {
        Some("host.domain.local".into())
    }

    /// Go's `dnsReadConfigTests`, every row, on Go's testdata files.
    #[test]
    fn test_dns_read_config() {
        let servers1 = vec!["8.8.8.8:53"];
        let rows: Vec<(&str, Want)> = vec![
            (
                "resolv.conf",
                Want {
                    servers: vec![
                        "8.8.8.8:53",
                        "[2001:4860:4860::8888]:53",
                        "[fe80::1%lo0]:53",
                    ],
                    search: vec!["localdomain."],
                    ndots: 5,
                    timeout: 10,
                    attempts: 3,
                    rotate: true,
                    unknown_opt: true,
                    ..Want::default()
                },
            ),
            (
                "domain-resolv.conf",
                Want {
                    servers: servers1.clone(),
                    search: vec!["localdomain."],
                    ..Want::default()
                },
            ),
            (
                "search-resolv.conf",
                Want {
                    servers: servers1.clone(),
                    search: vec!["test.", "invalid."],
                    ..Want::default()
                },
            ),
            (
                // An empty search list falls back to the host's domain,
                // as Go's test does with `dnsDefaultSearch`.
                "search-single-dot-resolv.conf",
                Want {
                    servers: servers1,
                    ..Want::default()
                },
            ),
            ("empty-resolv.conf", Want::default()),
            (
                "invalid-ndots-resolv.conf",
                Want {
                    ndots: 0,
                    ..Want::default()
                },
            ),
            (
                "large-ndots-resolv.conf",
                Want {
                    ndots: 15,
                    ..Want::default()
                },
            ),
            (
                "negative-ndots-resolv.conf",
                Want {
                    ndots: 0,
                    ..Want::default()
                },
            ),
            (
                "openbsd-resolv.conf",
                Want {
                    lookup: vec!["file", "bind"],
                    servers: vec!["169.254.169.254:53", "10.240.0.1:53"],
                    search: vec!["c.symbolic-datum-552.internal."],
                    ..Want::default()
                },
            ),
            (
                "single-request-resolv.conf",
                Want {
                    single_request: true,
                    ..Want::default()
                },
            ),
            (
                "single-request-reopen-resolv.conf",
                Want {
                    single_request: true,
                    ..Want::default()
                },
            ),
            (
                "linux-use-vc-resolv.conf",
                Want {
                    use_tcp: true,
                    ..Want::default()
                },
            ),
            (
                "freebsd-usevc-resolv.conf",
                Want {
                    use_tcp: true,
                    ..Want::default()
                },
            ),
            (
                "openbsd-tcp-resolv.conf",
                Want {
                    use_tcp: true,
                    ..Want::default()
                },
            ),
        ];
        for (name, want) in rows {
            let conf = dns_read_config_with(&testdata(name), &test_host);
            assert_eq!(conf.err, None, "{name}");
            assert_eq!(got(&conf), want, "{name}");
        }
    }

    /// Go's `TestDNSReadMissingFile`.
    #[test]
    fn test_dns_read_missing_file() {
        let conf = dns_read_config_with(Path::new("a-nonexistent-file"), &test_host);
        assert_eq!(conf.err, Some(std::io::ErrorKind::NotFound));
        assert_eq!(got(&conf), Want::default());
    }

    /// Go's `dnsDefaultSearchTests`.
    #[test]
    fn test_dns_default_search() {
        let rows: &[(Option<&str>, &[&str])] = &[
            (Some("host.long.domain.local"), &["long.domain.local."]),
            (Some("host.local"), &["local."]),
            (Some("host"), &[]),
            (None, &[]),
            (Some("foo."), &[]),
        ];
        for &(name, want) in rows {
            let got = dns_default_search(&|| name.map(str::to_string));
            assert_eq!(got, want, "{name:?}");
        }
    }

    /// The extra options gort reads: trust-ad, edns0 (accepted, no
    /// effect), no-reload, and an unknown one.
    #[test]
    fn test_dns_read_config_options() {
        let dir = std::env::temp_dir().join(format!("gort-resolv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("resolv.conf");
        std::fs::write(
            &path,
            "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n\
             nameserver 192.0.2.4\nnameserver not-an-ip\n; comment\n# comment\n\
             options trust-ad edns0 no-reload timeout:0 attempts:0\n",
        )
        .unwrap();
        let conf = dns_read_config_with(&path, &test_host);
        assert_eq!(conf.servers.len(), 3);
        assert!(conf.trust_ad && conf.no_reload && !conf.unknown_opt);
        assert_eq!((conf.timeout.as_secs(), conf.attempts), (1, 1));
        std::fs::write(&path, "options inet6\n").unwrap();
        assert!(dns_read_config_with(&path, &test_host).unknown_opt);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Go's `TestNameListAvoidDNS` and the search order of
    /// `dnsclient_unix_test.go`'s `TestDNSNameLength` spirit.
    #[test]
    fn test_name_list() {
        let mut c = DnsConfig::with_servers(&["127.0.0.1:53"]);
        c.search = vec!["go.dev.".into(), "onion.".into(), "com.".into()];
        assert_eq!(name_list(&c, "foo"), ["foo.go.dev.", "foo.com.", "foo."]);
        c.ndots = 1;
        assert_eq!(name_list(&c, "a.b"), ["a.b.", "a.b.go.dev.", "a.b.com."]);
        assert_eq!(name_list(&c, "rooted."), ["rooted."]);
        assert!(name_list(&c, "x.onion.").is_empty());
        assert_eq!(
            name_list(&c, "x.onion"),
            ["x.onion.go.dev.", "x.onion.com."]
        );
        assert!(name_list(&c, &"a".repeat(255)).is_empty());
        for (name, avoid) in [
            ("foo.com", false),
            ("foo.onion", true),
            ("foo.onion.", true),
            ("foo.ONION", true),
            ("onion", false),
            ("", true),
        ] {
            assert_eq!(avoid_dns(name), avoid, "{name}");
        }
    }
}
