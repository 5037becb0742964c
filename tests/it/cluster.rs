//! A throwaway PostgreSQL cluster for tests and benches: `initdb` and
//! `pg_ctl` in a temporary directory (as an unprivileged user when run as
//! root, since PostgreSQL refuses root), stopped when dropped.
//!
//! `Cluster::start_tls` starts one with `ssl=on`, a given certificate and
//! key, and a password-only role for TLS sessions (`Tls`).
//!
//! `Cluster::start` returns None with a message when no server binaries are
//! found, except under `TIDINGS_PG_TESTS=required` (`.ci/run` sets it),
//! where that is a failure.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env::{free_port, is_root};
use tidings::store::pg::PgStore;

/// The unprivileged user and group the server runs as when the tests run
/// as root (PostgreSQL refuses to run as root).
const NOBODY: u32 = 65534;

/// A PostgreSQL cluster of its own, stopped when dropped.
pub struct Cluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
}

/// What a TLS cluster serves: its certificate and key (PEM), and the role
/// that must log in with a password over TLS (`PASSWORD_ROLE`).
pub struct Tls {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A role that logs in over TLS only, with `PASSWORD` (scram-sha-256); the
/// other roles need none (`trust`).
#[allow(dead_code)]
pub const PASSWORD_ROLE: &str = "fleetpw";
#[allow(dead_code)]
pub const PASSWORD: &str = "correct horse battery";

/// Writes a file the server (running as `NOBODY` under root) must read,
/// readable by its owner only (the server refuses a key others can read).
fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

/// Where `initdb` and `pg_ctl` are: `TIDINGS_PG_BIN`, beside `initdb` on
/// the PATH, or the distribution's newest `/usr/lib/postgresql/*/bin`.
fn server_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TIDINGS_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("initdb"))
            .find(|f| f.exists())
            .and_then(|f| std::fs::canonicalize(f).ok())
            .and_then(|f| f.parent().map(Path::to_path_buf))
    });
    on_path.or_else(|| {
        let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").exists().then_some((v, bin))
            })
            .collect();
        dirs.sort();
        dirs.pop().map(|(_, d)| d)
    })
}

impl Cluster {
    /// Starts a cluster, or says why not and returns None (a failure under
    /// CI).
    pub fn start() -> Option<Cluster> {
        Cluster::start_with(None)
    }

    /// Starts a cluster that offers TLS with `tls`'s certificate, and has
    /// `PASSWORD_ROLE`.
    #[allow(dead_code)]
    pub fn start_tls(tls: &Tls) -> Option<Cluster> {
        Cluster::start_with(Some(tls))
    }

    fn start_with(tls: Option<&Tls>) -> Option<Cluster> {
        let Some(bin) = server_bin() else {
            if std::env::var("TIDINGS_PG_TESTS").is_ok_and(|v| v == "required") {
                panic!(
                    "TIDINGS_PG_TESTS=required but no PostgreSQL server binaries (initdb) found"
                );
            }
            eprintln!("skipped: no PostgreSQL server binaries (initdb) found; set TIDINGS_PG_BIN");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let c = std::ffi::CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
            // SAFETY: a valid NUL-terminated path; the result is checked.
            assert_eq!(unsafe { libc::chown(c.as_ptr(), NOBODY, NOBODY) }, 0);
        }
        let data = dir.path().join("data");
        let port = free_port();
        let run = |program: &str, args: &[&str]| {
            let mut cmd = Command::new(bin.join(program));
            cmd.args(args).env_remove("PGDATA");
            if is_root() {
                cmd.uid(NOBODY).gid(NOBODY);
            }
            let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
            assert!(
                out.status.success(),
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let data_s = data.to_str().unwrap();
        run(
            "initdb",
            &[
                "-D",
                data_s,
                "-A",
                "trust",
                "-U",
                "tidings",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c full_page_writes=off",
            dir.path().display()
        );
        if let Some(tls) = tls {
            let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
            write_private(&cert, &tls.cert_pem);
            write_private(&key, &tls.key_pem);
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert.display(),
                key.display()
            ));
            // The password role only over TLS and only with its password;
            // the rest as initdb's `trust`.
            let hba = data.join("pg_hba.conf");
            let rest = std::fs::read_to_string(&hba).unwrap();
            let rules = format!(
                "hostssl all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n\
                 host all {PASSWORD_ROLE} 127.0.0.1/32 reject\n{rest}"
            );
            std::fs::write(&hba, rules).unwrap();
        }
        let log = dir.path().join("log");
        run(
            "pg_ctl",
            &[
                "-D",
                data_s,
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        let cluster = Cluster {
            _dir: dir,
            data,
            bin,
            port,
        };
        let mut admin = postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls)
            .expect("connect to the new cluster");
        admin.batch_execute("CREATE DATABASE tidings").unwrap();
        if tls.is_some() {
            admin
                .batch_execute(&format!(
                    "CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}';
                     ALTER DATABASE tidings OWNER TO {PASSWORD_ROLE}"
                ))
                .unwrap();
        }
        Some(cluster)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://tidings@127.0.0.1:{}/{db}", self.port)
    }

    /// The server's port on 127.0.0.1.
    #[allow(dead_code)]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's main process (its children are the backends): the
    /// fleet bench reads its CPU.
    #[allow(dead_code)]
    pub fn postmaster_pid(&self) -> u32 {
        let pid = std::fs::read_to_string(self.data.join("postmaster.pid")).unwrap_or_default();
        pid.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0)
    }

    /// A worker's own connection to the test database.
    pub fn store(&self) -> PgStore {
        PgStore::connect(&self.url("tidings"), None, None).expect("connect")
    }
}

impl Cluster {
    /// Stops the server and starts it again on the same port: every
    /// connection is cut.
    pub fn restart(&self) {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        // Its log to a file, as at start: a server holding pg_ctl's stdout
        // would keep `output()` waiting for ever.
        let log = self.data.with_file_name("log");
        cmd.args([
            "-D",
            self.data.to_str().unwrap(),
            "-l",
            log.to_str().unwrap(),
        ]);
        cmd.args(["-m", "fast", "-w", "restart"]);
        if is_root() {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        let out = cmd.output().expect("pg_ctl restart");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.args([
            "-D",
            self.data.to_str().unwrap(),
            "-m",
            "immediate",
            "-w",
            "stop",
        ]);
        if is_root() {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        let _ = cmd.output();
    }
}
