//! One large plain file is split at line boundaries over the workers: the analysis is the same
//! as reading it whole (line numbers, days across midnight, attempts, activity).

mod support;

use ils_doctor::analyze::{self, Catalog};
use ils_doctor::commands::scan::{scan_all_split, split_points, Job};
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
