//! The command line, declared with clap. Only declaration here: validation happens in
//! `commands`, exit codes and messages in `exit`. It names nothing of the crate but
//! [`crate::values`] and [`crate::VERSION`]: build.rs compiles it to write the man pages and
//! completions (docs/packaging.md).

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::values::{ArchiveFormat, Format, Kind, Method};

const EXAMPLES: &str = "\
Examples:
  Diagnose from traces downloaded from both publishers (activelog cm/trace/ils/sdl):
    ils-doctor analyze --hub ./hub-traces --spoke ./spoke-traces

  Only the last hour of a support case, as JSON for a ticket or a script:
    ils-doctor analyze --hub hub/ --spoke spoke/ --from '2026-11-25 09:00' --format json

  A report to attach to a case (one self-contained HTML file, or Markdown for the ticket):
    ils-doctor analyze --hub hub/ --spoke spoke/ --format html -o report.html

  Tell the analyzer the configured method when the traces leave it open:
    ils-doctor analyze --hub hub/ --spoke spoke/ --method tls_with_password

  Teach it a line from your CUCM version without a rebuild:
    ils-doctor analyze --hub hub/ --signatures my-lines.toml

Exit codes (monitoring-plugin convention): 0 ok, 1 warning (failures in the window but every
pair registered in the end), 2 critical (a pair's latest attempt failed), 3 unknown (no
attempt found, or an error prevented a verdict).";

/// Diagnoses Cisco CUCM Intercluster Lookup Service (ILS) registration between hub and spoke
/// clusters from their SDL traces.
#[derive(Debug, Parser)]
#[command(name = "ils-doctor", version = crate::VERSION, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check live publishers: read both sides, raise the ILS trace level, capture, diagnose, restore.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(Box<CheckArgs>),
    /// Run `check` against an embedded mock CUCM publisher pair, with no set-up.
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
    /// Diagnose ILS registration from SDL traces on disk, a support bundle or an RTMT download.
    #[command(after_help = EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Run `check` and write one support bundle (traces, configuration, CLI outputs, diagnosis).
    #[command(after_help = COLLECT_EXAMPLES)]
    Collect(Box<CollectArgs>),
    /// Audit many clusters from an inventory: a verdict per cluster and link, changes since the
    /// last run, and outputs for monitoring (JSON, JUnit, Prometheus).
    #[command(after_help = AUDIT_EXAMPLES)]
    Audit(Box<AuditArgs>),
    /// Show the recorded audit runs per cluster and link (the trend), from the history database.
    #[command(after_help = HISTORY_EXAMPLES)]
    History(HistoryArgs),
    /// Plan an ILS join of a spoke to its hub (or of a hub to another hub) and, with --apply,
    /// make it: roles, Registration Server, authentication, certificates, then a check.
    #[command(after_help = JOIN_EXAMPLES)]
    Join(Box<JoinArgs>),
    /// Take back what the last `join --apply` changed, from the join journal.
    #[command(after_help = UNDO_EXAMPLES)]
    Undo(UndoArgs),
    /// Put back the ILS trace levels a run left raised (from the journal).
    #[command(after_help = RESTORE_EXAMPLES)]
    Restore(RestoreArgs),
    /// Show the HTTPS certificate a publisher presents and pin it (like ssh's known_hosts).
    #[command(after_help = TRUST_EXAMPLES)]
    Trust(TrustArgs),
    /// Store or delete a password in the OS keyring.
    #[command(after_help = CREDENTIALS_EXAMPLES)]
    Credentials(CredentialsArgs),
    /// List the signature catalog (the trace lines ils-doctor recognises).
    #[command(after_help = SIGNATURES_EXAMPLES)]
    Signatures(SignaturesArgs),
    /// Read a `--record` transcript: what it shows that the documentation can only guess.
    #[command(after_help = TRANSCRIPT_EXAMPLES)]
    Transcript(TranscriptArgs),
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Write the man pages (ils-doctor.1 and one page per subcommand) into a folder.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const TRANSCRIPT_EXAMPLES: &str = "\
Examples:
  Record a check, then see what the record says about your publishers (SSH algorithms, command
  times, the version and status strings, trace level values, ILS lines ils-doctor does not know):
    ils-doctor check --hub hub --spoke spoke --record rec/ --redact
    ils-doctor transcript summarize rec/
    ils-doctor transcript summarize rec/ --format json";

/// `transcript`: work on a `--record` folder.
#[derive(Debug, Args)]
pub struct TranscriptArgs {
    #[command(subcommand)]
    pub action: TranscriptAction,
}

#[derive(Debug, Subcommand)]
pub enum TranscriptAction {
    /// Summarize a record: per publisher the SSH algorithms agreed, command and request times,
    /// version and status strings, trace level values; unknown ILS line shapes in its traces.
    Summarize(SummarizeArgs),
}

#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// The folder `--record` wrote.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Also load this signature file (lines it knows are not reported as unknown).
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// Output format (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  In this bash session, then in every new one (the Debian package installs bash, zsh and fish's):
    source <(ils-doctor completions bash)
    ils-doctor completions bash > ~/.local/share/bash-completion/completions/ils-doctor

  zsh and fish:
    ils-doctor completions zsh > ~/.zfunc/_ils-doctor
    ils-doctor completions fish > ~/.config/fish/completions/ils-doctor.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  The pages of this build, read without installing them:
    ils-doctor man /tmp/ils-doctor-man && man -l /tmp/ils-doctor-man/ils-doctor-audit.1

  For the current user (man finds them next to ~/.local/bin):
    ils-doctor man ~/.local/share/man/man1";

const DEMO_EXAMPLES: &str = "\
Examples:
  The default scenario (a failing registration, so the diagnosis shows):
    ils-doctor demo

  Every bundled scenario, then one of them as HTML:
    ils-doctor demo --list
    ils-doctor demo m1-password-mismatch --format html -o demo.html

  The scenario given as an option, as scripts written for earlier versions do:
    ils-doctor demo --scenario m1-password-mismatch";

const HISTORY_EXAMPLES: &str = "\
Examples:
  Every cluster and link over the last week:
    ils-doctor history --since 7d

  One cluster and the links it is part of, as JSON:
    ils-doctor history --cluster cucm-hub-a --format json

  A page with each link's last 30 runs as a sparkline and the failing links per network:
    ils-doctor history --format html -o ils-trends.html
    ils-doctor history --format markdown --since 30d";

const RESTORE_EXAMPLES: &str = "\
Examples:
  A run was killed while the ILS trace level was Detailed; put every level back:
    ils-doctor restore

  From another journal (a deep audit's, or a systemd unit's state directory):
    ils-doctor restore --journal /var/lib/ils-doctor/trace-journal.json

Entries held by a running ils-doctor are left to it. Exit code 3 when a level could not be put
back; the journal keeps it for the next run.";

const JOIN_EXAMPLES: &str = "\
Examples:
  What joining a spoke to its hub with a password (method 1) would change; nothing is changed:
    ils-doctor join --hub cucm-hub.example.com --spoke cucm-spoke.example.com --method password

  The same plan as JSON (the contract ils-doctor/join-plan/1), for a change ticket or a script:
    ils-doctor join --hub hub --spoke spoke --method tls --format json -o plan.json

  Make the changes: the plan is shown and confirmed on the terminal, each change journalled before
  it is made, then a check with a forced registration (the ILS password from ILS_DOCTOR_ILS_PASSWORD,
  `ils-doctor credentials set HUB --kind ils`, or a prompt; never the command line):
    ils-doctor join --hub hub --spoke spoke --method password --apply

  From a script (no question), reading first what the traces show (which hub the spoke dials, the
  method in use: what undo can then put back, and an empty plan when the link already works):
    ils-doctor join --hub hub --spoke spoke --method password --check-first --apply --yes

  TLS with password (method 3) with CA-signed Tomcat certificates, the CA given for tomcat-trust:
    ils-doctor join --hub hub --spoke spoke --method tls_with_password --ca-cert corp-root.pem

  A second hub joining the first (the hubs then mesh):
    ils-doctor join --hub cucm-hub-a.example.com --hub cucm-hub-b.example.com --method password

  Take the last apply back:
    ils-doctor undo

Exit codes: without --apply, 0 nothing to change, 2 changes needed, 3 no plan can work (the
reason is printed) or an error. With --apply, 0 applied and the check says the link is OK, 1 the
check warns, 2 the check says critical, 3 stopped (an error, Ctrl-C, SIGTERM: the journal says
what was made, `ils-doctor undo` takes it back).";

const UNDO_EXAMPLES: &str = "\
Examples:
  Take back what the last `ils-doctor join --apply` changed (asks first on a terminal):
    ils-doctor undo

  From a script, putting the spoke's old ILS password back too (it can only be given: no
  publisher shows it):
    ILS_DOCTOR_PREVIOUS_ILS_PASSWORD_CUCMx2dSPOKE_EXAMPLE_COM=... ils-doctor undo --yes

Undo deletes the tomcat-trust entries the join imported, stops a service it started, writes back
the ILS role and whatever a check's traces showed of the settings before, and restarts ILS. What
was never readable (the password, Use TLS / Use Password, the Registration Server without
--check-first) stays as the join set it, and undo says so. Exit code 0 when everything it could
undo is undone, 3 otherwise (the journal keeps the rest for the next undo).";

const TRUST_EXAMPLES: &str = "\
Examples:
  Compare the fingerprint with the tomcat certificate in Cisco Unified OS Administration, then pin:
    ils-doctor trust cucm-hub.example.com

  A publisher whose HTTPS listens elsewhere (the same HOST:SSH_PORT:HTTPS_PORT form as
  check --hub), pinned without a prompt (from a script):
    ils-doctor trust cucm-hub.example.com::9443 --yes";

const CREDENTIALS_EXAMPLES: &str = "\
Examples:
  Store the OS administrator's password for the SSH admin: CLI (asked, not echoed):
    ils-doctor credentials set cucm-hub.example.com --kind admin

  Store the AXL application user's password, then remove it again:
    ils-doctor credentials set cucm-hub.example.com --kind app
    ils-doctor credentials delete cucm-hub.example.com --kind app

  From a script: the password on standard input (its first line; never echoed):
    pass show cucm/axl | ils-doctor credentials set cucm-hub.example.com --kind app --stdin";

const SIGNATURES_EXAMPLES: &str = "\
Examples:
  The built-in catalog:
    ils-doctor signatures

  Check a signature file of your own and see the merged catalog as JSON:
    ils-doctor signatures --signatures my-lines.toml --format json";

const CHECK_EXAMPLES: &str = "\
Examples:
  One hub and one spoke (passwords from ILS_DOCTOR_ADMIN_PASSWORD / ILS_DOCTOR_APP_PASSWORD,
  the keyring, or a prompt):
    ils-doctor trust cucm-hub.example.com        # once per publisher: pin its Tomcat certificate
    ils-doctor check --hub cucm-hub.example.com --spoke cucm-spoke.example.com --app-user axladmin

  Force a fresh registration of an already registered spoke (restarts ILS on the spoke):
    ils-doctor check --hub hub --spoke spoke --force-registration --format html -o report.html

  Will TLS work? Check both sides' certificates first, changing nothing on the cluster
  (exit 2 when the configured method cannot succeed):
    ils-doctor check --hub hub --spoke spoke --preflight --method tls_with_password

  A run that died left a trace level raised:
    ils-doctor restore

Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown or error. The ILS trace level is restored on
success, error, Ctrl-C and SIGTERM; --keep-trace-level leaves Detailed on, on purpose.";

/// How to reach and trust publishers (shared by check, restore and trust).
#[derive(Debug, Args)]
pub struct ConnArgs {
    /// SSH port, when a host spec does not give one.
    #[arg(long, default_value_t = 22, value_name = "PORT")]
    pub ssh_port: u16,
    /// HTTPS port (AXL, Serviceability), when a host spec does not give one.
    #[arg(long, default_value_t = 8443, value_name = "PORT")]
    pub https_port: u16,
    /// OS administrator for the SSH admin: CLI.
    #[arg(long, default_value = "admin", env = "ILS_DOCTOR_ADMIN_USER", value_name = "USER")]
    pub admin_user: String,
    /// Application user with the AXL and Serviceability API roles.
    #[arg(long, default_value = "administrator", env = "ILS_DOCTOR_APP_USER", value_name = "USER")]
    pub app_user: String,
    /// Trust this CA (PEM) for HTTPS besides the system roots (e.g. the enterprise CA).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Pin a publisher's HTTPS certificate: HOST=SHA256 (repeatable); see `ils-doctor trust`.
    #[arg(long, value_name = "HOST=SHA256", action = ArgAction::Append)]
    pub pin: Vec<String>,
    /// Accept any HTTPS certificate (NOT recommended: anyone on the path can read the passwords).
    #[arg(long)]
    pub insecure: bool,
    /// OpenSSH known_hosts file for the publishers' SSH host keys [default: ~/.ssh/known_hosts].
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Record the SSH host key of a publisher seen for the first time (never a changed one).
    #[arg(long)]
    pub accept_new_host_key: bool,
    /// Also offer SSH algorithms that are weak (diffie-hellman-group1-sha1 key exchange, CBC
    /// ciphers), for a publisher that offers nothing better; see docs/security.md.
    #[arg(long)]
    pub legacy_ssh: bool,
    /// Timeout of each CLI command and SOAP request.
    #[arg(long, default_value = "120s", value_name = "DURATION")]
    pub command_timeout: String,
    /// Record every SSH and HTTPS exchange with each publisher, and the traces as downloaded,
    /// into DIR (one JSON Lines transcript per publisher, owner-only; no password is ever
    /// recorded); see docs/transcript.md. `--redact` pseudonymises it.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Mark the record as made against the mock (field tests).
    #[arg(long, hide = true, requires = "record")]
    pub record_synthetic: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Extra signatures (TOML, same format as the built-in catalog): same id replaces, new id adds.
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// A hub publisher: HOST, HOST:SSH_PORT or HOST:SSH_PORT:HTTPS_PORT. Repeat it for meshed
    /// hubs: their links to each other are checked like a spoke's to its hub.
    #[arg(
        long,
        value_name = "HOST",
        num_args = 1..,
        action = ArgAction::Append,
        required_unless_present = "cluster",
        conflicts_with = "cluster"
    )]
    pub hub: Vec<String>,
    /// A spoke publisher (same forms); repeat for several spokes.
    #[arg(long, value_name = "HOST", num_args = 1.., action = ArgAction::Append, conflicts_with = "cluster")]
    pub spoke: Vec<String>,
    /// Take the hub, spokes and users of this cluster from the config file.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The config file [default: $XDG_CONFIG_HOME/ils-doctor/config.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// How long to wait for registration attempts after raising the trace level.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub capture: String,
    /// When the level already was Detailed: how far back to read the traces instead of waiting.
    #[arg(long, default_value = "2h", value_name = "DURATION")]
    pub since: String,
    /// Leave the ILS trace level at Detailed afterwards (on purpose; the journal keeps the old one).
    #[arg(long)]
    pub keep_trace_level: bool,
    /// Time between two looks at the traces during the capture.
    #[arg(long, value_name = "DURATION", default_value = "10s", hide = true)]
    pub poll: String,
    /// Restart the running ILS service on the spokes (and on the hubs, when several are given) to
    /// force a registration (a registered pair is quiet). A stopped service is left stopped.
    #[arg(long, conflicts_with = "preflight")]
    pub force_registration: bool,
    /// With --force-registration: start an ILS service found stopped (`utils service start`)
    /// instead of leaving it stopped and reporting it.
    #[arg(long, requires = "force_registration")]
    pub start_stopped: bool,
    /// Only check the certificates: each side's Tomcat certificate against the other side's
    /// tomcat-trust, predicted per authentication method. Reads only; no trace level changed.
    #[arg(long, conflicts_with_all = ["keep_trace_level", "force_registration"])]
    pub preflight: bool,
    /// Numeric value of Detailed when the publisher does not say [default: read, else 127].
    #[arg(long, value_name = "N")]
    pub detailed_value: Option<u32>,
    /// The ILS authentication method configured, when known.
    #[arg(long, value_name = "METHOD", value_enum)]
    pub method: Option<Method>,
    /// Where to keep the downloaded traces [default: ./ils-doctor-<time>].
    #[arg(long, value_name = "DIR")]
    pub download_dir: Option<PathBuf>,
    /// The trace-level journal [default: $XDG_STATE_HOME/ils-doctor/trace-journal.json].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// With --record: host names, addresses and cluster IDs replaced by stable pseudonyms.
    #[arg(long, requires = "record")]
    pub redact: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

const COLLECT_EXAMPLES: &str = "\
Examples:
  A bundle for a support case (traces of both sides, configuration, CLI outputs, diagnosis):
    ils-doctor collect --hub cucm-hub.example.com --spoke cucm-spoke.example.com -o case-1234.tar.gz

  Redacted (host names, addresses and cluster IDs replaced; the mapping stays with you in
  case-1234.zip.mapping.json):
    ils-doctor collect --hub hub --spoke spoke --redact -o case-1234.zip

  The receiver, with no access to the clusters:
    ils-doctor analyze case-1234.tar.gz

Exit codes as for check: 0 ok, 1 warning, 2 critical, 3 unknown or error (then no bundle is left).";

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Extra signatures (TOML, same format as the built-in catalog): same id replaces, new id adds.
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// A hub publisher: HOST, HOST:SSH_PORT or HOST:SSH_PORT:HTTPS_PORT. Repeat it for meshed
    /// hubs: their links to each other are checked like a spoke's to its hub.
    #[arg(
        long,
        value_name = "HOST",
        num_args = 1..,
        action = ArgAction::Append,
        required_unless_present = "cluster",
        conflicts_with = "cluster"
    )]
    pub hub: Vec<String>,
    /// A spoke publisher (same forms); repeat for several spokes.
    #[arg(long, value_name = "HOST", num_args = 1.., action = ArgAction::Append, conflicts_with = "cluster")]
    pub spoke: Vec<String>,
    /// Take the hub, spokes and users of this cluster from the config file.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The config file [default: $XDG_CONFIG_HOME/ils-doctor/config.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// How long to wait for registration attempts after raising the trace level.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub capture: String,
    /// When the level already was Detailed: how far back to read the traces instead of waiting.
    #[arg(long, default_value = "2h", value_name = "DURATION")]
    pub since: String,
    /// Restart the running ILS service on the spokes (and on the hubs, when several are given) to
    /// force a registration (a registered pair is quiet). A stopped service is left stopped.
    #[arg(long)]
    pub force_registration: bool,
    /// With --force-registration: start an ILS service found stopped (`utils service start`)
    /// instead of leaving it stopped and reporting it.
    #[arg(long, requires = "force_registration")]
    pub start_stopped: bool,
    /// Numeric value of Detailed when the publisher does not say [default: read, else 127].
    #[arg(long, value_name = "N")]
    pub detailed_value: Option<u32>,
    /// The ILS authentication method configured, when known.
    #[arg(long, value_name = "METHOD", value_enum)]
    pub method: Option<Method>,
    /// Where to keep the downloaded traces [default: ./ils-doctor-<time>].
    #[arg(long, value_name = "DIR")]
    pub download_dir: Option<PathBuf>,
    /// The trace-level journal [default: $XDG_STATE_HOME/ils-doctor/trace-journal.json].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// The bundle to write (atomically): .tar.gz, or .zip.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    /// Archive format [default: from the -o name: .zip is zip, anything else tar.gz].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub archive: Option<ArchiveFormat>,
    /// Replace host names, addresses and cluster IDs everywhere with stable pseudonyms; the
    /// mapping is written next to the bundle (<FILE>.mapping.json, 0600), never inside.
    #[arg(long)]
    pub redact: bool,
    /// Format of the report printed on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Report output (shared).
const AUDIT_EXAMPLES: &str = "\
Examples:
  Every cluster of an inventory, read only (nothing is changed on the clusters):
    ils-doctor audit --inventory net.toml

  From cron, for node_exporter's textfile collector (written atomically):
    ils-doctor audit --inventory net.toml --format prometheus -o /var/lib/node_exporter/ils.prom

  For a CI dashboard, and the trend since yesterday:
    ils-doctor audit --inventory net.toml --format junit -o ils-junit.xml
    ils-doctor history --since 24h

  A page to open or forward: summary, changes, a map per network (links coloured by status):
    ils-doctor audit --inventory net.toml --format html -o ils-audit.html

  The full check per hub and its spokes (raises and restores ILS trace levels, two hubs at once):
    ils-doctor audit --inventory net.toml --deep --max-raised 2

  No inventory yet: discover the ILS networks from one hub (its remotecluster rows, then theirs),
  write what was found, and audit it, in one command. Only what you name is reached:
  NAME=HOST[:SSH_PORT[:HTTPS_PORT]] like curl's --resolve; a name a publisher reports that is
  not mapped is listed as \"not contacted\", never looked up:
    ils-doctor audit --discover hub-a.example.com --write-inventory net.toml \\
      --resolve hub-a.example.com=10.1.0.5 --resolve hub-b.example.com=10.2.0.5:2222:9443 \\
      --format html -o audit.html

  Users and credential references for the discovered publishers (a default, overrides per host);
  --discover-follow-names also reaches unmapped names that have their own [host.\"NAME\"] entry:
    ils-doctor audit --discover hub --discover-credentials creds.toml --discover-follow-names \\
      --discover-depth 2 --discover-max 300

Exit codes: the worst verdict wins (0 ok, 1 warning, 2 critical); 3 when a cluster could not be
assessed and none is critical, or when an error prevented the audit.";

/// How an audit is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// A summary line, changes, and a table per network.
    Text,
    /// The `ils-doctor/audit/1` document.
    Json,
    /// JUnit XML: a test case per link and per cluster.
    Junit,
    /// Prometheus text format for node_exporter's textfile collector.
    Prometheus,
    /// Only the one-line summary (for monitoring plugins).
    Summary,
    /// A page for people: summary, changes, and per network a map of its clusters and links.
    Html,
    /// The same in Markdown, with a Mermaid diagram per network.
    Markdown,
}

/// Audit many clusters from an inventory: verdicts, history, outputs for monitoring.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("clusters").required(true).args(["inventory", "discover"])))]
pub struct AuditArgs {
    /// Extra signatures (TOML, same format as the built-in catalog): same id replaces, new id adds.
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// The inventory (TOML): networks, their clusters, roles, ports, users, credential references.
    #[arg(long, value_name = "FILE", conflicts_with = "discover")]
    pub inventory: Option<PathBuf>,
    /// Find the ILS networks from this publisher (repeatable): its remotecluster rows and ILS
    /// role, then those of the clusters they name; the audit then runs over what was found.
    #[arg(long, value_name = "HOST", action = ArgAction::Append)]
    pub discover: Vec<String>,
    /// With --discover: hops from a start host at most.
    #[arg(long, value_name = "N", default_value_t = crate::values::DEFAULT_DEPTH, requires = "discover")]
    pub discover_depth: u8,
    /// With --discover: clusters recorded at most (further rows are counted, not followed).
    #[arg(long, value_name = "N", default_value_t = crate::values::DEFAULT_MAX, requires = "discover", value_parser = clap::value_parser!(u16).range(1..))]
    pub discover_max: u16,
    /// With --discover: contact a name a publisher reports only when --resolve maps it; the
    /// others are listed as not contacted. The default (kept for scripts that spell it out).
    #[arg(long, requires = "discover", conflicts_with = "discover_follow_names")]
    pub discover_mapped_only: bool,
    /// With --discover: also contact names publishers report that --resolve does not map, at
    /// their default ports, each with only the credentials its own [host."NAME"] entry of
    /// --discover-credentials lists (never the shared ones; names without one are not contacted).
    #[arg(long, requires = "discover")]
    pub discover_follow_names: bool,
    /// Contact NAME at HOST instead of looking NAME up (repeatable), like curl's --resolve.
    #[arg(long, value_name = "NAME=HOST[:SSH_PORT[:HTTPS_PORT]]", action = ArgAction::Append, requires = "discover")]
    pub resolve: Vec<String>,
    /// With --discover: users, ports, pins and credential references for the discovered
    /// publishers: [defaults] and [host."NAME"] tables (see docs/audit-outputs.md).
    #[arg(long, value_name = "FILE", requires = "discover")]
    pub discover_credentials: Option<PathBuf>,
    /// With --discover: write the inventory that was found to FILE (credential references only).
    #[arg(long, value_name = "FILE", requires = "discover")]
    pub write_inventory: Option<PathBuf>,
    /// Run the full check per hub and its spokes (raises and restores the ILS trace levels).
    #[arg(long)]
    pub deep: bool,
    /// How far back to read the traces the clusters already have.
    #[arg(long, default_value = "2h", value_name = "DURATION")]
    pub since: String,
    /// Clusters read at once.
    #[arg(short = 'j', long, value_name = "N", default_value_t = crate::values::DEFAULT_JOBS as u16, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Longest time one publisher may take before it is reported unknown.
    #[arg(long, default_value = "120s", value_name = "DURATION")]
    pub host_timeout: String,
    /// With --deep: hub groups whose trace levels may be raised at the same time.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_raised: u16,
    /// With --deep: how long to wait for registration attempts.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub capture: String,
    /// With --deep: restart ILS on the spokes to force a registration.
    #[arg(long)]
    pub force_registration: bool,
    /// The history database (default: $XDG_DATA_HOME/ils-doctor/history.sqlite).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Do not read or write the history.
    #[arg(long, conflicts_with = "history")]
    pub no_history: bool,
    /// Where traces are downloaded (default: $XDG_CACHE_HOME/ils-doctor/audit).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// With --deep: the trace-level journal [default: $XDG_STATE_HOME/ils-doctor/trace-journal.json].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Output format: for people (text, summary, html, markdown) or for monitoring (json, junit,
    /// prometheus; on an error these still get a document, status unknown).
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also print the one-line summary on standard error (useful with -o).
    #[arg(long)]
    pub summary: bool,
    /// With --record: host names, addresses and cluster IDs replaced by stable pseudonyms.
    #[arg(long, requires = "record")]
    pub redact: bool,
    /// Options for every publisher (the inventory's per-cluster values win).
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// The per-cluster trend recorded by `audit`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this cluster (and the links it is part of).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Only runs younger than this (e.g. 24h, 7d).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// The history database [default: $XDG_DATA_HOME/ils-doctor/history.sqlite].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Output format: text, json for scripts, html or markdown for a page with a sparkline per
    /// link (its last 30 runs) and the failing links per network over time.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Take report.md / report.html from this folder instead of the built-in templates.
    #[arg(long, value_name = "DIR")]
    pub template: Option<PathBuf>,
    /// Everything in the text report: every attempt with all its lines, the certificate check,
    /// traces, clock skew (the default is the verdict, each pair's cause, fix and key lines).
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// List the scenarios.
    #[arg(long)]
    pub list: bool,
    /// The scenario to run [default: m2-hub-cert-not-on-spoke, a refused certificate].
    #[arg(value_name = "SCENARIO", value_parser = scenario_names(), conflicts_with = "scenario")]
    pub name: Option<String>,
    /// The scenario to run, as an option (the same as SCENARIO).
    #[arg(long, value_name = "NAME", value_parser = scenario_names())]
    pub scenario: Option<String>,
    /// Keep the run's folder here (a new or empty folder): the traces the report cites stay
    /// where it says. Without it the folder is temporary and removed at the end.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The demo's scenarios with their descriptions: `--help`, the man page and the completions
/// list them, and any other name is refused with the list.
fn scenario_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        crate::values::scenario_hints()
            .map(|(name, description)| clap::builder::PossibleValue::new(name).help(description)),
    )
}

/// How a join plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// For a person or a change ticket: each step, why, its undo, what cannot be known.
    Text,
    /// The contract ils-doctor/join-plan/1 (docs/json-contract.md).
    Json,
}

/// `join`: plan, and with `--apply` make, the configuration of one ILS link.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The hub the other cluster registers to: HOST, HOST:SSH_PORT or HOST:SSH_PORT:HTTPS_PORT.
    /// Given twice, the second hub joins the first (a hub-to-hub link; the hubs then mesh).
    #[arg(long, value_name = "HOST", action = ArgAction::Append, required = true)]
    pub hub: Vec<String>,
    /// The spoke that registers to the hub (same forms).
    #[arg(long, value_name = "HOST")]
    pub spoke: Option<String>,
    /// The ILS authentication method to configure (technote 200694).
    #[arg(long, value_name = "METHOD", value_enum)]
    pub method: Method,
    /// Make the changes (the plan is shown and confirmed first); without it nothing is changed.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: do not ask (for scripts).
    #[arg(long, requires = "apply")]
    pub yes: bool,
    /// Run the full check first (raises and restores the ILS trace level, restarts ILS on the
    /// registering side), so the plan knows what the traces show: which cluster the registering
    /// side dials, the method in use, whether the link already works.
    #[arg(long)]
    pub check_first: bool,
    /// A CA certificate (PEM: the root, and intermediates) for methods 3 and 4, imported into a
    /// tomcat-trust that lacks it (repeatable).
    #[arg(long, value_name = "FILE", action = ArgAction::Append)]
    pub ca_cert: Vec<PathBuf>,
    /// "Synchronize Clusters Every" to write, in minutes (it cannot be read back).
    #[arg(long, value_name = "MINUTES", default_value_t = crate::values::DEFAULT_SYNC_MINUTES, value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub sync_minutes: u32,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The join journal [default: $XDG_STATE_HOME/ils-doctor/join-journal.json].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// The trace-level journal of the checks [default: $XDG_STATE_HOME/ils-doctor/trace-journal.json].
    #[arg(long, value_name = "FILE")]
    pub trace_journal: Option<PathBuf>,
    /// How long each check waits for the registration.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub capture: String,
    /// Time between two looks at the traces during a check.
    #[arg(long, value_name = "DURATION", default_value = "10s", hide = true)]
    pub poll: String,
    /// Where the checks keep the traces they download [default: ./ils-doctor-<time>].
    #[arg(long, value_name = "DIR")]
    pub download_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Write the plan (or the result of --apply) to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `undo`: take back the last apply.
#[derive(Debug, Args)]
pub struct UndoArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The join journal [default: $XDG_STATE_HOME/ils-doctor/join-journal.json].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Do not ask (for scripts).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The trace-level journal [default: $XDG_STATE_HOME/ils-doctor/trace-journal.json].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// With --record: host names, addresses and cluster IDs replaced by stable pseudonyms.
    #[arg(long, requires = "record")]
    pub redact: bool,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The publisher, in the same form as `check --hub`: HOST, HOST:SSH_PORT,
    /// HOST:SSH_PORT:HTTPS_PORT or HOST::HTTPS_PORT.
    pub host: String,
    /// HTTPS port, when the host does not give one.
    #[arg(long, default_value_t = 8443, value_name = "PORT")]
    pub https_port: u16,
    /// Pin without asking (after checking the fingerprint another way).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CredentialsArgs {
    #[command(subcommand)]
    pub action: CredentialsAction,
}

#[derive(Debug, Subcommand)]
pub enum CredentialsAction {
    /// Ask for a password (no echo), or read it from standard input, and store it in the OS
    /// keyring.
    Set {
        /// The publisher the password is for, as `check --hub` and `--spoke` name it.
        host: String,
        /// Which password.
        #[arg(long, value_enum)]
        kind: Kind,
        /// Read the password from standard input (its first line) instead of asking, for
        /// scripts; it is never echoed or printed.
        #[arg(long)]
        stdin: bool,
    },
    /// Remove a stored password.
    Delete {
        /// The publisher the password is for.
        host: String,
        /// Which password.
        #[arg(long, value_enum)]
        kind: Kind,
    },
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Bundles (.tar.gz, .zip, or extracted), RTMT downloads (folder or zip) or folders of SDL
    /// files: a bundle is verified against its manifest; other inputs get their side detected
    /// from their content (the decision is printed on stderr).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The hub's Cisco Intercluster Lookup Service traces: files (.txt, .txt.gz, .gzo) or folders.
    #[arg(long, value_name = "PATH", num_args = 1.., action = ArgAction::Append, required_unless_present_any = ["spoke", "inputs"])]
    pub hub: Vec<PathBuf>,
    /// The spoke's traces; repeat for several spokes. May be absent when only the hub's are at hand.
    #[arg(long, value_name = "PATH", num_args = 1.., action = ArgAction::Append)]
    pub spoke: Vec<PathBuf>,
    /// Only lines from this time: RFC 3339, or a local time like '2026-11-25 09:00' (the traces' own time).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only lines before this time (same forms as --from).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Extra signatures (TOML, same format as the built-in catalog): same id replaces, new id adds.
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// The ILS authentication method configured, when known; used where the traces leave it open.
    #[arg(long, value_name = "METHOD", value_enum)]
    pub method: Option<Method>,
    /// Files scanned in parallel (default: the number of cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
pub struct SignaturesArgs {
    /// Also load this signature file, to check it and see the merged catalog.
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The folder to write the pages into (created when missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn hub_and_spoke_take_several_values() {
        let cli = Cli::try_parse_from([
            "ils-doctor",
            "analyze",
            "--hub",
            "a",
            "b",
            "--spoke",
            "c",
            "--spoke",
            "d",
            "--method",
            "tls",
        ])
        .unwrap();
        let Command::Analyze(a) = cli.command else { panic!("not analyze") };
        assert_eq!(a.hub.len(), 2);
        assert_eq!(a.spoke.len(), 2);
        assert_eq!(a.method, Some(Method::Tls));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Cli::try_parse_from(["ils-doctor", "analyze"]).is_err());
        assert!(Cli::try_parse_from(["ils-doctor", "analyze", "--hub", "a", "--method", "magic"]).is_err());
        assert!(Cli::try_parse_from(["ils-doctor", "analyze", "--hub", "a", "-j", "0"]).is_err());
    }
}
