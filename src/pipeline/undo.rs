//! `undo`: takes back what the last `join --apply` changed, from the join journal alone
//! (docs/security.md, "Join"): the tomcat-trust entries it imported are deleted, a service it
//! started is stopped, the ILS settings get back what was known of them before (the role, and
//! what a check's traces showed), and ILS is restarted where it must re-read them. What no
//! publisher shows (the password, Use TLS / Use Password, the Registration Server without a
//! check) cannot be put back, and undo says so, naming each.
//!
//! Each change undone is marked in the journal as soon as it is, so an undo that is stopped
//! (Ctrl-C, SIGTERM, an error) leaves a journal the next `undo` continues from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use super::signals::Interrupted;
use crate::collect::download::Progress;
use crate::collect::publisher::{Access, Publisher, PublisherError};
use crate::configure::journal::{Apply, Change, Entry, Journal, JournalError, Reached, State};
use crate::connect::envelope::IlsSettings;
use crate::secret::Secret;

/// What undo needs besides the journal.
pub struct UndoRequest {
    pub journal: PathBuf,
    /// The ILS password the apply set, when a setting with Use Password must be written back
    /// (`updateIlsConfig` needs it in every write).
    pub ils_password: Option<Secret>,
    /// Old ILS passwords the user gave, per publisher key (`host:https_port`).
    pub previous_passwords: BTreeMap<String, Secret>,
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("the last join ({id}) is still being applied by ils-doctor pid {pid}; stop it first (Ctrl-C stops it at the next step), then run `ils-doctor undo`")]
    Running { id: String, pid: u32 },
    #[error("{0}")]
    Reach(String),
}

/// What one undo did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Undone {
    pub id: String,
    pub link: String,
    /// Each change taken back, in words.
    pub undone: Vec<String>,
    /// What could not be put back, and why.
    pub kept: Vec<String>,
    /// What failed (the journal keeps it for the next `undo`).
    pub failed: Vec<String>,
    /// The apply is fully undone.
    pub complete: bool,
}

/// The apply `undo` would take back, if any.
pub fn pending(journal: &std::path::Path) -> Result<Option<Apply>, UndoError> {
    Ok(Journal::load(journal)?.last_to_undo().cloned())
}

/// Undoes the last apply. `reach` gives each journalled publisher's access (its users, ports and
/// trust from the journal, the passwords from the environment, the keyring or a prompt).
pub async fn undo(
    req: &UndoRequest,
    reach: impl Fn(&Reached) -> Result<Access, String>,
    sig: Interrupted,
) -> Result<Undone, UndoError> {
    let Some(apply) = pending(&req.journal)? else { return Ok(Undone { complete: true, ..Undone::default() }) };
    if apply.running() {
        return Err(UndoError::Running { id: apply.id.clone(), pid: apply.owner.as_ref().map_or(0, |o| o.pid) });
    }
    let progress = Progress::new(req.progress);
    let mut out = Undone { id: apply.id.clone(), link: apply.link.clone(), ..Undone::default() };
    let mut pubs: BTreeMap<String, Publisher> = BTreeMap::new();
    // Publishers whose ILS must re-read what undo changed, and those undo stopped.
    let mut reread: BTreeSet<String> = BTreeSet::new();
    let mut stopped: BTreeSet<String> = BTreeSet::new();
    let entries: Vec<Entry> = apply.to_undo().cloned().collect();
    let mut interrupted = false;
    for e in entries.iter().rev() {
        if *sig.borrow() {
            interrupted = true;
            break;
        }
        let p = match publisher(&apply, &e.key, &reach, &mut pubs).await {
            Ok(p) => p,
            Err(why) => {
                out.failed.push(format!("step {} on {}: {why}", e.n, e.publisher));
                continue;
            }
        };
        progress.say(&format!("undoing step {} on {}", e.n, e.publisher));
        let r = match &e.change {
            Change::TrustImport { file_cn, serial, files_before, file, .. } => {
                undo_import(p, file_cn, serial.as_deref(), files_before, file.as_deref()).await
            }
            Change::IlsConfig { before, after, password_set } => {
                undo_settings(req, p, &e.key, before, after, *password_set, &mut out.kept).await
            }
            Change::ServiceStart { state_before } => undo_start(p, state_before).await,
            Change::ServiceRestart => Ok(None),
        };
        match r {
            Ok(done) => {
                match &e.change {
                    Change::ServiceStart { .. } => {
                        stopped.insert(e.key.clone());
                    }
                    Change::ServiceRestart => {}
                    _ if done.is_some() => {
                        reread.insert(e.key.clone());
                    }
                    _ => {}
                }
                if let Some(words) = done {
                    out.undone.push(format!("{}: {words}", e.publisher));
                }
                Journal::step(&req.journal, &apply.id, e.n, |x| x.state = State::Undone)?;
            }
            Err(why) => out.failed.push(format!("step {} on {}: {why}", e.n, e.publisher)),
        }
    }
    // ILS reads its settings and tomcat-trust when it starts: the side registered to first.
    for r in &apply.publishers {
        if interrupted || !reread.contains(&r.key) || stopped.contains(&r.key) {
            continue;
        }
        if let Some(p) = pubs.get_mut(&r.key) {
            match p.restart_ils().await {
                Ok(_) => out.undone.push(format!("{}: Cisco Intercluster Lookup Service restarted (it reads the settings put back)", r.name)),
                Err(e) => out.failed.push(format!("{}: restarting the Cisco Intercluster Lookup Service: {e}; restart it by hand (Cisco Unified Serviceability > Tools > Control Center - Feature Services)", r.name)),
            }
        }
    }
    for (_, p) in pubs {
        p.close().await;
    }
    if interrupted {
        out.failed.push("interrupted: the journal keeps what is left; run `ils-doctor undo` again".into());
    }
    out.complete = out.failed.is_empty();
    if out.complete {
        let when = chrono::Utc::now().to_rfc3339();
        Journal::apply(&req.journal, &apply.id, |a| a.undone = Some(when))?;
    }
    Ok(out)
}

async fn publisher<'a>(
    apply: &Apply,
    key: &str,
    reach: &impl Fn(&Reached) -> Result<Access, String>,
    pubs: &'a mut BTreeMap<String, Publisher>,
) -> Result<&'a mut Publisher, String> {
    if !pubs.contains_key(key) {
        let r = apply
            .publishers
            .iter()
            .find(|r| r.key == key)
            .ok_or_else(|| format!("the journal names no publisher {key}"))?;
        let access = reach(r)?;
        let p = Publisher::open(access).await.map_err(|e: PublisherError| e.to_string())?;
        pubs.insert(key.to_string(), p);
    }
    pubs.get_mut(key).ok_or_else(|| format!("{key}: not opened"))
}

/// Deletes the tomcat-trust entries an import added: the file it learned, else every entry of
/// the certificate's name (and serial) that was not there before.
async fn undo_import(
    p: &mut Publisher,
    file_cn: &str,
    serial: Option<&str>,
    before: &[String],
    file: Option<&str>,
) -> Result<Option<String>, String> {
    let now = p.trust_entries().await.map_err(|e| format!("show cert list trust: {e}"))?;
    let cn = file_cn.to_ascii_lowercase();
    let added: Vec<String> = now
        .iter()
        .filter(|e| match file {
            Some(f) => e.file == f,
            None => {
                e.cn.to_ascii_lowercase() == cn
                    && !before.contains(&e.file)
                    && match (&e.serial, serial) {
                        (Some(a), Some(b)) => a.trim_start_matches('0').eq_ignore_ascii_case(b.trim_start_matches('0')),
                        _ => true,
                    }
            }
        })
        .map(|e| e.file.clone())
        .collect();
    if added.is_empty() {
        return Ok(None);
    }
    for f in &added {
        let name = f.strip_prefix("tomcat-trust/").unwrap_or(f);
        p.delete_trust(name).await.map_err(|e| format!("set cert delete tomcat-trust {name}: {e}"))?;
    }
    let after = p.trust_entries().await.map_err(|e| format!("show cert list trust: {e}"))?;
    if let Some(left) = added.iter().find(|f| after.iter().any(|e| &e.file == *f)) {
        return Err(format!("{left} is still listed after set cert delete; delete it in Cisco Unified OS Administration > Security > Certificate Management"));
    }
    Ok(Some(format!("deleted {} from tomcat-trust", added.join(", "))))
}

/// Writes back what was known of the settings before; the rest stays as the apply wrote it,
/// each said in `kept`.
async fn undo_settings(
    req: &UndoRequest,
    p: &mut Publisher,
    key: &str,
    before: &crate::configure::model::Before,
    after: &IlsSettings,
    password_set: bool,
    kept: &mut Vec<String>,
) -> Result<Option<String>, String> {
    let name = p.name();
    let previous = req.previous_passwords.get(key);
    let target = IlsSettings {
        role: before.role.clone().unwrap_or_else(|| after.role.clone()),
        registration_server: before.registration_server.clone().unwrap_or_else(|| after.registration_server.clone()),
        sync_minutes: after.sync_minutes,
        use_tls: before.use_tls.unwrap_or(after.use_tls),
        use_password: before.use_password.unwrap_or(after.use_password),
    };
    if before.registration_server.is_none() {
        kept.push(format!(
            "{name}: Registration Server stays \"{}\" (not readable before the join)",
            after.registration_server
        ));
    }
    if before.use_tls.is_none() {
        kept.push(format!(
            "{name}: Use TLS Certificates {} and Use Password {} stay as the join set them (not readable before the join)",
            after.use_tls, after.use_password
        ));
    }
    if password_set && previous.is_none() {
        kept.push(format!(
            "{name}: the ILS password stays the one the join set (never readable); to put an old one back give ILS_DOCTOR_PREVIOUS_ILS_PASSWORD_{} and run undo again before another join",
            crate::credentials::host_env_word(&p.access.host)
        ));
    }
    kept.push(format!(
        "{name}: Synchronize Clusters Every stays {} (not readable before the join)",
        after.sync_minutes
    ));
    if target == *after && previous.is_none() {
        return Ok(None);
    }
    let password = if target.use_password { previous.or(req.ils_password.as_ref()) } else { None };
    if target.use_password && password.is_none() {
        return Err(format!(
            "{name}: putting back its ILS settings needs a password (updateIlsConfig sends one with Use Password): give the one the join set (ILS_DOCTOR_ILS_PASSWORD) or an old one (ILS_DOCTOR_PREVIOUS_ILS_PASSWORD_{})",
            crate::credentials::host_env_word(&p.access.host)
        ));
    }
    p.soap.update_ils_config(&target, password).await.map_err(|e| format!("updateIlsConfig: {e}"))?;
    let mut words = vec![format!("role {}", target.role)];
    if before.registration_server.is_some() {
        words.push(format!("Registration Server \"{}\"", target.registration_server));
    }
    if before.use_tls.is_some() {
        words.push(format!("Use TLS Certificates {}, Use Password {}", target.use_tls, target.use_password));
    }
    if previous.is_some() {
        words.push("the old ILS password you gave".into());
    }
    Ok(Some(format!("ILS settings put back: {}", words.join(", "))))
}

/// Stops a service the apply started (it was stopped before).
async fn undo_start(p: &mut Publisher, state_before: &str) -> Result<Option<String>, String> {
    if state_before.trim().to_ascii_uppercase().starts_with("STARTED") {
        return Ok(None);
    }
    p.stop_ils().await.map_err(|e| format!("utils service stop: {e}"))?;
    match p.ils_state().await {
        Ok(Some(s)) if !s.trim().to_ascii_uppercase().starts_with("STARTED") => {
            Ok(Some(format!("Cisco Intercluster Lookup Service stopped again (it was {state_before})")))
        }
        Ok(s) => Err(format!("the service reads {} after the stop", s.unwrap_or_default())),
        Err(e) => Err(format!("utils service list: {e}")),
    }
}
