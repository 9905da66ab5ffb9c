//! ils-doctor's `updateIlsConfig` request against Cisco's own schema (AXLSoap.xsd 14.0, vendored
//! byte for byte in `mock-server/wsdl/`, its hash checked there): all nine children, in the
//! schema's order, of the schema's types, with and without the password. Validated by python's
//! lxml, which shares nothing with ils-doctor; a machine without it ignores the test with the
//! reason (build.rs), and under `CI=true` it runs and fails.

use std::path::Path;
use std::process::Command;

use ils_doctor::connect::envelope::{self, IlsSettings};

const VALIDATE: &str = r#"
import sys
from lxml import etree
schema = etree.XMLSchema(etree.parse(sys.argv[1]))
ns = "{http://schemas.xmlsoap.org/soap/envelope/}"
for path in sys.argv[2:]:
    op = etree.parse(path).getroot().find(ns + "Body")[0]
    doc = etree.fromstring(etree.tostring(op))
    if not schema.validate(doc):
        print(path, schema.error_log)
        sys.exit(1)
    print("valid", path)
"#;

#[test]
#[cfg_attr(missing_lxml, ignore = "python3 with lxml is not installed (CI installs it)")]
fn update_ils_config_follows_ciscos_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let xsd = root.join("mock-server/wsdl/axl-14.0/AXLSoap.xsd");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (role, server, tls, pw, password)) in [
        ("Spoke Cluster", "cucm-hub.example.com", false, true, Some("p<&>\"'w")),
        ("Hub Cluster", "", true, false, None),
        ("Hub Cluster", "10.0.0.1", true, true, Some("ils-Secret1")),
    ]
    .into_iter()
    .enumerate()
    {
        let s = IlsSettings {
            role: role.into(),
            registration_server: server.into(),
            sync_minutes: 10,
            use_tls: tls,
            use_password: pw,
        };
        let path = dir.path().join(format!("update-{i}.xml"));
        std::fs::write(&path, envelope::axl("14.0", "updateIlsConfig", &envelope::update_ils_config(&s, password)))
            .unwrap();
        files.push(path);
    }
    let out = Command::new("python3").arg("-c").arg(VALIDATE).arg(&xsd).args(&files).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if text.contains("No module named 'lxml'") {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "python3 lxml is missing under CI=true");
        eprintln!("update_ils_config_follows_ciscos_schema ... skipped: python3 lxml was removed since the build");
        return;
    }
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("valid ").count(), files.len(), "{text}");
}
