//! `/api/services`: the service API, for programs. A request is signed with an API key
//! instead of carrying a token.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::Json;

use super::Tag;
use crate::database::Db;
use crate::database::signatures::LastPurge;
use crate::errors::{BAD_REQUEST, Fails, NOT_FOUND, UNAUTHORIZED, UNAVAILABLE};
use crate::exercises;
use crate::models::ServiceReply;
use crate::security::keys::verify_signed_request;

/// The services router.
#[derive(Debug)]
pub struct ServicesApi;

// ANCHOR: services
#[OpenApi(prefix_path = "/api/services", tag = "Tag::Services")]
impl ServicesApi {
    /// Who am I, by API key
    ///
    /// Answers the email address of the key's owner, if the request is signed:
    ///
    /// 1. `key`: your access key; `timestamp`: now, in seconds since 1970 (UTC);
    /// 2. `secret` header: `base64(HMAC-SHA256(secret_key, "key=<key>&timestamp=<timestamp>"))`,
    ///    always in that order, whatever the order of the query string.
    ///
    /// In a shell: `printf 'key=%s&timestamp=%s' "$KEY" "$TS" | openssl dgst -sha256 -hmac
    /// "$SECRET" -binary | base64`.
    ///
    /// An unknown key is **404**; a wrong signature **401**; a timestamp more than 60 seconds
    /// from the server's clock **400**; a signature that was accepted once already **401**
    /// (each request needs its own timestamp).
    #[oai(path = "/", method = "get")]
    async fn get_services(
        &self,
        db: Data<&Db>,
        last_purge: Data<&LastPurge>,
        /// Your access key.
        #[oai(example = "access_key_example")]
        key: Query<String>,
        /// Now, in seconds since 1970 (UTC).
        #[oai(example = "timestamp_example")]
        timestamp: Query<i64>,
        /// The request's signature, in base64.
        #[oai(name = "secret")]
        secret: Header<String>,
    ) -> Result<Json<ServiceReply>, Fails<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>>
    {
        let signer = verify_signed_request(&db, &last_purge, &key, timestamp.0, &secret).await?;
        exercises::key_used(&db, signer.id).await;
        Ok(Json(ServiceReply {
            your_email: signer.email,
        }))
    }
}
// ANCHOR_END: services

fn access_key_example() -> String {
    "3f1c9a7e0b2d4c6e8a0f1e2d3c4b5a69".to_owned()
}

fn timestamp_example() -> i64 {
    1_738_315_800
}
