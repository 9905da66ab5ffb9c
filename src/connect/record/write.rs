//! Writing a recording: `DIR/<publisher>_<https port>.jsonl` (header line, then one line per
//! exchange) and `DIR/traces/<publisher>_<https port>/` (the files as downloaded), every file
//! owner-only, redacted through a [`Redactor`] when the recording asks for it.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{json, Map, Value};

use super::{Recording, Transcript, FORMAT};

/// Largest trace file redacted (read whole): far beyond an ILS trace file.
const MAX_TRACE: u64 = 256 << 20;

/// What redacts a transcript: the bundle's pseudonyms (`bundle::redact::Pseudonyms`).
pub trait Redactor {
    /// Learns names and addresses from text before anything is replaced.
    fn learn(&mut self, text: &[u8]);
    fn apply(&mut self, text: &[u8]) -> Vec<u8>;
}

#[derive(Debug, thiserror::Error)]
#[error("--record {dir}: cannot {op} {path}: {reason}; check that the folder is writable and has space")]
pub struct RecordError {
    pub dir: String,
    pub op: &'static str,
    pub path: String,
    pub reason: String,
}

fn sanitize(s: &str) -> String {
    let s: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') { c } else { '_' }).collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() {
        "publisher".into()
    } else {
        s
    }
}

/// Every string of `v` through `f`; `*_b64` strings are decoded first and encoded again.
fn walk(v: &mut Value, f: &mut dyn FnMut(&[u8]) -> Vec<u8>) {
    match v {
        Value::String(s) => *s = String::from_utf8_lossy(&f(s.as_bytes())).into_owned(),
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, f)),
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(s) if k.ends_with("_b64") => {
                        let b64 = base64::engine::general_purpose::STANDARD;
                        if let Ok(raw) = b64.decode(s.as_bytes()) {
                            *s = b64.encode(f(&raw));
                        }
                    }
                    _ => walk(x, f),
                }
            }
        }
        _ => {}
    }
}

/// A new file, owner-only: never one that exists, never through a symbolic link.
fn owner_only_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    o.open(path)
}

/// The folder, created owner-only when missing; an existing one must be a real folder, not a
/// symbolic link (which could point anywhere).
pub(super) fn owner_only_dir(path: &Path) -> std::io::Result<()> {
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if m.file_type().is_symlink() || !m.is_dir() {
            return Err(std::io::Error::other("it exists and is not a folder (a symbolic link is not followed)"));
        }
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(path)
}

/// Where `--record DIR` may write: a folder that does not exist yet, or an empty one that is
/// not a symbolic link, so that no file of another run is mixed in or overwritten.
pub fn check_target(dir: &Path) -> Result<(), RecordError> {
    let refuse = |reason: &str| RecordError {
        dir: dir.display().to_string(),
        op: "use",
        path: dir.display().to_string(),
        reason: reason.to_string(),
    };
    let Ok(m) = std::fs::symlink_metadata(dir) else { return Ok(()) };
    if m.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link, which is not followed; give a new folder"));
    }
    if !m.is_dir() {
        return Err(refuse("it exists and is not a folder; give a new folder"));
    }
    let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
    if !empty {
        return Err(refuse("the folder is not empty (another run's recording?); give a new or empty folder"));
    }
    Ok(())
}

/// The text of a downloaded trace, decompressed when gzip, bounded.
/// A recorded trace file's text: decompressed when it is gzip (a cut `.gzo` keeps what came
/// before the cut), at most 256 MiB either way.
pub fn plain_trace(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut head = [0u8; 2];
    let mut raw = Vec::new();
    f.take(MAX_TRACE).read_to_end(&mut raw)?;
    if let Some(h) = raw.get(..2) {
        head.copy_from_slice(h);
    }
    if head == [0x1f, 0x8b] {
        let mut out = Vec::new();
        // A cut gzip (`.gzo` still being written): keep what came before the cut.
        let _ = flate2::read::MultiGzDecoder::new(raw.as_slice()).take(MAX_TRACE).read_to_end(&mut out);
        return Ok(out);
    }
    Ok(raw)
}

impl Recording {
    /// Writes the recording into its folder (see [`Recording::write_to`]) and removes the
    /// staged trace copies.
    pub fn finish(&self, redactor: Option<&mut dyn Redactor>) -> Result<Vec<PathBuf>, RecordError> {
        let dir = self.shared.dir.clone();
        let written = self.write_to(&dir, redactor);
        if let Ok(mut s) = self.shared.staging.lock() {
            s.take();
        }
        written
    }

    /// Writes every publisher's transcript and trace copies into `dir`; returns the files
    /// written, transcripts (`.jsonl`) first. With `redactor` every string, every trace and the
    /// file names go through it (a redacted trace is stored decompressed).
    pub fn write_to(&self, dir: &Path, mut redactor: Option<&mut dyn Redactor>) -> Result<Vec<PathBuf>, RecordError> {
        let dir = dir.to_path_buf();
        let err = |op: &'static str, path: &Path, e: std::io::Error| RecordError {
            dir: dir.display().to_string(),
            op,
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        owner_only_dir(&dir).map_err(|e| err("create", &dir, e))?;
        let publishers = self.shared.publishers.lock().map(|p| p.clone()).unwrap_or_default();
        let mut written = Vec::new();
        let mut copies = Vec::new();
        // Learn first from everything, so that every name has its pseudonym before any is used.
        let mut all: Vec<(Value, Vec<(PathBuf, String)>)> = Vec::new();
        for p in &publishers {
            let Ok(t) = p.t.lock() else { continue };
            let mut lines = vec![self.header(&t)];
            lines.extend(t.entries.iter().cloned());
            all.push((Value::Array(lines), t.traces.clone()));
        }
        if let Some(r) = redactor.as_deref_mut() {
            for (v, _) in all.iter_mut() {
                walk(v, &mut |s: &[u8]| {
                    r.learn(s);
                    s.to_vec()
                });
            }
        }
        for (mut v, traces) in all {
            if let Some(r) = redactor.as_deref_mut() {
                walk(&mut v, &mut |s: &[u8]| r.apply(s));
            }
            let Value::Array(lines) = v else { continue };
            let Some(header) = lines.first() else { continue };
            let stem = sanitize(&format!(
                "{}_{}",
                header.get("publisher").and_then(Value::as_str).unwrap_or("publisher"),
                header.get("https_port").and_then(Value::as_u64).unwrap_or(0)
            ));
            let path = dir.join(format!("{stem}.jsonl"));
            let mut out = std::io::BufWriter::new(owner_only_file(&path).map_err(|e| err("write", &path, e))?);
            for l in &lines {
                let mut text = serde_json::to_string(l).unwrap_or_default();
                text.push('\n');
                out.write_all(text.as_bytes()).map_err(|e| err("write", &path, e))?;
            }
            out.flush().map_err(|e| err("write", &path, e))?;
            let tdir = dir.join("traces").join(&stem);
            for (staged, local) in &traces {
                owner_only_dir(&tdir).map_err(|e| err("create", &tdir, e))?;
                let dest = tdir.join(sanitize(local));
                let bytes = match redactor.as_deref_mut() {
                    Some(r) => r.apply(&plain_trace(staged).map_err(|e| err("read", staged, e))?),
                    None => std::fs::read(staged).map_err(|e| err("read", staged, e))?,
                };
                let mut f = owner_only_file(&dest).map_err(|e| err("write", &dest, e))?;
                f.write_all(&bytes).map_err(|e| err("write", &dest, e))?;
                copies.push(dest);
            }
            written.push(path);
        }
        written.extend(copies);
        Ok(written)
    }

    fn header(&self, t: &Transcript) -> Value {
        let mut m = Map::new();
        m.insert("format".into(), json!(FORMAT));
        m.insert("tool".into(), json!(format!("ils-doctor {}", env!("CARGO_PKG_VERSION"))));
        m.insert("publisher".into(), json!(t.host));
        m.insert("ssh_port".into(), json!(t.ssh_port));
        m.insert("https_port".into(), json!(t.https_port));
        m.insert("role".into(), json!(t.role));
        m.insert("started_at".into(), json!(self.shared.started_at));
        m.insert("redacted".into(), json!(self.shared.redact));
        m.insert(
            "field_sample".into(),
            json!({
                "synthetic": self.shared.synthetic,
                "cucm_version": t.version,
                "note": if self.shared.synthetic {
                    "recorded against ils-doctor's mock publisher, not a real CUCM"
                } else {
                    "recorded against a real publisher"
                },
            }),
        );
        m.insert("entries".into(), json!(t.entries.len()));
        m.insert("dropped".into(), json!(t.dropped));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Dialog, Recording};
    use super::*;

    struct Upper;
    impl Redactor for Upper {
        fn learn(&mut self, _: &[u8]) {}
        fn apply(&mut self, t: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            let mut i = 0;
            while i < t.len() {
                if t[i..].starts_with(b"pub1") {
                    out.extend_from_slice(b"hub-1");
                    i += 4;
                } else {
                    out.push(t[i]);
                    i += 1;
                }
            }
            out
        }
    }

    #[test]
    fn a_recording_is_written_owner_only_without_passwords_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let rec = Recording::new(&dir.path().join("rec"), true, true);
        let r = rec.publisher("pub1", 22, 8443);
        r.secret("s3cret");
        let h = r.http_request("POST", "/axl/", Some("x"), b"<sql>select pub1</sql>", "basic");
        r.http_response(h, 200, "text/xml", vec!["JSESSIONID".into()]);
        r.http_body(h, b"<ok>pub1</ok>");
        let h = r.http_request("POST", "/axl/", None, b"<p>s3cret</p>", "cookie");
        r.http_body(h, b"\xff\xfepub1");
        let mut d = Dialog::new();
        d.add(true, b"show version active\n");
        d.add(false, b"show version active\r\n");
        d.add(false, b"pub1 admin:");
        r.ssh_exchange(1, Some("show version active"), &d, "prompt");
        let files = rec.finish(Some(&mut Upper)).unwrap();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(files[0].ends_with("hub-1_8443.jsonl"), "{files:?}");
        assert!(!text.contains("pub1") && !text.contains("s3cret"), "{text}");
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["format"], FORMAT);
        assert_eq!(lines[0]["field_sample"]["synthetic"], true);
        assert_eq!(lines[1]["authorization"], "Basic <not recorded>");
        assert_eq!(lines[2]["request_body"], "<not recorded>");
        let b =
            base64::engine::general_purpose::STANDARD.decode(lines[2]["response_body_b64"].as_str().unwrap()).unwrap();
        assert_eq!(b, b"\xff\xfehub-1");
        assert_eq!(lines[3]["steps"][1]["recv"], "show version active\r\nhub-1 admin:");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn the_password_is_caught_encoded_and_escaped_too() {
        let dir = tempfile::tempdir().unwrap();
        let rec = Recording::new(&dir.path().join("rec"), false, true);
        let r = rec.publisher("pub1", 22, 8443);
        let pw = "pa<ss>&w0rd!";
        r.secret(pw);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("axladmin:{pw}"));
        for (i, body) in [
            format!("<p>{pw}</p>"),
            "<p>pa&lt;ss&gt;&amp;w0rd!</p>".to_string(),
            format!("Authorization: Basic {basic}"),
            format!("x{}", base64::engine::general_purpose::STANDARD.encode(pw)),
        ]
        .iter()
        .enumerate()
        {
            let h = r.http_request("POST", "/axl/", None, body.as_bytes(), "basic");
            r.http_body(h, b"ok");
            let _ = i;
        }
        let files = rec.finish(None).unwrap();
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert_eq!(text.matches("\"request_body\":\"<not recorded>\"").count(), 4, "{text}");
    }

    #[test]
    fn a_record_folder_must_be_new_or_empty_and_no_link() {
        let dir = tempfile::tempdir().unwrap();
        check_target(&dir.path().join("new")).unwrap();
        check_target(dir.path()).unwrap();
        std::fs::write(dir.path().join("old.jsonl"), "x").unwrap();
        assert!(check_target(dir.path()).unwrap_err().to_string().contains("not empty"));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/etc", &link).unwrap();
        assert!(check_target(&link).unwrap_err().to_string().contains("symbolic link"));
        // A file planted under a name the recording writes is never written through.
        let rec = Recording::new(&dir.path().join("rec"), false, true);
        let r = rec.publisher("pub1", 22, 8443);
        r.ssh_auth(1, "admin", "password", "ok", std::time::Instant::now());
        std::fs::create_dir(dir.path().join("rec")).unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("rec/pub1_8443.jsonl")).unwrap();
        assert!(rec.finish(None).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }

    #[test]
    fn an_unchanged_download_is_copied_once_and_staged_in_the_run_s_folder() {
        let dir = tempfile::tempdir().unwrap();
        let rec = Recording::new(&dir.path().join("rec"), false, true);
        let r = rec.publisher("pub1", 22, 8443);
        let file = dir.path().join("SDL001_600_000001.txt.gzo");
        let mut copies = Vec::new();
        for content in ["a", "a", "ab", "ab"] {
            std::fs::write(&file, content).unwrap();
            let h = r.http_request("POST", "/logcollectionservice/", None, b"<GetOneFile/>", "basic");
            r.http_file(h, &file, content.len() as u64);
            let staged: Vec<_> = std::fs::read_dir(dir.path().join("rec"))
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".ils-doctor-record-"))
                .collect();
            assert_eq!(staged.len(), 1, "staged inside the recording's folder");
            copies.push(std::fs::read_dir(staged[0].path()).unwrap().count());
        }
        assert_eq!(copies, [1, 1, 2, 2], "a copy only when the file changed");
        let files = rec.finish(None).unwrap();
        assert_eq!(files.iter().filter(|f| f.to_string_lossy().contains("/traces/")).count(), 2);
    }
}
