//! The service's security, each piece in a file of its own: password hashes, access tokens,
//! API keys with the signatures they make and their secrets encrypted at rest, and the
//! limits on guessing passwords.

pub mod encryption;
pub mod keys;
pub mod limits;
pub mod passwords;
pub mod tokens;
