//! Starts every publisher of a scenario in-process on loopback and stops them on drop.
//!
//! Each cluster gets an SSH port (the `admin:` CLI, `ssh/`) and an HTTPS port (AXL and
//! Serviceability, `https/`), both on `127.0.0.1` with ephemeral ports; the traces and
//! `show network cluster` still show the scenario's IPs. The servers run on a dedicated thread with
//! its own tokio runtime, so [`start`] works from synchronous tests and from inside a tokio runtime
//! alike. A ticker advances the ILS simulator with the wall clock.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::oneshot;

use crate::db::{lock, Shared, World};
use crate::scenario::{Faults, Scenario};

/// Where things go and how fast the simulator ticks.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directory for persisted SSH host keys (`<scenario>-<cluster>.key`); default
    /// `$TMPDIR/mock-server-state`.
    pub state_dir: Option<PathBuf>,
    /// Simulator tick.
    pub tick: Duration,
    /// How long ago the simulated clusters started: their start-up registrations happened
    /// then. With an hour, a registered pair is quiet when a check looks at its recent traces,
    /// as a long-registered pair is in the field.
    pub started_ago: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { state_dir: None, tick: Duration::from_millis(200), started_ago: Duration::ZERO }
    }
}

/// Addresses and credentials of one running publisher.
#[derive(Debug, Clone)]
pub struct PublisherInfo {
    /// Cluster `name` in the scenario.
    pub name: String,
    /// Publisher FQDN (certificate CN and SAN).
    pub fqdn: String,
    /// `admin:` CLI.
    pub ssh: SocketAddr,
    /// AXL and Serviceability (`https://127.0.0.1:<port>/axl/`).
    pub https: SocketAddr,
    /// OS administrator user for SSH.
    pub admin_user: String,
    /// Application user for AXL and Serviceability.
    pub app_user: String,
    /// Environment variable that overrides the password, if the scenario names one.
    pub password_env: Option<String>,
    /// The password in effect (from that variable or the scenario).
    pub password: String,
    /// The HTTPS (Tomcat) certificate, PEM.
    pub tomcat_pem: String,
    /// The CA that issued it, PEM, when CA-signed.
    pub ca_pem: Option<String>,
    /// The SSH host public key, OpenSSH format.
    pub host_key: String,
}

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding, key files.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Certificates.
    #[error("certificate: {0}")]
    Cert(#[from] rcgen::Error),
    /// TLS configuration.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// SSH keys.
    #[error("SSH key: {0}")]
    Key(String),
}

/// The running mock. Dropping it stops every server.
#[derive(Debug)]
pub struct Running {
    publishers: Vec<PublisherInfo>,
    world: Shared,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// All publishers, in scenario order.
    pub fn publishers(&self) -> &[PublisherInfo] {
        &self.publishers
    }

    /// The publisher of cluster `name`.
    pub fn publisher(&self, name: &str) -> Option<&PublisherInfo> {
        self.publishers.iter().find(|p| p.name == name)
    }

    /// Replaces the faults for the rest of the run.
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.world).faults = faults;
    }

    /// Polls `done` on the live world every 50 ms until it holds or `timeout` passes; returns
    /// whether it held (e.g. `|w| w.engine.attempts().len() >= 2`).
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&World) -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if self.with_world(|w| done(w)) {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `f` on the live world (scenario, simulator, tables), e.g. to read attempts or files.
    /// The shared world, for a test thread that watches and changes it while a client runs.
    pub fn world_handle(&self) -> Shared {
        self.world.clone()
    }

    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut w = lock(&self.world);
        w.engine.advance_to(Utc::now());
        f(&mut w)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts every publisher of `scenario` with default [`Options`].
pub fn start(scenario: Scenario) -> Result<Running, StartError> {
    start_with(scenario, Options::default())
}

/// Starts every publisher of `scenario`.
pub fn start_with(scenario: Scenario, opts: Options) -> Result<Running, StartError> {
    let state_dir = opts.state_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("mock-server-state"));
    let mut pki = crate::tls::Pki::default();
    let mut prepared = Vec::new();
    let mut infos = Vec::new();
    let mut certs = std::collections::BTreeMap::new();
    let https_override = scenario.faults.https_cert.clone();
    for c in &scenario.clusters {
        let cert = pki.tomcat(c, https_override.as_deref())?;
        let tls = crate::tls::server_config(&cert)?;
        let (preferred, kind) =
            crate::ssh::offer(c.access.ssh_profile, &c.access.ssh_restricted).map_err(StartError::Key)?;
        let key = crate::ssh::host_key(&state_dir, &scenario.name, &c.name, scenario.faults.host_key_changed, kind)
            .map_err(StartError::Key)?;
        let ssh_l = TcpListener::bind(("127.0.0.1", 0))?;
        let https_l = TcpListener::bind(("127.0.0.1", 0))?;
        ssh_l.set_nonblocking(true)?;
        https_l.set_nonblocking(true)?;
        infos.push(PublisherInfo {
            name: c.name.clone(),
            fqdn: c.fqdn.clone(),
            ssh: ssh_l.local_addr()?,
            https: https_l.local_addr()?,
            admin_user: c.access.admin_user.clone(),
            app_user: c.access.app_user.clone(),
            password_env: c.access.password_env.clone(),
            password: c.password(),
            tomcat_pem: cert.cert_pem.clone(),
            ca_pem: cert.ca_pem.clone(),
            host_key: crate::ssh::public_openssh(&key),
        });
        certs.insert(c.name.clone(), cert);
        prepared.push((c.name.clone(), ssh_l, https_l, tls, key, preferred));
    }
    let started = Utc::now() - chrono::Duration::from_std(opts.started_ago).unwrap_or_default();
    let mut w = World::new(scenario, started);
    w.tomcat = certs;
    let world: Shared = Arc::new(Mutex::new(w));
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let w2 = world.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("mock-server")
        .build()?;
    let thread = std::thread::Builder::new().name("mock-server".into()).spawn(move || {
        rt.block_on(async move {
            let mut handles = Vec::new();
            for (name, ssh_l, https_l, tls, key, preferred) in prepared {
                let handle = axum_server::Handle::new();
                let app = crate::https::router(w2.clone(), name.clone());
                let cfg = axum_server::tls_rustls::RustlsConfig::from_config(tls);
                let h2 = handle.clone();
                tokio::spawn(async move {
                    let mut server = axum_server::from_tcp_rustls(https_l, cfg).handle(h2);
                    // Slow or silent clients are cut off: 30 s to send the request head (the TLS
                    // handshake has axum-server's own 10 s limit).
                    server
                        .http_builder()
                        .http1()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(30));
                    let _ = server.serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
                });
                handles.push(handle);
                if let Ok(l) = tokio::net::TcpListener::from_std(ssh_l) {
                    tokio::spawn(crate::ssh::serve(l, w2.clone(), name, key, preferred));
                }
            }
            let ticker = {
                let w = w2.clone();
                tokio::spawn(async move {
                    let mut iv = tokio::time::interval(opts.tick);
                    loop {
                        iv.tick().await;
                        lock(&w).engine.advance_to(Utc::now());
                    }
                })
            };
            let _ = stop_rx.await;
            ticker.abort();
            for h in handles {
                h.shutdown();
            }
        });
        rt.shutdown_timeout(Duration::from_secs(1));
    })?;
    Ok(Running { publishers: infos, world, stop: Some(stop_tx), thread: Some(thread) })
}
