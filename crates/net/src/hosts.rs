//! Mirrors Go src/net/hosts.go (go1.27): the `/etc/hosts` table.
//!
//! Before asking the system resolver, Go's lookups consult the static host
//! table. The file is parsed into two maps: name → addresses (with the
//! canonical name, the first name on the address's line) and address →
//! names. The parsed table is cached for [`CACHE_MAX_AGE`] (5 s); once that
//! expires the next lookup re-stats the file and re-reads it only if its
//! modification time or size changed, so an edited hosts file is seen
//! within seconds without re-parsing it on every lookup. Names are matched
//! without regard to ASCII case and in absolute form (a name with a dot
//! gets a trailing dot: `"example.com"` and `"example.com."` are the same
//! key; a single label such as `"localhost"` is kept as is, so
//! `"localhost."` does not match it, as in Go). Addresses are keyed by
//! their canonical text, so `fe80:0:0::1` and `fe80::1` are one entry, and
//! IPv6 zones (`fe80::1%lo0`) are part of the key.
//!
//! The cache is one value behind a mutex ([`Hosts`]), keyed by the path it
//! was read from: the `_at` functions take the path so tests can point
//! lookups at files of their own without touching global state.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::parse::get_fields;

/// How long a parsed hosts file is trusted before it is re-stat'd (Go's
/// `cacheMaxAge`).
#[doc(alias = "cacheMaxAge")]
pub(crate) const CACHE_MAX_AGE: Duration = Duration::from_secs(5);

/// Where the system's static host table lives (Go's `hostsFilePath`).
#[doc(alias = "hostsFilePath")]
pub(crate) const HOSTS_FILE_PATH: &str = "/etc/hosts";

/// The addresses of one name, and the canonical name of the first line it
/// appeared on (Go's `byName`).
#[derive(Debug, Clone, Default)]
struct ByName {
    addrs: Vec<String>,
    canonical_name: String,
}

/// The parsed hosts file and what is needed to tell when to re-read it (Go's
/// `hosts` variable, without its embedded mutex: the value lives inside
/// [`HOSTS`]'s).
#[derive(Debug, Default)]
pub(crate) struct Hosts {
    /// Lower-cased absolute name → addresses, in file order.
    by_name: HashMap<String, ByName>,
    /// Canonical address text (with `%zone`) → names as written (absolute
    /// form), in file order.
    by_addr: HashMap<String, Vec<String>>,
    /// When the cached table stops being trusted without a re-stat.
    expire: Option<Instant>,
    /// The file the table was read from.
    path: PathBuf,
    /// Its modification time and size when read; `None` when it could not
    /// be stat'd (which forces a re-read next time).
    stamp: Option<(SystemTime, u64)>,
}

/// The process-wide cache.
static HOSTS: LazyLock<Mutex<Hosts>> = LazyLock::new(|| Mutex::new(Hosts::default()));

/// Runs `f` on the process-wide cache. A panic while it was held cannot
/// leave the maps half-built (they are swapped in whole), so a poisoned
/// lock is used as is.
fn with_hosts<R>(f: impl FnOnce(&mut Hosts) -> R) -> R {
    let mut guard = HOSTS.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// The modification time and size of `path` (Go's `stat` in parse.go).
fn stat(path: &Path) -> Option<(SystemTime, u64)> {
    let md = std::fs::metadata(path).ok()?;
    Some((md.modified().ok()?, md.len()))
}

impl Hosts {
    /// Makes the table current for `path` at time `now` (Go's `readHosts`).
    ///
    /// Within [`CACHE_MAX_AGE`] of the last check nothing is done; after
    /// it, the file is re-stat'd and re-parsed only if it changed. A file
    /// that does not exist or may not be read is an empty table; any other
    /// failure to open it keeps the table as it was.
    #[doc(alias = "readHosts")]
    fn read_hosts(&mut self, path: &Path, now: Instant) {
        let fresh = self.expire.is_some_and(|e| now < e);
        if fresh && self.path == path && !self.by_name.is_empty() {
            return;
        }
        let stamp = stat(path);
        if stamp.is_some() && self.path == path && self.stamp == stamp {
            self.expire = Some(now + CACHE_MAX_AGE);
            return;
        }

        let data = match std::fs::read(path) {
            Ok(data) => data,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
                ) =>
            {
                Vec::new()
            }
            Err(_) => return,
        };
        let (by_name, by_addr) = parse_hosts(&data);

        self.expire = Some(now + CACHE_MAX_AGE);
        self.path = path.to_path_buf();
        self.by_name = by_name;
        self.by_addr = by_addr;
        self.stamp = stamp;
    }

    /// The addresses of `host` and its canonical name, from the file at
    /// `path`, or nothing (Go's `lookupStaticHost`).
    fn lookup_host(&mut self, path: &Path, host: &str, now: Instant) -> (Vec<String>, String) {
        self.read_hosts(path, now);
        if self.by_name.is_empty() {
            return (Vec::new(), String::new());
        }
        let key = abs_domain_name(&host.to_ascii_lowercase());
        match self.by_name.get(&key) {
            Some(b) => (b.addrs.clone(), b.canonical_name.clone()),
            None => (Vec::new(), String::new()),
        }
    }

    /// The names of the literal address `addr`, from the file at `path`,
    /// or nothing (Go's `lookupStaticAddr`).
    fn lookup_addr(&mut self, path: &Path, addr: &str, now: Instant) -> Vec<String> {
        self.read_hosts(path, now);
        let Some(addr) = parse_literal_ip(addr) else {
            return Vec::new();
        };
        self.by_addr.get(&addr).cloned().unwrap_or_default()
    }
}

/// The two maps of a hosts file whose contents are `data` (the parsing
/// half of Go's `readHosts`).
///
/// Each line is `address name [alias...]`, and a `#` starts a comment.
/// Lines with fewer than two fields, or whose first field is not an IP
/// literal, are skipped; bytes that are not UTF-8 are replaced, so no
/// content makes this fail.
fn parse_hosts(data: &[u8]) -> (HashMap<String, ByName>, HashMap<String, Vec<String>>) {
    let mut by_name: HashMap<String, ByName> = HashMap::new();
    let mut by_addr: HashMap<String, Vec<String>> = HashMap::new();
    for line in data.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let line = match line.find('#') {
            Some(i) => &line[..i],
            None => &line[..],
        };
        let fields = get_fields(line);
        if fields.len() < 2 {
            continue;
        }
        let Some(addr) = parse_literal_ip(fields[0]) else {
            continue;
        };
        let mut canonical = String::new();
        for (i, field) in fields.iter().enumerate().skip(1) {
            let name = abs_domain_name(field);
            let key = abs_domain_name(&field.to_ascii_lowercase());
            if i == 1 {
                canonical.clone_from(&key);
            }
            by_addr.entry(addr.clone()).or_default().push(name);
            by_name
                .entry(key)
                .or_insert_with(|| ByName {
                    addrs: Vec::new(),
                    canonical_name: canonical.clone(),
                })
                .addrs
                .push(addr.clone());
        }
    }
    (by_name, by_addr)
}

/// One name of a parsed hosts file, as [`parse_hosts_for_fuzzing`] lists
/// it: the lookup key (lower case, absolute), the canonical name of the
/// first line that named it, and its addresses in file order.
#[doc(hidden)]
pub type HostsNameEntry = (String, String, Vec<String>);

/// One address of a parsed hosts file: its canonical text (with `%zone`)
/// and its names as written (absolute), in file order.
#[doc(hidden)]
pub type HostsAddrEntry = (String, Vec<String>);

/// The hosts-file parser on arbitrary contents, for the fuzz targets
/// (`fuzz/fuzz_targets/hosts.rs`) and bad-input tests; not part of the
/// API and not covered by semver.
///
/// Returns both maps of the parsed table as lists sorted by key: names
/// ([`HostsNameEntry`]) and addresses ([`HostsAddrEntry`]). Never fails
/// and never panics, whatever `data` holds.
#[doc(hidden)]
pub fn parse_hosts_for_fuzzing(data: &[u8]) -> (Vec<HostsNameEntry>, Vec<HostsAddrEntry>) {
    let (by_name, by_addr) = parse_hosts(data);
    let mut names: Vec<HostsNameEntry> = by_name
        .into_iter()
        .map(|(k, b)| (k, b.canonical_name, b.addrs))
        .collect();
    names.sort();
    let mut addrs: Vec<HostsAddrEntry> = by_addr.into_iter().collect();
    addrs.sort();
    (names, addrs)
}

/// The addresses the hosts file at `path` gives `host`, as text (with
/// `%zone` where the file has one), and the canonical name; both empty when
/// the file does not name it (Go's `lookupStaticHost`, which always reads
/// `/etc/hosts`: the lookups pass [`HOSTS_FILE_PATH`], tests a file of
/// their own).
#[doc(alias = "lookupStaticHost")]
pub(crate) fn lookup_static_host_at(path: &Path, host: &str) -> (Vec<String>, String) {
    with_hosts(|h| h.lookup_host(path, host, Instant::now()))
}

/// The names the hosts file at `path` gives the literal address `addr`
/// (with an optional `%zone`), in file order; empty when there are none or
/// `addr` is not an IP literal (Go's `lookupStaticAddr`; the path as for
/// [`lookup_static_host_at`]).
#[doc(alias = "lookupStaticAddr")]
pub(crate) fn lookup_static_addr_at(path: &Path, addr: &str) -> Vec<String> {
    with_hosts(|h| h.lookup_addr(path, addr, Instant::now()))
}

/// `s` in absolute form: a trailing dot is added to a name that has a dot
/// but does not end in one; single labels are left alone (Go's
/// `absDomainName`, from dnsclient.go).
#[doc(alias = "absDomainName")]
pub(crate) fn abs_domain_name(s: &str) -> String {
    if s.contains('.') && !s.ends_with('.') {
        format!("{s}.")
    } else {
        s.to_string()
    }
}

/// The canonical text of the IP literal `addr`, or `None` if it is not one
/// (Go's `parseLiteralIP`, which parses with `netip.ParseAddr` and prints
/// the result).
///
/// The text keeps the literal's family the way `netip` does: an IPv6
/// literal prints as IPv6 in RFC 5952 form even when it holds an IPv4
/// address (`::ffff:1.2.3.4`), and its zone (everything after the first
/// `%`, which must not be empty) is kept. IPv4 literals take no zone.
#[doc(alias = "parseLiteralIP")]
pub(crate) fn parse_literal_ip(addr: &str) -> Option<String> {
    if addr.contains(':') {
        let (host, zone) = match addr.split_once('%') {
            Some((_, "")) => return None,
            Some((host, zone)) => (host, Some(zone)),
            None => (addr, None),
        };
        let v6 = match crate::ip::parse_ip(host)?.to_std()? {
            std::net::IpAddr::V6(a) => a,
            std::net::IpAddr::V4(a) => a.to_ipv6_mapped(),
        };
        Some(match zone {
            Some(zone) => format!("{v6}%{zone}"),
            None => v6.to_string(),
        })
    } else {
        if addr.contains('%') {
            return None;
        }
        let v4 = match crate::ip::parse_ip(addr)?.to_std()? {
            std::net::IpAddr::V4(a) => a,
            std::net::IpAddr::V6(a) => a.to_ipv4_mapped()?,
        };
        Some(v4.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/testdata")
            .join(name)
    }

    /// One file's cases: a lookup key and the answers it must give.
    type Entries = &'static [(&'static str, &'static [&'static str])];

    /// Go's `lookupStaticHostTests` (hosts_test.go), as data.
    const LOOKUP_STATIC_HOST_TESTS: &[(&str, Entries)] = &[
        (
            "hosts",
            &[
                ("odin", &["127.0.0.2", "127.0.0.3", "::2"]),
                ("thor", &["127.1.1.1"]),
                ("ullr", &["127.1.1.2"]),
                ("ullrhost", &["127.1.1.2"]),
                ("localhost", &["fe80::1%lo0"]),
            ],
        ),
        // golang.org/issue/6646
        ("singleline-hosts", &[("odin", &["127.0.0.2"])]),
        (
            "ipv4-hosts",
            &[
                ("localhost", &["127.0.0.1", "127.0.0.2", "127.0.0.3"]),
                ("localhost.localdomain", &["127.0.0.3"]),
            ],
        ),
        // golang.org/issue/8996
        (
            "ipv6-hosts",
            &[
                (
                    "localhost",
                    &["::1", "fe80::1", "fe80::2%lo0", "fe80::3%lo0"],
                ),
                ("localhost.localdomain", &["fe80::3%lo0"]),
            ],
        ),
        // golang.org/issue/12806
        (
            "case-hosts",
            &[
                ("PreserveMe", &["127.0.0.1", "::1"]),
                ("PreserveMe.local", &["127.0.0.1", "::1"]),
            ],
        ),
    ];

    /// Go's `lookupStaticAddrTests` (hosts_test.go), as data.
    const LOOKUP_STATIC_ADDR_TESTS: &[(&str, Entries)] = &[
        (
            "hosts",
            &[
                ("255.255.255.255", &["broadcasthost"]),
                ("127.0.0.2", &["odin"]),
                ("127.0.0.3", &["odin"]),
                ("::2", &["odin"]),
                ("127.1.1.1", &["thor"]),
                ("127.1.1.2", &["ullr", "ullrhost"]),
                ("fe80::1%lo0", &["localhost"]),
            ],
        ),
        ("singleline-hosts", &[("127.0.0.2", &["odin"])]),
        (
            "ipv4-hosts",
            &[
                ("127.0.0.1", &["localhost"]),
                ("127.0.0.2", &["localhost"]),
                ("127.0.0.3", &["localhost", "localhost.localdomain"]),
            ],
        ),
        (
            "ipv6-hosts",
            &[
                ("::1", &["localhost"]),
                ("fe80::1", &["localhost"]),
                ("fe80::2%lo0", &["localhost"]),
                ("fe80::3%lo0", &["localhost", "localhost.localdomain"]),
            ],
        ),
        (
            "case-hosts",
            &[
                ("127.0.0.1", &["PreserveMe", "PreserveMe.local"]),
                ("::1", &["PreserveMe", "PreserveMe.local"]),
            ],
        ),
    ];

    /// Go's `testStaticHost`: the name as given, absolute, lower and upper
    /// case all give the same addresses.
    fn check_static_host(path: &Path, name: &str, want: &[&str]) {
        let ins = [
            name.to_string(),
            abs_domain_name(name),
            name.to_lowercase(),
            name.to_uppercase(),
        ];
        for input in &ins {
            let (addrs, _) = lookup_static_host_at(path, input);
            assert_eq!(
                addrs,
                want,
                "{}: lookup_static_host({input})",
                path.display()
            );
        }
    }

    /// Go's `testStaticAddr`: the names come back in absolute form.
    fn check_static_addr(path: &Path, addr: &str, want: &[&str]) {
        let want: Vec<String> = want.iter().map(|n| abs_domain_name(n)).collect();
        assert_eq!(
            lookup_static_addr_at(path, addr),
            want,
            "{}: lookup_static_addr({addr})",
            path.display()
        );
    }

    #[test]
    fn test_lookup_static_host() {
        for &(file, ents) in LOOKUP_STATIC_HOST_TESTS {
            let path = testdata(file);
            for &(name, want) in ents {
                check_static_host(&path, name, want);
            }
        }
    }

    #[test]
    fn test_lookup_static_addr() {
        for &(file, ents) in LOOKUP_STATIC_ADDR_TESTS {
            let path = testdata(file);
            for &(addr, want) in ents {
                check_static_addr(&path, addr, want);
            }
        }
    }

    /// Go's `TestHostCacheModification`: callers get copies, so changing
    /// what a lookup returned does not change the next answer.
    #[test]
    fn test_host_cache_modification() {
        let path = testdata("ipv4-hosts");
        let want = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
        check_static_host(&path, "localhost", &want);
        let (mut addrs, _) = lookup_static_host_at(&path, "localhost");
        for a in &mut addrs {
            a.push_str("junk");
        }
        check_static_host(&path, "localhost", &want);

        let path = testdata("ipv6-hosts");
        check_static_addr(&path, "::1", &["localhost"]);
        let mut names = lookup_static_addr_at(&path, "::1");
        for n in &mut names {
            n.push_str("junk");
        }
        check_static_addr(&path, "::1", &["localhost"]);
    }

    /// Go's `lookupStaticHostAliasesTest` (hosts_test.go), as data: each
    /// name and the canonical name it resolves to.
    const LOOKUP_STATIC_HOST_ALIASES_TEST: &[(&str, &str)] = &[
        // 127.0.0.1
        ("test", "test"),
        // 127.0.0.2
        ("test2.example.com", "test2.example.com"),
        ("2.test", "test2.example.com"),
        // 127.0.0.3
        ("test3.example.com", "3.test"),
        ("3.test", "3.test"),
        // 127.0.0.4
        ("example.com", "example.com"),
        // 127.0.0.5
        ("test5.example.com", "test4.example.com"),
        ("5.test", "test4.example.com"),
        ("4.test", "test4.example.com"),
        ("test4.example.com", "test4.example.com"),
    ];

    #[test]
    fn test_lookup_static_host_aliases() {
        let path = testdata("aliases");
        for &(lookup, res) in LOOKUP_STATIC_HOST_ALIASES_TEST {
            let want = abs_domain_name(res);
            for input in [
                lookup.to_string(),
                abs_domain_name(lookup),
                lookup.to_lowercase(),
                lookup.to_uppercase(),
            ] {
                let (_, canonical) = lookup_static_host_at(&path, &input);
                assert_eq!(canonical, want, "lookup_static_host({input})");
            }
        }
    }

    #[test]
    fn test_parse_literal_ip() {
        let cases: &[(&str, Option<&str>)] = &[
            ("127.0.0.1", Some("127.0.0.1")),
            ("::1", Some("::1")),
            (
                "fe80:0000:0000:0000:0000:0000:0000:0002%lo0",
                Some("fe80::2%lo0"),
            ),
            ("::ffff:1.2.3.4", Some("::ffff:1.2.3.4")),
            ("::ffff:0102:0304", Some("::ffff:1.2.3.4")),
            ("1:0:0:1:0:0:0:1", Some("1:0:0:1::1")),
            ("FE80::A", Some("fe80::a")),
            ("fe80::1%", None),
            ("1.2.3.4%eth0", None),
            ("123.123.123", None),
            ("321.321.321.321", None),
            ("127.000.000.001", None),
            ("", None),
            ("localhost", None),
        ];
        for &(input, want) in cases {
            assert_eq!(
                parse_literal_ip(input).as_deref(),
                want,
                "parse_literal_ip({input:?})"
            );
        }
    }

    #[test]
    fn test_abs_domain_name() {
        assert_eq!(abs_domain_name("localhost"), "localhost");
        assert_eq!(abs_domain_name("a.b"), "a.b.");
        assert_eq!(abs_domain_name("a.b."), "a.b.");
        assert_eq!(abs_domain_name(""), "");
    }

    /// A hosts file in a fresh temporary directory, removed on drop.
    struct TempHosts(PathBuf);

    impl TempHosts {
        fn new(name: &str, contents: &str) -> TempHosts {
            let dir =
                std::env::temp_dir().join(format!("gort-net-hosts-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("create temp dir");
            let path = dir.join("hosts");
            std::fs::write(&path, contents).expect("write hosts file");
            TempHosts(path)
        }
    }

    impl Drop for TempHosts {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    /// The cache: trusted for 5 s, then re-stat'd, re-read only when the
    /// file's size or modification time changed. Uses a private `Hosts` and
    /// a fake clock.
    #[test]
    fn test_hosts_cache_expiry() {
        let tmp = TempHosts::new("expiry", "127.0.0.5 first\n");
        let mut h = Hosts::default();
        let t0 = Instant::now();
        assert_eq!(h.lookup_host(&tmp.0, "first", t0).0, ["127.0.0.5"]);

        // A change of size within the 5 s is not seen...
        std::fs::write(&tmp.0, "127.0.0.6 first second\n").expect("rewrite");
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(h.lookup_host(&tmp.0, "first", t1).0, ["127.0.0.5"]);
        assert!(h.lookup_host(&tmp.0, "second", t1).0.is_empty());

        // ...after them it is.
        let t2 = t0 + CACHE_MAX_AGE + Duration::from_secs(1);
        assert_eq!(h.lookup_host(&tmp.0, "first", t2).0, ["127.0.0.6"]);
        assert_eq!(h.lookup_host(&tmp.0, "second", t2).0, ["127.0.0.6"]);

        // An unchanged file is only re-stat'd: the table (here tampered
        // with to tell) is kept and trusted for another 5 s.
        h.by_name.remove("second");
        let t3 = t2 + CACHE_MAX_AGE + Duration::from_secs(1);
        assert!(h.lookup_host(&tmp.0, "second", t3).0.is_empty());
        assert_eq!(h.expire, Some(t3 + CACHE_MAX_AGE));

        // Another path is read at once.
        let other = TempHosts::new("expiry-other", "127.0.0.7 first\n");
        assert_eq!(h.lookup_host(&other.0, "first", t3).0, ["127.0.0.7"]);
    }

    #[test]
    fn test_hosts_missing_file() {
        let mut h = Hosts::default();
        let path = Path::new("/nonexistent/gort/hosts");
        assert!(
            h.lookup_host(path, "localhost", Instant::now())
                .0
                .is_empty()
        );
        assert!(h.lookup_addr(path, "127.0.0.1", Instant::now()).is_empty());
    }

    #[test]
    fn test_hosts_odd_input() {
        let tmp = TempHosts::new(
            "odd",
            "\u{feff}bogus\n\n   \n# only a comment\n10.0.0.1\tA.Example.COM. b\r\n\
             10.0.0.2 été\n::ffff:10.0.0.3 mapped\n",
        );
        let path = &tmp.0;
        assert_eq!(lookup_static_host_at(path, "a.example.com").0, ["10.0.0.1"]);
        assert_eq!(
            lookup_static_host_at(path, "A.EXAMPLE.COM.").1,
            "a.example.com."
        );
        assert_eq!(lookup_static_host_at(path, "b").0, ["10.0.0.1"]);
        // Names keep their case in the reverse map.
        assert_eq!(
            lookup_static_addr_at(path, "10.0.0.1"),
            ["A.Example.COM.", "b"]
        );
        // Non-ASCII is compared as is (Go folds ASCII only).
        assert_eq!(lookup_static_host_at(path, "été").0, ["10.0.0.2"]);
        assert!(lookup_static_host_at(path, "ÉTÉ").0.is_empty());
        // The mapped form is its own key, kept in IPv6 form.
        assert_eq!(lookup_static_host_at(path, "mapped").0, ["::ffff:10.0.0.3"]);
        assert_eq!(lookup_static_addr_at(path, "::ffff:10.0.0.3"), ["mapped"]);
        assert!(lookup_static_addr_at(path, "10.0.0.3").is_empty());
        assert!(lookup_static_addr_at(path, "not an address").is_empty());
        assert!(lookup_static_host_at(path, "").0.is_empty());
    }
}
