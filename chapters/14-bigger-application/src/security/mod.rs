//! The service's security, each piece in a file of its own: password hashes, access tokens
//! and the scheme that checks them on a request (`bearer`), API keys with the signatures they
//! make (and the check of a signed request) and their secrets encrypted at rest, and the
//! limits on guessing passwords.

pub mod bearer;
pub mod encryption;
pub mod keys;
pub mod limits;
pub mod passwords;
pub mod tokens;
