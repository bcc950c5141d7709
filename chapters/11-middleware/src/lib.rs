//! Chapter 11: middleware.
//!
//! Code that runs around every request, outside the operations: the time each one took, a
//! check of the `Host`, CORS for browsers, a token gate for everything under `/api/`, and an
//! access log, with the chapter's errors kept in one registry.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `timing.rs`: `X-Process-Time`, and the access log.
//! 2. `lib.rs` (this file): the models, the operations, and `app`: the layers in their order.
//! 3. `hosts.rs`: the trusted-host check.
//! 4. `cors.rs`: CORS.
//! 5. `gate.rs`: the token gate, and the extractor that hands its user to the handlers.
//! 6. `errors.rs`: the error registry.
//! 7. `config.rs`: the settings, read once at start.
//! 8. `main.rs`: reads the settings and serves the app.
//! 9. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 11`) has stubs in its place.
//!
//! Not on the page: `login.rs`, `POST /token`'s answer (the form, the password check and the users
//! are chapter 09's), and `tokens.rs`, chapter 09's tokens without `jti`.

use kit::Detail;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use poem_openapi::payload::{Form, Json};
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, Tags};

mod config;
mod cors;
mod errors;
mod exercises;
mod gate;
mod hosts;
mod login;
mod timing;
mod tokens;

pub use config::Config;
pub use cors::Cors;
pub use errors::{ApiError, ERROR_CODE_HEADER};
pub use hosts::TrustedHosts;

use ch09_jwt::users::UsersDb;
use exercises::{LoginRateLimit, RequestId, security_headers};
use gate::{CurrentUser, TokenGate};
use login::{OAuth2PasswordRequestForm, Token, TokenResponse, authenticate_user};
use timing::{AccessLog, add_process_time_header};
use tokens::Tokens;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Logging in: a user name and a password for an access token.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/security/oauth2-jwt/")]
    Auth,
    /// Everything under `/api/`: the token gate lets a request in only with
    /// `Authorization: Bearer <token>`.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/middleware/")]
    Api,
    /// The service itself: its health, and a handler that fails on purpose.
    #[oai(external_docs = "https://fastapi.tiangolo.com/advanced/middleware/")]
    Service,
}
// ANCHOR_END: tags

// ANCHOR: models
/// Who the token belongs to.
#[derive(Object)]
#[oai(example)]
struct Whoami {
    /// The user name the token was issued to.
    username: String,
}

impl Example for Whoami {
    fn example() -> Self {
        Self {
            username: "johndoe".to_owned(),
        }
    }
}

/// Whether the service is up.
#[derive(Object)]
#[oai(example)]
struct Health {
    /// Always `ok`: an answer at all means the service is up.
    status: String,
}

impl Example for Health {
    fn example() -> Self {
        Self {
            status: "ok".to_owned(),
        }
    }
}

/// The answer of `GET /api/whoami`.
#[derive(ApiResponse)]
enum WhoamiResponse {
    /// The token's owner.
    #[oai(status = 200)]
    Ok(Json<Whoami>),
}

/// The answer of `GET /health`.
#[derive(ApiResponse)]
enum HealthResponse {
    /// The service is up.
    #[oai(status = 200)]
    Ok(Json<Health>),
}

/// The answer of `GET /boom`.
#[derive(ApiResponse)]
enum BoomResponse {
    /// Always: the handler panics, and the answer says no more than this.
    #[oai(status = 500)]
    #[allow(dead_code)] // Never built: the handler panics first.
    Failed(Json<Detail>),
}
// ANCHOR_END: models

// ANCHOR: api
/// The operations of this chapter.
struct Api;

#[OpenApi]
impl Api {
    /// Log in
    ///
    /// Send a user name and a password as a form (OAuth2's password flow); the answer is an
    /// access token to send back as `Authorization: Bearer <token>` to anything under `/api/`.
    /// Try `johndoe` / `secret`, or `alice` / `secret2`, whose account is disabled. After a
    /// few failed logins in a minute, the next ones are refused with **429** for a while.
    #[oai(path = "/token", method = "post", tag = "Tag::Auth")]
    async fn login_for_access_token(
        &self,
        db: Data<&UsersDb>,
        tokens: Data<&Tokens>,
        form: Form<OAuth2PasswordRequestForm>,
    ) -> Result<TokenResponse, ApiError> {
        let Form(form) = form;
        let Some(user) = authenticate_user(&db, &form.username, form.password).await else {
            return Err(ApiError::IncorrectLogin);
        };
        let token = Token {
            access_token: tokens.create_access_token(&user.username).map_err(|err| {
                tracing::error!(error = %err, "a token could not be signed");
                ApiError::Internal
            })?,
            token_type: "bearer".to_owned(),
        };
        Ok(TokenResponse::Issued(
            Json(token),
            "no-store".to_owned(),
            "no-cache".to_owned(),
        ))
    }

    /// Who am I
    ///
    /// The user name of the token's owner. This operation checks nothing itself: the token
    /// gate checked the token before the request got here, and attached the user to it.
    #[oai(path = "/api/whoami", method = "get", tag = "Tag::Api")]
    async fn read_whoami(&self, current_user: CurrentUser) -> Result<WhoamiResponse, ApiError> {
        let CurrentUser(user) = current_user;
        Ok(WhoamiResponse::Ok(Json(Whoami {
            username: user.username,
        })))
    }

    /// Health check
    ///
    /// Answers `{"status": "ok"}` whatever the `Host`: load balancers and orchestrators call
    /// it by IP address, so it is the one path the trusted-host check lets through.
    #[oai(path = "/health", method = "get", tag = "Tag::Service")]
    async fn health(&self) -> HealthResponse {
        HealthResponse::Ok(Json(Health {
            status: "ok".to_owned(),
        }))
    }

    /// Fail on purpose
    ///
    /// The handler panics. The answer is a plain **500** `Internal Server Error`, the cause
    /// goes to the log, and the server goes on serving the next requests.
    #[oai(path = "/boom", method = "get", tag = "Tag::Service")]
    async fn boom(&self) -> BoomResponse {
        panic!("boom: this handler fails on purpose");
    }
}
// ANCHOR_END: api

// ANCHOR: call
/// Calls the next layer, turning an error into its answer at once, so that each layer around
/// it sees a response (with a status and headers) and never an error.
async fn call<E: Endpoint>(next: &E, req: Request) -> poem::Result<Response> {
    Ok(match next.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => kit::errors::error_response(err),
    })
}
// ANCHOR_END: call

// ANCHOR: app
const TITLE: &str = "Middleware";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Chapter 11 of the **Poem API Workbook**: what runs around every request.

* every answer says how long it took, in `X-Process-Time` (seconds);
* the `Host` must be a trusted one, except for `/health`;
* pages from a few origins may call the service from a browser (CORS);
* everything under `/api/` needs a token from `POST /token` (try **Authorize**);
* each request is a line in the access log.";

/// The whole app: the operations, then the middlewares around them, innermost first. Each
/// `.with` wraps everything written above it, so a request meets them from the bottom up.
pub fn app(docs: &kit::Docs, config: &Config) -> impl Endpoint + use<> {
    let users = UsersDb::fake_users_db();
    let tokens = Tokens::new(config);
    let service =
        OpenApiService::new(kit::FastapiErrors(Api), TITLE, VERSION).description(DESCRIPTION);
    kit::mount(service, docs)
        .data(users.clone())
        .data(tokens.clone())
        .with(TokenGate::new(tokens, users)) // 4. /api/ needs a token
        .with(LoginRateLimit::per_minute(config.login_rate_limit)) // exercise 3
        .with(config.cors.clone()) // 3. CORS: preflights answered here
        .with(config.trusted_hosts.clone()) // 2. Host must be trusted
        .around(add_process_time_header) // 1. X-Process-Time on every answer
        .with(security_headers()) // exercise 2
        .with(AccessLog) // one line per request, with the final status
        .with(RequestId) // exercise 1: the id the log and the client see
}
// ANCHOR_END: app
