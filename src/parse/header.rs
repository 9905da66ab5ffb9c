//! The fixed header of one physical SDL trace line.
//!
//! Form (docs/cucm-notes.md#sdl-line, confirmed by every technote line):
//! `NNNNNNNN.NNN |HH:MM:SS.mmm |Tag      |payload`. The tag is padded with spaces; the payload is
//! everything after the third `|`. A line that does not have this form is a continuation of the
//! previous record (or not SDL at all): [`parse`] returns `None` for it and never panics.
//!
//! This runs on every line in the full reader, so it is a hand-written byte scanner rather than a
//! regex: fixed offsets first, with a tolerant path for extra spaces before the `|`.

/// The parsed header of an SDL line. Borrowed from the line, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The 8-digit record number (`NNNNNNNN`). Lines of one processing step share it.
    pub seq: u32,
    /// The 3-digit sub-number after the dot.
    pub sub: u16,
    /// Time of day in milliseconds since midnight, in the trace's own local time.
    pub time_ms: u32,
    /// The tag (`AppInfo`, `SdlSig`, `FileHead`, ...) without padding.
    pub tag: &'a [u8],
    /// Everything after the `|` that closes the tag, untrimmed.
    pub payload: &'a [u8],
}

/// Parses the header of one physical line (without its line ending).
#[inline]
pub fn parse(line: &[u8]) -> Option<Header<'_>> {
    let seq = digits(line.get(0..8)?)?;
    if *line.get(8)? != b'.' {
        return None;
    }
    let sub = digits(line.get(9..12)?)?;
    let rest = skip_bar(line.get(12..)?)?;
    let time_ms = time_of_day(rest.get(0..12)?)?;
    let rest = skip_bar(rest.get(12..)?)?;
    let bar = memchr::memchr(b'|', rest)?;
    let tag = trim_end(rest.get(..bar)?);
    let payload = rest.get(bar.checked_add(1)?..)?;
    Some(Header { seq, sub: u16::try_from(sub).ok()?, time_ms, tag, payload })
}

/// Parses `HH:MM:SS.mmm` into milliseconds since midnight.
#[inline]
pub fn time_of_day(t: &[u8]) -> Option<u32> {
    let &[h0, h1, b':', m0, m1, b':', s0, s1, b'.', ms0, ms1, ms2] = t else {
        return None;
    };
    let h = digits(&[h0, h1])?;
    let m = digits(&[m0, m1])?;
    let s = digits(&[s0, s1])?;
    let ms = digits(&[ms0, ms1, ms2])?;
    // 60 seconds is allowed for a leap second; 24 hours is not a time of day.
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(ms_of_day(h, m, s, ms))
}

/// Milliseconds since midnight of a time already range-checked.
#[inline]
// h ≤ 23, m ≤ 59, s ≤ 60 and ms ≤ 999 (three digits): the result is below 86,401,000.
#[allow(clippy::arithmetic_side_effects)]
fn ms_of_day(h: u32, m: u32, s: u32, ms: u32) -> u32 {
    ((h * 60 + m) * 60 + s) * 1000 + ms
}

/// Skips optional spaces, then one `|`.
#[inline]
fn skip_bar(s: &[u8]) -> Option<&[u8]> {
    let spaces = s.iter().take_while(|&&b| b == b' ').count();
    match s.get(spaces) {
        Some(b'|') => s.get(spaces.checked_add(1)?..),
        _ => None,
    }
}

#[inline]
fn digits(d: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &b in d {
        let x = b.wrapping_sub(b'0');
        if x > 9 {
            return None;
        }
        // At most eight digits are read (a sequence number), so this never overflows; a
        // longer run would read as no number rather than wrap.
        v = v.checked_mul(10)?.checked_add(u32::from(x))?;
    }
    Some(v)
}

fn trim_end(s: &[u8]) -> &[u8] {
    s.trim_ascii_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technote_appinfo_line() {
        let l = b"00154617.002 |16:58:42.888 |AppInfo  |IlsD Ils::ConnectInd TCPPid([1, 600, 13, 5])";
        let h = parse(l).unwrap();
        assert_eq!(h.seq, 154617);
        assert_eq!(h.sub, 2);
        assert_eq!(h.time_ms, ((16 * 60 + 58) * 60 + 42) * 1000 + 888);
        assert_eq!(h.tag, b"AppInfo");
        assert_eq!(h.payload, b"IlsD Ils::ConnectInd TCPPid([1, 600, 13, 5])");
    }

    #[test]
    fn sdlsig_payload_keeps_its_bars() {
        let l = b"00000064.000 |08:06:58.802 |SdlSig   |SdlConnectRsp   |wait   |Ils(1,600,20,1)";
        let h = parse(l).unwrap();
        assert_eq!(h.tag, b"SdlSig");
        assert_eq!(h.payload, b"SdlConnectRsp   |wait   |Ils(1,600,20,1)");
    }

    #[test]
    fn filehead_tag() {
        let l = b"28147301.000 |00:00:00.206 |FileHead |UTC:-05:00,Date: 2024/08/13";
        assert_eq!(parse(l).unwrap().tag, b"FileHead");
    }

    #[test]
    fn rejects_continuations_and_garbage() {
        for l in [
            &b""[..],
            b"Via: SIP/2.0/TCP 10.0.0.1",
            b"0015461.002 |16:58:42.888 |AppInfo  |x",
            b"00154617.002 |25:58:42.888 |AppInfo  |x",
            b"00154617.002 |16:58:42.888 AppInfo  x",
            b"00154617.002 |16:58:42.8",
            b"\xff\xfe\x00",
        ] {
            assert_eq!(parse(l), None, "{:?}", String::from_utf8_lossy(l));
        }
    }

    #[test]
    fn time_of_day_bounds() {
        assert_eq!(time_of_day(b"00:00:00.000"), Some(0));
        assert_eq!(time_of_day(b"23:59:59.999"), Some(86_399_999));
        assert_eq!(time_of_day(b"23:60:00.000"), None);
    }
}
