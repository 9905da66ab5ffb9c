//! What one `--record` transcript shows that ils-doctor's documentation can only guess
//! (docs/transcript.md, docs/cucm-notes.md): the SSH algorithms the publisher agreed to, how long
//! its CLI and its SOAP services take, the version string it prints, the ILS synchronization
//! status strings, the trace level values it stores and names, the SOAP faults it sends. Pure:
//! the JSON Lines text in, a [`PublisherSummary`] out; a line that is not a JSON object is
//! counted, never fatal.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::connect::envelope;

/// A transcript line longer than this is skipped (the recorder keeps 4 MiB per exchange).
const MAX_LINE: usize = 8 * 1024 * 1024;

/// How often a command or request was seen and how long it took.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timing {
    pub what: String,
    pub count: usize,
    pub min_ms: u64,
    pub median_ms: u64,
    pub max_ms: u64,
}

/// One SSH connection as the publisher made it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SshSeen {
    pub server_id: Option<String>,
    pub agreed: Value,
    /// Only when the negotiation failed (the SSH library reports the server's list then).
    pub server_offer: Value,
    pub error: Option<String>,
}

/// What one publisher's transcript shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PublisherSummary {
    pub publisher: Option<String>,
    pub role: Option<String>,
    pub cucm_version: Option<String>,
    pub synthetic: Option<bool>,
    pub redacted: Option<bool>,
    pub ssh: Vec<SshSeen>,
    /// From the SSH login to the first `admin:` prompt.
    pub cli_start_ms: Vec<u64>,
    pub commands: Vec<Timing>,
    pub requests: Vec<Timing>,
    /// `Active Master Version:` and similar lines of `show version active`.
    pub version_lines: Vec<String>,
    /// `syncronizationStatus` of `getIlsConfig`, as sent.
    pub sync_status: Vec<String>,
    /// The ILS trace level values read and written (`traceLevel` of the trace settings).
    pub trace_levels: Vec<String>,
    /// The level names the publisher gave (`typetracelevelgrouping`), name and value.
    pub level_names: Vec<(String, String)>,
    /// SOAP fault messages, as sent.
    pub faults: Vec<String>,
    /// Lines that were not a JSON object (damaged or cut).
    pub unreadable_lines: usize,
}

/// Summarizes one transcript's text.
pub fn summarize(text: &str) -> PublisherSummary {
    let mut s = PublisherSummary::default();
    let mut commands: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut requests: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = (line.len() <= MAX_LINE).then(|| serde_json::from_str::<Value>(line).ok()).flatten();
        let Some(Value::Object(o)) = parsed else {
            s.unreadable_lines = s.unreadable_lines.saturating_add(1);
            continue;
        };
        let get = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let ms = o.get("ms").and_then(Value::as_u64).unwrap_or(0);
        if n == 0 && o.contains_key("format") {
            s.publisher = get("publisher");
            s.role = get("role");
            s.redacted = o.get("redacted").and_then(Value::as_bool);
            let sample = o.get("field_sample");
            s.synthetic = sample.and_then(|f| f.get("synthetic")).and_then(Value::as_bool);
            s.cucm_version = sample.and_then(|f| f.get("cucm_version")).and_then(Value::as_str).map(str::to_string);
            continue;
        }
        match o.get("kind").and_then(Value::as_str).unwrap_or_default() {
            "ssh_open" => s.ssh.push(SshSeen {
                server_id: get("server_id"),
                agreed: o.get("agreed").cloned().unwrap_or(Value::Null),
                server_offer: o.get("server_offer").cloned().unwrap_or(Value::Null),
                error: get("error"),
            }),
            "ssh_cli_start" => s.cli_start_ms.push(ms),
            "ssh_command" => {
                let command = get("command").unwrap_or_default();
                commands.entry(command_kind(&command)).or_default().push(ms);
                if command.trim().eq_ignore_ascii_case("show version active") {
                    for l in received(&o).lines() {
                        let l = l.trim();
                        if l.contains("Version:") && !s.version_lines.iter().any(|v| v == l) {
                            s.version_lines.push(l.to_string());
                        }
                    }
                }
            }
            "http" => {
                let action = get("soap_action").map(|a| a.trim_matches('"').to_string());
                let what = match action.as_deref().and_then(|a| a.rsplit(['#', ' ']).next()) {
                    Some(op) if !op.is_empty() => op.to_string(),
                    _ => format!("{} {}", get("method").unwrap_or_default(), get("path").unwrap_or_default()),
                };
                requests.entry(what).or_default().push(ms);
                if let Some(body) = o.get("response_body").and_then(Value::as_str) {
                    read_body(&mut s, body, o.get("request_body").and_then(Value::as_str).unwrap_or_default());
                }
            }
            _ => {}
        }
    }
    s.commands = timings(commands);
    s.requests = timings(requests);
    s
}

/// What a SOAP answer says that the docs guess.
fn read_body(s: &mut PublisherSummary, body: &str, request: &str) {
    if let Some(f) = envelope::fault(body) {
        push_new(&mut s.faults, f.message);
    }
    if let Some(status) = envelope::first_text(body, "syncronizationStatus") {
        push_new(&mut s.sync_status, status);
    }
    if let Ok(Some(t)) = envelope::trace_settings(body) {
        push_new(&mut s.trace_levels, t.trace_level);
    }
    if let Some(t) = envelope::first_text(request, "traceLevel") {
        push_new(&mut s.trace_levels, t);
    }
    if request.contains("typetracelevelgrouping") {
        if let Ok(rows) = envelope::sql_rows(body) {
            for r in rows {
                let get =
                    |k: &str| r.iter().find(|(c, _)| c.eq_ignore_ascii_case(k)).map(|(_, v)| v.trim().to_string());
                if let (Some(name), Some(value)) = (get("name"), get("value")) {
                    if !s.level_names.iter().any(|(n, _)| *n == name) && s.level_names.len() < 64 {
                        s.level_names.push((name, value));
                    }
                }
            }
        }
    }
}

fn push_new(list: &mut Vec<String>, value: String) {
    if !value.is_empty() && list.len() < 32 && !list.contains(&value) {
        list.push(value);
    }
}

/// The text a command's steps received.
fn received(o: &serde_json::Map<String, Value>) -> String {
    o.get("steps")
        .and_then(Value::as_array)
        .map(|steps| steps.iter().filter_map(|st| st.get("recv").and_then(Value::as_str)).collect::<Vec<_>>().join(""))
        .unwrap_or_default()
}

/// A command without its variable part, so that latencies group: `show cert trust <file>`,
/// `run sql <statement>`, `file list activelog <path>`.
pub fn command_kind(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.as_slice() {
        ["run", "sql", ..] => "run sql <statement>".into(),
        ["show", "cert", "trust", _, ..] => "show cert trust <file>".into(),
        ["show", "cert", "own", _, ..] => format!("show cert own {}", words.get(3).copied().unwrap_or_default()),
        ["file", "list", "activelog", ..] => "file list activelog <path>".into(),
        ["file", "get", ..] => "file get <path>".into(),
        ["utils", "service", verb, _, ..] => format!("utils service {verb} <service>"),
        _ => words.iter().take(6).copied().collect::<Vec<_>>().join(" "),
    }
}

fn timings(map: BTreeMap<String, Vec<u64>>) -> Vec<Timing> {
    map.into_iter()
        .map(|(what, mut v)| {
            v.sort_unstable();
            Timing {
                what,
                count: v.len(),
                min_ms: v.first().copied().unwrap_or(0),
                median_ms: v.get(v.len() / 2).copied().unwrap_or(0),
                max_ms: v.last().copied().unwrap_or(0),
            }
        })
        .collect()
}

/// The shape of an SDL message: digits as `N`, long hexadecimal runs as `H`, so that lines that
/// differ only in numbers, addresses and ids count together.
pub fn line_shape(message: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() >= 8 && word.chars().all(|c| c.is_ascii_hexdigit()) && word.chars().any(|c| c.is_ascii_digit()) {
            out.push('H');
        } else {
            let mut last_digit = false;
            for c in word.chars() {
                if c.is_ascii_digit() {
                    if !last_digit {
                        out.push('N');
                    }
                    last_digit = true;
                } else {
                    out.push(c);
                    last_digit = false;
                }
            }
        }
        word.clear();
    };
    for c in message.chars().take(400) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_transcript_and_survives_damage() {
        let text = concat!(
            r#"{"format":"ils-doctor/transcript/1","publisher":"hub-1","role":"hub","redacted":true,"field_sample":{"synthetic":false,"cucm_version":"14.0.1.13900-155"}}"#,
            "\n",
            r#"{"kind":"ssh_open","server_id":"SSH-2.0-OpenSSH_7.4","agreed":{"kex":"ecdh-sha2-nistp256"},"server_offer":null,"ms":200}"#,
            "\n",
            r#"{"kind":"ssh_cli_start","ms":9120}"#,
            "\n",
            r#"{"kind":"ssh_command","command":"show version active","ms":2100,"steps":[{"recv":"show version active\r\nActive Master Version: 14.0.1.13900-155\r\nadmin:"}]}"#,
            "\n",
            r#"{"kind":"ssh_command","command":"show cert trust tomcat-trust/a.pem","ms":1000}"#,
            "\n",
            r#"{"kind":"ssh_command","command":"show cert trust tomcat-trust/b.pem","ms":3000}"#,
            "\n",
            r#"{"kind":"http","method":"POST","path":"/axl/","soap_action":"\"CUCM:DB ver=14.0 getIlsConfig\"","ms":90,"request_body":"","response_body":"<a><syncronizationStatus>Up to Date</syncronizationStatus></a>"}"#,
            "\n",
            "{not json\n",
        );
        let s = summarize(text);
        assert_eq!(s.role.as_deref(), Some("hub"));
        assert_eq!(s.cucm_version.as_deref(), Some("14.0.1.13900-155"));
        assert_eq!(s.ssh[0].server_id.as_deref(), Some("SSH-2.0-OpenSSH_7.4"));
        assert_eq!(s.cli_start_ms, vec![9120]);
        assert_eq!(s.version_lines, vec!["Active Master Version: 14.0.1.13900-155"]);
        let trust = s.commands.iter().find(|c| c.what == "show cert trust <file>").unwrap();
        assert_eq!((trust.count, trust.min_ms, trust.max_ms), (2, 1000, 3000));
        assert_eq!(s.requests[0].what, "getIlsConfig");
        assert_eq!(s.sync_status, vec!["Up to Date"]);
        assert_eq!(s.unreadable_lines, 1);
    }

    #[test]
    fn shapes_group_numbers_and_ids() {
        assert_eq!(
            line_shape("IlsD Ils::Foo(): IpAddr(10.1.2.3) id 3a5f0c9d11"),
            "IlsD Ils::Foo(): IpAddr(N.N.N.N) id H"
        );
        assert_eq!(line_shape(&"x".repeat(10_000)).len(), 160);
    }
}
