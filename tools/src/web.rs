//! The web pages embedded in the binary at compile time (`build.rs` lists `web/play/**` and
//! `web/map/**`): the play page the game port serves with `/content.json`, and the live map page
//! the admin port serves under `/map`. No files beside the binary, no bundler, no npm.

use game::Content;
use net::Bytes;
use net::Pages;

mod files {
    include!(concat!(env!("OUT_DIR"), "/web_files.rs"));
}

/// The `Content-Type` of a file by its extension (`application/octet-stream` when unknown).
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// The play page's files (path under `web/play`, bytes).
pub fn play_files() -> &'static [(&'static str, &'static [u8])] {
    files::PLAY
}

/// A live map page file by its path under `web/map` (`index.html`, `map.js`, ...).
pub fn map_file(name: &str) -> Option<&'static [u8]> {
    files::MAP.iter().find(|(path, _)| *path == name).map(|(_, bytes)| *bytes)
}

/// What the game port serves to a browser: every play file at `/<its path>`, `index.html` also
/// at `/`, and `/content.json` built from `content` for a shard ticking at `tick_hz`.
pub fn play_pages(content: &Content, tick_hz: u32) -> Pages {
    let mut pages = Pages::new();
    for (path, bytes) in play_files() {
        let body = Bytes::from_static(bytes);
        if *path == "index.html" {
            pages.insert("/", content_type(path), body.clone());
        }
        pages.insert(format!("/{path}"), content_type(path), body);
    }
    let doc = game::shard::client_content(content, tick_hz).to_string();
    pages.insert("/content.json", content_type("content.json"), Bytes::from(doc.into_bytes()));
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_play_page_and_the_content_are_served() {
        let pages = play_pages(&Content::builtin(), 20);
        let index = pages.get("/").expect("the play page at /");
        assert!(index.content_type.starts_with("text/html"));
        assert_eq!(pages.get("/index.html"), Some(index));
        let doc: serde_json::Value =
            serde_json::from_slice(&pages.get("/content.json").unwrap().body).unwrap();
        assert_eq!(doc["tick_hz"], 20);
        assert!(map_file("index.html").is_some(), "the map page is embedded");
        assert_eq!(content_type("js/zstd.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("a.png"), "image/png");
    }
}
