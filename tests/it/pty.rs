//! Runs the binary with its standard output and error on a pseudo-terminal,
//! to test what a person at a terminal sees (colours, messages only a
//! terminal gets).

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, ExitStatus, Stdio};

/// Runs `cmd` with stdout and stderr on a new pty; returns its status and
/// everything it wrote there.
pub fn run_on_tty(cmd: &mut Command) -> (ExitStatus, String) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the ints it is given;
    // the null pointers ask for no name, termios or window size.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("run tidings");
    // The command still holds the parent's copies of the slave: replacing
    // them closes them, so that reading ends (EIO) when the child exits.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut out = Vec::new();
    let mut file = std::fs::File::from(master);
    let mut buf = [0u8; 4096];
    loop {
        match file.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    let status = child.wait().unwrap();
    (status, String::from_utf8_lossy(&out).into_owned())
}
