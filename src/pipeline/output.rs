//! Where a report goes: standard output (colour per terminal and `NO_COLOR`), or a file written
//! through a temporary name, or a device or pipe written in place.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Why a report could not be written; names the destination and what to check.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write to standard output: {0}")]
    Stdout(io::Error),
    #[error("cannot write the report to {path}: {source}; check the folder exists and is writable")]
    File { path: String, source: io::Error },
}

/// Writes a report to standard output, or to a file through a temporary name so that a failed
/// run never leaves a half report under the final name. A closed pipe (`| head`) is the
/// reader's choice, not an error: nothing about the output may stop a run before its restore.
pub fn emit(path: Option<&Path>, render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), OutputError> {
    let Some(path) = path else {
        let mut out = anstream::stdout().lock();
        return match render(&mut out).and_then(|()| out.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r.map_err(OutputError::Stdout),
        };
    };
    let file_err = |source| OutputError::File { path: path.display().to_string(), source };
    // A device or a pipe (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is written in place:
    // renaming a temporary file over it would replace the device with a regular file (as root,
    // `/dev/null` itself).
    if fs::metadata(path).is_ok_and(|m| !m.file_type().is_file() && !m.is_dir()) {
        let mut rendered = Vec::new();
        let written = render(&mut rendered).and_then(|()| {
            let plain = without_colours(&rendered);
            let mut out = fs::OpenOptions::new().write(true).open(path)?;
            out.write_all(&plain)?;
            out.flush()
        });
        return match written {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r.map_err(file_err),
        };
    }
    let tmp = path.with_extension("ils-doctor-tmp");
    let write = || -> io::Result<()> {
        let mut rendered = Vec::new();
        render(&mut rendered)?;
        // A file never gets terminal colours.
        let plain = without_colours(&rendered);
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&plain)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write()
        .inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
        .map_err(file_err)
}

/// The rendered report without terminal escapes; most formats have none to strip.
fn without_colours(rendered: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if memchr::memchr(0x1b, rendered).is_none() {
        return std::borrow::Cow::Borrowed(rendered);
    }
    std::borrow::Cow::Owned(anstream::adapter::strip_bytes(rendered).into_vec())
}
