//! Control Center Services: `soapGetServiceStatus` and `soapDoControlServices` for the ILS service.
//!
//! Follows docs/cucm-notes.md#control-center (element names from Cisco's WSDL [C]; values [I]):
//! `/controlcenterservice2/services/ControlCenterServices`, namespace
//! `http://schemas.cisco.com/ast/soap`. Only "Cisco Intercluster Lookup Service" has state; other
//! names report Started. `soapDoControlServices` Start/Stop/Restart reaches the simulator like
//! `utils service ...` does.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;

use super::xml::{self, esc};
use super::{fault, soap, soap_request, with_cookie, AppState, Service};
use crate::db::{lock, ILS_SERVICE};
use crate::scenario::ServiceState;

const NS: &str = "http://schemas.cisco.com/ast/soap";

fn item(name: &str, state: ServiceState) -> String {
    let (status, reason, reason_text) = match state {
        ServiceState::Started => ("Started", "-1", ""),
        ServiceState::Stopped => ("Stopped", "-1068", "Commanded Out of Service"),
        ServiceState::NotActivated => ("Stopped", "-1068", "Service Not Activated"),
    };
    format!(
        "<ns1:item><ns1:ServiceName>{}</ns1:ServiceName><ns1:ServiceStatus>{status}</ns1:ServiceStatus><ns1:ReasonCode>{reason}</ns1:ReasonCode><ns1:ReasonCodeString>{reason_text}</ns1:ReasonCodeString><ns1:StartTime/><ns1:UpTime>-1</ns1:UpTime></ns1:item>",
        esc(name)
    )
}

fn envelope(op: &str, items: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns1:{op}Response xmlns:ns1=\"{NS}\"><ns1:{op}Return><ns1:ReturnCode>0</ns1:ReturnCode><ns1:ReasonCode>-1</ns1:ReasonCode><ns1:ReasonString/><ns1:ServiceInfoList>{items}</ns1:ServiceInfoList></ns1:{op}Return></ns1:{op}Response></soapenv:Body></soapenv:Envelope>"
    )
}

/// `POST /controlcenterservice2/services/ControlCenterServices`.
pub async fn handle(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (cookie, elems) = match soap_request(&st, &headers, Service::ControlCenter, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let op = xml::body_op(&elems).map(|e| e.local.clone()).unwrap_or_default();
    let mut w = lock(&st.world);
    w.engine.advance_to(Utc::now());
    let r = match op.as_str() {
        "soapGetServiceStatus" => {
            let mut names: Vec<String> =
                xml::texts(&elems, "ServiceStatus").into_iter().filter(|n| !n.is_empty()).map(str::to_string).collect();
            if names.is_empty() {
                names = vec!["Cisco CallManager".into(), ILS_SERVICE.into(), "Cisco Tomcat".into()];
            }
            let ils = w.engine.service(&st.cluster).unwrap_or(ServiceState::Started);
            let items: String = names
                .iter()
                .map(|n| item(n, if n.eq_ignore_ascii_case(ILS_SERVICE) { ils } else { ServiceState::Started }))
                .collect();
            soap(StatusCode::OK, envelope("soapGetServiceStatus", &items))
        }
        "soapDoControlServices" => {
            let control = xml::text(&elems, "ControlType").unwrap_or("").to_string();
            let state = match control.as_str() {
                "Start" | "Restart" => ServiceState::Started,
                "Stop" => ServiceState::Stopped,
                other => return with_cookie(fault(&format!("Invalid ControlType {other}"), None), cookie),
            };
            let names: Vec<String> = xml::texts(&elems, "item").into_iter().map(str::to_string).collect();
            let mut items = String::new();
            for n in &names {
                if n.eq_ignore_ascii_case(ILS_SERVICE) {
                    w.control_ils(&st.cluster, state);
                }
                items.push_str(&item(n, state));
            }
            soap(StatusCode::OK, envelope("soapDoControlServices", &items))
        }
        other => fault(&format!("The endpoint reference (EPR) for the Operation not found is {other}"), None),
    };
    with_cookie(r, cookie)
}
