//! A mock ILS network for `join` and `undo`: the publishers by cluster name, the join's request,
//! the check of a link, the mock's configuration as a comparable text, the binary's options.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ils_doctor::analyze::Method;
use ils_doctor::collect::publisher::Access;
use ils_doctor::configure::journal::Reached;
use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::join::JoinRequest;
use ils_doctor::pipeline::mock_pair::access_for;
use ils_doctor::pipeline::session::{self, Outcome};
use ils_doctor::pipeline::signals::Interrupted;
use mock_server::scenario::Scenario;

pub struct Lab {
    pub mock: mock_server::Running,
    pub dir: tempfile::TempDir,
    pub known_hosts: PathBuf,
}

/// A bundled scenario on loopback.
pub fn lab(name: &str) -> Lab {
    lab_of(mock_server::bundled::load(name).unwrap().unwrap())
}

pub fn lab_of(s: Scenario) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_server::start_with(
        s,
        mock_server::Options { state_dir: Some(dir.path().join("state")), ..Default::default() },
    )
    .unwrap();
    let known_hosts = dir.path().join("known_hosts");
    Lab { mock, dir, known_hosts }
}

/// No signal: a receiver whose sender is gone never reads true.
pub fn no_signal() -> Interrupted {
    tokio::sync::watch::channel(false).1
}

impl Lab {
    pub fn access(&self, cluster: &str) -> Access {
        access_for(self.mock.publisher(cluster).unwrap(), &self.known_hosts).unwrap()
    }

    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("join-journal.json")
    }

    pub fn trace_journal(&self) -> PathBuf {
        self.dir.path().join("trace-journal.json")
    }

    /// `join` of `registering` to `registered_to` (the first `--hub`).
    pub fn request(&self, registered_to: &str, registering: &str, hub_to_hub: bool, method: Method) -> JoinRequest {
        JoinRequest {
            registered_to: self.access(registered_to),
            registering: self.access(registering),
            hub_to_hub,
            method,
            ca_certs: Vec::new(),
            check_first: false,
            sync_minutes: 10,
            journal: self.journal(),
            trace_journal: self.trace_journal(),
            download_dir: self.dir.path().join("traces"),
            capture: Duration::from_secs(25),
            poll: Duration::from_secs(1),
            progress: false,
            catalog: Default::default(),
        }
    }

    /// The full check of these hubs and spokes, with a forced registration.
    pub async fn check(&self, hubs: &[&str], spokes: &[&str]) -> Outcome {
        let req = super::live::check_request(
            hubs.iter().map(|h| self.access(h)).collect(),
            spokes.iter().map(|s| self.access(s)).collect(),
            self.dir.path().join("check-traces"),
            self.trace_journal(),
            25,
        );
        session::run(&req, std::future::pending()).await.unwrap()
    }

    /// Each cluster's configuration as the publishers hold it (role, ILS settings and password,
    /// registration server, tomcat-trust), the state of its ILS service and its trace level: what
    /// a join may change and an undo must put back.
    pub fn state(&self) -> String {
        self.mock.with_world(|w| {
            let mut out = String::new();
            for c in &w.scenario.clusters {
                out.push_str(&format!(
                    "{}: role {:?}, tls {} password {} ({:?}), registers to {:?}, trusts {:?} and CAs {:?}, service {:?}, level {:?}\n",
                    c.name,
                    c.role,
                    c.ils.use_tls,
                    c.ils.use_password,
                    c.ils.password,
                    c.ils.registration_server,
                    c.trust.tomcat_certs,
                    c.trust.ca_roots,
                    w.engine.service(&c.name),
                    w.engine.trace_level(&c.name),
                ));
            }
            out
        })
    }

    /// The access of a journalled publisher (what `undo` gets from the command line and the
    /// journal).
    pub fn reach(&self) -> impl Fn(&Reached) -> Result<Access, String> + '_ {
        move |r: &Reached| {
            self.mock
                .publishers()
                .iter()
                .map(|p| access_for(p, &self.known_hosts).unwrap())
                .find(|a| a.host == r.host && a.https_port == r.https_port)
                .ok_or_else(|| format!("no mock publisher {}", r.key))
        }
    }

    /// `HOST:SSH_PORT:HTTPS_PORT` of a cluster, as the command line takes it.
    pub fn spec(&self, cluster: &str) -> String {
        let a = self.access(cluster);
        format!("{}:{}:{}", a.host, a.ssh_port, a.https_port)
    }

    /// The binary with this network's connection options (pins, known_hosts, users, passwords
    /// in the environment, journals), ready for a subcommand's own arguments.
    pub fn binary(&self, subcommand: &str) -> Command {
        let any = self.mock.publishers().first().unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_ils-doctor"));
        c.arg(subcommand);
        c.args(["--admin-user", &any.admin_user, "--app-user", &any.app_user]);
        for p in self.mock.publishers() {
            let a = access_for(p, &self.known_hosts).unwrap();
            let TlsMode::Pin(pin) = &a.tls else { unreachable!() };
            c.args(["--pin", &format!("{}:{}={pin}", a.host, a.https_port)]);
        }
        c.arg("--known-hosts").arg(&self.known_hosts);
        c.arg("--journal").arg(self.journal());
        c.env("ILS_DOCTOR_ADMIN_PASSWORD", &any.password)
            .env("ILS_DOCTOR_APP_PASSWORD", &any.password)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state-home"))
            .env_remove("ILS_DOCTOR_ILS_PASSWORD")
            .env_remove("ILS_DOCTOR_PREVIOUS_ILS_PASSWORD")
            .stdin(Stdio::null());
        c
    }
}
