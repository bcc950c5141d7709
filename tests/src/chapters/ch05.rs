//! Chapter 05 — response models.

use crate::check::Check;

/// The checks of chapter 05, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
