//! Support bundles: collect against the mock then analyse offline (plain and redacted), a
//! tampered bundle, hostile archives, RTMT-style downloads, side detection on the technote
//! scenarios.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ils_doctor::analyze::model::Attempt;
use ils_doctor::analyze::{Analysis, Side, Status};
use ils_doctor::bundle::read::{extract, Limits};
use ils_doctor::bundle::ArchiveFormat;
use ils_doctor::pipeline::mock_pair::access_for;
use ils_doctor::pipeline::offline::{run_offline, Request};
use ils_doctor::pipeline::session as check;
use ils_doctor::pipeline::support_bundle::{self as collect, Collected};

/// What must be the same for two diagnoses to be "the same".
fn shape(a: &Analysis) -> (Status, u8, Vec<String>) {
    let attempts = a.attempts.iter().map(attempt_shape).collect();
    (a.status, a.exit_code, attempts)
}

fn attempt_shape(x: &Attempt) -> String {
    let ev: Vec<String> = x.evidence.iter().map(|e| format!("{}@{}:{}", e.signature, e.file, e.line_no)).collect();
    format!(
        "{:?} {:?} {:?} {:?} {:?} [{}]",
        x.outcome,
        x.root_cause,
        x.method,
        x.seen_on,
        x.verify_error.as_ref().map(|v| v.code),
        ev.join(" ")
    )
}

async fn collect_from_mock(scenario: &str, dir: &Path, output: PathBuf, redact: bool) -> (Collected, Vec<String>) {
    let s = mock_server::bundled::load(scenario).unwrap().unwrap();
    let mock =
        mock_server::start_with(s, mock_server::Options { state_dir: Some(dir.join("state")), ..Default::default() })
            .unwrap();
    let kh = dir.join("known_hosts");
    let hub_info = mock.publisher("hub").unwrap().clone();
    // As `ils-doctor collect` does: the run is recorded and the transcript goes in the bundle.
    let rec = ils_doctor::connect::record::Recording::new(&dir.join("unused"), redact, true);
    let mut hub = access_for(&hub_info, &kh).unwrap();
    let mut spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    hub.record = Some(rec.clone());
    spoke.record = Some(rec.clone());
    let secrets = vec![hub_info.password.clone(), "ils-Secret1".to_string()];
    let req = collect::Request {
        check: check::Request {
            hubs: vec![hub],
            spokes: vec![spoke],
            capture: Duration::from_secs(40),
            since: Duration::from_secs(7200),
            keep_trace_level: false,
            detailed_value: None,
            force_registration: true,
            start_stopped: false,
            method: None,
            download_dir: dir.join("traces"),
            journal: dir.join("journal.json"),
            progress: false,
            poll: Duration::from_secs(2),
            catalog: Default::default(),
            preflight_only: false,
        },
        format: ArchiveFormat::for_path(&output),
        output,
        redact,
        record: Some(rec),
        record_dir: false,
        command_line: vec!["ils-doctor".into(), "collect".into(), "--hub".into(), "127.0.0.1".into()],
    };
    let started = std::time::Instant::now();
    let done = collect::run(&req, std::future::pending()).await.unwrap();
    eprintln!(
        "collect {scenario}: {} files, {} bytes, {:.1} s",
        done.files,
        done.bytes,
        started.elapsed().as_secs_f64()
    );
    (done, secrets)
}

fn offline(inputs: &[&Path]) -> ils_doctor::pipeline::offline::Offline {
    run_offline(&Request { inputs: inputs.iter().map(|p| p.to_path_buf()).collect(), ..Request::default() }).unwrap()
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            all_files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_then_analyze_offline_gives_the_same_diagnosis_and_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("case-1234.tar.gz");
    let (done, _) = collect_from_mock("m2-hub-cert-not-on-spoke", dir.path(), bundle.clone(), false).await;
    assert_eq!(done.live.analysis.status, Status::Critical);
    assert!(done.mapping.is_none());
    // Nothing but the bundle is left next to it (the staging folder and temporary file are gone).
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with(".ils-doctor")), "{left:?}");

    let off = offline(&[&bundle]);
    assert!(off.notes.iter().any(|n| n.contains("manifest verified")), "{:?}", off.notes);
    let outcome = off.bundle.expect("a bundle outcome");
    assert_eq!(shape(&outcome.analysis), shape(&done.bundled.analysis), "same verdict and attempts as in the bundle");
    let live = shape(&done.live.analysis);
    let (status, code, attempts) = shape(&outcome.analysis);
    assert_eq!((status, code), (live.0, live.1), "same verdict as the live check");
    assert_eq!(attempts.len(), live.2.len());
    let failed = outcome.analysis.attempts.iter().find(|a| a.root_cause.is_some()).unwrap();
    assert_eq!(failed.root_cause, Some(ils_doctor::analyze::RootCause::SpokeRejectsHubCertificate));
    assert_eq!(outcome.findings.len(), done.live.findings.len(), "configuration findings recomputed from the bundle");

    // The binary: one command.
    let out = assert_cmd::Command::cargo_bin("ils-doctor")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("analyze")
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("CRITICAL"));

    // Contents: manifest, traces of both sides, config, CLI outputs, analysis, report.
    let x = dir.path().join("x");
    std::fs::create_dir(&x).unwrap();
    extract(&bundle, &x, &Limits::default()).unwrap();
    let root = x.join("case-1234");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(root.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["schema"], "ils-doctor/bundle/1");
    assert_eq!(m["sides"].as_array().unwrap().len(), 2);
    for p in [
        "config.json",
        "analysis.json",
        "report.html",
        "cli/hub-1/show_version_active.txt",
        "cli/spoke-1/show_network_cluster.txt",
        "cli/hub-1/utils_dbreplication_runtimestate.txt",
        "cli/hub-1/show_cert_list_trust.txt",
        "cli/spoke-1/utils_service_list.txt",
    ] {
        assert!(root.join(p).is_file(), "{p}");
    }
    assert!(std::fs::read_dir(root.join("traces/hub-1")).unwrap().count() > 0);
    // The transcript of each publisher, listed in the manifest (and ignored by `analyze`, which
    // gave the same diagnosis above).
    let transcripts: Vec<&serde_json::Value> =
        m["files"].as_array().unwrap().iter().filter(|f| f["kind"] == "transcript").collect();
    let jsonl = transcripts.iter().filter(|f| f["path"].as_str().unwrap().ends_with(".jsonl")).count();
    assert_eq!(jsonl, 2, "{transcripts:?}");
    assert!(transcripts.iter().any(|f| f["path"].as_str().unwrap().starts_with("transcript/traces/")));

    // Tampered: a changed, a truncated and an added file are each named.
    let mut traces = Vec::new();
    all_files(&root.join("traces/spoke-1"), &mut traces);
    traces.sort();
    let victim = &traces[0];
    let mut bytes = std::fs::read(victim).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x20;
    std::fs::write(victim, &bytes).unwrap();
    std::fs::write(root.join("traces/hub-1/SDL999_600_000001.txt"), b"added").unwrap();
    std::fs::write(root.join("report.html"), b"<html>").unwrap();
    let e = run_offline(&Request { inputs: vec![root.clone()], ..Request::default() }).unwrap_err().to_string();
    let name = victim.file_name().unwrap().to_string_lossy();
    assert!(e.contains(&format!("traces/spoke-1/{name}: SHA-256 differs")), "{e}");
    assert!(e.contains("traces/hub-1/SDL999_600_000001.txt: not listed"), "{e}");
    assert!(e.contains("report.html: 6 bytes") && e.contains("truncated"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redacted_bundle_diagnoses_the_same_and_holds_no_original_name_or_address() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("case-r.zip");
    let (done, secrets) = collect_from_mock("m2-hub-cert-not-on-spoke", dir.path(), bundle.clone(), true).await;
    let mapping = done.mapping.clone().expect("a mapping");
    assert_eq!(mapping, dir.path().join("case-r.zip.mapping.json"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&mapping).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let map: serde_json::Value = serde_json::from_slice(&std::fs::read(&mapping).unwrap()).unwrap();

    let off = offline(&[&bundle]);
    let outcome = off.bundle.unwrap();
    let live = shape(&done.live.analysis);
    let (status, code, attempts) = shape(&outcome.analysis);
    assert_eq!((status, code), (live.0, live.1), "same verdict as the live check");
    assert_eq!(attempts, shape(&done.bundled.analysis).2);
    let strip = |s: &str| s.split(" [").next().unwrap().to_string();
    assert_eq!(
        attempts.iter().map(|a| strip(a)).collect::<Vec<_>>(),
        live.2.iter().map(|a| strip(a)).collect::<Vec<_>>(),
        "same attempts"
    );
    let failed = outcome.analysis.attempts.iter().find(|a| a.root_cause.is_some()).unwrap();
    assert_eq!(failed.hub.as_deref().map(|h| h.starts_with("10.0.")), Some(true), "{:?}", failed.hub);

    // grep the extracted bundle.
    let x = dir.path().join("x");
    std::fs::create_dir(&x).unwrap();
    extract(&bundle, &x, &Limits::default()).unwrap();
    let mut files = Vec::new();
    all_files(&x, &mut files);
    let mut originals: Vec<String> = vec![
        "cucm-hub".into(),
        "cucm-spoke".into(),
        "example.com".into(),
        "10.106.104.220".into(),
        "10.106.104.201".into(),
        "127.0.0.1".into(),
        "HUB-CL".into(),
        "SPOKE-CL".into(),
    ];
    originals.extend(map["names"].as_object().unwrap().keys().cloned());
    originals.extend(map["addresses"].as_object().unwrap().keys().cloned());
    originals.extend(secrets);
    assert!(files.len() > 10);
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).to_ascii_lowercase();
        for o in &originals {
            assert!(!text.contains(&o.to_ascii_lowercase()), "{} contains {o}", f.display());
        }
        assert!(!f.to_string_lossy().contains("mapping"), "the mapping is never inside");
        // A certificate names its host inside its base64, where no pseudonym reaches.
        assert!(!text.contains("begin certificate"), "{} holds a certificate", f.display());
        assert!(
            !text.contains("der_base64\": \"") && !text.contains("der_base64\":\""),
            "{} holds a certificate's DER",
            f.display()
        );
    }
    // The certificate check still runs on the decoded fields the bundle keeps.
    assert!(!outcome.preflight.is_empty(), "the bundle's diagnosis has its certificate check");
}

/// A tar.gz whose entry names are written raw (the tar crate refuses to build unsafe names).
/// (name, type, link target, data).
type RawEntry<'a> = (&'a [u8], tar::EntryType, &'a [u8], &'a [u8]);

fn raw_tar(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, kind, link, data) in entries {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, *data).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

fn refused(archive: &[u8], file: &str, want: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(file);
    std::fs::write(&p, archive).unwrap();
    let dest = d.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let e = extract(&p, &dest, &Limits::default()).unwrap_err().to_string();
    for w in want {
        assert!(e.contains(w), "{e} should contain {w}");
    }
    assert!(!d.path().join("evil").exists() && !Path::new("/tmp/ils-doctor-evil").exists(), "nothing escaped");
    // And through analyze: the error names the archive and the entry.
    let e = run_offline(&Request { inputs: vec![p.clone()], ..Request::default() }).unwrap_err().to_string();
    assert!(e.contains(file) && e.contains(want[0]), "{e}");
}

#[test]
fn hostile_tar_archives_are_refused_naming_the_entry() {
    use tar::EntryType as T;
    refused(
        &raw_tar(&[(b"ok.txt", T::Regular, b"", b"x"), (b"../evil", T::Regular, b"", b"x")]),
        "slip.tar.gz",
        &["\"../evil\"", "escapes"],
    );
    refused(
        &raw_tar(&[(b"/tmp/ils-doctor-evil", T::Regular, b"", b"x")]),
        "abs.tar.gz",
        &["/tmp/ils-doctor-evil", "absolute"],
    );
    refused(&raw_tar(&[(b"link", T::Symlink, b"/etc/passwd", b"")]), "sym.tar.gz", &["\"link\"", "symbolic link"]);
    refused(&raw_tar(&[(b"hard", T::Link, b"/etc/passwd", b"")]), "hard.tar.gz", &["\"hard\"", "hard link"]);
}

#[test]
fn a_decompression_bomb_is_stopped() {
    // 1 GiB of zeros, about 1 MB on disk: a tar header, then 1024 gzip members of 1 MiB zeros.
    let mut h = tar::Header::new_gnu();
    h.set_path("zeros.txt").unwrap();
    h.set_size(1 << 30);
    h.set_mode(0o644);
    h.set_cksum();
    let gz = |b: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    let mut bomb = gz(h.as_bytes());
    let mib = gz(&vec![0u8; 1 << 20]);
    for _ in 0..1024 {
        bomb.extend_from_slice(&mib);
    }
    assert!(bomb.len() < 4 << 20, "{}", bomb.len());
    refused(&bomb, "bomb.tar.gz", &["\"zeros.txt\"", "decompression bomb"]);

    // Honest small entries beyond the total: stopped by the total, naming the entry.
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("many.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    for i in 0..4 {
        z.start_file(format!("f{i}.txt"), zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(&vec![b'a'; 4096]).unwrap();
    }
    z.finish().unwrap();
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let limits = Limits { max_entries: 100, max_entry_bytes: 8192, max_total_bytes: 10_000 };
    let e = extract(&p, &out, &limits).unwrap_err().to_string();
    assert!(e.contains("\"f2.txt\"") && e.contains("in total"), "{e}");
    let limits = Limits { max_entries: 2, ..Limits::default() };
    let e = extract(&p, &out, &limits).unwrap_err().to_string();
    assert!(e.contains("more than 2"), "{e}");
}

#[test]
fn hostile_zip_archives_are_refused_naming_the_entry() {
    type Zip = zip::ZipWriter<std::io::Cursor<Vec<u8>>>;
    let build = |f: &dyn Fn(&mut Zip)| {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        f(&mut z);
        z.finish().unwrap().into_inner()
    };
    let opts = zip::write::SimpleFileOptions::default();
    let slip = build(&|z| {
        z.start_file("../evil", opts).unwrap();
        z.write_all(b"x").unwrap();
    });
    refused(&slip, "slip.zip", &["\"../evil\"", "escapes"]);
    let win = build(&|z| {
        z.start_file("a\\..\\..\\evil", opts).unwrap();
        z.write_all(b"x").unwrap();
    });
    refused(&win, "win.zip", &["evil", "escapes"]);
    let sym = build(&|z| {
        z.add_symlink("link", "/etc/passwd", opts).unwrap();
    });
    refused(&sym, "sym.zip", &["\"link\"", "symbolic link"]);
}

fn technote_scenarios() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdl");
    let mut v: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn without_files(a: &Analysis) -> Vec<String> {
    a.attempts.iter().map(|x| attempt_shape(x).split(" [").next().unwrap().to_string()).collect()
}

#[test]
fn sides_are_detected_on_every_technote_scenario() {
    for s in technote_scenarios() {
        let (hub, spoke) = support::fixture(&s);
        let given = support::analyze(&[&hub], &[&spoke]);
        let off = offline(&[hub.parent().unwrap()]);
        assert_eq!(off.analysis.status, given.status, "{s}");
        assert_eq!(without_files(&off.analysis), without_files(&given), "{s}: {:?}", off.notes);
        let hub_note = off.notes.iter().find(|n| n.contains("hub.txt")).unwrap();
        assert!(hub_note.contains("→ hub") && hub_note.contains("10.106.104.220"), "{s}: {hub_note}");
        let spoke_note = off.notes.iter().find(|n| n.contains("spoke.txt")).unwrap();
        assert!(spoke_note.contains("→ spoke"), "{s}: {spoke_note}");
        assert!(
            off.analysis.traces.iter().any(|t| t.side == Side::Hub && t.host_ip.as_deref() == Some("10.106.104.220")),
            "{s}"
        );
    }
}

#[test]
fn rtmt_folders_and_zips_are_analysed_like_the_traces_themselves() {
    let (hub, spoke) = support::fixture("m2_spoke_cert_not_in_hub");
    let given = support::analyze(&[&hub], &[&spoke]);
    let d = tempfile::tempdir().unwrap();
    let rtmt = d.path().join("CCMTraces");
    let place = |node: &str, src: &Path, name: &str| {
        let dir = rtmt.join(node).join("2016-09-20_17-00-00/cm/trace/ils/sdl");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(src, dir.join(name)).unwrap();
    };
    place("cucm1150", &hub, "SDL001_600_000001.txt");
    place("10.106.104.201", &spoke, "SDL001_600_000007.txt");
    let ccm = rtmt.join("cucm1150/2016-09-20_17-00-00/cm/trace/ccm/sdl");
    std::fs::create_dir_all(&ccm).unwrap();
    std::fs::write(ccm.join("SDL001_100_000001.txt"), "not ILS\n").unwrap();

    let off = offline(&[&rtmt]);
    assert!(
        off.notes.iter().any(|n| n.contains("node folder(s) 10.106.104.201, cucm1150") && n.contains("1 other")),
        "{:?}",
        off.notes
    );
    assert_eq!(without_files(&off.analysis), without_files(&given));
    assert_eq!(off.analysis.status, Status::Critical);

    // RTMT's "Zip File" choice: the same tree in a zip, with Windows separators.
    let zpath = d.path().join("collect.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    for (node, src) in [("cucm1150", &hub), ("10.106.104.201", &spoke)] {
        z.start_file(
            format!("{node}\\2016-09-20_17-00-00\\cm\\trace\\ils\\sdl\\SDL001_600_000001.txt"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(&std::fs::read(src).unwrap()).unwrap();
    }
    z.finish().unwrap();
    let off = offline(&[&zpath]);
    assert_eq!(without_files(&off.analysis), without_files(&given), "{:?}", off.notes);
    let ev = &off.analysis.attempts[0].evidence[0].file;
    assert!(ev.starts_with(&format!("{}/", zpath.display())), "evidence names the zip, not a temporary folder: {ev}");
}
