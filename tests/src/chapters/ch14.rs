//! Chapter 14 — a bigger application.

use crate::check::Check;

/// The checks of chapter 14, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
