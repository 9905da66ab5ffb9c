//! Gathering trace files and facts: from local folders (`local`), and from publishers over SSH and
//! SOAP (`publisher`, `download`, `facts`, `certs`, `trace_level`). Nothing here parses SDL: it finds
//! files and hands out their bytes.

pub mod certs;
pub mod decompress;
pub mod download;
pub mod facts;
pub mod local;
pub mod publisher;
pub mod state_file;
pub mod trace_level;
