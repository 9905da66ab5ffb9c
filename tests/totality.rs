//! Property tests: the reader and the matcher are total (any bytes in, no panic), and the fast
//! scanner finds exactly the lines the complete reader sees holding an anchor.

use ils_doctor::analyze::Catalog;
use ils_doctor::parse::{filehead, header, records, Scanner};
use proptest::prelude::*;
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);
static PREFILTER: LazyLock<ils_doctor::parse::Prefilter> = LazyLock::new(|| CATALOG.prefilter());

/// Bytes that look like SDL some of the time: fragments of real lines, separators, junk.
fn sdl_ish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b"00001821.000 |16:34:01.765 |AppInfo  |".to_vec()),
        Just(b"00000001.000 |23:59:59.999 |FileHead |UTC:-05:00,Date: 2024/08/13, HostIPAddress: 10.0.0.1".to_vec()),
        Just(b"[1, 600, 17, 5]: HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.220:7501".to_vec()),
        Just(b"IlsD ::ConnectIndInner starting  to PeerId(77), TCPPid([1, 600, 13, 5]), PeerIP/Port(1.2.3.4:7502), LocalIP/Port(:99999999) TLSReq(f) established".to_vec()),
        Just(b"IlsD IlsHandler: wait_SdlDataInd EncrUtil:: decryptData failed . DeviceName=, TCPPid = [1.600.13.7.9], IPAddr=, Port=70000".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"|".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_are_total(data in sdl_ish()) {
        let _ = header::parse(&data);
        let _ = filehead::parse(&data);
        for r in records::Records::new(&data[..]) {
            prop_assert!(r.line_no >= 1);
        }
        let _ = CATALOG.match_line(&data);
    }

    #[test]
    fn scanner_agrees_with_the_complete_reader(data in sdl_ish(), chunk in 200usize..5000) {
        let pf = &*PREFILTER;
        let anchors: Vec<&[u8]> = CATALOG.signatures().iter().map(|s| s.anchor.as_bytes()).collect();
        let mut expected = Vec::new();
        let (lines, _) = records::for_each_line(&data[..], 1 << 20, |l| {
            if anchors.iter().any(|a| memchr::memmem::find(l.line, a).is_some()) {
                expected.push(l.line_no);
            }
        });
        // Chunks cut between lines anywhere; a chunk must still hold the longest line (longer
        // lines are cut into pieces, where an anchor across the cut is not found by design).
        let longest = data.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap_or(0);
        let mut found = Vec::new();
        let report = Scanner::new(pf).scan_reader(&data[..], chunk.max(longest + 2), |h| found.push(h.line_no));
        prop_assert_eq!(found, expected);
        prop_assert_eq!(report.lines, lines);
    }

    /// A mapped file is scanned in windows (`Scanner::scan_windows`): the hits, their lines,
    /// anchors and times, and the report are those of reading the same bytes in chunks of the
    /// window's size, and the windows cover the stream once, in order.
    #[test]
    fn windows_over_memory_scan_as_chunks_read(data in sdl_ish(), window in 64usize..3000) {
        let pf = &*PREFILTER;
        let mut read = Vec::new();
        let by_reader = Scanner::new(pf).scan_reader(&data[..], window, |h| read.push((h.line_no, h.anchor, h.stamp, h.line.to_vec())));
        let mut mapped = Vec::new();
        let mut covered = 0;
        let by_windows = Scanner::new(pf).scan_windows(
            &data,
            window,
            |r| {
                assert_eq!(r.start, covered, "windows in order, none skipped");
                covered = r.end;
            },
            |h| mapped.push((h.line_no, h.anchor, h.stamp, h.line.to_vec())),
        );
        prop_assert_eq!(covered, data.len());
        prop_assert_eq!(mapped, read);
        prop_assert_eq!(
            (by_windows.bytes, by_windows.lines, by_windows.first, by_windows.last, by_windows.looks_sdl, by_windows.binary),
            (by_reader.bytes, by_reader.lines, by_reader.first, by_reader.last, by_reader.looks_sdl, by_reader.binary)
        );
    }
}
