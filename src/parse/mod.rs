//! Reading CUCM SDL trace text: pure functions over bytes and readers, no files or sockets.
//!
//! - [`header`]: one line's `NNNNNNNN.NNN |HH:MM:SS.mmm |Tag |payload` header;
//! - [`filehead`]: the FileHead record (date, UTC offset, host);
//! - [`clock`]: midnight roll-over, times of day → (day, time) stamps;
//! - [`scan`]: the fast path: find the lines holding catalog anchors in whole buffers;
//! - [`records`]: the complete reader (every line, continuation lines joined).
//!
//! Everything here is total: any byte sequence gives a result, never a panic (property-tested in
//! `tests/totality.rs`).

pub mod cert;
pub mod chunk;
pub mod clock;
pub mod filehead;
pub mod header;
pub mod records;
pub mod scan;
pub mod transcript;

pub use clock::{Clock, Stamp};
pub use filehead::FileHead;
pub use scan::{Hit, Prefilter, ScanReport, Scanner};
