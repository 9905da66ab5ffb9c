//! AXL at `/axl/`: executeSQLQuery, executeSQLUpdate, getCCMVersion, getProcessNodeService,
//! updateProcessNodeService, listProcessNode, getIlsConfig.
//!
//! Follows docs/cucm-notes.md, "AXL" (SOAPAction `CUCM:DB ver=X op`, quoted or not, with or without the
//! operation; version negotiation and the 599 answer [3P]; envelopes with prefix `ns`, unqualified
//! children, echoed `sequence`; faults with `axlError`; "Query request too large") and
//! docs/cucm-notes.md#trace-level (processNodeService objects). Raising the ILS `traceLevel` reaches the simulator.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::response::Response;

use super::xml::{self, esc, Elem};
use super::{fault, gate, gate_user, html, soap, soap_action, unauthorized, with_cookie, AppState, Service};
use crate::db::{lock, ILS_SERVICE};
use crate::scenario::TraceLevel;
use crate::sql;

/// AXL schema versions per major release (docs/cucm-notes.md#axl-versions).
const SCHEMAS: &[(u32, &[&str])] = &[
    (8, &["8.0", "8.5"]),
    (9, &["9.0", "9.1"]),
    (10, &["10.0", "10.5"]),
    (11, &["11.0", "11.5"]),
    (12, &["12.0", "12.5"]),
    (14, &["14.0"]),
    (15, &["15.0"]),
];

/// The schema versions a CUCM release accepts: its own major and the two before it (N-2,
/// docs/cucm-notes.md#axl-versions; the 599 sample "12.x, 14.0 and 15.0" is from a 15 server [3P]).
pub fn supported(cucm_version: &str) -> Vec<&'static str> {
    let major: u32 = cucm_version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(14);
    let idx = SCHEMAS.iter().rposition(|(m, _)| *m <= major).unwrap_or(0);
    SCHEMAS.iter().take(idx + 1).skip(idx.saturating_sub(2)).flat_map(|(_, v)| v.iter().copied()).collect()
}

fn supported_text(cucm_version: &str) -> String {
    let v = supported(cucm_version);
    let mut parts: Vec<String> = Vec::new();
    for (m, schemas) in SCHEMAS {
        if schemas.iter().any(|s| v.contains(s)) {
            parts.push(if schemas.len() > 1 { format!("{m}.x") } else { format!("{m}.0") });
        }
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// HTTP 599 "Incorrect axl version" with the supported list [3P: docs/cucm-notes.md#axl-versions; HTML framing I].
pub fn version_error(st: &AppState) -> Response {
    let version = lock(&st.world).scenario.cluster(&st.cluster).map(|c| c.version.clone()).unwrap_or_default();
    let msg =
        format!("HTTP Status 599 - Incorrect axl version. Supported axl versions are {}", supported_text(&version));
    let status = StatusCode::from_u16(599).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    html(status, &msg)
}

/// Parses `CUCM:DB ver=14.0 getCCMVersion` into (version, operation).
pub fn parse_action(action: &str) -> (Option<String>, Option<String>) {
    let Some(rest) = action.strip_prefix("CUCM:DB ver=") else {
        return (None, None);
    };
    let mut it = rest.split_whitespace();
    (it.next().map(str::to_string), it.next().map(str::to_string))
}

fn body_version(body: &str) -> Option<String> {
    let i = body.find("http://www.cisco.com/AXL/API/")?;
    let rest = body.get(i + "http://www.cisco.com/AXL/API/".len()..)?;
    let v: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    (!v.is_empty()).then_some(v)
}

/// `14.0.1.11900-132` → `14.0.1.11900(132)` (getCCMVersion's form, docs/cucm-notes.md#axl-ccmversion).
pub fn ccm_version(v: &str) -> String {
    match v.split_once('-') {
        Some((a, b)) => format!("{a}({b})"),
        None => v.to_string(),
    }
}

fn envelope(ver: &str, op: &str, seq: Option<&str>, inner: &str) -> String {
    let seq = seq.map(|s| format!(" sequence=\"{}\"", esc(s))).unwrap_or_default();
    format!(
        "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns:{op}Response xmlns:ns=\"http://www.cisco.com/AXL/API/{ver}\"{seq}>{inner}</ns:{op}Response></soapenv:Body></soapenv:Envelope>"
    )
}

fn sequence(body: &str, op: &str) -> Option<String> {
    let i = body.find(&format!(":{op}"))?;
    let tag_end = body.get(i..)?.find('>')? + i;
    let tag = body.get(i..tag_end)?;
    let s = tag.find("sequence=\"")? + "sequence=\"".len();
    let rest = tag.get(s..)?;
    rest.find('"').and_then(|e| rest.get(..e)).map(str::to_string)
}

/// `GET /axl/`: the page a browser or a credentials check sees (docs/cucm-notes.md#axl-get):
/// 200 with Cisco's HTML, `JSESSIONIDSSO` for `/` and `JSESSIONID` for `/axl`, for valid Basic
/// credentials; 401 (realm "Cisco AXL API") otherwise; 403 without the AXL role; throttling and
/// sessions as for POST.
pub async fn index(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let cookie = match gate(&st, &headers, Service::Axl) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = "<html><head><title>Cisco CallManager: AXL Web Service</title></head><body><h1>Cisco CallManager: AXL Web Service</h1><p>The AXL Web Service is working and accepting requests.\n Use HTTP POST to send a request.</p></body></html>";
    let mut r = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html;charset=ISO-8859-1"),
            (header::CACHE_CONTROL, "private"),
            (header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ],
        body,
    )
        .into_response();
    r = with_cookie(r, cookie);
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    if let Ok(v) =
        HeaderValue::from_str(&format!("JSESSIONID={:032X}; Path=/axl; Secure; HttpOnly", n ^ 0x5DEE_CE66_D1CE_F00D))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `POST /axl/`.
pub async fn handle(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (cookie, user) = match gate_user(&st, &headers, Service::Axl) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut r = with_cookie(respond(&st, &headers, &super::body_text(&body), &user), cookie);
    if r.status() == StatusCode::OK {
        // docs/cucm-notes.md#axl-get: the security headers of a successful POST.
        let h = r.headers_mut();
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubdomains"));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        h.insert(header::X_XSS_PROTECTION, HeaderValue::from_static("1; mode=block"));
    }
    r
}

/// AXL operations that write: refused to a user with the read-only AXL role.
const WRITES: &[&str] = &["updateIlsConfig", "updateProcessNodeService", "executeSQLUpdate"];

fn respond(st: &AppState, headers: &HeaderMap, body: &str, user: &str) -> Response {
    let (cucm_version, soap_faults, too_large, fault_text, read_only) = {
        let w = lock(&st.world);
        let c = w.scenario.cluster(&st.cluster);
        let v = c.map(|c| c.version.clone()).unwrap_or_default();
        let read_only = c.and_then(|c| c.access.read_only_axl_user.as_deref()) == Some(user);
        (
            v,
            w.faults.soap_fault_operations.clone(),
            w.faults.query_too_large_rows,
            w.faults.fault_text.clone(),
            read_only,
        )
    };
    let (act_ver, act_op) = parse_action(&soap_action(headers));
    let ok_versions = supported(&cucm_version);
    let ver = match (act_ver, body_version(body)) {
        (Some(v), _) => v,
        // No SOAPAction and the 1.0 namespace: the oldest schema applies (docs/cucm-notes.md#axl-transport).
        (None, Some(v)) if v == "1.0" => ok_versions.first().map(|s| s.to_string()).unwrap_or(v),
        (None, Some(v)) => v,
        (None, None) => return fault("Unable to determine the AXL version of the request", None),
    };
    if !ok_versions.contains(&ver.as_str()) {
        return version_error(st);
    }
    let elems = match xml::scan(body) {
        Ok(e) => e,
        Err(e) => return fault(&format!("Error parsing request: {e}"), None),
    };
    let Some(op) = xml::body_op(&elems).map(|e| e.local.clone()).or(act_op) else {
        return fault("No operation in the SOAP Body", None);
    };
    let seq = sequence(body, &op);
    // docs/cucm-notes.md#axl-transport: a read-only user's write gets 401.
    if read_only && WRITES.contains(&op.as_str()) {
        return unauthorized(Service::Axl);
    }
    if soap_faults.iter().any(|f| f == &op) {
        let text = fault_text.unwrap_or_else(|| format!("Item not valid: fault injected for {op}"));
        return fault(&text, Some((5007, &op)));
    }
    let ok = |inner: String| soap(StatusCode::OK, envelope(&ver, &op, seq.as_deref(), &inner));
    match op.as_str() {
        "executeSQLQuery" => {
            let text = xml::text(&elems, "sql").unwrap_or("");
            let mut w = lock(&st.world);
            if w.faults.endless_pages {
                if let Some(first) = paged_first(text) {
                    let rows: String = (0..first).map(|i| format!("<row><n>{i}</n></row>")).collect();
                    return ok(format!("<return>{rows}</return>"));
                }
            }
            let Some(db) = w.db(&st.cluster) else {
                return fault("no database", None);
            };
            let rows = match sql::parse(text).and_then(|s| {
                if s.is_query() {
                    sql::query(db, &s)
                } else {
                    Err(sql::SqlError { code: -201, message: "A syntax error has occurred.".into() })
                }
            }) {
                Ok(r) => r,
                Err(e) => return fault(&e.message, Some((e.code, &op))),
            };
            if let Some(limit) = too_large {
                if rows.rows.len() > limit {
                    let msg = format!(
                        "Query request too large. Total rows matched: {} rows. Suggestive Row Fetch: less than {} rows",
                        rows.rows.len(),
                        limit
                    );
                    return fault(&msg, Some((-1, &op)));
                }
            }
            let mut inner = String::from("<return>");
            for r in &rows.rows {
                inner.push_str("<row>");
                for (c, v) in rows.columns.iter().zip(r) {
                    match v {
                        Some(v) => inner.push_str(&format!("<{c}>{}</{c}>", esc(v))),
                        None => inner.push_str(&format!("<{c}/>")),
                    }
                }
                inner.push_str("</row>");
            }
            inner.push_str("</return>");
            // The real cap: results over 8 MB get the same fault (docs/cucm-notes.md#axl-throttling [C]).
            const AXL_MAX_RESULT: usize = 8 * 1024 * 1024;
            if inner.len() > AXL_MAX_RESULT {
                let n = rows.rows.len();
                let fit = n.saturating_mul(AXL_MAX_RESULT) / inner.len().max(1);
                let msg = format!(
                    "Query request too large. Total rows matched: {n} rows. Suggestive Row Fetch: less than {fit} rows"
                );
                return fault(&msg, Some((-1, &op)));
            }
            ok(inner)
        }
        "executeSQLUpdate" => {
            let text = xml::text(&elems, "sql").unwrap_or("");
            let st_ = match sql::parse(text) {
                Ok(s) if !s.is_query() => s,
                Ok(_) => return fault("A syntax error has occurred.", Some((-201, &op))),
                Err(e) => return fault(&e.message, Some((e.code, &op))),
            };
            let mut w = lock(&st.world);
            match w.update(&st.cluster, &st_) {
                Ok(n) => ok(format!("<return><rowsUpdated>{n}</rowsUpdated></return>")),
                Err(e) => fault(&e.message, Some((e.code, &op))),
            }
        }
        "getCCMVersion" => ok(format!(
            "<return><componentVersion><version>{}</version></componentVersion></return>",
            esc(&ccm_version(&cucm_version))
        )),
        "getProcessNodeService" | "updateProcessNodeService" => process_node_service(st, &op, &elems, ok),
        "listProcessNode" => {
            let w = lock(&st.world);
            let Some(c) = w.scenario.cluster(&st.cluster) else {
                return fault("no cluster", None);
            };
            let node = |name: &str, usage: &str, n: u32| {
                format!(
                    "<processNode uuid=\"{{{}}}\"><name>{}</name><description/><mac/><ipv6Name/><nodeUsage>{usage}</nodeUsage><lbmHubGroup/><processNodeRole>CUCM Voice/Video</processNodeRole></processNode>",
                    uuid(&c.fqdn, n),
                    esc(name)
                )
            };
            ok(format!(
                "<return>{}{}</return>",
                node("EnterpriseWideData", "Subscriber", 0),
                node(&c.fqdn, "Publisher", 1)
            ))
        }
        "getIlsConfig" => {
            // Shape from the schema; values [I] (docs/cucm-notes.md#axl-ils).
            let w = lock(&st.world);
            let Some(c) = w.scenario.cluster(&st.cluster) else {
                return fault("no cluster", None);
            };
            let status = if w.engine.is_registered(&c.name) { "Up to Date" } else { "" };
            ok(format!(
                "<return><ilsConfig uuid=\"{{{}}}\"><clusterId>{}</clusterId><lastContactTime/><clusterUriString/><role>{}</role><lastDataRecieved/><syncronizationStatus>{status}</syncronizationStatus></ilsConfig></return>",
                uuid(&c.fqdn, 9),
                esc(&c.cluster_id),
                c.role.label()
            ))
        }
        "updateIlsConfig" => match super::ils_config::update(&st.world, &st.cluster, &elems) {
            Ok(()) => ok("<return>true</return>".into()),
            Err(message) => fault(&message, Some((5007, &op))),
        },
        "listRemoteCluster" => {
            // Shape from docs/cucm-notes.md#axl-ils; rows from the remotecluster table. Only `%`-style
            // matching on clusterId is honoured [I].
            let pattern = xml::text(&elems, "clusterId").unwrap_or("%").to_string();
            let mut w = lock(&st.world);
            let Some(db) = w.db(&st.cluster) else {
                return fault("no database", None);
            };
            let q = format!(
                "select pkid, clusterid, description, fullyqualifiedname from remotecluster where clusterid like '{}'",
                pattern.replace('\'', "''")
            );
            let rows = match sql::parse(&q).and_then(|s| sql::query(db, &s)) {
                Ok(r) => r,
                Err(e) => return fault(&e.message, Some((e.code, &op))),
            };
            let mut inner = String::from("<return>");
            for r in &rows.rows {
                let v = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                let flags: String = ["emcc", "pstnAccess", "rsvpAgent", "tftp", "lbm", "uds"]
                    .iter()
                    .map(|f| format!("<{f}><enabled>true</enabled></{f}>"))
                    .collect();
                inner.push_str(&format!(
                    "<remoteCluster uuid=\"{{{}}}\"><clusterId>{}</clusterId><description>{}</description><fullyQualifiedName>{}</fullyQualifiedName>{flags}</remoteCluster>",
                    v(0).to_ascii_uppercase(),
                    esc(&v(1)),
                    esc(&v(2)),
                    esc(&v(3))
                ));
            }
            inner.push_str("</return>");
            ok(inner)
        }
        other => fault(&format!("No such operation '{other}'"), None),
    }
}

/// `m` of a `select skip n first m ...` query.
fn paged_first(sql: &str) -> Option<usize> {
    let lower = sql.to_ascii_lowercase();
    let mut words = lower.split_whitespace();
    (words.next()? == "select" && words.next()? == "skip").then_some(())?;
    words.next()?;
    (words.next()? == "first").then_some(())?;
    words.next()?.parse().ok()
}

/// An AXL-style `{UPPERCASE}` UUID body (the DB's pkid, upper-cased, docs/cucm-notes.md#axl-sql).
fn uuid(seed: &str, n: u32) -> String {
    crate::db::pkid(seed, n).to_ascii_uppercase()
}

fn process_node_service(st: &AppState, op: &str, elems: &[Elem], ok: impl Fn(String) -> Response) -> Response {
    let node = xml::text(elems, "processNodeName").unwrap_or("");
    let service = xml::text(elems, "service").unwrap_or("");
    let mut w = lock(&st.world);
    let Some(c) = w.scenario.cluster(&st.cluster).cloned() else {
        return fault("no cluster", None);
    };
    let node_ok = [c.fqdn.as_str(), c.hostname(), c.ip.as_str()].iter().any(|n| n.eq_ignore_ascii_case(node));
    if !node_ok || service != ILS_SERVICE {
        // Only the ILS service row is modelled; others are "not found" [I].
        return fault("Item not valid: The specified ProcessNodeService was not found", Some((5007, op)));
    }
    if op == "updateProcessNodeService" {
        if let Some(v) = xml::text(elems, "traceLevel").filter(|v| !v.is_empty()) {
            let Ok(n) = v.parse::<i64>() else {
                return fault(&format!("Invalid value for traceLevel: {v}"), Some((5003, op)));
            };
            w.engine.set_trace_level(&c.name, TraceLevel::from_value(n));
        }
        // The file count and size are kept as written: a client that writes back stale values
        // (which on CUCM deletes traces) is seen by the tests.
        let (files, size) = w.trace_files(&c.name);
        let files = xml::text(elems, "numFiles").filter(|v| !v.is_empty()).map_or(files, str::to_string);
        let size = xml::text(elems, "maxFileSize").filter(|v| !v.is_empty()).map_or(size, str::to_string);
        w.trace_file_settings.insert(c.name.clone(), (files, size));
        return ok(format!("<return>{{{}}}</return>", uuid(&c.fqdn, 48)));
    }
    let level = w.engine.trace_level(&c.name).unwrap_or(TraceLevel::Significant);
    let (files, size) = w.trace_files(&c.name);
    ok(format!(
        "<return><processNodeService uuid=\"{{{}}}\"><processNodeName uuid=\"{{{}}}\">{}</processNodeName><service>{ILS_SERVICE}</service><traceLevel>{}</traceLevel><userCategories>0</userCategories><enable>true</enable><numFiles>{}</numFiles><maxFileSize>{}</maxFileSize><isActive>true</isActive></processNodeService></return>",
        uuid(&c.fqdn, 48),
        uuid(&c.fqdn, 1),
        esc(node),
        level.value(),
        esc(&files),
        esc(&size)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_n_minus_2() {
        assert_eq!(supported("15.0.1.10000-1"), ["12.0", "12.5", "14.0", "15.0"]);
        assert_eq!(supported_text("15.0.1.10000-1"), "12.x, 14.0 and 15.0");
        assert_eq!(supported_text("14.0.1.11900-132"), "11.x, 12.x and 14.0");
        assert_eq!(supported_text("12.5.1.10000-22"), "10.x, 11.x and 12.x");
        assert_eq!(supported("garbage"), ["11.0", "11.5", "12.0", "12.5", "14.0"]);
    }

    #[test]
    fn actions_parse_quoted_or_not() {
        assert_eq!(parse_action("CUCM:DB ver=14.0 getCCMVersion"), (Some("14.0".into()), Some("getCCMVersion".into())));
        assert_eq!(parse_action("CUCM:DB ver=12.5"), (Some("12.5".into()), None));
        assert_eq!(parse_action("whatever"), (None, None));
        assert_eq!(ccm_version("14.0.1.11900-132"), "14.0.1.11900(132)");
        assert_eq!(body_version("xmlns:ns=\"http://www.cisco.com/AXL/API/12.5\""), Some("12.5".into()));
        assert_eq!(sequence("<ns:executeSQLQuery sequence=\"7\">", "executeSQLQuery"), Some("7".into()));
    }
}
