//! SSH server of one publisher (russh): host key, authentication, PTY shell with the `admin:` CLI.
//!
//! Follows docs/cucm-notes.md#ssh-session and docs/cucm-notes.md#cli-dialog: password and keyboard-interactive
//! authentication (or keyboard-interactive only, per scenario), an optional pre-auth banner,
//! "Command Line Interface is starting up, please wait ..." then a delay before the first prompt,
//! no `exec` (CUCM has none), no SFTP. The Ed25519 host key is persisted per scenario and cluster
//! so that clients' known_hosts stay valid across runs; the `host_key_changed` fault rotates it.
//! Every connection has an inactivity timeout; handlers never panic on client input.

pub mod cli;
pub mod commands;
pub mod trust;

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{Algorithm, PrivateKey};
use russh::server::{Auth, Msg, Session};
use russh::{cipher, kex, mac, Preferred};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use tokio::sync::Mutex as AsyncMutex;

use crate::db::{lock, Shared};
use crate::scenario::{SshProfile, SshRestricted};
use cli::{Cli, Out};

fn seed() -> [u8; 32] {
    use std::io::Read;
    let mut s = [0u8; 32];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut s)).is_ok() {
        return s;
    }
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(7);
    for (i, b) in s.iter_mut().enumerate() {
        *b = ((n >> (i % 16 * 8)) as u8) ^ (i as u8).wrapping_mul(151);
    }
    s
}

/// The kind of host key a profile needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Ed25519,
    Rsa,
}

/// Loads or creates the host key `<dir>/<scenario>-<cluster>.key` (`-rsa.key` for RSA);
/// `rotate` replaces it.
pub fn host_key(dir: &Path, scenario: &str, cluster: &str, rotate: bool, kind: KeyKind) -> Result<PrivateKey, String> {
    let safe =
        |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect::<String>();
    let suffix = match kind {
        KeyKind::Ed25519 => "",
        KeyKind::Rsa => "-rsa",
    };
    let path = dir.join(format!("{}-{}{suffix}.key", safe(scenario), safe(cluster)));
    if !rotate {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(k) = PrivateKey::from_openssh(&text) {
                return Ok(k);
            }
        }
    }
    let key = match kind {
        KeyKind::Ed25519 => PrivateKey::from(Ed25519Keypair::from_seed(&seed())),
        // 2048 bits: OpenSSH refuses RSA keys under 1024 bits.
        KeyKind::Rsa => {
            PrivateKey::random(&mut rand::rng(), Algorithm::Rsa { hash: None }).map_err(|e| e.to_string())?
        }
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let text = key.to_openssh(russh::keys::ssh_key::LineEnding::LF).map_err(|e| e.to_string())?;
    // Write then rename, so a concurrent reader never sees half a key.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text.as_bytes()).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(key)
}

/// The algorithms a profile offers, most preferred first (docs/cucm-notes.md#ssh-algorithms),
/// and the host key it needs. An unknown name in a `restricted` profile is an error.
pub fn offer(profile: SshProfile, restricted: &SshRestricted) -> Result<(Preferred, KeyKind), String> {
    let rsa_sha1 = Algorithm::Rsa { hash: None };
    let p = match profile {
        SshProfile::Modern => return Ok((Preferred::default(), KeyKind::Ed25519)),
        SshProfile::Legacy => Preferred {
            kex: Cow::Borrowed(&[kex::DH_GEX_SHA1, kex::DH_G14_SHA1]),
            key: Cow::Owned(vec![rsa_sha1]),
            cipher: Cow::Borrowed(&[
                cipher::AES_128_CTR,
                cipher::AES_192_CTR,
                cipher::AES_256_CTR,
                cipher::AES_128_CBC,
                cipher::AES_192_CBC,
                cipher::AES_256_CBC,
            ]),
            mac: Cow::Borrowed(&[mac::HMAC_SHA1]),
            ..Preferred::default()
        },
        SshProfile::LegacyWeak => Preferred {
            kex: Cow::Borrowed(&[kex::DH_G1_SHA1]),
            key: Cow::Owned(vec![rsa_sha1]),
            cipher: Cow::Borrowed(&[cipher::AES_128_CBC, cipher::AES_256_CBC]),
            mac: Cow::Borrowed(&[mac::HMAC_SHA1]),
            ..Preferred::default()
        },
        SshProfile::Restricted => {
            let r = restricted;
            let unknown = |what: &str, name: &str| format!("ssh_restricted.{what}: unknown algorithm {name:?}");
            let k = kex::Name::try_from(r.kex.as_str()).map_err(|()| unknown("kex", &r.kex))?;
            let c = cipher::Name::try_from(r.cipher.as_str()).map_err(|()| unknown("cipher", &r.cipher))?;
            let m = mac::Name::try_from(r.mac.as_str()).map_err(|()| unknown("mac", &r.mac))?;
            let h = Algorithm::new(&r.host_key).map_err(|_| unknown("host_key", &r.host_key))?;
            let kind = match h {
                Algorithm::Ed25519 => KeyKind::Ed25519,
                Algorithm::Rsa { .. } => KeyKind::Rsa,
                _ => {
                    return Err(format!(
                        "ssh_restricted.host_key: {:?} is not ssh-ed25519 or an RSA algorithm",
                        r.host_key
                    ))
                }
            };
            let p = Preferred {
                kex: Cow::Owned(vec![k, kex::EXTENSION_SUPPORT_AS_SERVER]),
                key: Cow::Owned(vec![h]),
                cipher: Cow::Owned(vec![c]),
                mac: Cow::Owned(vec![m]),
                ..Preferred::default()
            };
            return Ok((p, kind));
        }
    };
    Ok((p, KeyKind::Rsa))
}

/// The public key in OpenSSH format (`ssh-ed25519 AAAA...`).
pub fn public_openssh(key: &PrivateKey) -> String {
    key.public_key().to_openssh().unwrap_or_default()
}

/// Accepts connections until the listener fails or the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    world: Shared,
    cluster: String,
    key: PrivateKey,
    preferred: Preferred,
) {
    let (ki_only, banner) = {
        let w = lock(&world);
        w.scenario
            .cluster(&cluster)
            .map(|c| (c.access.keyboard_interactive_only, c.access.banner.clone()))
            .unwrap_or((false, None))
    };
    let methods: &[MethodKind] = if ki_only {
        &[MethodKind::KeyboardInteractive]
    } else {
        &[MethodKind::Password, MethodKind::KeyboardInteractive]
    };
    let config = Arc::new(russh::server::Config {
        methods: MethodSet::from(methods),
        auth_rejection_time: Duration::from_millis(200),
        auth_rejection_time_initial: Some(Duration::from_millis(0)),
        inactivity_timeout: Some(Duration::from_secs(600)),
        keys: vec![key],
        preferred,
        ..Default::default()
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        lock(&world).connections.entry(cluster.clone()).or_default().ssh += 1;
        let _ = stream.set_nodelay(true);
        let handler = Handler {
            world: world.clone(),
            cluster: cluster.clone(),
            ki_only,
            banner: banner.clone(),
            shell: Arc::new(AsyncMutex::new(ShellState::default())),
            rows: 24,
            ki_tries: 0,
        };
        let cfg = config.clone();
        tokio::spawn(async move {
            if let Ok(session) = russh::server::run_stream(cfg, stream, handler).await {
                let _ = session.await;
            }
        });
    }
}

/// The CLI once started, and type-ahead received before (bounded).
#[derive(Default)]
struct ShellState {
    cli: Option<Cli>,
    pending: Vec<u8>,
    /// What was typed since the last Enter (for the scenario's per-command latency).
    line: Vec<u8>,
}

const MAX_TYPE_AHEAD: usize = 8 * 1024;

struct Handler {
    world: Shared,
    cluster: String,
    ki_only: bool,
    banner: Option<String>,
    shell: Arc<AsyncMutex<ShellState>>,
    rows: u32,
    /// Keyboard-interactive answers refused on this connection.
    ki_tries: u32,
}

impl Handler {
    /// Counts a refused login, and whether it carried the scenario's password (so that a test
    /// can see a client answer an unexpected prompt with it).
    fn failed_login(&self, answers: &[&str]) {
        let mut w = lock(&self.world);
        let password: String = w.scenario.cluster(&self.cluster).map(|c| c.password()).unwrap_or_default();
        let leaked = w.faults.ki_prompt.is_some() && answers.iter().any(|a| !a.is_empty() && *a == password);
        let c = w.connections.entry(self.cluster.clone()).or_default();
        c.failed_logins += 1;
        c.password_sent_to_other_prompt |= leaked;
    }

    fn check(&self, user: &str, password: &str) -> bool {
        let w = lock(&self.world);
        let Some(c) = w.scenario.cluster(&self.cluster) else {
            return false;
        };
        !w.faults.wrong_password && user == c.access.admin_user && password == c.password()
    }
}

fn send(session: &mut Session, channel: ChannelId, outs: Vec<Out>) -> Result<(), russh::Error> {
    for o in outs {
        match o {
            Out::Send(b) => session.data(channel, b)?,
            Out::Close => {
                session.eof(channel)?;
                session.close(channel)?;
            }
        }
    }
    Ok(())
}

impl russh::server::Handler for Handler {
    type Error = russh::Error;

    async fn authentication_banner(&mut self) -> Result<Option<String>, Self::Error> {
        Ok(self.banner.clone())
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if !self.ki_only && self.check(user, password) {
            return Ok(Auth::Accept);
        }
        self.failed_login(&[password]);
        Ok(Auth::reject())
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        match response {
            None => {
                let prompt = lock(&self.world).faults.ki_prompt.clone().unwrap_or_else(|| "Password: ".into());
                Ok(Auth::Partial {
                    name: Cow::Borrowed(""),
                    instructions: Cow::Borrowed(""),
                    prompts: Cow::Owned(vec![(Cow::Owned(prompt), false)]),
                })
            }
            Some(mut r) => {
                let answer = r.next().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                let other_prompt = lock(&self.world).faults.ki_prompt.is_some();
                if other_prompt {
                    // Not a password prompt: no answer logs in.
                    self.failed_login(&[&answer]);
                    Ok(Auth::reject())
                } else if self.check(user, &answer) {
                    Ok(Auth::Accept)
                } else {
                    self.failed_login(&[&answer]);
                    // As sshd with PAM does: "Password:" again, up to three tries per
                    // connection, each a failed login towards the account's lockout.
                    self.ki_tries += 1;
                    if self.ki_tries < 3 {
                        return Ok(Auth::Partial {
                            name: Cow::Borrowed(""),
                            instructions: Cow::Borrowed(""),
                            prompts: Cow::Owned(vec![(Cow::Borrowed("Password: "), false)]),
                        });
                    }
                    Ok(Auth::reject())
                }
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if row_height > 0 {
            self.rows = row_height;
        }
        session.channel_success(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        _col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.shell.lock().await.cli.as_mut() {
            if row_height > 0 {
                c.set_rows(row_height);
            }
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // CUCM's CLI has no exec (docs/cucm-notes.md#ssh-session).
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let delay = {
            let mut w = lock(&self.world);
            let start = w.scenario.latency.delays().cli_start_ms;
            let ms = w.scenario.cluster(&self.cluster).map(|c| c.access.cli_start_delay_ms).unwrap_or(0).max(start);
            let c = w.connections.entry(self.cluster.clone()).or_default();
            c.latency_ms = c.latency_ms.saturating_add(ms);
            ms
        };
        let cli = Cli::new(self.world.clone(), self.cluster.clone(), self.rows);
        let welcome = cli.welcome();
        let slot = self.shell.clone();
        let handle = session.handle();
        session.data(channel, b"Command Line Interface is starting up, please wait ...\r\n".to_vec())?;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay.min(120_000))).await;
            let _ = handle.data(channel, welcome).await;
            let mut shell = slot.lock().await;
            let mut cli = cli;
            // Type-ahead sent while the CLI was starting is processed now, in order.
            let typed = std::mem::take(&mut shell.pending);
            for o in cli.feed(&typed) {
                match o {
                    Out::Send(b) => {
                        let _ = handle.data(channel, b).await;
                    }
                    Out::Close => {
                        let _ = handle.eof(channel).await;
                        let _ = handle.close(channel).await;
                    }
                }
            }
            shell.cli = Some(cli);
        });
        Ok(())
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], session: &mut Session) -> Result<(), Self::Error> {
        let mut shell = self.shell.lock().await;
        let outs = match shell.cli.as_mut() {
            Some(c) => c.feed(data),
            None => {
                // Kept until the CLI has started (bounded; the excess is dropped).
                let room = MAX_TYPE_AHEAD.saturating_sub(shell.pending.len());
                shell.pending.extend(data.iter().take(room));
                return Ok(());
            }
        };
        // A command runs when Enter is pressed: its answer waits as long as the scenario's
        // latency says that command takes (echo included: sent together).
        let mut wait_ms = 0;
        for &b in data {
            if b == b'\r' || b == b'\n' {
                let typed = String::from_utf8_lossy(&shell.line).into_owned();
                shell.line.clear();
                let mut w = lock(&self.world);
                let d = w.scenario.latency.delays();
                let ms = crate::scenario::Latency::command_ms(&d, &typed);
                let c = w.connections.entry(self.cluster.clone()).or_default();
                c.latency_ms = c.latency_ms.saturating_add(ms);
                wait_ms += ms;
            } else if shell.line.len() < MAX_TYPE_AHEAD {
                shell.line.push(b);
            }
        }
        drop(shell);
        if wait_ms > 0 {
            tokio::time::sleep(Duration::from_millis(wait_ms.min(600_000))).await;
        }
        send(session, channel, outs)
    }
}
