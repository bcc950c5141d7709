//! API keys and the signatures they make.
//!
//! A key has two halves. The access key is public: it travels in every request and says which
//! key signed it. The secret key never travels after it is issued: the client signs each
//! request with it (HMAC-SHA256), and the server, which keeps a copy, signs the same text and
//! compares. A signature proves that the sender holds the secret, without sending it.
//!
//! [`verify_signed_request`] is the whole check of a signed request: the key, the signature,
//! the timestamp, and the replay store.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::database::Db;
use crate::database::api_keys::SigningKey;
use crate::database::signatures::LastPurge;
use crate::errors::AppError;
use crate::models::unix_now;

type HmacSha256 = Hmac<Sha256>;

// ANCHOR: new_keys
/// A new access key: 128 random bits as 32 lower-case hex digits (as many as a UUID v4 has,
/// and more than any guesser can try).
pub fn new_access_key() -> Result<String, AppError> {
    let bytes: [u8; 16] = random()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A new secret key: 256 random bits (as many as HMAC-SHA256 gives out) as 43 base64url
/// characters.
pub fn new_secret_key() -> Result<String, AppError> {
    let bytes: [u8; 32] = random()?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `text` looks like an access key this service makes: anything else is unknown
/// without asking the database.
pub fn is_access_key(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn random<const N: usize>() -> Result<[u8; N], AppError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|err| AppError::Internal(err.to_string()))?;
    Ok(bytes)
}
// ANCHOR_END: new_keys

// ANCHOR: signatures
/// The text that is signed: always `key` first, then `timestamp`, whatever order the query
/// string had, so that client and server sign the same bytes.
pub fn canonical_query(access_key: &str, timestamp: i64) -> String {
    format!("key={access_key}&timestamp={timestamp}")
}

/// The signature's bytes if `signature` (`base64(HMAC-SHA256(secret_key, canonical
/// query))`, as the client sent it in the `secret` header) is right for this request.
///
/// The comparison takes the same time however many bytes match (`verify_slice` is
/// constant-time): with a byte-by-byte `==`, an attacker could find a valid signature one
/// byte at a time by timing the answers.
pub fn verify(
    secret_key: &str,
    access_key: &str,
    timestamp: i64,
    signature: &str,
) -> Option<Vec<u8>> {
    let given = STANDARD.decode(signature.trim()).ok()?;
    // HMAC accepts a key of any length; if that ever failed, nothing would verify.
    let mut mac = HmacSha256::new_from_slice(secret_key.as_bytes()).ok()?;
    mac.update(canonical_query(access_key, timestamp).as_bytes());
    mac.verify_slice(&given).ok().map(|()| given)
}
// ANCHOR_END: signatures

// ANCHOR: verify_signed_request
/// The largest gap, either way, between a signed request's timestamp and the server's clock.
pub const TIMESTAMP_WINDOW_SECS: u64 = 60;

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
    let found = if is_access_key(access_key) {
        db.signing_key(access_key).await?
    } else {
        None
    };
    let key = found.ok_or(AppError::ApiKeyNotFound)?;
    let signature = verify(&key.secret_key, &key.access_key, timestamp, signature)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_are_random_and_of_their_format() {
        let (a, b) = (new_access_key().unwrap(), new_access_key().unwrap());
        assert_ne!(a, b);
        assert!(is_access_key(&a), "{a}");
        assert_eq!(new_secret_key().unwrap().len(), 43);
        assert!(!is_access_key(&a.to_ascii_uppercase()));
        assert!(!is_access_key(&format!("{a} ")));
    }

    /// What a client does.
    fn sign(secret_key: &str, access_key: &str, timestamp: i64) -> String {
        let mut mac = HmacSha256::new_from_slice(secret_key.as_bytes()).unwrap();
        mac.update(format!("key={access_key}&timestamp={timestamp}").as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_verifies_for_its_own_request_only() {
        let signature = sign("s3cret", "abc", 1_700_000_000);
        assert!(verify("s3cret", "abc", 1_700_000_000, &signature).is_some());
        assert!(verify("s3cret", "abc", 1_700_000_001, &signature).is_none());
        assert!(verify("s3cret", "abd", 1_700_000_000, &signature).is_none());
        assert!(verify("other", "abc", 1_700_000_000, &signature).is_none());
        assert!(verify("s3cret", "abc", 1_700_000_000, "not base64!").is_none());
        assert!(verify("s3cret", "abc", 1_700_000_000, "").is_none());
    }

    #[test]
    fn the_signature_matches_openssl() {
        // printf 'key=abc&timestamp=1700000000' | openssl dgst -sha256 -hmac s3cret -binary | base64
        assert_eq!(
            sign("s3cret", "abc", 1_700_000_000),
            "MQhrRjJK3odJqffRQOno85D/sFS9vlL3K6N/yfZZdoM="
        );
    }
}
