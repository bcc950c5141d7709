//! `/api/users`: the logged-in user (exercise 1).

use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use super::Tag;
use crate::errors::{Fails, UNAUTHORIZED, UNAVAILABLE};
use crate::middleware::bearer::CurrentUser;
use crate::models::{Me, rfc3339};

/// The users router.
#[derive(Debug)]
pub struct UsersApi;

// ANCHOR: me
#[OpenApi(prefix_path = "/api/users", tag = "Tag::Users")]
impl UsersApi {
    /// Read the logged-in user
    ///
    /// The account the bearer token belongs to, without its password hash.
    #[oai(path = "/me", method = "get")]
    async fn read_users_me(
        &self,
        user: CurrentUser,
    ) -> Result<Json<Me>, Fails<{ UNAUTHORIZED | UNAVAILABLE }>> {
        let CurrentUser(user) = user;
        Ok(Json(Me {
            id: user.id,
            email: user.email,
            created_at: rfc3339(user.created_at),
        }))
    }
}
// ANCHOR_END: me
