//! API key secrets, encrypted at rest with AES-256-GCM.
//!
//! The server needs each secret itself to check signatures (HMAC), so it cannot keep a hash as
//! it does for passwords. It keeps the secret encrypted instead, with a key that is not in the
//! database: a copy of the database (a dump, a backup, a stolen disk) holds no usable secret.
//!
//! A stored secret reads `v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: a fresh random
//! 96-bit nonce for every encryption (GCM must never see a nonce twice under one key), and the
//! id of the key that sealed it, so that a rotation knows which rows are still to re-encrypt.
//! The access key is bound in as associated data: a sealed secret copied onto another row does
//! not open there.

use std::fmt;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::errors::AppError;

/// The format's version: the first field of every sealed secret.
const VERSION: &str = "v1";
/// AES-GCM's nonce: 96 bits.
const NONCE_BYTES: usize = 12;
/// AES-256's key: 256 bits.
pub const KEY_BYTES: usize = 32;

// ANCHOR: key
/// One AES-256 key, with its id: the first 8 hex digits of its SHA-256, which names the key
/// in sealed secrets and logs without saying anything of it.
#[derive(Clone)]
pub struct EncryptionKey {
    cipher: Aes256Gcm,
    id: String,
}

impl EncryptionKey {
    /// The key made of these bytes.
    pub fn from_bytes(bytes: &[u8; KEY_BYTES]) -> Self {
        let digest = Sha256::digest(bytes);
        Self {
            cipher: Aes256Gcm::new(bytes.into()),
            id: digest[..4].iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// A key written as 64 hex digits (`openssl rand -hex 32`) or as base64 of 32 bytes
    /// (`openssl rand -base64 32`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = hex(text)
            .or_else(|| {
                [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                    .iter()
                    .find_map(|engine| engine.decode(text).ok())
            })
            .ok_or("must be 64 hex digits or base64 (make one with `openssl rand -hex 32`)")?;
        let bytes: [u8; KEY_BYTES] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            format!(
                "must be {KEY_BYTES} bytes, as 64 hex digits or base64 (it has {}); make one \
                 with `openssl rand -hex 32`",
                bytes.len()
            )
        })?;
        Ok(Self::from_bytes(&bytes))
    }

    /// A key nobody knows, not even the next run of this program.
    pub fn random() -> Result<Self, String> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|err| err.to_string())?;
        Ok(Self::from_bytes(&bytes))
    }

    /// The key's id, as sealed secrets carry it.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// 64 hex digits as 32 bytes.
fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 2 * KEY_BYTES || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}
// ANCHOR_END: key

// ANCHOR: keys
/// The key that seals new secrets, and the one before it, which still opens the secrets it
/// sealed until they are sealed again (see [`Opened::stale`]); cheap to clone.
#[derive(Clone)]
pub struct EncryptionKeys {
    current: EncryptionKey,
    previous: Option<EncryptionKey>,
}

/// A secret taken out of the database.
#[derive(Debug)]
pub struct Opened {
    /// The secret itself.
    pub secret: String,
    /// Sealed with the previous key, or not sealed at all (a row from before encryption): it
    /// should be sealed again with the current key.
    pub stale: bool,
}

/// Why a stored secret cannot be opened. Each one is the server's problem, not the client's:
/// the request is answered 500, and the log says which of these it was.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenError {
    /// Sealed with a key that is neither the current nor the previous one.
    UnknownKey(String),
    /// Sealed with a key of this id, but it does not open: altered, or moved to another row.
    Altered(String),
    /// Not a sealed secret at all.
    Malformed,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(id) => write!(
                f,
                "the secret is encrypted with key {id}, which is neither \
                 API_KEY_ENCRYPTION_KEY nor API_KEY_ENCRYPTION_KEY_PREVIOUS: give the key it \
                 was encrypted with"
            ),
            Self::Altered(id) => write!(
                f,
                "the secret does not decrypt with key {id}: the stored value was altered, or \
                 copied from another row"
            ),
            Self::Malformed => f.write_str("the stored secret is not in the v1:<key id>:… format"),
        }
    }
}

impl EncryptionKeys {
    /// `current` seals; `previous`, when given, still opens what it sealed.
    pub fn new(current: EncryptionKey, previous: Option<EncryptionKey>) -> Self {
        Self { current, previous }
    }

    /// The id of the key that seals new secrets.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// `secret` encrypted with the current key and a new random nonce, bound to `access_key`.
    pub fn seal(&self, access_key: &str, secret: &str) -> Result<String, AppError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|err| AppError::Internal(err.to_string()))?;
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: access_key.as_bytes(),
        };
        let sealed = self
            .current
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| AppError::Internal("a secret could not be encrypted".to_owned()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}:{}:{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(bytes)
        ))
    }

    /// The secret in `stored`, the value of `access_key`'s row.
    ///
    /// A value without the `v1:` mark is a secret stored before encryption came (this
    /// service's secrets are base64url, which has no `:`): it is answered as it is, marked
    /// stale, so that it gets sealed.
    pub fn open(&self, access_key: &str, stored: &str) -> Result<Opened, OpenError> {
        let Some(rest) = stored
            .strip_prefix(VERSION)
            .and_then(|r| r.strip_prefix(':'))
        else {
            return match stored.contains(':') {
                true => Err(OpenError::Malformed),
                false => Ok(Opened {
                    secret: stored.to_owned(),
                    stale: true,
                }),
            };
        };
        let (id, sealed) = rest.split_once(':').ok_or(OpenError::Malformed)?;
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|key| key.id == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| OpenError::Malformed)?;
        if bytes.len() <= NONCE_BYTES {
            return Err(OpenError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: sealed,
            aad: access_key.as_bytes(),
        };
        let secret = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| OpenError::Altered(id.to_owned()))?;
        Ok(Opened {
            secret: String::from_utf8(secret).map_err(|_| OpenError::Malformed)?,
            stale: id != self.current.id,
        })
    }
}
// ANCHOR_END: keys

impl fmt::Debug for EncryptionKey {
    // The id only: the key is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for EncryptionKeys {
    // The ids only: a key is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKeys")
            .field("current", &self.current.id)
            .field("previous", &self.previous.as_ref().map(|key| &key.id))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::from_bytes(&[byte; KEY_BYTES])
    }

    const ACCESS: &str = "0123456789abcdef0123456789abcdef";
    const SECRET: &str = "dGhpcyBpcyBub3QgYSByZWFsIHNlY3JldCBrZXkgISE";

    #[test]
    fn a_sealed_secret_opens_and_shows_nothing_of_itself() {
        let keys = EncryptionKeys::new(key(1), None);
        let sealed = keys.seal(ACCESS, SECRET).unwrap();
        assert!(
            sealed.starts_with(&format!("v1:{}:", key(1).id())),
            "{sealed}"
        );
        assert!(!sealed.contains(SECRET), "{sealed}");
        let opened = keys.open(ACCESS, &sealed).unwrap();
        assert_eq!(opened.secret, SECRET);
        assert!(!opened.stale);
    }

    #[test]
    fn every_seal_has_its_own_nonce() {
        let keys = EncryptionKeys::new(key(1), None);
        let (a, b) = (
            keys.seal(ACCESS, SECRET).unwrap(),
            keys.seal(ACCESS, SECRET).unwrap(),
        );
        assert_ne!(a, b);
        let nonce = |sealed: &str| URL_SAFE_NO_PAD.decode(&sealed[12..]).unwrap()[..12].to_vec();
        assert_ne!(nonce(&a), nonce(&b));
    }

    #[test]
    fn a_wrong_key_is_a_clear_error() {
        let sealed = EncryptionKeys::new(key(1), None)
            .seal(ACCESS, SECRET)
            .unwrap();
        let err = EncryptionKeys::new(key(2), None)
            .open(ACCESS, &sealed)
            .unwrap_err();
        assert_eq!(err, OpenError::UnknownKey(key(1).id().to_owned()));
        let message = err.to_string();
        assert!(message.contains(key(1).id()), "{message}");
        assert!(message.contains("API_KEY_ENCRYPTION_KEY"), "{message}");
    }

    #[test]
    fn a_secret_moved_to_another_row_or_altered_does_not_open() {
        let keys = EncryptionKeys::new(key(1), None);
        let sealed = keys.seal(ACCESS, SECRET).unwrap();
        let other = "ffffffffffffffffffffffffffffffff";
        let id = key(1).id().to_owned();
        assert_eq!(
            keys.open(other, &sealed).unwrap_err(),
            OpenError::Altered(id.clone())
        );
        let mut altered = sealed.clone().into_bytes();
        // A character in the middle: the last one also carries padding bits.
        let at = altered.len() - 10;
        altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(
            keys.open(ACCESS, &altered).unwrap_err(),
            OpenError::Altered(id)
        );
        for garbage in ["v1:", "v1:abc", "v1:abc:!!", "v2:x:y", "v1:abc:AAAA"] {
            assert!(keys.open(ACCESS, garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn the_previous_key_opens_until_the_secret_is_sealed_again() {
        let old = EncryptionKeys::new(key(1), None);
        let sealed = old.seal(ACCESS, SECRET).unwrap();
        let rotated = EncryptionKeys::new(key(2), Some(key(1)));
        let opened = rotated.open(ACCESS, &sealed).unwrap();
        assert_eq!(opened.secret, SECRET);
        assert!(opened.stale, "sealed with the previous key");
        let resealed = rotated.seal(ACCESS, &opened.secret).unwrap();
        let after = EncryptionKeys::new(key(2), None);
        assert_eq!(after.open(ACCESS, &resealed).unwrap().secret, SECRET);
    }

    #[test]
    fn a_secret_from_before_encryption_opens_as_stale() {
        let keys = EncryptionKeys::new(key(1), None);
        let opened = keys.open(ACCESS, SECRET).unwrap();
        assert_eq!(opened.secret, SECRET);
        assert!(opened.stale);
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_of_32_bytes() {
        let hex = "00".repeat(32);
        let base64 = STANDARD.encode([0u8; 32]);
        assert_eq!(EncryptionKey::parse(&hex).unwrap().id(), key(0).id(), "hex");
        assert_eq!(EncryptionKey::parse(&base64).unwrap().id(), key(0).id());
        for bad in ["", "short", &"00".repeat(31), &STANDARD.encode([0u8; 16])] {
            assert!(EncryptionKey::parse(bad).is_err(), "{bad:?}");
        }
        let debug = format!("{:?}", EncryptionKeys::new(key(7), None));
        assert!(debug.contains(key(7).id()), "{debug}");
    }
}
