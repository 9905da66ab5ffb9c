//! A mock network on loopback and the ways to run ils-doctor against it: in-process
//! (`check::run`) or as the binary (signals, pipes, exit codes).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ils_doctor::collect::publisher::Access;
use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::mock_pair::access_for;
use ils_doctor::pipeline::session::Request;
use mock_server::scenario::{Scenario, TraceLevel};

/// The check of `hubs` and `spokes` with a forced registration: traces into `download_dir`,
/// trace levels journalled in `journal`, polled every second for at most `capture_s`.
pub fn check_request(
    hubs: Vec<Access>,
    spokes: Vec<Access>,
    download_dir: PathBuf,
    journal: PathBuf,
    capture_s: u64,
) -> Request {
    Request {
        hubs,
        spokes,
        capture: Duration::from_secs(capture_s),
        since: Duration::from_secs(7200),
        keep_trace_level: false,
        detailed_value: None,
        force_registration: true,
        start_stopped: false,
        method: None,
        download_dir,
        journal,
        progress: false,
        poll: Duration::from_secs(1),
        catalog: Default::default(),
        preflight_only: false,
    }
}

/// Waits for a child process to end; fails the test past `limit`.
pub fn wait_child(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(started.elapsed() < limit, "the run did not end within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct Net {
    pub mock: mock_server::Running,
    pub hub: Access,
    pub spokes: Vec<Access>,
    /// Cluster names, hub first, in the order of `hub` and `spokes`.
    pub names: Vec<String>,
    pub dir: tempfile::TempDir,
}

/// Starts a bundled scenario (hub named `hub`, spokes named `spoke*`).
pub fn start(scenario: &str) -> Net {
    start_scenario(mock_server::bundled::load(scenario).unwrap().unwrap())
}

pub fn start_scenario(s: Scenario) -> Net {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_server::start_with(
        s,
        mock_server::Options { state_dir: Some(dir.path().join("state")), ..Default::default() },
    )
    .unwrap();
    let kh = dir.path().join("known_hosts");
    let hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let mut names = vec!["hub".to_string()];
    let mut spokes = Vec::new();
    for p in mock.publishers().iter().filter(|p| p.name.starts_with("spoke")) {
        spokes.push(access_for(p, &kh).unwrap());
        names.push(p.name.clone());
    }
    Net { mock, hub, spokes, names, dir }
}

impl Net {
    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("journal.json")
    }

    pub fn request(&self, capture_s: u64) -> Request {
        check_request(
            vec![self.hub.clone()],
            self.spokes.clone(),
            self.dir.path().join("traces"),
            self.journal(),
            capture_s,
        )
    }

    /// Every publisher's ILS trace level, hub first.
    pub fn levels(&self) -> Vec<Option<TraceLevel>> {
        self.mock.with_world(|w| self.names.iter().map(|n| w.engine.trace_level(n)).collect())
    }

    pub fn access(&self, name: &str) -> &Access {
        match self.names.iter().position(|n| n == name) {
            Some(0) => &self.hub,
            Some(i) => &self.spokes[i - 1],
            None => panic!("no publisher {name}"),
        }
    }

    fn pin(a: &Access) -> String {
        match &a.tls {
            TlsMode::Pin(p) => format!("{}:{}={p}", a.host, a.https_port),
            _ => panic!("pinned"),
        }
    }

    /// The binary with the connection options of this network (pins, known_hosts, users,
    /// passwords in the environment, journal), ready for a subcommand's own arguments.
    pub fn binary(&self, subcommand: &str) -> Command {
        let mut c = self.binary_unpinned(subcommand);
        for a in std::iter::once(&self.hub).chain(&self.spokes) {
            c.args(["--pin", &Self::pin(a)]);
        }
        c
    }

    /// As [`Net::binary`], without the pins: the publishers' self-signed certificates are then
    /// verified against the system roots, and refused.
    pub fn binary_unpinned(&self, subcommand: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ils-doctor"));
        c.arg(subcommand);
        c.args(["--admin-user", &self.hub.admin_user, "--app-user", &self.hub.app_user]);
        c.arg("--known-hosts").arg(&self.hub.known_hosts);
        c.arg("--journal").arg(self.journal());
        c.env("ILS_DOCTOR_ADMIN_PASSWORD", self.hub.admin_password.expose())
            .env("ILS_DOCTOR_APP_PASSWORD", self.hub.app_password.expose())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state-home"))
            .stdin(Stdio::null());
        c
    }

    /// `check` on the binary against the hub and every spoke.
    pub fn check_command(&self, capture: &str) -> Command {
        self.check_args(self.binary("check"), capture)
    }

    /// `check`'s publishers, download folder, capture and JSON added to `c`.
    pub fn check_args(&self, mut c: Command, capture: &str) -> Command {
        c.args(["--hub", &format!("{}:{}:{}", self.hub.host, self.hub.ssh_port, self.hub.https_port)]);
        for s in &self.spokes {
            c.args(["--spoke", &format!("{}:{}:{}", s.host, s.ssh_port, s.https_port)]);
        }
        c.arg("--download-dir").arg(self.dir.path().join("traces"));
        c.args(["--capture", capture, "--format", "json"]);
        c
    }

    /// `restore` on the binary (the application user only: no SSH password given).
    pub fn restore_command(&self) -> Command {
        let mut c = self.binary("restore");
        c.env_remove("ILS_DOCTOR_ADMIN_PASSWORD");
        c
    }
}

/// Records another Ed25519 key for `a`'s SSH address in its known_hosts: a rotated (or
/// impostor) key, as the client sees it.
pub fn plant_other_host_key(a: &Access) {
    let entry = format!("[{}]:{} ", a.host, a.ssh_port);
    let kh = std::fs::read_to_string(&a.known_hosts).unwrap_or_default();
    let planted: Vec<String> = kh
        .lines()
        .map(|l| {
            if l.starts_with(&entry) {
                format!("{entry}ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&a.known_hosts, planted.join("\n") + "\n").unwrap();
}

/// `check --format json` on the binary against a replay of the record `rec` (hub first by its
/// recorded role), with `args`; the replay stays up while the result lives.
pub fn check_replay(rec: &Path, dir: &Path, args: &[&str]) -> (std::process::Output, mock_server::replay::Replaying) {
    let replay = mock_server::replay::start_replay(
        rec,
        mock_server::replay::ReplayOptions { timing: false, state_dir: Some(dir.join("replay-state")) },
    )
    .unwrap();
    let kh = dir.join("replay_known_hosts");
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ils-doctor"));
    c.arg("check").arg("--known-hosts").arg(&kh).arg("--journal").arg(dir.join("replay-journal.json"));
    let mut pubs: Vec<&mock_server::replay::Replayed> = replay.publishers().iter().collect();
    pubs.sort_by_key(|p| p.role.as_deref() != Some("hub"));
    for (i, p) in pubs.iter().enumerate() {
        let a = access_for(&p.info, &kh).unwrap();
        let ils_doctor::connect::tls::TlsMode::Pin(pin) = &a.tls else { unreachable!() };
        c.args(["--pin", &format!("{}:{}={pin}", a.host, a.https_port)]);
        c.args([if i == 0 { "--hub" } else { "--spoke" }, &format!("{}:{}:{}", a.host, a.ssh_port, a.https_port)]);
    }
    c.arg("--download-dir").arg(dir.join("replay-traces"));
    c.args(args).args(["--format", "json"]);
    c.env("ILS_DOCTOR_ADMIN_PASSWORD", "any").env("ILS_DOCTOR_APP_PASSWORD", "any");
    c.env("XDG_CONFIG_HOME", dir.join("config")).env("XDG_STATE_HOME", dir.join("state-home"));
    c.stdin(std::process::Stdio::null());
    (c.output().unwrap(), replay)
}
