//! The HTTPS port of one publisher (Tomcat on 8443): routes, Basic auth, sessions, throttling.
//!
//! Follows docs/cucm-notes.md#axl-transport (auth, 401 realm, JSESSIONIDSSO),
//! docs/cucm-notes.md#axl-throttling and docs/cucm-notes.md#axl-versions (503/599), and
//! docs/cucm-notes.md#sxml-services (cookies valid for one SOAP service only: a cookie of
//! another service gives HTTP 500; an unknown session without credentials gives 404).
//! Handlers live in `axl.rs` (AXL) and `logs.rs` (Serviceability log collection and DIME).

pub mod axl;
pub mod certmgr;
pub mod controlcenter;
pub mod ils_config;
pub mod logs;
pub mod xml;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;

use crate::db::{lock, Shared};

/// The SOAP services that keep separate sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `/axl/`
    Axl,
    /// `/logcollectionservice2/services/LogCollectionPortTypeService`
    LogCollection,
    /// `/logcollectionservice/services/DimeGetFileService`
    Dime,
    /// `/platformcom/api/v1/certmgr/...` (CUCM 14+).
    Platform,
    /// `/controlcenterservice2/services/ControlCenterServices`
    ControlCenter,
}

/// State of one publisher's HTTPS server.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The shared world.
    pub world: Shared,
    /// Cluster name of this publisher.
    pub cluster: String,
    /// Session cookie → the service it was issued for and the user who logged in.
    sessions: Arc<Mutex<HashMap<String, (Service, String)>>>,
    counter: Arc<AtomicU64>,
}

/// The router of one publisher.
pub fn router(world: Shared, cluster: String) -> Router {
    let st = AppState {
        world,
        cluster,
        sessions: Arc::new(Mutex::new(HashMap::new())),
        counter: Arc::new(AtomicU64::new(1)),
    };
    Router::new()
        .route("/axl/", post(axl::handle).get(axl::index))
        // docs/cucm-notes.md#axl-get: the trailing `/` is required; Tomcat redirects the bare
        // context path [I].
        .route("/axl", post(axl_slash).get(axl_slash))
        .route(
            "/logcollectionservice2/services/LogCollectionPortTypeService",
            post(logs::log_collection).get(logs::wsdl),
        )
        .route("/logcollectionservice/services/DimeGetFileService", post(logs::dime))
        .route("/platformcom/api/v1/certmgr/config/snapshot/server", get(certmgr::snapshot))
        .route("/controlcenterservice2/services/ControlCenterServices", post(controlcenter::handle))
        .route("/cucm-uds/version", get(uds_version))
        .route("/cucm-uds/servers", get(uds_servers))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(st.clone(), latency))
        .layer(axum::middleware::from_fn_with_state(st.clone(), count_peer))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(st)
}

/// Records the client's address: one distinct address per TCP connection (keep-alive reuse
/// shows as one address serving many requests).
async fn count_peer(State(st): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // Present when served with connect info (always, by `server`; not in router-only tests).
    if let Some(axum::extract::ConnectInfo(addr)) =
        req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        lock(&st.world).connections.entry(st.cluster.clone()).or_default().https_peers.insert(*addr);
    }
    next.run(req).await
}

/// The scenario's latency: each request waits as long as its operation takes on the
/// publisher the profile describes, before it is answered.
async fn latency(State(st): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let action = req.headers().get("soapaction").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let ms = {
        let mut w = lock(&st.world);
        let d = w.scenario.latency.delays();
        let ms = if action.contains("selectLogFiles") { d.select_log_files_ms } else { d.soap_ms };
        let c = w.connections.entry(st.cluster.clone()).or_default();
        c.latency_ms = c.latency_ms.saturating_add(ms);
        ms
    };
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms.min(600_000))).await;
    }
    next.run(req).await
}

async fn axl_slash() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/axl/")], "").into_response()
}

async fn not_found(uri: Uri) -> Response {
    html(StatusCode::NOT_FOUND, &format!("HTTP Status 404 - {}", xml::esc(uri.path())))
}

/// A Tomcat-style HTML error page.
pub fn html(status: StatusCode, msg: &str) -> Response {
    let body = format!(
        "<html><head><title>Error report</title></head><body><h1>{msg}</h1><hr/><h3>Cisco Systems, Inc.</h3></body></html>"
    );
    (status, [(header::CONTENT_TYPE, "text/html;charset=utf-8")], body).into_response()
}

/// 401 with the realm of `service`: AXL's is "Cisco AXL API" and its body Cisco's custom error
/// page (docs/cucm-notes.md#axl-get); the other services keep "Cisco Web Services Realm"
/// (docs/cucm-notes.md#axl-transport, [3P]).
pub fn unauthorized(service: Service) -> Response {
    let (mut r, realm) = match service {
        Service::Axl => (cisco_error_page(StatusCode::UNAUTHORIZED), "Basic realm=\"Cisco AXL API\""),
        _ => (
            html(StatusCode::UNAUTHORIZED, "HTTP Status 401 - Unauthorized"),
            "Basic realm=\"Cisco Web Services Realm\"",
        ),
    };
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(realm));
    r
}

/// Cisco's custom Tomcat error page as AXL sends it with 401, 403 and 599
/// (docs/cucm-notes.md#axl-get: title "Cisco System - null", "HTTP Status N –", "type: Status
/// Report", an empty "Message:", "Description: http.N"; the markup around them is ours [I]).
pub fn cisco_error_page(status: StatusCode) -> Response {
    let n = status.as_u16();
    let body = format!(
        "<!-- custom Cisco error page -->\n<!doctype html><html lang=\"en\"><head><title>Cisco System - null</title></head><body><h1>HTTP Status {n} \u{2013} </h1><hr class=\"line\" /><p><b>type:</b> Status Report</p><p><b>Message:</b> </p><p><b>Description:</b> http.{n}</p><hr class=\"line\" /><h3>Cisco Systems, Inc.</h3></body></html>"
    );
    (status, [(header::CONTENT_TYPE, "text/html;charset=utf-8")], body).into_response()
}

/// A `text/xml` SOAP response.
pub fn soap(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml;charset=UTF-8")], body).into_response()
}

/// A SOAP fault (HTTP 500), optionally with an AXL `axlError` detail (docs/cucm-notes.md#axl-faults).
pub fn fault(msg: &str, axl: Option<(i32, &str)>) -> Response {
    let detail = match axl {
        Some((code, request)) => format!(
            "<detail><axlError><axlcode>{code}</axlcode><axlmessage>{m}</axlmessage><request>{r}</request></axlError></detail>",
            m = xml::esc(msg),
            r = xml::esc(request)
        ),
        None => String::new(),
    };
    soap(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>{}</faultstring>{detail}</soapenv:Fault></soapenv:Body></soapenv:Envelope>",
            xml::esc(msg)
        ),
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "JSESSIONIDSSO")
        .map(|(_, v)| v.to_string())
}

/// Result of the common request checks: an error response, or an optional `Set-Cookie` value.
pub type Gate = Result<Option<HeaderValue>, Response>;

/// Throttling, session cookie and Basic auth for one request to `service`.
#[allow(clippy::result_large_err)] // one response per request; boxing buys nothing here
pub fn gate(st: &AppState, headers: &HeaderMap, service: Service) -> Gate {
    gate_user(st, headers, service).map(|(cookie, _)| cookie)
}

/// [`gate`], with the user the request runs as (from its credentials or its session).
#[allow(clippy::result_large_err)] // one response per request; boxing buys nothing here
pub fn gate_user(
    st: &AppState,
    headers: &HeaderMap,
    service: Service,
) -> Result<(Option<HeaderValue>, String), Response> {
    let (throttle, user_ok) = {
        let mut w = lock(&st.world);
        let n = {
            let c = w.requests.entry(st.cluster.clone()).or_insert(0);
            *c += 1;
            *c
        };
        let throttle = match w.faults.throttle_every_nth {
            Some(k) if k > 0 && n % k == 0 => Some(w.faults.throttle_status.unwrap_or(503)),
            _ => None,
        };
        let cluster = w.scenario.cluster(&st.cluster).cloned();
        let wrong = w.faults.wrong_password;
        if let Some(to) = w.faults.redirect_to.clone() {
            return Err((StatusCode::FOUND, [(header::LOCATION, to)], "").into_response());
        }
        (throttle, cluster.map(|c| (c, wrong)))
    };
    if let Some(code) = throttle {
        if code == 599 {
            return Err(axl::version_error(st));
        }
        return Err(html(StatusCode::SERVICE_UNAVAILABLE, "HTTP Status 503 - Service Unavailable"));
    }
    let Some((cluster, wrong_password)) = user_ok else {
        return Err(html(StatusCode::INTERNAL_SERVER_ERROR, "no such publisher"));
    };
    if let Some(id) = session_cookie(headers) {
        let known = st.sessions.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned();
        match known {
            Some((s, user)) if s == service => return Ok((None, user)),
            // docs/cucm-notes.md#sxml-services: a cookie from another service gives HTTP 500 (even with credentials).
            Some(_) => return Err(html(StatusCode::INTERNAL_SERVER_ERROR, "HTTP Status 500 - Internal Server Error")),
            // docs/cucm-notes.md#axl-transport: an expired session gives 404 unless credentials come along.
            None if !headers.contains_key(header::AUTHORIZATION) => {
                return Err(html(StatusCode::NOT_FOUND, "HTTP Status 404 - Not Found"))
            }
            None => {}
        }
    }
    let creds = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|d| String::from_utf8(d).ok());
    let no_role = cluster.access.no_axl_role_user.as_deref();
    let user = creds.as_deref().and_then(|c| c.split_once(':')).and_then(|(u, p)| {
        let read_only = cluster.access.read_only_axl_user.as_deref();
        let user_ok = u == cluster.access.app_user
            || u == cluster.access.admin_user
            || Some(u) == no_role
            || Some(u) == read_only;
        (user_ok && !wrong_password && constant_time_eq(p.as_bytes(), cluster.password().as_bytes())).then_some(u)
    });
    let Some(user) = user else {
        return Err(unauthorized(service));
    };
    // docs/cucm-notes.md#axl-get: right credentials without the AXL role get 403 [3P].
    if service == Service::Axl && Some(user) == no_role {
        return Err(cisco_error_page(StatusCode::FORBIDDEN));
    }
    let n = st.counter.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let id = format!("{:016X}{:016X}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15), (nanos as u64) ^ 0xA5A5_5A5A_1234_5678);
    let user = user.to_string();
    st.sessions.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), (service, user.clone()));
    Ok((HeaderValue::from_str(&format!("JSESSIONIDSSO={id}; Path=/; Secure; HttpOnly")).ok(), user))
}

/// [`gate`] then parse the SOAP body: the session cookie to set and the request's elements, or
/// the response to send (auth failure, throttling, or a fault for malformed XML).
#[allow(clippy::result_large_err)] // one response per request
pub fn soap_request(
    st: &AppState,
    headers: &HeaderMap,
    service: Service,
    body: &Bytes,
) -> Result<(Option<HeaderValue>, Vec<xml::Elem>), Response> {
    let cookie = gate(st, headers, service)?;
    match xml::scan(&body_text(body)) {
        Ok(e) => Ok((cookie, e)),
        Err(e) => Err(with_cookie(fault(&format!("Error parsing request: {e}"), None), cookie)),
    }
}

/// Adds the `Set-Cookie` from [`gate`] to a response.
pub fn with_cookie(mut r: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// The SOAPAction header with surrounding quotes removed.
pub fn soap_action(headers: &HeaderMap) -> String {
    headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_string())
        .unwrap_or_default()
}

/// Request body as text (invalid UTF-8 is replaced, never a panic).
pub fn body_text(b: &Bytes) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn uds_version(State(st): State<AppState>, headers: HeaderMap) -> Response {
    // docs/cucm-notes.md#uds-version: no authentication; the element is the release x.x.x.
    let w = lock(&st.world);
    let Some(c) = w.scenario.cluster(&st.cluster) else {
        return html(StatusCode::NOT_FOUND, "HTTP Status 404");
    };
    let rel: Vec<&str> = c.version.split(['.', '-']).take(3).collect();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(&c.fqdn).to_string();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<versionInformation uri=\"https://{h}/cucm-uds/version\" version=\"{v}\"><version>{v}</version><capabilities><usersResourceAuthEnabled>true</usersResourceAuthEnabled><upgradeInProgress>false</upgradeInProgress></capabilities></versionInformation>",
        h = xml::esc(&host),
        v = xml::esc(&rel.join("."))
    );
    ([(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

async fn uds_servers(State(st): State<AppState>) -> Response {
    let w = lock(&st.world);
    let Some(c) = w.scenario.cluster(&st.cluster) else {
        return html(StatusCode::NOT_FOUND, "HTTP Status 404");
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<servers version=\"{v}\" uri=\"https://{f}:8443/cucm-uds/servers\"><server>{f}</server></servers>",
        v = xml::esc(&c.version),
        f = xml::esc(&c.fqdn)
    );
    ([(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// Wraps a body so that [`Body::from_stream`] can take it.
pub fn stream_body<S>(s: S) -> Body
where
    S: futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    Body::from_stream(s)
}
