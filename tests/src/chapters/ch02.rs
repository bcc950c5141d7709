//! Chapter 02 — path parameters.

use crate::check::Check;

/// The checks of chapter 02, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
