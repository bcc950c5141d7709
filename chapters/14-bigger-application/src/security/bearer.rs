//! The logged-in user: `Authorization: Bearer <JWT>`, checked before the handler runs.
//!
//! FastAPI's version of this service checks tokens in a middleware for every `/api/` path;
//! here the check is a security scheme that each operation takes as an argument, so that
//! `/docs` shows which operations need a token and its **Authorize** button fills it in.

use poem::FromRequest;
use poem::Request;
use poem::web::Data;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use poem_openapi::error::AuthorizationError;

use crate::database::Db;
use crate::database::users::UserRow;
use crate::errors::AppError;
use crate::security::tokens::Tokens;

// ANCHOR: current_user
/// Send the token that `POST /auth/register/email` or `POST /auth/login/email` answered:
/// `Authorization: Bearer <JWT>` (in **Authorize**, paste the JWT without `Bearer `).
#[derive(Debug, SecurityScheme)]
#[oai(
    rename = "JWT",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "get_current_user"
)]
pub struct CurrentUser(pub UserRow);

/// The user named by a valid token; FastAPI's `get_current_user`.
async fn get_current_user(req: &Request, bearer: Bearer) -> poem::Result<UserRow> {
    let token = bearer.token.trim();
    if token.is_empty() {
        // `Authorization: Bearer` and nothing more: no credentials at all.
        return Err(AuthorizationError.into());
    }
    let Data(tokens) = Data::<&Tokens>::from_request_without_body(req).await?;
    let Data(db) = Data::<&Db>::from_request_without_body(req).await?;
    let user_id = tokens.user_id(token).ok_or(AppError::InvalidToken)?;
    // A deleted account's tokens die with it.
    let user = db
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::InvalidToken)?;
    Ok(user)
}
// ANCHOR_END: current_user
