//! What runs around or before the handlers: the access log on every request, and the two
//! ways a caller proves who they are (a bearer token, a signature). The trusted-host check is
//! chapter 11's, imported as it is.

pub mod access_log;
pub mod bearer;
pub mod signed;
