//! Transcript recording (`--record DIR`; the format is docs/transcript.md): what each publisher
//! said, exchange by exchange, so that a run against a real publisher can be replayed by the
//! mock and its answers studied.
//!
//! One [`Recording`] per run; one [`Recorder`] per publisher (host and ports), a cheap handle the
//! SSH session and the SOAP client hold as an `Option`: with no `--record`, nothing is kept and
//! nothing is copied. Entries stay in memory (bodies bounded by [`MAX_BODY`], entries by
//! [`MAX_ENTRIES`], and all bodies of a publisher by [`MAX_KEPT_BYTES`]: past it they are
//! counted, not kept) and downloaded traces are copied at once into an owner-only staging
//! folder inside the recording's own folder (so a killed run leaves it there, not in /tmp); a
//! file that did not change since its last copy is not copied again. [`Recording::finish`]
//! writes one JSON Lines file per publisher (`write.rs`), redacted when asked, into a folder
//! that was new or empty, never through a symbolic link.
//!
//! Passwords are never kept: the SSH authentication and the HTTP Basic header are recorded as
//! [`NOT_RECORDED`]; the SOAP bodies ils-doctor sends hold no password (checked: a body that
//! contains the password, as is, base64-encoded at any alignment or XML-escaped, is recorded as
//! [`NOT_RECORDED`] too).

mod write;

pub use write::{check_target, plain_trace};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine;
use serde_json::{json, Map, Value};

pub use write::{RecordError, Redactor};

/// The format's name and version, the first line's `format`.
pub const FORMAT: &str = "ils-doctor/transcript/1";
/// What stands in for a password, a Basic credential or a cookie value.
pub const NOT_RECORDED: &str = "<not recorded>";
/// Body bytes kept per exchange; the rest is counted (`truncated`).
pub const MAX_BODY: usize = 4 << 20;
/// Entries kept per publisher; later ones are counted (`dropped` in the last line).
pub const MAX_ENTRIES: usize = 20_000;
/// Trace copies kept per publisher.
pub const MAX_TRACES: usize = 2_000;
/// Body bytes kept in memory per publisher, all exchanges together.
pub const MAX_KEPT_BYTES: usize = 64 << 20;
/// What stands in for a body past [`MAX_KEPT_BYTES`].
pub const OVER_BUDGET: &str = "<not kept: the recording's memory budget for this publisher is spent>";

/// One run's recording: where it goes, whether it is redacted, and each publisher's transcript.
#[derive(Clone)]
pub struct Recording {
    shared: Arc<Shared>,
}

struct Shared {
    dir: PathBuf,
    /// Where the staging folder goes: the recording's folder, or the bundle's.
    staging_in: PathBuf,
    redact: bool,
    synthetic: bool,
    start: Instant,
    started_at: String,
    publishers: Mutex<Vec<Recorder>>,
    /// (name, kind, side id) to pseudonymise: `host`, `cluster_id`.
    notes: Mutex<Vec<(String, &'static str, String)>>,
    /// The owner-only folder downloaded traces are copied into until `finish`.
    staging: Mutex<Option<tempfile::TempDir>>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").field("dir", &self.shared.dir).field("redact", &self.shared.redact).finish()
    }
}

/// One publisher's transcript, shared by its SSH session and SOAP client.
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
    t: Arc<Mutex<Transcript>>,
}

#[derive(Default)]
struct Transcript {
    host: String,
    ssh_port: u16,
    https_port: u16,
    role: Option<String>,
    version: Option<String>,
    /// The passwords in use, only to check that no body carries one (never written).
    secrets: Vec<String>,
    entries: Vec<Value>,
    dropped: usize,
    next_id: u64,
    ssh_sessions: u64,
    /// Copied traces: (staging file, name in DIR/traces/<stem>/).
    traces: Vec<(PathBuf, String)>,
    /// The last copy of each downloaded file name: (its SHA-256, its name in `traces`).
    last_copy: std::collections::HashMap<String, ([u8; 32], String)>,
    /// Body bytes kept so far (see [`MAX_KEPT_BYTES`]).
    kept_bytes: usize,
}

/// A recorded HTTP exchange in progress (see [`Recorder::http_request`]).
#[derive(Debug, Clone, Copy)]
pub struct HttpId {
    id: u64,
    start: Instant,
}

/// Text as JSON: `{key: text}` when the bytes are UTF-8, else `{key_b64: base64}`.
pub fn text_or_b64(key: &str, bytes: &[u8]) -> (String, Value) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (key.to_string(), Value::String(s.to_string())),
        Err(_) => (format!("{key}_b64"), Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))),
    }
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Recording {
    /// A recording into `dir` (created at `finish`), redacted with the bundle's pseudonyms when
    /// `redact`; `synthetic` marks a record made against the mock.
    pub fn new(dir: &Path, redact: bool, synthetic: bool) -> Recording {
        Recording::staged_in(dir, dir, redact, synthetic)
    }

    /// A recording that goes into a bundle at `file`: staged in a hidden folder beside it.
    pub fn beside(file: &Path, redact: bool, synthetic: bool) -> Recording {
        let parent = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Recording::staged_in(file, parent, redact, synthetic)
    }

    fn staged_in(dir: &Path, staging_in: &Path, redact: bool, synthetic: bool) -> Recording {
        Recording {
            shared: Arc::new(Shared {
                dir: dir.to_path_buf(),
                staging_in: staging_in.to_path_buf(),
                redact,
                synthetic,
                start: Instant::now(),
                started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                publishers: Mutex::new(Vec::new()),
                notes: Mutex::new(Vec::new()),
                staging: Mutex::new(None),
            }),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    pub fn redact(&self) -> bool {
        self.shared.redact
    }

    /// The transcript of `host` (created on first use; the same one for later sessions). A port
    /// of 0 matches any (restore knows only the HTTPS port).
    pub fn publisher(&self, host: &str, ssh_port: u16, https_port: u16) -> Recorder {
        let Ok(mut list) = self.shared.publishers.lock() else {
            return self.fresh(host, ssh_port, https_port);
        };
        let same = |t: &Transcript| {
            t.host == host
                && (t.https_port == https_port || https_port == 0 || t.https_port == 0)
                && (t.ssh_port == ssh_port || ssh_port == 0 || t.ssh_port == 0)
        };
        if let Some(r) = list.iter().find(|r| r.t.lock().is_ok_and(|t| same(&t))) {
            if let Ok(mut t) = r.t.lock() {
                t.ssh_port = t.ssh_port.max(ssh_port);
                t.https_port = t.https_port.max(https_port);
            }
            return r.clone();
        }
        let r = self.fresh(host, ssh_port, https_port);
        list.push(r.clone());
        r
    }

    fn fresh(&self, host: &str, ssh_port: u16, https_port: u16) -> Recorder {
        let t = Transcript { host: host.to_string(), ssh_port, https_port, ..Transcript::default() };
        Recorder { shared: self.shared.clone(), t: Arc::new(Mutex::new(t)) }
    }

    /// A host name or address to pseudonymise as `side_id` (`hub-1`, `spoke-1`, `host`).
    pub fn note_host(&self, name: &str, side_id: &str) {
        self.note(name, "host", side_id);
    }

    /// A cluster ID to pseudonymise (`side_id` as for the bundle).
    pub fn note_cluster_id(&self, id: &str, side_id: &str) {
        self.note(id, "cluster_id", side_id);
    }

    fn note(&self, name: &str, kind: &'static str, side_id: &str) {
        if let Ok(mut n) = self.shared.notes.lock() {
            if !n.iter().any(|(o, k, _)| o == name && *k == kind) {
                n.push((name.to_string(), kind, side_id.to_string()));
            }
        }
    }

    /// The names noted, in order: (name, `host` | `cluster_id`, side id).
    pub fn notes(&self) -> Vec<(String, &'static str, String)> {
        self.shared.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    fn staging(&self) -> Option<PathBuf> {
        let mut s = self.shared.staging.lock().ok()?;
        if s.is_none() {
            // Inside the run's own folder; tempfile creates it 0700.
            write::owner_only_dir(&self.shared.staging_in).ok()?;
            *s = tempfile::Builder::new().prefix(".ils-doctor-record-").tempdir_in(&self.shared.staging_in).ok();
        }
        s.as_ref().map(|d| d.path().to_path_buf())
    }
}

impl Recorder {
    fn with(&self, f: impl FnOnce(&mut Transcript)) {
        if let Ok(mut t) = self.t.lock() {
            f(&mut t);
        }
    }

    fn now_ms(&self) -> u64 {
        ms(self.shared.start.elapsed())
    }

    /// Adds an entry (its `at_ms` is now unless given); returns its id.
    fn push(&self, mut e: Map<String, Value>) -> u64 {
        let at = self.now_ms();
        let mut id = 0;
        self.with(|t| {
            id = t.next_id;
            t.next_id = t.next_id.saturating_add(1);
            if t.entries.len() >= MAX_ENTRIES {
                t.dropped = t.dropped.saturating_add(1);
                return;
            }
            e.insert("id".into(), json!(id));
            e.entry("at_ms").or_insert(json!(at));
            t.entries.push(Value::Object(e));
        });
        id
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Map<String, Value>)) {
        self.with(|t| {
            if let Some(Value::Object(e)) = t.entries.iter_mut().rev().find(|e| e.get("id") == Some(&json!(id))) {
                f(e);
            }
        });
    }

    /// The publisher's role (`hub`, `spoke`), for the header.
    pub fn set_role(&self, role: &str) {
        self.with(|t| t.role = Some(role.to_string()));
    }

    /// The CUCM version the publisher reported, for the header's `field_sample`.
    pub fn set_version(&self, version: &str) {
        self.with(|t| t.version = Some(version.to_string()));
    }

    /// A password in use: never written, only checked for in the bodies recorded, in the forms
    /// it can take there ([`secret_forms`]).
    pub fn secret(&self, password: &str) {
        if !password.is_empty() {
            self.with(|t| {
                for form in secret_forms(password) {
                    if !t.secrets.contains(&form) {
                        t.secrets.push(form);
                    }
                }
            });
        }
    }

    fn scrub(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.get(..MAX_BODY.min(bytes.len())).unwrap_or_default().to_vec();
        self.with(|t| {
            if t.secrets.iter().any(|s| memchr::memmem::find(&out, s.as_bytes()).is_some()) {
                out = NOT_RECORDED.as_bytes().to_vec();
            }
            t.kept_bytes = t.kept_bytes.saturating_add(out.len());
            if t.kept_bytes > MAX_KEPT_BYTES {
                out = OVER_BUDGET.as_bytes().to_vec();
            }
        });
        out
    }

    // --- SSH ---

    /// A new SSH connection: the outcome of connecting, with what is known of the algorithms.
    pub fn ssh_open(&self, info: SshOpen) -> u64 {
        let mut n = 0;
        self.with(|t| {
            t.ssh_sessions = t.ssh_sessions.saturating_add(1);
            n = t.ssh_sessions;
        });
        let mut e = Map::new();
        e.insert("kind".into(), json!("ssh_open"));
        e.insert("session".into(), json!(n));
        e.insert("at_ms".into(), json!(ms(info.started.duration_since(self.shared.start))));
        e.insert("ms".into(), json!(ms(info.started.elapsed())));
        e.insert("server_id".into(), json!(info.server_id));
        e.insert("client_offer".into(), info.client_offer);
        e.insert("server_offer".into(), info.server_offer.unwrap_or(Value::Null));
        e.insert("agreed".into(), info.agreed.unwrap_or(Value::Null));
        e.insert("host_key".into(), json!(info.host_key));
        e.insert("error".into(), json!(info.error));
        self.push(e);
        n
    }

    /// The authentication banner the server sent, if any.
    pub fn ssh_auth_banner(&self, session: u64, banner: &str) {
        let mut e = Map::new();
        e.insert("kind".into(), json!("ssh_auth_banner"));
        e.insert("session".into(), json!(session));
        e.insert("text".into(), json!(banner));
        self.push(e);
    }

    /// The login: user, method, the password as [`NOT_RECORDED`], the result.
    pub fn ssh_auth(&self, session: u64, user: &str, method: &str, result: &str, started: Instant) {
        let mut e = Map::new();
        e.insert("kind".into(), json!("ssh_auth"));
        e.insert("session".into(), json!(session));
        e.insert("at_ms".into(), json!(ms(started.duration_since(self.shared.start))));
        e.insert("ms".into(), json!(ms(started.elapsed())));
        e.insert("user".into(), json!(user));
        e.insert("method".into(), json!(method));
        e.insert("password".into(), json!(NOT_RECORDED));
        e.insert("result".into(), json!(result));
        self.push(e);
    }

    /// One CLI exchange: the command (`None` for the CLI's start, up to the first prompt), what
    /// was sent and received in order, how it ended.
    pub fn ssh_exchange(&self, session: u64, command: Option<&str>, dialog: &Dialog, outcome: &str) {
        let mut e = Map::new();
        e.insert("kind".into(), json!(if command.is_some() { "ssh_command" } else { "ssh_cli_start" }));
        e.insert("session".into(), json!(session));
        if let Some(c) = command {
            e.insert("command".into(), json!(c));
        }
        e.insert("at_ms".into(), json!(ms(dialog.started.duration_since(self.shared.start))));
        e.insert("ms".into(), json!(ms(dialog.started.elapsed())));
        let steps: Vec<Value> = dialog
            .steps
            .iter()
            .map(|s| {
                let mut m = Map::new();
                let bytes = self.scrub(&s.bytes);
                let (k, v) = text_or_b64(if s.sent { "send" } else { "recv" }, &bytes);
                m.insert(k, v);
                m.insert("after_ms".into(), json!(s.after_ms));
                Value::Object(m)
            })
            .collect();
        e.insert("steps".into(), Value::Array(steps));
        e.insert("outcome".into(), json!(outcome));
        self.push(e);
    }

    // --- HTTP ---

    /// A request about to be sent. `auth` says how it authenticates (`basic`, `cookie`, `none`);
    /// the credential itself is never kept.
    pub fn http_request(&self, method: &str, path: &str, soap_action: Option<&str>, body: &[u8], auth: &str) -> HttpId {
        let start = Instant::now();
        let mut e = Map::new();
        e.insert("kind".into(), json!("http"));
        e.insert("method".into(), json!(method));
        e.insert("path".into(), json!(path));
        e.insert("soap_action".into(), json!(soap_action));
        let credential = match auth {
            "basic" => json!(format!("Basic {NOT_RECORDED}")),
            "cookie" => json!(format!("JSESSIONID={NOT_RECORDED}")),
            _ => Value::Null,
        };
        e.insert("authorization".into(), credential);
        let (k, v) = text_or_b64("request_body", &self.scrub(body));
        e.insert(k, v);
        HttpId { id: self.push(e), start }
    }

    /// The status and the headers that matter (content type, the names of cookies set).
    pub fn http_response(&self, h: HttpId, status: u16, content_type: &str, cookie_names: Vec<String>) {
        let first = ms(h.start.elapsed());
        self.update(h.id, |e| {
            e.insert("status".into(), json!(status));
            e.insert("content_type".into(), json!(content_type));
            e.insert("set_cookie".into(), json!(cookie_names));
            e.insert("headers_ms".into(), json!(first));
            e.insert("ms".into(), json!(first));
        });
    }

    /// The response body as read (bounded).
    pub fn http_body(&self, h: HttpId, body: &[u8]) {
        let total = ms(h.start.elapsed());
        let kept = self.scrub(body);
        self.update(h.id, |e| {
            let (k, v) = text_or_b64("response_body", &kept);
            e.insert(k, v);
            e.insert("ms".into(), json!(total));
            if body.len() > MAX_BODY {
                e.insert("truncated".into(), json!(body.len()));
            }
        });
    }

    /// The request failed before an answer (connection, TLS, timeout).
    pub fn http_error(&self, h: HttpId, error: &str) {
        let total = ms(h.start.elapsed());
        self.update(h.id, |e| {
            e.insert("error".into(), json!(error));
            e.insert("ms".into(), json!(total));
        });
    }

    /// A downloaded file (GetOneFile): copied now into the staging folder, referenced by the
    /// exchange as `traces/<stem>/<n>_<name>`.
    pub fn http_file(&self, h: HttpId, downloaded: &Path, bytes: u64) {
        let total = ms(h.start.elapsed());
        let Some(staging) = self.recording().staging() else { return };
        let name: String = downloaded
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.strip_suffix(".part").unwrap_or(n))
            .unwrap_or("trace")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect();
        let mut copy = None;
        // Each poll downloads the `.gzo` being written again: a copy only when it changed.
        let digest = file_digest(downloaded);
        self.with(|t| {
            if let (Some(d), Some((last, local))) = (digest, t.last_copy.get(&name)) {
                if *last == d {
                    copy = Some(local.clone());
                    return;
                }
            }
            if t.traces.len() < MAX_TRACES {
                let local = format!("{}_{name}", t.traces.len());
                let staged = staging.join(format!("{}-{}-{local}", t.next_id, t.https_port));
                if std::fs::copy(downloaded, &staged).is_ok() {
                    t.traces.push((staged, local.clone()));
                    if let Some(d) = digest {
                        t.last_copy.insert(name.clone(), (d, local.clone()));
                    }
                    copy = Some(local);
                }
            }
        });
        self.update(h.id, |e| {
            e.insert("ms".into(), json!(total));
            e.insert("file_bytes".into(), json!(bytes));
            e.insert("file".into(), json!(copy));
        });
    }

    fn recording(&self) -> Recording {
        Recording { shared: self.shared.clone() }
    }
}

/// SHA-256 of a file, read in pieces (None when it cannot be read).
fn file_digest(path: &Path) -> Option<[u8; 32]> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut std::fs::File::open(path).ok()?, &mut h).ok()?;
    Some(h.finalize().into())
}

/// The forms a password can take in a body: as is, XML-escaped (a SOAP body), and base64 at
/// each of the three alignments it can start at inside a longer encoded text (an HTTP Basic
/// credential `user:password`, say): the characters that depend only on the password's bytes.
/// A form shorter than 6 characters is left out (it would match unrelated text); the plain
/// form is always kept.
pub fn secret_forms(password: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut forms = vec![password.to_string()];
    let escaped = password
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    if escaped != password {
        forms.push(escaped);
    }
    let n = password.len();
    for k in 0..3usize {
        let mut padded = vec![0u8; k];
        padded.extend_from_slice(password.as_bytes());
        let text = b64.encode(&padded);
        // Character i holds input bits [6i, 6i + 6): those wholly inside the password's bytes.
        let first = k.saturating_mul(8).div_ceil(6);
        let end = k.saturating_add(n).saturating_mul(8) / 6;
        if let Some(part) = text.get(first..end).filter(|p| p.len() >= 6) {
            forms.push(part.to_string());
        }
    }
    forms
}

/// What is known of an SSH connection's start.
#[derive(Debug)]
pub struct SshOpen {
    pub started: Instant,
    /// The server's identification string (`SSH-2.0-…`), when the key exchange got that far.
    pub server_id: Option<String>,
    /// What the client offered, per category.
    pub client_offer: Value,
    /// What the server offered: russh exposes it only when nothing matched.
    pub server_offer: Option<Value>,
    /// The algorithms agreed.
    pub agreed: Option<Value>,
    /// The host key's SHA-256 fingerprint.
    pub host_key: Option<String>,
    pub error: Option<String>,
}

/// One CLI exchange as it happens: what was sent and received, in order, with times.
#[derive(Debug)]
pub struct Dialog {
    started: Instant,
    steps: Vec<Step>,
    bytes: usize,
}

#[derive(Debug)]
struct Step {
    sent: bool,
    bytes: Vec<u8>,
    after_ms: u64,
}

impl Dialog {
    pub fn new() -> Dialog {
        Dialog { started: Instant::now(), steps: Vec::new(), bytes: 0 }
    }

    /// Bytes sent (`sent`) or received; consecutive ones of a direction are merged, the time
    /// being that of the last.
    pub fn add(&mut self, sent: bool, bytes: &[u8]) {
        let room = MAX_BODY.saturating_sub(self.bytes);
        let bytes = bytes.get(..room.min(bytes.len())).unwrap_or_default();
        self.bytes = self.bytes.saturating_add(bytes.len());
        let after_ms = ms(self.started.elapsed());
        match self.steps.last_mut() {
            Some(s) if s.sent == sent => {
                s.bytes.extend_from_slice(bytes);
                s.after_ms = after_ms;
            }
            _ => self.steps.push(Step { sent, bytes: bytes.to_vec(), after_ms }),
        }
    }
}

impl Default for Dialog {
    fn default() -> Self {
        Dialog::new()
    }
}
