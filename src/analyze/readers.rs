//! Hand-written readers for the catalog's most frequent line shapes: the lines a busy hub or
//! spoke writes for every connection and every encrypted ILS message at Detailed level (the
//! decrypt lines, `ConnectInd`, `New connection accepted`, `established`, `Close Req`, the
//! spoke's `ConnectReq` pair). On a dense trace these lines are a tenth of all lines, and a
//! regex search with captures costs more per line than everything else the analysis does.
//!
//! A reader is bound to one exact regex text of the built-in catalog ([`Reader::for_regex`]): an
//! entry whose regex a `--signatures` file changes gets no reader, and its regex decides. The
//! regex stays the reference. A reader gives the same answer as its regex (match or not, and
//! every capture) on every line it is sure of, checked on every catalog example, on generated
//! lines and by the `signature_matcher` fuzz target; on a line with any non-ASCII byte it is not
//! sure (the regex's `\s`, `\d` and `[^...]` are Unicode classes) and says so, and the regex
//! decides.
//!
//! Each regex here starts with a literal, so its leftmost match starts at an occurrence of that
//! literal: the reader tries the occurrences left to right. Inside, every greedy class is
//! followed by a character outside it, so the greedy run is the only way the regex can continue,
//! and a reader that takes the longest run and checks the next character follows the regex's
//! backtracking exactly.

use std::sync::LazyLock;

use memchr::memmem;

use super::fields::{Capture, Fields};

/// The capture spans a reader found: byte ranges of the line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spans {
    pub pid: Option<(usize, usize)>,
    pub peer_ip: Option<(usize, usize)>,
    pub peer_port: Option<(usize, usize)>,
    pub local_ip: Option<(usize, usize)>,
    pub local_port: Option<(usize, usize)>,
    pub peer_id: Option<(usize, usize)>,
    pub tls: Option<(usize, usize)>,
}

impl Spans {
    fn get(&self, c: Capture) -> Option<(usize, usize)> {
        match c {
            Capture::Pid => self.pid,
            Capture::PeerIp => self.peer_ip,
            Capture::PeerPort => self.peer_port,
            Capture::LocalIp => self.local_ip,
            Capture::LocalPort => self.local_port,
            Capture::PeerId => self.peer_id,
            Capture::Tls => self.tls,
            Capture::Fqdn | Capture::VerifyCode | Capture::VerifyText | Capture::ConnReason => None,
        }
    }

    /// The fields, converted exactly as the regex's captures are ([`Fields::from_named`]).
    pub fn fields(&self, line: &[u8]) -> Fields {
        Fields::from_named(|c| self.get(c).and_then(|(a, b)| line.get(a..b)))
    }
}

/// One hand-written reader (the order of the variants is that of [`FINDERS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    ConnectionAccepted = 0,
    ConnectInd,
    Established,
    ConnectReq,
    ConnectTarget,
    CloseReq,
    DecryptAtLine,
    DecryptInlen,
}

/// The regex text each reader reproduces, as `signatures/ils.toml` writes it.
const REGEXES: &[(Reader, &str)] = &[
    (
        Reader::ConnectionAccepted,
        r"Ils::wait_SdlConnectionInd\(\): New connection accepted\. DeviceName=[^,]*, TCPPid = \[(?P<pid>[\d., ]+)\], IPAddr=(?P<peer_ip>[^\s,]+), Port=(?P<peer_port>\d+)",
    ),
    (
        Reader::ConnectInd,
        r"Ils::ConnectInd TCPPid\(\[(?P<pid>[\d., ]+)\]\), PeerIP/Port\((?P<peer_ip>[^\s()]+):(?P<peer_port>\d+)\), LocalIP/Port\((?P<local_ip>[^\s()]*):(?P<local_port>\d+)\)",
    ),
    (
        Reader::Established,
        r"::ConnectIndInner Server Connection to PeerId\((?P<peer_id>[0-9a-fA-F]*)\), TCPPid\(\[(?P<pid>[\d., ]+)\]\), PeerIP/Port\((?P<peer_ip>[^\s()]+):(?P<peer_port>\d+)\), LocalIP/Port\((?P<local_ip>[^\s()]*):(?P<local_port>\d+)\) TLSReq\((?P<tls>[tf]|true|false)\) established",
    ),
    (
        Reader::ConnectReq,
        r"Ils::ConnectReq\(\): Requesting Connection to IpAddr\((?P<peer_ip>[^\s()]+)\), IpPort\((?P<peer_port>\d+)\), TLSReq\((?P<tls>[tf]|true|false)\)",
    ),
    (
        Reader::ConnectTarget,
        r"Ils::ConnectReq\(\) Pub IP/Port\((?P<peer_ip>[^\s()]+):(?P<peer_port>\d+)\) Pri IP/Port\([^)]*\) TLSReq\((?P<tls>[tf]|true|false)\)",
    ),
    (
        Reader::CloseReq,
        r"IlsHandler: Close Req\. DeviceName=[^,]*, TCPPid = \[(?P<pid>[\d., ]+)\], IPAddr=(?P<peer_ip>[^\s,]+), Port=(?P<peer_port>\d+)",
    ),
    (Reader::DecryptAtLine, r"EncrUtil Function: decryptData at line \d+ succ"),
    (Reader::DecryptInlen, r"EncrUtil decryptData: inlen \d+, outlen \d+ succeed"),
];

impl Reader {
    /// The reader for a regex text, when one reproduces it exactly.
    pub fn for_regex(regex: &str) -> Option<Reader> {
        REGEXES.iter().find(|(_, r)| *r == regex).map(|(k, _)| *k)
    }

    /// Every reader with its regex text (for the tests that hold them to their regex).
    pub fn all() -> impl Iterator<Item = (Reader, &'static str)> {
        REGEXES.iter().copied()
    }

    /// `Some(Some(spans))`: the regex matches with these captures; `Some(None)`: it does not
    /// match; `None`: not sure (a non-ASCII byte), ask the regex.
    pub fn read(self, line: &[u8]) -> Option<Option<Spans>> {
        if !line.is_ascii() {
            return None;
        }
        let (finder, at) = FINDERS.get(self as usize)?;
        let mut from = 0;
        while let Some(i) = line.get(from..).and_then(|rest| finder.find(rest)) {
            let start = from.saturating_add(i);
            if let Some(spans) = at(line, start.saturating_add(finder.needle().len())) {
                return Some(Some(spans));
            }
            from = start.saturating_add(1);
        }
        Some(None)
    }
}

/// What each reader does after its literal prefix.
type After = fn(&[u8], usize) -> Option<Spans>;

/// Each reader's literal prefix (built once: a finder costs more to build than to run on a
/// line) and what follows it, in the order of [`Reader`]'s variants.
static FINDERS: LazyLock<Vec<(memmem::Finder<'static>, After)>> = LazyLock::new(|| {
    let shapes: [(&'static [u8], After); 8] = [
        (b"Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=", handler_line),
        (b"Ils::ConnectInd TCPPid([", connect_ind),
        (b"::ConnectIndInner Server Connection to PeerId(", established),
        (b"Ils::ConnectReq(): Requesting Connection to IpAddr(", connect_req),
        (b"Ils::ConnectReq() Pub IP/Port(", connect_target),
        (b"IlsHandler: Close Req. DeviceName=", handler_line),
        (b"EncrUtil Function: decryptData at line ", decrypt_at_line),
        (b"EncrUtil decryptData: inlen ", decrypt_inlen),
    ];
    shapes.into_iter().map(|(prefix, after)| (memmem::Finder::new(prefix), after)).collect()
});

/// A position in a line, moving forward.
struct Cursor<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn at(line: &'a [u8], pos: usize) -> Self {
        Cursor { line, pos }
    }

    /// The literal next, or no match.
    fn lit(&mut self, s: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(s.len())?;
        (self.line.get(self.pos..end)? == s).then(|| self.pos = end)
    }

    /// The longest run of bytes in the class (at least `min`): its span.
    fn run(&mut self, min: usize, class: impl Fn(u8) -> bool) -> Option<(usize, usize)> {
        let start = self.pos;
        let n = self.line.get(start..)?.iter().take_while(|&&b| class(b)).count();
        if n < min {
            return None;
        }
        self.pos = start.saturating_add(n);
        Some((start, self.pos))
    }

    /// `(?P<ip>[^\s()]+):(?P<port>\d+)\)` (`min_ip` 1) or with `*` (`min_ip` 0): the run of
    /// non-space, non-bracket bytes ends at `)`; its last `:` splits it, digits after it.
    fn ip_port_paren(&mut self, min_ip: usize) -> Option<((usize, usize), (usize, usize))> {
        let (start, end) = self.run(0, |b| !is_space(b) && b != b'(' && b != b')')?;
        self.lit(b")")?;
        let run = self.line.get(start..end)?;
        let colon = memchr::memrchr(b':', run)?;
        let ip = (start, start.saturating_add(colon));
        let port = (start.saturating_add(colon).saturating_add(1), end);
        let digits = self.line.get(port.0..port.1)?;
        (colon >= min_ip && !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)).then_some((ip, port))
    }

    /// `(?P<tls>[tf]|true|false)\)`: the alternatives in order, each followed by `)`.
    fn tls_paren(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        for word in [&b"t"[..], b"f", b"true", b"false"] {
            self.pos = start;
            if self.lit(word).is_some() && self.lit(b")").is_some() {
                return Some((start, start.saturating_add(word.len())));
            }
        }
        None
    }
}

/// The regex's `\s` on ASCII: tab, line feed, vertical tab, form feed, carriage return, space.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

fn is_pid(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'.' | b',' | b' ')
}

/// `New connection accepted` and `Close Req`, after `DeviceName=`: `[^,]*, TCPPid = \[(?P<pid>[\d.,
/// ]+)\], IPAddr=(?P<peer_ip>[^\s,]+), Port=(?P<peer_port>\d+)`.
fn handler_line(line: &[u8], pos: usize) -> Option<Spans> {
    let mut c = Cursor::at(line, pos);
    c.run(0, |b| b != b',')?;
    c.lit(b", TCPPid = [")?;
    let pid = c.run(1, is_pid)?;
    c.lit(b"], IPAddr=")?;
    let peer_ip = c.run(1, |b| !is_space(b) && b != b',')?;
    c.lit(b", Port=")?;
    let peer_port = c.run(1, |b| b.is_ascii_digit())?;
    Some(Spans { pid: Some(pid), peer_ip: Some(peer_ip), peer_port: Some(peer_port), ..Spans::default() })
}

/// After `Ils::ConnectInd TCPPid([`.
fn connect_ind(line: &[u8], pos: usize) -> Option<Spans> {
    connection(&mut Cursor::at(line, pos))
}

/// After `::ConnectIndInner Server Connection to PeerId(`.
fn established(line: &[u8], pos: usize) -> Option<Spans> {
    let mut c = Cursor::at(line, pos);
    let peer_id = c.run(0, |b| b.is_ascii_hexdigit())?;
    c.lit(b"), TCPPid([")?;
    let mut spans = connection(&mut c)?;
    c.lit(b" TLSReq(")?;
    spans.tls = Some(c.tls_paren()?);
    c.lit(b" established")?;
    spans.peer_id = Some(peer_id);
    Some(spans)
}

/// `PID]), PeerIP/Port(IP, PORT), LocalIP/Port(IP, PORT)`: the connection both lines above name
/// after their `TCPPid([`.
fn connection(c: &mut Cursor<'_>) -> Option<Spans> {
    let pid = c.run(1, is_pid)?;
    c.lit(b"]), PeerIP/Port(")?;
    let (peer_ip, peer_port) = c.ip_port_paren(1)?;
    c.lit(b", LocalIP/Port(")?;
    let (local_ip, local_port) = c.ip_port_paren(0)?;
    Some(Spans {
        pid: Some(pid),
        peer_ip: Some(peer_ip),
        peer_port: Some(peer_port),
        local_ip: Some(local_ip),
        local_port: Some(local_port),
        ..Spans::default()
    })
}

/// After `Ils::ConnectReq(): Requesting Connection to IpAddr(`.
fn connect_req(line: &[u8], pos: usize) -> Option<Spans> {
    let mut c = Cursor::at(line, pos);
    let peer_ip = c.run(1, |b| !is_space(b) && b != b'(' && b != b')')?;
    c.lit(b"), IpPort(")?;
    let peer_port = c.run(1, |b| b.is_ascii_digit())?;
    c.lit(b"), TLSReq(")?;
    let tls = c.tls_paren()?;
    Some(Spans { peer_ip: Some(peer_ip), peer_port: Some(peer_port), tls: Some(tls), ..Spans::default() })
}

/// After `Ils::ConnectReq() Pub IP/Port(`.
fn connect_target(line: &[u8], pos: usize) -> Option<Spans> {
    let mut c = Cursor::at(line, pos);
    let (peer_ip, peer_port) = c.ip_port_paren(1)?;
    c.lit(b" Pri IP/Port(")?;
    c.run(0, |b| b != b')')?;
    c.lit(b") TLSReq(")?;
    let tls = c.tls_paren()?;
    Some(Spans { peer_ip: Some(peer_ip), peer_port: Some(peer_port), tls: Some(tls), ..Spans::default() })
}

/// After `EncrUtil Function: decryptData at line `: `\d+ succ`.
fn decrypt_at_line(line: &[u8], pos: usize) -> Option<Spans> {
    let mut c = Cursor::at(line, pos);
    c.run(1, |b| b.is_ascii_digit())?;
    c.lit(b" succ")?;
    Some(Spans::default())
}

/// After `EncrUtil decryptData: inlen `: `\d+, outlen \d+ succeed`.
fn decrypt_inlen(line: &[u8], pos: usize) -> Option<Spans> {
    let mut c = Cursor::at(line, pos);
    c.run(1, |b| b.is_ascii_digit())?;
    c.lit(b", outlen ")?;
    c.run(1, |b| b.is_ascii_digit())?;
    c.lit(b" succeed")?;
    Some(Spans::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Catalog;

    #[test]
    fn every_reader_reproduces_a_regex_of_the_built_in_catalog() {
        let catalog = Catalog::builtin();
        for (reader, regex) in Reader::all() {
            assert!(
                catalog.signatures().iter().any(|s| s.regex.as_str() == regex),
                "{reader:?}: its regex is not in signatures/ils.toml any more; update the reader"
            );
        }
    }

    #[test]
    fn a_changed_regex_gets_no_reader() {
        assert_eq!(
            Reader::for_regex(r"EncrUtil decryptData: inlen \d+, outlen \d+ succeed"),
            Some(Reader::DecryptInlen)
        );
        assert_eq!(Reader::for_regex(r"EncrUtil decryptData: inlen \d+, outlen \d+ succeeded"), None);
    }

    #[test]
    fn a_non_ascii_line_is_left_to_the_regex() {
        let line = "EncrUtil decryptData: inlen 12, outlen 10 succeed \u{a0}".as_bytes();
        assert!(Reader::DecryptInlen.read(line).is_none());
        assert!(Reader::DecryptInlen
            .read(b"EncrUtil decryptData: inlen 12, outlen 10 succeed")
            .is_some_and(|m| m.is_some()));
    }
}
