//! Raising the ILS trace level to Detailed, and putting back exactly what was found.
//!
//! Research `cucm-apis.md` §3: read-modify-write through AXL get/updateProcessNodeService,
//! never touching the file count or size (changing those deletes traces). The original settings
//! go to a journal file (0600) BEFORE anything is changed, so that a run that dies (power, kill
//! -9) leaves what the next run, or `ils-doctor restore`, needs to restore. The value of
//! Detailed is 127 by default, a third-party claim [3P, unverified]; it is read from the
//! publisher's `typetracelevelgrouping` when it has the row (research §7.11).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::facts::ILS_SERVICE;
use super::publisher::Publisher;
use crate::connect::envelope::TraceSettings;
use crate::connect::soap::SoapError;

/// Default numeric value of Detailed (unverified; see the module comment).
pub const DEFAULT_DETAILED: &str = "127";

/// One host's saved settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub host: String,
    pub https_port: u16,
    pub node: String,
    pub service: String,
    pub original: TraceSettings,
    pub raised_at: String,
}

/// The journal: every host whose level this or an earlier run raised and did not yet restore.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Journal {
    pub entries: BTreeMap<String, Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("trace-level journal {path}: {reason}; it records the levels to restore, so check the folder is writable")]
    Io { path: String, reason: String },
}

impl Journal {
    pub fn key(host: &str, https_port: u16) -> String {
        format!("{host}:{https_port}")
    }

    pub fn load(path: &Path) -> Result<Journal, JournalError> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| JournalError::Io {
                path: path.display().to_string(),
                reason: format!("unreadable ({e})"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Journal::default()),
            Err(e) => Err(JournalError::Io { path: path.display().to_string(), reason: e.to_string() }),
        }
    }

    /// Writes the journal atomically with mode 0600 (it names hosts, never a password).
    pub fn save(&self, path: &Path) -> Result<(), JournalError> {
        let err = |e: std::io::Error| JournalError::Io { path: path.display().to_string(), reason: e.to_string() };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        if self.entries.is_empty() {
            return match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(err(e)),
                _ => Ok(()),
            };
        }
        let tmp = path.with_extension("tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(err)?;
        f.write_all(serde_json::to_string_pretty(self).unwrap_or_default().as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }
}

/// The default journal location: `$XDG_STATE_HOME/ils-doctor/trace-journal.json`.
pub fn default_journal_path() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("ils-doctor").join("trace-journal.json")
}

/// The numeric value of Detailed on this publisher, or the default.
pub async fn detailed_value(p: &Publisher, fallback: &str) -> String {
    let sql = "select ttlg.value from typetracelevelgrouping ttlg, typeservice ts where ttlg.tktracelevelgroups = ts.tktracelevelgroups and ts.name = 'Cisco Intercluster Lookup Service' and ttlg.name = 'Detailed'";
    match p.soap.sql_query(sql).await {
        Ok(rows) => rows
            .first()
            .and_then(|r| r.first())
            .map(|(_, v)| v.clone())
            .filter(|v| v.parse::<i64>().is_ok())
            .unwrap_or_else(|| fallback.to_string()),
        Err(_) => fallback.to_string(),
    }
}

/// What raising did.
#[derive(Debug, Clone)]
pub struct Raised {
    pub original: TraceSettings,
    /// False when the level already was Detailed (nothing was changed).
    pub changed: bool,
}

/// Reads the settings, journals them, and sets the level to `detailed`.
pub async fn raise(
    p: &Publisher,
    node: &str,
    detailed: &str,
    journal: &mut Journal,
    journal_path: &Path,
) -> Result<Raised, RaiseError> {
    let original = p.soap.trace_settings(node, ILS_SERVICE).await?;
    if original.trace_level == detailed {
        return Ok(Raised { original, changed: false });
    }
    let key = Journal::key(&p.access.host, p.access.https_port);
    // An entry left by a dead run keeps its (truly original) settings.
    let entry = journal.entries.entry(key).or_insert_with(|| Entry {
        host: p.access.host.clone(),
        https_port: p.access.https_port,
        node: node.to_string(),
        service: ILS_SERVICE.to_string(),
        original: original.clone(),
        raised_at: chrono::Utc::now().to_rfc3339(),
    });
    let original = entry.original.clone();
    journal.save(journal_path)?;
    let mut wanted = original.clone();
    wanted.trace_level = detailed.to_string();
    wanted.enable = "true".into();
    p.soap.set_trace_settings(node, ILS_SERVICE, &wanted).await?;
    Ok(Raised { original, changed: true })
}

/// Puts back the journalled settings of this publisher and drops its journal entry.
pub async fn restore(
    p: &Publisher,
    journal: &mut Journal,
    journal_path: &Path,
) -> Result<Option<TraceSettings>, RaiseError> {
    let key = Journal::key(&p.access.host, p.access.https_port);
    let Some(entry) = journal.entries.get(&key).cloned() else { return Ok(None) };
    p.soap.set_trace_settings(&entry.node, &entry.service, &entry.original).await?;
    journal.entries.remove(&key);
    journal.save(journal_path)?;
    Ok(Some(entry.original))
}

#[derive(Debug, thiserror::Error)]
pub enum RaiseError {
    #[error(transparent)]
    Soap(#[from] SoapError),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trip_and_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/journal.json");
        let mut j = Journal::default();
        j.entries.insert(
            Journal::key("h", 8443),
            Entry {
                host: "h".into(),
                https_port: 8443,
                node: "n".into(),
                service: ILS_SERVICE.into(),
                original: TraceSettings { trace_level: "15".into(), ..TraceSettings::default() },
                raised_at: "t".into(),
            },
        );
        j.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let back = Journal::load(&path).unwrap();
        assert_eq!(back.entries["h:8443"].original.trace_level, "15");
        Journal::default().save(&path).unwrap();
        assert!(!path.exists(), "an empty journal is removed");
        assert!(Journal::load(&path).unwrap().entries.is_empty());
    }
}
