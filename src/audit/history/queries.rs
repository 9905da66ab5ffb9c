//! Reading the history back: the latest run, a subject's recent statuses, the trend.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension};

use super::{
    pair_label, parse_status, ClusterState, History, PairPoint, PairState, Result, Snapshot, Subject, TrendRow,
};
use crate::analyze::Status;

impl History {
    /// The most recent recorded run (by start time, then by the order of recording).
    pub fn latest_run(&self) -> Result<Option<Snapshot>> {
        let sql = self.sql();
        let head = self
            .conn
            .query_row("SELECT id, started, status FROM runs ORDER BY started DESC, id DESC LIMIT 1", [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })
            .optional()
            .map_err(&sql)?;
        let Some((run_id, started, status)) = head else { return Ok(None) };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT network, cluster, status, cert_days_left FROM cluster_results WHERE run_id = ?1
                 ORDER BY network, cluster",
            )
            .map_err(&sql)?;
        let clusters = stmt
            .query_map([run_id], |r| {
                Ok(ClusterState {
                    network: r.get(0)?,
                    cluster: r.get(1)?,
                    status: parse_status(&r.get::<_, String>(2)?),
                    cert_days_left: r.get(3)?,
                })
            })
            .map_err(&sql)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&sql)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT network, hub, spoke, status FROM pair_results WHERE run_id = ?1 ORDER BY network, hub, spoke",
            )
            .map_err(&sql)?;
        let pairs = stmt
            .query_map([run_id], |r| {
                Ok(PairState {
                    network: r.get(0)?,
                    hub: r.get(1)?,
                    spoke: r.get(2)?,
                    status: parse_status(&r.get::<_, String>(3)?),
                })
            })
            .map_err(&sql)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&sql)?;
        Ok(Some(Snapshot { run_id, started, status: parse_status(&status), clusters, pairs }))
    }

    /// The subject's statuses in the last `limit` runs that include it, newest first.
    pub fn recent_statuses(&self, network: &str, subject: Subject<'_>, limit: usize) -> Result<Vec<Status>> {
        let sql = self.sql();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<String> = match subject {
            Subject::Cluster(cluster) => {
                let mut stmt = self
                    .conn
                    .prepare(
                        "SELECT c.status FROM cluster_results c JOIN runs r ON r.id = c.run_id
                         WHERE c.network = ?1 AND c.cluster = ?2 ORDER BY r.started DESC, r.id DESC LIMIT ?3",
                    )
                    .map_err(&sql)?;
                let rows = stmt.query_map(params![network, cluster, limit], |r| r.get(0)).map_err(&sql)?;
                rows.collect::<rusqlite::Result<_>>().map_err(&sql)?
            }
            Subject::Pair { hub, spoke } => {
                let mut stmt = self
                    .conn
                    .prepare(
                        "SELECT p.status FROM pair_results p JOIN runs r ON r.id = p.run_id
                         WHERE p.network = ?1 AND p.hub = ?2 AND p.spoke = ?3
                         ORDER BY r.started DESC, r.id DESC LIMIT ?4",
                    )
                    .map_err(&sql)?;
                let rows = stmt.query_map(params![network, hub, spoke, limit], |r| r.get(0)).map_err(&sql)?;
                rows.collect::<rusqlite::Result<_>>().map_err(&sql)?
            }
        };
        Ok(rows.iter().map(|s| parse_status(s)).collect())
    }

    /// Every cluster and pair state since `since` (all runs when `None`), ordered by subject
    /// then time. `cluster` keeps that cluster and every pair it is the hub or the spoke of.
    pub fn trend(&self, cluster: Option<&str>, since: Option<DateTime<Utc>>) -> Result<Vec<TrendRow>> {
        let sql = self.sql();
        let since = since.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
        let mut rows = Vec::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.started, c.network, c.cluster, c.status, c.error, c.cert_days_left
                 FROM cluster_results c JOIN runs r ON r.id = c.run_id
                 WHERE (?1 IS NULL OR c.cluster = ?1) AND (?2 IS NULL OR r.started >= ?2)",
            )
            .map_err(&sql)?;
        let clusters = stmt
            .query_map(params![cluster, since], |r| {
                let error: Option<String> = r.get(4)?;
                let days: Option<i64> = r.get(5)?;
                let detail = match (error, days) {
                    (Some(e), _) => e,
                    (None, Some(d)) => format!("certificate: {d} days left"),
                    (None, None) => String::new(),
                };
                Ok(TrendRow {
                    started: r.get(0)?,
                    network: r.get(1)?,
                    subject: r.get(2)?,
                    kind: "cluster",
                    status: parse_status(&r.get::<_, String>(3)?),
                    detail,
                })
            })
            .map_err(&sql)?;
        for row in clusters {
            rows.push(row.map_err(&sql)?);
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.started, p.network, p.hub, p.spoke, p.status, p.attempts, p.failures, p.latest_root_cause
                 FROM pair_results p JOIN runs r ON r.id = p.run_id
                 WHERE (?1 IS NULL OR p.hub = ?1 OR p.spoke = ?1) AND (?2 IS NULL OR r.started >= ?2)",
            )
            .map_err(&sql)?;
        let pairs = stmt
            .query_map(params![cluster, since], |r| {
                let hub: String = r.get(2)?;
                let spoke: String = r.get(3)?;
                let attempts: i64 = r.get(5)?;
                let failures: i64 = r.get(6)?;
                let cause: Option<String> = r.get(7)?;
                let mut detail = format!("{attempts} attempts, {failures} failed");
                if let Some(cause) = cause {
                    detail.push_str(&format!(" (latest cause: {cause})"));
                }
                Ok(TrendRow {
                    started: r.get(0)?,
                    network: r.get(1)?,
                    subject: pair_label(&hub, &spoke),
                    kind: "pair",
                    status: parse_status(&r.get::<_, String>(4)?),
                    detail,
                })
            })
            .map_err(&sql)?;
        for row in pairs {
            rows.push(row.map_err(&sql)?);
        }
        rows.sort_by(|a, b| {
            (&a.network, a.kind, &a.subject, &a.started).cmp(&(&b.network, b.kind, &b.subject, &b.started))
        });
        Ok(rows)
    }

    /// The last `limit` runs (since `since` when given), oldest first: (id, started).
    pub fn recent_runs(&self, limit: usize, since: Option<DateTime<Utc>>) -> Result<Vec<(i64, String)>> {
        let sql = self.sql();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let since = since.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, started FROM runs WHERE (?2 IS NULL OR started >= ?2)
                 ORDER BY started DESC, id DESC LIMIT ?1",
            )
            .map_err(&sql)?;
        let mut runs = stmt
            .query_map(params![limit, since], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&sql)?
            .collect::<rusqlite::Result<Vec<(i64, String)>>>()
            .map_err(&sql)?;
        runs.reverse();
        Ok(runs)
    }

    /// Every pair's status in the runs given: (run id, network, hub, spoke, status).
    pub fn pair_points(&self, runs: &[(i64, String)]) -> Result<Vec<PairPoint>> {
        let sql = self.sql();
        let (Some(first), Some(last)) = (runs.first(), runs.last()) else { return Ok(Vec::new()) };
        let ids: std::collections::BTreeSet<i64> = runs.iter().map(|(id, _)| *id).collect();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.run_id, p.network, p.hub, p.spoke, p.status FROM pair_results p JOIN runs r ON r.id = p.run_id
                 WHERE r.started >= ?1 AND r.started <= ?2 ORDER BY p.network, p.hub, p.spoke",
            )
            .map_err(&sql)?;
        let rows = stmt
            .query_map(params![first.1, last.1], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, parse_status(&r.get::<_, String>(4)?)))
            })
            .map_err(&sql)?
            .collect::<rusqlite::Result<Vec<PairPoint>>>()
            .map_err(&sql)?;
        Ok(rows.into_iter().filter(|r| ids.contains(&r.0)).collect())
    }
}
