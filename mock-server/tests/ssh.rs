//! The `admin:` CLI over real SSH connections (russh client; OpenSSH's `ssh` in `ssh_profiles.rs`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_server::scenario::Faults;
use mock_server::{start_with, Options, PublisherInfo, Scenario};
use russh::client;
use russh::keys::PublicKeyOrCertificate;
use russh::ChannelMsg;

fn scenario(name: &str) -> Scenario {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    Scenario::load(&p).unwrap()
}

fn opts(dir: &tempfile::TempDir) -> Options {
    Options { state_dir: Some(dir.path().to_path_buf()), ..Options::default() }
}

/// Accepts exactly the host key the mock reports (pinning, never `Ok(true)` blindly).
struct Pinned(String);

impl client::Handler for Pinned {
    type Error = russh::Error;
    async fn check_server_key(&mut self, k: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(match k {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.to_openssh().ok().as_deref() == Some(self.0.as_str()),
            PublicKeyOrCertificate::Certificate(_) => false,
        })
    }
}

async fn connect(p: &PublisherInfo) -> client::Handle<Pinned> {
    let cfg = Arc::new(client::Config { inactivity_timeout: Some(Duration::from_secs(20)), ..Default::default() });
    tokio::time::timeout(Duration::from_secs(10), client::connect(cfg, p.ssh, Pinned(p.host_key.clone())))
        .await
        .unwrap()
        .unwrap()
}

struct Shell {
    ch: russh::Channel<client::Msg>,
    buf: String,
}

impl Shell {
    async fn open(h: &client::Handle<Pinned>, rows: u32) -> Shell {
        let ch = h.channel_open_session().await.unwrap();
        ch.request_pty(true, "vt100", 80, rows, 0, 0, &[]).await.unwrap();
        ch.request_shell(true).await.unwrap();
        Shell { ch, buf: String::new() }
    }

    /// Reads until `pat` appears; returns everything read so far and clears the buffer.
    async fn until(&mut self, pat: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(i) = self.buf.find(pat) {
                let end = i + pat.len();
                let out = self.buf[..end].to_string();
                self.buf.drain(..end);
                return Some(out);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.ch.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => self.buf.push_str(&String::from_utf8_lossy(&data)),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close)) | Ok(None) => return None,
                Ok(Some(_)) => {}
                Err(_) => return None,
            }
        }
    }

    async fn send(&self, s: &str) {
        self.ch.data(s.as_bytes()).await.unwrap();
    }

    async fn cmd(&mut self, c: &str) -> String {
        self.send(&format!("{c}\r")).await;
        self.until("admin:", Duration::from_secs(10)).await.unwrap_or_else(|| panic!("no prompt after {c}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_prompt_commands_pager_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    let run = start_with(scenario("m1-password-success"), opts(&dir)).unwrap();
    let p = run.publisher("hub").unwrap().clone();
    let mut h = connect(&p).await;
    assert!(!h.authenticate_password(&p.admin_user, "wrong").await.unwrap().success());
    assert!(h.authenticate_password(&p.admin_user, &p.password).await.unwrap().success());
    let mut sh = Shell::open(&h, 8).await;
    let welcome = sh.until("admin:", Duration::from_secs(10)).await.unwrap();
    assert!(welcome.starts_with("Command Line Interface is starting up, please wait ..."), "{welcome:?}");
    assert!(welcome.ends_with("\r\n\x1b[Kadmin:"));
    let v = sh.cmd("show version active").await;
    assert!(v.contains("Active Master Version: 14.0.1.11900-132\r\n"), "{v:?}");
    // Pagination is on: a long output stops at the pager prompt; q ends it.
    sh.send("utils service list\r").await;
    let page = sh.until("to quit\x1b[0m", Duration::from_secs(10)).await.unwrap();
    assert!(page.contains("\x1b[1mPress <enter> for 1 line, <space> for one page, or <q> to quit"));
    sh.send("q").await;
    sh.until("admin:", Duration::from_secs(5)).await.unwrap();
    assert!(sh.cmd("set cli pagination off").await.contains("Automatic pagination is turned off"));
    let all = sh.cmd("utils service list").await;
    assert!(all.contains("Cisco Intercluster Lookup Service[STARTED]") && !all.contains("Press <enter>"));
    let sql = sh.cmd("run sql select clusterid,fullyqualifiedname from remotecluster").await;
    assert!(
        sql.contains(
            "clusterid fullyqualifiedname\r\n========= ======================\r\nSPOKE-CL  cucm-spoke.example.com\r\n"
        ),
        "{sql:?}"
    );
    assert!(sh
        .cmd("show network cluster")
        .await
        .contains("10.106.104.220 cucm-hub.example.com cucm-hub Publisher callmanager DBPub authenticated"));
    assert!(sh.cmd("utils ils showpeerinfo").await.contains("admin:"));
    assert!(sh.cmd("no such thing").await.contains("No valid command entered"));
    sh.send("quit\r").await;
    assert!(sh.until("admin:", Duration::from_secs(3)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_interactive_only_start_delay_and_exec_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scenario("m1-password-success");
    s.clusters[0].access.keyboard_interactive_only = true;
    s.clusters[0].access.cli_start_delay_ms = 2000;
    let run = start_with(s, opts(&dir)).unwrap();
    let p = run.publisher("hub").unwrap().clone();
    let mut h = connect(&p).await;
    assert!(!h.authenticate_password(&p.admin_user, &p.password).await.unwrap().success());
    let r = h.authenticate_keyboard_interactive_start(&p.admin_user, None).await.unwrap();
    match r {
        client::KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
            assert_eq!(prompts.len(), 1);
            assert!(prompts[0].prompt.contains("Password"));
        }
        other => panic!("{other:?}"),
    }
    let r = h.authenticate_keyboard_interactive_respond(vec![p.password.clone()]).await.unwrap();
    assert!(matches!(r, client::KeyboardInteractiveAuthResponse::Success), "{r:?}");
    // exec is refused (CUCM has none).
    let ch = h.channel_open_session().await.unwrap();
    ch.exec(true, "show version active").await.unwrap();
    let mut ch = ch;
    let mut refused = false;
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(3), ch.wait()).await {
        if matches!(m, ChannelMsg::Failure) {
            refused = true;
            break;
        }
    }
    assert!(refused);
    let t0 = Instant::now();
    let mut sh = Shell::open(&h, 24).await;
    sh.until("starting up", Duration::from_secs(5)).await.unwrap();
    assert!(t0.elapsed() < Duration::from_millis(1900), "the notice comes before the delay");
    sh.until("admin:", Duration::from_secs(5)).await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(2000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_persists_and_the_fault_rotates_it() {
    let dir = tempfile::tempdir().unwrap();
    let k1 =
        start_with(scenario("m1-password-success"), opts(&dir)).unwrap().publisher("hub").unwrap().host_key.clone();
    let k2 =
        start_with(scenario("m1-password-success"), opts(&dir)).unwrap().publisher("hub").unwrap().host_key.clone();
    assert_eq!(k1, k2);
    assert!(k1.starts_with("ssh-ed25519 "));
    let mut s = scenario("m1-password-success");
    s.faults.host_key_changed = true;
    let k3 = start_with(s, opts(&dir)).unwrap().publisher("hub").unwrap().host_key.clone();
    assert_ne!(k1, k3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_wrong_password_hang_and_pager_without_pagination() {
    let dir = tempfile::tempdir().unwrap();
    let run = start_with(scenario("m1-password-success"), opts(&dir)).unwrap();
    let p = run.publisher("hub").unwrap().clone();
    run.set_faults(Faults { wrong_password: true, ..Faults::default() });
    let mut h = connect(&p).await;
    assert!(!h.authenticate_password(&p.admin_user, &p.password).await.unwrap().success());
    run.set_faults(Faults {
        pager_ignores_off: true,
        hang_command: Some("utils dbreplication".into()),
        ..Faults::default()
    });
    let mut h = connect(&p).await;
    assert!(h.authenticate_password(&p.admin_user, &p.password).await.unwrap().success());
    let mut sh = Shell::open(&h, 6).await;
    sh.until("admin:", Duration::from_secs(5)).await.unwrap();
    sh.cmd("set cli pagination off").await;
    sh.send("utils service list\r").await;
    assert!(sh.until("to quit", Duration::from_secs(5)).await.is_some());
    sh.send("q").await;
    sh.until("admin:", Duration::from_secs(5)).await.unwrap();
    sh.send("utils dbreplication runtimestate\r").await;
    assert!(sh.until("admin:", Duration::from_millis(800)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_ahead_during_start_up_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scenario("m1-password-success");
    s.clusters[0].access.cli_start_delay_ms = 500;
    let run = start_with(s, opts(&dir)).unwrap();
    let p = run.publisher("hub").unwrap().clone();
    let mut h = connect(&p).await;
    assert!(h.authenticate_password(&p.admin_user, &p.password).await.unwrap().success());
    let mut sh = Shell::open(&h, 24).await;
    sh.until("starting up", Duration::from_secs(5)).await.unwrap();
    sh.send("show version active\r").await;
    let out = sh.until("Active Master Version", Duration::from_secs(5)).await;
    assert!(out.is_some_and(|o| o.contains("Welcome to the Platform Command Line Interface")));
}

/// Records the pre-authentication banner.
struct BannerSeen(String, std::sync::Arc<std::sync::Mutex<String>>);

impl client::Handler for BannerSeen {
    type Error = russh::Error;
    async fn check_server_key(&mut self, k: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(
            matches!(k, PublicKeyOrCertificate::PublicKey { key, .. } if key.to_openssh().ok().as_deref() == Some(self.0.as_str())),
        )
    }
    async fn auth_banner(&mut self, banner: &str, _session: &mut client::Session) -> Result<(), Self::Error> {
        *self.1.lock().unwrap() = banner.to_string();
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_is_sent_before_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scenario("m1-password-success");
    s.clusters[0].access.banner = Some("Authorized use only.\n".into());
    let run = start_with(s, opts(&dir)).unwrap();
    let p = run.publisher("hub").unwrap().clone();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let cfg = Arc::new(client::Config::default());
    let mut h = client::connect(cfg, p.ssh, BannerSeen(p.host_key.clone(), seen.clone())).await.unwrap();
    assert!(h.authenticate_password(&p.admin_user, &p.password).await.unwrap().success());
    assert_eq!(seen.lock().unwrap().as_str(), "Authorized use only.\n");
}
