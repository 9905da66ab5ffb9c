//! The SSH `admin:` session to a CUCM publisher (russh client).
//!
//! Field facts (docs/cucm-notes.md#ssh-session, docs/cucm-notes.md#cli-dialog): some releases offer only
//! keyboard-interactive authentication; the CLI can take a while to start ("Command Line
//! Interface is starting up"); there is no `exec`, only an interactive shell with a PTY; output
//! has CRLF, ANSI codes and a pager. So: password, or keyboard-interactive when only that is
//! offered, one attempt in all (a wrong password must not lock the account); a wide PTY so tables do not wrap; one shell per
//! host for the whole run, driven by the sans-IO [`Dialog`](super::shell::Dialog); a timeout on
//! connect, authentication, CLI start and every command.
//!
//! Host keys are checked against an OpenSSH known_hosts file (`known_hosts.rs`). An unknown host
//! is refused unless the caller allows learning it (`--accept-new-host-key`); a changed key (any
//! recorded key for the host, of any type, other than the presented one) or a `@revoked` one is
//! always refused, with both fingerprints.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse};
use russh::keys::{HashAlg, PublicKeyOrCertificate};
use russh::{cipher, kex, mac, AlgorithmKind, ChannelMsg, MethodKind, Preferred};

use super::known_hosts::{self, Verdict};
use super::record::{self, Recorder, SshOpen};
use super::shell::{Dialog, Event};
use crate::secret::Secret;

/// Where and how to log in.
#[derive(Debug, Clone)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    pub known_hosts: PathBuf,
    /// Learn the key of a host not yet in known_hosts (never a changed one).
    pub accept_new_host_key: bool,
    /// Also offer the weak algorithms of [`preferred`] (`--legacy-ssh`).
    pub legacy_ssh: bool,
    pub timeouts: Timeouts,
}

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// From authentication to the first `admin:` prompt (the CLI may be starting up).
    pub login: Duration,
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            login: Duration::from_secs(120),
            command: Duration::from_secs(120),
        }
    }
}

/// What a command that changes the publisher may answer (`SshSession::run_with`).
#[derive(Debug, Clone, Copy)]
pub enum Answers<'a> {
    /// Nothing: a read-only command; a question is refused.
    None,
    /// Paste this certificate (PEM) when asked for one.
    Paste(&'a str),
    /// Answer `yes` to the command's one yes/no question.
    ConfirmYes,
}

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("ssh {host} port {port}: {op} timed out after {secs} s; {}", timeout_hint(op, *port))]
    Timeout { host: String, port: u16, op: &'static str, secs: u64 },
    #[error("ssh {host}: cannot connect: {reason}; check the address and that port {port} is reachable")]
    Connect { host: String, port: u16, reason: String },
    #[error("ssh {host}: unknown host key {fingerprint}; compare it with the key the publisher itself shows (on its console, `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` through the Cisco TAC remote account, or a fingerprint your team recorded at install), then run again with --accept-new-host-key to record it in {known_hosts}")]
    UnknownHostKey { host: String, fingerprint: String, known_hosts: String },
    #[error("ssh {host}: THE HOST KEY CHANGED: {known_hosts} line {line} holds another key ({recorded}); the host presented {fingerprint}. If the publisher was reinstalled or its key regenerated, remove that line; otherwise someone may be intercepting the connection")]
    HostKeyChanged { host: String, known_hosts: String, line: usize, recorded: String, fingerprint: String },
    #[error("ssh {host}: the host key {fingerprint} is marked @revoked in {known_hosts} line {line}; refused. Someone may be intercepting the connection, or the publisher still uses a key that was withdrawn")]
    Revoked { host: String, known_hosts: String, line: usize, fingerprint: String },
    #[error("ssh {host}: cannot read the known_hosts file {known_hosts}: {reason}")]
    KnownHosts { host: String, known_hosts: String, reason: String },
    #[error("ssh {host}: the OS administrator {user} was refused; check the user name and password; one attempt, not retried, so the account is not locked")]
    AuthFailed { host: String, user: String },
    #[error("ssh {host}: keyboard-interactive login asked {prompt:?}, which is not a password prompt; ils-doctor answers only the password's, so nothing was sent: use an OS administrator that logs in with a password")]
    UnexpectedPrompt { host: String, prompt: String },
    #[error("ssh {host}: no matching {category} found. Their offer: {theirs}. Our offer: {ours}. {advice}")]
    Negotiation { host: String, category: &'static str, theirs: String, ours: String, advice: String },
    #[error("ssh {host}: {op}: {reason}")]
    Protocol { host: String, op: &'static str, reason: String },
    #[error("ssh {host}: `{command}` asked `{question}`, which ils-doctor did not expect of it, and was answered no (or interrupted); nothing was confirmed")]
    Confirmation { host: String, command: String, question: String },
}

/// Key exchange methods after the library's modern ones, for publishers with an older SSH server
/// or a restricted Cipher Management page (docs/cucm-notes.md#ssh-algorithms) [I].
const KEX_EXTRA: &[kex::Name] =
    &[kex::ECDH_SHA2_NISTP256, kex::ECDH_SHA2_NISTP384, kex::ECDH_SHA2_NISTP521, kex::DH_G14_SHA1, kex::DH_GEX_SHA1];
/// Only with `--legacy-ssh` (docs/security.md): a 1024-bit group.
const KEX_WEAK: &[kex::Name] = &[kex::DH_G1_SHA1];
/// Ciphers after the library's (OpenSSH also offers `aes128-gcm@openssh.com`).
const CIPHER_EXTRA: &[cipher::Name] = &[cipher::AES_128_GCM];
/// Only with `--legacy-ssh` (docs/security.md): CBC mode.
const CIPHER_WEAK: &[cipher::Name] = &[cipher::AES_128_CBC, cipher::AES_192_CBC, cipher::AES_256_CBC];
/// MACs after the library's SHA-2 ones, as OpenSSH's client offers them.
const MAC_EXTRA: &[mac::Name] = &[mac::HMAC_SHA1_ETM, mac::HMAC_SHA1];
/// Pseudo-algorithms in the key exchange list (extension and strict-kex markers).
const KEX_MARKERS: &[kex::Name] = &[
    kex::EXTENSION_SUPPORT_AS_CLIENT,
    kex::EXTENSION_SUPPORT_AS_SERVER,
    kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
    kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
];

/// What the client offers, most preferred first: russh's modern defaults, then the legacy
/// algorithms a CUCM publisher may need (docs/cucm-notes.md#ssh-algorithms), then, with
/// `legacy`, the weak ones. Host keys: russh's list, which ends with `ssh-rsa`.
pub fn preferred(legacy: bool) -> Preferred {
    let d = Preferred::default();
    let (modern_kex, markers): (Vec<kex::Name>, Vec<kex::Name>) =
        d.kex.iter().copied().partition(|k| !KEX_MARKERS.contains(k));
    let weak_kex: &[kex::Name] = if legacy { KEX_WEAK } else { &[] };
    let kex = [modern_kex.as_slice(), KEX_EXTRA, weak_kex, markers.as_slice()].concat();
    let weak_cipher: &[cipher::Name] = if legacy { CIPHER_WEAK } else { &[] };
    let cipher = [d.cipher.as_ref(), CIPHER_EXTRA, weak_cipher].concat();
    let mac = [d.mac.as_ref(), MAC_EXTRA].concat();
    Preferred { kex: kex.into(), cipher: cipher.into(), mac: mac.into(), ..d }
}

/// The error for a failed negotiation: both offers for the category, the host, and what helps.
fn negotiation_error(host: &str, kind: &AlgorithmKind, ours: &[String], theirs: &[String], legacy: bool) -> SshError {
    let (category, page_field) = match kind {
        AlgorithmKind::Kex => ("key exchange method", "SSH Key Exchange"),
        AlgorithmKind::Key => ("host key type", ""),
        AlgorithmKind::Cipher => ("cipher", "SSH Ciphers"),
        AlgorithmKind::Mac => ("MAC", "SSH MAC"),
        AlgorithmKind::Compression => ("compression method", ""),
    };
    let markers: Vec<&str> = KEX_MARKERS.iter().map(|k| k.as_ref()).collect();
    let list = |v: &[String]| {
        let names: Vec<&str> = v.iter().map(String::as_str).filter(|n| !markers.contains(n)).collect();
        if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(",")
        }
    };
    let weak: Vec<&str> = KEX_WEAK.iter().map(|k| k.as_ref()).chain(CIPHER_WEAK.iter().map(|c| c.as_ref())).collect();
    let helps_legacy = !legacy && theirs.iter().any(|t| weak.contains(&t.as_str()));
    let advice = if helps_legacy {
        "Run again with --legacy-ssh to also offer the weak algorithms this publisher needs (see docs/security.md), or have its administrator allow a stronger one".to_string()
    } else if page_field.is_empty() {
        "ils-doctor implements none of the publisher's; its SSH server needs reconfiguring".to_string()
    } else {
        format!(
            "ils-doctor implements none of the publisher's; an administrator can allow one of ours in the {page_field} field of the Cipher Management page (a reboot of all nodes applies it)"
        )
    };
    SshError::Negotiation { host: host.to_string(), category, theirs: list(theirs), ours: list(ours), advice }
}

/// The outcome of the host key check, kept for the error message.
#[derive(Debug, Clone)]
enum KeyVerdict {
    Unknown(String),
    Changed { line: usize, recorded: String, presented: String },
    Revoked { line: usize, presented: String },
    Unreadable(String),
}

struct Verifier {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    accept_new: bool,
    verdict: Arc<Mutex<Option<KeyVerdict>>>,
    /// The algorithms of the last key exchange, for the session's record.
    negotiated: Arc<Mutex<Option<String>>>,
    /// What a recording keeps of the connection's start (`--record`).
    seen: Arc<Mutex<Seen>>,
}

/// The connection's start as the recording keeps it.
#[derive(Debug, Default)]
struct Seen {
    server_id: Option<String>,
    agreed: Option<serde_json::Value>,
    host_key: Option<String>,
    banners: Vec<String>,
    /// The connection is in the recording already.
    recorded: bool,
}

/// The client's offer per category, for the recording.
fn offer_json(p: &Preferred) -> serde_json::Value {
    serde_json::json!({
        "kex": p.kex.iter().map(|k| k.as_ref().to_string()).collect::<Vec<_>>(),
        "host_key": p.key.iter().map(|k| k.as_str().to_string()).collect::<Vec<_>>(),
        "cipher": p.cipher.iter().map(|c| c.as_ref().to_string()).collect::<Vec<_>>(),
        "mac": p.mac.iter().map(|m| m.as_ref().to_string()).collect::<Vec<_>>(),
    })
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn kex_done(
        &mut self,
        _shared_secret: Option<&[u8]>,
        names: &russh::Names,
        session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.server_id = Some(String::from_utf8_lossy(session.remote_sshid()).into_owned());
            seen.agreed = Some(serde_json::json!({
                "kex": names.kex.as_ref(),
                "host_key": names.key.as_str(),
                "cipher": names.cipher.as_ref(),
                "mac_client_to_server": names.client_mac.as_ref(),
                "mac_server_to_client": names.server_mac.as_ref(),
            }));
        }
        let text = format!(
            "kex {} host-key {} cipher {} mac {}",
            names.kex.as_ref(),
            names.key.as_str(),
            names.cipher.as_ref(),
            names.client_mac.as_ref()
        );
        if let Ok(mut slot) = self.negotiated.lock() {
            *slot = Some(text);
        }
        Ok(())
    }

    async fn auth_banner(&mut self, banner: &str, _session: &mut client::Session) -> Result<(), Self::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.banners.len() < 8 {
                seen.banners.push(banner.chars().take(64 * 1024).collect());
            }
        }
        Ok(())
    }

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            self.set(KeyVerdict::Unreadable(
                "the host presented an SSH certificate, which ils-doctor does not accept".into(),
            ));
            return Ok(false);
        };
        let presented = key.fingerprint(HashAlg::Sha256).to_string();
        if let Ok(mut seen) = self.seen.lock() {
            seen.host_key = Some(format!("{} {presented}", key.algorithm().as_str()));
        }
        let text = match std::fs::read_to_string(&self.known_hosts) {
            Ok(t) => t,
            // A missing known_hosts file is an empty one.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                self.set(KeyVerdict::Unreadable(e.to_string()));
                return Ok(false);
            }
        };
        match known_hosts::check(&text, &self.host, self.port, key) {
            Verdict::Known => Ok(true),
            Verdict::Revoked { line } => {
                self.set(KeyVerdict::Revoked { line, presented });
                Ok(false)
            }
            Verdict::Changed { recorded } => {
                let line = recorded.first().map_or(0, |(l, _)| *l);
                let recorded = recorded
                    .iter()
                    .map(|(_, k)| format!("{} {}", k.algorithm().as_str(), k.fingerprint(HashAlg::Sha256)))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.set(KeyVerdict::Changed { line, recorded, presented });
                Ok(false)
            }
            Verdict::Unknown if self.accept_new => {
                match russh::keys::known_hosts::learn_known_hosts_path(&self.host, self.port, key, &self.known_hosts) {
                    Ok(()) => Ok(true),
                    Err(e) => {
                        self.set(KeyVerdict::Unreadable(e.to_string()));
                        Ok(false)
                    }
                }
            }
            Verdict::Unknown => {
                self.set(KeyVerdict::Unknown(presented));
                Ok(false)
            }
        }
    }
}

impl Verifier {
    fn set(&self, v: KeyVerdict) {
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(v);
        }
    }
}

/// A logged-in `admin:` shell.
pub struct SshSession {
    host: String,
    port: u16,
    handle: client::Handle<Verifier>,
    channel: russh::Channel<client::Msg>,
    dialog: Dialog,
    command_timeout: Duration,
    /// A command timed out: the CLI may still be busy with it, so its later output would be
    /// taken for the next command's. The session is not used again.
    broken: bool,
    /// The algorithms negotiated (`kex … host-key … cipher … mac …`), for bundles and debugging.
    pub algorithms: String,
    /// The recording (`--record`) and this connection's number in it.
    rec: Option<(Recorder, u64)>,
    /// The exchange being recorded.
    exchange: Option<record::Dialog>,
}

/// What to try after a timeout, by the step that timed out.
fn timeout_hint(op: &str, port: u16) -> String {
    match op {
        "connect" => format!(
            "nothing answered on port {port}: check the address, that the publisher's SSH port is {port} (give another as HOST:SSH_PORT) and that no firewall drops it"
        ),
        "authentication" | "opening a shell" => format!(
            "the SSH server on port {port} took the connection but did not finish the login: check that {port} is the publisher's SSH port, not another service's"
        ),
        _ => "the CLI did not answer in time (the session is not used again); try a longer --command-timeout, or check the publisher's load".into(),
    }
}

async fn within<T>(
    host: &str,
    port: u16,
    op: &'static str,
    limit: Duration,
    f: impl std::future::Future<Output = T>,
) -> Result<T, SshError> {
    tokio::time::timeout(limit, f).await.map_err(|_| SshError::Timeout {
        host: host.to_string(),
        port,
        op,
        secs: limit.as_secs(),
    })
}

impl SshSession {
    /// Connects, verifies the host key, logs in, waits for the first prompt and turns the pager
    /// off.
    pub async fn open(t: &SshTarget) -> Result<SshSession, SshError> {
        Self::open_recorded(t, None).await
    }

    /// As [`SshSession::open`], recording every exchange into `rec` when given.
    pub async fn open_recorded(t: &SshTarget, rec: Option<Recorder>) -> Result<SshSession, SshError> {
        let started = std::time::Instant::now();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let opened = Self::open_inner(t, seen.clone(), rec.as_ref().map(|r| (r, started))).await;
        if let (Some(r), Err(e)) = (&rec, &opened) {
            // A failure before the login: what was seen of the connection, and why it failed.
            if !seen.lock().is_ok_and(|s| s.recorded) {
                Self::record_open(r, &seen, t.legacy_ssh, started, Some(e));
            }
        }
        opened
    }

    fn record_open(
        r: &Recorder,
        seen: &Mutex<Seen>,
        legacy: bool,
        started: std::time::Instant,
        e: Option<&SshError>,
    ) -> u64 {
        let mut seen = seen
            .lock()
            .map(|mut s| {
                let taken = std::mem::take(&mut *s);
                s.recorded = true;
                taken
            })
            .unwrap_or_default();
        let server_offer = match e {
            Some(SshError::Negotiation { category, theirs, .. }) => Some(serde_json::json!({ *category: theirs })),
            _ => None,
        };
        let n = r.ssh_open(SshOpen {
            started,
            server_id: seen.server_id.take(),
            client_offer: offer_json(&preferred(legacy)),
            server_offer,
            agreed: seen.agreed.take(),
            host_key: seen.host_key.take(),
            error: e.map(ToString::to_string),
        });
        for b in &seen.banners {
            r.ssh_auth_banner(n, b);
        }
        n
    }

    async fn open_inner(
        t: &SshTarget,
        seen: Arc<Mutex<Seen>>,
        rec: Option<(&Recorder, std::time::Instant)>,
    ) -> Result<SshSession, SshError> {
        let host = t.host.clone();
        let verdict = Arc::new(Mutex::new(None));
        let negotiated = Arc::new(Mutex::new(None));
        let verifier = Verifier {
            host: t.host.clone(),
            port: t.port,
            known_hosts: t.known_hosts.clone(),
            accept_new: t.accept_new_host_key,
            verdict: verdict.clone(),
            negotiated: negotiated.clone(),
            seen: seen.clone(),
        };
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(t.timeouts.command.saturating_add(Duration::from_secs(30))),
            keepalive_interval: Some(Duration::from_secs(30)),
            preferred: preferred(t.legacy_ssh),
            // OpenSSH's client floor (2048 bits), not russh's 3072: older servers' moduli.
            gex: client::GexParams::new(2048, 3072, 8192).unwrap_or_default(),
            ..client::Config::default()
        });
        let connected = within(
            &host,
            t.port,
            "connect",
            t.timeouts.connect,
            client::connect(config, (t.host.as_str(), t.port), verifier),
        )
        .await?;
        let mut handle = match connected {
            Ok(h) => h,
            Err(e) => {
                let v = verdict.lock().ok().and_then(|mut v| v.take());
                let known_hosts = t.known_hosts.display().to_string();
                return Err(match v {
                    Some(KeyVerdict::Unknown(fingerprint)) => {
                        SshError::UnknownHostKey { host, fingerprint, known_hosts }
                    }
                    Some(KeyVerdict::Changed { line, recorded, presented }) => {
                        SshError::HostKeyChanged { host, known_hosts, line, recorded, fingerprint: presented }
                    }
                    Some(KeyVerdict::Revoked { line, presented }) => {
                        SshError::Revoked { host, known_hosts, line, fingerprint: presented }
                    }
                    Some(KeyVerdict::Unreadable(reason)) => SshError::KnownHosts { host, known_hosts, reason },
                    None => match &e {
                        russh::Error::NoCommonAlgo { kind, ours, theirs } => {
                            negotiation_error(&host, kind, ours, theirs, t.legacy_ssh)
                        }
                        _ => SshError::Connect { host, port: t.port, reason: e.to_string() },
                    },
                });
            }
        };
        let session_no = rec.map(|(r, started)| {
            r.secret(t.password.expose());
            Self::record_open(r, &seen, t.legacy_ssh, started, None)
        });
        let auth_started = std::time::Instant::now();
        let authed = within(
            &host,
            t.port,
            "authentication",
            t.timeouts.connect,
            authenticate(&mut handle, &host, &t.user, &t.password),
        )
        .await
        .and_then(|r| r);
        if let (Some((r, _)), Some(n)) = (rec, session_no) {
            let (method, result) = match &authed {
                Ok(m) => (*m, "success".to_string()),
                Err(e) => ("", e.to_string()),
            };
            r.ssh_auth(n, &t.user, method, &result, auth_started);
        }
        authed?;
        let channel = within(&host, t.port, "opening a shell", t.timeouts.connect, async {
            let ch = handle.channel_open_session().await?;
            // Wide, so that `run sql` tables and `file list` lines do not wrap.
            ch.request_pty(false, "vt100", 1000, 200, 0, 0, &[]).await?;
            ch.request_shell(false).await?;
            Ok::<_, russh::Error>(ch)
        })
        .await?
        .map_err(|e| SshError::Protocol {
            host: host.clone(),
            op: "opening a shell",
            reason: e.to_string(),
        })?;
        let mut s = SshSession {
            host,
            port: t.port,
            handle,
            channel,
            dialog: Dialog::new(),
            command_timeout: t.timeouts.command,
            broken: false,
            algorithms: negotiated.lock().ok().and_then(|v| v.clone()).unwrap_or_default(),
            rec: rec.map(|(r, _)| r.clone()).zip(session_no),
            exchange: None,
        };
        s.exchange = s.rec.is_some().then(record::Dialog::new);
        let banner = s.until_prompt("", t.timeouts.login, "waiting for the admin: prompt", Answers::None).await;
        s.record_exchange(None, &banner);
        banner?;
        s.run("set cli pagination off").await?;
        Ok(s)
    }

    /// Runs one CLI command and returns its output (without the echoed command line).
    pub async fn run(&mut self, command: &str) -> Result<String, SshError> {
        self.run_with(command, Answers::None).await
    }

    /// Runs one CLI command that changes the publisher, answering what it asks as `answers`
    /// says: the certificate to paste, or `yes` to its confirmation. Any other question is
    /// refused (a request to paste with Ctrl-C, a yes/no with `no`), the CLI's prompt awaited,
    /// and the command reported as refused: nothing is answered that the caller did not mean.
    pub async fn run_with(&mut self, command: &str, answers: Answers<'_>) -> Result<String, SshError> {
        if self.broken {
            return Err(SshError::Protocol {
                host: self.host.clone(),
                op: "a command",
                reason: format!("not sent (`{command}`): an earlier command timed out and the CLI did not come back"),
            });
        }
        self.exchange = self.rec.is_some().then(record::Dialog::new);
        self.send_recorded(format!("{command}\n").as_bytes(), "sending a command").await?;
        let raw = self.until_prompt(command, self.command_timeout, "a command", answers).await;
        self.record_exchange(Some(command), &raw);
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => {
                self.broken = matches!(e, SshError::Timeout { .. });
                return Err(e);
            }
        };
        // The CLI echoes the command on the first line.
        let output = match raw.split_once('\n') {
            Some((first, rest)) if first.trim_end().ends_with(command.trim()) => rest.to_string(),
            _ => raw,
        };
        Ok(output)
    }

    async fn until_prompt(
        &mut self,
        command: &str,
        limit: Duration,
        op: &'static str,
        answers: Answers<'_>,
    ) -> Result<String, SshError> {
        let host = self.host.clone();
        let mut answered = false;
        // A question refused: reported once the CLI is back at its prompt.
        let mut refused: Option<SshError> = None;
        within(&host, self.port, op, limit, async {
            loop {
                let Some(msg) = self.channel.wait().await else {
                    return Err(SshError::Protocol {
                        host: self.host.clone(),
                        op,
                        reason: "the publisher closed the session".into(),
                    });
                };
                let bytes = match msg {
                    ChannelMsg::Data { ref data } => data.to_vec(),
                    ChannelMsg::ExtendedData { ref data, .. } => data.to_vec(),
                    ChannelMsg::Eof | ChannelMsg::Close => {
                        return Err(SshError::Protocol {
                            host: self.host.clone(),
                            op,
                            reason: "the publisher closed the session".into(),
                        })
                    }
                    _ => continue,
                };
                if let Some(x) = self.exchange.as_mut() {
                    x.add(false, &bytes);
                }
                match self.dialog.feed(&bytes) {
                    Some(Event::Prompt(out)) => return refused.take().map_or(Ok(out), Err),
                    Some(Event::Pager) => self.send(" ").await?,
                    Some(Event::ViewPager) => self.send("n").await?,
                    Some(Event::Confirm(question)) => match answers {
                        Answers::ConfirmYes if !std::mem::replace(&mut answered, true) => self.send("yes\n").await?,
                        Answers::None => {
                            self.send("n\n").await?;
                            return Err(SshError::Confirmation {
                                host: self.host.clone(),
                                command: command.to_string(),
                                question,
                            });
                        }
                        _ => {
                            self.send("no\n").await?;
                            refused.get_or_insert(SshError::Confirmation {
                                host: self.host.clone(),
                                command: command.to_string(),
                                question,
                            });
                        }
                    },
                    Some(Event::Paste) => match answers {
                        Answers::Paste(text) if !std::mem::replace(&mut answered, true) => {
                            // Line by line, as typed: the CLI reads the certificate up to its END line.
                            let mut pasted = String::with_capacity(text.len().saturating_add(64));
                            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                                pasted.push_str(line);
                                pasted.push('\n');
                            }
                            self.send(&pasted).await?;
                        }
                        _ => {
                            self.send("\x03").await?;
                            refused.get_or_insert(SshError::Confirmation {
                                host: self.host.clone(),
                                command: command.to_string(),
                                question: "Paste the Certificate and Hit Enter".into(),
                            });
                        }
                    },
                    None => {}
                }
            }
        })
        .await?
    }

    async fn send(&mut self, text: &str) -> Result<(), SshError> {
        self.send_recorded(text.as_bytes(), "answering the CLI").await
    }

    async fn send_recorded(&mut self, bytes: &[u8], op: &'static str) -> Result<(), SshError> {
        if let Some(x) = self.exchange.as_mut() {
            x.add(true, bytes);
        }
        self.channel.data(bytes).await.map_err(|e| SshError::Protocol {
            host: self.host.clone(),
            op,
            reason: e.to_string(),
        })
    }

    /// Ends the exchange being recorded: how it ended is `prompt`, or the error.
    fn record_exchange(&mut self, command: Option<&str>, result: &Result<String, SshError>) {
        if let (Some((r, n)), Some(x)) = (&self.rec, self.exchange.take()) {
            let outcome = match result {
                Ok(_) => "prompt".to_string(),
                Err(e) => e.to_string(),
            };
            r.ssh_exchange(*n, command, &x, &outcome);
        }
    }

    /// Leaves the CLI and closes the connection.
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            let _ = self.channel.data(&b"quit\n"[..]).await;
            let _ = self.channel.eof().await;
            let _ = self.handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
        })
        .await;
    }
}

/// One password attempt, whatever the server offers: a wrong password costs one failure, never
/// two (CUCM locks an OS administrator after a few; Cisco Unified Communications Operating
/// System Administration Guide, "Account lockout"). The `none` request only asks which methods
/// the server offers; OpenSSH does not count it as a failure. Password if offered, else
/// keyboard-interactive answering only a prompt that asks for the password, never an unknown
/// one (a one-time code prompt, say, gets no password).
async fn authenticate(
    handle: &mut client::Handle<Verifier>,
    host: &str,
    user: &str,
    password: &Secret,
) -> Result<&'static str, SshError> {
    let proto =
        |e: russh::Error| SshError::Protocol { host: host.to_string(), op: "authentication", reason: e.to_string() };
    let failed = || SshError::AuthFailed { host: host.to_string(), user: user.to_string() };
    let methods = match handle.authenticate_none(user).await.map_err(proto)? {
        AuthResult::Success => return Ok("none"),
        AuthResult::Failure { remaining_methods, .. } => remaining_methods,
    };
    let offers = |m: MethodKind| methods.contains(&m);
    if offers(MethodKind::Password) || !offers(MethodKind::KeyboardInteractive) {
        return if handle.authenticate_password(user, password.expose()).await.map_err(proto)?.success() {
            Ok("password")
        } else {
            Err(failed())
        };
    }
    let mut reply = handle.authenticate_keyboard_interactive_start(user, None).await.map_err(proto)?;
    // Servers send an empty round (no prompt) before or after the password's; bounded. The
    // password is sent once: a second password prompt means the first answer was refused (one
    // attempt, as above), and a round asking several things at once is not a password login.
    let mut sent = false;
    for _ in 0..4 {
        match reply {
            KeyboardInteractiveAuthResponse::Success => return Ok("keyboard-interactive"),
            KeyboardInteractiveAuthResponse::Failure { .. } => return Err(failed()),
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let answers = match prompts.as_slice() {
                    [] => Vec::new(),
                    [p] if !p.echo && p.prompt.to_ascii_lowercase().contains("password") => {
                        if sent {
                            return Err(failed());
                        }
                        sent = true;
                        vec![password.expose().to_string()]
                    }
                    [p, ..] => {
                        return Err(SshError::UnexpectedPrompt {
                            host: host.to_string(),
                            prompt: crate::untrusted::clean(p.prompt.trim()),
                        })
                    }
                };
                reply = handle.authenticate_keyboard_interactive_respond(answers).await.map_err(proto)?;
            }
        }
    }
    Err(failed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_name_the_port_and_what_to_try() {
        let e = |op: &'static str| SshError::Timeout { host: "cucm".into(), port: 45555, op, secs: 15 }.to_string();
        let connect = e("connect");
        assert!(
            connect.contains("port 45555") && connect.contains("HOST:SSH_PORT") && !connect.contains("port 22"),
            "{connect}"
        );
        assert!(e("authentication").contains("not another service's"));
        assert!(e("show version active").contains("--command-timeout"));
        let unknown =
            SshError::UnknownHostKey { host: "h".into(), fingerprint: "SHA256:x".into(), known_hosts: "kh".into() }
                .to_string();
        assert!(!unknown.contains("show network cluster") && unknown.contains("--accept-new-host-key"), "{unknown}");
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_negotiation_error_says_whether_legacy_ssh_helps() {
        let ours = names(&["curve25519-sha256", "ext-info-c"]);
        let e = negotiation_error("pub1", &AlgorithmKind::Kex, &ours, &names(&["diffie-hellman-group1-sha1"]), false);
        let t = e.to_string();
        assert!(t.starts_with("ssh pub1: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1. Our offer: curve25519-sha256. Run again with --legacy-ssh"), "{t}");
        // Already on, or an algorithm ils-doctor lacks: the Cipher Management field is named.
        let e = negotiation_error("pub1", &AlgorithmKind::Cipher, &names(&["aes128-ctr"]), &names(&["3des-cbc"]), true);
        let t = e.to_string();
        assert!(!t.contains("--legacy-ssh") && t.contains("SSH Ciphers field of the Cipher Management page"), "{t}");
        let e = negotiation_error("pub1", &AlgorithmKind::Mac, &names(&["hmac-sha1"]), &[], false);
        assert!(e.to_string().contains("Their offer: (none). Our offer: hmac-sha1. ils-doctor implements none"), "{e}");
        let e = negotiation_error("pub1", &AlgorithmKind::Key, &names(&["ssh-rsa"]), &names(&["ssh-dss"]), false);
        assert!(e.to_string().contains("no matching host key type found. Their offer: ssh-dss"), "{e}");
    }
}
