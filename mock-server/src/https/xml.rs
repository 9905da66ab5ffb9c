//! A small, total XML scanner for SOAP requests, and escaping for responses.
//!
//! The mock only needs the local names of elements, their text (CDATA included, entities
//! decoded) and the first child of `Body`; namespaces are matched by local name only, as
//! Cisco advises clients to do (docs/cucm-notes.md#axl-envelope). Any input gives a result or an error; depth and
//! element count are bounded.

/// One element in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elem {
    /// Local name (prefix removed).
    pub local: String,
    /// Nesting depth, 0 for the root.
    pub depth: usize,
    /// Concatenated direct text content.
    pub text: String,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed XML: {0}")]
pub struct XmlError(pub &'static str);

const MAX_DEPTH: usize = 64;
const MAX_ELEMS: usize = 100_000;

fn unescape(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let ent = &after[1..end];
        let ch = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16).ok().and_then(char::from_u32),
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Scans a document into its elements.
pub fn scan(doc: &str) -> Result<Vec<Elem>, XmlError> {
    let mut out: Vec<Elem> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut rest = doc;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if let Some(&top) = stack.last() {
                if let Some(e) = out.get_mut(top) {
                    unescape(rest, &mut e.text);
                }
            }
            break;
        };
        if lt > 0 {
            if let Some(&top) = stack.last() {
                if let Some(e) = out.get_mut(top) {
                    unescape(&rest[..lt], &mut e.text);
                }
            }
        }
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<?") {
            let end = r.find("?>").ok_or(XmlError("unterminated declaration"))?;
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or(XmlError("unterminated comment"))?;
            rest = &r[end + 3..];
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").ok_or(XmlError("unterminated CDATA"))?;
            if let Some(e) = stack.last().and_then(|&t| out.get_mut(t)) {
                e.text.push_str(&r[..end]);
            }
            rest = &r[end + 3..];
        } else if let Some(r) = rest.strip_prefix("<!") {
            let end = r.find('>').ok_or(XmlError("unterminated doctype"))?;
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').ok_or(XmlError("unterminated end tag"))?;
            let name = r[..end].trim();
            let local = name.rsplit(':').next().unwrap_or(name);
            let top = stack.pop().ok_or(XmlError("unbalanced end tag"))?;
            if out.get(top).map(|e| e.local.as_str()) != Some(local) {
                return Err(XmlError("mismatched end tag"));
            }
            rest = &r[end + 1..];
        } else {
            let r = &rest[1..];
            // Find the closing '>' outside quotes.
            let mut quote = None;
            let mut end = None;
            for (i, c) in r.char_indices() {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, '>') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.ok_or(XmlError("unterminated start tag"))?;
            let inner = &r[..end];
            let self_closing = inner.ends_with('/');
            let name = inner.trim_end_matches('/').split(|c: char| c.is_whitespace()).next().unwrap_or("");
            if name.is_empty() {
                return Err(XmlError("empty element name"));
            }
            let local = name.rsplit(':').next().unwrap_or(name).to_string();
            if stack.len() >= MAX_DEPTH || out.len() >= MAX_ELEMS {
                return Err(XmlError("document too deep or too large"));
            }
            out.push(Elem { local, depth: stack.len(), text: String::new() });
            if !self_closing {
                stack.push(out.len() - 1);
            }
            rest = &r[end + 1..];
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("unclosed element"));
    }
    if out.is_empty() {
        return Err(XmlError("no element"));
    }
    Ok(out)
}

/// The first child element of `Body`.
pub fn body_op(elems: &[Elem]) -> Option<&Elem> {
    let bi = elems.iter().position(|e| e.local == "Body")?;
    let depth = elems.get(bi)?.depth;
    elems.get(bi + 1).filter(|e| e.depth == depth + 1)
}

/// Text of the first element with this local name.
pub fn text<'a>(elems: &'a [Elem], local: &str) -> Option<&'a str> {
    elems.iter().find(|e| e.local == local).map(|e| e.text.trim())
}

/// Texts of all elements with this local name.
pub fn texts<'a>(elems: &'a [Elem], local: &str) -> Vec<&'a str> {
    elems.iter().filter(|e| e.local == local).map(|e| e.text.trim()).collect()
}

/// Texts of the `child` elements directly inside the first `parent` element.
pub fn child_texts<'a>(elems: &'a [Elem], parent: &str, child: &str) -> Vec<&'a str> {
    let Some(pi) = elems.iter().position(|e| e.local == parent) else {
        return Vec::new();
    };
    let depth = elems.get(pi).map_or(0, |e| e.depth);
    elems
        .iter()
        .skip(pi + 1)
        .take_while(|e| e.depth > depth)
        .filter(|e| e.depth == depth + 1 && e.local == child)
        .map(|e| e.text.trim())
        .collect()
}

/// Escapes text for element content and attributes.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_a_soap_request_with_cdata_and_entities() {
        let doc = r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/14.0"><soapenv:Header/><soapenv:Body><ns:executeSQLQuery sequence="1"><sql><![CDATA[select * from t where a = 'x<y']]></sql><b>a &amp; b &#65;&#x42;</b></ns:executeSQLQuery></soapenv:Body></soapenv:Envelope>"#;
        let e = scan(doc).unwrap();
        assert_eq!(body_op(&e).unwrap().local, "executeSQLQuery");
        assert_eq!(text(&e, "sql"), Some("select * from t where a = 'x<y'"));
        assert_eq!(text(&e, "b"), Some("a & b AB"));
        let e = scan("<r><S><item>a</item><item>b</item></S><Y><item>c</item></Y></r>").unwrap();
        assert_eq!(child_texts(&e, "S", "item"), ["a", "b"]);
        assert_eq!(child_texts(&e, "Y", "item"), ["c"]);
        assert!(child_texts(&e, "Z", "item").is_empty());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [
            "",
            "<",
            "<a>",
            "<a></b>",
            "</a>",
            "<a attr='>",
            "<!--",
            "<![CDATA[",
            "text",
            "<>",
            "<a>\u{0}&#xFFFFFFFF;</a>",
        ] {
            let r = scan(bad);
            if bad == "<a>\u{0}&#xFFFFFFFF;</a>" {
                assert!(r.is_ok());
            } else {
                assert!(r.is_err(), "{bad:?}");
            }
        }
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(scan(&deep).is_err());
    }

    #[test]
    fn escapes() {
        assert_eq!(esc("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
