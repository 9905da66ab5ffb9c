//! The HTTPS side of a replay: every request is answered from the record (see `mod.rs`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

use super::record::{bytes_of, closest, pick, similarity};
use super::Served;

/// Serves `served` on `listener` until the handle shuts it down.
pub(crate) fn serve(
    listener: std::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    served: Arc<Served>,
) -> axum_server::Handle {
    let handle = axum_server::Handle::new();
    let app = Router::new().fallback(answer).with_state(served);
    let cfg = axum_server::tls_rustls::RustlsConfig::from_config(tls);
    let h2 = handle.clone();
    tokio::spawn(async move {
        let _ = axum_server::from_tcp_rustls(listener, cfg).handle(h2).serve(app.into_make_service()).await;
    });
    handle
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The recorded answer to one request.
async fn answer(State(s): State<Arc<Served>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let action = headers.get("soapaction").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let t = &s.transcript;
    let mut scored = Vec::new();
    let mut others = Vec::new();
    for (i, e) in t.of_kind("http") {
        let recorded = bytes_of(e, "request_body").unwrap_or_default();
        let score = similarity(&body, &recorded);
        let same = text(e, "method") == method.as_str()
            && text(e, "path") == path
            && (action.is_empty() || text(e, "soap_action") == action);
        let described = format!("{} {} {}", text(e, "method"), text(e, "path"), text(e, "soap_action"));
        if same {
            scored.push((i, score));
        }
        others.push((if same { score } else { score / 2.0 }, described));
    }
    let Some(i) = pick(&scored, &s.used()) else {
        let head: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        let what = format!(
            "{}: no recorded answer for {method} {path} (SOAPAction {action}); closest recorded: {}; the request's body began {head:?}",
            t.name,
            closest(others, 3)
        );
        s.miss(what.clone());
        return (StatusCode::NOT_FOUND, [("content-type", "text/plain")], what).into_response();
    };
    s.take(i);
    let Some(e) = t.entries.get(i) else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    if s.timing {
        let ms = e.get("ms").and_then(Value::as_u64).unwrap_or(0).min(600_000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    respond(t, e)
}

/// The response of a recorded exchange: status, content type, cookies (named, with a value of
/// the replay's), the body; a GetOneFile answer carries the recorded file.
fn respond(t: &super::Transcript, e: &Value) -> Response {
    let Some(status) = e.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()) else {
        let why = format!("{}: recorded as failed without an answer: {}", t.name, text(e, "error"));
        return (StatusCode::BAD_GATEWAY, [("content-type", "text/plain")], why).into_response();
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    if let Some(names) = e.get("set_cookie").and_then(Value::as_array) {
        for n in names.iter().filter_map(Value::as_str) {
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{n}=replay{}; Path=/; Secure; HttpOnly",
                e.get("id").map(|i| i.to_string()).unwrap_or_default()
            )) {
                headers.append("set-cookie", v);
            }
        }
    }
    if let Some(file) = e.get("file").and_then(Value::as_str) {
        let Some(data) = t.trace(file) else {
            let why = format!("{}: the recorded file {file:?} is missing from traces/{}/", t.name, t.name);
            return (StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "text/plain")], why).into_response();
        };
        let boundary = "replay-boundary-5f3a";
        let envelope = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns1:GetOneFileResponse xmlns:ns1=\"http://schemas.cisco.com/ast/soap/\"/></soapenv:Body></soapenv:Envelope>";
        let mut body = format!(
            "--{boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-Id: <root>\r\n\r\n{envelope}\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Id: <file>\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        if let Ok(v) = HeaderValue::from_str(&format!(
            "multipart/related; type=\"text/xml\"; start=\"<root>\"; boundary=\"{boundary}\""
        )) {
            headers.insert("content-type", v);
        }
        return (status, headers, body).into_response();
    }
    if let Ok(v) = HeaderValue::from_str(&text(e, "content_type")) {
        if !v.is_empty() {
            headers.insert("content-type", v);
        }
    }
    (status, headers, bytes_of(e, "response_body").unwrap_or_default()).into_response()
}
