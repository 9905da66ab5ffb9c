//! Writing a run into the history, in one transaction.

use rusqlite::{params, TransactionBehavior};

use super::{normalize_started, History, HistoryError, Result};
use crate::audit::model::AuditReport;

impl History {
    /// Stores a run, all of it or nothing; returns its id.
    pub fn record(&mut self, report: &AuditReport) -> Result<i64> {
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        tx.execute(
            "INSERT INTO runs (started, tool_version, depth, status, exit_code, duration_ms, summary)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                normalize_started(&report.started),
                report.tool_version,
                report.depth.as_str(),
                report.status.as_str(),
                report.exit_code,
                i64::try_from(report.duration_ms).unwrap_or(i64::MAX),
                report.summary,
            ],
        )
        .map_err(sql)?;
        let run_id = tx.last_insert_rowid();
        {
            let mut cluster = tx
                .prepare(
                    "INSERT INTO cluster_results (run_id, network, cluster, role, host, status, error, cluster_id, \
                     version, cert_days_left, trace_files) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(sql)?;
            let mut finding = tx
                .prepare(
                    "INSERT INTO findings (run_id, network, cluster, severity, code, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            for c in &report.clusters {
                cluster
                    .execute(params![
                        run_id,
                        c.network,
                        c.name,
                        c.role.as_str(),
                        c.host,
                        c.status.as_str(),
                        c.error,
                        c.cluster_id,
                        c.version,
                        c.cert_days_left,
                        c.trace_files as i64,
                    ])
                    .map_err(sql)?;
                for f in &c.findings {
                    finding
                        .execute(params![run_id, c.network, c.name, f.severity.as_str(), f.code, f.message])
                        .map_err(sql)?;
                }
            }
            let mut pair = tx
                .prepare(
                    "INSERT INTO pair_results (run_id, network, hub, spoke, status, attempts, successes, failures, \
                     latest_outcome, latest_root_cause, latest_at, summary)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(sql)?;
            let mut failure = tx
                .prepare(
                    "INSERT INTO pair_failures (run_id, network, hub, spoke, cause, count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            for p in &report.pairs {
                pair.execute(params![
                    run_id,
                    p.network,
                    p.hub,
                    p.spoke,
                    p.status.as_str(),
                    p.attempts as i64,
                    p.successes as i64,
                    p.failures as i64,
                    p.latest_outcome,
                    p.latest_root_cause,
                    p.latest_at,
                    p.summary,
                ])
                .map_err(sql)?;
                for (cause, count) in &p.failures_by_cause {
                    failure.execute(params![run_id, p.network, p.hub, p.spoke, cause, *count as i64]).map_err(sql)?;
                }
            }
        }
        tx.commit().map_err(sql)?;
        Ok(run_id)
    }
}
