//! Reading what a publisher gives (SDL trace text, `admin:` CLI output, certificates): pure
//! functions over bytes and readers, no files or sockets.
//!
//! - [`header`]: one line's `NNNNNNNN.NNN |HH:MM:SS.mmm |Tag |payload` header;
//! - [`filehead`]: the FileHead record (date, UTC offset, host);
//! - [`clock`]: midnight roll-over, times of day → (day, time) stamps;
//! - [`scan`]: the fast path: find the lines holding catalog anchors in whole buffers;
//! - [`records`]: the complete reader (every line, continuation lines joined);
//! - [`facts`], [`trust`], [`cert`], [`levels`]: a publisher's facts, tomcat-trust lists and
//!   certificates, trace level names: the plain values the analysis takes as input.
//!
//! Everything here is total: any byte sequence gives a result, never a panic (property-tested in
//! `tests/totality.rs`).

pub mod cert;
pub mod chunk;
pub mod clock;
pub mod facts;
pub mod filehead;
pub mod header;
pub mod levels;
pub mod records;
pub mod scan;
pub mod transcript;
pub mod trust;

pub use clock::{Clock, Stamp};
pub use filehead::FileHead;
pub use scan::{Hit, Prefilter, ScanReport, Scanner};
