//! The join journal: every change `join --apply` makes to a publisher, written BEFORE it is made,
//! with what undoing it needs, so that `ils-doctor undo` can take an apply back from this file
//! alone, after Ctrl-C, SIGTERM, an error or SIGKILL (docs/security.md, "Join").
//!
//! One JSON file (`$XDG_STATE_HOME/ils-doctor/join-journal.json`, 0600, replaced atomically
//! under a lock: `collect::state_file`). It names publishers, users, ports, pins and where the
//! passwords come from (references such as `env:VAR`), never a password: not the ILS password,
//! and not an old one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::Before;
use crate::analyze::Method;
use crate::collect::state_file;
use crate::collect::trace_level::Owner;
use crate::connect::envelope::IlsSettings;

/// Applies kept in the file (older ones that are finished are dropped).
const KEEP: usize = 20;

#[derive(Debug, thiserror::Error)]
#[error("join journal {path}: {reason}; it records the changes `ils-doctor undo` takes back, so check that the folder is writable")]
pub struct JournalError {
    pub path: String,
    pub reason: String,
}

/// The default location: `$XDG_STATE_HOME/ils-doctor/join-journal.json`.
pub fn default_path() -> PathBuf {
    state_file::default_path("join-journal.json")
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Journal {
    pub applies: Vec<Apply>,
}

/// One `join --apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Apply {
    /// Unique per apply: the start time and the process.
    pub id: String,
    pub started: String,
    /// The process applying it, while it runs (None once it ended or died and was handed over).
    #[serde(default)]
    pub owner: Option<Owner>,
    pub method: Method,
    /// `spoke NAME -> hub NAME`.
    pub link: String,
    /// Where the ILS password came from (`env:VAR`, `keyring:ENTRY`, `prompt`), never the password.
    #[serde(default)]
    pub password_source: Option<String>,
    pub publishers: Vec<Reached>,
    pub steps: Vec<Entry>,
    /// How the apply ended, once it did: `done`, or `stopped: why`.
    #[serde(default)]
    pub ended: Option<String>,
    /// When `ils-doctor undo` took it back.
    #[serde(default)]
    pub undone: Option<String>,
}

/// How the apply reached a publisher: what undo needs besides the passwords themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reached {
    /// `host:https_port`.
    pub key: String,
    /// `cucm-hub.example.com (10.106.104.220)`.
    pub name: String,
    pub host: String,
    pub ssh_port: u16,
    pub https_port: u16,
    pub admin_user: String,
    pub app_user: String,
    /// `auto`, `env:VAR` or `keyring:ENTRY`.
    pub app_credential: String,
    #[serde(default)]
    pub tls_pin: Option<String>,
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Journalled; the change may or may not have been made (the run stopped while it ran, or
    /// its answer was lost): undo treats it as made.
    Started,
    /// Made and read back.
    Done,
    /// The publisher refused it: not made.
    Refused,
    /// Taken back by undo.
    Undone,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// `updateIlsConfig`: what was there before as far as known, and what was written.
    IlsConfig { before: Before, after: IlsSettings, password_set: bool },
    /// `set cert import trust tomcat`: which certificate, and the tomcat-trust files before, so
    /// that the entry added is found even when the run died before it learned its name.
    TrustImport {
        subject: String,
        serial: Option<String>,
        file_cn: String,
        files_before: Vec<String>,
        file: Option<String>,
    },
    /// `utils service start`: the state before.
    ServiceStart { state_before: String },
    /// `utils service restart`: nothing to undo.
    ServiceRestart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The plan's step number.
    pub n: usize,
    /// The publisher's key (`host:https_port`) and name.
    pub key: String,
    pub publisher: String,
    pub change: Change,
    pub state: State,
    /// Why it was refused, or what undo could not put back.
    #[serde(default)]
    pub note: Option<String>,
}

impl Apply {
    /// Whether a live process is applying it now.
    pub fn running(&self) -> bool {
        self.owner.as_ref().is_some_and(Owner::is_alive)
    }

    /// The steps that may have changed something and are not undone.
    pub fn to_undo(&self) -> impl Iterator<Item = &Entry> {
        self.steps.iter().filter(|e| matches!(e.state, State::Started | State::Done))
    }
}

impl Journal {
    pub fn load(path: &Path) -> Result<Journal, JournalError> {
        state_file::load(path).map_err(|reason| JournalError { path: path.display().to_string(), reason })
    }

    /// Changes the file under its lock: what is there now, `change` applied, written back.
    pub fn update<R>(path: &Path, change: impl FnOnce(&mut Journal) -> R) -> Result<R, JournalError> {
        let err = |e: std::io::Error| JournalError { path: path.display().to_string(), reason: e.to_string() };
        let _lock = state_file::lock(path).map_err(err)?;
        let mut j = Journal::load(path)?;
        let r = change(&mut j);
        state_file::save(path, &j, j.applies.is_empty()).map_err(err)?;
        Ok(r)
    }

    /// The apply `undo` takes back: the last one not undone that changed (or may have changed)
    /// something.
    pub fn last_to_undo(&self) -> Option<&Apply> {
        self.applies.iter().rev().find(|a| a.undone.is_none() && a.to_undo().next().is_some())
    }

    /// Records a new apply (before its first step).
    pub fn begin(path: &Path, apply: Apply) -> Result<(), JournalError> {
        Journal::update(path, |j| {
            j.applies.push(apply);
            while j.applies.len() > KEEP {
                match j.applies.iter().position(|a| a.ended.is_some() || a.undone.is_some()) {
                    Some(i) => {
                        j.applies.remove(i);
                    }
                    None => break,
                }
            }
        })
    }

    /// Records a step about to run.
    pub fn record(path: &Path, id: &str, entry: Entry) -> Result<(), JournalError> {
        Journal::update(path, |j| {
            if let Some(a) = j.applies.iter_mut().find(|a| a.id == id) {
                a.steps.retain(|e| e.n != entry.n);
                a.steps.push(entry);
            }
        })
    }

    /// Changes one step of an apply.
    pub fn step(path: &Path, id: &str, n: usize, change: impl FnOnce(&mut Entry)) -> Result<(), JournalError> {
        Journal::update(path, |j| {
            if let Some(e) =
                j.applies.iter_mut().find(|a| a.id == id).and_then(|a| a.steps.iter_mut().find(|e| e.n == n))
            {
                change(e);
            }
        })
    }

    /// Changes an apply.
    pub fn apply(path: &Path, id: &str, change: impl FnOnce(&mut Apply)) -> Result<(), JournalError> {
        Journal::update(path, |j| {
            if let Some(a) = j.applies.iter_mut().find(|a| a.id == id) {
                change(a);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(id: &str) -> Apply {
        Apply {
            id: id.into(),
            started: "t".into(),
            owner: None,
            method: Method::Password,
            link: "spoke s -> hub h".into(),
            password_source: Some("env:ILS_DOCTOR_ILS_PASSWORD".into()),
            publishers: Vec::new(),
            steps: Vec::new(),
            ended: None,
            undone: None,
        }
    }

    #[test]
    fn steps_are_recorded_then_changed_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/join-journal.json");
        Journal::begin(&path, apply("a1")).unwrap();
        let entry = Entry {
            n: 1,
            key: "h:8443".into(),
            publisher: "h".into(),
            change: Change::ServiceStart { state_before: "STOPPED".into() },
            state: State::Started,
            note: None,
        };
        Journal::record(&path, "a1", entry).unwrap();
        assert_eq!(Journal::load(&path).unwrap().last_to_undo().map(|a| a.id.as_str()), Some("a1"));
        Journal::step(&path, "a1", 1, |e| e.state = State::Refused).unwrap();
        assert!(Journal::load(&path).unwrap().last_to_undo().is_none(), "a refused step changed nothing");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("env:ILS_DOCTOR_ILS_PASSWORD"));
    }

    #[test]
    fn old_finished_applies_are_dropped_unfinished_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.json");
        let mut first = apply("keep");
        first.ended = None;
        Journal::begin(&path, first).unwrap();
        for i in 0..30 {
            let mut a = apply(&format!("a{i}"));
            a.ended = Some("done".into());
            Journal::begin(&path, a).unwrap();
        }
        let j = Journal::load(&path).unwrap();
        assert_eq!(j.applies.len(), KEEP);
        assert!(j.applies.iter().any(|a| a.id == "keep"), "an apply that never ended is never dropped");
    }
}
