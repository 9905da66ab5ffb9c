//! The JSON contract: the analysis model serialised as is.

use std::io::{self, Write};

use crate::analyze::Analysis;

pub fn write(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    // Serialise first, so that a write error reaches the caller as the io::Error it is (a closed
    // pipe must stay recognisable).
    let mut text = serde_json::to_vec_pretty(analysis).map_err(io::Error::other)?;
    text.push(b'\n');
    out.write_all(&text)
}
