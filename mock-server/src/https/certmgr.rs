//! Certificate Management API snapshot (`GET /platformcom/api/v1/certmgr/config/snapshot/server`).
//!
//! Follows docs/cucm-notes.md#certmgr-api: Cisco documents the API for CUCM 14 and later [C]; the JSON
//! shape (`server`, `trackingId`, `identities[{service, certificate, csr}]`,
//! `trusts[{service, certificate_data[{filename, certificate}]}]`, `revokedCertificates`) is
//! third-party [3P]. The mock lists the Tomcat identity and the tomcat-trust entries the
//! scenario's trust store holds, with the PEMs its HTTPS ports really use. Releases before 14
//! answer 404 [I].

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{gate, html, with_cookie, AppState, Service};
use crate::db::lock;
use crate::tls::serial_hex;

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The snapshot handler.
pub async fn snapshot(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let cookie = match gate(&st, &headers, Service::Platform) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let w = lock(&st.world);
    let Some(c) = w.scenario.cluster(&st.cluster) else {
        return html(StatusCode::NOT_FOUND, "HTTP Status 404");
    };
    let major: u32 = c.version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 14 {
        return html(StatusCode::NOT_FOUND, "HTTP Status 404 - Not Found");
    }
    let own = w.tomcat.get(&c.name).map(|t| t.cert_pem.clone()).unwrap_or_default();
    let mut trust = Vec::new();
    for peer in &c.trust.tomcat_certs {
        if let (Some(p), Some(t)) = (w.scenario.cluster(peer), w.tomcat.get(peer)) {
            trust.push((crate::ssh::trust::cert_file(&p.fqdn), t.cert_pem.clone()));
        }
    }
    for ca in &c.trust.ca_roots {
        let pem = w
            .scenario
            .clusters
            .iter()
            .filter(|o| &o.tomcat.ca == ca)
            .find_map(|o| w.tomcat.get(&o.name).and_then(|t| t.ca_pem.clone()));
        if let Some(pem) = pem {
            trust.push((crate::ssh::trust::ca_file(ca), pem));
        }
    }
    let data: Vec<String> = trust
        .iter()
        .map(|(f, p)| format!("{{\"filename\":{},\"certificate\":{}}}", json_str(f), json_str(p)))
        .collect();
    let body = format!(
        "{{\"server\":{},\"trackingId\":\"MOCK-{}\",\"identities\":[{{\"service\":\"tomcat\",\"certificate\":{},\"csr\":null}}],\"trusts\":[{{\"service\":\"tomcat\",\"certificate_data\":[{}]}}],\"revokedCertificates\":[]}}",
        json_str(&c.fqdn),
        serial_hex(&c.fqdn),
        json_str(&own),
        data.join(",")
    );
    with_cookie(([(header::CONTENT_TYPE, "application/json")], body).into_response(), cookie)
}

#[cfg(test)]
mod tests {
    use super::json_str;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
