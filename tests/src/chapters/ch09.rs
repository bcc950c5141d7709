//! Chapter 09 — JWT.

use crate::check::Check;

/// The checks of chapter 09, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
