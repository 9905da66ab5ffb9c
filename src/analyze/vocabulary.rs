//! The words of the ILS Configuration window and of the trace levels, as every message must use
//! them: Use TLS Certificates and Use Password are checkboxes, the password goes in the Password
//! and Confirm Password fields (docs/cucm-notes.md#auth-methods), and a level is named with its
//! number, `Significant (15)` (docs/cucm-notes.md#trace-level). [`slips`] finds the words a
//! message should not use; the tests of the fix texts hold every text to it.

use std::sync::LazyLock;

use regex::Regex;

/// A pattern the window's vocabulary rules out, and what to say instead.
struct Rule {
    pattern: Regex,
    instead: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, instead: &'static str| Rule {
        // The patterns are constants; the tests run every one of them.
        pattern: Regex::new(pattern).unwrap_or_else(|_| unreachable!()),
        instead,
    };
    vec![
        rule(
            r"(?i)\b(enter|type|put|fill|write)\b[^.;]*\bin(to)? (the )?Use (Password|TLS Certificates)\b",
            "Use Password and Use TLS Certificates are checkboxes (select them); the password goes in the Password and Confirm Password fields",
        ),
        rule(
            r"\bUse (Password|TLS Certificates) (field|box|text box|setting|option)s?\b",
            "call Use Password and Use TLS Certificates checkboxes",
        ),
        rule(r"\b(confirm password|Confirm password|password confirmation)\b", "the field is Confirm Password"),
        rule(
            r"(?i)\b(restored|raised|set|lowered|put back|left) to \d+\b",
            "name a trace level with its number: Significant (15)",
        ),
        rule(r"\(method \d\): not used\b", "say what the method rests on: \"no certificate check\""),
    ]
});

/// Each place in `text` that uses a word the ILS Configuration window does not, with the word
/// to use instead; empty when the text speaks the window's language.
pub fn slips(text: &str) -> Vec<String> {
    let mut out: Vec<String> = RULES
        .iter()
        .flat_map(|r| r.pattern.find_iter(text).map(move |m| format!("\"{}\": {}", m.as_str(), r.instead)))
        .collect();
    // A sentence that names the checkbox settings calls them checkboxes.
    for sentence in text.split(". ") {
        let names_setting = sentence.contains("Use Password") || sentence.contains("Use TLS Certificates");
        if names_setting && !sentence.contains("checkbox") {
            out.push(format!("\"{}\": call Use Password and Use TLS Certificates checkboxes", sentence.trim()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_the_window_does_not_use_are_found() {
        let old = "The ILS passwords differ. On the hub, open ILS Configuration > ILS Authentication, check Use \
                   Password, enter the same password in Use Password and Confirm Password, and Save.";
        assert!(slips(old).iter().any(|s| s.contains("enter the same password in Use Password")), "{:?}", slips(old));
        assert!(!slips("cucm-hub:8443: ILS trace level restored to 15").is_empty());
        assert!(!slips("password (method 1): not used: no certificates").is_empty());
        assert!(!slips("type it in the Use TLS Certificates field.").is_empty());
        assert!(!slips("and the password confirmation.").is_empty());
    }

    #[test]
    fn the_window_s_own_words_pass() {
        for good in [
            "Select the Use Password checkbox, type the same password in the Password and Confirm Password fields, and \
             Save.",
            "cucm-hub:8443: ILS trace level restored to Significant (15)",
            "Detailed (127), restored to Significant? (15)",
            "password (method 1): no certificate check: it uses no certificates, only the password, on port 7502",
            "Restart it on port 7502.",
        ] {
            assert_eq!(slips(good), Vec::<String>::new(), "{good}");
        }
    }
}
