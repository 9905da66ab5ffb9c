//! Text from outside (a trace, a CLI transcript, a SOAP response, a file name a publisher
//! reported) made safe to show. The lowest layer: every other module may use it, it uses none.

/// Untrusted text made safe for a terminal: control characters become `\xNN`, and the
/// bidirectional controls, which reorder what the reader sees without being control characters
/// (Unicode Standard Annex #9, "Unicode Bidirectional Algorithm"; the "Trojan Source" attack),
/// become `\u{NNNN}`.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else if is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// The explicit bidirectional formatting characters and marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
