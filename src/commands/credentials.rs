//! `ils-doctor credentials`: store or delete a password in the OS keyring.

use crate::cli::{CredentialsAction, CredentialsArgs};
use crate::credentials;

pub fn run(args: CredentialsArgs) -> anyhow::Result<u8> {
    match args.action {
        CredentialsAction::Set { host, kind, stdin } => credentials::set(kind, &host, stdin)?,
        CredentialsAction::Delete { host, kind } => credentials::delete(kind, &host)?,
    }
    Ok(0)
}
