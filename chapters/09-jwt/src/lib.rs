//! Chapter 09: real passwords and real tokens.
//!
//! Passwords are kept as bcrypt hashes and checked on the blocking pool; `POST /token` answers
//! a JSON Web Token signed with the server's key, which every other operation checks.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `users.rs`: the two fixture users and their bcrypt hashes.
//! 2. `passwords.rs`: bcrypt, on the blocking pool.
//! 3. `login.rs`: the OAuth2 form, the token answer, `authenticate_user`.
//! 4. `lib.rs` (this file): the models, the errors, the guards, the operations, and `app`.
//! 5. `tokens.rs`: making and checking JWTs (`verify`, which later chapters use).
//! 6. `config.rs`: `JWT_SECRET` and `ACCESS_TOKEN_EXPIRE_MINUTES`, read once at start.
//! 7. `main.rs`: reads the settings and serves the app.
//! 8. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 09`) has stubs in its place.

use kit::Detail;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, FromRequest, Request, RequestBody};
use poem_openapi::auth::Bearer;
use poem_openapi::error::AuthorizationError;
use poem_openapi::payload::{Form, Json};
use poem_openapi::registry::Registry;
use poem_openapi::types::Example;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
    OpenApiService, SecurityScheme, Tags,
};

// `config`, `passwords` and `tokens::verify` are public: chapters 10, 11 and 14 use them as
// they are, and chapter 14 makes its tokens with `tokens::Tokens` too. Chapter 11 logs its
// users in with `login` and `users`.
pub mod config;
mod exercises;
pub mod login;
pub mod passwords;
pub mod tokens;
pub mod users;

pub use config::Config;

use exercises::Revoked;
use login::{OAuth2PasswordRequestForm, Token, TokenResponse, authenticate_user};
use tokens::{Claims, Tokens};
use users::{UserInDb, UsersDb};

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Logging in: a user name and a password for an access token.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/security/oauth2-jwt/")]
    Auth,
    /// The logged-in user and what they own: each needs `Authorization: Bearer <token>`.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/security/get-current-user/")]
    Users,
}
// ANCHOR_END: tags

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
// ANCHOR_END: models

// ANCHOR: errors
/// Why a request that needs a user was refused.
#[derive(ApiResponse, Debug)]
enum AuthError {
    /// No token (`Not authenticated`), or one that is expired, badly signed, or names no
    /// known user (`Could not validate credentials`).
    #[oai(status = 401)]
    Unauthorized(
        Json<Detail>,
        /// `Bearer`: the scheme to authenticate with.
        #[oai(header = "WWW-Authenticate")]
        String,
    ),
    /// The token's user is disabled (`Inactive user`).
    #[oai(status = 400)]
    InactiveUser(Json<Detail>),
}

impl AuthError {
    /// FastAPI's `credentials_exception`: the same answer whatever was wrong with the token.
    fn credentials() -> Self {
        Self::Unauthorized(
            Json(Detail::new("Could not validate credentials")),
            "Bearer".to_owned(),
        )
    }

    fn inactive_user() -> Self {
        Self::InactiveUser(Json(Detail::new("Inactive user")))
    }
}
// ANCHOR_END: errors

// ANCHOR: get_current_user
/// The bearer token's claims, checked: signed with our key, with HS256, not expired, not
/// revoked.
async fn get_current_token(req: &Request, bearer: Bearer) -> poem::Result<Claims> {
    let token = bearer.token.trim();
    if token.is_empty() {
        // `Authorization: Bearer` and nothing more: no credentials at all.
        return Err(AuthorizationError.into());
    }
    let Data(tokens) = Data::<&Tokens>::from_request_without_body(req).await?;
    let Data(revoked) = Data::<&Revoked>::from_request_without_body(req).await?;
    let claims = tokens
        .decode_access_token(token)
        .ok_or_else(AuthError::credentials)?;
    // Logging out (exercise 2) gives a token up before it expires.
    if revoked.is_revoked(&claims) {
        return Err(AuthError::credentials().into());
    }
    Ok(claims)
}

// The user the bearer token names: FastAPI's `get_current_user`. (The doc comment is for
// `/docs`, where every scheme named `OAuth2PasswordBearer` is one scheme.)
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

async fn get_current_user(req: &Request, bearer: Bearer) -> poem::Result<UserInDb> {
    let claims = get_current_token(req, bearer).await?;
    let Data(db) = Data::<&UsersDb>::from_request_without_body(req).await?;
    db.get(&claims.sub)
        .ok_or_else(|| AuthError::credentials().into())
}
// ANCHOR_END: get_current_user

// ANCHOR: get_current_active_user
/// The current user, known to be active: FastAPI's `get_current_active_user`, built on
/// `CurrentUser` as in chapter 08.
struct CurrentActiveUser(UserInDb);

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
        let CurrentUser(user) = CurrentUser::from_request(req, body, options).await?;
        if user.disabled {
            return Err(AuthError::inactive_user().into());
        }
        Ok(Self(user))
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
    /// Send a user name and a password as a form (OAuth2's password flow); the answer is an
    /// access token, valid for 30 minutes unless the server is set otherwise. Send it back as
    /// `Authorization: Bearer <token>`. In `/docs`, the **Authorize** button does this for you.
    /// Try `johndoe` / `secret`, or `alice` / `secret2`, whose account is disabled.
    ///
    /// A wrong user name and a wrong password get the same **401**, in the same time.
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
        let token = Token {
            access_token: tokens.create_access_token(&user.username)?,
            token_type: "bearer".to_owned(),
        };
        Ok(TokenResponse::Issued(
            Json(token),
            "no-store".to_owned(),
            "no-cache".to_owned(),
        ))
    }

    /// Read the current user
    ///
    /// The user the token was issued to. A missing, expired or forged token gets **401**; a
    /// disabled user gets **400**.
    #[oai(path = "/users/me/", method = "get", tag = "Tag::Users")]
    async fn read_users_me(
        &self,
        current_user: CurrentActiveUser,
    ) -> Result<Json<User>, AuthError> {
        // The guards answer the errors; naming them in the return type documents them.
        Ok(Json(current_user.0.into()))
    }

    /// Read the current user's items
    ///
    /// The items the current user owns. The same token rules as `GET /users/me/`.
    #[oai(path = "/users/me/items/", method = "get", tag = "Tag::Users")]
    async fn read_own_items(
        &self,
        current_user: CurrentActiveUser,
    ) -> Result<Json<Vec<Item>>, AuthError> {
        Ok(Json(vec![Item {
            item_id: "Foo".to_owned(),
            owner: current_user.0.username,
        }]))
    }
}
// ANCHOR_END: api

// ANCHOR: app
const TITLE: &str = "JWT";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Chapter 09 of the **Poem API Workbook**: passwords as bcrypt hashes, and signed tokens.

1. `POST /token` with `username=johndoe&password=secret` (or **Authorize** above);
2. send the `access_token` back as `Authorization: Bearer <token>` to `GET /users/me/`.

Tokens are JSON Web Tokens signed with HS256; they expire after 30 minutes by default.";

/// The whole app: the API, its docs pages where `docs` says, the house conventions, and what
/// the requests share: the users, the token keys, and the tokens revoked by logging out.
pub fn app(docs: &kit::Docs, config: &Config) -> impl Endpoint + use<> {
    // The chapter's operations, then the exercises' solutions.
    let operations = (Api, exercises::PasswordApi, exercises::LogoutApi);
    let service = OpenApiService::new(kit::FastapiErrors(operations), TITLE, VERSION)
        .description(DESCRIPTION);
    kit::mount(service, docs)
        .data(UsersDb::fake_users_db())
        .data(Tokens::new(config))
        .data(Revoked::default())
}
// ANCHOR_END: app
