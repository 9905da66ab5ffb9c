//! Publishers by name: the traces name hub and spoke by address (`IpAddr(10.106.104.220)`), an
//! engineer by host name. When the publishers' own configuration says which name an address
//! has (`show network cluster`, read by `check`), each pair and attempt gets its names and the
//! sentences ils-doctor wrote about them use them: `cucm-hub.example.com (10.106.104.220)`.
//! Pure: the analysis and a name table in, the analysis out. The addresses stay in `hub` and
//! `spoke` (they key pairs, findings and audits); only the words change.

use std::collections::BTreeMap;

use super::model::Analysis;

/// Address or host name (lower case) → how the engineer knows that publisher.
pub type Names = BTreeMap<String, String>;

/// The label of `addr`, when the table has it.
pub fn lookup<'a>(names: &'a Names, addr: Option<&str>) -> Option<&'a String> {
    names.get(&addr?.trim().to_ascii_lowercase())
}

/// Names every pair and attempt of `a`, and rewrites the summaries ils-doctor wrote about them.
pub fn apply(a: &mut Analysis, names: &Names) {
    if names.is_empty() {
        return;
    }
    let mut swaps: Vec<(String, String)> = Vec::new();
    for p in &mut a.pairs {
        p.hub_name = lookup(names, p.hub.as_deref()).cloned();
        p.spoke_name = lookup(names, p.spoke.as_deref()).cloned();
        if let (Some(s), Some(h)) = (&p.spoke, &p.hub) {
            let name = |addr: &String, n: &Option<String>| n.clone().unwrap_or_else(|| addr.clone());
            swaps.push((format!("{s} -> {h}"), format!("{} -> {}", name(s, &p.spoke_name), name(h, &p.hub_name))));
        }
    }
    for x in &mut a.attempts {
        x.hub_name = lookup(names, x.hub.as_deref()).cloned();
        x.spoke_name = lookup(names, x.spoke.as_deref()).cloned();
        if let (Some(addr), Some(n)) = (&x.spoke, &x.spoke_name) {
            x.summary = replace_word(&x.summary, &format!("Spoke {addr}"), &format!("Spoke {n}"));
        }
        if let (Some(addr), Some(n)) = (&x.hub, &x.hub_name) {
            x.summary = replace_word(&x.summary, &format!("hub {addr}"), &format!("hub {n}"));
        }
        // The fix names the sides as `the hub (ADDRESS)`: by name at the first mention, by role
        // after it.
        if let Some(fix) = x.fix.as_mut() {
            for (addr, name, role) in [(&x.hub, &x.hub_name, "hub"), (&x.spoke, &x.spoke_name, "spoke")] {
                if let (Some(addr), Some(n)) = (addr, name) {
                    *fix = name_once(fix, role, addr, n);
                }
            }
        }
    }
    for (from, to) in swaps {
        a.summary = replace_word(&a.summary, &from, &to);
    }
}

/// `the hub (10.1.1.1)` (or `The hub (...)`) becomes `the hub cucm-hq (10.1.1.1)` at its first
/// mention and `the hub` after it.
fn name_once(text: &str, role: &str, addr: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut first = true;
    let lower = format!("the {role} ({addr})");
    let upper = format!("The {role} ({addr})");
    loop {
        let next = [rest.find(&lower).map(|i| (i, false)), rest.find(&upper).map(|i| (i, true))]
            .into_iter()
            .flatten()
            .min_by_key(|(i, _)| *i);
        let Some((i, capital)) = next else { break };
        let (before, tail) = rest.split_at(i);
        out.push_str(before);
        out.push_str(if capital { "The " } else { "the " });
        out.push_str(role);
        if first {
            out.push(' ');
            out.push_str(name);
            first = false;
        }
        rest = tail.get(lower.len()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Replaces each `from` in `text` that ends at a word boundary (so that `10.1.1.1` does not
/// match inside `10.1.1.10`): the text's end, a space or `:,;)`, or a full stop that ends a
/// sentence.
pub fn replace_word(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let (before, tail) = rest.split_at(i);
        out.push_str(before);
        let after = tail.get(from.len()..).unwrap_or_default();
        // ... and that begins at one: `10.1.1.1` must not match inside `110.1.1.1`.
        let starts = before.chars().next_back().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '.'))
            || !from.starts_with(|c: char| c.is_ascii_alphanumeric());
        let mut next = after.chars();
        let boundary = match next.next() {
            None => true,
            Some(' ' | ':' | ',' | ';' | ')') => true,
            Some('.') => matches!(next.next(), None | Some(' ')),
            Some(_) => false,
        };
        if boundary && starts {
            out.push_str(to);
        } else {
            out.push_str(tail.get(..from.len()).unwrap_or_default());
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_is_named_once_then_by_role() {
        let t = "The hub (10.0.0.1) refuses. On the hub (10.0.0.1), import; restart on the hub (10.0.0.1).";
        assert_eq!(
            name_once(t, "hub", "10.0.0.1", "hq (10.0.0.1)"),
            "The hub hq (10.0.0.1) refuses. On the hub, import; restart on the hub."
        );
        assert_eq!(name_once("no mention", "hub", "10.0.0.1", "hq"), "no mention");
    }

    #[test]
    fn replaces_whole_addresses_only() {
        assert_eq!(replace_word("hub 10.1.1.1: x", "hub 10.1.1.1", "hub H"), "hub H: x");
        assert_eq!(replace_word("to hub 10.1.1.10.", "hub 10.1.1.1", "hub H"), "to hub 10.1.1.10.");
        assert_eq!(replace_word("to hub 10.1.1.1.", "hub 10.1.1.1", "hub H"), "to hub H.");
        assert_eq!(replace_word("a 10.1.1.1.5 b", "10.1.1.1", "X"), "a 10.1.1.1.5 b");
        assert_eq!(replace_word("x", "", "y"), "x");
        assert_eq!(replace_word("110.1.1.1 -> h", "10.1.1.1 -> h", "N -> h"), "110.1.1.1 -> h");
        assert_eq!(replace_word("a 10.1.1.1 -> h", "10.1.1.1 -> h", "N -> h"), "a N -> h");
    }
}
