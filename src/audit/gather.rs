//! Reading one cluster for a light audit: its facts and the ILS traces it already has. Changes
//! nothing on the cluster. One SSH session and one HTTPS pool, closed at the end; the whole read
//! is bounded by the per-host timeout, so a slow or dead host becomes an `unknown` for itself
//! only.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::assess::Gathered;
use super::inventory::{Cluster, CredentialRef};
use super::model::Role;
use crate::analyze::{Catalog, Side};
use crate::collect::download::{self, Progress};
use crate::collect::facts;
use crate::collect::publisher::{Access, Publisher};
use crate::connect::tls::TlsMode;
use crate::credentials::{self, Kind};
use crate::pipeline::live::ConnOptions;
use crate::pipeline::scan::{scan_all, Job};
use crate::secret::Secret;

fn secret(r: &CredentialRef, kind: Kind, host: &str) -> Result<Secret, String> {
    match r {
        CredentialRef::Env(name) => {
            std::env::var(name).ok().filter(|v| !v.is_empty()).map(Secret::new).ok_or_else(|| {
                format!("the environment variable {name} (the inventory's credential reference) is not set")
            })
        }
        CredentialRef::Keyring(entry) => credentials::from_keyring(entry).map_err(|e| e.to_string()),
        CredentialRef::Auto => credentials::password_without_prompt(kind, host).map_err(|e| e.to_string()),
    }
}

/// The access to a cluster's publisher from the inventory and the shared options.
pub fn access(c: &Cluster, conn: &ConnOptions) -> Result<Access, String> {
    let strict;
    let conn = if c.discovered {
        strict = crate::audit::discover::conn_at(conn, 1);
        &strict
    } else {
        conn
    };
    let tls = match &c.tls_pin {
        Some(pin) if !conn.insecure => TlsMode::Pin(pin.clone()),
        _ => conn.tls_for(&c.host, c.https_port).map_err(|e| e.to_string())?,
    };
    Ok(Access {
        host: c.host.clone(),
        ssh_port: c.ssh_port,
        https_port: c.https_port,
        admin_user: c.admin_user.clone(),
        admin_password: secret(&c.admin_credential, Kind::Admin, &c.host)?,
        app_user: c.app_user.clone(),
        app_password: secret(&c.app_credential, Kind::App, &c.host)?,
        app_credential: c.app_credential.reference(),
        tls,
        known_hosts: conn.known_hosts.clone(),
        accept_new_host_key: conn.accept_new_host_key,
        legacy_ssh: conn.legacy_ssh,
        command_timeout: conn.command_timeout,
        record: conn.record.clone(),
    })
}

/// What one light read needs besides the cluster.
pub struct Reader<'a> {
    pub conn: &'a ConnOptions,
    pub since: Duration,
    pub host_timeout: Duration,
    /// Downloaded traces are kept here between runs (complete files are not fetched again).
    pub cache: &'a Path,
    pub catalog: &'a Catalog,
    /// Scans waiting for a core: one scan per core at a time, so that a thousand clusters
    /// answering at once hold a few chunk buffers, not a thousand (docs/benchmarks.md, scale).
    pub scans: &'a tokio::sync::Semaphore,
}

/// A directory name from untrusted text (inventory names are the user's, but keep paths plain).
pub fn dir_name(s: &str) -> String {
    let s: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

impl Reader<'_> {
    pub async fn read(&self, network: &str, c: &Cluster) -> Gathered {
        if let Some(why) = &c.skip {
            // Never contacted (docs/audit-outputs.md#discovery).
            return Gathered { error: Some(why.clone()), ..Gathered::default() };
        }
        let started = Instant::now();
        let dir = self.cache.join(dir_name(network)).join(dir_name(&c.name));
        let mut g = match tokio::time::timeout(self.host_timeout, self.read_remote(c, &dir)).await {
            Ok(Ok((facts, files, warnings))) => {
                let side = if c.role == Role::Hub { Side::Hub } else { Side::Spoke };
                let jobs: Vec<Job> = files.into_iter().map(|path| Job { path, side, arg: 0 }).collect();
                let catalog = self.catalog.clone();
                // Closed never: the semaphore lives as long as the run.
                let _slot = self.scans.acquire().await.ok();
                let scanned = tokio::task::spawn_blocking(move || scan_all(&catalog, &jobs, 1))
                    .await
                    .unwrap_or_else(|e| (Vec::new(), vec![format!("scanning the traces failed: {e}")]));
                let mut warnings = warnings;
                warnings.extend(scanned.1);
                Gathered { facts: Some(facts), scanned: scanned.0, error: None, warnings, duration_ms: 0, findings: Vec::new() }
            }
            Ok(Err(e)) => Gathered { error: Some(e), ..Gathered::default() },
            Err(_) => Gathered {
                error: Some(format!(
                    "{}: no answer within {} s (the per-host timeout, --host-timeout); the other clusters were not held up",
                    c.host,
                    self.host_timeout.as_secs()
                )),
                ..Gathered::default()
            },
        };
        g.duration_ms = started.elapsed().as_millis() as u64;
        g
    }

    async fn read_remote(
        &self,
        c: &Cluster,
        dir: &Path,
    ) -> Result<(crate::parse::facts::Facts, Vec<PathBuf>, Vec<String>), String> {
        let access = access(c, self.conn)?;
        let mut p = Publisher::open(access).await.map_err(|e| e.to_string())?;
        let f = facts::read(&mut p).await;
        let log = download::ils_log_name(&p).await;
        let now = Utc::now();
        // A span reaching before the calendar's start means everything.
        let from = now
            .checked_sub_signed(chrono::Duration::from_std(self.since).unwrap_or_default())
            .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        let fetched = download::fetch(&mut p, &log, from, now, dir, &Progress::quiet()).await;
        p.close().await;
        let (files, mut warnings) = match fetched {
            Ok(x) => (x.files, x.warnings),
            Err(e) => (Vec::new(), vec![format!("trace download: {e}")]),
        };
        prune(dir, &files, &mut warnings);
        Ok((f, files, warnings))
    }
}

/// Removes cached files the publisher no longer lists for the window, so the cache stays the
/// size of one window.
fn prune(dir: &Path, keep: &[PathBuf], warnings: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_file() && !keep.contains(&path) {
            if let Err(err) = std::fs::remove_file(&path) {
                warnings.push(format!("cannot remove the old cached trace {}: {err}", path.display()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::inventory::Cluster;

    /// `--accept-new-host-key` and `--insecure` are the user's decisions about the hosts they
    /// named; a cluster discovery found gets neither (docs/security.md, "Discovery").
    #[test]
    fn trust_flags_never_extend_to_a_discovered_cluster() {
        std::env::set_var("GATHER_TEST_PW", "x");
        let dir = tempfile::tempdir().unwrap();
        let conn = ConnOptions {
            ssh_port: 22,
            https_port: 8443,
            admin_user: "admin".into(),
            app_user: "axl".into(),
            ca_file: None,
            pins: Vec::new(),
            pins_file: dir.path().join("pins"),
            insecure: true,
            known_hosts: dir.path().join("known_hosts"),
            accept_new_host_key: true,
            legacy_ssh: false,
            command_timeout: Duration::from_secs(5),
            record: None,
        };
        let mut c = Cluster {
            name: "x".into(),
            role: Role::Spoke,
            host: "cucm.example.com".into(),
            ssh_port: 22,
            https_port: 8443,
            admin_user: "admin".into(),
            app_user: "axl".into(),
            admin_credential: CredentialRef::Env("GATHER_TEST_PW".into()),
            app_credential: CredentialRef::Env("GATHER_TEST_PW".into()),
            hub: None,
            hub_inferred: false,
            method: None,
            tls_pin: None,
            skip: None,
            discovered: false,
        };
        let named = access(&c, &conn).unwrap();
        assert!(named.accept_new_host_key && matches!(named.tls, TlsMode::Insecure));
        c.discovered = true;
        let found = access(&c, &conn).unwrap();
        assert!(!found.accept_new_host_key);
        assert!(matches!(found.tls, TlsMode::Verify { .. }), "{:?}", found.tls);
    }
}
