//! What runs around the handlers, on every request: the access log. The trusted-host check is
//! chapter 11's, imported as it is. The checks of who a caller is are in `security`: they are
//! security schemes and functions that operations call, not middleware.

pub mod access_log;
