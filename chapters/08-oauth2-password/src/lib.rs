//! Chapter 08: the OAuth2 password flow.
//!
//! `POST /token` trades a username and password, sent as OAuth2's form, for a token;
//! `GET /users/me` finds the user behind the token through two layered guards: "who is it?",
//! then "are they active?". The token is the username itself: insecure on purpose, as in
//! FastAPI's tutorial, until chapter 09 signs it.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `login.rs`: `POST /token`: OAuth2's password form in, a token out.
//! 2. `users.rs`: the user as stored and as shown, and the fake database.
//! 3. `lib.rs` (this file): the errors, the two guards, the operations, and `app`.
//! 4. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 08`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use kit::Detail;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, FromRequest, Request, RequestBody};
use poem_openapi::auth::Bearer;
use poem_openapi::error::AuthorizationError;
use poem_openapi::payload::{Form, Json};
use poem_openapi::registry::Registry;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, OpenApi, OpenApiService,
    SecurityScheme, Tags,
};

mod exercises;
mod login;
mod users;

use login::{OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict, TokenResponse};
pub use users::User;
use users::{UserInDb, UsersDb};

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Logging in: a username and password in, an access token out.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/security/simple-oauth2/")]
    Auth,
    /// The user behind a token.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/security/get-current-user/")]
    Users,
}
// ANCHOR_END: tags

// ANCHOR: auth_error
/// Why a request that needs a user was refused.
#[derive(ApiResponse)]
enum AuthError {
    /// No `Authorization: Bearer <token>` header (`Not authenticated`), or a token that
    /// stands for no user (`Invalid authentication credentials`). `WWW-Authenticate: Bearer`
    /// tells the client which kind of credentials to send.
    #[oai(status = 401)]
    Unauthorized(Json<Detail>, #[oai(header = "WWW-Authenticate")] String),
    /// The token's user is disabled (`Inactive user`).
    #[oai(status = 400)]
    InactiveUser(Json<Detail>),
}

impl AuthError {
    fn invalid_credentials() -> Self {
        AuthError::Unauthorized(
            Json(Detail::new("Invalid authentication credentials")),
            "Bearer".to_owned(),
        )
    }

    fn inactive_user() -> Self {
        AuthError::InactiveUser(Json(Detail::new("Inactive user")))
    }
}
// ANCHOR_END: auth_error

// ANCHOR: get_current_user
// FastAPI's `oauth2_scheme` and `get_current_user` in one: the scheme reads the bearer token,
// and its checker turns the token into the user. (The doc comment is for `/docs`.)
/// Log in with a username and password at `POST /token`, then send the token you get as
/// `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(
    rename = "OAuth2PasswordBearer",
    ty = "oauth2",
    flows(password(token_url = "token")),
    checker = "get_current_user"
)]
struct CurrentUser(UserInDb);

/// The user the request's token stands for, or 401.
async fn get_current_user(req: &Request, bearer: Bearer) -> poem::Result<UserInDb> {
    let token = bearer.token.trim();
    if token.is_empty() {
        // `Authorization: Bearer` and nothing more: no credentials at all.
        return Err(AuthorizationError.into());
    }
    let Data(db) = Data::<&UsersDb>::from_request_without_body(req).await?;
    fake_decode_token(db, token).ok_or_else(|| AuthError::invalid_credentials().into())
}

/// The user a token stands for. This gives no security at all: the token IS the username,
/// so anyone who knows a username can log in as them. Chapter 09 checks a signature instead.
fn fake_decode_token(db: &UsersDb, token: &str) -> Option<UserInDb> {
    db.get(token)
}
// ANCHOR_END: get_current_user

// ANCHOR: get_current_active_user
/// The current user, known to be active: FastAPI's `get_current_active_user`. An operation
/// that takes it as a parameter cannot forget either check.
struct CurrentActiveUser(UserInDb);

/// The second layer: a user who is disabled is refused, with 400.
fn get_current_active_user(CurrentUser(user): CurrentUser) -> Result<UserInDb, AuthError> {
    if user.disabled {
        return Err(AuthError::inactive_user());
    }
    Ok(user)
}

/// An extractor built on another: it runs `CurrentUser` (and so the first layer), then the
/// second layer. It is documented as `CurrentUser` is, with the same security scheme.
impl<'a> ApiExtractor<'a> for CurrentActiveUser {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        CurrentUser::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        CurrentUser::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        options: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let current_user = CurrentUser::from_request(req, body, options).await?;
        Ok(CurrentActiveUser(get_current_active_user(current_user)?))
    }
}
// ANCHOR_END: get_current_active_user

// ANCHOR: api
/// The operations of this chapter.
struct Api;

#[OpenApi]
impl Api {
    /// Log in
    ///
    /// OAuth2's password flow: send a username and password as a form, get an access token
    /// back. Swagger UI's **Authorize** button logs in here. Try `johndoe` / `secret`, or
    /// `alice` / `secret2`, whose account is disabled.
    ///
    /// The token is the username itself: insecure on purpose, for this chapter only.
    #[oai(path = "/token", method = "post", tag = "Tag::Auth")]
    async fn login(
        &self,
        db: Data<&UsersDb>,
        form: Form<OAuth2PasswordRequestForm>,
    ) -> TokenResponse {
        TokenResponse::login(&db, &form.username, &form.password)
    }

    /// Log in, strictly
    ///
    /// The same as `POST /token`, but the form must also say `grant_type=password`, as the
    /// OAuth2 spec requires of a client.
    #[oai(path = "/token-strict", method = "post", tag = "Tag::Auth")]
    async fn login_strict(
        &self,
        db: Data<&UsersDb>,
        form: Form<OAuth2PasswordRequestFormStrict>,
    ) -> TokenResponse {
        TokenResponse::login(&db, &form.username, &form.password)
    }

    /// Who am I
    ///
    /// The user the token belongs to, without their password. A missing or unknown token is
    /// refused with 401, a disabled user with 400.
    #[oai(path = "/users/me", method = "get", tag = "Tag::Users")]
    async fn read_users_me(
        &self,
        current_user: CurrentActiveUser,
    ) -> Result<Json<User>, AuthError> {
        // The guards answer the errors; naming them in the return type documents them.
        Ok(Json(User::from(&current_user.0)))
    }
}
// ANCHOR_END: api

// ANCHOR: app
const TITLE: &str = "OAuth2 password flow";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Chapter 08 of the **Poem API Workbook**: logging in with OAuth2's password flow.

* `POST /token` trades a username and password for an access token.
* `GET /users/me` tells who the token belongs to.

Click **Authorize**, log in as `johndoe` / `secret`, then try `GET /users/me`.

**Not secure**: the token is the username, so anyone can make one up. Chapter 09 signs it.";

/// The whole app: the API, its docs pages where `docs` says, the house conventions, and a
/// fresh copy of the fake users database.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    // The chapter's operations, then the exercises' solutions.
    let operations = (Api, exercises::ItemsApi, exercises::SignupApi);
    let service = OpenApiService::new(kit::FastapiErrors(operations), TITLE, VERSION)
        .description(DESCRIPTION);
    kit::mount(service, docs).data(UsersDb::fake_users_db())
}
// ANCHOR_END: app
