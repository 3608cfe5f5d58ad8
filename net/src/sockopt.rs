//! Socket options `mio` does not offer: the kernel send buffer size.
//!
//! The outbound policy (`outq.rs`) must see the whole backlog, not only the user-space queue:
//! `SO_SNDBUF` bounds the kernel's share. Best effort: an error leaves the socket as it was.

use std::io;
use std::os::fd::AsFd;

use socket2::SockRef;

/// Sets `SO_SNDBUF` to `bytes`. Linux doubles the value (its bookkeeping share) and turns off
/// send-buffer autotuning for the socket, so the kernel holds at most about that much.
pub(crate) fn set_send_buffer(sock: &impl AsFd, bytes: usize) -> io::Result<()> {
    SockRef::from(sock).set_send_buffer_size(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_bounded_send_buffer_pushes_back_early() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut tx = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_rx, _) = listener.accept().unwrap();
        set_send_buffer(&tx, 16 * 1024).unwrap();
        assert!(SockRef::from(&tx).send_buffer_size().unwrap() < 256 * 1024);
        tx.set_nonblocking(true).unwrap();
        let chunk = [7u8; 4096];
        let mut written = 0;
        while let Ok(n) = tx.write(&chunk) {
            written += n;
            assert!(written < 64 << 20, "the kernel never pushed back");
        }
    }
}
