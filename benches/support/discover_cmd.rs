//! The one command both discovery benches run: `audit --discover` from the hubs, every name
//! mapped to its mock's loopback ports, under GNU time.

use std::path::{Path, PathBuf};
use std::process::Command;

use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::mock_pair::access_for;

#[path = "gnu_time.rs"]
pub mod gnu_time;

/// Where the mock networks are and how to log in to them.
pub struct Networks<'a> {
    /// Host names given as `--discover` start hosts.
    pub starts: &'a [String],
    /// `NAME=HOST:SSH:HTTPS` for every publisher.
    pub resolve: &'a [String],
    /// `HOST:PORT=SHA256` for every publisher.
    pub pins: &'a [String],
    pub creds: &'a Path,
    pub known_hosts: &'a Path,
    pub admin: &'a str,
    pub app: &'a str,
    /// The shared password, in `BENCH_PW` (the credentials file names it).
    pub password: &'a str,
}

/// `ils-doctor audit --discover ... --jobs JOBS` under GNU time, writing the inventory it found to
/// `inventory` and its downloads to `cache`; add further arguments before running it.
pub fn command(n: &Networks, jobs: &str, inventory: &Path, cache: &Path) -> Command {
    let mut cmd = gnu_time::command();
    cmd.args(["audit", "--discover-mapped-only", "--format", "summary", "--no-history"]);
    for s in n.starts {
        cmd.arg("--discover").arg(s);
    }
    for r in n.resolve {
        cmd.arg("--resolve").arg(r);
    }
    for p in n.pins {
        cmd.arg("--pin").arg(p);
    }
    cmd.arg("--discover-credentials").arg(n.creds).arg("--write-inventory").arg(inventory);
    cmd.args(["--admin-user", n.admin, "--app-user", n.app, "--jobs", jobs]);
    cmd.arg("--known-hosts").arg(n.known_hosts).arg("--cache-dir").arg(cache);
    cmd.env("BENCH_PW", n.password);
    cmd
}

/// The mocks of every network, and what the command needs of them: every publisher's name
/// mapped to its loopback ports and its certificate pinned, the hubs as start hosts.
#[derive(Default)]
pub struct Started {
    pub mocks: Vec<mock_server::Running>,
    pub starts: Vec<String>,
    pub resolve: Vec<String>,
    pub pins: Vec<String>,
    /// The shared password and the (admin, application) users of the first publisher.
    pub password: String,
    pub users: Option<(String, String)>,
}

impl Started {
    /// Adds one network's mock.
    pub fn add(&mut self, mock: mock_server::Running, known_hosts: &Path) {
        for p in mock.publishers() {
            let a = access_for(p, known_hosts).expect("the mock publisher's access");
            let TlsMode::Pin(pin) = &a.tls else { unreachable!("mock publishers are pinned") };
            self.resolve.push(format!("{}={}:{}:{}", p.fqdn, a.host, a.ssh_port, a.https_port));
            self.pins.push(format!("{}:{}={pin}", a.host, a.https_port));
            if p.name.starts_with("hub") {
                self.starts.push(p.fqdn.clone());
            }
            self.password = p.password.clone();
            self.users.get_or_insert((a.admin_user.clone(), a.app_user.clone()));
        }
        self.mocks.push(mock);
    }

    /// The networks for [`command`], with the credentials file and known-hosts file given.
    pub fn networks<'a>(&'a self, creds: &'a Path, known_hosts: &'a Path) -> Networks<'a> {
        let (admin, app) = self.users.as_ref().map(|(a, b)| (a.as_str(), b.as_str())).unwrap_or(("", ""));
        Networks {
            starts: &self.starts,
            resolve: &self.resolve,
            pins: &self.pins,
            creds,
            known_hosts,
            admin,
            app,
            password: &self.password,
        }
    }
}

/// The discovery credentials file in `dir`: both users from `BENCH_PW`.
pub fn credentials_file(dir: &Path) -> PathBuf {
    let creds = dir.join("creds.toml");
    std::fs::write(&creds, "[defaults]\nadmin_credential = \"env:BENCH_PW\"\napp_credential = \"env:BENCH_PW\"\n")
        .expect("write the credentials file");
    creds
}
