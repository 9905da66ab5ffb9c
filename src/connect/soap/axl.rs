//! AXL operations: schema negotiation, SQL queries (paged when too large), the version, and
//! the ILS trace settings of a service.

use super::super::envelope::{self, IlsSettings, Row, TraceSettings};
use super::{SoapClient, SoapError, AXL_PATH, AXL_VERSIONS, MAX_PAGED_BYTES, MAX_PAGES};
use crate::secret::Secret;

/// "Suggestive Row Fetch: less than 7000 rows" → 7000 minus a margin.
pub fn suggested_rows(message: &str) -> Option<usize> {
    let at = message.find("less than")?;
    let n: usize = message
        .get(at.saturating_add(9)..)?
        .split_whitespace()
        .next()?
        .trim_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some(n.saturating_sub(n / 10).max(1))
}

/// `select a from t` → `select skip 2000 first 1000 a from t` (Informix paging). None when the
/// statement is not a plain SELECT or already pages.
pub fn paged_select(sql: &str, skip: usize, first: usize) -> Option<String> {
    let trimmed = sql.trim_start();
    let (kw, rest) = trimmed.split_at(trimmed.find(char::is_whitespace)?);
    let rest_l = rest.trim_start().to_ascii_lowercase();
    if !kw.eq_ignore_ascii_case("select") || rest_l.starts_with("skip") || rest_l.starts_with("first") {
        return None;
    }
    Some(format!("{kw} skip {skip} first {first}{rest}"))
}

impl SoapClient {
    /// An AXL operation, negotiating the schema version on 599.
    pub async fn axl(&self, op: &str, inner: &str, idempotent: bool) -> Result<String, SoapError> {
        let current = self.axl_version.lock().ok().and_then(|v| v.clone());
        let first = current.clone().unwrap_or_else(|| AXL_VERSIONS.first().copied().unwrap_or("15.0").to_string());
        match self
            .call(AXL_PATH, &envelope::axl_action(&first, op), &envelope::axl(&first, op, inner), op, idempotent)
            .await
        {
            Err(SoapError::Http { status: 599, detail, .. }) => {
                let listed = envelope::supported_versions(&detail);
                let Some(next) = listed.into_iter().next() else {
                    return Err(SoapError::Http {
                        host: self.host.clone(),
                        op: op.into(),
                        status: 599,
                        detail: format!("AXL version {first} refused and no supported version listed: {detail}"),
                    });
                };
                if let Ok(mut v) = self.axl_version.lock() {
                    *v = Some(next.clone());
                }
                self.call(AXL_PATH, &envelope::axl_action(&next, op), &envelope::axl(&next, op, inner), op, idempotent)
                    .await
            }
            Ok(text) => {
                if current.is_none() {
                    if let Ok(mut v) = self.axl_version.lock() {
                        *v = Some(first);
                    }
                }
                Ok(text)
            }
            Err(e) => Err(e),
        }
    }

    /// The AXL schema version in use (after the first call).
    pub fn axl_version(&self) -> Option<String> {
        self.axl_version.lock().ok().and_then(|v| v.clone())
    }

    /// A SELECT through AXL. When CUCM answers "Query request too large" (its ~8 MB cap,
    /// docs/cucm-notes.md#axl-throttling), the query is re-sent in pages with Informix
    /// `SKIP n FIRST m`, the page size taken from the fault's "Suggestive Row Fetch".
    pub async fn sql_query(&self, sql: &str) -> Result<Vec<Row>, SoapError> {
        match self.axl("executeSQLQuery", &envelope::sql(sql), true).await {
            Ok(text) => envelope::sql_rows(&text).map_err(|e| self.xml_err("executeSQLQuery", e)),
            Err(SoapError::Fault { message, .. }) if message.contains("Query request too large") => {
                let page = suggested_rows(&message).unwrap_or(1000).max(1);
                let mut rows = Vec::new();
                let mut bytes: usize = 0;
                for _ in 0..MAX_PAGES {
                    let paged = paged_select(sql, rows.len(), page).ok_or_else(|| SoapError::Response {
                        host: self.host.clone(),
                        op: "executeSQLQuery".into(),
                        reason: format!("the result is too large and the query cannot be paged: {sql}"),
                    })?;
                    let text = self.axl("executeSQLQuery", &envelope::sql(&paged), true).await?;
                    bytes = bytes.saturating_add(text.len());
                    if bytes > MAX_PAGED_BYTES {
                        return Err(SoapError::Response {
                            host: self.host.clone(),
                            op: "executeSQLQuery".into(),
                            reason: format!(
                                "the pages of one query passed {} MiB; stopped (no ILS read needs that much)",
                                MAX_PAGED_BYTES >> 20
                            ),
                        });
                    }
                    let got = envelope::sql_rows(&text).map_err(|e| self.xml_err("executeSQLQuery", e))?;
                    let n = got.len();
                    rows.extend(got);
                    if n < page || rows.len() > 5_000_000 {
                        return Ok(rows);
                    }
                }
                Err(SoapError::Response {
                    host: self.host.clone(),
                    op: "executeSQLQuery".into(),
                    reason: format!(
                        "still full pages after {MAX_PAGES} requests of {page} rows; stopped (no ILS read needs that many rows)"
                    ),
                })
            }
            Err(e) => Err(e),
        }
    }

    pub async fn ccm_version(&self) -> Result<String, SoapError> {
        let text = self.axl("getCCMVersion", "<processNodeName></processNodeName>", true).await?;
        envelope::first_text(&text, "version").ok_or_else(|| SoapError::Response {
            host: self.host.clone(),
            op: "getCCMVersion".into(),
            reason: "no <version> in the answer".into(),
        })
    }

    pub async fn trace_settings(&self, node: &str, service: &str) -> Result<TraceSettings, SoapError> {
        let op = "getProcessNodeService";
        let text = self.axl(op, &envelope::process_node_service(node, service, None), true).await?;
        envelope::trace_settings(&text).map_err(|e| self.xml_err(op, e))?.ok_or_else(|| SoapError::Response {
            host: self.host.clone(),
            op: op.into(),
            reason: format!("no processNodeService for {node} / {service}"),
        })
    }

    /// Saves the ILS Configuration window's settings (`updateIlsConfig`). A write whose
    /// answer is lost may or may not have been saved, so it is never re-sent here: the caller's
    /// journal treats it as made. The password is marked secret for the record first.
    pub async fn update_ils_config(&self, s: &IlsSettings, password: Option<&Secret>) -> Result<(), SoapError> {
        let op = "updateIlsConfig";
        if let (Some(r), Some(p)) = (&self.rec, password) {
            r.secret(p.expose());
        }
        let text = self.axl(op, &envelope::update_ils_config(s, password.map(Secret::expose)), false).await?;
        match envelope::first_text(&text, "return").as_deref().map(str::trim) {
            Some("false") | None => Err(SoapError::Response {
                host: self.host.clone(),
                op: op.into(),
                reason: "the publisher did not confirm the change (no <return>true</return> or object id)".into(),
            }),
            Some(_) => Ok(()),
        }
    }

    /// Writes trace settings. Setting a value is idempotent, so a 503 (Cisco's write throttle:
    /// "sleep and continue") is retried like a read.
    pub async fn set_trace_settings(&self, node: &str, service: &str, s: &TraceSettings) -> Result<(), SoapError> {
        self.axl("updateProcessNodeService", &envelope::process_node_service(node, service, Some(s)), true)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_from_the_fault() {
        let m = "Query request too large. Total rows matched: 210000 rows. Suggestive Row Fetch: less than 7000 rows";
        assert_eq!(suggested_rows(m), Some(6300));
        assert_eq!(
            paged_select("select * from numplan", 6300, 6300).as_deref(),
            Some("select skip 6300 first 6300 * from numplan")
        );
        assert_eq!(paged_select("SELECT skip 1 first 2 a from t", 0, 5), None);
        assert_eq!(paged_select("update t set a=1", 0, 5), None);
    }
}
