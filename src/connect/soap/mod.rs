//! The HTTPS SOAP client of one publisher: one connection pool, its requests, retries, cookies
//! and bodies. [`axl`] holds the AXL operations, [`log_collection`] Serviceability log
//! collection (listing and DIME downloads).
//!
//! Field facts, each handled here (docs/cucm-notes.md#axl-versions, docs/cucm-notes.md#axl-throttling,
//! docs/cucm-notes.md#sxml-services, docs/cucm-notes.md#axl-transport, docs/cucm-notes.md#get-one-file):
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

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::StatusCode;

mod axl;
mod log_collection;

pub use axl::{paged_select, suggested_rows};

use super::envelope;
use super::multipart::{self, Multipart, Piece};
use super::record::{HttpId, Recorder};
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
pub const MAX_FILE_BYTES: u64 = 2 << 30;
/// The slowest transfer a download's deadline allows for (bytes per second): the deadline is the
/// request timeout plus the listed size at this rate, so a publisher that trickles bytes (each
/// read within the idle timeout) still cannot hold a run forever.
const MIN_DOWNLOAD_RATE: u64 = 16 * 1024;
/// The longest one download may take, whatever size the publisher lists (2 GiB at 16 KiB/s
/// would be 36 hours): a file of an ILS window is a few MiB (docs/cucm-notes.md#trace-dir).
pub const MAX_DOWNLOAD_TIME: Duration = Duration::from_secs(30 * 60);
/// Most bytes the pages of one paged query may add up to (one unpaged answer's bound).
pub const MAX_PAGED_BYTES: usize = 64 << 20;
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
    #[error("https {host} port {port}: {op}: cannot connect: {reason}; {}", connect_hint(reason, *port))]
    Connect { host: String, op: String, port: u16, reason: String },
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

/// What to try after a failed HTTPS connection, from what the TLS library said.
fn connect_hint(reason: &str, port: u16) -> String {
    if reason.contains("InvalidContentType") || reason.contains("corrupt message") || reason.contains("WrongVersion") {
        format!(
            "what answers on port {port} does not speak TLS (an SSH or plain HTTP port?): give the publisher's HTTPS port, usually 8443 or 443, as HOST:SSH_PORT:HTTPS_PORT"
        )
    } else if reason.contains("refused") {
        format!("nothing listens on port {port}: check the address and the HTTPS port (HOST:SSH_PORT:HTTPS_PORT; CUCM uses 8443)")
    } else {
        format!("check the address, that port {port} is the publisher's HTTPS port and that a firewall lets it through")
    }
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
    /// The recording (`--record`), if any.
    rec: Option<Recorder>,
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
            rec: None,
        })
    }

    /// Records every exchange into `rec` (`--record`); the password is never recorded.
    pub fn with_recorder(mut self, rec: Option<Recorder>) -> SoapClient {
        if let Some(r) = &rec {
            r.secret(self.password.expose());
        }
        self.rec = rec;
        self
    }

    /// Starts recording a request, when recording.
    fn record_request(&self, method: &str, path: &str, action: Option<&str>, body: &str, auth: &str) -> Option<HttpId> {
        self.rec.as_ref().map(|r| r.http_request(method, path, action, body.as_bytes(), auth))
    }

    /// Records the answer's head, and marks the response so that its body is recorded too.
    fn record_response(&self, id: Option<HttpId>, resp: &mut reqwest::Response) {
        let (Some(r), Some(id)) = (&self.rec, id) else { return };
        let ct = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let cookies = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split('=').next().map(|n| n.trim().to_string()))
            .collect();
        r.http_response(id, resp.status().as_u16(), &ct, cookies);
        resp.extensions_mut().insert(id);
    }

    fn record_error(&self, id: Option<HttpId>, e: &SoapError) {
        if let (Some(r), Some(id)) = (&self.rec, id) {
            r.http_error(id, &e.to_string());
        }
    }

    /// The recording's handle of a response, when recording.
    fn recorded(&self, resp: &reqwest::Response) -> Option<(&Recorder, HttpId)> {
        self.rec.as_ref().zip(resp.extensions().get::<HttpId>().copied())
    }

    /// An unauthenticated request (UDS version), to see the certificate the server presents.
    pub async fn probe(&self) -> Result<(), SoapError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let id = self.record_request("GET", "/cucm-uds/version", None, "", "none");
        match self.http.get(format!("{}/cucm-uds/version", self.base)).timeout(self.request_timeout).send().await {
            Ok(mut resp) => {
                self.record_response(id, &mut resp);
                Ok(())
            }
            Err(e) => {
                let e = self.err_of("TLS probe", e);
                self.record_error(id, &e);
                Err(e)
            }
        }
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
            SoapError::Connect { host, op, port: self.port, reason: chain }
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
            let id = self.record_request("POST", path, Some(action), body, if use_cookie { "cookie" } else { "basic" });
            let mut resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let e = self.err_of(op, e);
                    self.record_error(id, &e);
                    return Err(e);
                }
            };
            self.record_response(id, &mut resp);
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
        let recorded = self.recorded(&resp);
        let raw = self.read_raw(resp, op).await;
        if let Some((r, id)) = recorded {
            match &raw {
                Ok(raw) => r.http_body(id, raw),
                Err(e) => r.http_error(id, &e.to_string()),
            }
        }
        let raw = raw?;
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

    /// The whole body, bounded by [`MAX_SOAP_BODY`].
    async fn read_raw(&self, resp: reqwest::Response, op: &str) -> Result<Vec<u8>, SoapError> {
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
        Ok(raw)
    }

    fn xml_err(&self, op: &str, e: envelope::XmlError) -> SoapError {
        SoapError::Response { host: self.host.clone(), op: op.into(), reason: e.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_errors_name_the_port_and_what_to_try() {
        let e = |reason: &str| {
            SoapError::Connect { host: "cucm".into(), op: "getCCMVersion".into(), port: 22, reason: reason.into() }
                .to_string()
        };
        let not_tls = e("error sending request: received corrupt message of type InvalidContentType");
        assert!(
            not_tls.contains("port 22") && not_tls.contains("does not speak TLS") && not_tls.contains("8443"),
            "{not_tls}"
        );
        let refused = e("tcp connect error: Connection refused (os error 111)");
        assert!(refused.contains("nothing listens on port 22"), "{refused}");
        assert!(e("dns error").contains("port 22 is the publisher's HTTPS port"));
    }

    #[test]
    fn a_download_deadline_is_capped() {
        let c = SoapClient::new(&HttpsTarget {
            host: "127.0.0.1".into(),
            port: 8443,
            user: "u".into(),
            password: Secret::new(String::from("p")),
            tls: TlsMode::Insecure,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(30),
        })
        .unwrap();
        // 1 MiB at 16 KiB/s: 64 s after the request timeout.
        assert_eq!(c.download_deadline(Some(1 << 20)), Duration::from_secs(94));
        // A listed 2 GiB would be 36 hours: capped.
        assert_eq!(c.download_deadline(Some(2 << 30)), MAX_DOWNLOAD_TIME);
        assert_eq!(c.download_deadline(Some(u64::MAX)), MAX_DOWNLOAD_TIME);
    }
}
