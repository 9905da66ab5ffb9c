//! Serviceability log collection: `listNodeServiceLogs`, `selectLogFiles`, `GetOneFile` (DIME and
//! Axis2/MTOM), and the WSDL at `?wsdl`.
//!
//! Follows docs/cucm-notes.md#sxml-services, docs/cucm-notes.md#select-log-files and
//! docs/cucm-notes.md#get-one-file: namespace `http://schemas.cisco.com/ast/soap` with prefix
//! `ns1`; `selectLogFiles` honours `FromDate`/`ToDate` (`MM/DD/YY hh:mm AM`, minute resolution) in
//! the `TimeZone` string `Client: (GMT+H:M)...`, compared with the publisher's own (skewed) clock;
//! `modifiedDate` looks like Java's `Date.toString()`; the ILS service log name
//! "Cisco Intercluster Lookup Service" is **assumed** [I] ([NF] in any listing). `GetOneFile`
//! answers `multipart/related` with the SOAP part first and the raw file second, streamed in 16 KiB
//! chunks (bounded memory), honouring the drop-after-N-bytes and bytes-per-second faults.
//! The WSDL is Cisco's own (`mock-server/wsdl/`, from Cisco's Serviceability samples), with the service
//! address rewritten to the host the client used.

use std::time::Duration as StdDuration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::xml::{self, esc};
use super::{fault, soap, soap_action, soap_request, stream_body, with_cookie, AppState, Service};
use crate::db::{lock, ILS_SERVICE};
use crate::sdl_writer::TraceFile;

const WSDL: &str = include_str!("../../wsdl/LogCollectionPortTypeService.wsdl");
const NS: &str = "http://schemas.cisco.com/ast/soap";

fn env(inner: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>"
    )
}

/// `GET ...LogCollectionPortTypeService?wsdl`.
pub async fn wsdl(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if !q.as_deref().is_some_and(|q| q.eq_ignore_ascii_case("wsdl")) {
        return super::html(
            StatusCode::NOT_FOUND,
            "HTTP Status 404 - Please enable REST support in WEB-INF/conf/axis2.xml",
        );
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost:8443");
    let body = WSDL.replace("https://localhost:8443/", &format!("https://{}/", esc(host)));
    ([(header::CONTENT_TYPE, "text/xml;charset=UTF-8")], body).into_response()
}

use crate::scenario::zone_abbrev as zone_name;

/// Parses `MM/DD/YY hh:mm AM` (hour padded or not).
pub fn parse_client_date(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let (date, rest) = s.split_once(' ')?;
    let (time, ampm) = rest.trim().split_once(' ')?;
    let mut d = date.split('/');
    let (mo, da, yy): (u32, u32, i32) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    let (h, mi) = time.split_once(':')?;
    let (mut h, mi): (u32, u32) = (h.parse().ok()?, mi.parse().ok()?);
    match ampm.to_ascii_uppercase().as_str() {
        "AM" if h == 12 => h = 0,
        "AM" => {}
        "PM" if h < 12 => h += 12,
        "PM" => {}
        _ => return None,
    }
    let year = if yy < 100 { 2000 + yy } else { yy };
    chrono::NaiveDate::from_ymd_opt(year, mo, da)?.and_hms_opt(h, mi, 0)
}

/// Parses the offset of `Client: (GMT-8:0)America/Los_Angeles` in minutes.
pub fn parse_client_zone(s: &str) -> Option<i32> {
    let i = s.find("(GMT")?;
    let rest = s.get(i + 4..)?;
    let end = rest.find(')')?;
    let inner = rest.get(..end)?;
    let (sign, inner) = match inner.chars().next()? {
        '+' => (1, inner.get(1..)?),
        '-' => (-1, inner.get(1..)?),
        _ => (1, inner),
    };
    let (h, m) = inner.split_once(':').unwrap_or((inner, "0"));
    Some(sign * (h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?))
}

struct Node {
    host: String,
    offset_min: i32,
    skew_ms: i64,
    files: Vec<TraceFile>,
}

fn node(st: &AppState) -> Option<Node> {
    let mut w = lock(&st.world);
    w.engine.advance_to(Utc::now());
    let c = w.scenario.cluster(&st.cluster)?.clone();
    Some(Node {
        host: c.hostname().to_string(),
        offset_min: c.offset_minutes(),
        skew_ms: c.clock.skew_ms,
        files: w.engine.files(&st.cluster).to_vec(),
    })
}

/// `POST /logcollectionservice2/services/LogCollectionPortTypeService`.
pub async fn log_collection(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (cookie, elems) = match soap_request(&st, &headers, Service::LogCollection, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let action = soap_action(&headers);
    let op = xml::body_op(&elems).map(|e| e.local.clone()).unwrap_or_default();
    let Some(n) = node(&st) else {
        return fault("no such node", None);
    };
    let (mtom, faulted) = {
        let w = lock(&st.world);
        (w.faults.mtom_soap, w.faults.soap_fault_operations.iter().any(|o| o == &op))
    };
    if faulted {
        return with_cookie(fault(&format!("{op} failed (fault injected)"), None), cookie);
    }
    let r = match (action.as_str(), op.as_str()) {
        (_, "listNodeServiceLogs") => soap_or_mtom(list_node_service_logs(&n), mtom),
        (_, "selectLogFiles") => soap_or_mtom(select_log_files(&n, &elems), mtom),
        (_, "LocalHost") | ("getTimeZone", _) => soap(
            StatusCode::OK,
            env(&format!(
                "<ns1:TimeZone xmlns:ns1=\"{NS}\">{}</ns1:TimeZone>",
                esc(&format!("(GMT{:+}:{})", n.offset_min / 60, (n.offset_min % 60).abs()))
            )),
        ),
        (_, "FileName") | ("GetOneFile", _) => {
            let path = xml::text(&elems, "FileName").unwrap_or("").to_string();
            get_one_file(&st, &n, &path, true).await
        }
        _ => fault(&format!("The endpoint reference (EPR) for the Operation not found is {op}"), None),
    };
    with_cookie(r, cookie)
}

/// Plain `text/xml`, or the envelope as the root part of an Axis2-style MTOM `multipart/related`
/// body (the `mtom_soap` option; both major clients expect either, docs/cucm-notes.md#sxml-services [3P]).
fn soap_or_mtom(envelope: String, mtom: bool) -> Response {
    if !mtom {
        return soap(StatusCode::OK, envelope);
    }
    let id = format!("{:032X}", u128::from(Utc::now().timestamp_subsec_nanos()) * 0x9E37_79B9_7F4A_7C15_u128);
    let boundary = format!("MIMEBoundaryurn_uuid_{id}");
    let body = format!(
        "--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"text/xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <0.urn:uuid:{id}@apache.org>\r\n\r\n{envelope}\r\n--{boundary}--\r\n"
    );
    let ct = format!(
        "multipart/related; boundary=\"{boundary}\"; type=\"application/xop+xml\"; start=\"<0.urn:uuid:{id}@apache.org>\"; start-info=\"text/xml\""
    );
    let mut r = (StatusCode::OK, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn list_node_service_logs(n: &Node) -> String {
    // A plausible subset; the ILS item name is assumed [I].
    let services = [
        "Cisco AXL Web Service",
        "Cisco CallManager",
        "Cisco CTIManager",
        ILS_SERVICE,
        "Cisco Tftp",
        "Cisco User Data Services",
    ];
    let items: String = services.iter().map(|s| format!("<ns1:item>{}</ns1:item>", esc(s))).collect();
    env(&format!(
            "<ns1:listNodeServiceLogsResponse xmlns:ns1=\"{NS}\"><ns1:listNodeServiceLogsReturn><ns1:name>{}</ns1:name><ns1:ServiceLog>{items}</ns1:ServiceLog><ns1:SystemLog><ns1:item>Syslog</ns1:item></ns1:SystemLog></ns1:listNodeServiceLogsReturn></ns1:listNodeServiceLogsResponse>",
            esc(&n.host)
    ))
}

fn server_time(n: &Node, t: DateTime<Utc>) -> NaiveDateTime {
    (t + Duration::milliseconds(n.skew_ms) + Duration::minutes(i64::from(n.offset_min))).naive_utc()
}

fn select_log_files(n: &Node, elems: &[xml::Elem]) -> String {
    let wanted = xml::child_texts(elems, "ServiceLogs", "item");
    let ils = wanted.iter().any(|w| w.eq_ignore_ascii_case(ILS_SERVICE));
    let zone = xml::text(elems, "TimeZone").and_then(parse_client_zone).unwrap_or(n.offset_min);
    // Client-local → UTC → the server's skewed clock (what CUCM compares file times with).
    let to_server = |d: NaiveDateTime| {
        let utc = d - Duration::minutes(i64::from(zone));
        utc + Duration::minutes(i64::from(n.offset_min))
    };
    let from = xml::text(elems, "FromDate").and_then(parse_client_date).map(to_server);
    let to = xml::text(elems, "ToDate").and_then(parse_client_date).map(|d| to_server(d) + Duration::seconds(59));
    let mut files = String::new();
    if ils {
        for f in &n.files {
            let (first, last) = (server_time(n, f.first_write), server_time(n, f.last_write));
            if from.is_some_and(|fr| last < fr) || to.is_some_and(|t| first > t) {
                continue;
            }
            let size = f.bytes().len();
            files.push_str(&format!(
                "<ns1:File><ns1:name>{}</ns1:name><ns1:absolutepath>{}</ns1:absolutepath><ns1:filesize>{size}</ns1:filesize><ns1:modifiedDate>{} {} {}</ns1:modifiedDate></ns1:File>",
                esc(&f.name),
                esc(&f.absolute_path()),
                last.format("%a %b %d %H:%M:%S"),
                zone_name(n.offset_min),
                last.format("%Y")
            ));
        }
    }
    // One ServiceLogs per requested service; only the ILS one has files here.
    let service_logs: String = wanted
        .iter()
        .filter(|w| !w.is_empty())
        .map(|w| {
            let set = if w.eq_ignore_ascii_case(ILS_SERVICE) { files.as_str() } else { "" };
            format!(
                "<ns1:ServiceLogs><ns1:name>{}</ns1:name><ns1:SetOfFiles>{set}</ns1:SetOfFiles></ns1:ServiceLogs>",
                esc(w)
            )
        })
        .collect();
    env(&format!(
            "<ns1:selectLogFilesResponse xmlns:ns1=\"{NS}\"><ns1:ResultSet><ns1:SchemaFileSelectionResult><ns1:Node><ns1:name>{}</ns1:name><ns1:ServiceList>{service_logs}</ns1:ServiceList></ns1:Node></ns1:SchemaFileSelectionResult></ns1:ResultSet></ns1:selectLogFilesResponse>",
            esc(&n.host)
    ))
}

/// `POST /logcollectionservice/services/DimeGetFileService` (rpc/encoded request, SwA answer).
pub async fn dime(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (cookie, elems) = match soap_request(&st, &headers, Service::Dime, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let path = xml::text(&elems, "FileName").unwrap_or("").to_string();
    let Some(n) = node(&st) else {
        return fault("no such node", None);
    };
    with_cookie(get_one_file(&st, &n, &path, false).await, cookie)
}

async fn get_one_file(st: &AppState, n: &Node, path: &str, mtom: bool) -> Response {
    let name = path.rsplit('/').next().unwrap_or(path);
    let bench = lock(&st.world).faults.bench_file_bytes.filter(|_| path == crate::scenario::BENCH_FILE);
    let data = if let Some(size) = bench {
        let line = b"00000001.001 |08:00:00.000 |SdlStat  |Period: 6s SDL Signals handled: 123 (bench filler)\r\n";
        line.iter().copied().cycle().take(size).collect()
    } else {
        let Some(f) = n.files.iter().find(|f| f.absolute_path() == path || (f.name == name && !path.contains('/')))
        else {
            // docs/cucm-notes.md#get-one-file [3P]: "FileName ... do not exist".
            return fault(&format!("FileName {path} do not exist"), None);
        };
        f.bytes()
    };
    let (drop_after, bps) = {
        let w = lock(&st.world);
        (
            w.faults.drop_download_after_bytes,
            w.faults.download_bytes_per_sec.or(w.scenario.latency.delays().download_bytes_per_sec),
        )
    };
    let nanos = Utc::now().timestamp_subsec_nanos();
    let boundary = format!("----=_Part_{}_{}.{}", data.len() % 997, nanos % 100_000_000, Utc::now().timestamp_millis());
    let root_id = format!("{:032X}", u128::from(nanos) * 0x9E37_79B9_7F4A_7C15_u128);
    let file_id = format!("{:032X}", u128::from(nanos) * 0x1F3D_5B79);
    let (content_type, soap_part) = if mtom {
        (
            format!("multipart/related; type=\"application/xop+xml\"; start=\"<0.urn:uuid:{root_id}>\"; start-info=\"text/xml\"; boundary=\"{boundary}\""),
            format!(
                "--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"text/xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <0.urn:uuid:{root_id}>\r\n\r\n{}\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <1.urn:uuid:{file_id}>\r\n\r\n",
                env(&format!("<ns1:GetOneFileReturn xmlns:ns1=\"{NS}\"><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:1.urn:uuid:{file_id}\"/></ns1:GetOneFileReturn>"))
            ),
        )
    } else {
        (
            format!("multipart/related; type=\"text/xml\"; start=\"<{root_id}>\"; boundary=\"{boundary}\""),
            format!(
                "--{boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-Transfer-Encoding: binary\r\nContent-Id: <{root_id}>\r\n\r\n{}\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-Id: <{file_id}>\r\n\r\n",
                env(&format!("<ns1:GetOneFileResponse soapenv:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:ns1=\"http://schemas.cisco.com/ast/soap/\"><DataHandler href=\"cid:{file_id}\" xsi:type=\"ns2:DataHandler\" xmlns:ns2=\"http://xml.apache.org/xml-soap\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/></ns1:GetOneFileResponse>"))
            ),
        )
    };
    let tail = format!("\r\n--{boundary}--\r\n");
    let total = soap_part.len() + data.len() + tail.len();
    let stream = chunked(Bytes::from(soap_part), Bytes::from(data), Bytes::from(tail), drop_after, bps);
    let mut r = (StatusCode::OK, stream_body(stream)).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    r
}

const CHUNK: usize = 16 * 1024;

/// Streams head, file, tail in chunks; stops with an error after `drop_after` file bytes; paces
/// to `bps` bytes per second.
fn chunked(
    head: Bytes,
    file: Bytes,
    tail: Bytes,
    drop_after: Option<u64>,
    bps: Option<u64>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    struct S {
        head: Option<Bytes>,
        file: Bytes,
        pos: usize,
        tail: Option<Bytes>,
        drop_after: Option<u64>,
        bps: Option<u64>,
        failed: bool,
    }
    let s = S { head: Some(head), file, pos: 0, tail: Some(tail), drop_after, bps, failed: false };
    futures_util::stream::unfold(s, |mut s| async move {
        if s.failed {
            return None;
        }
        if let Some(h) = s.head.take() {
            return Some((Ok(h), s));
        }
        if s.pos < s.file.len() {
            let mut end = (s.pos + CHUNK).min(s.file.len());
            if let Some(limit) = s.drop_after {
                let limit = usize::try_from(limit).unwrap_or(usize::MAX);
                if s.pos >= limit {
                    s.failed = true;
                    return Some((Err(std::io::Error::other("download dropped (fault)")), s));
                }
                end = end.min(limit.max(s.pos + 1));
            }
            let chunk = s.file.slice(s.pos..end);
            if let Some(bps) = s.bps.filter(|b| *b > 0) {
                let ms = (chunk.len() as u64).saturating_mul(1000) / bps;
                tokio::time::sleep(StdDuration::from_millis(ms.min(60_000))).await;
            }
            s.pos = end;
            return Some((Ok(chunk), s));
        }
        s.tail.take().map(|t| (Ok(t), s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_dates_and_zones_parse() {
        let d = parse_client_date("11/24/25 05:10 PM").unwrap();
        assert_eq!(d.to_string(), "2025-11-24 17:10:00");
        assert_eq!(parse_client_date("11/24/25 5:10 PM"), Some(d));
        assert_eq!(parse_client_date("11/24/25 12:05 AM").unwrap().to_string(), "2025-11-24 00:05:00");
        assert_eq!(parse_client_date("bogus"), None);
        assert_eq!(parse_client_date("13/40/25 10:00 AM"), None);
        assert_eq!(parse_client_zone("Client: (GMT+1:0)W. Europe Standard Time-Europe/Berlin"), Some(60));
        assert_eq!(parse_client_zone("Client: (GMT-8:0)America/Los_Angeles"), Some(-480));
        assert_eq!(parse_client_zone("Client: (GMT+5:30)India Standard Time-Asia/Kolkata"), Some(330));
        assert_eq!(parse_client_zone("nothing"), None);
        assert_eq!(zone_name(-480), "PST");
        assert_eq!(zone_name(90), "GMT+01:30");
    }
}
