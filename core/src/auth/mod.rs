//! Who may do what: roles and the actions they allow, passwords, and bearer tokens (API tokens,
//! share links).

mod password;
mod role;
mod token;

pub use password::{
    PasswordError, check_new_password, generate_password, hash_password, hash_password_blocking,
    verify_password, verify_password_blocking,
};
pub use role::{Action, Denied, Principal, Role, Via};
pub use token::{ApiTokenSecret, hash_token, new_token};

/// The client's address as authentication found it: the peer, or the nearest address a trusted
/// proxy forwarded. Set on every request; read by whatever records who did what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);
