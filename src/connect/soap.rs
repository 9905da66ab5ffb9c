//! The HTTPS SOAP client of one publisher: AXL and Serviceability log collection.
//!
//! Field facts (research `field-notes.md` §1, `cucm-apis.md` §1-2), each handled here:
//! - HTTP 599 is not throttling but "Incorrect axl version", with the supported list in the body:
//!   the client starts at the newest schema and re-sends once with the newest one listed;
//! - 503 is the throttle: reads are retried with backoff (three times), writes never;
//! - session cookies are valid for one SOAP service only (another service answers 500): one
//!   cookie per service path, dropped and replaced by Basic auth when the server says it is stale;
//! - 401/403 is a wrong password or a missing AXL role: reported, never retried;
//! - `GetOneFile` answers multipart/related: the file part streams to disk, never buffered whole.
//!
//! One `reqwest::Client` (one connection pool) per publisher, timeouts on connect, on every
//! read, and an overall deadline on each request and each download; redirects are never followed
//! and only HTTPS is spoken (docs/security.md, "HTTPS").

// Outside input (docs/security.md, "Parsers are total"): no unwrap, no indexing, no
// unchecked arithmetic.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;

use super::envelope::{self, RemoteFile, Row, TraceSettings};
use super::multipart::{self, Multipart, Piece};
use super::tls::{self, TlsMode};
use crate::secret::Secret;

/// The AXL schemas tried, newest first, before the server says which it has.
pub const AXL_VERSIONS: &[&str] = &["15.0", "14.0", "12.5", "12.0", "11.5", "11.0", "10.5"];

const AXL_PATH: &str = "/axl/";
const LOGS_PATH: &str = "/logcollectionservice2/services/LogCollectionPortTypeService";
const DIME_PATH: &str = "/logcollectionservice/services/DimeGetFileService";
const DIME_ACTION: &str = "http://schemas.cisco.com/ast/soap/action/#LogCollectionPort#GetOneFile";

/// Longest SOAP response read into memory (files stream instead).
const MAX_SOAP_BODY: usize = 64 << 20;
/// Largest file GetOneFile may write (ILS SDL files roll at a few MB).
const MAX_FILE_BYTES: u64 = 2 << 30;
/// The slowest transfer a download's deadline allows for (bytes per second): the deadline is the
/// request timeout plus the listed size at this rate, so a publisher that trickles bytes (each
/// read within the idle timeout) still cannot hold a run forever.
const MIN_DOWNLOAD_RATE: u64 = 16 * 1024;
/// Size assumed for the deadline when the listing gives none.
const UNKNOWN_SIZE: u64 = 64 << 20;
/// Most pages one paged query may take ("Query request too large"): a publisher that always
/// answers a full page cannot keep a run asking forever.
pub const MAX_PAGES: usize = 200;

#[derive(Debug, Clone)]
pub struct HttpsTarget {
    pub host: String,
    pub port: u16,
    /// The application user (AXL and Serviceability API roles).
    pub user: String,
    pub password: Secret,
    pub tls: TlsMode,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SoapError {
    #[error("https {host}: {op}: cannot connect: {reason}")]
    Connect { host: String, op: String, reason: String },
    #[error("https {host}: {op}: the TLS certificate was refused ({reason}); if it is the publisher's self-signed Tomcat certificate, run `ils-doctor trust {host}` to pin it, or give --ca-file")]
    Tls { host: String, op: String, reason: String },
    #[error("https {host}: {op}: the application user {user} was refused (HTTP {status}); check the password and that the user has the Standard AXL API Access and Serviceability roles; not retried")]
    Auth { host: String, op: String, user: String, status: u16 },
    #[error("https {host}: {op}: SOAP fault: {message}")]
    Fault { host: String, op: String, message: String, code: Option<String> },
    #[error("https {host}: {op}: HTTP {status}: {detail}")]
    Http { host: String, op: String, status: u16, detail: String },
    #[error("https {host}: {op}: the publisher is busy (HTTP 503) after {tries} tries; try again later")]
    Throttled { host: String, op: String, tries: u32 },
    #[error("https {host}: {op}: timed out; check that port {port} answers")]
    Timeout { host: String, op: String, port: u16 },
    #[error("https {host}: {op}: unexpected answer: {reason}")]
    Response { host: String, op: String, reason: String },
    #[error("https {host}: {op}: cannot write {path}: {reason}")]
    Write { host: String, op: String, path: String, reason: String },
    #[error("https {0}: TLS setup: {1}")]
    TlsSetup(String, String),
}

/// One publisher's SOAP endpoints.
pub struct SoapClient {
    http: reqwest::Client,
    base: String,
    host: String,
    port: u16,
    user: String,
    password: Secret,
    axl_version: Mutex<Option<String>>,
    cookies: Mutex<HashMap<&'static str, String>>,
    /// The certificate the server presented (pinned or insecure modes), for `trust`.
    pub presented_certificate: tls::SeenCertificate,
    /// Requests sent (the bench counts them).
    pub requests: AtomicUsize,
    /// The deadline of one SOAP request, body included.
    request_timeout: Duration,
}

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
    pub fn new(t: &HttpsTarget) -> Result<SoapClient, SoapError> {
        let (config, seen) = tls::client_config(&t.tls).map_err(|e| SoapError::TlsSetup(t.host.clone(), e))?;
        // No redirect is followed (Basic credentials must never go to another address), and
        // only HTTPS is spoken; every request has an overall deadline (`send`), on top of the
        // idle read timeout.
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .connect_timeout(t.connect_timeout)
            .read_timeout(t.request_timeout)
            .pool_max_idle_per_host(4)
            .user_agent(concat!("ils-doctor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SoapError::TlsSetup(t.host.clone(), e.to_string()))?;
        let host_in_url = if t.host.contains(':') { format!("[{}]", t.host) } else { t.host.clone() };
        Ok(SoapClient {
            http,
            base: format!("https://{host_in_url}:{}", t.port),
            host: t.host.clone(),
            port: t.port,
            user: t.user.clone(),
            password: t.password.clone(),
            axl_version: Mutex::new(None),
            cookies: Mutex::new(HashMap::new()),
            presented_certificate: seen,
            requests: AtomicUsize::new(0),
            request_timeout: t.request_timeout,
        })
    }

    /// An unauthenticated request (UDS version), to see the certificate the server presents.
    pub async fn probe(&self) -> Result<(), SoapError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.http
            .get(format!("{}/cucm-uds/version", self.base))
            .timeout(self.request_timeout)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err_of("TLS probe", e))
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    fn err_of(&self, op: &str, e: reqwest::Error) -> SoapError {
        let (host, op) = (self.host.clone(), op.to_string());
        let mut chain = e.to_string();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        if e.is_timeout() {
            SoapError::Timeout { host, op, port: self.port }
        } else if chain.contains("certificate")
            || chain.contains("Certificate")
            || chain.contains("UnknownIssuer")
            || chain.contains("fingerprint")
        {
            SoapError::Tls { host, op, reason: chain }
        } else {
            SoapError::Connect { host, op, reason: chain }
        }
    }

    /// Sends one SOAP request with session handling; returns the response.
    async fn send(
        &self,
        path: &'static str,
        action: &str,
        body: &str,
        op: &str,
        deadline: Duration,
    ) -> Result<reqwest::Response, SoapError> {
        let cookie = self.cookies.lock().ok().and_then(|c| c.get(path).cloned());
        for use_cookie in [cookie.is_some(), false] {
            let mut req = self
                .http
                .post(format!("{}{path}", self.base))
                .header(CONTENT_TYPE, "text/xml;charset=UTF-8")
                .header("SOAPAction", action)
                .timeout(deadline)
                .body(body.to_string());
            req = match (&cookie, use_cookie) {
                (Some(c), true) => req.header(COOKIE, c),
                _ => req.basic_auth(&self.user, Some(self.password.expose())),
            };
            self.requests.fetch_add(1, Ordering::Relaxed);
            let resp = req.send().await.map_err(|e| self.err_of(op, e))?;
            let status = resp.status();
            // A stale session: answered 401/403/404 to the cookie. Log in again with Basic auth.
            if use_cookie && matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
            {
                if let Ok(mut c) = self.cookies.lock() {
                    c.remove(path);
                }
                continue;
            }
            self.keep_cookie(path, resp.headers());
            return Ok(resp);
        }
        Err(SoapError::Response { host: self.host.clone(), op: op.to_string(), reason: "no answer".into() })
    }

    fn keep_cookie(&self, path: &'static str, headers: &HeaderMap) {
        for v in headers.get_all(SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            let pair = v.split(';').next().unwrap_or("").trim();
            if pair.starts_with("JSESSIONID") {
                if let Ok(mut c) = self.cookies.lock() {
                    c.insert(path, pair.to_string());
                }
            }
        }
    }

    /// A SOAP call whose answer is XML: status handling, 503 backoff for reads, bounded body.
    async fn call(
        &self,
        path: &'static str,
        action: &str,
        body: &str,
        op: &str,
        idempotent: bool,
    ) -> Result<String, SoapError> {
        let mut delay = Duration::from_millis(500);
        let mut tries: u32 = 0;
        loop {
            tries = tries.saturating_add(1);
            let resp = self.send(path, action, body, op, self.request_timeout).await?;
            let status = resp.status();
            let ct = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let text = self.read_body(resp, &ct, op).await?;
            match status.as_u16() {
                200..=299 => return Ok(text),
                401 | 403 => {
                    return Err(SoapError::Auth {
                        host: self.host.clone(),
                        op: op.into(),
                        user: self.user.clone(),
                        status: status.as_u16(),
                    })
                }
                503 if idempotent && tries < 4 => {
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                503 => return Err(SoapError::Throttled { host: self.host.clone(), op: op.into(), tries }),
                599 => {
                    return Err(SoapError::Http {
                        host: self.host.clone(),
                        op: op.into(),
                        status: 599,
                        detail: text.chars().take(400).collect(),
                    })
                }
                code => {
                    return Err(match envelope::fault(&text) {
                        Some(f) => SoapError::Fault {
                            host: self.host.clone(),
                            op: op.into(),
                            message: f.message,
                            code: f.code,
                        },
                        None => SoapError::Http {
                            host: self.host.clone(),
                            op: op.into(),
                            status: code,
                            detail: text.chars().take(300).collect(),
                        },
                    })
                }
            }
        }
    }

    /// The response text; for an MTOM/SwA answer, its XML part.
    async fn read_body(&self, resp: reqwest::Response, content_type: &str, op: &str) -> Result<String, SoapError> {
        let mut stream = resp.bytes_stream();
        let mut raw = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.err_of(op, e))?;
            if raw.len().saturating_add(chunk.len()) > MAX_SOAP_BODY {
                return Err(SoapError::Response {
                    host: self.host.clone(),
                    op: op.into(),
                    reason: format!("the answer is larger than {} MiB", MAX_SOAP_BODY >> 20),
                });
            }
            raw.extend_from_slice(&chunk);
        }
        if let Some(boundary) = content_type
            .to_ascii_lowercase()
            .starts_with("multipart/")
            .then(|| multipart::boundary(content_type))
            .flatten()
        {
            let mut m = Multipart::new(&boundary);
            let mut first: Option<Vec<u8>> = None;
            let mut parts: usize = 0;
            m.feed(&raw, |p| match p {
                Piece::Headers(_) => parts = parts.saturating_add(1),
                Piece::Body(b) if parts == 1 => first.get_or_insert_with(Vec::new).extend_from_slice(b),
                Piece::Body(_) => {}
            })
            .map_err(|e| SoapError::Response {
                host: self.host.clone(),
                op: op.into(),
                reason: e.to_string(),
            })?;
            return Ok(String::from_utf8_lossy(&first.unwrap_or_default()).into_owned());
        }
        Ok(String::from_utf8_lossy(&raw).into_owned())
    }

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

    fn xml_err(&self, op: &str, e: envelope::XmlError) -> SoapError {
        SoapError::Response { host: self.host.clone(), op: op.into(), reason: e.to_string() }
    }

    /// A SELECT through AXL. When CUCM answers "Query request too large" (its ~8 MB cap, field
    /// notes §1), the query is re-sent in pages with Informix `SKIP n FIRST m`, the page size
    /// taken from the fault's "Suggestive Row Fetch".
    pub async fn sql_query(&self, sql: &str) -> Result<Vec<Row>, SoapError> {
        match self.axl("executeSQLQuery", &envelope::sql(sql), true).await {
            Ok(text) => envelope::sql_rows(&text).map_err(|e| self.xml_err("executeSQLQuery", e)),
            Err(SoapError::Fault { message, .. }) if message.contains("Query request too large") => {
                let page = suggested_rows(&message).unwrap_or(1000).max(1);
                let mut rows = Vec::new();
                for _ in 0..MAX_PAGES {
                    let paged = paged_select(sql, rows.len(), page).ok_or_else(|| SoapError::Response {
                        host: self.host.clone(),
                        op: "executeSQLQuery".into(),
                        reason: format!("the result is too large and the query cannot be paged: {sql}"),
                    })?;
                    let text = self.axl("executeSQLQuery", &envelope::sql(&paged), true).await?;
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

    /// Writes trace settings. Setting a value is idempotent, so a 503 (Cisco's write throttle:
    /// "sleep and continue") is retried like a read.
    pub async fn set_trace_settings(&self, node: &str, service: &str, s: &TraceSettings) -> Result<(), SoapError> {
        self.axl("updateProcessNodeService", &envelope::process_node_service(node, service, Some(s)), true)
            .await
            .map(|_| ())
    }

    pub async fn service_logs(&self) -> Result<Vec<String>, SoapError> {
        let text = self
            .call(LOGS_PATH, "listNodeServiceLogs", &envelope::list_node_service_logs(), "listNodeServiceLogs", true)
            .await?;
        envelope::service_log_names(&text).map_err(|e| self.xml_err("listNodeServiceLogs", e))
    }

    pub async fn select_log_files(
        &self,
        service: &str,
        from: &str,
        to: &str,
        time_zone: &str,
    ) -> Result<Vec<RemoteFile>, SoapError> {
        let body = envelope::select_log_files(service, from, to, time_zone);
        let text = self.call(LOGS_PATH, "selectLogFiles", &body, "selectLogFiles", true).await?;
        envelope::log_files(&text).map_err(|e| self.xml_err("selectLogFiles", e))
    }

    /// Downloads one file with DIME `GetOneFile` into `dest` (created or truncated), streaming;
    /// `progress` gets the bytes written so far. Returns the size written.
    pub async fn get_one_file(
        &self,
        absolute_path: &str,
        dest: &Path,
        progress: impl FnMut(u64),
    ) -> Result<u64, SoapError> {
        self.get_one_file_sized(absolute_path, dest, None, progress).await
    }

    /// The deadline of a download of `size` bytes (see [`MIN_DOWNLOAD_RATE`]).
    pub fn download_deadline(&self, size: Option<u64>) -> Duration {
        let secs = size.unwrap_or(UNKNOWN_SIZE).min(MAX_FILE_BYTES) / MIN_DOWNLOAD_RATE;
        self.request_timeout.saturating_add(Duration::from_secs(secs))
    }

    /// As [`SoapClient::get_one_file`], the whole download bounded by a deadline from the listed
    /// size.
    pub async fn get_one_file_sized(
        &self,
        absolute_path: &str,
        dest: &Path,
        size: Option<u64>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, SoapError> {
        let op = "GetOneFile";
        let write_err = |e: std::io::Error| SoapError::Write {
            host: self.host.clone(),
            op: op.into(),
            path: dest.display().to_string(),
            reason: e.to_string(),
        };
        let deadline = self.download_deadline(size);
        let resp = self.send(DIME_PATH, DIME_ACTION, &envelope::get_one_file(absolute_path), op, deadline).await?;
        let status = resp.status();
        let ct = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        if !status.is_success() {
            if matches!(status.as_u16(), 401 | 403) {
                return Err(SoapError::Auth {
                    host: self.host.clone(),
                    op: op.into(),
                    user: self.user.clone(),
                    status: status.as_u16(),
                });
            }
            let text = self.read_body(resp, &ct, op).await?;
            return Err(match envelope::fault(&text) {
                Some(f) => {
                    SoapError::Fault { host: self.host.clone(), op: op.into(), message: f.message, code: f.code }
                }
                None => SoapError::Http {
                    host: self.host.clone(),
                    op: op.into(),
                    status: status.as_u16(),
                    detail: text.chars().take(300).collect(),
                },
            });
        }
        let mut file = tokio::fs::File::create(dest).await.map_err(write_err)?;
        let mut written = 0u64;
        let boundary = ct.to_ascii_lowercase().starts_with("multipart/").then(|| multipart::boundary(&ct)).flatten();
        let mut stream = resp.bytes_stream();
        match boundary {
            Some(b) => {
                let mut m = Multipart::new(&b);
                // The file is the first part that is not the SOAP envelope.
                let (mut in_file, mut file_done, mut saw_file) = (false, false, false);
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| self.err_of(op, e))?;
                    let mut pieces: Vec<Vec<u8>> = Vec::new();
                    m.feed(&chunk, |p| match p {
                        Piece::Headers(h) => {
                            if in_file {
                                file_done = true;
                            }
                            in_file = !file_done && !multipart::is_xml_part(&h);
                            saw_file |= in_file;
                        }
                        Piece::Body(b) if in_file => pieces.push(b.to_vec()),
                        Piece::Body(_) => {}
                    })
                    .map_err(|e| SoapError::Response {
                        host: self.host.clone(),
                        op: op.into(),
                        reason: e.to_string(),
                    })?;
                    for p in pieces {
                        file.write_all(&p).await.map_err(write_err)?;
                        written = written.saturating_add(p.len() as u64);
                        progress(written);
                    }
                    if written > MAX_FILE_BYTES {
                        // The answer is untrusted: a broken or hostile host must not fill the disk.
                        return Err(SoapError::Response {
                            host: self.host.clone(),
                            op: op.into(),
                            reason: format!(
                                "the file exceeds {} GiB, far beyond any ILS trace file; the download was stopped",
                                MAX_FILE_BYTES >> 30
                            ),
                        });
                    }
                }
                m.finish().map_err(|e| SoapError::Response {
                    host: self.host.clone(),
                    op: op.into(),
                    reason: format!("{e}: the download was cut"),
                })?;
                if !saw_file {
                    return Err(SoapError::Response {
                        host: self.host.clone(),
                        op: op.into(),
                        reason: "the answer holds no file part".into(),
                    });
                }
            }
            None => {
                // Not multipart: inline base64 in GetOneFileReturn (MTOM off), or a fault.
                let mut raw = Vec::new();
                while let Some(chunk) = stream.next().await {
                    raw.extend_from_slice(&chunk.map_err(|e| self.err_of(op, e))?);
                    if raw.len() > MAX_SOAP_BODY * 2 {
                        return Err(SoapError::Response {
                            host: self.host.clone(),
                            op: op.into(),
                            reason: "inline file answer too large".into(),
                        });
                    }
                }
                let text = String::from_utf8_lossy(&raw);
                let Some(b64) = envelope::first_text(&text, "GetOneFileReturn") else {
                    return Err(SoapError::Response {
                        host: self.host.clone(),
                        op: op.into(),
                        reason: "neither multipart nor GetOneFileReturn".into(),
                    });
                };
                let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD.decode(clean).map_err(|e| {
                    SoapError::Response { host: self.host.clone(), op: op.into(), reason: format!("bad base64: {e}") }
                })?;
                file.write_all(&bytes).await.map_err(write_err)?;
                written = bytes.len() as u64;
                progress(written);
            }
        }
        file.sync_all().await.map_err(write_err)?;
        Ok(written)
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
