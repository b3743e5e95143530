//! Mirrors Go src/net/lookup_unix.go (go1.27): IP protocol numbers, from `/etc/protocols`.
//!
//! The raw IP networks name their protocol after a colon, by number
//! (`"ip4:1"`) or by name (`"ip4:icmp"`). A name is looked up in a small
//! table compiled in (Go keeps it as `protocols` in lookup.go) to which the
//! entries of `/etc/protocols` are added, once per process, the first time
//! a name is asked for (Go's `readProtocols` and `lookupProtocol`). Names
//! match without regard to ASCII case; an unknown one is Go's
//! [`AddrError`] `address NAME: unknown IP protocol specified`.
//!
//! The rest of Go's lookup_unix.go (the resolver's `lookupHost`,
//! `lookupIP`, `lookupPort`) is in lookup.rs, with the functions it serves.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::net::AddrError;
use crate::parse::{dtoi, get_fields};

/// The IP protocol numbers known without `/etc/protocols` (Go's
/// `protocols`).
const BUILTIN_PROTOCOLS: &[(&str, i32)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("udp", 17),
    ("ipv6-icmp", 58),
];

/// The longest protocol name looked up (Go's `maxProtoLength`): longer
/// names are unknown without being compared.
const MAX_PROTO_LENGTH: usize = "RSVP-E2E-IGNORE".len() + 10;

/// The protocol table: the built-in names, then the names and aliases of
/// `/etc/protocols` that are not already there (Go's `readProtocolsOnce`),
/// read once.
fn protocols() -> &'static HashMap<String, i32> {
    static PROTOCOLS: OnceLock<HashMap<String, i32>> = OnceLock::new();
    PROTOCOLS.get_or_init(|| {
        let mut m: HashMap<String, i32> = BUILTIN_PROTOCOLS
            .iter()
            .map(|&(n, p)| (n.to_string(), p))
            .collect();
        read_protocols(Path::new("/etc/protocols"), &mut m);
        m
    })
}

/// Adds the entries of the protocols file at `path` to `protocols`,
/// keeping the names already there (Go's `readProtocolsOnce` body).
fn read_protocols(path: &Path, protocols: &mut HashMap<String, i32>) {
    let Ok(data) = std::fs::read(path) else {
        return;
    };
    for line in data.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        // "tcp    6   TCP    # transmission control protocol"
        let line = line.split('#').next().unwrap_or_default();
        let f = get_fields(line);
        if f.len() < 2 {
            continue;
        }
        if let Some((proto, _)) = dtoi(f[1]) {
            protocols.entry(f[0].to_string()).or_insert(proto);
            for alias in &f[2..] {
                protocols.entry((*alias).to_string()).or_insert(proto);
            }
        }
    }
}

/// The number of the IP protocol `name`, matched without regard to ASCII
/// case (Go's `lookupProtocol` and `lookupProtocolMap`).
pub(crate) fn lookup_protocol(name: &str) -> Result<i32, AddrError> {
    let unknown = || AddrError::new("unknown IP protocol specified", name);
    if name.len() > MAX_PROTO_LENGTH {
        return Err(unknown());
    }
    protocols()
        .get(&name.to_ascii_lowercase())
        .copied()
        .ok_or_else(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_read_protocols() {
        let mut m: HashMap<String, i32> = BUILTIN_PROTOCOLS
            .iter()
            .map(|&(n, p)| (n.to_string(), p))
            .collect();
        read_protocols(Path::new("/nonexistent/gort/protocols"), &mut m);
        assert_eq!(m.len(), BUILTIN_PROTOCOLS.len());
        assert_eq!(lookup_protocol("ICMP"), Ok(1));
        assert!(lookup_protocol(&"x".repeat(MAX_PROTO_LENGTH + 1)).is_err());
    }
}
