//! `ils-doctor demo`: the whole `check` against the embedded mock publisher, with no set-up.
//!
//! The mock (the `mock-server` crate, which shares no parsing code with ils-doctor) starts the
//! scenario's publishers on loopback; the demo trusts exactly their certificate (pinned) and
//! their SSH host key (a temporary known_hosts), as a user would after `ils-doctor trust` and a
//! first verified login; credentials come from the mock, never from the command line.

use std::path::Path;
use std::time::Duration;

use mock_server::{PublisherInfo, Scenario};

use super::session::{self, CheckError, Outcome, Request};
use crate::collect::publisher::Access;
use crate::connect::tls::{fingerprint, TlsMode};
use crate::secret::Secret;

pub use crate::values::DEFAULT_SCENARIO;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("unknown demo scenario {0:?}; `ils-doctor demo --list` shows them")]
    Unknown(String),
    #[error("demo scenario {name}: {reason}")]
    Scenario { name: String, reason: String },
    #[error("cannot start the mock publishers: {0}")]
    Start(String),
    #[error("demo work folder: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// (name, description) of the bundled scenarios.
pub fn scenarios() -> Vec<(&'static str, String)> {
    mock_server::bundled::ALL
        .iter()
        .map(|(name, text)| {
            let description = Scenario::from_toml(text, name).map(|s| s.description).unwrap_or_default();
            (*name, description)
        })
        .collect()
}

pub use crate::values::scenario_hints;

/// Access to a mock publisher: pinned certificate, its host key already known.
pub fn access_for(p: &PublisherInfo, known_hosts: &Path) -> std::io::Result<Access> {
    let der = rustls_pemfile::certs(&mut p.tomcat_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| std::io::Error::other("the mock's Tomcat certificate is not PEM"))?;
    let mut kh = std::fs::read_to_string(known_hosts).unwrap_or_default();
    kh.push_str(&format!("[{}]:{} {}\n", p.ssh.ip(), p.ssh.port(), p.host_key.trim()));
    std::fs::write(known_hosts, kh)?;
    Ok(Access {
        host: p.ssh.ip().to_string(),
        ssh_port: p.ssh.port(),
        https_port: p.https.port(),
        admin_user: p.admin_user.clone(),
        admin_password: Secret::new(p.password.clone()),
        app_user: p.app_user.clone(),
        app_password: Secret::new(p.password.clone()),
        app_credential: "auto".into(),
        tls: TlsMode::Pin(fingerprint(&der)),
        known_hosts: known_hosts.to_path_buf(),
        accept_new_host_key: false,
        legacy_ssh: false,
        command_timeout: Duration::from_secs(30),
        record: None,
    })
}

/// Which clusters an engineer would give as hubs and spokes: as the scenario configures their
/// ILS role (a misconfigured registration is for the check to find, not for the command line
/// to know). A scenario with no hub gives the first cluster registered to as the hub.
pub fn roles(s: &Scenario) -> (Vec<String>, Vec<String>) {
    use mock_server::scenario::Role;
    let mut hubs: Vec<String> = s.clusters.iter().filter(|c| c.role == Role::Hub).map(|c| c.name.clone()).collect();
    if hubs.is_empty() {
        hubs.extend(s.clusters.iter().find_map(|c| c.ils.registration_server.clone()));
    }
    let spokes = s
        .clusters
        .iter()
        .filter(|c| !hubs.contains(&c.name))
        .filter(|c| c.role == Role::Spoke || c.ils.registration_server.is_some())
        .map(|c| c.name.clone())
        .collect();
    (hubs, spokes)
}

/// Runs `check` against scenario `name` in a temporary folder.
pub async fn run(
    name: &str,
    work: &Path,
    progress: bool,
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Outcome, DemoError> {
    let scenario = mock_server::bundled::load(name)
        .ok_or_else(|| DemoError::Unknown(name.to_string()))?
        .map_err(|e| DemoError::Scenario { name: name.to_string(), reason: e.to_string() })?;
    let (hub_names, spoke_names) = roles(&scenario);
    let mock = mock_server::start_with(
        scenario,
        mock_server::Options { state_dir: Some(work.join("mock-state")), ..mock_server::Options::default() },
    )
    .map_err(|e| DemoError::Start(e.to_string()))?;
    let known_hosts = work.join("known_hosts");
    let find = |n: &str| {
        mock.publisher(n)
            .cloned()
            .ok_or_else(|| DemoError::Scenario { name: name.to_string(), reason: format!("no publisher {n}") })
    };
    let mut hubs = Vec::new();
    for h in &hub_names {
        hubs.push(access_for(&find(h)?, &known_hosts)?);
    }
    let mut spokes = Vec::new();
    for s in &spoke_names {
        spokes.push(access_for(&find(s)?, &known_hosts)?);
    }
    let req = Request {
        hubs,
        spokes,
        capture: Duration::from_secs(45),
        since: Duration::from_secs(2 * 3600),
        keep_trace_level: false,
        detailed_value: None,
        // A registered pair is quiet until it reconnects: restart ILS on the spokes so the demo
        // shows a registration whatever the scenario.
        force_registration: true,
        start_stopped: false,
        method: None,
        download_dir: work.join("traces"),
        journal: work.join("trace-journal.json"),
        progress,
        poll: Duration::from_secs(2),
        catalog: Default::default(),
        preflight_only: false,
    };
    let out = session::run(&req, cancel).await?;
    drop(mock);
    Ok(out)
}
