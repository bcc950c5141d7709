//! Logging in: chapter 09's form, token and password check (`ch09_jwt::login`), with this
//! chapter's answer, whose refusals are the error registry's.

use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;

pub(crate) use ch09_jwt::login::{OAuth2PasswordRequestForm, Token, authenticate_user};

// ANCHOR: token_response
/// The answer of `POST /token` that carries a token; the refusals are the error registry's.
#[derive(ApiResponse)]
pub(crate) enum TokenResponse {
    /// A new access token. `Cache-Control: no-store` and `Pragma: no-cache` keep it out of
    /// every cache on the way, as RFC 6749 asks of any answer that carries a token.
    #[oai(status = 200)]
    Issued(
        Json<Token>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Pragma")] String,
    ),
}
// ANCHOR_END: token_response
