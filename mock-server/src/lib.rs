//! Placeholder; the mock-server crate is built under issue 4.
