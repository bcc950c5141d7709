//! Chapter 10: OAuth2 scopes.
//!
//! A login asks for scopes and gets those the user holds; the token carries them, and each
//! operation names the scopes it needs, in its type (checked) and in the OpenAPI document
//! (shown). Everything else is chapter 09: bcrypt passwords, HS256 tokens, the same checks.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): `Scope`, the models, the errors, the guards that take scopes as a type,
//!    the operations, and `app`.
//! 2. `users.rs`: the fixture users, with the scopes each may be granted.
//! 3. `login.rs`: the form, the token answer with its scopes, `granted_scopes`.
//! 4. `tokens.rs`: chapter 09's tokens, with a `scopes` claim.
//! 5. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 10`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use std::marker::PhantomData;

use kit::Detail;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, FromRequest, Request, RequestBody};
use poem_openapi::auth::Bearer;
use poem_openapi::error::AuthorizationError;
use poem_openapi::payload::{Form, Json};
use poem_openapi::registry::Registry;
use poem_openapi::types::Example;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, OAuthScopes, Object, OpenApi,
    OpenApiService, SecurityScheme, Tags,
};

mod exercises;
mod login;
mod tokens;
mod users;

// Chapter 09's settings and password hashing, unchanged.
pub use ch09_jwt::{config, passwords};

pub use config::Config;

use login::{OAuth2PasswordRequestForm, Token, TokenResponse, authenticate_user, granted_scopes};
use tokens::Tokens;
use users::{UserInDb, UsersDb};

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Logging in: a user name, a password and the scopes asked for, for an access token.
    #[oai(external_docs = "https://fastapi.tiangolo.com/advanced/security/oauth2-scopes/")]
    Auth,
    /// The logged-in user and what they own: each operation needs its own scopes.
    #[oai(external_docs = "https://datatracker.ietf.org/doc/html/rfc6749#section-3.3")]
    Users,
    /// The service itself: any valid token will do.
    Status,
}
// ANCHOR_END: tags

// ANCHOR: scopes
/// The scopes of this service: what a token may allow. Each is a name and a description,
/// which `/docs` shows in the **Authorize** dialog.
#[derive(OAuthScopes, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Read information about the current user.
    #[oai(rename = "me")]
    Me,
    /// Read items.
    #[oai(rename = "items")]
    Items,
    // The exercises' scopes are declared here too: the scheme has one list of scopes.
    // Exercise 1's.
    /// Create items.
    #[oai(rename = "items:write")]
    ItemsWrite,
    // Exercise 2's: nobody holds it.
    /// Manage users.
    #[oai(rename = "admin")]
    Admin,
}

impl Scope {
    const ALL: [Scope; 4] = [Scope::Me, Scope::Items, Scope::ItemsWrite, Scope::Admin];

    /// The scope called `name`, if there is one.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.name() == name)
    }
}

/// OAuth2's password flow, with the scopes above.
///
/// Log in with a username and password at `POST /token`, asking for scopes, then send the
/// token you get as `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "oauth2", flows(password(token_url = "token", scopes = "Scope")))]
struct OAuth2PasswordBearer(Bearer);
// ANCHOR_END: scopes

// ANCHOR: models
/// A user, as the service shows them: never with the password or its hash.
#[derive(Object)]
#[oai(example)]
struct User {
    /// The name the user logs in with.
    username: String,
    /// Their email address.
    #[oai(nullable)]
    email: Option<String>,
    /// Their name as it is written.
    #[oai(nullable)]
    full_name: Option<String>,
    /// Whether the account is switched off.
    disabled: bool,
}

impl From<UserInDb> for User {
    fn from(user: UserInDb) -> Self {
        Self {
            username: user.username,
            email: user.email,
            full_name: user.full_name,
            disabled: user.disabled,
        }
    }
}

impl Example for User {
    fn example() -> Self {
        Self {
            username: "johndoe".to_owned(),
            email: Some("johndoe@example.com".to_owned()),
            full_name: Some("John Doe".to_owned()),
            disabled: false,
        }
    }
}

/// Something a user owns.
#[derive(Object)]
#[oai(example)]
struct Item {
    /// The item's id.
    item_id: String,
    /// The user name of its owner.
    owner: String,
}

impl Example for Item {
    fn example() -> Self {
        Self {
            item_id: "Foo".to_owned(),
            owner: "johndoe".to_owned(),
        }
    }
}

/// How the service is doing.
#[derive(Object)]
struct Status {
    /// `ok` when it answers at all.
    status: String,
}
// ANCHOR_END: models

// ANCHOR: errors
/// Why a request that needs a user was refused.
#[derive(ApiResponse, Debug)]
enum AuthError {
    /// No token (`Not authenticated`), a bad one (`Could not validate credentials`), or one
    /// without a scope the operation needs (`Not enough permissions`). The challenge names
    /// the scopes: `Bearer scope="me items"`.
    #[oai(status = 401)]
    Unauthorized(
        Json<Detail>,
        /// `Bearer`, with the scopes the operation needs.
        #[oai(header = "WWW-Authenticate")]
        String,
    ),
    /// The token's user is disabled (`Inactive user`).
    #[oai(status = 400)]
    InactiveUser(Json<Detail>),
}
// ANCHOR_END: errors

// ANCHOR: needs
/// The scopes an operation needs, written as a type so that a guard can check them.
trait Needs: Send + Sync + 'static {
    /// The scopes, all needed.
    const SCOPES: &'static [Scope];
}

/// The scope sets of this chapter's operations.
mod needs {
    use super::{Needs, Scope};

    /// A valid token, whatever its scopes.
    pub(crate) struct Nothing;
    /// `me`.
    pub(crate) struct Me;
    /// `me` and `items`.
    pub(crate) struct MeItems;

    impl Needs for Nothing {
        const SCOPES: &'static [Scope] = &[];
    }
    impl Needs for Me {
        const SCOPES: &'static [Scope] = &[Scope::Me];
    }
    impl Needs for MeItems {
        const SCOPES: &'static [Scope] = &[Scope::Me, Scope::Items];
    }
}
// ANCHOR_END: needs

// ANCHOR: get_current_user
/// The user the bearer token names, if the token carries every scope `S` needs: FastAPI's
/// `get_current_user` with its `SecurityScopes`.
struct CurrentUser<S>(UserInDb, PhantomData<fn() -> S>);

/// The checks, in FastAPI's order: the token, its user, then the scopes.
async fn get_current_user(req: &Request, token: &str, needed: &[Scope]) -> poem::Result<UserInDb> {
    let token = token.trim();
    if token.is_empty() {
        // `Authorization: Bearer` and nothing more: no credentials at all.
        return Err(AuthorizationError.into());
    }
    // Every refusal names the scopes this operation needs, as RFC 6750 §3 suggests.
    let names: Vec<&str> = needed.iter().map(Scope::name).collect();
    let challenge = match names.as_slice() {
        [] => "Bearer".to_owned(),
        names => format!("Bearer scope=\"{}\"", names.join(" ")),
    };
    let refuse = |detail| AuthError::Unauthorized(Json(Detail::new(detail)), challenge.clone());
    let Data(tokens) = Data::<&Tokens>::from_request_without_body(req).await?;
    let Data(db) = Data::<&UsersDb>::from_request_without_body(req).await?;
    let claims = tokens
        .decode_access_token(token)
        .ok_or_else(|| refuse("Could not validate credentials"))?;
    let user = db
        .get(&claims.sub)
        .ok_or_else(|| refuse("Could not validate credentials"))?;
    for scope in needed {
        // Granted at login, and still held now: a token cannot carry what the user lost.
        let granted = claims.scopes.iter().any(|name| name == scope.name());
        if !granted || !user.scopes.contains(scope) {
            return Err(refuse("Not enough permissions").into());
        }
    }
    Ok(user)
}

impl<'a, S: Needs> ApiExtractor<'a> for CurrentUser<S> {
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
        body: &mut RequestBody,
        options: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let OAuth2PasswordBearer(bearer) =
            OAuth2PasswordBearer::from_request(req, body, options).await?;
        let user = get_current_user(req, &bearer.token, S::SCOPES).await?;
        Ok(Self(user, PhantomData))
    }
}
// ANCHOR_END: get_current_user

// ANCHOR: get_current_active_user
/// The current user, with the scopes `S` needs, known to be active.
struct CurrentActiveUser<S>(UserInDb, PhantomData<fn() -> S>);

impl<'a, S: Needs> ApiExtractor<'a> for CurrentActiveUser<S> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        CurrentUser::<S>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        CurrentUser::<S>::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        options: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let CurrentUser(user, _) = CurrentUser::<S>::from_request(req, body, options).await?;
        if user.disabled {
            return Err(AuthError::InactiveUser(Json(Detail::new("Inactive user"))).into());
        }
        Ok(Self(user, PhantomData))
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
    /// Send a user name, a password and the scopes you ask for (`scope=me items`) as a form;
    /// the answer is an access token with the scopes granted: those asked for that the user
    /// holds. johndoe / `secret` holds `me` and `items`; alice / `secret2` holds `me`, and is
    /// disabled.
    #[oai(path = "/token", method = "post", tag = "Tag::Auth")]
    async fn login_for_access_token(
        &self,
        db: Data<&UsersDb>,
        tokens: Data<&Tokens>,
        form: Form<OAuth2PasswordRequestForm>,
    ) -> poem::Result<TokenResponse> {
        let Form(form) = form;
        let Some(user) = authenticate_user(&db, &form.username, form.password).await else {
            return Ok(TokenResponse::IncorrectCredentials(
                Json(Detail::new("Incorrect username or password")),
                "Bearer".to_owned(),
            ));
        };
        let scopes = granted_scopes(&form.scope, &user);
        let names: Vec<&str> = scopes.iter().map(Scope::name).collect();
        let token = Token {
            access_token: tokens.create_access_token(&user.username, &scopes)?,
            token_type: "bearer".to_owned(),
            scope: names.join(" "),
        };
        Ok(TokenResponse::Issued(
            Json(token),
            "no-store".to_owned(),
            "no-cache".to_owned(),
        ))
    }

    /// Read the current user
    ///
    /// Needs the scope `me`. Without it, **401** `Not enough permissions`; a disabled user
    /// gets **400**.
    #[oai(path = "/users/me/", method = "get", tag = "Tag::Users")]
    async fn read_users_me(
        &self,
        #[oai(scope = "Scope::Me")] current_user: CurrentActiveUser<needs::Me>,
    ) -> Result<Json<User>, AuthError> {
        Ok(Json(current_user.0.into()))
    }

    /// Read the current user's items
    ///
    /// Needs the scopes `me` and `items`.
    #[oai(path = "/users/me/items/", method = "get", tag = "Tag::Users")]
    async fn read_own_items(
        &self,
        #[oai(scope = "Scope::Me", scope = "Scope::Items")] current_user: CurrentActiveUser<
            needs::MeItems,
        >,
    ) -> Result<Json<Vec<Item>>, AuthError> {
        Ok(Json(vec![Item {
            item_id: "Foo".to_owned(),
            owner: current_user.0.username,
        }]))
    }

    /// Read the system status
    ///
    /// Needs a valid token and no scope; a disabled user may read it too.
    #[oai(path = "/status/", method = "get", tag = "Tag::Status")]
    async fn read_system_status(
        &self,
        _current_user: CurrentUser<needs::Nothing>,
    ) -> Result<Json<Status>, AuthError> {
        Ok(Json(Status {
            status: "ok".to_owned(),
        }))
    }
}
// ANCHOR_END: api

// ANCHOR: app
const TITLE: &str = "Scopes";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Chapter 10 of the **Poem API Workbook**: OAuth2 scopes.

1. **Authorize** above as `johndoe` / `secret`, ticking the scopes you want;
2. try `GET /users/me/` (needs `me`), `GET /users/me/items/` (needs `me` and `items`),
   `GET /status/` (needs a valid token only).

A login grants only the scopes the user holds, whatever it asks for.";

/// The whole app: the API, its docs pages where `docs` says, the house conventions, and what
/// the requests share: the users and the token keys.
pub fn app(docs: &kit::Docs, config: &Config) -> impl Endpoint + use<> {
    // The chapter's operations, then the exercises' solutions.
    let operations = (Api, exercises::ItemsWriteApi, exercises::AdminApi);
    let service = OpenApiService::new(kit::FastapiErrors(operations), TITLE, VERSION)
        .description(DESCRIPTION);
    kit::mount(service, docs)
        .data(UsersDb::fake_users_db())
        .data(Tokens::new(config))
}
// ANCHOR_END: app
