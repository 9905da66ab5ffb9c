//! The ILS ports, which tell a line's writer and its connection's transport. How lines are
//! grouped into episodes (one side's view of one connection) is in `tracker.rs`.

/// The ILS listening ports: 7501 TLS, 7502 non-TLS (Cisco technote 200694).
pub const ILS_TLS_PORT: u16 = 7501;
pub const ILS_PLAIN_PORT: u16 = 7502;

pub fn is_ils_port(p: u16) -> bool {
    p == ILS_TLS_PORT || p == ILS_PLAIN_PORT
}
