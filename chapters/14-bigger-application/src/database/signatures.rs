//! The `used_signatures` table: the replay store.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::{Db, is_unique_violation};
use crate::errors::AppError;
use crate::security::keys::TIMESTAMP_WINDOW_SECS;

// ANCHOR: replays
/// How long after its timestamp a signature is remembered: the window, plus a margin for
/// clocks of several servers that do not agree to the second.
const REMEMBER_SECS: i64 = 2 * TIMESTAMP_WINDOW_SECS as i64;

/// How often one process clears the signatures that are out of the window.
const PURGE_EVERY_SECS: i64 = 10;

/// When this process last cleared old signatures (seconds since 1970).
#[derive(Debug, Clone, Default)]
pub struct LastPurge(Arc<AtomicI64>);

impl Db {
    /// Records an accepted signature; `SignatureReplayed` if it was recorded before.
    ///
    /// The table is in the database, not in memory, so that every instance of the service
    /// sees every signature: a replay sent to another instance is caught as well. The primary
    /// key settles two copies sent at the same moment: one insert wins, the other is refused.
    pub async fn remember_signature(
        &self,
        signature: &[u8],
        timestamp: i64,
        now: i64,
        last_purge: &LastPurge,
    ) -> Result<(), AppError> {
        self.forget_old_signatures(now, last_purge).await?;
        // Hex, not base64: MySQL's text comparison may ignore case, and base64 is all case.
        let hex: String = signature.iter().map(|b| format!("{b:02x}")).collect();
        let inserted = sqlx::query(
            self.sql("INSERT INTO used_signatures (signature, expires_at) VALUES (?, ?)"),
        )
        .bind(hex)
        .bind(timestamp.saturating_add(REMEMBER_SECS))
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Err(AppError::SignatureReplayed),
            Err(err) => Err(err.into()),
        }
    }

    /// Deletes the signatures whose timestamp is out of the window for good: those requests
    /// are refused for their timestamp already. This keeps the table as small as the traffic
    /// of two minutes.
    async fn forget_old_signatures(
        &self,
        now: i64,
        last_purge: &LastPurge,
    ) -> Result<(), AppError> {
        let last = last_purge.0.load(Ordering::Relaxed);
        if now - last < PURGE_EVERY_SECS
            || last_purge
                .0
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(());
        }
        sqlx::query(self.sql("DELETE FROM used_signatures WHERE expires_at < ?"))
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
// ANCHOR_END: replays
