//! Trace levels by name, as a CUCM engineer knows them (Error, Special, State Transition,
//! Significant, Entry/Exit, Arbitrary, Detailed), with the stored number beside the name.
//!
//! The names come from the publisher's own `typetracelevelgrouping` rows for the ILS service.
//! When a publisher does not give them, the name is taken from the claimed cumulative bitmask
//! (Error 1 ... Detailed 127) and marked with "?" because that mapping is unverified
//! (docs/cucm-notes.md#trace-level).

use serde::{Deserialize, Serialize};

/// One row of `typetracelevelgrouping` for the ILS service: a level's name and stored value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelName {
    pub name: String,
    pub value: String,
}

/// The claimed values (third-party, unverified): used only when the publisher lists none.
pub const CLAIMED: [(&str, &str); 7] = [
    ("Error", "1"),
    ("Special", "3"),
    ("State Transition", "7"),
    ("Significant", "15"),
    ("Entry/Exit", "31"),
    ("Arbitrary", "63"),
    ("Detailed", "127"),
];

/// `Significant (15)` from the publisher's names; `Significant? (15)` from the claimed values
/// when the publisher listed none; the bare number when neither knows it.
pub fn describe(value: &str, names: &[LevelName]) -> String {
    let value = value.trim();
    if let Some(n) = names.iter().find(|n| n.value.trim() == value) {
        return format!("{} ({value})", n.name.trim());
    }
    if names.is_empty() {
        if let Some((name, _)) = CLAIMED.iter().find(|(_, v)| *v == value) {
            return format!("{name}? ({value})");
        }
    }
    value.to_string()
}

/// The stored value of Detailed on a publisher that listed its levels, if it did.
pub fn detailed_of(names: &[LevelName]) -> Option<String> {
    names
        .iter()
        .find(|n| n.name.trim().eq_ignore_ascii_case("Detailed"))
        .map(|n| n.value.trim().to_string())
        .filter(|v| v.parse::<i64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(rows: &[(&str, &str)]) -> Vec<LevelName> {
        rows.iter().map(|(n, v)| LevelName { name: n.to_string(), value: v.to_string() }).collect()
    }

    #[test]
    fn the_publishers_own_names_win_over_the_claimed_ones() {
        let own = names(&[("Significant", "15"), ("Detailed", "255")]);
        assert_eq!(describe("15", &own), "Significant (15)");
        assert_eq!(describe("255", &own), "Detailed (255)");
        // A value this publisher does not list is not named from the claimed table.
        assert_eq!(describe("127", &own), "127");
        assert_eq!(detailed_of(&own).as_deref(), Some("255"));
    }

    #[test]
    fn without_the_publishers_names_the_claimed_name_is_marked() {
        assert_eq!(describe("15", &[]), "Significant? (15)");
        assert_eq!(describe("127", &[]), "Detailed? (127)");
        assert_eq!(describe("42", &[]), "42");
        assert_eq!(detailed_of(&[]), None);
        assert_eq!(detailed_of(&names(&[("Detailed", "lots")])), None);
    }
}
