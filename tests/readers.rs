//! The hand-written readers of the frequent line shapes (`src/analyze/readers.rs`) against the
//! regexes they stand for: on every catalog example, on those examples edited at random (bytes
//! replaced by the characters the shapes turn on, pieces repeated or cut, Unicode spaces), and on
//! lines assembled from the shapes' own pieces. The regex is the reference: any difference, in
//! whether the line matches or in one captured field, fails.

use std::sync::LazyLock;

use ils_doctor::analyze::Catalog;
use proptest::prelude::*;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

fn examples() -> Vec<String> {
    CATALOG.signatures().iter().flat_map(|s| s.examples.iter().cloned()).collect()
}

/// Every entry with a reader gives the same fields as its regex on `line`.
fn agree(line: &[u8]) -> Result<(), TestCaseError> {
    for s in CATALOG.signatures().iter().filter(|s| s.reader.is_some()) {
        prop_assert_eq!(s.fields_of(line), s.fields_by_regex(line), "{} on {:?}", &s.id, String::from_utf8_lossy(line));
    }
    Ok(())
}

#[test]
fn the_readers_cover_the_frequent_shapes() {
    let with: Vec<&str> = CATALOG.signatures().iter().filter(|s| s.reader.is_some()).map(|s| s.id.as_str()).collect();
    for id in ["P1", "P2", "P3", "P4", "P5", "P21", "P23a", "P23b"] {
        assert!(with.contains(&id), "{id} has no reader: {with:?}");
    }
}

#[test]
fn on_every_example_of_the_catalog() {
    let mut matched = 0;
    for ex in examples() {
        agree(ex.as_bytes()).unwrap();
        matched +=
            CATALOG.signatures().iter().filter(|s| s.reader.is_some() && s.fields_of(ex.as_bytes()).is_some()).count();
    }
    assert!(matched >= 8, "the examples exercise the readers' matching side ({matched} matches)");
}

/// The characters the shapes turn on, and a few that only look like them.
const ALPHABET: &[&str] = &[
    " ", ":", "(", ")", ",", "[", "]", ".", "0", "7", "9", "a", "F", "t", "f", "true", "false", "\t", "\u{b}",
    "\u{a0}", "\u{2003}", "\u{661}", "::", "):", "), ", "], ", "=", "\r",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn on_examples_edited_at_random(
        which in 0usize..64,
        edits in prop::collection::vec((0usize..400, 0usize..400, 0usize..ALPHABET.len(), 0u8..4), 1..6),
    ) {
        let all = examples();
        let mut line = all[which % all.len()].clone().into_bytes();
        for (at, len, pick, kind) in edits {
            let at = at % (line.len() + 1);
            match kind {
                // Replace a byte with a character the shapes turn on.
                0 if at < line.len() => {
                    let piece = ALPHABET[pick].as_bytes();
                    line.splice(at..at + 1, piece.iter().copied());
                }
                // Insert one.
                1 => {
                    let piece = ALPHABET[pick].as_bytes();
                    line.splice(at..at, piece.iter().copied());
                }
                // Repeat a stretch of the line (a second prefix, a longer run).
                2 => {
                    let end = (at + len % 64).min(line.len());
                    let copy = line[at..end].to_vec();
                    line.splice(at..at, copy);
                }
                // Cut a stretch.
                _ => {
                    let end = (at + len % 16).min(line.len());
                    line.drain(at..end);
                }
            }
        }
        agree(&line)?;
    }

    #[test]
    fn on_lines_built_from_the_shapes_pieces(pieces in prop::collection::vec(0usize..40, 1..24)) {
        const PIECES: &[&str] = &[
            "Ils::ConnectInd TCPPid([", "1, 600, 13, 5", "]), PeerIP/Port(", "10.1.1.2", ":", "37816", ")",
            ", LocalIP/Port(", "7502", "::ConnectIndInner Server Connection to PeerId(", "f7f885dc", "), TCPPid([",
            " TLSReq(", "t", "true", "false", " established", "Ils::ConnectReq(): Requesting Connection to IpAddr(",
            "), IpPort(", "), TLSReq(", "Ils::ConnectReq() Pub IP/Port(", " Pri IP/Port(",
            "Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=", ", TCPPid = [", "1.600.13.5",
            "], IPAddr=", ", Port=", "IlsHandler: Close Req. DeviceName=", "EncrUtil Function: decryptData at line ",
            "163", " succ", "EncrUtil decryptData: inlen ", ", outlen ", " succeed", " ", "(", ",", "fe80::1", "\u{a0}",
            "x",
        ];
        let line: String = pieces.iter().map(|&i| PIECES[i % PIECES.len()]).collect();
        agree(line.as_bytes())?;
    }
}
