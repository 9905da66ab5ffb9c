//! Gathering trace files: from local folders now; from publishers over SSH and SOAP later
//! (issue 5). Nothing here parses SDL: it finds files and hands out their bytes.

pub mod certs;
pub mod decompress;
pub mod download;
pub mod facts;
pub mod local;
pub mod publisher;
pub mod trace_level;
