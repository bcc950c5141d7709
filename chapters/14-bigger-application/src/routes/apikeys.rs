//! `/api/users/apikeys`: the logged-in user's API keys. Every operation takes the
//! `CurrentUser` scheme, so every one needs a bearer token.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::Tag;
use crate::database::Db;
use crate::database::api_keys::ApiKeyRow;
use crate::errors::{BAD_REQUEST, CONFLICT, Fails, NOT_FOUND, UNAUTHORIZED, UNAVAILABLE};
use crate::exercises::{self, KeyUsage};
use crate::models::{ApiKey, MessageOk, NewApiKey, UserMemo, rfc3339, unix_now};
use crate::security::bearer::CurrentUser;

/// The answer of `POST /api/users/apikeys`.
#[derive(Debug, ApiResponse)]
pub enum Created {
    /// The new key, with its secret: keep the secret now, it is never shown again.
    #[oai(status = 201)]
    Created(Json<NewApiKey>, #[oai(header = "Cache-Control")] String),
}

/// The API keys router.
#[derive(Debug)]
pub struct ApiKeysApi;

// ANCHOR: apikeys
#[OpenApi(prefix_path = "/api/users/apikeys", tag = "Tag::ApiKeys")]
impl ApiKeysApi {
    /// Create an API key
    ///
    /// A new key for the service API: an access key, public, and a secret key, shown in this
    /// answer only. A user holds at most 3 keys (**400** after that); delete one to make
    /// room.
    #[oai(path = "/", method = "post")]
    async fn create_api_key(
        &self,
        db: Data<&Db>,
        user: CurrentUser,
        body: Json<UserMemo>,
    ) -> Result<Created, Fails<{ BAD_REQUEST | UNAUTHORIZED | CONFLICT | UNAVAILABLE }>> {
        let memo = body.0.user_memo;
        let (key, secret_key) = db
            .create_api_key(user.0.id, memo.as_deref(), unix_now())
            .await?;
        Ok(Created::Created(
            Json(with_secret(key, secret_key)),
            "no-store".to_owned(),
        ))
    }

    /// List my API keys
    ///
    /// The logged-in user's keys, oldest first, without their secrets.
    #[oai(path = "/", method = "get")]
    async fn get_api_keys(
        &self,
        db: Data<&Db>,
        user: CurrentUser,
    ) -> Result<Json<Vec<ApiKey>>, Fails<{ UNAUTHORIZED | UNAVAILABLE }>> {
        let keys = db.api_keys_of(user.0.id).await?;
        let mut keys: Vec<ApiKey> = keys.into_iter().map(listed).collect();
        exercises::add_usage(&db, &mut keys).await?;
        Ok(Json(keys))
    }

    /// Change an API key's memo
    ///
    /// Replaces the note of one of the logged-in user's keys (absent or `null` clears it). A
    /// key that is not theirs is **404**, as one that does not exist.
    #[oai(path = "/:key_id", method = "put")]
    async fn update_api_key(
        &self,
        db: Data<&Db>,
        user: CurrentUser,
        /// The key's `id`.
        key_id: Path<i64>,
        body: Json<UserMemo>,
    ) -> Result<Json<ApiKey>, Fails<{ UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>> {
        let memo = body.0.user_memo;
        let key = db
            .update_api_key_memo(user.0.id, key_id.0, memo.as_deref())
            .await?;
        let mut key = listed(key);
        exercises::add_usage(&db, std::slice::from_mut(&mut key)).await?;
        Ok(Json(key))
    }

    /// Delete an API key
    ///
    /// Deletes one of the logged-in user's keys: requests signed with it are refused from now
    /// on. A key that is not theirs is **404**, as one that does not exist.
    #[oai(path = "/:key_id", method = "delete")]
    async fn delete_api_key(
        &self,
        db: Data<&Db>,
        user: CurrentUser,
        /// The key's `id`.
        key_id: Path<i64>,
    ) -> Result<Json<MessageOk>, Fails<{ UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>> {
        db.delete_api_key(user.0.id, key_id.0).await?;
        Ok(Json(MessageOk::ok()))
    }
}
// ANCHOR_END: apikeys

/// A key as it is listed; what the exercises add to it is filled in by `add_usage`.
fn listed(key: ApiKeyRow) -> ApiKey {
    ApiKey {
        id: key.id,
        access_key: key.access_key,
        user_memo: key.user_memo,
        created_at: rfc3339(key.created_at),
        usage: KeyUsage::default(),
    }
}

/// A key as it is issued: the one time its secret is shown.
pub(crate) fn with_secret(key: ApiKeyRow, secret_key: String) -> NewApiKey {
    NewApiKey {
        id: key.id,
        access_key: key.access_key,
        secret_key,
        user_memo: key.user_memo,
        created_at: rfc3339(key.created_at),
    }
}
