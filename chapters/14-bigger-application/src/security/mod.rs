//! The service's cryptography, each piece in a file of its own: password hashes, access
//! tokens, and API keys with the signatures they make.

pub mod keys;
pub mod passwords;
pub mod tokens;
