//! Chapter 08 — OAuth2 password flow.

use crate::check::Check;

/// The checks of chapter 08, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
