//! Socket calls `mio` does not offer: a listener with a real accept queue, the kernel send
//! buffer size and its unsent byte count.
//!
//! The standard library (and `mio`) listen with an accept queue of 128. When more clients connect
//! at once than the queue holds (a hand-off burst, everyone coming back after a restart), the
//! kernel drops their SYNs and each of them waits a whole SYN retransmission timeout (1 s, then
//! 3 s) before it tries again: [`bind_listener`] asks for a queue as large as the kernel allows.
//!
//! The outbound policy (`outq.rs`) must see the whole backlog, not only the user-space queue:
//! `SO_SNDBUF` bounds the kernel's share, and the unsent-bytes query tells how much of it the peer
//! has not acknowledged yet. Both are best effort: an error leaves the socket as it was.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

/// A TCP listener on `addr` (address reuse on, as the standard library sets it) whose accept
/// queue holds `backlog` connections; the kernel caps it at `net.core.somaxconn` (4096 on Linux
/// since 5.4).
pub fn bind_listener(addr: SocketAddr, backlog: u32) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

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
    fn a_listener_queues_a_burst_of_connections_larger_than_128() {
        let listener = bind_listener("127.0.0.1:0".parse().unwrap(), 1024).unwrap();
        let addr = listener.local_addr().unwrap();
        // Nobody accepts: every connection waits in the accept queue. With the standard
        // library's 128 the SYNs past it are dropped and the connects time out. (The kernel's
        // own cap, `somaxconn`, is 4096 on current Linux.)
        let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn");
        let n = cap.ok().and_then(|c| c.trim().parse().ok()).unwrap_or(300).min(300);
        let waiting: Vec<TcpStream> = (0..n)
            .map(|_| {
                TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500)).expect("queued")
            })
            .collect();
        assert_eq!(waiting.len(), n);
        assert!(listener.accept().is_ok());
    }

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
