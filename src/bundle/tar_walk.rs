//! A tar reader for untrusted archives that counts every byte itself.
//!
//! It walks the 512-byte header blocks of POSIX.1-1988 ustar, POSIX.1-2001 pax and GNU tar
//! (the formats GNU tar's manual, "Basic Tar Format" and "Extended header", describes), and
//! handles the records that change the next entry: a GNU long name (`L`) or long link (`K`), a
//! PAX extended header (`x`, whose `path` and `size` apply to the next entry) and a PAX global
//! header (`g`). Each such record is at most [`MAX_META`] bytes, refused from its header before
//! anything of it is read, so no record costs more memory than that; an entry has at most
//! [`MAX_META_CHAIN`] of them. What this reader cannot bound or does not need is refused, never
//! guessed: a base-256 size (only sizes beyond 8 GiB need it), GNU sparse entries (type `S`, or
//! PAX `GNU.sparse.*` keys: their real size is elsewhere than the header), a PAX global header
//! that sets a path or a size, a header whose checksum does not match, a directory with data.
//!
//! docs/bundles.md says what an archive may contain; `bundle::read` decides per entry.

use std::io::{self, Read};

/// Largest GNU long-name or long-link record, or PAX header, accepted (a path is a few KiB).
pub const MAX_META: u64 = 64 << 10;
/// Metadata records (`L`, `K`, `x`, `g`) accepted in a row before one entry.
pub const MAX_META_CHAIN: usize = 4;
/// Longest entry name shown in an error, in characters: a hostile name can be megabytes long.
pub const SHOWN_NAME_CHARS: usize = 160;

const BLOCK: usize = 512;

/// What an entry is, by its type flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    Symlink,
    HardLink,
    /// A character or block device, or a FIFO.
    Special,
    /// Any other type flag.
    Other(u8),
}

/// One entry's header, with the long name and PAX values applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("cannot read the archive: {0}")]
    Io(#[from] io::Error),
    #[error("entry {entry:?}: {reason}")]
    Refused { entry: String, reason: String },
    #[error("damaged tar stream: {0}")]
    Damaged(String),
}

/// A name cut to [`SHOWN_NAME_CHARS`] characters for messages, saying how long it was.
pub fn shown_name(name: &str) -> String {
    let mut chars = name.char_indices();
    match chars.nth(SHOWN_NAME_CHARS) {
        None => name.to_string(),
        Some((cut, _)) => {
            format!("{}… ({} bytes in all)", name.get(..cut).unwrap_or_default(), name.len())
        }
    }
}

/// Reads entries one after another: [`TarWalker::next_entry`], then the entry's data through
/// [`TarWalker::data`] (what is left unread is skipped by the next call).
pub struct TarWalker<R> {
    inner: R,
    /// Data bytes of the current entry not yet read, then its padding.
    left: u64,
    padding: u64,
    done: bool,
}

impl<R: Read> TarWalker<R> {
    pub fn new(inner: R) -> Self {
        TarWalker { inner, left: 0, padding: 0, done: false }
    }

    /// The current entry's data (at most its size).
    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData { walker: self }
    }

    /// The next entry, or None at the end of the archive (two zero blocks, or the end of the
    /// stream on a block boundary).
    pub fn next_entry(&mut self) -> Result<Option<Header>, TarError> {
        if self.done {
            return Ok(None);
        }
        let rest = self.left.saturating_add(self.padding);
        skip(&mut self.inner, rest)?;
        self.left = 0;
        self.padding = 0;
        let mut long_name: Option<String> = None;
        let mut pax = Pax::default();
        let mut chain = 0usize;
        loop {
            let Some(block) = self.block()? else {
                self.done = true;
                return Ok(None);
            };
            let raw_name = header_name(&block);
            let flag = block.get(156).copied().unwrap_or(0);
            verify_checksum(&block).map_err(|why| refused(&raw_name, why))?;
            let size = header_size(&block).map_err(|why| refused(&raw_name, why))?;
            if matches!(flag, b'L' | b'K' | b'x' | b'g') {
                chain = chain.saturating_add(1);
                if chain > MAX_META_CHAIN {
                    return Err(refused(
                        &raw_name,
                        format!("more than {MAX_META_CHAIN} long-name or PAX records before one entry"),
                    ));
                }
                if size > MAX_META {
                    return Err(refused(
                        &raw_name,
                        format!(
                            "a long-name or PAX record of {size} bytes, more than {} KiB (refused from its header)",
                            MAX_META >> 10
                        ),
                    ));
                }
                let body = self.meta_body(size)?;
                match flag {
                    b'L' => long_name = Some(c_string(&body)),
                    b'K' => {} // A link target: links are refused below anyway.
                    b'x' => pax.read(&body).map_err(|why| refused(&raw_name, why))?,
                    _ => {
                        let global = Pax::parse(&body).map_err(|why| refused(&raw_name, why))?;
                        if global.path.is_some() || global.size.is_some() {
                            return Err(refused(
                                &raw_name,
                                "a PAX global header setting a path or a size (not supported)",
                            ));
                        }
                    }
                }
                continue;
            }
            let name = pax.path.take().or(long_name.take()).unwrap_or(raw_name);
            let kind = match flag {
                b'0' | 0 | b'7' => Kind::File,
                b'5' => Kind::Directory,
                b'2' => Kind::Symlink,
                b'1' => Kind::HardLink,
                b'3' | b'4' | b'6' => Kind::Special,
                b'S' => return Err(refused(&name, "a GNU sparse entry (refused: its real size is not in the header)")),
                other => Kind::Other(other),
            };
            let size = pax.size.unwrap_or(size);
            if kind == Kind::Directory && size > 0 {
                return Err(refused(&name, "a directory with data"));
            }
            self.left = size;
            self.padding = pad(size);
            return Ok(Some(Header { name, kind, size }));
        }
    }

    /// One header block; None at the end of the archive.
    fn block(&mut self) -> Result<Option<[u8; BLOCK]>, TarError> {
        let mut block = [0u8; BLOCK];
        let mut filled = 0usize;
        while filled < BLOCK {
            let Some(room) = block.get_mut(filled..) else { break };
            let n = match self.inner.read(room) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                if filled == 0 {
                    return Ok(None);
                }
                return Err(TarError::Damaged("the archive ends inside a header".into()));
            }
            filled = filled.saturating_add(n);
        }
        if block.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        Ok(Some(block))
    }

    /// A metadata record's body (`size` was checked against [`MAX_META`]) and its padding.
    fn meta_body(&mut self, size: u64) -> Result<Vec<u8>, TarError> {
        let mut body = Vec::new();
        let got = (&mut self.inner).take(size).read_to_end(&mut body)?;
        if (got as u64) < size {
            return Err(TarError::Damaged("the archive ends inside a long-name or PAX record".into()));
        }
        skip(&mut self.inner, pad(size))?;
        Ok(body)
    }
}

/// The data of one entry: ends at the entry's size; a stream that ends early is an error.
pub struct EntryData<'a, R> {
    walker: &'a mut TarWalker<R>,
}

impl<R: Read> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let w = &mut *self.walker;
        if w.left == 0 {
            return Ok(0);
        }
        let max = usize::try_from(w.left).unwrap_or(usize::MAX).min(buf.len());
        let n = w.inner.read(buf.get_mut(..max).unwrap_or_default())?;
        if n == 0 && max > 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the archive ends inside an entry's data"));
        }
        w.left = w.left.saturating_sub(n as u64);
        Ok(n)
    }
}

fn refused(name: &str, reason: impl Into<String>) -> TarError {
    TarError::Refused { entry: shown_name(name), reason: reason.into() }
}

fn pad(size: u64) -> u64 {
    let block = BLOCK as u64;
    size.checked_rem(block).map_or(0, |r| block.saturating_sub(r)).checked_rem(block).unwrap_or(0)
}

/// Reads and drops `n` bytes; the stream ending first is damage.
fn skip(r: &mut impl Read, n: u64) -> Result<(), TarError> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(TarError::Damaged("the archive ends inside an entry".into()));
    }
    Ok(())
}

/// The bytes up to the first NUL, as text (invalid UTF-8 replaced).
fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or_default()).into_owned()
}

/// The header's own name: ustar's prefix and name (the prefix only with the POSIX magic; GNU
/// tar keeps other fields there).
fn header_name(h: &[u8; BLOCK]) -> String {
    let name = c_string(h.get(..100).unwrap_or_default());
    if h.get(257..263) == Some(b"ustar\0") {
        let prefix = c_string(h.get(345..500).unwrap_or_default());
        if !prefix.is_empty() {
            return format!("{prefix}/{name}");
        }
    }
    name
}

/// An octal field: leading spaces or NULs, digits, then a space or NUL or the field's end.
fn octal(field: &[u8]) -> Result<u64, String> {
    let mut n = 0u64;
    let mut digits = 0usize;
    let mut ended = false;
    for &b in field.iter().skip_while(|b| **b == b' ' || **b == 0) {
        if b == b' ' || b == 0 {
            ended = true;
            continue;
        }
        let Some(d) = char::from(b).to_digit(8).filter(|_| !ended) else {
            return Err("a numeric field that is not octal".into());
        };
        digits = digits.saturating_add(1);
        n = n.checked_mul(8).and_then(|n| n.checked_add(u64::from(d))).ok_or("a numeric field out of range")?;
    }
    if digits == 0 {
        return Ok(0);
    }
    Ok(n)
}

fn header_size(h: &[u8; BLOCK]) -> Result<u64, String> {
    let field = h.get(124..136).unwrap_or_default();
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        return Err("a base-256 size (refused: only entries beyond 8 GiB need it)".into());
    }
    octal(field)
}

/// The header checksum: the byte sum with the checksum field read as spaces (unsigned, or
/// signed as some old tars wrote it).
fn verify_checksum(h: &[u8; BLOCK]) -> Result<(), String> {
    let stored = octal(h.get(148..156).unwrap_or_default())?;
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned = unsigned.saturating_add(u64::from(b));
        signed = signed.saturating_add(i64::from(b as i8));
    }
    if stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed) {
        Ok(())
    } else {
        Err("a header whose checksum does not match (a damaged or forged archive)".into())
    }
}

/// What a PAX header sets for the next entry.
#[derive(Debug, Default)]
struct Pax {
    path: Option<String>,
    size: Option<u64>,
}

impl Pax {
    /// Records `LENGTH KEY=VALUE\n`, LENGTH counting the whole record (POSIX.1-2001, pax).
    fn parse(body: &[u8]) -> Result<Pax, String> {
        let mut pax = Pax::default();
        pax.read(body)?;
        Ok(pax)
    }

    fn read(&mut self, body: &[u8]) -> Result<(), String> {
        let mut rest = body;
        while !rest.is_empty() {
            if rest.iter().all(|&b| b == 0) {
                break;
            }
            let space = rest.iter().position(|&b| b == b' ').ok_or("a PAX record without its length")?;
            let len: usize = std::str::from_utf8(rest.get(..space).unwrap_or_default())
                .ok()
                .and_then(|s| s.parse().ok())
                .filter(|&l| l > space && l <= rest.len())
                .ok_or("a PAX record whose length does not fit")?;
            let record = rest.get(space.saturating_add(1)..len).unwrap_or_default();
            rest = rest.get(len..).unwrap_or_default();
            let record = record.strip_suffix(b"\n").ok_or("a PAX record not ended by a newline")?;
            let eq = record.iter().position(|&b| b == b'=').ok_or("a PAX record without `=`")?;
            let key = record.get(..eq).unwrap_or_default();
            let value = record.get(eq.saturating_add(1)..).unwrap_or_default();
            match key {
                b"path" => self.path = Some(String::from_utf8_lossy(value).into_owned()),
                b"size" => {
                    let size = std::str::from_utf8(value)
                        .ok()
                        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|s| s.parse::<u64>().ok())
                        .ok_or("a PAX size that is not a decimal number")?;
                    self.size = Some(size);
                }
                k if k.starts_with(b"GNU.sparse.") => {
                    return Err("a GNU sparse entry (refused: its real size is not in the header)".into())
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header block as the ustar format lays it out (name, mode, size, checksum, type).
    fn header(name: &str, flag: u8, size_field: &[u8]) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[124..124 + size_field.len()].copy_from_slice(size_field);
        h[156] = flag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    fn octal_size(n: u64) -> Vec<u8> {
        format!("{n:011o}\0").into_bytes()
    }

    fn padded(data: &[u8]) -> Vec<u8> {
        let mut v = data.to_vec();
        v.resize(data.len().div_ceil(BLOCK) * BLOCK, 0);
        v
    }

    fn pax_record(key: &str, value: &str) -> String {
        let body = format!(" {key}={value}\n");
        // The length counts its own digits.
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        format!("{len}{body}")
    }

    fn entries(raw: &[u8]) -> Result<Vec<(Header, Vec<u8>)>, TarError> {
        let mut w = TarWalker::new(raw);
        let mut out = Vec::new();
        while let Some(h) = w.next_entry()? {
            let mut data = Vec::new();
            w.data().read_to_end(&mut data)?;
            out.push((h, data));
        }
        Ok(out)
    }

    #[test]
    fn the_tar_crate_s_archives_read_back_with_long_names() {
        let mut b = tar::Builder::new(Vec::new());
        let long = format!("top/{}.txt", "n".repeat(150));
        for (name, data) in [("a.txt", &b"hello"[..]), (long.as_str(), &b"ok"[..])] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, data).unwrap();
        }
        let raw = b.into_inner().unwrap();
        let got = entries(&raw).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0.name.as_str(), got[0].1.as_slice()), ("a.txt", &b"hello"[..]));
        assert_eq!((got[1].0.name.as_str(), got[1].1.as_slice()), (long.as_str(), &b"ok"[..]));
    }

    #[test]
    fn pax_path_and_size_apply_to_the_next_entry_only() {
        let pax = pax_record("path", "dir/from-pax.txt") + &pax_record("size", "3");
        let mut raw = Vec::new();
        raw.extend(header("PaxHeader", b'x', &octal_size(pax.len() as u64)));
        raw.extend(padded(pax.as_bytes()));
        // The header says 0 bytes; the PAX size (3) wins.
        raw.extend(header("short", b'0', &octal_size(0)));
        raw.extend(padded(b"abc"));
        raw.extend(header("next.txt", b'0', &octal_size(2)));
        raw.extend(padded(b"xy"));
        let got = entries(&raw).unwrap();
        assert_eq!(got[0].0, Header { name: "dir/from-pax.txt".into(), kind: Kind::File, size: 3 });
        assert_eq!(got[0].1, b"abc");
        assert_eq!(got[1].0.name, "next.txt");
        assert_eq!(got[1].1, b"xy");
    }

    #[test]
    fn unboundable_records_are_refused_from_their_header() {
        // A long-name record over the bound: refused before its body is read.
        let mut raw = header("././@LongLink", b'L', &octal_size(256 << 20)).to_vec();
        raw.extend([b'a'; 1024]);
        let e = entries(&raw).unwrap_err().to_string();
        assert!(e.contains("268435456 bytes") && e.contains("refused from its header"), "{e}");
        // A base-256 size.
        let mut size = [0u8; 12];
        size[0] = 0x80;
        size[11] = 1;
        let e = entries(&header("big", b'0', &size)).unwrap_err().to_string();
        assert!(e.contains("base-256"), "{e}");
        // Sparse entries, by type and by PAX key.
        let e = entries(&header("sparse", b'S', &octal_size(0))).unwrap_err().to_string();
        assert!(e.contains("sparse"), "{e}");
        let pax = pax_record("GNU.sparse.size", "99999999999");
        let mut raw = header("PaxHeader", b'x', &octal_size(pax.len() as u64)).to_vec();
        raw.extend(padded(pax.as_bytes()));
        raw.extend(header("f", b'0', &octal_size(0)));
        assert!(entries(&raw).unwrap_err().to_string().contains("sparse"));
        // A PAX size that is not a number, and a forged checksum.
        let pax = pax_record("size", "-1");
        let mut raw = header("PaxHeader", b'x', &octal_size(pax.len() as u64)).to_vec();
        raw.extend(padded(pax.as_bytes()));
        assert!(entries(&raw).unwrap_err().to_string().contains("decimal"));
        let mut h = header("f", b'0', &octal_size(0));
        h[0] = b'g';
        assert!(entries(&h).unwrap_err().to_string().contains("checksum"));
    }

    #[test]
    fn chains_of_metadata_records_are_bounded() {
        let mut raw = Vec::new();
        for _ in 0..=MAX_META_CHAIN {
            raw.extend(header("././@LongLink", b'L', &octal_size(2)));
            raw.extend(padded(b"n\0"));
        }
        let e = entries(&raw).unwrap_err().to_string();
        assert!(e.contains("more than 4"), "{e}");
    }

    #[test]
    fn a_truncated_entry_is_damage_and_long_names_are_cut_in_messages() {
        let mut raw = header("f", b'0', &octal_size(1000)).to_vec();
        raw.extend([1u8; 10]);
        let mut w = TarWalker::new(raw.as_slice());
        w.next_entry().unwrap();
        assert!(w.data().read_to_end(&mut Vec::new()).is_err());
        let shown = shown_name(&"é".repeat(100_000));
        assert!(shown.chars().count() < SHOWN_NAME_CHARS + 40, "{shown}");
        assert!(shown.ends_with("(200000 bytes in all)"), "{shown}");
        assert_eq!(shown_name("short"), "short");
    }
}
