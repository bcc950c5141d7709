//! What runs around or before the handlers: the checks on every request (trusted hosts, the
//! access log) and the two ways a caller proves who they are (a bearer token, a signature).

pub mod access_log;
pub mod bearer;
pub mod signed;
pub mod trusted_hosts;
