//! The history's schema: numbered migration steps applied under `PRAGMA user_version`, and
//! the database file's permissions.

use std::fs;
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::{History, HistoryError, Result};

/// The schema, one step per version: step `i` takes `user_version` from `i` to `i + 1`. Steps
/// are only ever appended; a released step is never edited.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        depth TEXT NOT NULL,
        status TEXT NOT NULL,
        exit_code INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE INDEX runs_started ON runs (started);
    CREATE TABLE cluster_results (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        network TEXT NOT NULL,
        cluster TEXT NOT NULL,
        role TEXT NOT NULL,
        host TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        cluster_id TEXT,
        version TEXT,
        cert_days_left INTEGER,
        trace_files INTEGER NOT NULL
    );
    CREATE INDEX cluster_results_subject ON cluster_results (network, cluster, run_id);
    CREATE INDEX cluster_results_run ON cluster_results (run_id);
    CREATE TABLE findings (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        network TEXT NOT NULL,
        cluster TEXT NOT NULL,
        severity TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX findings_subject ON findings (network, cluster, run_id);
    CREATE TABLE pair_results (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        network TEXT NOT NULL,
        hub TEXT NOT NULL,
        spoke TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        successes INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        latest_outcome TEXT,
        latest_root_cause TEXT,
        latest_at TEXT,
        summary TEXT NOT NULL
    );
    CREATE INDEX pair_results_subject ON pair_results (network, hub, spoke, run_id);
    CREATE INDEX pair_results_run ON pair_results (run_id);
    CREATE TABLE pair_failures (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        network TEXT NOT NULL,
        hub TEXT NOT NULL,
        spoke TEXT NOT NULL,
        cause TEXT NOT NULL,
        count INTEGER NOT NULL
    );
    CREATE INDEX pair_failures_subject ON pair_failures (network, hub, spoke, run_id);",
];

#[cfg(unix)]
pub(super) fn secure_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    // Create it empty with 0600 before SQLite writes anything (SQLite gives its journal files
    // the database file's mode).
    let file = fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(path)?;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn secure_file(path: &Path) -> std::io::Result<()> {
    fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map(|_| ())
}

impl History {
    pub(super) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
    }

    pub(super) fn migrate(&mut self) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        let path = self.path.clone();
        let open_err = |source| HistoryError::Open { path: path.clone(), source };
        let found = Self::user_version(&self.conn).map_err(open_err)?;
        if found > known {
            return Err(HistoryError::TooNew { path: self.path.clone(), found, known });
        }
        // Schema versions count from 1.
        for (version, step) in (1_usize..).zip(MIGRATIONS) {
            let migrate_err = |source| HistoryError::Migrate { path: path.clone(), version, source };
            // IMMEDIATE: take the write lock first, then re-read the version, so a run that
            // opened the file at the same moment does not apply the step twice.
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(migrate_err)?;
            let current = Self::user_version(&tx).map_err(migrate_err)?;
            if current > known {
                return Err(HistoryError::TooNew { path: self.path.clone(), found: current, known });
            }
            if current >= version as i64 {
                continue; // dropping `tx` rolls back an empty transaction
            }
            tx.execute_batch(step).map_err(migrate_err)?;
            tx.pragma_update(None, "user_version", version as i64).map_err(migrate_err)?;
            tx.commit().map_err(migrate_err)?;
        }
        Ok(())
    }
}
