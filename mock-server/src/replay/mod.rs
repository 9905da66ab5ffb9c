//! `mock-server --replay DIR`: serves recorded transcripts (ils-doctor's `--record DIR`,
//! docs/transcript.md) on SSH and HTTPS, one publisher per transcript, answering each request with
//! its recorded answer: SSH commands by their text, in record order, falling back to any recording
//! of the same command; HTTP by method and path, then SOAPAction, then the body most alike (times
//! in a body differ between the record and the replay). A request with no record gets a clear
//! error naming it and the closest recorded ones, and is kept for [`Replaying::unmatched`].
//!
//! What is approximate: the SSH algorithms are the mock's own (the record keeps the publisher's),
//! any password is accepted, a file listing and the traces carry the record's times (not
//! re-based: a client must judge them as of the record), and the timing is replayed only with
//! [`ReplayOptions::timing`].

mod https;
pub mod record;
mod ssh;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

pub use record::{load, ReplayError, Transcript};

use crate::server::PublisherInfo;

/// How to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Wait as long as the publisher took (SSH steps, HTTP answers).
    pub timing: bool,
    /// Where the SSH host keys are kept; default `$TMPDIR/mock-server-state`.
    pub state_dir: Option<PathBuf>,
}

/// One transcript being served.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// Where to reach it (any user and password log in).
    pub info: PublisherInfo,
    /// `hub`, `spoke` or None, from the record.
    pub role: Option<String>,
    /// The publisher as recorded (`publisher` of the header).
    pub recorded_as: String,
}

/// What each publisher's server shares: the transcript, which entries were served, errors.
pub(crate) struct Served {
    pub transcript: Transcript,
    pub used: Mutex<Vec<bool>>,
    pub unmatched: Arc<Mutex<Vec<String>>>,
    pub timing: bool,
}

impl Served {
    pub fn miss(&self, what: String) {
        eprintln!("mock-server --replay: {what}");
        if let Ok(mut u) = self.unmatched.lock() {
            u.push(what);
        }
    }

    /// Marks `i` served.
    pub fn take(&self, i: usize) {
        if let Ok(mut u) = self.used.lock() {
            if let Some(x) = u.get_mut(i) {
                *x = true;
            }
        }
    }

    pub fn used(&self) -> Vec<bool> {
        self.used.lock().map(|u| u.clone()).unwrap_or_default()
    }
}

/// The running replay; dropping it stops every server.
#[derive(Debug)]
pub struct Replaying {
    publishers: Vec<Replayed>,
    unmatched: Arc<Mutex<Vec<String>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Replaying {
    pub fn publishers(&self) -> &[Replayed] {
        &self.publishers
    }

    /// The requests that had no record, each with the closest recorded ones.
    pub fn unmatched(&self) -> Vec<String> {
        self.unmatched.lock().map(|u| u.clone()).unwrap_or_default()
    }
}

impl Drop for Replaying {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A self-signed Tomcat-like certificate for the replay (the record's is not kept).
fn certificate(name: &str) -> Result<crate::tls::ServerCert, ReplayError> {
    let start = |e: &dyn std::fmt::Display| ReplayError::Start(e.to_string());
    let s =
        crate::bundled::load("m2-tls-success").ok_or_else(|| start(&"no bundled scenario"))?.map_err(|e| start(&e))?;
    let mut c = s.clusters.first().cloned().ok_or_else(|| start(&"no cluster"))?;
    c.fqdn = format!("{name}.replay.invalid");
    crate::tls::Pki::default().tomcat(&c, Some("self_signed")).map_err(|e| start(&e))
}

/// Serves every transcript of `dir` on loopback.
pub fn start_replay(dir: &Path, opts: ReplayOptions) -> Result<Replaying, ReplayError> {
    let transcripts = load(dir)?;
    let start = |e: &dyn std::fmt::Display| ReplayError::Start(e.to_string());
    let state_dir = opts.state_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("mock-server-state"));
    let unmatched = Arc::new(Mutex::new(Vec::new()));
    let mut prepared = Vec::new();
    let mut publishers = Vec::new();
    for t in transcripts {
        let cert = certificate(&t.name)?;
        let tls = crate::tls::server_config(&cert).map_err(|e| start(&e))?;
        let key = crate::ssh::host_key(&state_dir, "replay", &t.name, false, crate::ssh::KeyKind::Ed25519)
            .map_err(|e| start(&e))?;
        let ssh_l = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| start(&e))?;
        let https_l = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| start(&e))?;
        ssh_l.set_nonblocking(true).map_err(|e| start(&e))?;
        https_l.set_nonblocking(true).map_err(|e| start(&e))?;
        publishers.push(Replayed {
            info: PublisherInfo {
                name: t.name.clone(),
                fqdn: cert.subject_cn.clone(),
                ssh: ssh_l.local_addr().map_err(|e| start(&e))?,
                https: https_l.local_addr().map_err(|e| start(&e))?,
                admin_user: "admin".into(),
                app_user: "administrator".into(),
                password_env: None,
                password: "replay".into(),
                tomcat_pem: cert.cert_pem.clone(),
                ca_pem: None,
                host_key: crate::ssh::public_openssh(&key),
            },
            role: t.role().map(String::from),
            recorded_as: t.header.get("publisher").and_then(|v| v.as_str()).unwrap_or_default().to_string(),
        });
        let served = Arc::new(Served {
            used: Mutex::new(vec![false; t.entries.len()]),
            transcript: t,
            unmatched: unmatched.clone(),
            timing: opts.timing,
        });
        prepared.push((served, ssh_l, https_l, tls, key));
    }
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("mock-replay")
        .build()
        .map_err(|e| start(&e))?;
    let thread = std::thread::Builder::new()
        .name("mock-replay".into())
        .spawn(move || {
            rt.block_on(async move {
                let mut handles = Vec::new();
                for (served, ssh_l, https_l, tls, key) in prepared {
                    handles.push(https::serve(https_l, tls, served.clone()));
                    if let Ok(l) = tokio::net::TcpListener::from_std(ssh_l) {
                        tokio::spawn(ssh::serve(l, served, key));
                    }
                }
                let _ = stop_rx.await;
                for h in handles {
                    h.shutdown();
                }
            });
            rt.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(|e| start(&e))?;
    Ok(Replaying { publishers, unmatched, stop: Some(stop_tx), thread: Some(thread) })
}
