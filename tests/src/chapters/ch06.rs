//! Chapter 06 — dependencies.

use crate::check::Check;

/// The checks of chapter 06, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
