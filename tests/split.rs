//! One large plain file is split at line boundaries over the workers: the analysis is the same
//! as reading it whole (line numbers, days across midnight, attempts, activity).

mod support;

use ils_doctor::analyze::{self, Catalog};
use ils_doctor::pipeline::scan::{scan_all_split, split_points, Job};
use support::*;

const HUB: &str = "192.0.2.10";
const A: &str = "198.51.100.21";

#[test]
fn a_split_file_gives_the_same_analysis_as_a_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+01:00", "hub", HUB, t(23, 50, 0, 0));
    hub.noise(t(23, 50, 0, 0), 400);
    hub_password_mismatch(&mut hub, t(23, 55, 0, 0), A, 40001);
    for i in 0..300 {
        hub.hub_decrypts(t(23, 56, 0, 0) + i * 1_000);
    }
    hub_password_ok(&mut hub, t(24, 5, 0, 0), HUB, A, 40002);
    hub.noise(t(24, 5, 1, 0), 400);
    hub_password_mismatch(&mut hub, t(24, 10, 0, 0), A, 40003);
    hub.noise(t(24, 10, 1, 0), 400);
    let path = hub.write(dir.path(), "hub.txt");
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 8 * 4096, "{len}");

    let bounds = split_points(&path, 4, len / 8).expect("the file is split");
    assert_eq!(bounds.len(), 5, "four pieces: {bounds:?}");
    let text = std::fs::read(&path).unwrap();
    assert!(bounds[1..4].iter().all(|&b| text[b as usize - 1] == b'\n'), "cut after a newline");
    assert_eq!(split_points(&path, 1, len / 8), None, "one worker reads it whole");
    let catalog = Catalog::builtin();
    let jobs = vec![Job { path: path.clone(), side: analyze::Side::Hub, arg: 0 }];
    let (whole, w1) = scan_all_split(&catalog, &jobs, 1, 4096);
    let (split, w2) = scan_all_split(&catalog, &jobs, 4, len / 8);
    assert_eq!(w1, w2);
    assert_eq!((whole.len(), split.len()), (1, 1));
    assert_eq!((split[0].lines, split[0].bytes), (whole[0].lines, whole[0].bytes));
    assert_eq!(split[0].last, whole[0].last, "days continue across the pieces");
    let lines = |f: &analyze::ScannedFile| f.hits.iter().map(|h| (h.line_no, h.stamp)).collect::<Vec<_>>();
    assert_eq!(lines(&split[0]), lines(&whole[0]));

    let opts = analyze::Options::default();
    let a = serde_json::to_value(analyze::analyze(&catalog, &whole, &opts)).unwrap();
    let b = serde_json::to_value(analyze::analyze(&catalog, &split, &opts)).unwrap();
    assert_eq!(a["attempts"], b["attempts"]);
    assert_eq!(a["pairs"], b["pairs"]);
    assert_eq!(a["traces"], b["traces"]);
    assert_eq!(a["attempts"].as_array().map(|x| x.len()), Some(3));
    let last_at = a["attempts"][2]["at"].as_str().unwrap_or("");
    assert!(last_at.starts_with("2026-11-25T00:10"), "{last_at}");
}

/// A thousand small files, each nothing but attempt lines: what the scan keeps stays within the
/// per-trace cap in total (the oldest go first, with a warning), not only per file.
#[test]
fn a_thousand_small_files_of_attempt_lines_stay_within_the_cap() {
    use ils_doctor::pipeline::scan::MAX_MATCHED_PER_TRACE;
    let dir = tempfile::tempdir().unwrap();
    let mut jobs = Vec::new();
    for f in 0..1000u32 {
        let mut text = String::new();
        for i in 0..60u32 {
            let port = 20000 + i;
            text.push_str(&format!(
                "{:08}.001 |10:{:02}:{:02}.{:03} |AppInfo  |IlsD ::ConnectIndInner Server Connection to PeerId(ab), TCPPid([1, 600, 13, {i}]), PeerIP/Port(10.1.{}.{}:{port}), LocalIP/Port({HUB}:7502) TLSReq(f) established\n",
                f * 100 + i,
                f / 60 % 60,
                f % 60,
                i * 10,
                f / 250,
                f % 250 + 1
            ));
        }
        let p = dir.path().join(format!("SDL001_600_{f:06}.txt"));
        std::fs::write(&p, text).unwrap();
        jobs.push(Job { path: p, side: analyze::Side::Hub, arg: 0 });
    }
    let catalog = Catalog::builtin();
    let (files, warnings) = scan_all_split(&catalog, &jobs, 2, 1 << 30);
    let kept: usize = files.iter().map(|f| f.hits.len()).sum();
    assert!(kept <= MAX_MATCHED_PER_TRACE, "{kept}");
    assert!(kept >= MAX_MATCHED_PER_TRACE / 2, "{kept}");
    assert_eq!(files.last().map(|f| f.hits.len()), Some(60), "the newest file is whole");
    assert_eq!(files.first().map(|f| f.hits.len()), Some(0), "the oldest went first");
    assert!(warnings.iter().any(|w| w.contains("older attempt line(s) dropped while scanning")), "{warnings:?}");
}
