//! Signed requests: a caller proves they hold an API key's secret without sending it.
//!
//! The caller sends `key=<access_key>&timestamp=<unix seconds>` and, in the `secret` header,
//! `base64(HMAC-SHA256(secret_key, "key=<access_key>&timestamp=<ts>"))`. The server finds the
//! key, signs the same text with its copy of the secret, and compares.

use crate::database::Db;
use crate::database::api_keys::SigningKey;
use crate::database::signatures::LastPurge;
use crate::errors::{AppError, TIMESTAMP_WINDOW_SECS};
use crate::models::unix_now;
use crate::security::keys;

// ANCHOR: verify_signed_request
/// The key that signed this request, if the request is genuine, fresh and new. Each check
/// answers its own error, in this order:
///
/// 1. the key exists (`404`): without it there is no secret to check with;
/// 2. the signature is right (`401`): before anything else is said about the request, the
///    caller proves they hold the secret;
/// 3. the timestamp is within a minute of now (`400`): a captured request is useless later;
/// 4. the signature was never accepted before (`401`): nor within that minute.
pub async fn verify_signed_request(
    db: &Db,
    last_purge: &LastPurge,
    access_key: &str,
    timestamp: i64,
    signature: &str,
) -> Result<SigningKey, AppError> {
    // A key that is not of our format is not looked up: it cannot exist.
    let found = if keys::is_access_key(access_key) {
        db.signing_key(access_key).await?
    } else {
        None
    };
    let key = found.ok_or(AppError::ApiKeyNotFound)?;
    let signature = keys::verify(&key.secret_key, &key.access_key, timestamp, signature)
        .ok_or(AppError::InvalidSignature)?;
    let now = unix_now();
    // `abs_diff` cannot overflow, whatever i64 the client sent.
    if now.abs_diff(timestamp) > TIMESTAMP_WINDOW_SECS {
        return Err(AppError::TimestampOutOfWindow);
    }
    db.remember_signature(&signature, timestamp, now, last_purge)
        .await?;
    Ok(key)
}
// ANCHOR_END: verify_signed_request
