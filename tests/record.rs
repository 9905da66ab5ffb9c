//! `--record DIR`: a check against the mock leaves one transcript per publisher, with every
//! SSH and HTTP exchange and the traces as downloaded, never a password; `--redact` leaves no
//! host name, address or cluster ID of the original (the approach of tests/secrets.rs: every
//! byte written is searched).

mod support;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

const PASSWORD: &str = "Rx9-RECORD-pw-7c2e";

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Records `check` against a bundled scenario; returns the network, the record folder and the
/// check's output.
fn record(scenario: &str, redact: bool) -> (support::live::Net, PathBuf, std::process::Output) {
    std::env::set_var("MOCK_HUB_PASSWORD", PASSWORD);
    std::env::set_var("MOCK_SPOKE_PASSWORD", PASSWORD);
    let net = support::live::start(scenario);
    let rec = net.dir.path().join("record");
    let mut c = net.check_command("10s");
    c.arg("--record").arg(&rec).arg("--record-synthetic");
    if redact {
        c.arg("--redact");
    }
    let out = c.output().unwrap();
    (net, rec, out)
}

#[test]
fn a_record_holds_every_exchange_and_no_password() {
    let (net, rec, out) = record("m2-hub-cert-not-on-spoke", false);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let mut transcripts: Vec<PathBuf> = std::fs::read_dir(&rec)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    transcripts.sort();
    assert_eq!(transcripts.len(), 2, "one per publisher: {transcripts:?}");
    for t in &transcripts {
        let l = lines(t);
        let h = &l[0];
        assert_eq!(h["format"], "ils-doctor/transcript/1");
        assert_eq!(h["field_sample"]["synthetic"], true);
        assert!(h["field_sample"]["cucm_version"].is_string(), "{h}");
        assert!(["hub", "spoke"].contains(&h["role"].as_str().unwrap()), "{h}");
        let kinds: Vec<&str> = l[1..].iter().map(|e| e["kind"].as_str().unwrap()).collect();
        for k in ["ssh_open", "ssh_auth", "ssh_cli_start", "ssh_command", "http"] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
        let open = l.iter().find(|e| e["kind"] == "ssh_open").unwrap();
        assert!(open["server_id"].as_str().unwrap().starts_with("SSH-2.0-"), "{open}");
        assert!(open["agreed"]["kex"].is_string() && open["client_offer"]["kex"].is_array(), "{open}");
        let auth = l.iter().find(|e| e["kind"] == "ssh_auth").unwrap();
        assert_eq!(auth["password"], "<not recorded>");
        let version = l.iter().find(|e| e["command"] == "show version active").unwrap();
        let received: String = version["steps"].as_array().unwrap().iter().filter_map(|s| s["recv"].as_str()).collect();
        assert!(received.ends_with("admin:") || received.ends_with("admin: "), "{received:?}");
        let soap = l.iter().filter(|e| e["kind"] == "http" && e["method"] == "POST").collect::<Vec<_>>();
        assert!(!soap.is_empty());
        assert!(soap.iter().all(|e| e["authorization"].as_str().unwrap().contains("<not recorded>")));
        assert!(soap.iter().any(|e| e["response_body"].as_str().is_some_and(|b| b.contains("Envelope"))));
    }
    // The ILS traces of the hub, as downloaded.
    let all = support::all_files_under(&rec);
    assert!(all.iter().any(|p| p.to_string_lossy().contains("/traces/")), "{all:?}");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{PASSWORD}", net.hub.app_user));
    for f in &all {
        let bytes = std::fs::read(f).unwrap();
        for needle in [PASSWORD, basic.as_str()] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{} holds a secret", f.display());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o077, 0, "{} owner-only", f.display());
        }
    }
}

#[test]
fn a_redacted_record_names_no_host_address_or_cluster_id() {
    let (net, rec, out) = record("m2-hub-cert-not-on-spoke", true);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let mut originals: Vec<String> = vec![PASSWORD.into(), "127.0.0.1".into()];
    net.mock.with_world(|w| {
        for c in &w.scenario.clusters {
            originals.extend([c.fqdn.clone(), c.ip.clone(), c.cluster_id.clone()]);
            originals.extend(c.fqdn.split('.').next().map(String::from));
        }
    });
    originals.retain(|o| o.len() >= 3 && o != "StandAloneCluster");
    let all = support::all_files_under(&rec);
    assert!(all.len() >= 3, "{all:?}");
    let mut bytes_searched = 0;
    for f in &all {
        let text = std::fs::read(f).unwrap();
        bytes_searched += text.len();
        let lower = String::from_utf8_lossy(&text).to_ascii_lowercase();
        for o in &originals {
            assert!(!lower.contains(&o.to_ascii_lowercase()), "{} holds {o:?}", f.display());
        }
        assert!(!f.to_string_lossy().contains("127.0.0.1"), "{}", f.display());
        // A certificate names its host inside its base64, where no pseudonym reaches.
        assert!(!lower.contains("begin certificate"), "{} holds a certificate", f.display());
    }
    assert!(bytes_searched > 10_000, "{bytes_searched}");
    let headers: Vec<Value> =
        all.iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl")).map(|p| lines(p)[0].clone()).collect();
    assert_eq!(headers.len(), 2);
    assert!(headers.iter().all(|h| h["redacted"] == true && h["publisher"].as_str().unwrap().starts_with("10.0.")));
}

/// What must be the same between a check and the check of its replay.
fn verdict(json: &[u8]) -> (String, Vec<String>, Vec<String>) {
    let v: Value = serde_json::from_slice(json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(json)));
    let causes =
        v["attempts"].as_array().unwrap().iter().map(|a| format!("{}/{}", a["outcome"], a["root_cause"])).collect();
    let mut codes: Vec<String> =
        v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect();
    codes.sort();
    (v["status"].as_str().unwrap().to_string(), causes, codes)
}

#[test]
fn a_check_replayed_from_its_record_gives_the_same_verdict_and_a_missing_request_is_named() {
    let (net, rec, out) = record("m2-hub-cert-not-on-spoke", false);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let live = verdict(&out.stdout);
    assert!(live.1.iter().any(|c| c.contains("spoke_rejects_hub_certificate")), "{live:?}");
    // The same options as the recorded check (`check_command`: capture 10 s, force registration
    // off unless given; the binary's defaults otherwise).
    let (replayed, replay) = support::live::check_replay(&rec, net.dir.path(), &["--capture", "10s"]);
    assert_eq!(
        replayed.status.code(),
        Some(2),
        "{}\nunmatched: {:#?}",
        String::from_utf8_lossy(&replayed.stderr),
        replay.unmatched()
    );
    assert_eq!(verdict(&replayed.stdout), live, "unmatched: {:#?}", replay.unmatched());
    assert!(replay.unmatched().is_empty(), "{:#?}", replay.unmatched());

    // A request the record does not hold: a clear error naming it and the closest recorded.
    let info = &replay.publishers()[0].info;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = ils_doctor::connect::soap::SoapClient::new(&ils_doctor::connect::soap::HttpsTarget {
        host: "127.0.0.1".into(),
        port: info.https.port(),
        user: "administrator".into(),
        password: ils_doctor::secret::Secret::new("any"),
        tls: ils_doctor::connect::tls::TlsMode::Insecure,
        connect_timeout: std::time::Duration::from_secs(5),
        request_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let e = rt.block_on(client.axl("getPhone", "<name>SEP001122334455</name>", true)).unwrap_err().to_string();
    assert!(e.contains("HTTP 404") && e.contains("no recorded answer for POST /axl/"), "{e}");
    assert!(e.contains("getPhone") && e.contains("closest recorded: POST /axl/"), "{e}");
    let target = ils_doctor::connect::ssh::SshTarget {
        host: "127.0.0.1".into(),
        port: info.ssh.port(),
        user: "admin".into(),
        password: ils_doctor::secret::Secret::new("any"),
        known_hosts: net.dir.path().join("replay_known_hosts"),
        accept_new_host_key: false,
        legacy_ssh: false,
        timeouts: Default::default(),
    };
    let out = rt
        .block_on(async {
            let mut s = ils_doctor::connect::ssh::SshSession::open(&target).await?;
            s.run("show status").await
        })
        .unwrap();
    assert!(out.contains("no recorded answer for the CLI command `show status`; closest recorded: `"), "{out}");
    assert_eq!(replay.unmatched().len(), 2, "{:#?}", replay.unmatched());
}
