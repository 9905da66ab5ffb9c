//! A streaming reader for `multipart/related` bodies (DIME `GetOneFile`, MTOM), sans I/O.
//!
//! The response is SOAP-with-attachments (docs/cucm-notes.md#get-one-file), part 1 the SOAP envelope
//! (`text/xml`), part 2 the raw file bytes; MTOM variants reference the file part by `cid:`. The
//! reader is fed chunks as they arrive and hands out part headers and body pieces without ever
//! holding a whole part, so a large trace file streams to disk in constant memory. Malformed
//! input (no boundary, endless headers, a body that never ends) is an error, never a panic.

use memchr::memmem;

/// Longest header block of one part.
const MAX_HEADERS: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the multipart body's part headers are longer than {MAX_HEADERS} bytes")]
    HeadersTooLong,
    #[error("the multipart body ended before its closing boundary")]
    Unterminated,
    #[error("malformed multipart body: {0}")]
    Malformed(&'static str),
}

/// What the reader found.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A part starts; its headers, names lower-cased.
    Headers(Vec<(String, String)>),
    /// Bytes of the current part's body.
    Body(&'a [u8]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Preamble,
    AfterBoundary,
    Headers,
    Body,
    Done,
}

pub struct Multipart {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    buf: Vec<u8>,
    state: State,
}

impl Multipart {
    pub fn new(boundary: &str) -> Multipart {
        // A leading CRLF lets the first boundary be found like the others.
        Multipart { delimiter: format!("\r\n--{boundary}").into_bytes(), buf: b"\r\n".to_vec(), state: State::Preamble }
    }

    /// Whether the closing boundary was seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Feeds bytes; calls `on` for each header block and body piece found.
    pub fn feed(&mut self, chunk: &[u8], mut on: impl FnMut(Piece<'_>)) -> Result<(), MultipartError> {
        if self.state == State::Done {
            return Ok(());
        }
        self.buf.extend_from_slice(chunk);
        // `pos` and every match are offsets inside `buf`: the slices exist and the sums stay at
        // most its length.
        let mut pos: usize = 0;
        loop {
            match self.state {
                State::Preamble => match memmem::find(self.buf.get(pos..).unwrap_or_default(), &self.delimiter) {
                    Some(i) => {
                        pos = pos.saturating_add(i).saturating_add(self.delimiter.len());
                        self.state = State::AfterBoundary;
                    }
                    None => {
                        pos = self.buf.len().saturating_sub(self.delimiter.len());
                        break;
                    }
                },
                State::AfterBoundary => {
                    let rest = self.buf.get(pos..).unwrap_or_default();
                    if rest.len() < 2 {
                        break;
                    }
                    if rest.starts_with(b"--") {
                        self.state = State::Done;
                        pos = self.buf.len();
                        break;
                    }
                    // Transport padding (spaces/tabs) may follow the boundary before its CRLF.
                    match memmem::find(rest, b"\r\n") {
                        Some(i) if rest.get(..i).unwrap_or_default().iter().all(|b| *b == b' ' || *b == b'\t') => {
                            pos = pos.saturating_add(i).saturating_add(2);
                            self.state = State::Headers;
                        }
                        Some(_) => return Err(MultipartError::Malformed("text after a boundary")),
                        None if rest.len() > 256 => return Err(MultipartError::Malformed("text after a boundary")),
                        None => break,
                    }
                }
                State::Headers => {
                    let rest = self.buf.get(pos..).unwrap_or_default();
                    let end = if rest.starts_with(b"\r\n") {
                        Some(0)
                    } else {
                        memmem::find(rest, b"\r\n\r\n").map(|i| i.saturating_add(2))
                    };
                    match end {
                        Some(i) => {
                            on(Piece::Headers(parse_headers(rest.get(..i).unwrap_or_default())));
                            pos = pos.saturating_add(i).saturating_add(2);
                            self.state = State::Body;
                        }
                        None if rest.len() > MAX_HEADERS => return Err(MultipartError::HeadersTooLong),
                        None => break,
                    }
                }
                State::Body => {
                    let rest = self.buf.get(pos..).unwrap_or_default();
                    match memmem::find(rest, &self.delimiter) {
                        Some(i) => {
                            if i > 0 {
                                on(Piece::Body(rest.get(..i).unwrap_or_default()));
                            }
                            pos = pos.saturating_add(i).saturating_add(self.delimiter.len());
                            self.state = State::AfterBoundary;
                        }
                        None => {
                            // Keep what could be the start of a delimiter.
                            let safe = rest.len().saturating_sub(self.delimiter.len().saturating_sub(1));
                            if safe > 0 {
                                on(Piece::Body(rest.get(..safe).unwrap_or_default()));
                            }
                            pos = pos.saturating_add(safe);
                            break;
                        }
                    }
                }
                State::Done => break,
            }
        }
        self.buf.drain(..pos.min(self.buf.len()));
        Ok(())
    }

    /// Checks that the body ended with its closing boundary.
    pub fn finish(&self) -> Result<(), MultipartError> {
        if self.state == State::Done {
            Ok(())
        } else {
            Err(MultipartError::Unterminated)
        }
    }
}

fn parse_headers(block: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(block)
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

/// The `boundary` parameter of a `multipart/*` Content-Type.
pub fn boundary(content_type: &str) -> Option<String> {
    content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// Whether a part's headers say it is the SOAP envelope (XML), not the file.
pub fn is_xml_part(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| {
        k == "content-type" && {
            let v = v.to_ascii_lowercase();
            v.starts_with("text/xml") || v.starts_with("application/xop+xml") || v.starts_with("application/soap+xml")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"------=_Part_366_11478797.1549799463853\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-Transfer-Encoding: binary\r\nContent-Id: <56DECC3E5DF28D149DCB8ED0B2E06147>\r\n\r\n<soapenv:Envelope/>\r\n------=_Part_366_11478797.1549799463853\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-Id: <file>\r\n\r\n\x1f\x8b\x08 binary \r\n--not-the-boundary \r\n\x00\xff end\r\n------=_Part_366_11478797.1549799463853--\r\n";

    type Headers = Vec<(String, String)>;

    fn parts(body: &[u8], chunk: usize) -> (Vec<Headers>, Vec<Vec<u8>>) {
        let mut m = Multipart::new("----=_Part_366_11478797.1549799463853");
        let (mut heads, mut bodies): (Vec<Headers>, Vec<Vec<u8>>) = (Vec::new(), Vec::new());
        for c in body.chunks(chunk) {
            m.feed(c, |p| match p {
                Piece::Headers(h) => {
                    heads.push(h);
                    bodies.push(Vec::new());
                }
                Piece::Body(b) => bodies.last_mut().unwrap().extend_from_slice(b),
            })
            .unwrap();
        }
        m.finish().unwrap();
        (heads, bodies)
    }

    #[test]
    fn swa_body_in_any_chunking() {
        for chunk in [1, 2, 7, 64, 4096] {
            let (heads, bodies) = parts(BODY, chunk);
            assert_eq!(heads.len(), 2, "chunk {chunk}");
            assert!(is_xml_part(&heads[0]) && !is_xml_part(&heads[1]));
            assert_eq!(bodies[0], b"<soapenv:Envelope/>");
            assert_eq!(bodies[1], b"\x1f\x8b\x08 binary \r\n--not-the-boundary \r\n\x00\xff end");
        }
    }

    #[test]
    fn unterminated_and_malformed() {
        let mut m = Multipart::new("b");
        m.feed(b"--b\r\nContent-Type: x\r\n\r\nabc", |_| {}).unwrap();
        assert_eq!(m.finish(), Err(MultipartError::Unterminated));
        let mut m = Multipart::new("b");
        let long = [b"--b\r\n".as_slice(), &vec![b'a'; MAX_HEADERS + 10]].concat();
        assert_eq!(m.feed(&long, |_| {}), Err(MultipartError::HeadersTooLong));
    }

    #[test]
    fn boundary_parameter() {
        let ct = "multipart/related; type=\"text/xml\"; start=\"<56DE>\"; boundary=\"----=_Part_366_11478797.1549799463853\"";
        assert_eq!(boundary(ct).as_deref(), Some("----=_Part_366_11478797.1549799463853"));
        assert_eq!(
            boundary("multipart/related; boundary=MIMEBoundaryurn_uuid_1").as_deref(),
            Some("MIMEBoundaryurn_uuid_1")
        );
        assert_eq!(boundary("text/xml"), None);
    }
}
