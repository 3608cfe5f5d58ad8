//! Network layer: the mio WebSocket event loop, protocol v1 codec and client library (issue #3; not built yet).
