//! The inventory discovery found, as the TOML `inventory::parse` reads (it is parsed back
//! before the audit uses it). Credential references only: the file names where passwords come
//! from, never a password. Every name in it came from a publisher, so strings are written as
//! one-line TOML basic strings and comments keep only printable characters.

use std::fmt::Write as _;

use super::credentials::Settings;
use super::plan::State;
use super::Discovery;
use crate::audit::model::Role;

/// A TOML basic string on one line: `\`, `"` and every control or invisible formatting
/// character (bidirectional overrides included) escaped.
pub fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len().saturating_add(2));
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if invisible(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Control characters and the format characters that reorder or hide text.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(u32::from(c), 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0xFFF9..=0xFFFB)
}

/// Text for a `#` comment: one line, printable, no `=` (so the password-key check of
/// `inventory::parse` cannot mistake it for a key).
pub fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if invisible(c) || c == '=' { format!("\\u{{{:x}}}", u32::from(c)) } else { c.to_string() })
        .collect()
}

fn settings_lines(out: &mut String, s: &Settings, base: &Settings) {
    let differs = |a: &Option<String>, b: &Option<String>| a.is_some() && a != b;
    if differs(&s.admin_user, &base.admin_user) {
        let _ = writeln!(out, "admin_user = {}", toml_str(s.admin_user.as_deref().unwrap_or_default()));
    }
    if differs(&s.app_user, &base.app_user) {
        let _ = writeln!(out, "app_user = {}", toml_str(s.app_user.as_deref().unwrap_or_default()));
    }
    if let Some(c) = s.admin_credential.as_ref().filter(|c| Some(*c) != base.admin_credential.as_ref()) {
        let _ = writeln!(out, "admin_credential = {}", toml_str(&c.reference()));
    }
    if let Some(c) = s.app_credential.as_ref().filter(|c| Some(*c) != base.app_credential.as_ref()) {
        let _ = writeln!(out, "app_credential = {}", toml_str(&c.reference()));
    }
    if let Some(p) = &s.tls_pin {
        let _ = writeln!(out, "tls_pin = {}", toml_str(p));
    }
}

/// Why a cluster was not contacted or not reached, naming where it was seen.
pub fn skip_reason(d: &Discovery, i: usize) -> Option<String> {
    let s = d.seen.get(i)?;
    let from = d.seen_from_text(i);
    match &s.state {
        State::Reached | State::Duplicate(_) => None,
        State::Unreachable(e) => Some(format!("{from}, not reachable: {e}")),
        State::NotContacted(w) => Some(format!("{from}, not contacted: {w}")),
    }
}

pub fn inventory(d: &Discovery) -> String {
    let mut out = String::new();
    let starts: Vec<String> = d.starts.iter().map(|s| comment(s)).collect();
    let _ = writeln!(out, "# ILS networks found by `ils-doctor audit --discover` at {}", d.at);
    let _ = writeln!(out, "# from {}; depth at most {}, at most {} clusters.", starts.join(", "), d.depth, d.max);
    let _ =
        writeln!(out, "# Credential references only (env:VARIABLE, keyring:ENTRY, auto): no password is written here.");
    let _ =
        writeln!(out, "# A cluster with `skip` was seen in a remotecluster row but not reached: the audit reports it");
    let _ = writeln!(out, "# unknown without contacting it. Remove `skip` once it can be reached.");
    if d.left_out > 0 {
        let _ = writeln!(
            out,
            "# {} more remotecluster row(s) were not followed: the --discover-max limit ({}) was reached.",
            d.left_out, d.max
        );
    }
    for (i, why) in &d.plan.outside {
        let (name, reported) = d.seen.get(*i).map_or(("?", "?"), |s| (s.name.as_str(), s.reported_as.as_str()));
        let _ = writeln!(out, "# Not in any network: {} ({}): {}", comment(name), comment(reported), comment(why));
    }
    out.push_str("\n[defaults]\n");
    let base = &d.defaults;
    if let Some(u) = &base.admin_user {
        let _ = writeln!(out, "admin_user = {}", toml_str(u));
    }
    if let Some(u) = &base.app_user {
        let _ = writeln!(out, "app_user = {}", toml_str(u));
    }
    let reference =
        |c: &Option<crate::audit::inventory::CredentialRef>| c.as_ref().map_or("auto".to_string(), |c| c.reference());
    let _ = writeln!(out, "admin_credential = {}", toml_str(&reference(&base.admin_credential)));
    let _ = writeln!(out, "app_credential = {}", toml_str(&reference(&base.app_credential)));
    for n in &d.plan.networks {
        let _ = writeln!(out, "\n[[network]]\nname = {}", toml_str(&n.name));
        for m in &n.members {
            let Some(s) = d.seen.get(m.seen) else { continue };
            let _ =
                writeln!(out, "\n# reported as {}; {}", comment(&s.reported_as), comment(&d.seen_from_text(m.seen)));
            for note in &m.notes {
                let _ = writeln!(out, "# {}", comment(note));
            }
            let _ = writeln!(out, "[[network.cluster]]\nname = {}\nrole = \"{}\"", toml_str(&s.name), m.role.as_str());
            let settings = d.settings.get(m.seen).cloned().unwrap_or_default();
            let target = d.targets.get(m.seen).and_then(|t| t.as_ref());
            let host = target.map_or(s.reported_as.as_str(), |t| t.host.as_str());
            let _ = writeln!(out, "host = {}", toml_str(host));
            if let Some(p) = target.and_then(|t| t.ssh_port).or(settings.ssh_port) {
                let _ = writeln!(out, "ssh_port = {p}");
            }
            if let Some(p) = target.and_then(|t| t.https_port).or(settings.https_port) {
                let _ = writeln!(out, "https_port = {p}");
            }
            if m.role == Role::Spoke {
                if let Some(h) = m.hub.and_then(|h| d.seen.get(h)) {
                    let _ = writeln!(out, "hub = {}", toml_str(&h.name));
                    if m.hub_inferred {
                        let _ = writeln!(out, "hub_inferred = true");
                    }
                }
            }
            settings_lines(&mut out, &settings, base);
            if let Some(why) = skip_reason(d, m.seen) {
                let _ = writeln!(out, "skip = {}", toml_str(&why));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_stay_on_one_line_and_parse_back() {
        let nasty = "a\"b\\c\nd\u{202E}e<script>";
        let s = toml_str(nasty);
        assert!(!s.contains('\n') && !s.contains('\u{202E}'), "{s}");
        let v: toml::Table = toml::from_str(&format!("k = {s}")).unwrap();
        assert_eq!(v["k"].as_str(), Some(nasty));
        let c = comment("x = 1\u{202E}\nadmin_password = y");
        assert!(!c.contains('=') && !c.contains('\n') && !c.contains('\u{202E}'), "{c}");
    }
}
