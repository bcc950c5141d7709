//! What goes over the wire: the bodies the service reads and writes, as the document shows
//! them. Rows of the database are in `database/`; these never carry a password hash, and a
//! secret key only in the one answer that creates it.

use std::borrow::Cow;

use kit::EmailStr;
use poem_openapi::Object;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{Example, ParseFromParameter, ParseResult, Password, Type};
use serde_json::json;

use crate::exercises::KeyUsage;

// ANCHOR: auth_models
/// The body of `POST /auth/register/{sns_type}`.
#[derive(Object)]
#[oai(example)]
pub struct UserRegister {
    /// The account's email address; its domain is compared without regard to case.
    pub email: EmailStr,
    /// The password: 8 characters or more, and at most 72 bytes, all that bcrypt reads (a
    /// longer one is a 422 too).
    #[oai(validator(min_length = 8))]
    pub pw: Password,
}

/// The body of `POST /auth/login/{sns_type}`: the same fields, but any password may be tried
/// (one that could not have been registered is simply a wrong one).
#[derive(Object)]
#[oai(example)]
pub struct UserLogin {
    /// The account's email address; its domain is compared without regard to case.
    pub email: EmailStr,
    /// The account's password.
    pub pw: Password,
}

impl std::fmt::Debug for UserRegister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRegister")
            .field("email", &self.email)
            .field("pw", &"[hidden]")
            .finish()
    }
}

impl std::fmt::Debug for UserLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserLogin")
            .field("email", &self.email)
            .field("pw", &"[hidden]")
            .finish()
    }
}

impl Example for UserRegister {
    fn example() -> Self {
        Self {
            email: EmailStr::new_unchecked("ryan@example.com"),
            pw: Password("correct horse battery staple".to_owned()),
        }
    }
}

impl Example for UserLogin {
    fn example() -> Self {
        Self {
            email: EmailStr::new_unchecked("ryan@example.com"),
            pw: Password("correct horse battery staple".to_owned()),
        }
    }
}

/// The `{sns_type}` of `/auth/…/{sns_type}`: how the account signs in.
///
/// The document lists the one value served, `email`, so that clients know it. Any other text
/// is read all the same, for the handler to refuse with the 400 the service promises: the
/// value is well-formed, the service just does not offer it.
#[derive(Debug)]
pub struct SnsType(pub String);

impl SnsType {
    /// The one sign-up method so far; the path leaves room for others (`google`, `kakao`…).
    pub const EMAIL: &'static str = "email";

    /// Whether it is `email`, the one method served.
    pub fn is_email(&self) -> bool {
        self.0 == Self::EMAIL
    }
}

/// An access token, ready to be sent back as the `Authorization` header.
#[derive(Debug, Object)]
#[oai(example)]
pub struct Token {
    /// `Bearer <JWT>`: send it as it is in `Authorization`.
    #[oai(rename = "Authorization")]
    pub authorization: String,
}

impl Example for Token {
    fn example() -> Self {
        Self {
            authorization: "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln"
                .to_owned(),
        }
    }
}
// ANCHOR_END: auth_models

// How `SnsType` looks in the document, and how it is read from the path.

impl Type for SnsType {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_sns_type".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            enum_items: vec![json!(Self::EMAIL)],
            example: Some(json!(Self::EMAIL)),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromParameter for SnsType {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Self(value.to_owned()))
    }
}

// ANCHOR: api_key_models
/// The body of `POST /api/users/apikeys` and `PUT /api/users/apikeys/{key_id}`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct UserMemo {
    /// A note to tell the keys apart, such as where a key is used. Absent or `null`: none.
    #[oai(nullable, validator(max_length = 200))]
    pub user_memo: Option<String>,
}

impl Example for UserMemo {
    fn example() -> Self {
        Self {
            user_memo: Some("billing server".to_owned()),
        }
    }
}

/// An API key as it is listed: without its secret.
#[derive(Debug, Object)]
#[oai(example)]
pub struct ApiKey {
    /// The key's id, for `PUT` and `DELETE`.
    pub id: i64,
    /// The public half: sent as `key=` with every signed request.
    pub access_key: String,
    /// The owner's note.
    #[oai(nullable)]
    pub user_memo: Option<String>,
    /// When the key was made: RFC 3339, UTC.
    pub created_at: String,
    /// What the exercises show of the key's use.
    #[oai(flatten)]
    pub usage: KeyUsage,
}

impl Example for ApiKey {
    fn example() -> Self {
        Self {
            id: 1,
            access_key: "3f1c9a7e0b2d4c6e8a0f1e2d3c4b5a69".to_owned(),
            user_memo: Some("billing server".to_owned()),
            created_at: "2025-01-31T09:30:00Z".to_owned(),
            usage: KeyUsage::default(),
        }
    }
}

/// A new API key, with its secret: the only answer that ever shows the secret.
#[derive(Debug, Object)]
#[oai(example)]
pub struct NewApiKey {
    /// The key's id, for `PUT` and `DELETE`.
    pub id: i64,
    /// The public half: sent as `key=` with every signed request.
    pub access_key: String,
    /// The private half: signs requests and is never sent. Keep it now, it is not shown again.
    pub secret_key: String,
    /// The owner's note.
    #[oai(nullable)]
    pub user_memo: Option<String>,
    /// When the key was made: RFC 3339, UTC.
    pub created_at: String,
}

impl Example for NewApiKey {
    fn example() -> Self {
        Self {
            id: 1,
            access_key: "3f1c9a7e0b2d4c6e8a0f1e2d3c4b5a69".to_owned(),
            secret_key: "q8Yk2m0Zs3VJ1d5hR7pW9xT4nB6cL2fA0eG8uI3oK5s".to_owned(),
            user_memo: Some("billing server".to_owned()),
            created_at: "2025-01-31T09:30:00Z".to_owned(),
        }
    }
}

/// `{"message": "ok"}`: done, nothing more to say.
#[derive(Debug, Object)]
#[oai(example)]
pub struct MessageOk {
    /// Always `ok`.
    pub message: String,
}

impl MessageOk {
    /// `{"message": "ok"}`.
    pub fn ok() -> Self {
        Self {
            message: "ok".to_owned(),
        }
    }
}

impl Example for MessageOk {
    fn example() -> Self {
        Self::ok()
    }
}
// ANCHOR_END: api_key_models

// ANCHOR: other_models
/// What the service API answers to a signed request.
#[derive(Debug, Object)]
#[oai(example)]
pub struct ServiceReply {
    /// The email address of the key's owner.
    pub your_email: String,
}

impl Example for ServiceReply {
    fn example() -> Self {
        Self {
            your_email: "ryan@example.com".to_owned(),
        }
    }
}

/// The service's name, version and clock.
#[derive(Debug, Object)]
#[oai(example)]
pub struct Index {
    /// The service's name.
    pub service: String,
    /// Its version.
    pub version: String,
    /// The server's time, RFC 3339, UTC.
    pub time: String,
    /// The same time in seconds since 1970: what signed requests put in `timestamp`.
    pub timestamp: i64,
}

impl Example for Index {
    fn example() -> Self {
        Self {
            service: "Bigger application".to_owned(),
            version: "1.0.0".to_owned(),
            time: "2025-01-31T09:30:00Z".to_owned(),
            timestamp: 1_738_315_800,
        }
    }
}
// ANCHOR_END: other_models

// ANCHOR: time
/// Now, in seconds since 1970 (UTC).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `secs` since 1970 as RFC 3339 in UTC: `2025-01-31T09:30:00Z`.
///
/// The databases store times as seconds (a `BIGINT` is the same on all three); the text is
/// made here, at the edge, so that every backend answers alike.
pub fn rfc3339(secs: i64) -> String {
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to a civil date: Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (rest / 3_600, rest % 3_600 / 60, rest % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}
// ANCHOR_END: time

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_rfc_3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_738_315_800), "2025-01-31T09:30:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
