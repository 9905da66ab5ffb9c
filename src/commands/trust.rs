//! `ils-doctor trust`: show the HTTPS certificate a publisher presents and pin it, like ssh's
//! known_hosts.

use std::io::{self, Write};
use std::time::Duration;

use anyhow::{bail, Context};

use super::shared::runtime;
use crate::cli::TrustArgs;
use crate::connect::soap::{HttpsTarget, SoapClient};
use crate::connect::tls::{fingerprint, TlsMode};
use crate::exit::UNKNOWN;
use crate::pipeline::live::{self, HostSpec};
use crate::secret::Secret;

pub fn run(args: TrustArgs) -> anyhow::Result<u8> {
    let spec: HostSpec = args.host.parse().map_err(anyhow::Error::msg).context("trust")?;
    let (host, port) = (spec.host, spec.https_port.unwrap_or(args.https_port));
    let client = SoapClient::new(&HttpsTarget {
        host: host.clone(),
        port,
        user: String::new(),
        password: Secret::new(""),
        tls: TlsMode::Insecure,
        connect_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(20),
    })?;
    let _ = runtime()?.block_on(client.probe());
    let Some(der) = client.presented_certificate.lock().ok().and_then(|c| c.clone()) else {
        bail!("trust {host}:{port}: no certificate received; check the address and port");
    };
    let fp = fingerprint(&der);
    println!("{host}:{port} presents a certificate with SHA-256 fingerprint\n  {fp}");
    println!("Compare it with Cisco Unified OS Administration > Security > Certificate Management > tomcat on that publisher.");
    if !args.yes {
        if !io::IsTerminal::is_terminal(&io::stdin()) {
            bail!("trust {host}: not pinned; run again with --yes once you have compared the fingerprint");
        }
        print!("Pin it? [y/N] ");
        io::stdout().flush()?;
        let mut answer = String::new();
        io::stdin().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") {
            println!("not pinned");
            return Ok(UNKNOWN);
        }
    }
    let pins = live::default_config_dir().join("pins");
    live::record_pin(&pins, &host, port, &fp).with_context(|| format!("cannot write {}", pins.display()))?;
    println!("pinned in {}", pins.display());
    Ok(0)
}
