//! An HTTPS hello server: `Server::listen_and_serve_tls` on goroutines.
//!
//! ```text
//! cargo run -p gort --example https_hello [ADDR [CERT_FILE KEY_FILE]]
//! ```
//!
//! With no certificate files it makes a CA and a certificate for
//! `localhost` and `127.0.0.1` at start (rcgen), writes them to a
//! temporary directory and prints the CA's path, so that
//! `curl --cacert CA https://127.0.0.1:PORT/` verifies the server. The
//! first line printed is `listening on ADDR`.

use std::sync::Arc;

use gort::http::{Request, ResponseWriter, Server};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8443".into());
    let (cert_file, key_file, ca_file) = match (args.get(1), args.get(2)) {
        (Some(c), Some(k)) => (c.clone(), k.clone(), None),
        _ => {
            let (c, k, ca) = make_certificates();
            (c, k, Some(ca))
        }
    };
    gort::run(move || {
        let ln = gort::net::listen("tcp", &addr).unwrap_or_else(|e| {
            eprintln!("listen {addr}: {e}");
            std::process::exit(1);
        });
        let bound = ln.addr().to_string();
        println!("listening on {bound}");
        if let Some(ca) = &ca_file {
            println!("CA certificate: {ca}");
            println!("try: curl --cacert {ca} https://{bound}/gort");
        }
        let srv = Arc::new(Server {
            handler: Some(Arc::new(|w: &mut dyn ResponseWriter, r: &mut Request| {
                w.header().set("Content-Type", "text/plain; charset=utf-8");
                writeln!(w, "Hello over TLS, {}!", r.url.path).unwrap();
            })),
            read_header_timeout: Some(std::time::Duration::from_secs(10)),
            ..Default::default()
        });
        if let Err(e) = srv.serve_tls(ln, &cert_file, &key_file) {
            eprintln!("serve: {e}");
            std::process::exit(1);
        }
    });
}

/// A CA and a leaf it signed for localhost and 127.0.0.1, written as PEM
/// files to a directory of their own; returns the leaf, key and CA paths.
fn make_certificates() -> (String, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "gort https_hello CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("gort-https-hello-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::fs::write(path("ca.pem"), ca.pem()).unwrap();
    std::fs::write(path("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(path("key.pem"), key.serialize_pem()).unwrap();
    (path("cert.pem"), path("key.pem"), path("ca.pem"))
}
