//! Getting a trace file's text: plain, gzip, or `.gzo`.
//!
//! Measured on this project's machine kind: libdeflate on whole 1 MiB files decompresses ~2x faster than flate2's
//! streaming decoder, so a gzip file whose size (from the gzip trailer) is modest is decompressed
//! at once into a reused buffer; a bigger one, a multi-member one, or one that libdeflate refuses
//! (truncated, corrupt) is streamed through flate2, which yields everything up to the damage.
//! Compression is recognised by the gzip magic bytes, not the name: `.gzo` is the file CUCM is
//! still writing and the tools in the field disagree on whether it is gzip (docs/cucm-notes.md#gzo).

use std::io::Read;

/// Largest decompressed size handled in one piece; larger files are streamed (bounded memory).
pub const MAX_WHOLE_OUTPUT: usize = 32 << 20;

pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// The decompressed size the gzip trailer claims (ISIZE, modulo 2^32).
pub fn gzip_claimed_size(data: &[u8]) -> Option<usize> {
    let tail: [u8; 4] = data.get(data.len().checked_sub(4)?..)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(tail)).ok()
}

/// Decompresses a whole single-member gzip file into `out[..n]` (grown to fit; its length is not
/// the file's). Returns `n`; `None` when it does not decompress cleanly in one piece or would be larger than `max`: stream it instead.
pub fn gunzip_whole(
    decompressor: &mut libdeflater::Decompressor,
    data: &[u8],
    out: &mut Vec<u8>,
    max: usize,
) -> Option<usize> {
    let claimed = gzip_claimed_size(data)?;
    // Trace text compresses about 5-20x; a claim far outside that means a damaged trailer.
    if claimed > max || claimed < data.len() / 4 {
        return None;
    }
    // Grow only: zero-filling a 1 MiB buffer for every file costs more than the bytes it saves.
    if out.len() < claimed {
        out.resize(claimed, 0);
    }
    let buf = out.get_mut(..claimed)?;
    match decompressor.gzip_decompress(data, buf) {
        Ok(n) if n == claimed => Some(n),
        _ => None,
    }
}

/// A streaming decoder for anything [`gunzip_whole`] declined.
pub fn gunzip_stream<R: Read>(reader: R) -> flate2::read::MultiGzDecoder<R> {
    flate2::read::MultiGzDecoder::new(reader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn whole_and_streamed_agree() {
        let text: Vec<u8> =
            (0..20_000).flat_map(|i| format!("{i:08}.000 |10:00:00.000 |AppInfo  |line {i}\n").into_bytes()).collect();
        let packed = gz(&text);
        let mut d = libdeflater::Decompressor::new();
        let mut out = Vec::new();
        assert_eq!(gunzip_whole(&mut d, &packed, &mut out, MAX_WHOLE_OUTPUT), Some(text.len()));
        assert_eq!(out, text);
        // A smaller file after a bigger one: the buffer is reused, the size returned is exact.
        let small = b"00000001.000 |10:00:00.000 |AppInfo  |x\n";
        assert_eq!(gunzip_whole(&mut d, &gz(small), &mut out, MAX_WHOLE_OUTPUT), Some(small.len()));
        assert_eq!(&out[..small.len()], small);
        let mid: Vec<u8> = text[..text.len() / 2].to_vec();
        let n = gunzip_whole(&mut d, &gz(&mid), &mut out, MAX_WHOLE_OUTPUT).unwrap();
        assert_eq!(&out[..n], &mid[..]);
        let mut streamed = Vec::new();
        gunzip_stream(&packed[..]).read_to_end(&mut streamed).unwrap();
        assert_eq!(streamed, text);
    }

    #[test]
    fn truncated_gzip_is_declined_whole_and_salvaged_streamed() {
        let text: Vec<u8> =
            (0..20_000).flat_map(|i| format!("{i:08}.000 |10:00:00.000 |AppInfo  |line {i}\n").into_bytes()).collect();
        let packed = gz(&text);
        let cut = &packed[..packed.len() / 2];
        let mut d = libdeflater::Decompressor::new();
        assert_eq!(gunzip_whole(&mut d, cut, &mut Vec::new(), MAX_WHOLE_OUTPUT), None);
        let mut salvaged = Vec::new();
        let err = gunzip_stream(cut).read_to_end(&mut salvaged);
        assert!(err.is_err());
        // read_to_end keeps what it read before the error.
        assert!(salvaged.len() > text.len() / 4 && text.starts_with(&salvaged));
    }

    #[test]
    fn magic() {
        assert!(is_gzip(&[0x1f, 0x8b, 8]));
        assert!(!is_gzip(b"00000001.000"));
        assert_eq!(gzip_claimed_size(&[1, 2]), None);
    }
}
