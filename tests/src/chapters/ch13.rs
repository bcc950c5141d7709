//! Chapter 13 — migrations.

use crate::check::Check;

/// The checks of chapter 13, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
