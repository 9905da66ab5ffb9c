//! AXL `updateIlsConfig`: the ILS Configuration window's settings written through AXL.
//!
//! Follows docs/cucm-notes.md#update-ils-config: the request carries all nine children, in the
//! schema's order (`role`, `registrationServer`, `activateIls`, `synchronizeClustersEvery`,
//! `activatedServers`, `deactivatedServers`, `useTls`, `enableUsePassword`, `usePassword`) [C];
//! a missing or misplaced one is refused the way a schema-validating server refuses it (the
//! Xerces wording is [I]). The role strings are the GUI labels [3P]. What is saved goes to the
//! publisher's configuration (what `getIlsConfig` reads back) but not to the running service:
//! the Cisco Intercluster Lookup Service reads it when it (re)starts
//! (docs/cucm-notes.md#join-restart) [I], so a client that forgets the restart sees no change.

use super::xml::Elem;
use crate::db::{lock, Shared};
use crate::scenario::Role;

/// The children of `updateIlsConfig`, in schema order (AXLSoap.xsd 14.0, UpdateIlsConfigReq).
pub const FIELDS: [&str; 9] = [
    "role",
    "registrationServer",
    "activateIls",
    "synchronizeClustersEvery",
    "activatedServers",
    "deactivatedServers",
    "useTls",
    "enableUsePassword",
    "usePassword",
];

/// The direct children of the operation element, (name, text), in document order.
fn children(elems: &[Elem]) -> Vec<(String, String)> {
    let Some(op_at) = elems.iter().position(|e| e.local == "updateIlsConfig") else {
        return Vec::new();
    };
    let Some(depth) = elems.get(op_at).map(|e| e.depth) else {
        return Vec::new();
    };
    elems
        .iter()
        .skip(op_at + 1)
        .take_while(|e| e.depth > depth)
        .filter(|e| e.depth == depth + 1)
        .map(|e| (e.local.clone(), e.text.trim().to_string()))
        .collect()
}

/// The nine values in order, or the schema error a validating server gives [I].
fn validate(kids: &[(String, String)]) -> Result<Vec<String>, String> {
    let mut values = Vec::with_capacity(FIELDS.len());
    for (i, want) in FIELDS.iter().enumerate() {
        match kids.get(i) {
            Some((name, value)) if name == want => values.push(value.clone()),
            Some((name, _)) => {
                return Err(format!(
                    "cvc-complex-type.2.4.a: Invalid content was found starting with element '{name}'. One of '{{{want}}}' is expected."
                ))
            }
            None => {
                return Err(format!(
                    "cvc-complex-type.2.4.b: The content of element 'updateIlsConfig' is not complete. One of '{{{want}}}' is expected."
                ))
            }
        }
    }
    if let Some((extra, _)) = kids.get(FIELDS.len()) {
        return Err(format!("cvc-complex-type.2.4.d: Invalid content was found starting with element '{extra}'. No child element is expected at this point."));
    }
    Ok(values)
}

/// AXL's `boolean`: a string of the pattern `(t)|(f)|(true)|(false)|(0)|(1)` [C: AXLSoap.xsd]
/// (so Python's `True` is refused, as the schema refuses it).
fn boolean(name: &str, v: &str) -> Result<bool, String> {
    match v {
        "true" | "t" | "1" => Ok(true),
        "false" | "f" | "0" => Ok(false),
        other => Err(format!("cvc-datatype-valid.1.2.1: '{other}' is not a valid value for 'boolean' ({name}).")),
    }
}

/// Applies an `updateIlsConfig` request to `cluster`'s configuration, or says why not.
pub fn update(world: &Shared, cluster: &str, elems: &[Elem]) -> Result<(), String> {
    let values = validate(&children(elems))?;
    let v = |i: usize| values.get(i).map(String::as_str).unwrap_or("");
    let role = match v(0) {
        "Hub Cluster" => Role::Hub,
        "Spoke Cluster" => Role::Spoke,
        "Stand Alone Cluster" => Role::StandAlone,
        other => return Err(format!("Item not valid: {other:?} is not a valid ILS role")),
    };
    let _activate = boolean("activateIls", v(2))?;
    let use_tls = boolean("useTls", v(6))?;
    let use_password = boolean("enableUsePassword", v(7))?;
    let password = v(8).to_string();
    // The GUI asks for a password whenever Use Password is checked [I: the AXL answer is invented].
    if use_password && password.is_empty() {
        return Err("Item not valid: a password is required when Use Password is enabled".into());
    }
    if !(use_tls || use_password) && role != Role::StandAlone {
        return Err("Item not valid: select Use TLS Certificates, Use Password, or both".into());
    }
    let mut w = lock(world);
    let reg = v(1);
    let reg_name = if reg.is_empty() {
        None
    } else {
        match w
            .scenario
            .clusters
            .iter()
            .find(|c| c.fqdn.eq_ignore_ascii_case(reg) || c.ip == reg || c.hostname().eq_ignore_ascii_case(reg))
        {
            Some(c) if c.name == cluster => {
                return Err("Item not valid: a cluster cannot register to itself".into());
            }
            Some(c) => Some(c.name.clone()),
            None => return Err("Item not valid: The specified registrationServer was not found".into()),
        }
    };
    let Some(c) = w.scenario.clusters.iter_mut().find(|c| c.name == cluster) else {
        return Err("no cluster".into());
    };
    c.role = role;
    c.ils.registration_server = reg_name;
    c.ils.use_tls = use_tls;
    c.ils.use_password = use_password;
    // With Use Password unchecked the stored password is left as it was [I].
    if !password.is_empty() {
        c.ils.password = password;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kids(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn all_nine_in_order_or_a_schema_error() {
        let full: Vec<(&str, &str)> = FIELDS.iter().map(|f| (*f, "x")).collect();
        assert_eq!(validate(&kids(&full)).unwrap().len(), 9);
        let e = validate(&kids(&full[..8])).unwrap_err();
        assert!(e.contains("not complete") && e.contains("usePassword"), "{e}");
        let mut swapped = full.clone();
        swapped.swap(6, 7);
        let e = validate(&kids(&swapped)).unwrap_err();
        assert!(e.contains("enableUsePassword") && e.contains("useTls"), "{e}");
        let mut extra = full.clone();
        extra.push(("clusterId", "x"));
        assert!(validate(&kids(&extra)).unwrap_err().contains("clusterId"));
    }
}
