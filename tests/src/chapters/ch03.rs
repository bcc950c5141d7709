//! Chapter 03 — query parameters.

use crate::check::Check;

/// The checks of chapter 03, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
