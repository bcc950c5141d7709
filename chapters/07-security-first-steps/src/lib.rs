//! Chapter 07: security first steps.
//!
//! Two ways for a client to say who it is, declared as OpenAPI security schemes so that Swagger
//! UI shows its **Authorize** button: an OAuth2 bearer token (read, but not yet checked) and
//! HTTP Basic (a username and password, compared in constant time).
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the models, the two security schemes and their checks, the operations,
//!    and `app`.
//! 2. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 07`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use constant_time_eq::constant_time_eq;
use kit::Detail;
use poem::Endpoint;
use poem_openapi::auth::{Basic, Bearer};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, SecurityScheme, Tags};

mod exercises;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Operations behind an OAuth2 bearer token. The token is read but not checked yet.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/security/first-steps/")]
    OAuth2,
    /// Operations behind HTTP Basic: a username and a password in every request.
    #[oai(
        rename = "HTTP Basic",
        external_docs = "https://fastapi.tiangolo.com/advanced/security/http-basic-auth/"
    )]
    HttpBasic,
}
// ANCHOR_END: tags

// ANCHOR: models
/// The bearer token a request carried.
#[derive(Object)]
#[oai(example)]
struct Token {
    /// The token, as sent after `Bearer `.
    token: String,
}

impl Example for Token {
    fn example() -> Self {
        Token {
            token: "johndoe".to_owned(),
        }
    }
}

/// A user of the service.
#[derive(Object)]
#[oai(example)]
struct User {
    /// The name the user logs in with.
    username: String,
    /// Where to write to the user.
    #[oai(nullable)]
    email: Option<String>,
    /// The user's name, for people.
    #[oai(nullable)]
    full_name: Option<String>,
    /// Whether the account is switched off; `null` when nobody said.
    #[oai(nullable)]
    disabled: Option<bool>,
}

impl Example for User {
    fn example() -> Self {
        fake_decode_token("johndoe")
    }
}

/// HTTP Basic credentials as the server received them. Shown only to teach what arrives:
/// a real service never sends a password back.
#[derive(Object)]
#[oai(example)]
struct Credentials {
    /// Everything before the first `:`.
    username: String,
    /// Everything after the first `:`.
    password: String,
}

impl Example for Credentials {
    fn example() -> Self {
        Credentials {
            username: "stanleyjobson".to_owned(),
            password: "swordfish".to_owned(),
        }
    }
}

/// The user whose credentials were accepted.
#[derive(Object)]
#[oai(example)]
struct Username {
    /// The name the user logged in with.
    username: String,
}

impl Example for Username {
    fn example() -> Self {
        Username {
            username: CORRECT_USERNAME.to_owned(),
        }
    }
}
// ANCHOR_END: models

// ANCHOR: oauth2_scheme
/// OAuth2, password flow: a client sends a username and a password to `token` and gets a
/// token back, then sends `Authorization: Bearer <token>` with every request. (This chapter
/// has no `token` endpoint yet: chapter 08 adds it.)
#[derive(SecurityScheme)]
#[oai(ty = "oauth2", flows(password(token_url = "token")))]
struct OAuth2PasswordBearer(Bearer);
// ANCHOR_END: oauth2_scheme

// ANCHOR: basic_scheme
/// HTTP Basic: `Authorization: Basic <base64 of username:password>` with every request.
/// Anyone who can read the request can read the password: use it over HTTPS only.
#[derive(SecurityScheme)]
#[oai(ty = "basic", rename = "HTTPBasic")]
struct HttpBasic(Basic);
// ANCHOR_END: basic_scheme

// ANCHOR: fake_decode_token
/// Makes a user out of a token. **Insecure on purpose**: it accepts any string at all, so
/// anyone can be anyone. Chapter 09 replaces it with a signed token that the server checks.
fn fake_decode_token(token: &str) -> User {
    User {
        username: format!("{token}fakedecoded"),
        email: Some("john@example.com".to_owned()),
        full_name: Some("John Doe".to_owned()),
        disabled: None,
    }
}

/// The user a request's bearer token stands for.
fn get_current_user(token: &OAuth2PasswordBearer) -> User {
    fake_decode_token(&token.0.token)
}
// ANCHOR_END: fake_decode_token

// ANCHOR: auth_error
/// A refusal this chapter's code raises itself. The `WWW-Authenticate` header names the
/// scheme the client should use instead (RFC 9110 asks for it on every 401).
#[derive(ApiResponse, Debug)]
enum AuthError {
    /// The credentials are missing, malformed or wrong.
    #[oai(status = 401)]
    Unauthorized(Json<Detail>, #[oai(header = "WWW-Authenticate")] String),
}

impl AuthError {
    /// A 401 with `{"detail": message}` and the challenge of `scheme` (`Basic`, `Bearer`...).
    fn new(scheme: &str, message: &str) -> Self {
        AuthError::Unauthorized(Json(Detail::new(message)), scheme.to_owned())
    }
}
// ANCHOR_END: auth_error

// ANCHOR: get_current_username
const CORRECT_USERNAME: &str = "stanleyjobson";
const CORRECT_PASSWORD: &str = "swordfish";

/// The username, if the credentials are the right ones.
///
/// Both comparisons take the same time whatever the bytes sent, and both always run (`&`, not
/// `&&`), so the answer's timing tells an attacker nothing about how close a guess was.
fn get_current_username(credentials: &Basic) -> Result<String, AuthError> {
    let is_correct_username =
        constant_time_eq(credentials.username.as_bytes(), CORRECT_USERNAME.as_bytes());
    let is_correct_password =
        constant_time_eq(credentials.password.as_bytes(), CORRECT_PASSWORD.as_bytes());
    if is_correct_username & is_correct_password {
        Ok(credentials.username.clone())
    } else {
        Err(AuthError::new("Basic", "Incorrect username or password"))
    }
}
// ANCHOR_END: get_current_username

// ANCHOR: api
/// The operations of this chapter.
struct Api;

#[OpenApi]
impl Api {
    // ANCHOR: read_items
    /// Read the bearer token
    ///
    /// Answers the token that came in `Authorization: Bearer <token>`. Without one, the answer
    /// is 401 with `WWW-Authenticate: Bearer`: the operation never runs.
    #[oai(path = "/items/", method = "get", tag = "Tag::OAuth2")]
    async fn read_items(&self, token: OAuth2PasswordBearer) -> Result<Json<Token>, AuthError> {
        // The scheme answers the 401 before the operation runs; naming `AuthError` in the
        // return type puts that 401 in the document.
        Ok(Json(Token {
            token: token.0.token,
        }))
    }
    // ANCHOR_END: read_items

    // ANCHOR: read_users_me
    /// Read the current user
    ///
    /// The user the bearer token stands for. The token is not checked yet: any token gives a
    /// user named after it.
    #[oai(path = "/users/me", method = "get", tag = "Tag::OAuth2")]
    async fn read_users_me(&self, token: OAuth2PasswordBearer) -> Result<Json<User>, AuthError> {
        Ok(Json(get_current_user(&token)))
    }
    // ANCHOR_END: read_users_me

    // ANCHOR: read_basic_credentials
    /// Read the Basic credentials
    ///
    /// Answers the username and password that came in `Authorization: Basic ...`, decoded.
    /// They are not checked: this shows what the server receives.
    #[oai(path = "/basic/users/me", method = "get", tag = "Tag::HttpBasic")]
    async fn read_current_user(
        &self,
        credentials: HttpBasic,
    ) -> Result<Json<Credentials>, AuthError> {
        let Basic { username, password } = credentials.0;
        Ok(Json(Credentials { username, password }))
    }
    // ANCHOR_END: read_basic_credentials

    // ANCHOR: read_checked
    /// Log in with HTTP Basic
    ///
    /// Accepts `stanleyjobson` / `swordfish` only, and answers the username. Other
    /// credentials are refused with 401 and `WWW-Authenticate: Basic`, which makes a browser
    /// ask for new ones.
    #[oai(
        path = "/basic/users/me_checked",
        method = "get",
        tag = "Tag::HttpBasic"
    )]
    async fn read_current_user_checked(
        &self,
        credentials: HttpBasic,
    ) -> Result<Json<Username>, AuthError> {
        let username = get_current_username(&credentials.0)?;
        Ok(Json(Username { username }))
    }
    // ANCHOR_END: read_checked
}
// ANCHOR_END: api

// ANCHOR: app
const TITLE: &str = "Security first steps";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Two ways for a client to say who it is, declared so that **Authorize** (top right) knows them:

* an **OAuth2 bearer token**, sent as `Authorization: Bearer <token>`: read, not yet checked;
* **HTTP Basic**, a username and a password in every request: try `stanleyjobson` / `swordfish`.

There is no `/token` endpoint yet (chapter 08 adds it), so the OAuth2 form of **Authorize**
cannot log in here: send a token with curl, or use HTTP Basic.";

/// The whole app: the API, its docs pages where `docs` says, and the house conventions.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    let api = (Api, exercises::ApiKeyApi, exercises::EitherApi);
    let service =
        OpenApiService::new(kit::FastapiErrors(api), TITLE, VERSION).description(DESCRIPTION);
    kit::mount(service, docs)
}
// ANCHOR_END: app
