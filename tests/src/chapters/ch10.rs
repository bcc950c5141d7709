//! Chapter 10 — scopes.

use crate::check::Check;

/// The checks of chapter 10, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
