//! The audit history: an embedded SQLite database of every run, so that an audit can say what
//! changed since the previous one and `trend` can show a cluster's or a pair's past.
//!
//! Cron runs the audit hourly and runs can overlap: the connection waits for a lock
//! (`busy_timeout`) rather than failing, each run is recorded in one transaction, and the schema
//! is migrated with `PRAGMA user_version` inside an immediate transaction so two processes
//! opening a new file do not both apply a step. The file holds host names, errors and trace
//! excerpts of the whole estate: it is created with mode 0600 and an existing one is tightened.
//!
//! [`schema`] holds the migrations, [`record`] the writes, [`queries`] what audits and `history`
//! read back.

mod queries;
mod record;
mod schema;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

use crate::analyze::Status;

/// How long a run waits for another run's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "cannot create the directory {} for the history database: {source}; create it, or pass another --history path",
        dir.display()
    )]
    CreateDir { dir: PathBuf, source: std::io::Error },
    #[error(
        "cannot create or restrict the history database {} to mode 0600: {source}; check the directory's \
         permissions and the file's owner, or pass another --history path",
        path.display()
    )]
    Permissions { path: PathBuf, source: std::io::Error },
    #[error(
        "cannot open the history database {}: {source}; check that it is an ils-doctor history (SQLite) file, or \
         move it away to start a new history",
        path.display()
    )]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the history database {} has schema version {found}, newer than the {known} this ils-doctor knows: it was \
         written by a newer ils-doctor; upgrade ils-doctor, or pass another --history path",
        path.display()
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error(
        "cannot upgrade the history database {} to schema version {version}: {source}; nothing was changed by \
         this step; check free disk space and that no other program holds the file",
        path.display()
    )]
    Migrate { path: PathBuf, version: usize, source: rusqlite::Error },
    #[error(
        "history database {}: {source}; if another ils-doctor audit holds it (runs overlapping), retry later",
        path.display()
    )]
    Sql { path: PathBuf, source: rusqlite::Error },
}

pub type Result<T> = std::result::Result<T, HistoryError>;

/// A pair's status in one run: (run id, network, hub, spoke, status).
pub type PairPoint = (i64, String, String, String, Status);

/// What a history lookup is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    Cluster(&'a str),
    Pair { hub: &'a str, spoke: &'a str },
}

impl Subject<'_> {
    /// `cluster` or `pair`, as `TrendRow::kind` says it.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Cluster(_) => "cluster",
            Subject::Pair { .. } => "pair",
        }
    }
}

/// The parts of a recorded run that the next run compares itself with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub run_id: i64,
    pub started: String,
    pub status: Status,
    pub clusters: Vec<ClusterState>,
    pub pairs: Vec<PairState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterState {
    pub network: String,
    pub cluster: String,
    pub status: Status,
    pub cert_days_left: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairState {
    pub network: String,
    pub hub: String,
    pub spoke: String,
    pub status: Status,
}

impl Snapshot {
    pub fn cluster(&self, network: &str, cluster: &str) -> Option<&ClusterState> {
        self.clusters.iter().find(|c| c.network == network && c.cluster == cluster)
    }

    pub fn pair(&self, network: &str, hub: &str, spoke: &str) -> Option<&PairState> {
        self.pairs.iter().find(|p| p.network == network && p.hub == hub && p.spoke == spoke)
    }
}

/// One line of `trend`: a cluster's or a pair's state in one run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrendRow {
    /// RFC 3339, UTC, of the run.
    pub started: String,
    pub network: String,
    /// A cluster name, or a pair label (`hub <- spoke`).
    pub subject: String,
    /// `cluster` or `pair`.
    pub kind: &'static str,
    pub status: Status,
    /// Pairs: attempts and failures with the latest root cause; clusters: the error, or the
    /// certificate's days left.
    pub detail: String,
}

pub struct History {
    conn: Connection,
    path: PathBuf,
}

/// A status read back from the database; a string this version does not know is `unknown`.
pub fn parse_status(s: &str) -> Status {
    match s {
        "ok" => Status::Ok,
        "warning" => Status::Warning,
        "critical" => Status::Critical,
        _ => Status::Unknown,
    }
}

/// Started times are stored in one fixed-width form so that they sort as text.
fn normalize_started(s: &str) -> String {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|_| s.to_string())
}

impl History {
    /// Opens (creating it when needed) the history at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<History> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| HistoryError::CreateDir { dir: dir.to_path_buf(), source })?;
        }
        schema::secure_file(path).map_err(|source| HistoryError::Permissions { path: path.to_path_buf(), source })?;
        let open_err = |source| HistoryError::Open { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(open_err)?;
        let mut history = History { conn, path: path.to_path_buf() };
        history.migrate()?;
        Ok(history)
    }

    /// The file this history lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
        |source| HistoryError::Sql { path: self.path.clone(), source }
    }
}

/// The label `PairResult::label` gives (`hub <- spoke`), from the stored names.
fn pair_label(hub: &str, spoke: &str) -> String {
    format!("{hub} <- {spoke}")
}

#[cfg(test)]
mod tests {
    use super::schema::MIGRATIONS;
    use super::*;
    use crate::audit::testdata::{pair, simple};

    fn temp() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/history.sqlite");
        (dir, path)
    }

    #[test]
    fn open_twice_applies_the_migrations_once() {
        let (_dir, path) = temp();
        let mut h = History::open(&path).unwrap();
        assert_eq!(History::user_version(&h.conn).unwrap(), MIGRATIONS.len() as i64);
        h.record(&simple("2026-01-01T10:00:00Z", Status::Ok, Status::Ok, Status::Ok, Status::Ok)).unwrap();
        drop(h);
        let h = History::open(&path).unwrap();
        assert_eq!(History::user_version(&h.conn).unwrap(), MIGRATIONS.len() as i64);
        // The data survived the second open: no table was re-created.
        assert_eq!(h.latest_run().unwrap().unwrap().clusters.len(), 3);
    }

    #[test]
    fn empty_history_has_no_latest_run() {
        let (_dir, path) = temp();
        let h = History::open(&path).unwrap();
        assert_eq!(h.latest_run().unwrap(), None);
        assert!(h.recent_statuses("net1", Subject::Cluster("hub-a"), 5).unwrap().is_empty());
    }

    #[test]
    fn records_two_runs_and_reads_them_back() {
        let (_dir, path) = temp();
        let mut h = History::open(&path).unwrap();
        let first = h.record(&simple("2026-01-01T10:00:00Z", Status::Ok, Status::Ok, Status::Ok, Status::Ok)).unwrap();
        let mut second = simple("2026-01-01T11:00:00+00:00", Status::Ok, Status::Unknown, Status::Critical, Status::Ok);
        second.clusters[0].cert_days_left = Some(12);
        let second_id = h.record(&second).unwrap();
        assert!(second_id > first);

        let snap = h.latest_run().unwrap().unwrap();
        assert_eq!(snap.run_id, second_id);
        assert_eq!(snap.started, "2026-01-01T11:00:00.000Z");
        assert_eq!(snap.status, Status::Critical);
        let hub = snap.cluster("net1", "hub-a").unwrap();
        assert_eq!((hub.status, hub.cert_days_left), (Status::Ok, Some(12)));
        assert_eq!(snap.cluster("net1", "spoke-1").unwrap().status, Status::Unknown);
        assert_eq!(snap.pair("net1", "hub-a", "spoke-1").unwrap().status, Status::Critical);
        assert_eq!(snap.pair("net1", "hub-a", "spoke-2").unwrap().status, Status::Ok);
        assert!(snap.cluster("net2", "hub-a").is_none());

        let pair_history = h.recent_statuses("net1", Subject::Pair { hub: "hub-a", spoke: "spoke-1" }, 10).unwrap();
        assert_eq!(pair_history, vec![Status::Critical, Status::Ok]);
        let one = h.recent_statuses("net1", Subject::Cluster("spoke-1"), 1).unwrap();
        assert_eq!(one, vec![Status::Unknown]);

        // Everything else of the run is there too.
        let failures: i64 = h
            .conn
            .query_row("SELECT count FROM pair_failures WHERE run_id = ?1 AND spoke = 'spoke-1'", [second_id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(failures, 2);
        let error: Option<String> = h
            .conn
            .query_row(
                "SELECT error FROM cluster_results WHERE run_id = ?1 AND cluster = 'spoke-1'",
                [second_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(error.as_deref(), Some("connection refused"));
        let findings: i64 =
            h.conn.query_row("SELECT count(*) FROM findings WHERE run_id = ?1", [second_id], |r| r.get(0)).unwrap();
        assert_eq!(findings, 0);
    }

    #[test]
    fn latest_run_goes_by_start_time() {
        let (_dir, path) = temp();
        let mut h = History::open(&path).unwrap();
        let late = h.record(&simple("2026-01-01T12:00:00Z", Status::Ok, Status::Ok, Status::Ok, Status::Ok)).unwrap();
        // An overlapping run that started earlier but finished (was recorded) later.
        h.record(&simple("2026-01-01T11:00:00Z", Status::Ok, Status::Ok, Status::Critical, Status::Ok)).unwrap();
        assert_eq!(h.latest_run().unwrap().unwrap().run_id, late);
    }

    #[test]
    fn unknown_status_strings_read_as_unknown() {
        assert_eq!(parse_status("critical"), Status::Critical);
        assert_eq!(parse_status("degraded"), Status::Unknown);
        for s in [Status::Ok, Status::Warning, Status::Critical, Status::Unknown] {
            assert_eq!(parse_status(s.as_str()), s);
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let (_dir, path) = temp();
        drop(History::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = History::open(&path).err().expect("a newer schema must be refused");
        assert!(matches!(err, HistoryError::TooNew { found: 99, .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("history.sqlite") && msg.contains("upgrade ils-doctor"), "{msg}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_with_its_name() {
        let (dir, _) = temp();
        let path = dir.path().join("notes.txt");
        fs::write(&path, "this is not a database, just some text that is long enough to have a header").unwrap();
        let msg = History::open(&path).err().expect("not a database").to_string();
        assert!(msg.contains("notes.txt"), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, path) = temp();
        drop(History::open(&path).unwrap());
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

        // An existing file readable by others is tightened.
        let loose = dir.path().join("loose.sqlite");
        fs::write(&loose, b"").unwrap();
        fs::set_permissions(&loose, fs::Permissions::from_mode(0o644)).unwrap();
        drop(History::open(&loose).unwrap());
        assert_eq!(fs::metadata(&loose).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn trend_filters_by_cluster_and_time() {
        let (_dir, path) = temp();
        let mut h = History::open(&path).unwrap();
        h.record(&simple("2026-01-01T10:00:00Z", Status::Ok, Status::Ok, Status::Ok, Status::Ok)).unwrap();
        let mut second = simple("2026-01-01T11:00:00Z", Status::Ok, Status::Unknown, Status::Critical, Status::Ok);
        second.pairs.push(pair("net1", "hub-b", "spoke-9", Status::Warning));
        h.record(&second).unwrap();

        let all = h.trend(None, None).unwrap();
        // 3 + 3 cluster rows, 2 + 3 pair rows.
        assert_eq!(all.len(), 11);

        let spoke1 = h.trend(Some("spoke-1"), None).unwrap();
        let subjects: Vec<(&str, &str, Status)> =
            spoke1.iter().map(|r| (r.subject.as_str(), r.started.as_str(), r.status)).collect();
        assert_eq!(
            subjects,
            vec![
                ("spoke-1", "2026-01-01T10:00:00.000Z", Status::Ok),
                ("spoke-1", "2026-01-01T11:00:00.000Z", Status::Unknown),
                ("hub-a <- spoke-1", "2026-01-01T10:00:00.000Z", Status::Ok),
                ("hub-a <- spoke-1", "2026-01-01T11:00:00.000Z", Status::Critical),
            ]
        );
        assert_eq!(spoke1[1].detail, "connection refused");
        assert_eq!(spoke1[1].kind, "cluster");
        assert_eq!(spoke1[3].kind, "pair");
        assert_eq!(spoke1[3].detail, "4 attempts, 2 failed (latest cause: spoke_rejects_hub_certificate)");

        // A hub matches every pair it serves.
        let hub = h.trend(Some("hub-a"), None).unwrap();
        assert_eq!(hub.iter().filter(|r| r.kind == "pair").count(), 4);
        assert_eq!(hub.iter().filter(|r| r.kind == "cluster").count(), 2);

        let since = DateTime::parse_from_rfc3339("2026-01-01T10:30:00Z").unwrap().with_timezone(&Utc);
        let recent = h.trend(None, Some(since)).unwrap();
        assert_eq!(recent.len(), 6);
        assert!(recent.iter().all(|r| r.started.starts_with("2026-01-01T11")));
        assert!(h.trend(Some("nobody"), None).unwrap().is_empty());
    }
}
