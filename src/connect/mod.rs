//! Talking to CUCM publishers: the SSH `admin:` CLI and the HTTPS SOAP services (AXL,
//! Serviceability log collection). The protocol logic that needs no socket (the CLI dialog, the
//! `run sql` table, SOAP envelopes, multipart bodies) lives in its own pure modules, tested on
//! bytes and fuzzed.

pub mod envelope;
pub mod known_hosts;
pub mod multipart;
pub mod record;
pub mod shell;
pub mod soap;
pub mod sql_table;
pub mod ssh;
pub mod tls;
