//! One publisher for the length of a run: one SSH `admin:` session and one HTTPS connection pool,
//! opened once and reused for every command: one session per host per run.

use std::path::PathBuf;
use std::time::Duration;

use crate::connect::record::{Recorder, Recording};
use crate::connect::soap::{HttpsTarget, SoapClient, SoapError};
use crate::connect::ssh::{Answers, SshError, SshSession, SshTarget, Timeouts};
use crate::connect::tls::TlsMode;
use crate::secret::Secret;

/// How to reach one publisher.
#[derive(Debug, Clone)]
pub struct Access {
    /// The address used to connect (host name or IP).
    pub host: String,
    pub ssh_port: u16,
    pub https_port: u16,
    /// OS administrator (SSH CLI).
    pub admin_user: String,
    pub admin_password: Secret,
    /// Application user (AXL, Serviceability).
    pub app_user: String,
    pub app_password: Secret,
    /// Where the application user's password came from, as a reference (`auto`, `env:VAR`,
    /// `keyring:ENTRY`; never the password): journalled, so that `ils-doctor restore` finds it
    /// again after the run died.
    pub app_credential: String,
    pub tls: TlsMode,
    pub known_hosts: PathBuf,
    pub accept_new_host_key: bool,
    /// Also offer weak SSH algorithms (`--legacy-ssh`, docs/security.md).
    pub legacy_ssh: bool,
    pub command_timeout: Duration,
    /// Record every exchange (`--record`, docs/transcript.md).
    pub record: Option<Recording>,
}

impl Access {
    /// This publisher's transcript, when recording.
    pub fn recorder(&self) -> Option<Recorder> {
        self.record.as_ref().map(|r| r.publisher(&self.host, self.ssh_port, self.https_port))
    }
}

/// What `set cert import trust` prints when it took the certificate [C: CLI Reference].
pub const IMPORTED: &str = "Successfully imported certificate";

#[derive(Debug, thiserror::Error)]
pub enum PublisherError {
    #[error(transparent)]
    Ssh(#[from] SshError),
    #[error(transparent)]
    Soap(#[from] SoapError),
}

pub struct Publisher {
    pub access: Access,
    /// Shared, so that a trace-level write can finish on its own after its run was cancelled
    /// (`trace_level::raise`).
    pub soap: std::sync::Arc<SoapClient>,
    pub ssh: SshSession,
    /// The publisher's processnode name, once read (the key of its trace settings).
    pub node_name: Option<String>,
    /// How the engineer knows it (`Facts::label`), once its facts are read.
    pub label: Option<String>,
}

/// The HTTPS client alone (AXL, Serviceability), its TLS trust checked: what discovery needs,
/// without the CLI session.
pub async fn open_soap(access: &Access) -> Result<SoapClient, PublisherError> {
    let soap = SoapClient::new(&HttpsTarget {
        host: access.host.clone(),
        port: access.https_port,
        user: access.app_user.clone(),
        password: access.app_password.clone(),
        tls: access.tls.clone(),
        connect_timeout: Duration::from_secs(10),
        request_timeout: access.command_timeout,
    })?
    .with_recorder(access.recorder());
    soap.probe().await?;
    Ok(soap)
}

impl Publisher {
    /// The publisher in progress messages: its own name once known, else the address used.
    pub fn name(&self) -> String {
        self.label.clone().unwrap_or_else(|| format!("{}:{}", self.access.host, self.access.https_port))
    }

    /// Opens the HTTPS client and the SSH session (both checked: TLS trust, host key, login).
    pub async fn open(access: Access) -> Result<Publisher, PublisherError> {
        let rec = access.recorder();
        // TLS first: an untrusted certificate stops here with its advice (`ils-doctor trust`),
        // not as a failed read of every fact; the pool keeps the connection for what follows.
        let soap = open_soap(&access).await?;
        let ssh = SshSession::open_recorded(
            &SshTarget {
                host: access.host.clone(),
                port: access.ssh_port,
                user: access.admin_user.clone(),
                password: access.admin_password.clone(),
                known_hosts: access.known_hosts.clone(),
                accept_new_host_key: access.accept_new_host_key,
                legacy_ssh: access.legacy_ssh,
                timeouts: Timeouts { command: access.command_timeout, ..Timeouts::default() },
            },
            rec,
        )
        .await?;
        Ok(Publisher { access, soap: std::sync::Arc::new(soap), ssh, node_name: None, label: None })
    }

    /// Restarts the ILS service through the CLI, so that a registered spoke registers again.
    /// Only on request (`--force-registration`): it interrupts ILS on that cluster briefly.
    pub async fn restart_ils(&mut self) -> Result<String, SshError> {
        self.ssh.run("utils service restart Cisco Intercluster Lookup Service").await
    }

    /// Starts a stopped ILS service (`--start-stopped`).
    pub async fn start_ils(&mut self) -> Result<String, SshError> {
        self.ssh.run("utils service start Cisco Intercluster Lookup Service").await
    }

    /// Stops the ILS service (undo of a start).
    pub async fn stop_ils(&mut self) -> Result<String, SshError> {
        self.ssh.run("utils service stop Cisco Intercluster Lookup Service").await
    }

    /// The ILS service's state as `utils service list` prints it (`STARTED`, `STOPPED (...)`).
    pub async fn ils_state(&mut self) -> Result<Option<String>, SshError> {
        let out = self.ssh.run("utils service list").await?;
        Ok(crate::parse::facts::service_state(&out, crate::parse::facts::ILS_SERVICE))
    }

    /// The tomcat-trust entries (`show cert list trust`).
    pub async fn trust_entries(&mut self) -> Result<Vec<crate::parse::trust::TrustEntry>, SshError> {
        Ok(crate::parse::trust::trust_list(&self.ssh.run("show cert list trust").await?))
    }

    /// `set cert import trust tomcat`, pasting `pem` when asked (docs/cucm-notes.md#cert-import);
    /// the CLI's answer. Success is Cisco's own text; anything else is the publisher's refusal.
    pub async fn import_trust(&mut self, pem: &str) -> Result<Result<String, String>, SshError> {
        let out = self.ssh.run_with("set cert import trust tomcat", Answers::Paste(pem)).await?;
        Ok(if out.contains(IMPORTED) { Ok(out) } else { Err(out) })
    }

    /// `set cert delete tomcat-trust FILE`, answering `yes` to its question if it asks one
    /// (docs/cucm-notes.md#cert-import); the CLI's answer.
    pub async fn delete_trust(&mut self, file_name: &str) -> Result<String, SshError> {
        self.ssh.run_with(&format!("set cert delete tomcat-trust {file_name}"), Answers::ConfirmYes).await
    }

    pub async fn close(self) {
        self.ssh.close().await;
    }
}
