//! The server side of the HTTP upgrade (RFC 6455 §4.2), done here rather than by tungstenite so
//! that a request that is not a valid WebSocket upgrade gets an HTTP answer.
//!
//! The request head is buffered without blocking (resumed on readiness) up to a size limit,
//! parsed with `httparse` and checked. A valid upgrade is answered `101 Switching Protocols`;
//! the bytes read after the head belong to the WebSocket. Anything else gets an HTTP error
//! status (400, 405, 426, 431) with a one-line text body, and the caller closes the connection
//! cleanly (write side shut after the flush, input drained). When the server has [`Pages`], a
//! `GET` or `HEAD` without an `Upgrade` header is answered with a page (or 404) instead, and
//! the connection closes the same way.

use std::io::{self, Read};

use bytes::Bytes;
use httparse::{Request, Status};
use tungstenite::handshake::derive_accept_key;

use crate::outq::Sock;
use crate::pages::Pages;

/// Most header lines accepted in a request head (more: 431).
const MAX_HEADERS: usize = 64;

/// Bytes read from the socket per read call while the head is incomplete.
const READ_CHUNK: usize = 1024;

/// Why an upgrade request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not parseable as an HTTP/1.x request head.
    Malformed,
    /// A method other than GET.
    Method,
    /// HTTP/1.0 (an upgrade needs HTTP/1.1).
    OldHttp,
    /// No `Upgrade: websocket` or no `Connection: Upgrade`.
    NotUpgrade,
    /// No `Sec-WebSocket-Version` header.
    MissingVersion,
    /// A `Sec-WebSocket-Version` other than 13.
    UnsupportedVersion,
    /// `Sec-WebSocket-Key` missing, repeated, or not 16 bytes in base64.
    BadKey,
    /// The head is longer than the limit or has too many header lines.
    HeadTooLarge,
}

impl Refusal {
    /// Status code and reason phrase.
    pub(crate) fn status(self) -> (u16, &'static str) {
        match self {
            Refusal::Method => (405, "Method Not Allowed"),
            Refusal::UnsupportedVersion => (426, "Upgrade Required"),
            Refusal::HeadTooLarge => (431, "Request Header Fields Too Large"),
            _ => (400, "Bad Request"),
        }
    }

    /// The one-line text body.
    fn body(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed HTTP request\n",
            Refusal::Method => "only GET can upgrade to a WebSocket\n",
            Refusal::OldHttp => "a WebSocket upgrade needs HTTP/1.1\n",
            Refusal::NotUpgrade => "this endpoint only accepts WebSocket upgrades\n",
            Refusal::MissingVersion => "missing Sec-WebSocket-Version\n",
            Refusal::UnsupportedVersion => "unsupported WebSocket version: this server speaks 13\n",
            Refusal::BadKey => "missing or invalid Sec-WebSocket-Key\n",
            Refusal::HeadTooLarge => "request head too large\n",
        }
    }

    /// A header the status calls for (RFC 6455 §4.2.2, RFC 9110 §15.5.6).
    fn extra_header(self) -> &'static str {
        match self {
            Refusal::Method => "Allow: GET\r\n",
            Refusal::UnsupportedVersion => "Sec-WebSocket-Version: 13\r\n",
            _ => "",
        }
    }

    /// The full HTTP response; a HEAD request gets the headers without the body.
    pub(crate) fn response(self, head_request: bool) -> Vec<u8> {
        let (code, phrase) = self.status();
        let body = self.body();
        let mut out = format!(
            "HTTP/1.1 {code} {phrase}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {}\r\n{}\r\n",
            body.len(),
            self.extra_header()
        );
        if !head_request {
            out.push_str(body);
        }
        out.into_bytes()
    }
}

/// How the upgrade ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `101` queued; these bytes were read after the head and belong to the WebSocket.
    Upgraded(Vec<u8>),
    /// An error response was queued; close the connection.
    Refused(Refusal),
    /// A page (`found`) or a 404 was queued for a plain request.
    Page {
        /// The path named a page.
        found: bool,
        /// The connection stays open for the next request (HTTP/1.1 keep-alive): keep this
        /// `Upgrade`, which holds any bytes the client sent past the request; else close.
        keep_alive: bool,
    },
    /// EOF or a socket error before the head was complete: drop without a reply.
    Lost(io::Error),
}

/// Most page requests one connection may make; the last one's answer closes it.
const MAX_PAGES_PER_CONN: u32 = 100;

/// While more than this is queued for a connection (a client asking faster than it reads), a
/// page answer closes the connection instead of keeping it open for more.
const KEEP_ALIVE_MAX_QUEUED: usize = 1 << 20;

/// The request head read so far.
#[derive(Debug)]
pub(crate) struct Upgrade {
    head: Vec<u8>,
    limit: usize,
    /// Page requests answered on this connection.
    pages_served: u32,
    /// `head` holds bytes sent past the last answered request: parse them before reading more.
    pipelined: bool,
}

impl Upgrade {
    /// An empty head that may grow to `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Upgrade { head: Vec::new(), limit, pages_served: 0, pipelined: false }
    }

    /// True once a page was answered on this connection (its end is then a normal end).
    pub(crate) fn served_pages(&self) -> bool {
        self.pages_served > 0
    }

    /// True when bytes of a next request are already buffered (the caller resumes the
    /// connection: no readiness event will announce them).
    pub(crate) fn has_pipelined(&self) -> bool {
        self.pipelined
    }

    /// Reads what the socket has (within its turn budget) and answers once the head is complete;
    /// `None`: not complete yet, resume on readiness. With `pages`, plain requests get pages.
    pub(crate) fn advance(&mut self, sock: &mut Sock, pages: Option<&Pages>) -> Option<Outcome> {
        if std::mem::take(&mut self.pipelined)
            && let Some(outcome) = self.try_answer(sock, pages)
        {
            return Some(outcome);
        }
        loop {
            let len = self.head.len();
            let room = (self.limit - len).min(READ_CHUNK);
            if room == 0 {
                return Some(refuse(sock, Refusal::HeadTooLarge, false));
            }
            self.head.resize(len + room, 0);
            let read = sock.read(&mut self.head[len..]);
            self.head.truncate(len + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => return Some(Outcome::Lost(io::ErrorKind::UnexpectedEof.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Outcome::Lost(e)),
            }
            if let Some(outcome) = self.try_answer(sock, pages) {
                return Some(outcome);
            }
        }
    }

    /// Parses the head; `None` while it is incomplete and under the limit.
    fn try_answer(&mut self, sock: &mut Sock, pages: Option<&Pages>) -> Option<Outcome> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = Request::new(&mut headers);
        let parsed = req.parse(&self.head);
        if let Ok(Status::Complete(end)) = parsed
            && let Some(pages) = pages.filter(|_| is_page_request(&req))
        {
            let keep_alive = req.version == Some(1)
                && !has_token(&req, "Connection", b"close")
                && self.pages_served + 1 < MAX_PAGES_PER_CONN
                && sock.out.queued_bytes() < KEEP_ALIVE_MAX_QUEUED;
            let outcome = serve_page(sock, pages, &req, keep_alive);
            self.pages_served += 1;
            self.head.drain(..end);
            self.pipelined = !self.head.is_empty();
            return Some(outcome);
        }
        let (end, verdict) = match parsed {
            Ok(Status::Complete(end)) => (end, check(&req)),
            Ok(Status::Partial) => return None,
            Err(httparse::Error::TooManyHeaders) => (0, Err(Refusal::HeadTooLarge)),
            Err(_) => (0, Err(Refusal::Malformed)),
        };
        let head_request = req.method == Some("HEAD");
        Some(match verdict {
            Ok(accept) => {
                let reply = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Accept: {accept}\r\n\r\n"
                );
                sock.out.push_raw(Bytes::from(reply.into_bytes()));
                Outcome::Upgraded(self.head.split_off(end))
            }
            Err(refusal) => refuse(sock, refusal, head_request),
        })
    }
}

fn refuse(sock: &mut Sock, refusal: Refusal, head_request: bool) -> Outcome {
    sock.out.push_raw(Bytes::from(refusal.response(head_request)));
    Outcome::Refused(refusal)
}

/// A `GET` or `HEAD` without an `Upgrade` header: a browser asking for a page.
fn is_page_request(req: &Request<'_, '_>) -> bool {
    matches!(req.method, Some("GET" | "HEAD")) && values(req, "Upgrade").next().is_none()
}

/// Queues the page `req` names (or a 404).
fn serve_page(sock: &mut Sock, pages: &Pages, req: &Request<'_, '_>, keep_alive: bool) -> Outcome {
    let answer = pages.answer(req.path.unwrap_or("/"), req.method == Some("HEAD"), keep_alive);
    sock.out.push_raw(answer.head);
    if let Some(body) = answer.body {
        sock.out.push_raw(body);
    }
    Outcome::Page { found: answer.found, keep_alive }
}

/// Checks a complete request head (RFC 6455 §4.2.1); returns the `Sec-WebSocket-Accept` value.
fn check(req: &Request<'_, '_>) -> Result<String, Refusal> {
    if req.method != Some("GET") {
        return Err(Refusal::Method);
    }
    if req.version != Some(1) {
        return Err(Refusal::OldHttp);
    }
    if !has_token(req, "Upgrade", b"websocket") || !has_token(req, "Connection", b"upgrade") {
        return Err(Refusal::NotUpgrade);
    }
    match values(req, "Sec-WebSocket-Version").next() {
        None => return Err(Refusal::MissingVersion),
        Some(v) if v.trim_ascii() != b"13" => return Err(Refusal::UnsupportedVersion),
        Some(_) => {}
    }
    let mut keys = values(req, "Sec-WebSocket-Key");
    match (keys.next().map(<[u8]>::trim_ascii), keys.next()) {
        (Some(key), None) if valid_key(key) => Ok(derive_accept_key(key)),
        _ => Err(Refusal::BadKey),
    }
}

/// The values of every header line called `name`.
fn values<'r>(req: &'r Request<'_, '_>, name: &'static str) -> impl Iterator<Item = &'r [u8]> {
    req.headers.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value)
}

/// True if a comma-separated header `name` holds `token` (ASCII case-insensitive).
fn has_token(req: &Request<'_, '_>, name: &'static str, token: &[u8]) -> bool {
    values(req, name).any(|v| v.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token)))
}

/// A base64 encoding of exactly 16 bytes: 22 significant characters (the last one carrying two
/// bits, so one of `AQgw`) and `==`.
fn valid_key(key: &[u8]) -> bool {
    let b64 = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    key.len() == 24 && key[..22].iter().all(b64) && b"AQgw".contains(&key[21]) && &key[22..] == b"=="
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(head: &str) -> Result<String, Refusal> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = Request::new(&mut headers);
        assert!(req.parse(head.as_bytes()).unwrap().is_complete());
        check(&req)
    }

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn upgrade(extra: &str) -> String {
        format!("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n")
    }

    #[test]
    fn a_valid_upgrade_gets_the_rfc_accept_key() {
        let head = upgrade(&format!("Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n"));
        // The example of RFC 6455 §1.3.
        assert_eq!(verdict(&head), Ok("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into()));
        let head = "GET /x HTTP/1.1\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n\
                    sec-websocket-version: 13\r\nsec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n";
        assert!(verdict(head).is_ok());
    }

    #[test]
    fn each_defect_has_its_refusal() {
        let full = format!("Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n");
        assert_eq!(verdict(&upgrade(&full).replace("GET", "POST")), Err(Refusal::Method));
        assert_eq!(verdict(&upgrade(&full).replace("1.1", "1.0")), Err(Refusal::OldHttp));
        assert_eq!(verdict("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Err(Refusal::NotUpgrade));
        let no_version = format!("Sec-WebSocket-Key: {KEY}\r\n");
        assert_eq!(verdict(&upgrade(&no_version)), Err(Refusal::MissingVersion));
        let v8 = full.replace("13", "8");
        assert_eq!(verdict(&upgrade(&v8)), Err(Refusal::UnsupportedVersion));
        assert_eq!(verdict(&upgrade("Sec-WebSocket-Version: 13\r\n")), Err(Refusal::BadKey));
        let short = full.replace(KEY, "dGhlIHNhbXBsZQ==");
        assert_eq!(verdict(&upgrade(&short)), Err(Refusal::BadKey));
        let twice = format!("{full}Sec-WebSocket-Key: {KEY}\r\n");
        assert_eq!(verdict(&upgrade(&twice)), Err(Refusal::BadKey));
    }

    #[test]
    fn responses_carry_status_headers_and_body() {
        let r = String::from_utf8(Refusal::UnsupportedVersion.response(false)).unwrap();
        assert!(r.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{r}");
        assert!(r.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{r}");
        assert!(r.ends_with("\r\n\r\nunsupported WebSocket version: this server speaks 13\n"), "{r}");
        let r = String::from_utf8(Refusal::Method.response(true)).unwrap();
        assert!(r.starts_with("HTTP/1.1 405 ") && r.contains("Allow: GET\r\n") && r.ends_with("\r\n\r\n"));
    }
}
