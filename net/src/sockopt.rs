//! Socket calls `mio` does not offer: the kernel send buffer size and its unsent byte count.
//!
//! The outbound policy (`outq.rs`) must see the whole backlog, not only the user-space queue:
//! `SO_SNDBUF` bounds the kernel's share, and the unsent-bytes query tells how much of it the peer
//! has not acknowledged yet. Both are best effort: an error leaves the socket as it was.

use std::io;
use std::os::fd::AsFd;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::fd::AsRawFd;

use socket2::SockRef;

/// Sets `SO_SNDBUF` to `bytes`. Linux doubles the value (its bookkeeping share) and turns off
/// send-buffer autotuning for the socket, so the kernel holds at most about that much.
pub(crate) fn set_send_buffer(sock: &impl AsFd, bytes: usize) -> io::Result<()> {
    SockRef::from(sock).set_send_buffer_size(bytes)
}

/// Bytes written to the socket that the peer has not acknowledged yet: `SIOCOUTQ` (`TIOCOUTQ`
/// on Linux), sent but unacknowledged plus not yet sent. `None` if the query failed.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn unsent_bytes(sock: &impl AsFd) -> Option<usize> {
    let fd = sock.as_fd().as_raw_fd();
    let mut value: libc::c_int = 0;
    // SAFETY: `fd` stays open for the call (borrowed from `sock`), and TIOCOUTQ writes exactly
    // one `c_int` through the pointer, which points to a live local of that type.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &raw mut value) };
    if rc == 0 { usize::try_from(value).ok() } else { None }
}

/// Elsewhere the kernel's share is bounded by `SO_SNDBUF` alone: nothing to report.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn unsent_bytes(_sock: &impl AsFd) -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_bounded_send_buffer_holds_what_the_peer_does_not_read() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut tx = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_rx, _) = listener.accept().unwrap();
        set_send_buffer(&tx, 16 * 1024).unwrap();
        assert!(SockRef::from(&tx).send_buffer_size().unwrap() < 256 * 1024);
        assert_eq!(unsent_bytes(&tx).unwrap_or(0), 0);
        tx.set_nonblocking(true).unwrap();
        let chunk = [7u8; 4096];
        let mut written = 0;
        while let Ok(n) = tx.write(&chunk) {
            written += n;
            assert!(written < 64 << 20, "the kernel never pushed back");
        }
        if cfg!(any(target_os = "linux", target_os = "android")) {
            let unsent = unsent_bytes(&tx).unwrap();
            assert!(unsent > 0 && unsent <= written, "{unsent} of {written}");
        }
    }
}
