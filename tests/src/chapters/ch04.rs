//! Chapter 04 — request bodies.

use crate::check::Check;

/// The checks of chapter 04, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
