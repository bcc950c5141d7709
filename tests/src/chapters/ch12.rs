//! Chapter 12 — SQL databases.

use crate::check::Check;

/// The checks of chapter 12, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
