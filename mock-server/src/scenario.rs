//! Scenario files: the TOML model of an ILS network that the mock imitates.
//!
//! A scenario lists clusters (one publisher each: the mock imitates publishers only, ILS runs on the
//! publisher, docs/cucm-notes.md#preconditions), their ILS configuration (role, registration
//! server, Use TLS / Use Password, password: docs/cucm-notes.md#auth-methods), their Tomcat
//! certificate and tomcat-trust contents (docs/cucm-notes.md#cert-cli), the ILS service state and
//! trace level (docs/cucm-notes.md#trace-level), clock skew (docs/cucm-notes.md#clock-skew), the
//! spoke's retry interval, and faults (docs/fault-matrix.md). Every table uses
//! `deny_unknown_fields`, so a typo is an error that names the field (see [`Scenario::from_toml`]).
//!
//! The scenario is the source of truth: the SSH CLI, AXL and the SDL simulator all read it, and
//! clients change it at run time (e.g. raising the ILS trace level through AXL).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// Error loading a scenario: the message names the file and the offending field.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or a field is unknown, missing or of the wrong type.
    #[error("invalid scenario {origin}: {message}")]
    Parse {
        /// File name or `<string>`.
        origin: String,
        /// toml's message, which names the field and the line.
        message: String,
    },
    /// The TOML is well formed but inconsistent (e.g. a registration server that names no cluster).
    #[error("invalid scenario {origin}: {message}")]
    Invalid {
        /// File name or `<string>`.
        origin: String,
        /// What is wrong, naming the field.
        message: String,
    },
}

/// A latency preset: `fast` answers at once; `field` uses documented guesses of what a real
/// publisher takes until someone measures one (docs/cucm-notes.md#latency).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyProfile {
    #[default]
    Fast,
    Field,
}

/// How long a publisher takes: a preset, and any value overridden (milliseconds; bytes per
/// second for downloads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    #[serde(default)]
    pub profile: LatencyProfile,
    /// SSH login to the first `admin:` prompt ("Command Line Interface is starting up").
    pub cli_start_ms: Option<u64>,
    /// A CLI command other than the ones below.
    pub cli_command_ms: Option<u64>,
    /// `run sql ...`.
    pub run_sql_ms: Option<u64>,
    /// `utils service restart|stop|start ...`: the command returns when the service has.
    pub service_restart_ms: Option<u64>,
    /// An AXL, Serviceability or UDS request other than `selectLogFiles`.
    pub soap_ms: Option<u64>,
    /// `selectLogFiles`.
    pub select_log_files_ms: Option<u64>,
    /// GetOneFile transfer rate.
    pub download_bytes_per_sec: Option<u64>,
}

/// The latency values in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delays {
    pub cli_start_ms: u64,
    pub cli_command_ms: u64,
    pub run_sql_ms: u64,
    pub service_restart_ms: u64,
    pub soap_ms: u64,
    pub select_log_files_ms: u64,
    pub download_bytes_per_sec: Option<u64>,
}

impl Latency {
    /// The `field` preset: guesses, not measurements (docs/cucm-notes.md#latency).
    pub const FIELD: Delays = Delays {
        cli_start_ms: 10_000,
        cli_command_ms: 2_000,
        run_sql_ms: 3_000,
        service_restart_ms: 60_000,
        soap_ms: 300,
        select_log_files_ms: 1_000,
        download_bytes_per_sec: Some(5_000_000),
    };

    /// The preset with the overrides applied.
    pub fn delays(&self) -> Delays {
        let base = match self.profile {
            LatencyProfile::Fast => Delays::default(),
            LatencyProfile::Field => Latency::FIELD,
        };
        Delays {
            cli_start_ms: self.cli_start_ms.unwrap_or(base.cli_start_ms),
            cli_command_ms: self.cli_command_ms.unwrap_or(base.cli_command_ms),
            run_sql_ms: self.run_sql_ms.unwrap_or(base.run_sql_ms),
            service_restart_ms: self.service_restart_ms.unwrap_or(base.service_restart_ms),
            soap_ms: self.soap_ms.unwrap_or(base.soap_ms),
            select_log_files_ms: self.select_log_files_ms.unwrap_or(base.select_log_files_ms),
            download_bytes_per_sec: self.download_bytes_per_sec.or(base.download_bytes_per_sec),
        }
    }

    /// How long the CLI takes to answer `line`.
    pub fn command_ms(d: &Delays, line: &str) -> u64 {
        let l = line.trim().to_ascii_lowercase();
        if l.starts_with("run sql") {
            d.run_sql_ms
        } else if ["utils service restart ", "utils service stop ", "utils service start "]
            .iter()
            .any(|p| l.starts_with(p))
        {
            // Only these wait for the service; `utils service list` is an ordinary command.
            d.service_restart_ms
        } else if l.is_empty()
            || l.starts_with("set cli")
            || l.starts_with("-----")
            || !l.contains(' ') && l.len() >= 40
        {
            // Pasted certificate lines (base64, BEGIN/END) are read, not run.
            0
        } else {
            d.cli_command_ms
        }
    }
}

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used for host-key file names and in the binary's output.
    pub name: String,
    /// What the scenario shows (free text).
    #[serde(default)]
    pub description: String,
    /// Simulation clock and trace file settings.
    #[serde(default)]
    pub simulation: SimulationSettings,
    /// Faults applied to every publisher (they can be changed per run, see `Running::set_faults`).
    #[serde(default)]
    pub faults: Faults,
    /// How long the publishers take to answer (`fast` by default).
    #[serde(default)]
    pub latency: Latency,
    /// The clusters, as `[[cluster]]` tables. One publisher is started per cluster.
    #[serde(rename = "cluster")]
    pub clusters: Vec<Cluster>,
}

/// Simulation settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulationSettings {
    /// True (UTC) start time of [`crate::simulate`]'s default window, RFC 3339.
    pub start: String,
    /// Length of the default window in seconds.
    pub duration_s: u64,
    /// Roll-over size of an SDL file, in bytes of uncompressed text. ILS defaults are not known
    /// [NF, docs/cucm-notes.md#trace-rollover]; CallManager rolls at "10 MB" [3P]. Small here so
    /// tests see roll-over.
    pub roll_size_bytes: usize,
    /// Interval between `SdlStat` noise lines, seconds (the sample says `Period: 6s` [3P:
    /// docs/cucm-notes.md#sdl-line]).
    pub noise_interval_s: u64,
}

impl Default for SimulationSettings {
    fn default() -> Self {
        SimulationSettings {
            start: "2026-11-25T08:00:00Z".into(),
            duration_s: 600,
            roll_size_bytes: 64 * 1024,
            noise_interval_s: 6,
        }
    }
}

/// ILS role (GUI labels "Hub Cluster" / "Spoke Cluster", docs/cucm-notes.md#axl-ils).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Hub cluster.
    Hub,
    /// Spoke cluster.
    Spoke,
    /// Not in an ILS network (wording unconfirmed [I]).
    StandAlone,
}

impl Role {
    /// The AXL/GUI string.
    pub fn label(self) -> &'static str {
        match self {
            Role::Hub => "Hub Cluster",
            Role::Spoke => "Spoke Cluster",
            Role::StandAlone => "Stand Alone Cluster",
        }
    }
}

/// State of the Cisco Intercluster Lookup Service (docs/cucm-notes.md#service-list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// `[STARTED]`.
    Started,
    /// `[STOPPED]  Commanded Out of Service`.
    Stopped,
    /// `[STOPPED]  Service Not Activated` ([I] from other services' lines).
    NotActivated,
}

/// Debug trace levels and their claimed `processnodeservice.tracelevel` values (cumulative
/// bitmask; third-party claim, UNVERIFIED: docs/cucm-notes.md#trace-level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceLevel {
    /// 1
    Error,
    /// 3
    Special,
    /// 7
    StateTransition,
    /// 15 (probably the ILS default [I], docs/cucm-notes.md#trace-level)
    Significant,
    /// 31
    EntryExit,
    /// 63
    Arbitrary,
    /// 127
    Detailed,
}

impl TraceLevel {
    /// All levels, lowest first.
    pub const ALL: [TraceLevel; 7] = [
        TraceLevel::Error,
        TraceLevel::Special,
        TraceLevel::StateTransition,
        TraceLevel::Significant,
        TraceLevel::EntryExit,
        TraceLevel::Arbitrary,
        TraceLevel::Detailed,
    ];

    /// The numeric DB value (UNVERIFIED third-party claim).
    pub fn value(self) -> u32 {
        match self {
            TraceLevel::Error => 1,
            TraceLevel::Special => 3,
            TraceLevel::StateTransition => 7,
            TraceLevel::Significant => 15,
            TraceLevel::EntryExit => 31,
            TraceLevel::Arbitrary => 63,
            TraceLevel::Detailed => 127,
        }
    }

    /// The level for a DB value; unknown values map to the highest level not above them.
    pub fn from_value(v: i64) -> TraceLevel {
        let mut best = TraceLevel::Error;
        for l in TraceLevel::ALL {
            if i64::from(l.value()) <= v {
                best = l;
            }
        }
        best
    }

    /// The name `typetracelevelgrouping` shows (docs/cucm-notes.md#trace-level).
    pub fn name(self) -> &'static str {
        match self {
            TraceLevel::Error => "Error",
            TraceLevel::Special => "Special",
            TraceLevel::StateTransition => "State Transition",
            TraceLevel::Significant => "Significant",
            TraceLevel::EntryExit => "Entry/Exit",
            TraceLevel::Arbitrary => "Arbitrary",
            TraceLevel::Detailed => "Detailed",
        }
    }
}

/// Kind of the cluster's Tomcat certificate (also served on the mock's HTTPS port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertKind {
    /// "Self-signed certificate generated by system".
    SelfSigned,
    /// Signed by the scenario CA named in [`Tomcat::ca`].
    CaSigned,
}

/// The cluster's ILS configuration (ILS Configuration window, docs/cucm-notes.md#auth-methods).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ils {
    /// "Use TLS Certificates".
    #[serde(default)]
    pub use_tls: bool,
    /// "Use Password".
    #[serde(default)]
    pub use_password: bool,
    /// The ILS password (must be the same on all clusters).
    #[serde(default)]
    pub password: String,
    /// Cisco Intercluster Lookup Service state.
    #[serde(default = "default_started")]
    pub service: ServiceState,
    /// Debug trace level of the ILS service at start.
    #[serde(default = "default_level")]
    pub trace_level: TraceLevel,
    /// Seconds between a spoke's registration attempts while not registered.
    #[serde(default = "default_retry")]
    pub retry_interval_s: u64,
    /// Whether the ILS listener answers on 7501/7502 (false: a firewall drops the port).
    #[serde(default = "yes")]
    pub listening: bool,
    /// Cluster (by `name`) this cluster registers to: the hub for a spoke ("Registration Server").
    #[serde(default)]
    pub registration_server: Option<String>,
    /// FQDNs already in this cluster's PeerInfoVector (after an earlier password join, method 4).
    #[serde(default)]
    pub peer_info_vector: Vec<String>,
}

fn default_started() -> ServiceState {
    ServiceState::Started
}
fn default_level() -> TraceLevel {
    TraceLevel::Significant
}
fn default_retry() -> u64 {
    60
}
fn yes() -> bool {
    true
}

/// The Tomcat certificate (docs/cucm-notes.md#cert-cli).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tomcat {
    /// Self-signed or CA-signed.
    #[serde(default = "default_kind")]
    pub kind: CertKind,
    /// Name of the signing CA when CA-signed.
    #[serde(default = "default_ca")]
    pub ca: String,
    /// The certificate has expired.
    #[serde(default)]
    pub expired: bool,
}

fn default_kind() -> CertKind {
    CertKind::SelfSigned
}
fn default_ca() -> String {
    "Mock Enterprise Root CA".into()
}

impl Default for Tomcat {
    fn default() -> Self {
        Tomcat { kind: CertKind::SelfSigned, ca: default_ca(), expired: false }
    }
}

/// tomcat-trust contents (docs/cucm-notes.md#cert-cli).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// Clusters (by `name`) whose Tomcat certificate is imported into this tomcat-trust.
    #[serde(default)]
    pub tomcat_certs: Vec<String>,
    /// Root CAs (by CA name) in this tomcat-trust.
    #[serde(default)]
    pub ca_roots: Vec<String>,
}

/// Clock of the publisher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// Local UTC offset shown in FileHead (`UTC:+01:00`), `+HH:MM` or `-HH:MM`.
    #[serde(default = "default_offset")]
    pub utc_offset: String,
    /// Skew of this publisher's clock against true time, milliseconds (positive = ahead).
    #[serde(default)]
    pub skew_ms: i64,
}

fn default_offset() -> String {
    "+00:00".into()
}

impl Default for Clock {
    fn default() -> Self {
        Clock { utc_offset: default_offset(), skew_ms: 0 }
    }
}

/// Credentials and CLI behaviour of the publisher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// OS administrator (SSH) user.
    #[serde(default = "default_admin")]
    pub admin_user: String,
    /// Application (AXL/Serviceability) user.
    #[serde(default = "default_app")]
    pub app_user: String,
    /// Password of both users unless the environment variable [`Access::password_env`] is set.
    #[serde(default = "default_password")]
    pub password: String,
    /// Environment variable that overrides [`Access::password`].
    #[serde(default)]
    pub password_env: Option<String>,
    /// Offer only keyboard-interactive SSH authentication (docs/cucm-notes.md#ssh-session).
    #[serde(default)]
    pub keyboard_interactive_only: bool,
    /// Delay before the first prompt, showing "CLI is starting up" meanwhile, milliseconds.
    #[serde(default)]
    pub cli_start_delay_ms: u64,
    /// Pre-authentication SSH banner (none by default; many sites set a legal notice).
    #[serde(default)]
    pub banner: Option<String>,
    /// An application user with the right password but without the AXL API access role: AXL
    /// answers it 403 (docs/cucm-notes.md#axl-get).
    #[serde(default)]
    pub no_axl_role_user: Option<String>,
    /// An application user with the right password and only the read-only AXL role: reads
    /// work, writes (updateIlsConfig, updateProcessNodeService, executeSQLUpdate) get 401
    /// (docs/cucm-notes.md#axl-transport).
    #[serde(default)]
    pub read_only_axl_user: Option<String>,
    /// The SSH algorithms the publisher offers (docs/cucm-notes.md#ssh-algorithms).
    #[serde(default)]
    pub ssh_profile: SshProfile,
    /// The one algorithm per category of the `restricted` profile.
    #[serde(default)]
    pub ssh_restricted: SshRestricted,
}

/// Which SSH algorithm offer a publisher makes (docs/cucm-notes.md#ssh-algorithms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SshProfile {
    /// russh's defaults and an Ed25519 host key.
    #[default]
    Modern,
    /// An OpenSSH 5.x-era offer: group-exchange-sha1 and group14-sha1, aes-ctr and aes-cbc,
    /// hmac-sha1 only, an ssh-rsa host key.
    Legacy,
    /// One algorithm per category, as an administrator's Cipher Management page leaves it.
    Restricted,
    /// diffie-hellman-group1-sha1 only, CBC ciphers, hmac-sha1, ssh-rsa.
    LegacyWeak,
}

impl SshProfile {
    /// All profiles, in the order of their names.
    pub const ALL: [SshProfile; 4] =
        [SshProfile::Modern, SshProfile::Legacy, SshProfile::Restricted, SshProfile::LegacyWeak];

    /// The name used in scenarios and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SshProfile::Modern => "modern",
            SshProfile::Legacy => "legacy",
            SshProfile::Restricted => "restricted",
            SshProfile::LegacyWeak => "legacy-weak",
        }
    }

    /// The profile of that name.
    pub fn parse(name: &str) -> Option<SshProfile> {
        SshProfile::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The `restricted` profile's single algorithm of each category (OpenSSH names).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SshRestricted {
    /// Key exchange.
    pub kex: String,
    /// Cipher (both directions).
    pub cipher: String,
    /// MAC (both directions; ignored by AEAD ciphers).
    pub mac: String,
    /// Host key algorithm: `ssh-ed25519`, or `ssh-rsa`, `rsa-sha2-256`, `rsa-sha2-512` (an RSA key).
    pub host_key: String,
}

impl Default for SshRestricted {
    fn default() -> Self {
        SshRestricted {
            kex: "ecdh-sha2-nistp256".into(),
            cipher: "aes256-ctr".into(),
            mac: "hmac-sha2-256".into(),
            host_key: "rsa-sha2-256".into(),
        }
    }
}

fn default_admin() -> String {
    "admin".into()
}
fn default_app() -> String {
    "axladmin".into()
}
fn default_password() -> String {
    "Mock-Pass-1".into()
}

impl Default for Access {
    fn default() -> Self {
        Access {
            admin_user: default_admin(),
            app_user: default_app(),
            password: default_password(),
            password_env: None,
            keyboard_interactive_only: false,
            cli_start_delay_ms: 0,
            banner: None,
            no_axl_role_user: None,
            read_only_axl_user: None,
            ssh_profile: SshProfile::Modern,
            ssh_restricted: SshRestricted::default(),
        }
    }
}

/// One cluster, represented by its publisher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Key used by other clusters' `registration_server` and `trust.tomcat_certs`.
    pub name: String,
    /// Enterprise parameter Cluster ID (`StandAloneCluster` is the default and breaks ILS).
    pub cluster_id: String,
    /// Publisher FQDN.
    pub fqdn: String,
    /// Publisher IP as the traces and `show network cluster` show it (the mock listens on loopback).
    pub ip: String,
    /// Active version, e.g. `14.0.1.11900-132`.
    #[serde(default = "default_version")]
    pub version: String,
    /// ILS role.
    pub role: Role,
    /// SDL node id (`SDL001_...`, TCPPid `[1, 600, ...]`).
    #[serde(default = "one")]
    pub node_id: u32,
    /// ILS peer id (32 hex digits); derived from the name when absent.
    #[serde(default)]
    pub peer_id: Option<String>,
    /// ILS configuration.
    pub ils: Ils,
    /// Tomcat certificate.
    #[serde(default)]
    pub tomcat: Tomcat,
    /// tomcat-trust contents.
    #[serde(default)]
    pub trust: Trust,
    /// Clock.
    #[serde(default)]
    pub clock: Clock,
    /// Credentials and CLI behaviour.
    #[serde(default)]
    pub access: Access,
    /// Free text for `utils ils showpeerinfo` (no real sample exists [NF, docs/cucm-notes.md#showpeerinfo]).
    #[serde(default)]
    pub showpeerinfo: Option<String>,
    /// Extra or overriding SQL tables for `run sql` / executeSQLQuery, by table name.
    #[serde(default)]
    pub tables: BTreeMap<String, Table>,
}

fn default_version() -> String {
    "14.0.1.11900-132".into()
}
fn one() -> u32 {
    1
}

/// A SQL table: column names and rows of string values (`NULL` for SQL NULL).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Column names, lower case.
    pub columns: Vec<String>,
    /// Rows; each as long as `columns`.
    #[serde(default)]
    pub rows: Vec<Vec<String>>,
}

/// Faults (docs/fault-matrix.md). All off by default.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Close a GetOneFile download after this many bytes of the file.
    pub drop_download_after_bytes: Option<u64>,
    /// Throttle file transfers to this many bytes per second.
    pub download_bytes_per_sec: Option<u64>,
    /// Answer every Nth HTTPS request with [`Faults::throttle_status`].
    pub throttle_every_nth: Option<u64>,
    /// 503 (write throttle) or 599 (version) for throttled requests; 503 when absent.
    pub throttle_status: Option<u16>,
    /// SOAP operations (AXL's `executeSQLQuery`, log collection's `selectLogFiles`) that always
    /// answer a SOAP fault.
    pub soap_fault_operations: Vec<String>,
    /// Row count above which executeSQLQuery answers "Query request too large".
    pub query_too_large_rows: Option<usize>,
    /// The publisher rejects the configured password (SSH and HTTPS).
    pub wrong_password: bool,
    /// The SSH host key differs from the persisted one (a rotated key).
    pub host_key_changed: bool,
    /// The pager appears even after `set cli pagination off`.
    pub pager_ignores_off: bool,
    /// A CLI command (prefix) that prints nothing and never returns a prompt.
    pub hang_command: Option<String>,
    /// HTTPS certificate override: `expired` or `self_signed` regardless of the Tomcat setting.
    pub https_cert: Option<String>,
    /// Answer listNodeServiceLogs/selectLogFiles as MTOM `multipart/related` instead of `text/xml`.
    pub mtom_soap: bool,
    /// Serve an extra file of this many bytes (SDL noise lines) at [`BENCH_FILE`] through
    /// GetOneFile (not listed): for download throughput measurements.
    pub bench_file_bytes: Option<usize>,
    /// The keyboard-interactive prompt instead of `Password: ` (e.g. a one-time code); its
    /// answer is checked as a password, so a client that answers it with the password is seen.
    pub ki_prompt: Option<String>,
    /// Answer every HTTPS request with `302 Found` to this location (a client must not follow).
    pub redirect_to: Option<String>,
    /// Every paged `executeSQLQuery` (`SKIP n FIRST m`) answers a full page, forever.
    pub endless_pages: bool,
    /// The text of the SOAP faults of [`Faults::soap_fault_operations`] (terminal escapes,
    /// bidirectional controls: what a hostile publisher could send).
    pub fault_text: Option<String>,
    /// `set cert import trust tomcat` takes the pasted certificate and refuses it (no trust
    /// entry is added; the wording is invented, docs/cucm-notes.md#cert-import).
    pub refuse_cert_import: bool,
}

/// The path of the extra file of [`Faults::bench_file_bytes`].
pub const BENCH_FILE: &str = "/var/log/active/cm/trace/ils/sdl/SDL001_600_999999.txt";

impl Faults {
    /// True when no fault is set.
    pub fn is_empty(&self) -> bool {
        self == &Faults::default()
    }
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ScenarioError::Read { path: path.display().to_string(), source })?;
        Scenario::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates scenario text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = toml::from_str(text)
            .map_err(|e| ScenarioError::Parse { origin: origin.to_string(), message: e.to_string() })?;
        s.validate().map_err(|message| ScenarioError::Invalid { origin: origin.to_string(), message })?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), String> {
        if self.clusters.is_empty() {
            return Err("`cluster`: at least one [[cluster]] is required".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, c) in self.clusters.iter().enumerate() {
            if !names.insert(c.name.as_str()) {
                return Err(format!("`cluster[{i}].name`: duplicate name {:?}", c.name));
            }
            if c.ip.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(format!("`cluster[{i}].ip`: {:?} is not an IPv4 address", c.ip));
            }
            if let Some(p) = &c.peer_id {
                if p.len() != 32 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!("`cluster[{i}].peer_id`: {p:?} is not 32 hex digits"));
                }
            }
            if parse_offset_minutes(&c.clock.utc_offset).is_none() {
                return Err(format!(
                    "`cluster[{i}].clock.utc_offset`: {:?} is not +HH:MM or -HH:MM",
                    c.clock.utc_offset
                ));
            }
            if c.ils.retry_interval_s == 0 {
                return Err(format!("`cluster[{i}].ils.retry_interval_s`: must be > 0"));
            }
            for t in &c.trust.tomcat_certs {
                if !self.clusters.iter().any(|o| &o.name == t) {
                    return Err(format!("`cluster[{i}].trust.tomcat_certs`: no cluster named {t:?}"));
                }
            }
            for (tname, t) in &c.tables {
                if let Some(r) = t.rows.iter().position(|r| r.len() != t.columns.len()) {
                    return Err(format!(
                        "`cluster[{i}].tables.{tname}.rows[{r}]`: {} values for {} columns",
                        t.rows.get(r).map_or(0, Vec::len),
                        t.columns.len()
                    ));
                }
            }
        }
        for (i, c) in self.clusters.iter().enumerate() {
            if let Some(r) = &c.ils.registration_server {
                if r == &c.name {
                    return Err(format!("`cluster[{i}].ils.registration_server`: a cluster cannot register to itself"));
                }
                if self.cluster(r).is_none() {
                    return Err(format!("`cluster[{i}].ils.registration_server`: no cluster named {r:?}"));
                }
            }
        }
        chrono::DateTime::parse_from_rfc3339(&self.simulation.start).map_err(|e| format!("`simulation.start`: {e}"))?;
        Ok(())
    }

    /// The cluster with this `name`.
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The same scenario with every cluster's ILS trace level set to `level`.
    pub fn with_trace_level(mut self, level: TraceLevel) -> Scenario {
        for c in &mut self.clusters {
            c.ils.trace_level = level;
        }
        self
    }
}

impl Cluster {
    /// Host name: the first label of the FQDN.
    pub fn hostname(&self) -> &str {
        self.fqdn.split('.').next().unwrap_or(&self.fqdn)
    }

    /// The ILS peer id, given or derived from the name (FNV-1a, stable across runs).
    pub fn peer_id(&self) -> String {
        if let Some(p) = &self.peer_id {
            return p.to_ascii_lowercase();
        }
        let mut out = String::with_capacity(32);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for round in 0u8..2 {
            for b in self.name.bytes().chain([round]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            out.push_str(&format!("{h:016x}"));
        }
        out
    }

    /// The password in effect: the environment variable if set, else the scenario's.
    pub fn password(&self) -> String {
        self.access
            .password_env
            .as_ref()
            .and_then(|v| std::env::var(v).ok())
            .unwrap_or_else(|| self.access.password.clone())
    }

    /// The time-zone abbreviation Java prints for this offset (`Date.toString()`), e.g. `CET`.
    /// Real servers print their zone's own name; a fixed table is an approximation [I].
    pub fn zone_abbrev(&self) -> String {
        zone_abbrev(self.offset_minutes())
    }

    /// UTC offset in minutes (validated at load).
    pub fn offset_minutes(&self) -> i32 {
        parse_offset_minutes(&self.clock.utc_offset).unwrap_or(0)
    }
}

/// See [`Cluster::zone_abbrev`].
pub fn zone_abbrev(offset_min: i32) -> String {
    match offset_min {
        0 => "UTC".into(),
        60 => "CET".into(),
        120 => "EET".into(),
        -300 => "EST".into(),
        -360 => "CST".into(),
        -420 => "MST".into(),
        -480 => "PST".into(),
        330 => "IST".into(),
        o => format!("GMT{}{:02}:{:02}", if o < 0 { '-' } else { '+' }, o.abs() / 60, o.abs() % 60),
    }
}

/// Parses `+HH:MM` / `-HH:MM` into minutes.
pub fn parse_offset_minutes(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
name = "t"
[[cluster]]
name = "hub"
cluster_id = "HUB-CL"
fqdn = "cucm-hub.example.com"
ip = "10.0.0.1"
role = "hub"
[cluster.ils]
use_password = true
password = "x"
"#;

    #[test]
    fn minimal_scenario_loads_with_defaults() {
        let s = Scenario::from_toml(MIN, "min").unwrap();
        let c = &s.clusters[0];
        assert_eq!(c.hostname(), "cucm-hub");
        assert_eq!(c.ils.trace_level, TraceLevel::Significant);
        assert_eq!(c.ils.service, ServiceState::Started);
        assert_eq!(c.peer_id().len(), 32);
        assert_eq!(c.peer_id(), c.peer_id());
        assert_eq!(c.access.admin_user, "admin");
    }

    #[test]
    fn unknown_field_is_named() {
        let bad = MIN.replace("use_password = true", "use_pasword = true");
        let e = Scenario::from_toml(&bad, "bad.toml").unwrap_err().to_string();
        assert!(e.contains("use_pasword"), "{e}");
        assert!(e.contains("bad.toml"), "{e}");
    }

    #[test]
    fn missing_field_is_named() {
        let bad = MIN.replace("cluster_id = \"HUB-CL\"\n", "");
        let e = Scenario::from_toml(&bad, "m").unwrap_err().to_string();
        assert!(e.contains("cluster_id"), "{e}");
    }

    #[test]
    fn wrong_type_and_bad_values_are_named() {
        let e =
            Scenario::from_toml(&MIN.replace("\"hub\"\n[cluster", "\"boss\"\n[cluster"), "r").unwrap_err().to_string();
        assert!(e.contains("boss") || e.contains("role"), "{e}");
        let e = Scenario::from_toml(&MIN.replace("10.0.0.1", "ten"), "r").unwrap_err().to_string();
        assert!(e.contains("cluster[0].ip"), "{e}");
        let bad = format!("{MIN}registration_server = \"nowhere\"\n");
        let e = Scenario::from_toml(&bad, "r").unwrap_err().to_string();
        assert!(e.contains("registration_server"), "{e}");
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset_minutes("+01:00"), Some(60));
        assert_eq!(parse_offset_minutes("-05:30"), Some(-330));
        assert_eq!(parse_offset_minutes("01:00"), None);
        assert_eq!(parse_offset_minutes("+1:00"), None);
        assert_eq!(parse_offset_minutes(""), None);
    }

    #[test]
    fn trace_levels_round_trip() {
        for l in TraceLevel::ALL {
            assert_eq!(TraceLevel::from_value(i64::from(l.value())), l);
        }
        assert_eq!(TraceLevel::from_value(100), TraceLevel::Arbitrary);
        assert_eq!(TraceLevel::from_value(-5), TraceLevel::Error);
    }
}

#[cfg(test)]
mod latency_tests {
    use super::*;

    #[test]
    fn field_is_the_documented_guess_and_overrides_win() {
        let fast = Latency::default().delays();
        assert_eq!(fast, Delays::default());
        let mut l = Latency { profile: LatencyProfile::Field, ..Latency::default() };
        assert_eq!(l.delays(), Latency::FIELD);
        l.run_sql_ms = Some(7);
        let d = l.delays();
        assert_eq!((d.run_sql_ms, d.cli_command_ms), (7, 2_000));
        assert_eq!(Latency::command_ms(&d, "run sql select * from remotecluster"), 7);
        assert_eq!(Latency::command_ms(&d, "utils service restart Cisco Intercluster Lookup Service"), 60_000);
        assert_eq!(Latency::command_ms(&d, "show version active"), 2_000);
        assert_eq!(Latency::command_ms(&d, "set cli pagination off"), 0);
    }

    #[test]
    fn a_scenario_file_sets_it() {
        let l: Latency = toml::from_str("profile = \"field\"\ncli_command_ms = 50").unwrap();
        assert_eq!(l.delays().cli_command_ms, 50);
        assert_eq!(l.delays().soap_ms, 300);
        assert!(toml::from_str::<Latency>("profile = \"slow\"").is_err());
        assert!(toml::from_str::<Latency>("cli_comand_ms = 5").is_err(), "a misspelt key is refused");
    }
}
