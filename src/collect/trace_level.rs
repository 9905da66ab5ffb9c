//! Raising the ILS trace level to Detailed, and putting back exactly what was found.
//!
//! Read-modify-write through AXL get/updateProcessNodeService (Cisco AXL Developer Guide), never
//! touching the file count or size (changing those deletes traces). The original settings go to
//! a journal file (0600) BEFORE anything is changed, so that a run that dies (power, kill -9)
//! leaves what the next run, or `ils-doctor restore`, needs to restore (docs/security.md,
//! "Trace levels"). The journal is shared by concurrent runs: one advisory lock per journal
//! file, each writer merging its own entries, each entry naming the run that holds it. The value
//! of Detailed is 127 by default (unverified: docs/cucm-notes.md#trace-level); it is read from the publisher's
//! `typetracelevelgrouping` when it has the row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::publisher::Publisher;
use super::state_file;
use crate::connect::envelope::TraceSettings;
use crate::connect::soap::{SoapClient, SoapError};
use crate::parse::facts::ILS_SERVICE;
use crate::parse::levels::LevelName;

/// Default numeric value of Detailed (unverified; see the module comment).
pub const DEFAULT_DETAILED: &str = "127";

/// The run that raised a level: its process (pid and, where the OS says it, the process start
/// time, so that a recycled pid is not taken for the owner) and the run within the process (an
/// audit runs several checks at once). An entry whose owner is alive belongs to that run; only a
/// dead owner's entry, or one no run holds any more, is a leftover to restore (docs/security.md,
/// "Trace levels").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat` field 22), when known.
    pub started: Option<u64>,
    /// The run within the process.
    #[serde(default)]
    pub run: u64,
}

static NEXT_RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Owner {
    /// A new run of this process.
    pub fn new_run() -> Owner {
        let pid = std::process::id();
        Owner { pid, started: start_time(pid), run: NEXT_RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) }
    }

    fn is_this_process(&self) -> bool {
        let pid = std::process::id();
        self.pid == pid && self.started == start_time(pid)
    }

    /// Whether the owning process still runs (the same process, not a reused pid).
    pub fn is_alive(&self) -> bool {
        if self.is_this_process() {
            return true;
        }
        let Some(pid) = i32::try_from(self.pid).ok().and_then(rustix::process::Pid::from_raw) else {
            return false;
        };
        match rustix::process::test_kill_process(pid) {
            Ok(()) | Err(rustix::io::Errno::PERM) => {}
            Err(_) => return false,
        }
        match (self.started, start_time(self.pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        }
    }
}

/// Field 22 of `/proc/<pid>/stat` (after the parenthesised command name, which may hold spaces).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// One host's saved settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub host: String,
    pub https_port: u16,
    pub node: String,
    pub service: String,
    pub original: TraceSettings,
    pub raised_at: String,
    /// The run holding this level raised; None for an entry no run holds any more (kept by
    /// `--keep-trace-level`, or written by an older version): `restore` puts it back.
    #[serde(default)]
    pub owner: Option<Owner>,
    /// How the run reached the publisher, so that a plain `ils-doctor restore` can after the
    /// run died (None in entries of older versions).
    #[serde(default)]
    pub reach: Option<Reach>,
}

/// What restoring needs besides the password itself: the user, the ports, where the password
/// came from (a reference) and the pinned certificate. Never a secret (docs/security.md, "Trace
/// levels").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reach {
    pub ssh_port: u16,
    pub app_user: String,
    /// `auto`, `env:VAR` or `keyring:ENTRY`.
    pub app_credential: String,
    /// The SHA-256 fingerprint the run pinned, if it pinned one.
    #[serde(default)]
    pub tls_pin: Option<String>,
}

impl Reach {
    pub fn of(a: &crate::collect::publisher::Access) -> Reach {
        Reach {
            ssh_port: a.ssh_port,
            app_user: a.app_user.clone(),
            app_credential: a.app_credential.clone(),
            tls_pin: match &a.tls {
                crate::connect::tls::TlsMode::Pin(fp) => Some(fp.clone()),
                _ => None,
            },
        }
    }
}

impl Entry {
    /// Whether a run that is still alive holds this entry.
    pub fn held_by_live_run(&self) -> bool {
        self.owner.as_ref().is_some_and(Owner::is_alive)
    }
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

    /// Reads the journal (a snapshot: changes go through [`Journal::update`]).
    pub fn load(path: &Path) -> Result<Journal, JournalError> {
        state_file::load(path).map_err(|reason| JournalError::Io { path: path.display().to_string(), reason })
    }

    /// Changes the journal on disk under its lock: reads what is there now (other runs' entries
    /// included), applies `change`, and writes the result. Each writer changes only its own
    /// entries, so concurrent runs never undo each other. The file names hosts, never a
    /// password (`state_file`: 0600, replaced atomically).
    pub fn update<R>(path: &Path, change: impl FnOnce(&mut Journal) -> R) -> Result<R, JournalError> {
        let err = |e: std::io::Error| JournalError::Io { path: path.display().to_string(), reason: e.to_string() };
        let _lock = state_file::lock(path).map_err(err)?;
        let mut journal = Journal::load(path)?;
        let r = change(&mut journal);
        state_file::save(path, &journal, journal.entries.is_empty()).map_err(err)?;
        Ok(r)
    }
}

/// The default journal location: `$XDG_STATE_HOME/ils-doctor/trace-journal.json`.
pub fn default_journal_path() -> PathBuf {
    state_file::default_path("trace-journal.json")
}

/// The ILS service's trace levels as this publisher names them (`typetracelevelgrouping`);
/// empty when it does not answer, so that levels are then shown by number.
pub async fn level_names(soap: &SoapClient) -> Vec<LevelName> {
    let sql = "select ttlg.name, ttlg.value from typetracelevelgrouping ttlg, typeservice ts where ttlg.tktracelevelgroups = ts.tktracelevelgroups and ts.name = 'Cisco Intercluster Lookup Service'";
    let Ok(rows) = soap.sql_query(sql).await else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|r| {
            let get =
                |col: &str| r.iter().find(|(k, _)| k.eq_ignore_ascii_case(col)).map(|(_, v)| v.trim().to_string());
            let (name, value) = (get("name")?, get("value")?);
            (!name.is_empty() && value.parse::<i64>().is_ok()).then_some(LevelName { name, value })
        })
        .take(64)
        .collect()
}

/// What raising did.
#[derive(Debug, Clone)]
pub struct Raised {
    pub original: TraceSettings,
    /// False when the level already was Detailed (nothing was changed).
    pub changed: bool,
}

/// Reads the settings, journals them (owned by this run), and sets the level to `detailed`.
///
/// The new settings are the ones just read with only the level and the enable flag changed: a
/// journal entry can be stale, and writing back its file count or size would delete traces
/// (read-modify-write, docs/cucm-notes.md#trace-level).
///
/// The write runs as a task of its own, pushed to `in_flight`: when the run is cancelled while
/// it is under way, the restore waits for it to end before it writes the original back, so the
/// raise can never land after the restore.
pub async fn raise(
    p: &Publisher,
    node: &str,
    detailed: &str,
    journal_path: &Path,
    me: &Owner,
    in_flight: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Result<Raised, RaiseError> {
    let read = p.soap.trace_settings(node, ILS_SERVICE).await?;
    if read.trace_level == detailed {
        return Ok(Raised { original: read, changed: false });
    }
    let key = Journal::key(&p.access.host, p.access.https_port);
    let entry = Entry {
        host: p.access.host.clone(),
        https_port: p.access.https_port,
        node: node.to_string(),
        service: ILS_SERVICE.to_string(),
        original: read.clone(),
        raised_at: chrono::Utc::now().to_rfc3339(),
        owner: Some(me.clone()),
        reach: Some(Reach::of(&p.access)),
    };
    let held = Journal::update(journal_path, |j| match j.entries.get(&key) {
        Some(e) if e.owner.as_ref() != Some(me) && e.held_by_live_run() => e.owner.clone(),
        _ => {
            j.entries.insert(key.clone(), entry);
            None
        }
    })?;
    if let Some(owner) = held {
        return Err(RaiseError::HeldByOther { host: p.access.host.clone(), pid: owner.pid });
    }
    let mut wanted = read.clone();
    wanted.trace_level = detailed.to_string();
    wanted.enable = "true".into();
    let (soap, node) = (p.soap.clone(), node.to_string());
    let (tx, rx) = tokio::sync::oneshot::channel();
    in_flight.push(tokio::spawn(async move {
        let _ = tx.send(soap.set_trace_settings(&node, ILS_SERVICE, &wanted).await);
    }));
    match rx.await {
        Ok(written) => written?,
        Err(_) => {
            return Err(RaiseError::Soap(SoapError::Response {
                host: p.access.host.clone(),
                op: "updateProcessNodeService".into(),
                reason: "the trace-level write ended without an answer".into(),
            }))
        }
    }
    Ok(Raised { original: read, changed: true })
}

/// Which journal entries a restore may put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose<'a> {
    /// The entries this run wrote.
    Mine(&'a Owner),
    /// Entries no live run holds: left by a run that died, or handed over on purpose.
    Leftover,
}

impl Whose<'_> {
    fn takes(self, e: &Entry) -> bool {
        match self {
            Whose::Mine(me) => e.owner.as_ref() == Some(me),
            Whose::Leftover => !e.held_by_live_run(),
        }
    }
}

/// Puts back the journalled level of `host:https_port` if the entry is `whose`, then drops
/// the entry (only if it is still the one put back). The journal is not locked during the
/// request, so that a slow publisher never blocks other runs.
pub async fn restore_with(
    soap: &SoapClient,
    host: &str,
    https_port: u16,
    journal_path: &Path,
    whose: Whose<'_>,
) -> Result<Option<TraceSettings>, RaiseError> {
    let key = Journal::key(host, https_port);
    let journal = Journal::load(journal_path)?;
    let Some(entry) = journal.entries.get(&key).filter(|e| whose.takes(e)).cloned() else { return Ok(None) };
    // Read-modify-write again: only the level and the enable flag go back; the file count and
    // size stay what they are now (an old entry's values could delete traces).
    // Read back before the entry goes, and write once more if another write (a raise that was
    // still under way somewhere) landed after ours: the journal entry is the only record of the
    // original, so it stays until the publisher shows that level.
    let mut now = soap.trace_settings(&entry.node, &entry.service).await?;
    for _ in 0..2 {
        if now.trace_level == entry.original.trace_level && now.enable == entry.original.enable {
            break;
        }
        let mut wanted = now.clone();
        wanted.trace_level = entry.original.trace_level.clone();
        wanted.enable = entry.original.enable.clone();
        soap.set_trace_settings(&entry.node, &entry.service, &wanted).await?;
        now = soap.trace_settings(&entry.node, &entry.service).await?;
    }
    if now.trace_level != entry.original.trace_level {
        return Err(RaiseError::NotRestored {
            host: host.to_string(),
            level: now.trace_level,
            original: entry.original.trace_level.clone(),
        });
    }
    Journal::update(journal_path, |j| {
        if j.entries.get(&key) == Some(&entry) {
            j.entries.remove(&key);
        }
    })?;
    Ok(Some(entry.original))
}

/// Puts back this publisher's level if this run raised it.
pub async fn restore(p: &Publisher, journal_path: &Path, me: &Owner) -> Result<Option<TraceSettings>, RaiseError> {
    restore_with(&p.soap, &p.access.host, p.access.https_port, journal_path, Whose::Mine(me)).await
}

/// Puts back this publisher's level if a run that is no longer alive left it raised.
pub async fn restore_leftover(p: &Publisher, journal_path: &Path) -> Result<Option<TraceSettings>, RaiseError> {
    restore_with(&p.soap, &p.access.host, p.access.https_port, journal_path, Whose::Leftover).await
}

/// Hands this run's entries over to `ils-doctor restore` or the next run (`--keep-trace-level`,
/// or a restore that failed): no run holds them any more.
pub fn release_mine(journal_path: &Path, me: &Owner) -> Result<usize, JournalError> {
    if !journal_path.exists() {
        return Ok(0);
    }
    Journal::update(journal_path, |j| {
        let mut n: usize = 0;
        for e in j.entries.values_mut().filter(|e| e.owner.as_ref() == Some(me)) {
            e.owner = None;
            n = n.saturating_add(1);
        }
        n
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RaiseError {
    #[error(transparent)]
    Soap(#[from] SoapError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{host}: the ILS trace level reads {level:?} after being set back to {original:?} twice; the journal keeps the original: run `ils-doctor restore` again, or set it in Cisco Unified Serviceability > Trace > Configuration")]
    NotRestored { host: String, level: String, original: String },
    #[error("{host}: another ils-doctor run (pid {pid}) holds this publisher's ILS trace level raised; wait for it to finish (it restores the level), then run again")]
    HeldByOther { host: String, pid: u32 },
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
                owner: None,
                reach: None,
            },
        );
        Journal::update(&path, |on_disk| *on_disk = j.clone()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let back = Journal::load(&path).unwrap();
        assert_eq!(back.entries["h:8443"].original.trace_level, "15");
        Journal::update(&path, |on_disk| on_disk.entries.clear()).unwrap();
        assert!(!path.exists(), "an empty journal is removed");
        assert!(Journal::load(&path).unwrap().entries.is_empty());
    }
}
