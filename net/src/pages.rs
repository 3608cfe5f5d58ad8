//! Static pages the game port answers plain HTTP requests with (a `GET` or `HEAD` without an
//! `Upgrade` header), so a browser that opens the server's address gets a page instead of an
//! error. The caller builds the table (path → content type and bytes); the server knows nothing
//! of what the pages are. Query strings are ignored for the lookup. Every answer closes the
//! connection, exactly like a refused upgrade.

use std::collections::HashMap;

use bytes::Bytes;

/// One page: its content type and its bytes (shared, never copied per request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The `Content-Type` header's value, e.g. `text/html; charset=utf-8`.
    pub content_type: String,
    /// The body.
    pub body: Bytes,
}

/// Pages by path (`/`, `/style.css`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pages {
    by_path: HashMap<String, Page>,
}

impl Pages {
    /// An empty table (every path answers 404).
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `body` at `path` (which starts with `/`) with `content_type`; replaces any page
    /// already there.
    pub fn insert(&mut self, path: impl Into<String>, content_type: impl Into<String>, body: Bytes) {
        self.by_path.insert(path.into(), Page { content_type: content_type.into(), body });
    }

    /// The page a request target names (its query string ignored).
    pub fn get(&self, target: &str) -> Option<&Page> {
        let path = target.split(['?', '#']).next().unwrap_or("");
        self.by_path.get(path)
    }

    /// Number of pages.
    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    /// True when there is no page.
    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// The paths served, in no particular order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_path.keys().map(String::as_str)
    }

    /// The answer to `target`: the response head, and the body unless `head_only` (a `HEAD`
    /// request). `200` with the page, or `404` with a one-line text. `keep_alive`: the connection
    /// stays open for the next request (else `Connection: close`).
    pub(crate) fn answer(&self, target: &str, head_only: bool, keep_alive: bool) -> Answer {
        let (status, content_type, body) = match self.get(target) {
            Some(page) => ("200 OK", page.content_type.as_str(), page.body.clone()),
            None => ("404 Not Found", TEXT, Bytes::from_static(NOT_FOUND)),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: {}\r\n\r\n",
            body.len(),
            if keep_alive { "keep-alive" } else { "close" }
        );
        let found = status.starts_with("200");
        Answer { head: Bytes::from(head.into_bytes()), body: (!head_only).then_some(body), found }
    }
}

const TEXT: &str = "text/plain; charset=utf-8";
const NOT_FOUND: &[u8] = b"no such page\n";

/// A page request's response.
#[derive(Debug)]
pub(crate) struct Answer {
    /// Status line and headers.
    pub(crate) head: Bytes,
    /// The body (`None` for `HEAD`).
    pub(crate) body: Option<Bytes>,
    /// A page was found (200), else 404.
    pub(crate) found: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> Pages {
        let mut p = Pages::new();
        p.insert("/", "text/html; charset=utf-8", Bytes::from_static(b"<!doctype html>hi"));
        p
    }

    #[test]
    fn a_known_path_gets_its_bytes_with_the_headers() {
        let a = pages().answer("/?server=ws://x/", false, false);
        let head = std::str::from_utf8(&a.head).unwrap();
        assert!(a.found);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        for h in [
            "Content-Type: text/html; charset=utf-8\r\n",
            "Content-Length: 17\r\n",
            "Cache-Control: no-cache\r\n",
            "X-Content-Type-Options: nosniff\r\n",
            "Connection: close\r\n",
        ] {
            assert!(head.contains(h), "{h} missing in {head}");
        }
        assert!(head.ends_with("\r\n\r\n"));
        assert_eq!(a.body.as_deref(), Some(&b"<!doctype html>hi"[..]));
    }

    #[test]
    fn head_has_no_body_and_unknown_paths_are_404() {
        let a = pages().answer("/", true, true);
        assert!(a.found && a.body.is_none());
        let head = std::str::from_utf8(&a.head).unwrap();
        assert!(head.contains("Content-Length: 17\r\n") && head.contains("Connection: keep-alive\r\n"));
        let a = pages().answer("/nope.js", false, false);
        assert!(!a.found);
        assert!(a.head.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
        assert_eq!(a.body.as_deref(), Some(NOT_FOUND));
    }
}
