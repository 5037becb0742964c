//! The systemd notification protocol: newline-separated `KEY=VALUE`
//! assignments sent as one datagram to the AF_UNIX socket named by
//! `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace).
//!
//! Written by hand: the protocol is a single `sendto`, not worth a crate.
//! Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op. A failed
//! send is reported to the caller and never stops the daemon. Reads no
//! environment itself except in [`Notifier::from_env`].

use std::ffi::OsStr;
use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// Where notifications go; `None` when not started by systemd.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
}

/// Why `$NOTIFY_SOCKET` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("NOTIFY_SOCKET={0:?}: not an absolute path or @abstract name")]
    BadAddress(String),
    #[error("NOTIFY_SOCKET={path:?}: {source}")]
    Io { path: String, source: io::Error },
}

impl Notifier {
    /// A notifier that sends nothing.
    pub fn disabled() -> Notifier {
        Notifier { target: None }
    }

    /// The notifier for `$NOTIFY_SOCKET`, or a disabled one when unset.
    pub fn from_env() -> Result<Notifier, NotifyError> {
        match std::env::var_os("NOTIFY_SOCKET") {
            Some(s) if !s.is_empty() => Notifier::to(&s),
            _ => Ok(Notifier::disabled()),
        }
    }

    /// A notifier sending to the given socket address.
    pub fn to(socket: &OsStr) -> Result<Notifier, NotifyError> {
        let text = socket.to_string_lossy().into_owned();
        let addr = parse_address(socket).ok_or_else(|| NotifyError::BadAddress(text.clone()))?;
        let addr = addr.map_err(|source| NotifyError::Io {
            path: text.clone(),
            source,
        })?;
        let sock =
            UnixDatagram::unbound().map_err(|source| NotifyError::Io { path: text, source })?;
        Ok(Notifier {
            target: Some((sock, addr)),
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// Sends one message of `KEY=VALUE` lines.
    pub fn send(&self, message: &str) -> io::Result<()> {
        match &self.target {
            Some((sock, addr)) => sock.send_to_addr(message.as_bytes(), addr).map(drop),
            None => Ok(()),
        }
    }

    pub fn ready(&self, status: &str) -> io::Result<()> {
        self.send(&format!("READY=1\nSTATUS={}", one_line(status)))
    }

    pub fn status(&self, status: &str) -> io::Result<()> {
        self.send(&format!("STATUS={}", one_line(status)))
    }

    pub fn watchdog(&self) -> io::Result<()> {
        self.send("WATCHDOG=1")
    }

    pub fn reloading(&self) -> io::Result<()> {
        self.send("RELOADING=1\nSTATUS=reloading the config")
    }

    pub fn stopping(&self, status: &str) -> io::Result<()> {
        self.send(&format!("STOPPING=1\nSTATUS={}", one_line(status)))
    }
}

/// A STATUS value must stay on one line: a newline would start a new
/// assignment, which a feed name or an error message must not be able to do.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// `/path` or `@abstract`; `None` for anything else.
fn parse_address(socket: &OsStr) -> Option<io::Result<SocketAddr>> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = socket.as_bytes();
    match bytes.first()? {
        b'/' => Some(SocketAddr::from_pathname(socket)),
        b'@' => Some(abstract_address(&bytes[1..])),
        _ => None,
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_address(name: &[u8]) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_address(_: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract sockets exist only on Linux",
    ))
}

/// The watchdog period systemd expects, from `$WATCHDOG_USEC` and
/// `$WATCHDOG_PID` (the values are arguments: this function reads nothing).
/// `None` when there is no watchdog, it is meant for another process, or the
/// values are malformed.
pub fn watchdog_period(usec: Option<&str>, pid: Option<&str>, own_pid: u32) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok()? != own_pid {
            return None;
        }
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_period_needs_our_pid_and_a_positive_number() {
        let d = Some(Duration::from_secs(2));
        assert_eq!(watchdog_period(Some("2000000"), None, 7), d);
        assert_eq!(watchdog_period(Some("2000000"), Some("7"), 7), d);
        assert_eq!(watchdog_period(Some("2000000"), Some("8"), 7), None);
        assert_eq!(watchdog_period(Some("0"), None, 7), None);
        assert_eq!(watchdog_period(Some("soon"), None, 7), None);
        assert_eq!(watchdog_period(None, Some("7"), 7), None);
        assert_eq!(watchdog_period(Some("1"), Some("x"), 7), None);
    }

    #[test]
    fn messages_reach_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::to(path.as_os_str()).unwrap();
        assert!(n.is_enabled());
        n.ready("indexing\ndone").unwrap();
        n.watchdog().unwrap();
        let mut buf = [0u8; 256];
        let len = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\nSTATUS=indexing done");
        let len = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"WATCHDOG=1");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn messages_reach_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("tidings-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let server = UnixDatagram::bind_addr(&addr).unwrap();
        let n = Notifier::to(OsStr::new(&format!("@{name}"))).unwrap();
        n.stopping("bye").unwrap();
        let mut buf = [0u8; 64];
        let len = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"STOPPING=1\nSTATUS=bye");
    }

    #[test]
    fn bad_addresses_are_named_and_no_socket_is_a_no_op() {
        assert!(matches!(
            Notifier::to(OsStr::new("relative/path")),
            Err(NotifyError::BadAddress(_))
        ));
        assert!(Notifier::to(OsStr::new("")).is_err());
        let off = Notifier::disabled();
        assert!(!off.is_enabled());
        off.ready("x").unwrap();
    }
}
