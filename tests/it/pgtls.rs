//! TLS to PostgreSQL against a real server (`Cluster::start_tls`): a
//! throwaway CA and server certificate made here with rcgen, the server on
//! 127.0.0.1. A host name that is not this machine's is given with
//! `hostaddr=127.0.0.1`: the client checks the certificate and applies the
//! password rule against the name, while the packets stay on loopback.
//!
//! Skipped like `pg.rs` when no server binaries are found.

use std::path::Path;

use crate::cluster::{Cluster, Tls, PASSWORD, PASSWORD_ROLE};
use tidings::store::pg::{PgCa, PgError, PgStore};

/// A name that is not this machine's (the password rule applies to it);
/// reached through `hostaddr`.
const REMOTE: &str = "db.tidings.test";

/// A CA, and a server certificate it signed for `REMOTE` and 127.0.0.1.
struct Pki {
    ca_pem: String,
    server: Tls,
}

fn ca(name: &str) -> (rcgen::CertificateParams, rcgen::KeyPair) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    (params, rcgen::KeyPair::generate().unwrap())
}

fn pki() -> Pki {
    let (params, key) = ca("tidings test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(params, key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(vec![REMOTE.to_string(), "127.0.0.1".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, REMOTE);
    let cert = params.signed_by(&key, &ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server: Tls {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        },
    }
}

/// Another CA's certificate: not the one that signed the server's.
fn other_ca_pem() -> String {
    let (params, key) = ca("some other CA");
    rcgen::CertifiedIssuer::self_signed(params, key)
        .unwrap()
        .pem()
}

/// Whether the session of the store connected with `application_name=app`
/// is TLS, as the server sees it (`pg_stat_ssl`), asked over a connection
/// of the test's own. `_store` keeps that session open meanwhile.
fn session_is_tls(pg: &Cluster, _store: &PgStore, app: &str) -> bool {
    let mut admin = postgres::Client::connect(&pg.url("postgres"), postgres::NoTls).unwrap();
    let rows = admin
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = $1",
            &[&app],
        )
        .unwrap();
    assert_eq!(rows.len(), 1, "one session named {app}");
    rows[0].get(0)
}

fn ca_at<'a>(path: &'a Path, pem: &'a str) -> Option<PgCa<'a>> {
    Some(PgCa { path, pem })
}

#[test]
fn pgtls_require_with_the_ca_file_is_a_verified_tls_session() {
    let pki = pki();
    let Some(pg) = Cluster::start_tls(&pki.server) else {
        return;
    };
    let path = Path::new("/etc/tidings/pg-ca.pem");
    let url = format!("{}?sslmode=require&application_name=a", pg.url("tidings"));
    let store = PgStore::connect(&url, None, ca_at(path, &pki.ca_pem)).expect("connect");
    assert!(session_is_tls(&pg, &store, "a"), "pg_stat_ssl says TLS");
    // verify-full: the same, by the certificate's DNS name.
    let url = format!(
        "postgres://tidings@{REMOTE}:{}/tidings?hostaddr=127.0.0.1&sslmode=verify-full&application_name=b",
        pg.port()
    );
    let store = PgStore::connect(&url, None, ca_at(path, &pki.ca_pem)).expect("connect");
    assert!(session_is_tls(&pg, &store, "b"));
}

#[test]
fn pgtls_a_certificate_from_another_ca_is_refused_with_the_ca_file_named() {
    let pki = pki();
    let Some(pg) = Cluster::start_tls(&pki.server) else {
        return;
    };
    let path = Path::new("/etc/tidings/pg-ca.pem");
    let other = other_ca_pem();
    let url = format!("{}?sslmode=require", pg.url("tidings"));
    let err = PgStore::connect(&url, None, ca_at(path, &other))
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(matches!(err, PgError::Tls { .. }), "{err:?}");
    assert!(msg.contains("/etc/tidings/pg-ca.pem"), "{msg}");
    assert!(msg.contains(&pg.url("tidings")), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    // The system's roots do not know the test CA either, and say how to
    // name one.
    let err = PgStore::connect(&url, None, None).err().expect("refused");
    assert!(err.to_string().contains("store.ca_file"), "{err}");
    // A certificate that does not name the host is refused too.
    let url = format!(
        "postgres://tidings@elsewhere.tidings.test:{}/tidings?hostaddr=127.0.0.1&sslmode=require",
        pg.port()
    );
    let err = PgStore::connect(&url, None, ca_at(path, &pki.ca_pem))
        .err()
        .expect("refused");
    assert!(matches!(err, PgError::Tls { .. }), "{err:?}");
}

#[test]
fn pgtls_prefer_goes_on_in_the_clear_only_without_a_password_to_send() {
    let pki = pki();
    let Some(pg) = Cluster::start_tls(&pki.server) else {
        return;
    };
    // The default (`prefer`) with a certificate the system's roots do not
    // know (a local server's self-signed one): the session goes on in the
    // clear, as before TLS was built.
    let url = format!("{}?application_name=a", pg.url("tidings"));
    let store = PgStore::connect(&url, None, None).expect("connect");
    assert!(!session_is_tls(&pg, &store, "a"));
    // With the CA it is TLS.
    let path = Path::new("ca.pem");
    let url = format!("{}?application_name=b", pg.url("tidings"));
    let store = PgStore::connect(&url, None, ca_at(path, &pki.ca_pem)).expect("connect");
    assert!(session_is_tls(&pg, &store, "b"));
    // A password for a server elsewhere: `prefer` means verified TLS, and
    // without the CA that fails rather than falling back to the clear.
    let remote = format!(
        "postgres://{PASSWORD_ROLE}@{REMOTE}:{}/tidings?hostaddr=127.0.0.1",
        pg.port()
    );
    let err = PgStore::connect(&remote, Some(PASSWORD), None)
        .err()
        .expect("refused");
    assert!(matches!(err, PgError::Tls { .. }), "{err:?}");
}

#[test]
fn pgtls_a_password_goes_to_a_server_elsewhere_over_verified_tls_only() {
    let pki = pki();
    let Some(pg) = Cluster::start_tls(&pki.server) else {
        return;
    };
    let path = Path::new("ca.pem");
    let remote = format!(
        "postgres://{PASSWORD_ROLE}@{REMOTE}:{}/tidings?hostaddr=127.0.0.1&application_name=a",
        pg.port()
    );
    // Sent over TLS: the server (scram-sha-256 over TLS only) lets it in.
    let mut store =
        PgStore::connect(&remote, Some(PASSWORD), ca_at(path, &pki.ca_pem)).expect("connect");
    assert!(session_is_tls(&pg, &store, "a"));
    assert!(store.schema_version().unwrap() >= 2);
    // And it is the password that let it in.
    let err = PgStore::connect(&remote, Some("wrong"), ca_at(path, &pki.ca_pem))
        .err()
        .expect("a wrong password is refused");
    assert!(matches!(err, PgError::Postgres { .. }), "{err:?}");
    // Never in the clear: refused before connecting, saying what to do.
    let clear = format!("{remote}&sslmode=disable");
    let err = PgStore::connect(&clear, Some(PASSWORD), ca_at(path, &pki.ca_pem))
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(matches!(err, PgError::Url { .. }), "{err:?}");
    assert!(msg.contains(REMOTE) && msg.contains("sslmode"), "{msg}");
    assert!(!msg.contains(PASSWORD), "{msg}");
}
