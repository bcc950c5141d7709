//! The token gate: every path under `/api/` needs a valid bearer token, checked once in a
//! middleware instead of by a guard on each operation (the source material's
//! `token_validator.py`). The user it finds rides along with the request for the handlers.

use ch09_jwt::users::{UserInDb, UsersDb};
use poem::http::header;
use poem::{Endpoint, IntoResponse, Middleware, Request, RequestBody, Response};
use poem_openapi::auth::Bearer;
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, SecurityScheme};

use crate::errors::ApiError;
use crate::tokens::Tokens;

/// The paths the gate guards: this prefix and everything under it.
pub(crate) const PROTECTED_PREFIX: &str = "/api/";

// ANCHOR: gate
/// The token-gate middleware. It has its own handles on the keys and the users: it runs
/// outside the app, before the app's shared data is attached to the request.
#[derive(Debug, Clone)]
pub(crate) struct TokenGate {
    tokens: Tokens,
    users: UsersDb,
}

impl TokenGate {
    pub(crate) fn new(tokens: Tokens, users: UsersDb) -> Self {
        Self { tokens, users }
    }

    /// The active user whose token the request carries; chapter 09's rules and messages.
    fn authenticate(&self, req: &Request) -> Result<UserInDb, ApiError> {
        let token = bearer_token(req)?;
        let claims = self
            .tokens
            .decode_access_token(token)
            .ok_or(ApiError::InvalidToken)?;
        let user = self.users.get(&claims.sub).ok_or(ApiError::InvalidToken)?;
        if user.disabled {
            return Err(ApiError::InactiveUser);
        }
        Ok(user)
    }
}

impl<E: Endpoint> Middleware<E> for TokenGate {
    type Output = TokenGateEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        TokenGateEndpoint {
            inner,
            gate: self.clone(),
        }
    }
}

/// The endpoint made by [`TokenGate`].
#[derive(Debug)]
pub(crate) struct TokenGateEndpoint<E> {
    inner: E,
    gate: TokenGate,
}

impl<E: Endpoint> Endpoint for TokenGateEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if is_protected(req.uri().path()) {
            match self.gate.authenticate(&req) {
                // The handlers find the user in the request's extensions.
                Ok(user) => req.extensions_mut().insert(AuthenticatedUser(user)),
                Err(refusal) => return Ok(refusal.into_response()),
            };
        }
        crate::call(&self.inner, req).await
    }
}
// ANCHOR_END: gate

// ANCHOR: bearer_token
/// The token of `Authorization: Bearer <token>`: the scheme in any case, spaces around the
/// token skipped, the first header if there are two. Anything else is "not authenticated".
fn bearer_token(req: &Request) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::NotAuthenticated)?;
    let (scheme, token) = value
        .trim()
        .split_once([' ', '\t'])
        .ok_or(ApiError::NotAuthenticated)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::NotAuthenticated);
    }
    Ok(token)
}

/// Whether `path` is under `/api/` as the router will see it.
fn is_protected(path: &str) -> bool {
    routed_path(path).starts_with(PROTECTED_PREFIX)
}

/// `path` in the form the router compares. The app decodes `%61` into `a` and merges `//`
/// before it routes (kit's conventions), so a check made outside the app must compare the
/// same form, or `/%61pi/whoami` and `//api//whoami` would slip past it. Every escape is
/// decoded here, which can only make such a check catch more paths, never fewer.
pub(crate) fn routed_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    decoded.dedup_by(|a, b| *a == b'/' && *b == b'/');
    String::from_utf8_lossy(&decoded).into_owned()
}
// ANCHOR_END: bearer_token

// ANCHOR: current_user
/// The user the gate let through, attached to the request.
#[derive(Debug, Clone)]
struct AuthenticatedUser(UserInDb);

// The scheme, for the OpenAPI document only: Swagger UI's Authorize button logs in at
// `POST /token` and sends the token. The gate does the checking.
/// Log in with a username and password at `POST /token`, then send the token you get as
/// `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(
    rename = "OAuth2PasswordBearer",
    ty = "oauth2",
    flows(password(token_url = "token"))
)]
#[allow(dead_code)] // Never extracted: the gate reads the header.
struct OAuth2PasswordBearer(Bearer);

/// The current user, as the gate found them: what a handler under `/api/` takes. It
/// declares the bearer scheme, so that the document shows the operation needs a token.
pub(crate) struct CurrentUser(pub(crate) UserInDb);

impl<'a> ApiExtractor<'a> for CurrentUser {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        OAuth2PasswordBearer::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        OAuth2PasswordBearer::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _options: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        match req.extensions().get::<AuthenticatedUser>() {
            Some(AuthenticatedUser(user)) => Ok(Self(user.clone())),
            // Only if the operation is not under the gate: refuse rather than serve anyone.
            None => {
                tracing::error!(path = %req.uri().path(), "an operation that needs a user is not behind the token gate");
                Err(ApiError::NotAuthenticated.into())
            }
        }
    }
}
// ANCHOR_END: current_user

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_sees_paths_as_the_router_does() {
        for path in [
            "/api/whoami",
            "/api/",
            "/%61pi/whoami",
            "//api//whoami",
            "/api%2Fwhoami",
        ] {
            assert!(is_protected(path), "{path}");
        }
        for path in ["/api", "/apix/whoami", "/token", "/health", "/API/whoami"] {
            assert!(!is_protected(path), "{path}");
        }
    }

    #[test]
    fn only_a_bearer_scheme_with_a_token_gives_a_token() {
        let token = |value: &str| {
            let req = Request::builder()
                .header(header::AUTHORIZATION, value)
                .finish();
            bearer_token(&req).map(str::to_owned)
        };
        assert_eq!(token("Bearer abc"), Ok("abc".to_owned()));
        assert_eq!(token("bEaReR    abc  "), Ok("abc".to_owned()));
        for value in ["Bearer", "Bearer    ", "Basic abc", "Bearerabc", "abc", ""] {
            assert_eq!(token(value), Err(ApiError::NotAuthenticated), "{value:?}");
        }
    }
}
