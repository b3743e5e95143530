//! Mirrors Go src/crypto/tls/tls.go (go1.27): `Config`, `Conn`, `Listener`, `dial`, `client`/`server` and key pairs, on rustls (ring provider) over any gort `Conn`.
//!
//! A [`Conn`] wraps any [`gort_net::Conn`] with a rustls state machine and
//! is a `gort_net::Conn` itself, so gort-http's server loop serves it as it
//! serves TCP. The handshake runs lazily, on the first read or write, or
//! when [`Conn::handshake`] is called, under the deadlines of the wrapped
//! conn; the goroutine parks on the netpoller as for any socket I/O.
//!
//! Locking follows Go's `tls.Conn` (conn.go): the rustls state sits under a
//! short lock that is never held across socket I/O; a reader parks on the
//! socket holding only the input lock, a writer holds only the output lock
//! (which keeps records in order on the wire), so one goroutine may sit in
//! a read while another writes. The locks held across a park are gort's
//! goroutine-aware mutexes: a std lock there would block the thread the
//! waiting goroutine is pinned to.
//!
//! Not built (Go has them): SNI selection among several certificates (the
//! first is always served), `GetCertificate`/`GetConfigForClient`
//! callbacks, server-side client authentication (`ClientAuth`,
//! `ClientCAs`), `VerifyPeerCertificate`/`VerifyConnection` hooks, session
//! ticket keys, `KeyLogWriter`, QUIC, and TLS 1.0/1.1 (rustls has neither).

use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::{Duration, Instant};

use gort_net::{Addr, Conn as NetConn, Listener as NetListener};
use gort_runtime::sync::Mutex;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};

/// rustls itself, for its types (`RootCertStore`, `ServerConfig`, ...).
pub use rustls;
pub use rustls::RootCertStore;
pub use rustls::pki_types::CertificateDer;

/// TLS 1.2 (Go's `VersionTLS12`), the oldest version rustls speaks.
pub const VERSION_TLS12: u16 = 0x0303;
/// TLS 1.3 (Go's `VersionTLS13`).
pub const VERSION_TLS13: u16 = 0x0304;

/// How long `close` waits to send close_notify (Go's 5 s in `closeNotify`).
const CLOSE_NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// The socket read buffer of a conn: one full TLS record (16 KiB of
/// payload, its header and the largest AEAD expansion) fits.
const INPUT_BUF_SIZE: usize = 16 * 1024 + 5 + 256 + 2048;

/// The process's rustls crypto provider: ring (see Cargo.toml for why).
///
/// rustls 0.23.48 deprecates ring's provider because it has no
/// post-quantum key exchange: Go 1.24+ prefers X25519MLKEM768, which only
/// aws-lc-rs offers in rustls. gort offers X25519, P-256 and P-384, which
/// every Go peer also speaks.
fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    #[allow(deprecated)]
    P.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// A certificate chain and its private key (Go's `tls.Certificate`): the
/// leaf first, then intermediates.
pub struct Certificate {
    /// The DER certificates, leaf first (Go's `Certificate [][]byte`).
    pub certificate: Vec<CertificateDer<'static>>,
    /// The leaf's private key (PKCS#1, PKCS#8 or SEC1 DER).
    pub private_key: PrivateKeyDer<'static>,
}

impl Clone for Certificate {
    fn clone(&self) -> Self {
        Certificate {
            certificate: self.certificate.clone(),
            private_key: self.private_key.clone_key(),
        }
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("Certificate")
            .field("chain_len", &self.certificate.len())
            .finish_non_exhaustive()
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Parses a PEM certificate chain and a PEM private key (Go's
/// `X509KeyPair`), and checks that the key belongs to the leaf.
pub fn x509_key_pair(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Certificate> {
    let mut chain = Vec::new();
    for c in CertificateDer::pem_slice_iter(cert_pem) {
        chain.push(c.map_err(|e| invalid(format!("tls: failed to parse certificate PEM: {e}")))?);
    }
    if chain.is_empty() {
        return Err(invalid(
            "tls: failed to find any PEM data in certificate input",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            invalid("tls: failed to find any PEM data in key input")
        }
        e => invalid(format!("tls: failed to parse private key: {e}")),
    })?;
    rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider())
        .map_err(|e| invalid(format!("tls: {e}")))?;
    Ok(Certificate {
        certificate: chain,
        private_key: key,
    })
}

/// Reads a key pair from two PEM files (Go's `LoadX509KeyPair`); they may
/// be the same file.
pub fn load_x509_key_pair(cert_file: &str, key_file: &str) -> io::Result<Certificate> {
    let cert = std::fs::read(cert_file)?;
    let key = std::fs::read(key_file)?;
    x509_key_pair(&cert, &key)
}

/// A root store of the PEM certificates in `pem` (Go's
/// `x509.CertPool.AppendCertsFromPEM` on a new pool), for
/// [`Config::root_cas`]. Fails if none parses.
pub fn root_cas_from_pem(pem: &[u8]) -> io::Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(pem) {
        let c = c.map_err(|e| invalid(format!("tls: failed to parse certificate PEM: {e}")))?;
        store
            .add(c)
            .map_err(|e| invalid(format!("tls: bad root certificate: {e}")))?;
    }
    if store.is_empty() {
        return Err(invalid("tls: no certificate in PEM input"));
    }
    Ok(store)
}

/// The settings of a TLS client or server (Go's `tls.Config`), as public
/// fields; build one with `..Default::default()`. Like Go's, a config must
/// not be changed once it has been used: the rustls configs built from it
/// are cached in it (a server builds its rustls config once, not per
/// connection). [`Clone`] gives a fresh, unused copy (Go's `Clone`).
#[derive(Clone, Default)]
pub struct Config {
    /// Chains presented to the peer: a server's (the first is always the
    /// one served), or a client's for client authentication.
    pub certificates: Vec<Certificate>,
    /// The roots a client verifies servers against; `None` uses Mozilla's
    /// roots (webpki-roots), where Go would use the system's pool.
    pub root_cas: Option<Arc<RootCertStore>>,
    /// The name a client verifies the server's certificate for and sends as
    /// SNI; [`dial`] fills it from the address when empty.
    pub server_name: String,
    /// **Dangerous.** A client accepts any certificate chain for any name:
    /// the connection is encrypted but the server is not authenticated, so
    /// anyone on the path can impersonate it. For tests only, as in Go.
    /// (Handshake signatures are still checked, as Go does.)
    pub insecure_skip_verify: bool,
    /// ALPN protocols, most preferred first (Go's `NextProtos`).
    /// [`Server::serve_tls`](crate::Server::serve_tls) adds `http/1.1`.
    pub next_protos: Vec<String>,
    /// The oldest version accepted; 0 (or below TLS 1.2) means TLS 1.2,
    /// the oldest rustls speaks (and Go's default).
    pub min_version: u16,
    /// The newest version; 0 means TLS 1.3.
    pub max_version: u16,
    /// The rustls configs built from this one. Opaque: leave it to
    /// `..Default::default()` (it is public only so that struct update
    /// syntax works).
    pub cache: ConfigCache,
}

/// The rustls configs a [`Config`] built, kept for its next connections.
#[derive(Default)]
pub struct ConfigCache {
    server: OnceLock<Result<Arc<ServerConfig>, rustls::Error>>,
    client: OnceLock<Result<Arc<ClientConfig>, rustls::Error>>,
}

impl Clone for ConfigCache {
    /// An empty cache: a cloned config may be changed before use.
    fn clone(&self) -> Self {
        ConfigCache::default()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("certificates", &self.certificates)
            .field("server_name", &self.server_name)
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .field("next_protos", &self.next_protos)
            .field("min_version", &self.min_version)
            .field("max_version", &self.max_version)
            .finish_non_exhaustive()
    }
}

impl Config {
    fn versions(&self) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, rustls::Error> {
        let min = self.min_version.max(VERSION_TLS12);
        let max = if self.max_version == 0 {
            VERSION_TLS13
        } else {
            self.max_version
        };
        let mut v = Vec::new();
        if min <= VERSION_TLS13 && max >= VERSION_TLS13 {
            v.push(&rustls::version::TLS13);
        }
        if min <= VERSION_TLS12 && max >= VERSION_TLS12 {
            v.push(&rustls::version::TLS12);
        }
        if v.is_empty() {
            return Err(rustls::Error::General(
                "tls: no supported versions satisfy MinVersion and MaxVersion".into(),
            ));
        }
        Ok(v)
    }

    fn alpn(&self) -> Vec<Vec<u8>> {
        self.next_protos
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect()
    }

    /// The rustls server config this config stands for, built on first use
    /// and cached. Fails without a certificate (Go's "neither Certificates,
    /// GetCertificate, nor GetConfigForClient set in Config").
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, rustls::Error> {
        self.cache
            .server
            .get_or_init(|| {
                let Some(cert) = self.certificates.first() else {
                    return Err(rustls::Error::General(
                        "tls: neither Certificates, GetCertificate, nor GetConfigForClient set in Config"
                            .into(),
                    ));
                };
                let mut sc = ServerConfig::builder_with_provider(provider())
                    .with_protocol_versions(&self.versions()?)?
                    .with_no_client_auth()
                    .with_single_cert(cert.certificate.clone(), cert.private_key.clone_key())?;
                sc.alpn_protocols = self.alpn();
                Ok(Arc::new(sc))
            })
            .clone()
    }

    /// The rustls client config this config stands for, built on first use
    /// and cached.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, rustls::Error> {
        self.cache
            .client
            .get_or_init(|| {
                let b = ClientConfig::builder_with_provider(provider())
                    .with_protocol_versions(&self.versions()?)?;
                let b = if self.insecure_skip_verify {
                    b.dangerous()
                        .with_custom_certificate_verifier(Arc::new(InsecureSkipVerify(provider())))
                } else {
                    let roots = match &self.root_cas {
                        Some(r) => r.clone(),
                        None => webpki_root_store(),
                    };
                    b.with_root_certificates(roots)
                };
                let mut cc = match self.certificates.first() {
                    Some(c) => {
                        b.with_client_auth_cert(c.certificate.clone(), c.private_key.clone_key())?
                    }
                    None => b.with_no_client_auth(),
                };
                cc.alpn_protocols = self.alpn();
                Ok(Arc::new(cc))
            })
            .clone()
    }
}

/// Mozilla's roots, built once.
fn webpki_root_store() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            Arc::new(RootCertStore::from_iter(
                webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
            ))
        })
        .clone()
}

/// The verifier behind [`Config::insecure_skip_verify`]: every chain is
/// accepted for every name. Only the handshake signatures are checked (so
/// the peer holds the key of the certificate it sent, whatever that is).
#[derive(Debug)]
struct InsecureSkipVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for InsecureSkipVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The first record a server read was not a TLS handshake record (Go's
/// `RecordHeaderError`): `record_header` holds its first five bytes, and
/// `conn` the connection under TLS, so that an HTTP server can answer a
/// client that spoke plain HTTP to it.
#[derive(Clone)]
pub struct RecordHeaderError {
    /// What was wrong.
    pub msg: String,
    /// The five bytes read where a record header should be.
    pub record_header: [u8; 5],
    /// The underlying connection; `None` once handed out.
    pub conn: Option<Arc<dyn NetConn>>,
}

impl fmt::Debug for RecordHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordHeaderError")
            .field("msg", &self.msg)
            .field("record_header", &self.record_header)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for RecordHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tls: ")?;
        f.write_str(&self.msg)
    }
}

impl std::error::Error for RecordHeaderError {}

/// An error kept for every later call (Go's sticky `handshakeErr` and
/// `out.err`), rebuilt into an `io::Error` each time.
#[derive(Clone)]
enum Sticky {
    Tls(rustls::Error),
    Header(RecordHeaderError),
    Io(io::ErrorKind, String),
}

impl Sticky {
    fn of(e: &io::Error) -> Sticky {
        if let Some(inner) = e.get_ref() {
            if let Some(t) = inner.downcast_ref::<rustls::Error>() {
                return Sticky::Tls(t.clone());
            }
            if let Some(h) = inner.downcast_ref::<RecordHeaderError>() {
                return Sticky::Header(h.clone());
            }
        }
        Sticky::Io(e.kind(), e.to_string())
    }

    fn to_io(&self) -> io::Error {
        match self {
            Sticky::Tls(e) => tls_err(e.clone()),
            Sticky::Header(h) => io::Error::new(io::ErrorKind::InvalidData, h.clone()),
            Sticky::Io(k, m) => io::Error::new(*k, m.clone()),
        }
    }
}

fn tls_err(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The socket read buffer: bytes read but not yet given to rustls are
/// `buf[start..end]`.
#[derive(Default)]
struct Input {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The socket reached end of file.
    eof: bool,
}

/// What the short lock guards: the rustls state machine and the sticky
/// errors. Never held across socket I/O.
#[derive(Default)]
struct State {
    /// Made by the handshake (so that `server` costs the accept loop
    /// nothing).
    tls: Option<rustls::Connection>,
    /// Why the handshake failed.
    hs_err: Option<Sticky>,
    /// Why reading can no longer go on (a bad record).
    rerr: Option<Sticky>,
    /// Why writing can no longer go on (a failed or timed-out write leaves
    /// a record half sent).
    werr: Option<Sticky>,
}

/// A TLS connection over a gort [`Conn`](gort_net::Conn) (Go's `tls.Conn`);
/// itself a `gort_net::Conn`. Made by [`client`], [`server`], [`dial`] or a
/// [`Listener`].
pub struct Conn {
    raw: Arc<dyn NetConn>,
    config: Arc<Config>,
    is_client: bool,
    /// The name a client verifies (the config's, or the dialed host).
    server_name: String,
    state: StdMutex<State>,
    /// Held for a whole handshake (Go's `handshakeMutex`).
    handshake_mu: Mutex<()>,
    /// The socket read buffer; held by the one goroutine reading the socket
    /// (Go's `in` lock).
    input: Mutex<Input>,
    /// Records on their way to the socket; held while they are written, so
    /// records leave in order (Go's `out` lock).
    output: Mutex<Vec<u8>>,
    handshake_complete: AtomicBool,
    /// Go's `activeCall`: writes in flight count by 2; bit 0 is closed.
    active_call: AtomicU32,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tls::Conn")
            .field("raw", &self.raw)
            .field("is_client", &self.is_client)
            .field(
                "handshake_complete",
                &self.handshake_complete.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

/// A server-side TLS conn over `conn` (Go's `tls.Server`); the handshake
/// happens on first use. `config` needs a certificate.
pub fn server(conn: impl Into<Arc<dyn NetConn>>, config: Arc<Config>) -> Conn {
    Conn::new(conn.into(), config, false, String::new())
}

/// A client-side TLS conn over `conn` (Go's `tls.Client`); the handshake
/// happens on first use. `config.server_name` names the server to verify;
/// without it, the handshake fails unless `insecure_skip_verify` is set.
pub fn client(conn: impl Into<Arc<dyn NetConn>>, config: Arc<Config>) -> Conn {
    let name = config.server_name.clone();
    Conn::new(conn.into(), config, true, name)
}

/// [`client`] verifying the server as `server_name` whatever
/// `config.server_name` says: the HTTP transport shares one config between
/// hosts (and its cached rustls config with them).
pub(crate) fn client_for(
    conn: impl Into<Arc<dyn NetConn>>,
    config: Arc<Config>,
    server_name: &str,
) -> Conn {
    Conn::new(conn.into(), config, true, server_name.to_string())
}

/// Dials `addr` and runs a client handshake (Go's `tls.Dial`). An empty
/// `config.server_name` is taken from `addr`'s host.
pub fn dial(network: &str, addr: &str, config: &Arc<Config>) -> io::Result<Conn> {
    dial_with_dialer(&gort_net::Dialer::default(), network, addr, config)
}

/// [`dial`] with `dialer`'s settings; its timeout and deadline bound the
/// dial and the handshake together (Go's `DialWithDialer`).
pub fn dial_with_dialer(
    dialer: &gort_net::Dialer,
    network: &str,
    addr: &str,
    config: &Arc<Config>,
) -> io::Result<Conn> {
    let start = Instant::now();
    let deadline = match (dialer.timeout.map(|t| start + t), dialer.deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let raw: Arc<dyn NetConn> = Arc::from(dialer.dial(network, addr)?);
    let name = if config.server_name.is_empty() {
        host_of(addr).to_string()
    } else {
        config.server_name.clone()
    };
    let conn = Conn::new(raw.clone(), config.clone(), true, name);
    if deadline.is_some() {
        raw.set_deadline(deadline)?;
    }
    if let Err(e) = conn.handshake() {
        let _ = raw.close();
        return Err(e);
    }
    if deadline.is_some() {
        raw.set_deadline(None)?;
    }
    Ok(conn)
}

/// The host of `host:port` (brackets of an IPv6 literal removed).
fn host_of(addr: &str) -> &str {
    let host = match addr.rfind(':') {
        Some(i) if !addr[i..].contains(']') => &addr[..i],
        _ => addr,
    };
    host.trim_start_matches('[').trim_end_matches(']')
}

impl Conn {
    fn new(raw: Arc<dyn NetConn>, config: Arc<Config>, is_client: bool, name: String) -> Conn {
        Conn {
            raw,
            config,
            is_client,
            server_name: name,
            state: StdMutex::new(State::default()),
            handshake_mu: Mutex::new(()),
            input: Mutex::new(Input::default()),
            output: Mutex::new(Vec::new()),
            handshake_complete: AtomicBool::new(false),
            active_call: AtomicU32::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection under TLS (Go's `NetConn`). Reading or writing it
    /// directly corrupts the TLS session.
    pub fn net_conn(&self) -> &Arc<dyn NetConn> {
        &self.raw
    }

    /// Runs the handshake if it has not run (Go's `Handshake`); later calls
    /// return its result. Bounded by the wrapped conn's deadlines only.
    pub fn handshake(&self) -> io::Result<()> {
        if self.handshake_complete.load(Ordering::Acquire) {
            return Ok(());
        }
        let _hs = self.handshake_mu.lock();
        if self.handshake_complete.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(e) = &self.state().hs_err {
            return Err(e.to_io());
        }
        match self.run_handshake() {
            Ok(()) => {
                self.handshake_complete.store(true, Ordering::Release);
                Ok(())
            }
            Err(e) => {
                self.state().hs_err = Some(Sticky::of(&e));
                Err(e)
            }
        }
    }

    fn new_rustls(&self) -> io::Result<rustls::Connection> {
        if self.is_client {
            let cc = self.config.client_config().map_err(tls_err)?;
            let name = if self.server_name.is_empty() {
                if !self.config.insecure_skip_verify {
                    return Err(invalid(
                        "tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config",
                    ));
                }
                // No name to verify or send: an IP address sends no SNI.
                match self.raw.remote_addr().map(|a| a.to_string()) {
                    Some(a) => host_of(&a).to_string(),
                    None => "0.0.0.0".to_string(),
                }
            } else {
                self.server_name.clone()
            };
            let name = ServerName::try_from(name)
                .map_err(|e| invalid(format!("tls: invalid server name: {e}")))?;
            Ok(rustls::ClientConnection::new(cc, name)
                .map_err(tls_err)?
                .into())
        } else {
            let sc = self.config.server_config().map_err(tls_err)?;
            Ok(rustls::ServerConnection::new(sc).map_err(tls_err)?.into())
        }
    }

    fn run_handshake(&self) -> io::Result<()> {
        let tls = self.new_rustls()?;
        self.state().tls = Some(tls);
        let mut input = self.input.lock();
        input.buf.resize(INPUT_BUF_SIZE, 0);
        // A server checks the first record's header before anything else,
        // as Go does, so a client speaking plain HTTP gets a clear error.
        // (A client has to speak first.)
        if !self.is_client && self.read_at_least(&mut input, 5)? >= 5 && input.buf[0] != 0x16 {
            let mut hdr = [0u8; 5];
            hdr.copy_from_slice(&input.buf[..5]);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                RecordHeaderError {
                    msg: "first record does not look like a TLS handshake".into(),
                    record_header: hdr,
                    conn: Some(self.raw.clone()),
                },
            ));
        }
        // Each turn sends what rustls has to send, then takes the peer's
        // next bytes (parking for them if none are buffered); a turn fails
        // on end of file, an error or the conn's deadline.
        loop {
            if let Err(e) = self.feed_buffered(&mut input) {
                // Best effort: the alert rustls queued tells the peer why.
                let _ = self.flush_output();
                return Err(e);
            }
            self.flush_output()?;
            if !self.with_tls(|t| t.is_handshaking()) {
                return Ok(());
            }
            if input.start == input.end && self.read_socket(&mut input)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "EOF"));
            }
        }
    }

    /// Reads from the socket until at least `min` bytes are buffered or it
    /// ends; returns how many are.
    fn read_at_least(&self, input: &mut Input, min: usize) -> io::Result<usize> {
        while input.end - input.start < min {
            if self.read_socket(input)? == 0 {
                break;
            }
        }
        Ok(input.end - input.start)
    }

    /// One socket read into the free end of `input` (parks); 0 is EOF.
    fn read_socket(&self, input: &mut Input) -> io::Result<usize> {
        if input.start == input.end {
            input.start = 0;
            input.end = 0;
        }
        let end = input.end;
        let n = self.raw.read(&mut input.buf[end..])?;
        if n == 0 {
            input.eof = true;
        }
        input.end += n;
        Ok(n)
    }

    fn with_tls<T>(&self, f: impl FnOnce(&mut rustls::Connection) -> T) -> T {
        let mut st = self.state();
        f(st.tls.as_mut().expect("tls state made by the handshake"))
    }

    /// Hands the buffered socket bytes to rustls and processes the records
    /// they complete, stopping early once there is plaintext to read
    /// (rustls holds at most 16 KiB of it); the rest stays buffered. At
    /// end of file with nothing buffered, tells rustls so.
    fn feed_buffered(&self, input: &mut Input) -> io::Result<()> {
        let mut st = self.state();
        if let Some(e) = &st.rerr {
            return Err(e.to_io());
        }
        let tls = st.tls.as_mut().expect("tls state made by the handshake");
        if input.start == input.end {
            if input.eof {
                let _ = tls.read_tls(&mut &[][..]);
            }
            return Ok(());
        }
        while input.start < input.end {
            let mut data = &input.buf[input.start..input.end];
            let res = tls.read_tls(&mut data).and_then(|n| {
                if n == 0 {
                    // After close_notify rustls reads nothing more: what
                    // follows it is dropped (and the loop ends).
                    input.start = input.end;
                } else {
                    input.start += n;
                }
                tls.process_new_packets().map_err(tls_err)
            });
            match res {
                Ok(io) if io.plaintext_bytes_to_read() > 0 => break,
                Ok(_) => {}
                Err(e) => {
                    st.rerr = Some(Sticky::of(&e));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Sends every record rustls has queued, in order, under the output
    /// lock; the socket write happens outside the state lock.
    fn flush_output(&self) -> io::Result<()> {
        let mut out = self.output.lock();
        self.send_queued(&mut out)
    }

    fn send_queued(&self, out: &mut Vec<u8>) -> io::Result<()> {
        loop {
            {
                let mut st = self.state();
                if let Some(e) = &st.werr {
                    return Err(e.to_io());
                }
                let Some(tls) = st.tls.as_mut() else {
                    return Ok(());
                };
                out.clear();
                while tls.wants_write() && out.len() < 64 << 10 {
                    tls.write_tls(out)?;
                }
            }
            if out.is_empty() {
                return Ok(());
            }
            if let Err(e) = self.raw.write_all(out) {
                self.state().werr = Some(Sticky::of(&e));
                return Err(e);
            }
        }
    }

    /// The negotiated parameters (Go's `ConnectionState`); before the
    /// handshake completes, `handshake_complete` is false and the rest
    /// empty.
    pub fn connection_state(&self) -> ConnectionState {
        let complete = self.handshake_complete.load(Ordering::Acquire);
        let st = self.state();
        let mut cs = ConnectionState {
            handshake_complete: complete,
            ..Default::default()
        };
        let Some(tls) = st.tls.as_ref().filter(|_| complete) else {
            return cs;
        };
        cs.version = tls.protocol_version().map_or(0, u16::from);
        cs.cipher_suite = tls
            .negotiated_cipher_suite()
            .map_or(0, |s| u16::from(s.suite()));
        cs.negotiated_protocol = tls
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        cs.server_name = match tls {
            rustls::Connection::Server(s) => s.server_name().unwrap_or_default().to_string(),
            rustls::Connection::Client(_) => self.server_name.clone(),
        };
        cs.peer_certificates = tls
            .peer_certificates()
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        cs.did_resume = matches!(tls.handshake_kind(), Some(rustls::HandshakeKind::Resumed));
        cs
    }

    /// Sends close_notify, bounded by a 5 s write deadline that is then
    /// moved to now so nothing more is written (Go's `closeNotify`).
    fn close_notify(&self) -> io::Result<()> {
        let mut out = self.output.lock();
        let _ = self
            .raw
            .set_write_deadline(Some(Instant::now() + CLOSE_NOTIFY_TIMEOUT));
        if let Some(tls) = self.state().tls.as_mut() {
            tls.send_close_notify();
        }
        let res = self.send_queued(&mut out);
        let _ = self.raw.set_write_deadline(Some(Instant::now()));
        self.state().werr = Some(Sticky::Io(
            io::ErrorKind::BrokenPipe,
            "tls: use of closed connection".into(),
        ));
        res
    }
}

/// What a handshake settled (Go's `tls.ConnectionState`, the fields rustls
/// reports).
#[derive(Clone, Debug, Default)]
pub struct ConnectionState {
    /// The version, [`VERSION_TLS12`] or [`VERSION_TLS13`].
    pub version: u16,
    /// The handshake completed.
    pub handshake_complete: bool,
    /// The session was resumed.
    pub did_resume: bool,
    /// The IANA cipher suite number.
    pub cipher_suite: u16,
    /// The ALPN protocol agreed, empty for none.
    pub negotiated_protocol: String,
    /// The server name: sent by the client (SNI) as the server saw it, or
    /// verified, as the client saw it.
    pub server_name: String,
    /// The peer's chain, leaf first.
    pub peer_certificates: Vec<CertificateDer<'static>>,
}

impl NetConn for Conn {
    /// Reads plaintext, after running the handshake if it has not run (an
    /// empty `b` runs just the handshake, as in Go). A reader parks on the
    /// socket without blocking writers. A peer that closes without
    /// close_notify reads as end of file, as in Go at a record boundary.
    fn read(&self, b: &mut [u8]) -> io::Result<usize> {
        self.handshake()?;
        if b.is_empty() {
            return Ok(0);
        }
        let mut input = self.input.lock();
        // Each turn returns, or feeds rustls buffered bytes, or parks in a
        // socket read.
        loop {
            {
                let mut st = self.state();
                if let Some(e) = &st.rerr {
                    return Err(e.to_io());
                }
                let tls = st.tls.as_mut().expect("tls state made by the handshake");
                match tls.reader().read(b) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                    Err(e) => return Err(e),
                }
            }
            if input.start == input.end && !input.eof {
                self.read_socket(&mut input)?;
            }
            let res = self.feed_buffered(&mut input);
            // A key update or an alert may want an answer.
            if self.with_tls(|t| t.wants_write()) {
                let _ = self.flush_output();
            }
            res?;
        }
    }

    /// Encrypts and writes all of `b`, after the handshake.
    fn write(&self, b: &[u8]) -> io::Result<usize> {
        // Go's interlock with close: a close during a write just closes
        // the socket.
        let mut x = self.active_call.load(Ordering::Acquire);
        loop {
            if x & 1 != 0 {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "tls: use of closed connection",
                ));
            }
            match self.active_call.compare_exchange_weak(
                x,
                x + 2,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(v) => x = v,
            }
        }
        struct Done<'a>(&'a AtomicU32);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(2, Ordering::AcqRel);
            }
        }
        let _done = Done(&self.active_call);

        self.handshake()?;
        let mut out = self.output.lock();
        let mut done = 0;
        while done < b.len() {
            {
                let mut st = self.state();
                if let Some(e) = &st.werr {
                    return Err(e.to_io());
                }
                let tls = st.tls.as_mut().expect("tls state made by the handshake");
                let n = io::Write::write(&mut tls.writer(), &b[done..])?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                done += n;
            }
            self.send_queued(&mut out)?;
        }
        Ok(b.len())
    }

    /// Sends close_notify if the handshake completed and no write is in
    /// flight (best effort, at most 5 s), then closes the socket (Go's
    /// `Close`).
    fn close(&self) -> io::Result<()> {
        let mut x = self.active_call.load(Ordering::Acquire);
        loop {
            if x & 1 != 0 {
                return self.raw.close();
            }
            match self.active_call.compare_exchange_weak(
                x,
                x | 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(v) => x = v,
            }
        }
        if x != 0 {
            // A write is in flight: this close is meant to break it.
            return self.raw.close();
        }
        let alert = if self.handshake_complete.load(Ordering::Acquire) {
            self.close_notify()
        } else {
            Ok(())
        };
        self.raw.close()?;
        alert.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "tls: failed to send closeNotify alert (but connection was closed anyway): {e}"
                ),
            )
        })
    }

    fn local_addr(&self) -> Box<dyn Addr> {
        self.raw.local_addr()
    }

    fn remote_addr(&self) -> Option<Box<dyn Addr>> {
        self.raw.remote_addr()
    }

    fn set_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.raw.set_deadline(t)
    }

    fn set_read_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.raw.set_read_deadline(t)
    }

    fn set_write_deadline(&self, t: Option<Instant>) -> io::Result<()> {
        self.raw.set_write_deadline(t)
    }

    /// Sends close_notify and half-closes the socket (Go's `CloseWrite`);
    /// fails before the handshake completed.
    fn close_write(&self) -> io::Result<()> {
        if !self.handshake_complete.load(Ordering::Acquire) {
            return Err(io::Error::other(
                "tls: CloseWrite called before handshake complete",
            ));
        }
        self.close_notify()?;
        self.raw.close_write()
    }
}

/// A listener whose connections are server-side TLS conns (Go's
/// `tls.listener`); each handshake runs on the connection's first use, in
/// whichever goroutine serves it, never in `accept`.
pub struct Listener {
    inner: Box<dyn NetListener>,
    config: Arc<Config>,
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tls::Listener")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl NetListener for Listener {
    fn accept(&self) -> io::Result<Box<dyn NetConn>> {
        let c = self.inner.accept()?;
        Ok(Box::new(server(c, self.config.clone())))
    }

    fn close(&self) -> io::Result<()> {
        self.inner.close()
    }

    fn addr(&self) -> Box<dyn Addr> {
        self.inner.addr()
    }
}

/// Wraps `inner` so that it accepts TLS server conns with `config` (Go's
/// `tls.NewListener`).
pub fn new_listener(inner: Box<dyn NetListener>, config: Arc<Config>) -> Box<dyn NetListener> {
    Box::new(Listener { inner, config })
}

/// Listens on `addr` and accepts TLS server conns (Go's `tls.Listen`).
/// Fails at once if `config` cannot serve (no certificate, a bad key).
pub fn listen(network: &str, addr: &str, config: Arc<Config>) -> io::Result<Box<dyn NetListener>> {
    config.server_config().map_err(tls_err)?;
    let l = gort_net::listen(network, addr)?;
    Ok(new_listener(l, config))
}

/// The config `Server::serve_tls` serves with (Go's `setupTLSConfig`): a
/// copy of the server's, its certificates replaced by the files' when they
/// are named (or when it has none), and `http/1.1` added to its ALPN list.
pub(crate) fn http_server_config(
    base: Option<&Config>,
    cert_file: &str,
    key_file: &str,
) -> io::Result<Arc<Config>> {
    let mut config = base.cloned().unwrap_or_default();
    if config.certificates.is_empty() || !cert_file.is_empty() || !key_file.is_empty() {
        config.certificates = vec![load_x509_key_pair(cert_file, key_file)?];
    }
    if !config.next_protos.iter().any(|p| p == "http/1.1") {
        config.next_protos.push("http/1.1".into());
    }
    config.server_config().map_err(tls_err)?;
    Ok(Arc::new(config))
}

/// Whether a record header is the start of a plain HTTP request (Go's
/// `tlsRecordHeaderLooksLikeHTTP`).
pub(crate) fn record_header_looks_like_http(hdr: &[u8; 5]) -> bool {
    matches!(hdr, b"GET /" | b"HEAD " | b"POST " | b"PUT /" | b"OPTIO")
}
